"""What iamlint defers at start-up (issue 17 item 3) behaves as the undeferred original:
pathlib without urllib.parse until ``Path.as_uri``, and the field annotations of
iamlint's NamedTuple records kept as text until evaluated (iamlint/precompiled)."""

from __future__ import annotations

import json
import subprocess
import sys
import typing
from pathlib import Path
from types import CodeType, ModuleType
from typing import NamedTuple

import iamlint.precompiled as precompiled
from iamlint.model.fixes import Edit, Fix

ROOT = Path(__file__).resolve().parent.parent


def _fresh(script: str, *args: str, site: bool = True) -> str:
    """Run ``script`` in a fresh interpreter (``-S``: without site, whose editable-install
    finder imports pathlib and urllib.parse itself) with this checkout first on its path."""
    command = [sys.executable, *([] if site else ["-S"]), "-c", f"import sys; sys.path.insert(0, {str(ROOT)!r})\n{script}", *args]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_pathlib_comes_without_urllib_parse_until_as_uri():
    report = json.loads(_fresh(
        "import json, iamlint, pathlib\n"
        "before = [m for m in ('pathlib', 'urllib.parse', 'ipaddress') if m in sys.modules]\n"
        "uri = pathlib.Path('/a b/c%d').as_uri()\n"
        "from urllib.parse import quote_from_bytes\n"
        "print(json.dumps({'before': before, 'uri': uri, 'after': 'urllib.parse' in sys.modules,\n"
        "                  'real': sys.modules['urllib.parse'].quote_from_bytes is quote_from_bytes}))", site=False))
    assert report == {"before": ["pathlib"], "uri": "file:///a%20b/c%25d", "after": True, "real": True}


def test_a_stand_in_hands_out_only_its_functions():
    stand_in = precompiled._Deferred("json", frozenset({"dumps"}))
    dumps = stand_in.dumps
    assert dumps is not json.dumps and dumps([1]) == "[1]" and dumps.__name__ == "dumps"
    assert not hasattr(stand_in, "__path__")  # `from module import name` asks; it is no package
    assert stand_in.loads("[2]") == [2]  # anything else: the real module's


def test_an_iamlint_record_keeps_its_annotations_as_text_until_evaluated():
    edits = Fix.__annotations__["edits"]
    assert isinstance(edits, typing.ForwardRef) and edits.__forward_code__ == "tuple[Edit, ...]"
    assert typing.get_type_hints(Fix)["edits"] == tuple[Edit, ...]


def test_other_annotations_are_compiled_as_usual(monkeypatch):
    module = ModuleType("elsewhere")
    monkeypatch.setitem(sys.modules, module.__name__, module)
    exec("from __future__ import annotations\nfrom typing import NamedTuple\n"
         "class Pair(NamedTuple):\n    left: int\n    right: list[str]\n", vars(module))
    assert all(type(ref.__forward_code__) is CodeType for ref in module.Pair.__annotations__.values())
    assert type(typing.ForwardRef("dict[str, int]").__forward_code__) is CodeType

    class Here(NamedTuple):  # this test module: not iamlint's
        value: int

    assert type(Here.__annotations__["value"].__forward_code__) is CodeType


# Every NamedTuple of every iamlint module: its evaluated hints (or the error evaluating them).
HINTS = r"""
import builtins, importlib, json, pkgutil, typing
if sys.argv[1] == "compiled":
    vars(typing)["compile"] = builtins.compile  # someone else's: not installed
import iamlint
hints, deferred = {}, 0
for info in pkgutil.walk_packages(iamlint.__path__, "iamlint."):
    if info.name == "iamlint.__main__":
        continue
    module = importlib.import_module(info.name)
    for name, value in sorted(vars(module).items()):
        if isinstance(value, type) and issubclass(value, tuple) and hasattr(value, "_fields") and value.__module__ == info.name:
            refs = [ref for ref in value.__annotations__.values() if isinstance(ref, typing.ForwardRef)]
            deferred += sum(type(ref.__forward_code__) is str for ref in refs)
            try:
                hints[f"{info.name}.{name}"] = repr(typing.get_type_hints(value))
            except Exception as error:  # a name imported only for type checking
                hints[f"{info.name}.{name}"] = type(error).__name__
print(json.dumps({"hints": hints, "deferred": deferred}))
"""


def test_every_record_evaluates_to_the_same_hints_deferred_or_compiled():
    deferred, compiled = (json.loads(_fresh(HINTS, mode)) for mode in ("deferred", "compiled"))
    assert len(deferred["hints"]) > 15 and deferred["deferred"] > 60 and compiled["deferred"] == 0
    assert deferred["hints"] == compiled["hints"]
