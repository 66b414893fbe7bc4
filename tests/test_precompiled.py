"""Precompiled records (iamlint/precompiled/, issue 17 item 3): every factory of the table
is exactly what ``exec`` of dataclasses' text builds, every record the replay makes is the
class dataclasses makes, the table is current, and a class it does not hold (or holds with
another signature) is made by dataclasses itself."""

from __future__ import annotations

import builtins
import dataclasses
import json
import os
import re
import subprocess
import sys
from importlib import import_module
from pathlib import Path
from types import CodeType, FunctionType, ModuleType
from typing import Any

import pytest

import iamlint.precompiled as precompiled

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import gen_dataclass_methods as gen  # noqa: E402

VERSION = f"{sys.version_info[0]}.{sys.version_info[1]}"
try:
    TABLE: Any = import_module(precompiled.table_module())
except ImportError:
    TABLE = None
# of dataclasses' own code (importing iamlint may have put the replay's _process_class in it since)
CHECKSUM = precompiled.checksum if precompiled.checksum is not None else precompiled.dataclasses_fingerprint(dataclasses)
SERVED = TABLE is not None and CHECKSUM in getattr(TABLE, "DATACLASSES", ())
# the replay serves only the dataclasses the table accepts (test_the_table_serves_what_it_accepts
# fails if it does not); another patch release's makes every record itself
needs_table = pytest.mark.skipif(
    not SERVED, reason=f"no table for Python {VERSION}'s dataclasses (checksum {CHECKSUM}; "
                       "tools/gen_dataclass_methods.py writes one, its ACCEPTED lists the others it serves)")


def test_the_table_serves_what_it_accepts():
    """Never skipped: where the table accepts this dataclasses, importing iamlint installed
    the replay; anywhere else it did not."""
    installed = vars(dataclasses)["_process_class"].__module__ == "iamlint.precompiled"
    assert installed == SERVED
    if TABLE is not None and TABLE.RECORDS:
        assert set(gen.ACCEPTED) <= TABLE.DATACLASSES  # every checksum the generator accepts is in the table
        # a dataclasses the tests were run under is served: the comparisons below cannot all skip there
        assert SERVED or CHECKSUM not in gen.ACCEPTED


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
def test_every_factory_builds_what_exec_builds():
    """Each record's factories, as the replay calls them, against ``exec`` of the text
    dataclasses writes for that method today (collected afresh)."""
    module = {"__name__": "iamlint.model.example", "__builtins__": builtins}
    collected = {(owner, qualname): methods for owner, qualname, _, methods in gen.collect().records}
    assert len(TABLE.RECORDS) > 90 and collected.keys() == TABLE.RECORDS.keys()
    for key, (_, methods) in TABLE.RECORDS.items():
        assert methods.keys() == collected[key].keys(), key
        for name, code in methods.items():
            text = collected[key][name]
            real_ns: dict[str, Any] = {}
            # compiled as dataclasses' exec compiles it: without this file's `from __future__ import annotations`
            exec(compile(text, "<string>", "exec", dont_inherit=True), module, real_ns)
            ours = FunctionType(as_exec_would(code), module)
            real = real_ns["__create_fn__"]
            assert _function(ours) == _function(real), text
            params = real.__code__.co_varnames[:real.__code__.co_argcount]
            arguments = {name: object() for name in params}  # the same objects to both: closures compared by identity
            assert _function(ours(**arguments)) == _function(real(**arguments)), text


def as_exec_would(code: CodeType) -> CodeType:
    """A factory's code from the table as ``exec`` of its text compiles it: file
    ``<string>``, lines counted from 1 (its method's code too): the only difference."""
    shift = code.co_firstlineno - 1
    consts = tuple(const.replace(co_filename="<string>", co_firstlineno=const.co_firstlineno - shift)
                   if type(const) is CodeType else const for const in code.co_consts)
    return code.replace(co_filename="<string>", co_firstlineno=1, co_consts=consts)


def _define(monkeypatch: pytest.MonkeyPatch, module_name: str, source: str) -> dict[str, Any]:
    module = ModuleType(module_name)
    monkeypatch.setitem(sys.modules, module.__name__, module)
    namespace = vars(module)
    namespace["dataclass"] = dataclasses.dataclass
    exec(compile(source, "changed.py", "exec", dont_inherit=True), namespace)  # annotations evaluated (no future import)
    return namespace


