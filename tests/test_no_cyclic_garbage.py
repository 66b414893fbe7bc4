"""What a unit allocates is freed by reference counting, never left to the cyclic garbage
collector (docs/architecture.md, Speed: "No cyclic garbage per unit"): each pass of the
collector examines every object that survived to it, so a unit's parse tree, evaluators
or graph kept alive by a reference cycle made whole runs slower (a third of the
collector's time on ../shared/corpus).

Each test runs the pipeline once to warm up (imports, memoised knowledge), then again with
the collector off, and asks the collector which iamlint objects it would have had to free."""

from __future__ import annotations

import gc
from collections import Counter
from pathlib import Path

import pytest

from iamlint import engine
from iamlint.options import Options

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def _cyclic_garbage(paths: list[str]) -> Counter[str]:
    """iamlint objects found only by the cyclic collector after a run over ``paths``."""
    options = Options(cache=False, jobs=1)
    engine.run(paths, options)
    gc.collect()
    enabled = gc.isenabled()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        engine.run(paths, options)
        gc.collect()
        found = Counter(type(o).__qualname__ for o in gc.garbage
                        if not isinstance(o, type) and type(o).__module__.startswith("iamlint"))
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        if enabled:
            gc.enable()
    return found


@pytest.mark.parametrize("folder", [
    "terraform-depth/modules_twice",  # a root calling a child module twice: module instances both ways
    "terraform-depth/module_errors",
    "rules/privilege-escalation",  # the permission analyses memoised in graph.memo
])
def test_terraform_units_leave_no_cyclic_garbage(folder: str) -> None:
    path = FIXTURES / folder
    assert path.is_dir(), path
    assert _cyclic_garbage([str(path)]) == Counter()


@pytest.mark.parametrize("template", ["cloudformation/insecure_policies.yaml", "cloudformation/unresolved.yaml"])
def test_cloudformation_templates_leave_no_cyclic_garbage(template: str) -> None:
    path = FIXTURES / template
    assert path.is_file(), path
    assert _cyclic_garbage([str(path)]) == Counter()


def test_the_check_finds_a_cycle() -> None:
    """The check itself can fail: a graph whose memo refers back to it is found."""
    from iamlint.model.graph import Graph

    def make_cycle() -> None:
        graph = Graph()
        graph.memo["self"] = [graph]

    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        make_cycle()
        gc.collect()
        found = Counter(type(o).__qualname__ for o in gc.garbage if type(o).__module__.startswith("iamlint"))
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert found["Graph"] == 1
