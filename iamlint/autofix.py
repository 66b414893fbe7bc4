"""``iamlint check --fix`` / ``--diff``: fixes applied in rounds, in memory, every rule run
on every file between rounds, and files written only at the end.

A round lints the paths with the fixed texts so far overlaid on the files (the editor
overlay of :mod:`iamlint.sources`), takes the fixes the selection wants that overlap no
other (:func:`iamlint.fixes.chosen`), and applies them to the texts; a fix that would
leave a file unparsable is not applied and is reported. Overlapping fixes wait for the
next round, as ruff does; at most :data:`MAX_ROUNDS` rounds. A fix whose finding is
still there after it was applied is not applied again (it is reported). The last round's
report is what remains. Then each changed file is written atomically (a temporary file
in its folder, renamed over it, its mode kept), with its own encoding and byte order
mark; nothing is written with ``--diff``.
"""

from __future__ import annotations

import os
import stat
import tempfile
from dataclasses import dataclass, field, replace
from typing import Callable

from iamlint.engine import Options, run
from iamlint.fixes import Selection, chosen
from iamlint.fixes.text import Original, apply, current_text, original
from iamlint.fixes.tree import tree_of
from iamlint.formats.registry import FormatRegistry, load_formats
from iamlint.model.fixes import Fix
from iamlint.registry import Registry
from iamlint.report import LocatedFinding, Report
from iamlint.sources import overlay

MAX_ROUNDS = 10


@dataclass(slots=True)
class Outcome:
    """What fixing did: the last ``report`` (what remains), the ``changed`` files
    (path -> original, fixed text), the findings whose fix was ``applied``, ``problems``
    (fixes not applied, and why) and how many fixes ``--unsafe-fixes`` would add."""

    report: Report
    changed: dict[str, tuple[Original, str]] = field(default_factory=dict)
    applied: list[LocatedFinding] = field(default_factory=list)
    refused: list[LocatedFinding] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    hidden: int = 0


Runner = Callable[[list[str], Options, Registry], Report]


def fix(paths: list[str], options: Options, registry: Registry, selection: Selection,
        runner: Runner | None = None) -> Outcome:
    """Apply the selected fixes in memory until none is left (or :data:`MAX_ROUNDS`)."""
    lint = runner or run
    options = replace(options, fixes=True)
    formats = registry.formats if len(registry.formats) else load_formats()
    texts: dict[str, str] = {}  # path -> fixed text (overlaid on the file for the next round)
    originals: dict[str, Original] = {}
    outcome = Outcome(Report())
    settled: set[tuple[str, ...]] = set()  # findings whose fix was applied or refused: not tried again
    for _ in range(MAX_ROUNDS + 1):
        with overlay(texts):
            outcome.report = lint(paths, options, registry)
            picks = chosen([f for f in outcome.report.findings if _key(f) not in settled], selection)
            applied = len(outcome.applied)
            changed = _apply_round(picks, texts, originals, formats, outcome) if picks else False
            # applied or refused now; a fix left for the next round (it clashed with another) is not settled
            settled.update(_key(f) for f in outcome.applied[applied:])
            settled.update(_key(f) for f in outcome.refused)
        if not changed:
            break
    fixed = {_key(f) for f in outcome.applied}
    for finding in outcome.report.findings:
        if _key(finding) in fixed and selection.wants(finding):
            outcome.problems.append(f"{finding.path}:{finding.line}: {finding.rule}: the fix was applied but the "
                                    "finding is still reported")
    outcome.hidden = sum(1 for f in outcome.report.findings if selection.hidden(f))
    outcome.changed = {path: (originals[path], text) for path, text in texts.items() if text != originals[path].text}
    return outcome


def _key(finding: LocatedFinding) -> tuple[str, ...]:
    return (finding.rule, finding.resource, finding.identity, finding.path, finding.message)


