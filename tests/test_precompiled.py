"""Precompiled dataclass methods (iamlint/precompiled/, issue 17 item 3): what the table
serves is exactly what ``exec`` of dataclasses' text builds, the table is current, and a
text it does not hold goes to the real ``exec``."""

from __future__ import annotations

import builtins
import dataclasses
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from types import CodeType, FunctionType, ModuleType
from typing import Any

import pytest

import iamlint.precompiled as precompiled

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import gen_dataclass_methods as gen  # noqa: E402

VERSION = f"{sys.version_info[0]}.{sys.version_info[1]}"
TABLE = precompiled.load_table()
needs_table = pytest.mark.skipif(
    TABLE is None, reason=f"no table for Python {VERSION} (tools/gen_dataclass_methods.py writes one when run under it)")

CODE_FIELDS = ("co_argcount", "co_posonlyargcount", "co_kwonlyargcount", "co_nlocals", "co_stacksize", "co_flags",
               "co_code", "co_names", "co_varnames", "co_freevars", "co_cellvars", "co_filename", "co_name",
               "co_qualname", "co_firstlineno", "co_linetable", "co_exceptiontable")


def _code(code: CodeType) -> tuple[Any, ...]:
    consts = tuple(_code(c) if isinstance(c, CodeType) else (type(c).__name__, repr(c)) for c in code.co_consts)
    return (*(getattr(code, name, None) for name in CODE_FIELDS), consts, list(code.co_lines()), list(code.co_positions()))


def _function(function: FunctionType) -> tuple[Any, ...]:
    """Everything a function is made of, objects it holds by identity."""
    cells = tuple(id(cell.cell_contents) for cell in function.__closure__ or ())
    annotations = {name: id(value) for name, value in function.__annotations__.items()}
    return (_code(function.__code__), function.__name__, function.__qualname__, function.__module__, function.__doc__,
            id(function.__globals__), id(function.__builtins__), function.__defaults__, function.__kwdefaults__,
            cells, annotations, function.__dict__)


@needs_table
def test_every_entry_builds_what_exec_builds():
    module = {"__name__": "iamlint.model.example", "__builtins__": builtins}
    assert TABLE
    for text, _ in TABLE.items():
        real_ns: dict[str, Any] = {}
        # compiled as dataclasses' exec compiles it: without this file's `from __future__ import annotations`
        exec(compile(text, "<string>", "exec", dont_inherit=True), module, real_ns)
        ours = precompiled.precompiled(TABLE, text, module)
        assert ours is not None
        real = real_ns["__create_fn__"]
        assert _function(ours) == _function(real), text
        params = real.__code__.co_varnames[:real.__code__.co_argcount]
        arguments = {name: object() for name in params}  # the same objects to both: closures compared by identity
        assert _function(ours(**arguments)) == _function(real(**arguments)), text


def test_only_iamlint_modules_and_known_texts_are_served():
    table = {"def __create_fn__():\n def f(self):\n  return 1\n return f": compile("def __create_fn__(): pass", "t", "exec")}
    text = next(iter(table))
    ours = {"__name__": "iamlint.x", "__builtins__": builtins}
    assert precompiled.precompiled(table, text, ours) is not None
    assert precompiled.precompiled(table, text, {"__name__": "other", "__builtins__": builtins}) is None
    assert precompiled.precompiled(table, text, {"__name__": "iamlintx", "__builtins__": builtins}) is None
    assert precompiled.precompiled(table, text, {"__name__": "iamlint.x"}) is None  # exec would add __builtins__
    assert precompiled.precompiled(table, text + " ", ours) is None
    assert precompiled.precompiled(table, text.encode(), ours) is None


@needs_table
def test_a_record_the_table_does_not_know_still_gets_its_methods(monkeypatch):
    """A class changed since the table was written: the real exec, same semantics."""
    assert "exec" in vars(dataclasses)  # installed (by importing iamlint)
    module = ModuleType("iamlint.model.changed")
    monkeypatch.setitem(sys.modules, module.__name__, module)
    namespace = vars(module)
    namespace["dataclass"] = dataclasses.dataclass
    source = "@dataclass(frozen=True, slots=True)\nclass Changed:\n    never_seen_before_field: int\n    other: str = 'x'\n"
    exec(compile(source, "changed.py", "exec", dont_inherit=True), namespace)  # annotations evaluated (no future import)
    changed = namespace["Changed"]
    # compiled as dataclasses compiles it (not with iamlint.precompiled's `from __future__ import annotations`)
    assert changed.__init__.__annotations__ == {"never_seen_before_field": int, "other": str, "return": None}
    assert precompiled.missed[-1:] == ["iamlint.model.changed"]
    record = changed(1)
    assert (record, repr(record), hash(record)) == (changed(1, "x"), "Changed(never_seen_before_field=1, other='x')",
                                                    hash((1, "x")))
    with pytest.raises(dataclasses.FrozenInstanceError):
        record.other = "y"
    assert [f.name for f in dataclasses.fields(changed)] == ["never_seen_before_field", "other"]