@needs_table
def test_a_record_the_table_does_not_know_is_made_by_dataclasses(monkeypatch):
    """A class changed since the table was written: dataclasses makes it, same semantics."""
    assert vars(dataclasses)["_process_class"].__module__ == "iamlint.precompiled"  # installed (by importing iamlint)
    replayed = len(precompiled.replayed)
    source = ('@dataclass(frozen=True, slots=True)\nclass Changed:\n    """A record."""\n'
              "    never_seen_before_field: int\n    other: str = 'x'\n")
    changed = _define(monkeypatch, "iamlint.model.changed", source)["Changed"]
    assert changed.__init__.__annotations__ == {"never_seen_before_field": int, "other": str, "return": None}
    assert precompiled.missed[-1:] == ["iamlint.model.changed"] and len(precompiled.replayed) == replayed
    record = changed(1)
    assert (record, repr(record), hash(record)) == (changed(1, "x"), "Changed(never_seen_before_field=1, other='x')",
                                                    hash((1, "x")))
    with pytest.raises(dataclasses.FrozenInstanceError):
        record.other = "y"
    assert [f.name for f in dataclasses.fields(changed)] == ["never_seen_before_field", "other"]


@needs_table
def test_a_known_record_with_another_signature_is_made_by_dataclasses(monkeypatch):
    """The table's (module, name), but a field more, or the same fields with another
    decorator flag or default: dataclasses makes it; only the recorded shape is replayed."""
    (module_name, qualname), _entry = next(
        (key, entry) for key, entry in TABLE.RECORDS.items() if "." not in key[1] and entry[0][0][5] and entry[0][0][8])
    replayed = len(precompiled.replayed)
    source = f'@dataclass(frozen=True, slots=True)\nclass {qualname}:\n    """A record."""\n    extra_field_never_recorded: int\n'
    made = _define(monkeypatch, module_name, source)[qualname]
    assert len(precompiled.replayed) == replayed and precompiled.missed[-1:] == [module_name]
    assert made(3).extra_field_never_recorded == 3 and [f.name for f in dataclasses.fields(made)] == ["extra_field_never_recorded"]


def test_a_table_for_other_dataclasses_code_serves_nothing(monkeypatch):
    """Written against another patch release's dataclasses (another fingerprint), or
    without RECORDS: not installed."""
    namespace = dict(vars(dataclasses))
    table = ModuleType("iamlint.precompiled.py399")
    table.RECORDS = {("iamlint.x", "X"): ((), {})}  # type: ignore[attr-defined]
    table.DATACLASSES = frozenset({precompiled.dataclasses_fingerprint(dataclasses) ^ 1})  # type: ignore[attr-defined]
    assert precompiled.serve_records(vars(dataclasses), table) is False
    table.DATACLASSES = frozenset({precompiled.dataclasses_fingerprint(dataclasses)})  # type: ignore[attr-defined]
    assert precompiled.serve_records(namespace, table) is False  # not dataclasses' own namespace
    del table.RECORDS  # type: ignore[attr-defined]
    assert precompiled.serve_records(vars(dataclasses), table) is False
    # a dataclasses without a function the replay mirrors (Python 3.13's): never, whatever the table says
    table.RECORDS = {("iamlint.x", "X"): ((), {})}  # type: ignore[attr-defined]
    table.DATACLASSES = frozenset({0})  # type: ignore[attr-defined]
    monkeypatch.setattr(precompiled, "dataclasses_fingerprint", lambda module: 0)
    assert precompiled.serve_records(vars(dataclasses), table) is False


def test_the_fingerprint_follows_the_code_it_covers():
    """A checksum of the mirrored functions' code: the same for the same code, another
    when one changes, 0 when one is missing (Python 3.13's dataclasses has no _create_fn:
    nothing is served there)."""
    fake = ModuleType("dataclasses")
    for name in precompiled._MIRRORED:
        exec(f"def {name}(a, b=1):\n    return a + b\n", vars(fake))
    fingerprint = precompiled.dataclasses_fingerprint(fake)
    assert fingerprint and fingerprint == precompiled.dataclasses_fingerprint(fake)
    exec("def _tuple_str(obj_name, fields):\n    return '()'\n", vars(fake))
    assert precompiled.dataclasses_fingerprint(fake) not in (0, fingerprint)
    del fake._add_slots  # type: ignore[attr-defined]
    assert precompiled.dataclasses_fingerprint(fake) == 0
    real = precompiled.dataclasses_fingerprint(dataclasses)
    assert (real == 0) == any(not hasattr(dataclasses, name) for name in precompiled._MIRRORED)


# -- in fresh interpreters --

