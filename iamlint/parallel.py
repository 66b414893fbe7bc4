"""Load many units at once: content-hash cache first, then a process pool for the rest.

:func:`load_units` yields ``(unit, result, crash)`` in the order of ``units`` whatever
the number of processes, so a parallel run reports exactly what a serial run reports
(tests/test_parallel.py compares them). ``crash`` is the ``repr`` of an exception the
loader raised on that unit (the engine turns it into a located error), else None.

The pool is used only when it pays: at least :data:`MIN_UNITS` units to load (cache
misses) and more than one job. Workers are forked after the parent has loaded the
parser tables, so no worker rebuilds or re-reads them; each worker stores the entries
it computes in the cache and sends the pickled result back once.
"""

from __future__ import annotations

import os
import pickle
from typing import Any, Callable, Iterator

from iamlint.cache import UnitCache
from iamlint.sources import overlaid

MIN_UNITS = 8

Loaded = tuple[Any, Any, "str | None"]
Load = Callable[[Any, Any], Any]
"""The engine's loader, ``load(unit, options) -> UnitResult | None`` (it may raise)."""


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def resolve_jobs(jobs: int | None) -> int:
    if jobs is None or jobs <= 0:
        return default_jobs()
    return jobs


def unit_options(options: Any, unit: Any) -> Any:
    """The options a unit is loaded with (its configuration file applied): the cache key."""
    for_unit = getattr(options, "for_unit", None)
    return for_unit(unit) if for_unit is not None else options


def cached(cache: UnitCache, unit: Any, options: Any) -> Any:
    return cache.get(unit, unit_options(options, unit)) if cache.enabled else None


def load_one(unit: Any, options: Any, cache: UnitCache, load: Load) -> tuple[Any, str | None, bytes | None]:
    """Load one unit (cache miss path): (result, crash, pickled result or None)."""
    resolved = unit_options(options, unit)  # the cache key; load_unit resolves them itself
    before = cache.digests(unit, resolved) if cache.enabled else None
    try:
        result = load(unit, options)
    except Exception as exc:  # a crash on one unit never stops the others
        return None, repr(exc), None
    payload = None
    if result is not None and cache.enabled:
        try:
            payload = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:
            payload = None
        if payload is not None:
            cache.put(unit, resolved, result, before=before, payload=payload)
    return result, None, payload


def load_units(units: list[Any], options: Any, cache: UnitCache | None, jobs: int | None, load: Load) -> Iterator[Loaded]:
    """``(unit, result, crash)`` for every unit, in order, loading cache misses with
    ``load`` (the engine passes its loader: this module never imports the engine)."""
    if cache is None:
        cache = UnitCache(enabled=getattr(options, "cache", True))
    jobs = resolve_jobs(jobs if jobs is not None else getattr(options, "jobs", None))
    if jobs <= 1 or len(units) < MIN_UNITS or _overlaid(units):
        yield from _serial(units, options, cache, load)
        return
    hits: dict[int, Any] = {}
    pending: list[int] = []
    for index, unit in enumerate(units):
        result = cached(cache, unit, options)
        if result is None:
            pending.append(index)
        else:
            hits[index] = result
    if len(pending) < MIN_UNITS:
        for index, unit in enumerate(units):
            if index in hits:
                yield unit, hits.pop(index), None
            else:
                result, crash, _ = load_one(unit, options, cache, load)
                yield unit, result, crash
        return
    yield from _pooled(units, options, cache, min(jobs, len(pending)), hits, pending, load)


def _overlaid(units: list[Any]) -> bool:
    """Unsaved editor buffers stand in for some files: keep the work in this process."""
    return any(overlaid(path) for unit in units for path, _ in unit.files)


def _serial(units: list[Any], options: Any, cache: UnitCache, load: Load) -> Iterator[Loaded]:
    for unit in units:
        result = cached(cache, unit, options)
        if result is not None:
            yield unit, result, None
            continue
        result, crash, _ = load_one(unit, options, cache, load)
        yield unit, result, crash


# -- process pool ----------------------------------------------------------------------

_WORKER: dict[str, Any] = {}


def _init_worker(options: Any, cache_dir: str, cache_enabled: bool, limit: int, load: Load) -> None:
    _WORKER["options"] = options
    _WORKER["load"] = load
    _WORKER["cache"] = UnitCache(cache_dir, enabled=cache_enabled, limit=limit)


def _work(unit: Any) -> tuple[str | None, bytes | None]:
    cache = _WORKER["cache"]
    result, crash, payload = load_one(unit, _WORKER["options"], cache, _WORKER["load"])
    if crash is not None:
        return crash, None
    if payload is None:
        try:
            payload = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc:  # a result that cannot travel back is this unit's error only
            return f"cannot send the result between processes: {exc!r}", None
    return None, payload


def _warm_up(units: list[Any]) -> None:
    """Load what every worker needs once, in the parent, before forking (each format
    present imports its normaliser and builds its parser)."""
    formats = {unit.format.name: unit.format for unit in units if unit.format is not None}
    for fmt in formats.values():
        try:
            fmt.warm_up()
        except Exception:  # the workers will report whatever fails
            pass


def _pooled(
    units: list[Any], options: Any, cache: UnitCache, jobs: int, hits: dict[int, Any], pending: list[int], load: Load,
) -> Iterator[Loaded]:
    import multiprocessing  # start-up: ~25 ms, needed only when a pool is used

    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    _warm_up([units[i] for i in pending])
    chunk = max(1, min(16, len(pending) // (jobs * 4)))
    initargs = (options, str(cache.directory), cache.enabled, cache.limit, load)
    with context.Pool(jobs, initializer=_init_worker, initargs=initargs) as pool:
        loaded = pool.imap(_work, [units[i] for i in pending], chunksize=chunk)
        next_pending = iter(pending)
        upcoming = next(next_pending, None)
        for index, unit in enumerate(units):
            if index in hits:
                yield unit, hits.pop(index), None
                continue
            assert index == upcoming
            upcoming = next(next_pending, None)
            crash, payload = next(loaded)
            if crash is not None:
                yield unit, None, crash
                continue
            cache.writes += 1  # the worker wrote it: prune at the end of the run
            try:
                result = pickle.loads(payload)  # type: ignore[arg-type]  # no crash: a payload
            except Exception as exc:
                yield unit, None, f"cannot read the result of a worker process: {exc!r}"
                continue
            yield unit, result, None
