"""The bodies of iamlint's commands, without click: ``check`` (:mod:`iamlint.commands.check`)
runs the same whether its command line was parsed by click (:mod:`iamlint.cli`) or by the
fast parser of one-shot runs (:mod:`iamlint.commands.argv`, driven by the generated table
:mod:`iamlint.commands.check_options`)."""

from __future__ import annotations

from types import ModuleType


def import_frozen(name: str) -> ModuleType:
    """Import module ``name`` with the cyclic collector off, then freeze what the import
    created out of its sight (start-up: importing a command allocates ~100,000 long-lived
    objects -- modules, classes, functions -- over which the collector ran ~40 times,
    5-10 ms, finding no garbage). :func:`iamlint.commands.check.batch_gc` sets a run's
    thresholds at the start of ``check``."""
    import gc
    from importlib import import_module

    gc.disable()
    try:
        return import_module(name)
    finally:
        gc.freeze()
        gc.enable()
