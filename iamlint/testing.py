"""Fixture test harness, used by iamlint's own tests and exported for plugin authors.

Expected findings live next to the code that causes them:

- a marker comment on the offending line: ``# expect: IAM002`` (several codes:
  ``# expect: IAM002, EC2002``; ``//`` comments work too in HCL);
- where a comment cannot sit on that line (inside a heredoc, whose text would change),
  ``# expect-line: IAM002 14`` anywhere in the file names the line explicitly;
- JSON files have no comments: a sidecar ``<name>.json.expect`` holds one ``CODE LINE``
  pair per line (blank lines and ``#`` comments are ignored; an empty sidecar means
  "no findings").

Input errors can be expected too, with the pseudo-code ``ERROR``. A test then compares
the exact set of ``(code, line)`` pairs, never counts::

    from iamlint.testing import check_fixture, fixture_files

    @pytest.mark.parametrize("path", fixture_files("fixtures"), ids=str)
    def test_fixture(path):
        check_fixture(path)

A fixture is checked by running the whole pipeline over its directory (a Terraform
module is a directory), so references across files resolve.
"""

from __future__ import annotations

import functools
import os
import re
from pathlib import Path
from typing import Iterable

from iamlint.engine import Options, run
from iamlint.registry import load_plugins
from iamlint.report import Report

__all__ = [
    "Expectation",
    "actual_findings",
    "check_directory",
    "check_fixture",
    "expected_findings",
    "fixture_files",
    "lint",
]

Expectation = tuple[str, int]
ERROR = "ERROR"
_CODE = r"(?:[A-Z]+[0-9]+|ERROR)"
_MARKER = re.compile(r"(?:#|//)\s*expect:\s*(" + _CODE + r"(?:\s*,\s*" + _CODE + r")*)\s*$")
_LINE_MARKER = re.compile(r"(?:#|//)\s*expect-line:\s*(" + _CODE + r")\s+(\d+)\s*$")
_SIDECAR = ".expect"


def expected_findings(path: str | os.PathLike[str]) -> set[Expectation] | None:
    """The (code, line) pairs a fixture expects, or None when it declares nothing."""
    path = Path(path)
    sidecar = path.with_name(path.name + _SIDECAR)
    if sidecar.is_file():
        return _read_sidecar(sidecar)
    if path.suffix == ".json":
        return None
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    found: set[Expectation] = set()
    declared = False
    for number, line in enumerate(text.splitlines(), start=1):
        marker = _MARKER.search(line)
        if marker:
            declared = True
            found.update((code.strip(), number) for code in marker.group(1).split(","))
        explicit = _LINE_MARKER.search(line)
        if explicit:
            declared = True
            found.add((explicit.group(1), int(explicit.group(2))))
    return found if declared else None


def _read_sidecar(sidecar: Path) -> set[Expectation]:
    found: set[Expectation] = set()
    for number, raw in enumerate(sidecar.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        if len(parts) != 2 or not parts[1].isdigit():
            raise ValueError(f"{sidecar}:{number}: expected 'CODE LINE', got {raw!r}")
        found.add((parts[0], int(parts[1])))
    return found


def fixture_files(root: str | os.PathLike[str]) -> list[Path]:
    """Every file under ``root`` that declares expectations (markers or a sidecar)."""
    files = []
    for folder, dirs, names in os.walk(root):
        dirs.sort()
        for name in sorted(names):
            if name.endswith(_SIDECAR):
                continue
            path = Path(folder) / name
            if expected_findings(path) is not None:
                files.append(path)
    return files


@functools.cache
def _lint_cached(paths: tuple[str, ...], rules: frozenset[str] | None) -> Report:
    return run(list(paths), Options(select=set(rules) if rules is not None else None, cache=False))


def lint(paths: Iterable[str | os.PathLike[str]], rules: Iterable[str] | None = None) -> Report:
    """Run the whole pipeline over ``paths``; results are cached. ``rules`` (codes or
    names) restricts the run to those rules, e.g. a plugin's own, so that other
    installed rules do not disturb its fixtures; default: every installed rule."""
    return _lint_cached(tuple(sorted(os.path.abspath(p) for p in paths)), _codes(rules))


def _codes(rules: Iterable[str] | None) -> frozenset[str] | None:
    if rules is None:
        return None
    registry = load_plugins()
    codes = set()
    for key in rules:
        rule = registry.find(key)
        if rule is None:
            raise ValueError(f"no installed rule is called {key!r}")
        codes.add(rule.code)
    return frozenset(codes)


def actual_findings(report: Report, path: str | os.PathLike[str]) -> set[Expectation]:
    """The (code, line) pairs of ``report`` located in ``path`` (input errors as ERROR)."""
    target = os.path.abspath(path)
    found = {(f.rule, f.line) for f in report.findings if os.path.abspath(f.path) == target}
    found.update((ERROR, e.line) for e in report.errors if os.path.abspath(e.path) == target)
    return found


def _describe(report: Report, path: str, pairs: set[Expectation]) -> list[str]:
    target = os.path.abspath(path)
    lines = []
    for code, line in sorted(pairs, key=lambda p: (p[1], p[0])):
        messages = [f.message for f in report.findings if f.rule == code and f.line == line and os.path.abspath(f.path) == target]
        messages += [e.message for e in report.errors if code == ERROR and e.line == line and os.path.abspath(e.path) == target]
        lines.append(f"  {code} line {line}" + (f": {messages[0]}" if messages else ""))
    return lines


def check_fixture(path: str | os.PathLike[str], rules: Iterable[str] | None = None) -> None:
    """Assert that the pipeline reports exactly the expected (code, line) pairs in ``path``
    (only the findings of ``rules`` when given: see :func:`lint`)."""
    expected = expected_findings(path)
    if expected is None:
        expected = set()
    report = lint([os.path.dirname(os.path.abspath(path))], rules)
    actual = actual_findings(report, path)
    if rules is not None:
        expected = {pair for pair in expected if pair[0] in _codes(rules) | {ERROR}}  # type: ignore[operator]  # rules given
    if actual == expected:
        return
    text = [f"{path}: findings differ from the markers"]
    missing, unexpected = expected - actual, actual - expected
    if missing:
        text += ["expected but not reported:"] + _describe(report, str(path), missing)
    if unexpected:
        text += ["reported but not expected:"] + _describe(report, str(path), unexpected)
    raise AssertionError("\n".join(text))


def check_directory(directory: str | os.PathLike[str], rules: Iterable[str] | None = None) -> None:
    """Assert that every file of ``directory`` (one module) gets exactly its expectations;
    files without markers must get no findings at all."""
    report = lint([directory], rules)
    paths = {os.path.abspath(f.path) for f in report.findings} | {os.path.abspath(e.path) for e in report.errors}
    for name in sorted(os.listdir(directory)):
        paths.add(os.path.abspath(os.path.join(directory, name)))
    for path in sorted(paths):
        if os.path.isfile(path) and not path.endswith(_SIDECAR):
            check_fixture(path, rules)