# -- in fresh interpreters --

# Describes every dataclass of every iamlint module: its methods (code, names, defaults,
# annotations, what their closures hold), fields and flags. Addresses are dropped.
DESCRIBE = r"""
import dataclasses, importlib, json, pkgutil, re, sys
from types import CodeType
if sys.argv[1] == "exec":
    import builtins
    vars(dataclasses)["exec"] = lambda source, globals, locals: builtins.exec(source, globals, locals)  # table off
import iamlint
modules = [m.name for m in pkgutil.walk_packages(iamlint.__path__, "iamlint.") if m.name != "iamlint.__main__"]
def text(value):
    return re.sub(r" at 0x[0-9a-f]+", "", repr(value))
def code(c):
    fields = [getattr(c, n) for n in ("co_argcount", "co_kwonlyargcount", "co_flags", "co_names", "co_varnames",
                                      "co_freevars", "co_cellvars", "co_filename", "co_name", "co_qualname", "co_firstlineno")]
    consts = [code(k) if isinstance(k, CodeType) else text(k) for k in c.co_consts]
    return [text(f) for f in fields] + [c.co_code.hex(), c.co_linetable.hex(), c.co_exceptiontable.hex(), consts]
def function(f):
    f = getattr(f, "__wrapped__", f)
    return [code(f.__code__), f.__name__, f.__qualname__, f.__module__, text(f.__defaults__), text(f.__kwdefaults__),
            text(f.__annotations__), [text(c.cell_contents) for c in f.__closure__ or ()]]
described = {}
for name in modules:
    module = importlib.import_module(name)
    for attribute, value in sorted(vars(module).items()):
        if isinstance(value, type) and dataclasses.is_dataclass(value) and value.__module__ == name:
            methods = {m: function(vars(value)[m]) for m in sorted(vars(value)) if m.startswith("__")
                       and hasattr(vars(value)[m], "__code__") and vars(value)[m].__code__.co_filename == "<string>"}
            described[f"{name}.{attribute}"] = {
                "methods": methods, "fields": [text(f) for f in dataclasses.fields(value)],
                "params": text(value.__dataclass_params__), "slots": text(getattr(value, "__slots__", None)),
                "hash": text(value.__hash__), "doc": value.__doc__, "match": text(getattr(value, "__match_args__", None))}
print(json.dumps(described, sort_keys=True))
"""


def _describe(mode: str) -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-c", DESCRIBE, mode], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    described: dict[str, Any] = json.loads(done.stdout)
    return described


@needs_table
def test_every_record_is_the_same_with_and_without_the_table():
    served, compiled = _describe("table"), _describe("exec")
    assert len(served) > 90 and sum(len(c["methods"]) for c in served.values()) > 300  # it did look at the records
    assert served.keys() == compiled.keys()
    for name in served:
        assert served[name] == compiled[name], name


# The modules whose dataclass methods the table did not hold (the one-file and one-template paths).
MISSES = r"""
import json
import dataclasses, iamlint, iamlint.cli, iamlint.engine, iamlint.normalize.terraform.root, iamlint.normalize.cloudformation
import iamlint.model.graph, iamlint.precompiled
served = len([c for c in vars(iamlint.model.graph).values() if isinstance(c, type) and dataclasses.is_dataclass(c)])
print(json.dumps({"installed": "exec" in vars(dataclasses), "missed": iamlint.precompiled.missed, "graph": served}))
"""


@needs_table
def test_the_one_file_path_compiles_no_dataclass_method():
    done = subprocess.run([sys.executable, "-c", MISSES], capture_output=True, text=True, timeout=120, cwd=ROOT,
                          env=dict(os.environ))
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout)
    assert report["installed"] and report["graph"] > 10
    assert report["missed"] == [], "stale table: run python tools/gen_dataclass_methods.py"


@needs_table
def test_the_table_is_current():
    """Fails when a record changed without `python tools/gen_dataclass_methods.py`."""
    current = gen.table_path().read_text(encoding="utf-8")
    assert gen.render(gen.collect()) == current, "stale table: run python tools/gen_dataclass_methods.py"


def test_the_table_is_plain_python_without_future_imports():
    for path in (ROOT / "iamlint" / "precompiled").glob("py3*.py"):
        source = path.read_text(encoding="utf-8")
        assert not re.search(r"^from __future__", source, re.M), path  # its code must compile as exec compiles the texts
        assert source.count("FACTORIES[") > 100


def test_every_record_has_a_docstring():
    """dataclasses writes the missing docstring of a class from ``inspect.signature`` (~0.15 ms
    a class at start-up); a record says what it is instead."""
    done = subprocess.run([sys.executable, "-c", DESCRIBE, "table"], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    described = json.loads(done.stdout)
    generated = [name for name, record in described.items() if (record["doc"] or "").startswith(name.rsplit(".", 1)[1] + "(")]
    assert len(described) > 90 and generated == []
