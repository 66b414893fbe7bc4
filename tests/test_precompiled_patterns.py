"""Precompiled regular expressions (iamlint/precompiled/, issue 17 item 3): every pattern
the table puts in ``re``'s cache is exactly what compiling it builds, the table holds
iamlint's own constant patterns, and nothing is put there when the table does not fit
the running Python."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from importlib import import_module
from pathlib import Path
from types import SimpleNamespace

import pytest

import iamlint.precompiled as precompiled

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import gen_regex_table as gen  # noqa: E402

VERSION = f"{sys.version_info[0]}.{sys.version_info[1]}"
try:
    TABLE = import_module(precompiled.patterns_module())
except ImportError:
    TABLE = None
needs_table = pytest.mark.skipif(
    TABLE is None, reason=f"no pattern table for Python {VERSION} (tools/gen_regex_table.py writes one when run under it)")


def _same(a: re.Pattern, b: re.Pattern) -> bool:
    # Pattern equality compares the pattern text, the flags and the compiled code
    return a == b and a.flags == b.flags and a.groups == b.groups and dict(a.groupindex) == dict(b.groupindex)


@needs_table
def test_every_entry_builds_what_compiling_builds():
    from re import _compiler  # type: ignore[attr-defined]

    assert TABLE is not None
    for entry in TABLE.PATTERNS:
        pattern, flags = entry[0], entry[1]
        assert _same(precompiled.built(entry), _compiler.compile(pattern, flags)), pattern


@needs_table
def test_a_fresh_interpreter_compiles_no_table_pattern():
    """After ``import iamlint`` every table pattern is served from the cache: the parser
    of ``re`` never runs for them (it is wrapped before the import)."""
    script = r"""
import json, re, re._compiler as c
compiled = []
real = c.compile
c.compile = lambda p, flags=0: (compiled.append(p), real(p, flags))[1]
import iamlint, iamlint.precompiled as p, importlib
table = importlib.import_module(p.patterns_module())
for pattern, flags, *_ in table.PATTERNS:
    re.compile(pattern, flags)
print(json.dumps([len(table.PATTERNS), [x for x in compiled if isinstance(x, str)]]))
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert done.returncode == 0, done.stderr
    total, compiled = json.loads(done.stdout)
    assert total > 50
    held = {entry[0] for entry in TABLE.PATTERNS}  # type: ignore[union-attr]
    assert not held & set(compiled)


@needs_table
def test_the_table_holds_iamlints_patterns():
    found = gen.collect()
    assert any(where.startswith("iamlint.") for _, _, where in found)  # the collection did run
    missing = gen.missing_own(found, gen.table_path())
    assert not missing, f"run tools/gen_regex_table.py: {len(missing)} patterns missing, e.g. {missing[0][0]!r}"


def _table(**changes) -> SimpleNamespace:
    import _sre

    base = dict(VERSION=tuple(sys.version_info[:2]), MAGIC=_sre.MAGIC, CODESIZE=_sre.CODESIZE,
                PATTERNS=(gen.entry("iamlint-test-(?P<x>a+)b", re.IGNORECASE) + ("tests",),))
    base.update(changes)
    return SimpleNamespace(**base)


@pytest.mark.parametrize("changes, installed", [
    ({}, 1),
    ({"MAGIC": 1}, 0),  # another regular expression engine
    ({"CODESIZE": 99}, 0),
    ({"VERSION": (3, 0)}, 0),
])
def test_install_only_with_a_table_of_this_python(monkeypatch, changes, installed):
    key = (str, "iamlint-test-(?P<x>a+)b", int(re.IGNORECASE))
    monkeypatch.setattr(re, "_cache", {})  # this test's own cache (the suite fills re's)
    monkeypatch.setattr(precompiled, "import_module", lambda name: _table(**changes))
    assert precompiled.install_patterns() == installed
    assert (key in re._cache) == bool(installed)  # type: ignore[attr-defined]
    seeded = re._cache.get(key)  # type: ignore[attr-defined]
    pattern = re.compile("iamlint-test-(?P<x>a+)b", re.IGNORECASE)
    assert pattern.fullmatch("IAMLINT-TEST-AAB").group("x") == "AA"
    if installed:
        assert pattern is seeded  # served from the table


def test_no_table_installs_nothing(monkeypatch):
    def missing(name: str):
        raise ImportError(name)

    monkeypatch.setattr(precompiled, "import_module", missing)
    assert precompiled.install_patterns() == 0


def test_a_full_cache_is_left_alone(monkeypatch):
    monkeypatch.setattr(precompiled, "import_module", lambda name: _table())
    monkeypatch.setattr(re, "_cache", {(str, "x", 0): re.compile("x")})
    monkeypatch.setattr(re, "_MAXCACHE", 1)
    assert precompiled.install_patterns() == 0


# -- dataclasses without inspect --------------------------------------------------------------

def test_dataclasses_works_with_inspect_deferred():
    """iamlint imports dataclasses with ``inspect`` and ``copy`` deferred: a fresh
    interpreter that imports iamlint's records has neither, and dataclasses still uses
    them when asked (a class without a docstring, asdict)."""
    script = r"""
import json, sys
import iamlint.model.graph, iamlint.model.findings
before = ["inspect" in sys.modules, "copy" in sys.modules]
import dataclasses
@dataclasses.dataclass
class Point:
    x: int
    y: list
doc = Point.__doc__
copied = dataclasses.asdict(Point(1, [2]))
print(json.dumps([before, doc, copied, "inspect" in sys.modules]))
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert done.returncode == 0, done.stderr
    before, doc, copied, after = json.loads(done.stdout)
    # (Python 3.12's dataclasses calls inspect.get_annotations for every class: only copy waits there)
    assert before == [sys.version_info >= (3, 12), False]
    assert doc == "Point(x: int, y: list)"  # inspect.signature, imported on first use
    assert copied == {"x": 1, "y": [2]}
    assert after  # the real module, for every later importer


def test_a_deferred_module_becomes_the_real_one():
    stand_in = precompiled._Deferred("json")
    assert stand_in.dumps([1]) == "[1]"
    assert stand_in.loads is json.loads