def _apply_round(picks: list[tuple[LocatedFinding, Fix]], texts: dict[str, str], originals: dict[str, Original],
                 formats: FormatRegistry, outcome: Outcome) -> bool:
    """Apply one round's fixes to ``texts``; whether anything changed."""
    base: dict[str, str] = {}
    good: list[tuple[LocatedFinding, Fix]] = []
    for finding, found in picks:
        trial = _trial(found, base, originals, outcome)
        problem = None if trial is None else _unparsable(trial, formats)
        if trial is None:
            outcome.refused.append(finding)
            continue
        if problem is not None:
            outcome.problems.append(f"{finding.path}:{finding.line}: {finding.rule}: the fix was not applied: {problem}")
            outcome.refused.append(finding)
            continue
        good.append((finding, found))
    by_file: dict[str, list] = {}
    for _, found in good:
        for item in found.edits:
            by_file.setdefault(item.path, []).append(item)
    result = {path: apply(base[path], edits) for path, edits in by_file.items()}
    problem = _unparsable(result, formats)
    if problem is not None and len(good) > 1:  # each alone parses, together not: one now, the rest next round
        good = good[:1]
        result = {path: apply(base[path], [e for e in good[0][1].edits if e.path == path]) for path in {
            e.path for e in good[0][1].edits}}
    elif problem is not None:
        outcome.refused.append(good[0][0])
        outcome.problems.append(f"{good[0][0].path}:{good[0][0].line}: {good[0][0].rule}: the fix was not applied: {problem}")
        return False
    texts.update(result)
    outcome.applied += [finding for finding, _ in good]
    return bool(result)


def _trial(found: Fix, base: dict[str, str], originals: dict[str, Original], outcome: Outcome) -> dict[str, str] | None:
    """The texts of the files ``found`` edits with it applied alone (None: a file that
    cannot be written back)."""
    trial = {}
    for path in sorted({e.path for e in found.edits}):
        if path not in originals:
            kept, problem = original(path)
            if kept is None:
                outcome.problems.append(f"{path}: cannot fix: {problem}")
                return None
            originals[path] = kept
        if path not in base:
            text = current_text(path)
            if text is None:
                return None
            base[path] = text
        trial[path] = apply(base[path], [e for e in found.edits if e.path == path])
    return trial


def _unparsable(texts: dict[str, str], formats: FormatRegistry) -> str | None:
    for path, text in texts.items():
        syntax = formats.syntax_for(path)
        if syntax is None:
            continue
        try:
            tree_of(syntax.name, text, path)
        except (ValueError, RecursionError) as exc:
            return f"it would leave {path} unparsable ({exc})"
    return None


def patch(changed: dict[str, tuple[Original, str]]) -> str:
    """The unified diff of every changed file (``git apply`` reads it), each with its byte
    order mark as written."""
    from iamlint.fixes.diff import unified

    return "".join(unified(path, kept.mark.decode(kept.codec, "replace") + kept.text,
                           kept.mark.decode(kept.codec, "replace") + text)
                   for path, (kept, text) in sorted(changed.items()))


def write(changed: dict[str, tuple[Original, str]]) -> list[str]:
    """Write each fixed text over its file, atomically; problems (the file changed on
    disk meanwhile, cannot be written)."""
    problems = []
    for path, (kept, text) in sorted(changed.items()):
        target = os.path.realpath(path)  # a symlink stays a symlink
        try:
            with open(target, "rb") as handle:
                if handle.read() != kept.data:
                    problems.append(f"{path}: not written: it changed on disk while iamlint was fixing it")
                    continue
            mode = stat.S_IMODE(os.stat(target).st_mode)
            fd, temporary = tempfile.mkstemp(dir=os.path.dirname(target) or ".", prefix=".iamlint-fix-")
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(kept.encode(text))
                os.chmod(temporary, mode)
                os.replace(temporary, target)
            except BaseException:
                os.unlink(temporary)
                raise
        except OSError as exc:
            problems.append(f"{path}: not written: {exc.strerror or exc}")
    return problems