# Describes every dataclass of every iamlint module: its methods (code, names, defaults,
# annotations, what their closures hold), fields and flags. Addresses are dropped.
DESCRIBE = r"""
import dataclasses, importlib, json, pkgutil, re, sys
from types import CodeType
if sys.argv[1] == "exec":
    import builtins
    vars(dataclasses)["exec"] = lambda source, globals, locals: builtins.exec(source, globals, locals)  # table off
import iamlint, iamlint.precompiled
modules = [m.name for m in pkgutil.walk_packages(iamlint.__path__, "iamlint.") if m.name != "iamlint.__main__"]
def text(value):
    return re.sub(r" at 0x[0-9a-f]+", "", repr(value))
def code(c):
    # all but co_filename and co_firstlineno: a replayed record's method says where its text is in the table
    fields = [getattr(c, n) for n in ("co_argcount", "co_kwonlyargcount", "co_flags", "co_names", "co_varnames",
                                      "co_freevars", "co_cellvars", "co_name", "co_qualname")]
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
        # a record: a class made by @dataclass (not a plain subclass of one: registry.DeferredRule)
        if isinstance(value, type) and "__dataclass_fields__" in vars(value) and value.__module__ == name:
            methods = {m: function(vars(value)[m]) for m in sorted(vars(value)) if m.startswith("__")
                       and hasattr(vars(value)[m], "__code__")
                       and vars(value)[m].__code__.co_qualname.startswith("__create_fn__.<locals>.")}
            described[f"{name}.{attribute}"] = {
                "methods": methods, "fields": [text(f) for f in dataclasses.fields(value)],
                "params": text(value.__dataclass_params__), "slots": text(getattr(value, "__slots__", None)),
                "hash": text(value.__hash__), "doc": value.__doc__, "match": text(getattr(value, "__match_args__", None)),
                "mro": [base.__qualname__ for base in value.__mro__], "qualname": value.__qualname__,
                "attributes": [[key, text(item)] for key, item in vars(value).items()],  # in the order they were set
                "kinds": [text(f._field_type) for f in dataclasses.fields(value)]}
replayed = len(iamlint.precompiled.replayed) if hasattr(iamlint.precompiled, "replayed") else 0
print(json.dumps({"records": described, "replayed": replayed}, sort_keys=True))
"""


def _describe(mode: str) -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-c", DESCRIBE, mode], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    described: dict[str, Any] = json.loads(done.stdout)
    return described


@needs_table
def test_every_record_is_the_same_with_and_without_the_table():
    """Served from the table (every record made by ``replay`` where RECORDS has it, its
    methods from the precompiled factories) or made by dataclasses itself, compiling its
    texts: the same classes, attribute for attribute, in the same order."""
    table, compiled = _describe("table"), _describe("exec")
    served, compiled = table["records"], compiled["records"]
    assert len(served) > 90 and sum(len(c["methods"]) for c in served.values()) > 300  # it did look at the records
    if getattr(import_module(precompiled.table_module()), "RECORDS", None):
        assert table["replayed"] == len(served)  # every record made by replay
    assert served.keys() == compiled.keys()
    for name in served:
        assert served[name] == compiled[name], name


# The modules whose dataclass methods the table did not hold (the one-file and one-template paths).
MISSES = r"""
import json
import dataclasses, iamlint, iamlint.cli, iamlint.engine, iamlint.normalize.terraform.root, iamlint.normalize.cloudformation
import iamlint.model.graph, iamlint.precompiled
served = len([c for c in vars(iamlint.model.graph).values() if isinstance(c, type) and dataclasses.is_dataclass(c)])
installed = vars(dataclasses)["_process_class"].__module__ == "iamlint.precompiled"
print(json.dumps({"installed": installed, "missed": iamlint.precompiled.missed, "graph": served,
                  "replayed": len(iamlint.precompiled.replayed)}))
"""


@needs_table
def test_the_one_file_path_replays_every_record():
    done = subprocess.run([sys.executable, "-c", MISSES], capture_output=True, text=True, timeout=120, cwd=ROOT,
                          env=dict(os.environ))
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout)
    assert report["installed"] and report["graph"] > 10 and report["replayed"] > 50
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
        assert source.count("def __create_fn__(") > 100 and "RECORDS = {" in source


def test_every_record_has_a_docstring():
    """dataclasses writes the missing docstring of a class from ``inspect.signature`` (~0.15 ms
    a class at start-up); a record says what it is instead."""
    done = subprocess.run([sys.executable, "-c", DESCRIBE, "table"], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    described = json.loads(done.stdout)["records"]
    generated = [name for name, record in described.items() if (record["doc"] or "").startswith(name.rsplit(".", 1)[1] + "(")]
    assert len(described) > 90 and generated == []
