"""Load many units at once: content-hash cache first, then a process pool for the rest.

:func:`load_units` yields ``(unit, result, crash)`` in the order of ``units`` whatever
the number of processes, so a parallel run reports exactly what a serial run reports
(tests/test_parallel.py compares them). ``crash`` is the ``repr`` of an exception the
loader raised on that unit (the engine turns it into a located error), else None.

The pool is used only when it pays: more than one job, and at least
:data:`POOL_MIN_BYTES` of source to load (cache misses; file sizes, decided before the
default jobs are probed and before :func:`plan` reads any source). The default number of jobs is
the number of CPUs this process may really use (:func:`usable_cpus`: its CPU affinity
and its cgroup's CPU quota); below :data:`BUSY_POOL_MIN_BYTES`, only those no other
process keeps busy (:func:`default_jobs`).
Work one process would share is not repeated: units that
read the same files (root modules calling the same child module, as examples do) form
one task, loaded by one worker in turn, which parses the shared files once and keeps
them; a task is split only when it alone would hold more than a worker's share.
Workers are forked after the parent has loaded the parsers and the evaluator, so no
worker rebuilds or re-imports them; each worker stores the entries it computes in the
cache and, given the engine's ``check``, runs the rules too (and stores the results
entry) and sends back only the checked record (else the pickled result), once.
"""

from __future__ import annotations

import contextlib
import math
import os
import pickle
import time
from _signal import SIGTERM as _SIGTERM  # type: ignore[import-not-found]  # signal's own constant, without its enums (start-up)
from typing import Any, Callable, Iterable, Iterator, Protocol, Sequence

from iamlint.cache import Keys, UnitCache
from iamlint.sources import overlaid

# Below this much source to load (bytes of the units' own files), one process is faster
# than a pool even on idle CPUs; from BUSY_POOL_MIN_BYTES on, the pool takes every usable
# CPU even when other processes keep them busy (the scheduler shares a CPU between
# runnable processes, so two workers get more of a busy machine than one process does,
# which outweighs the pool's extra work once there is enough of it); in between, only the
# CPUs idle now (:func:`default_jobs`). Measured with benchmarks/bench_speed.py
# --pool-threshold (2-core machine, cold runs in new cache folders, --jobs 1 against a
# forced pool of 2, medians of 7-9 interleaved runs, modules of ~2.8 KB), 2026-12-08:
#   idle CPUs: 2 modules (5.6 KB) 1.03x, 4 (11 KB) 0.95x, 8 (23 KB) 1.00x, 12 (34 KB)
#     0.83x, 16 (45 KB) 0.93x, 24 (68 KB) 0.75x, 32 (91 KB) 0.75x;
#   two processes spinning on the CPUs: 16 modules (45 KB) 0.92x, 24 (68 KB) 0.92x,
#     32 (91 KB) 1.06x, 45 (128 KB) 0.89x, 60 (170 KB) 0.85x, 100 (283 KB) 0.89x; the
#     default jobs at 100 modules 0.85x (7 runs), with one spinning process 0.83x.
# Both thresholds sit at or above the sizes where the pool stops losing: a pool that
# does not pay costs more than one that pays a little late. (The earlier 64 KB was
# derived on a machine with one CPU busy, before the fork pool.)
POOL_MIN_BYTES = 32 * 1024
BUSY_POOL_MIN_BYTES = 128 * 1024

Loaded = tuple[Any, Any, "str | None"]
Load = Callable[[Any, Any], Any]
"""The engine's loader, ``load(unit, options) -> UnitResult | None`` (it may raise)."""
Check = Callable[[Any, Any, Any], bytes]
"""The engine's checker for pool workers, ``check(unit, result, sources) -> pickled record``:
the rules run on a loaded unit, giving what the run needs from it (the engine's
``Checked``), pickled; ``sources`` are the digests of the files the unit read, as the
worker's unit cache recorded them (None: not cached), for the results entry the checker
writes itself. Given to :func:`load_units`, pool workers run it after loading and send back
the record instead of the whole result."""


# -- how many processes ------------------------------------------------------------------

def usable_cpus(cgroup_root: str = "/sys/fs/cgroup", proc_cgroup: str = "/proc/self/cgroup") -> int:
    """CPUs this process may really use: those its affinity allows, capped by its
    cgroup's CPU quota (cgroup v2 ``cpu.max``, v1 ``cpu.cfs_quota_us`` /
    ``cpu.cfs_period_us``; a container limited to 1.5 CPUs on a 16-CPU host gets 2, a
    limit below 1.5 gets 1)."""
    try:
        count = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        count = os.cpu_count() or 1
    quota = cgroup_cpu_quota(cgroup_root, proc_cgroup)
    if quota is not None:
        count = min(count, max(1, int(quota + 0.5)))
    return max(1, count)


def cgroup_cpu_quota(cgroup_root: str = "/sys/fs/cgroup", proc_cgroup: str = "/proc/self/cgroup") -> float | None:
    """The CPU quota (in CPUs) of this process's cgroup and its ancestors, the smallest
    one set; None when none is (or this is not Linux)."""
    try:
        with open(proc_cgroup, encoding="utf-8") as handle:
            entries = [line.rstrip("\n").split(":", 2) for line in handle if line.count(":") >= 2]
    except OSError:
        return None
    quotas: list[float] = []
    for _, controllers, path in entries:
        if controllers == "":  # cgroup v2 (unified), possibly beside v1 controllers
            for base in (cgroup_root, os.path.join(cgroup_root, "unified")):
                quotas += _quotas(base, path, _v2_quota)
        elif "cpu" in controllers.split(","):  # cgroup v1: the cpu controller's hierarchy
            for mount in dict.fromkeys((controllers, "cpu,cpuacct", "cpuacct,cpu", "cpu")):
                quotas += _quotas(os.path.join(cgroup_root, mount), path, _v1_quota)
    return min(quotas) if quotas else None


def _quotas(base: str, path: str, read: Callable[[str], float | None]) -> list[float]:
    """The quotas set in ``base/path`` and its ancestors up to ``base`` (inside a
    container the process's own cgroup is often ``base`` itself)."""
    found = []
    parts = [part for part in path.split("/") if part and part != ".."]
    for depth in range(len(parts), -1, -1):
        quota = read(os.path.join(base, *parts[:depth]))
        if quota is not None:
            found.append(quota)
    return found


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read().strip()
    except OSError:
        return None


def _v2_quota(folder: str) -> float | None:
    text = _read(os.path.join(folder, "cpu.max"))  # "max 100000" or "150000 100000"
    if not text:
        return None
    quota, _, period = text.partition(" ")
    try:
        return int(quota) / int(period or "100000") if quota != "max" else None
    except (ValueError, ZeroDivisionError):
        return None


def _v1_quota(folder: str) -> float | None:
    quota, period = _read(os.path.join(folder, "cpu.cfs_quota_us")), _read(os.path.join(folder, "cpu.cfs_period_us"))
    try:
        value = int(quota or "-1")
        return value / int(period or "100000") if value > 0 else None
    except (ValueError, ZeroDivisionError):
        return None


def default_jobs(loadavg: str = "/proc/loadavg", samples: int = 5, interval: float = 0.002,
                 work: int | None = None) -> int:
    """The default number of processes for ``work`` bytes of source to load (None: a
    large amount): every CPU this process may use (:func:`usable_cpus`) from
    :data:`BUSY_POOL_MIN_BYTES` on, whatever else runs (there the pool pays even on
    CPUs other processes keep busy); below it, only those that are idle now, so one
    process when no second CPU is free. "Idle" counts the runnable tasks of the
    machine now (``/proc/loadavg``, not the one-minute average, which still holds a
    previous run's own processes), less this one: the median of a few samples ~10 ms
    apart in all (a single sample missed busy processes between two time slices)."""
    usable = usable_cpus()
    if usable <= 1:
        return 1
    if work is None or work >= BUSY_POOL_MIN_BYTES:
        return usable
    counts = []
    for sample in range(samples):
        if sample:
            time.sleep(interval)
        counts.append(_running(loadavg))
    others = sorted(counts)[len(counts) // 2] - 1
    idle = (os.cpu_count() or usable) - max(0, others)
    return max(1, min(usable, idle))


def _running(loadavg: str) -> int:
    """Runnable tasks on the machine now (the 4th field of /proc/loadavg: running/total)."""
    text = _read(loadavg)
    try:
        return int(text.split()[3].split("/")[0]) if text else 1
    except (IndexError, ValueError):
        return 1


def resolve_jobs(jobs: int | None, work: int | None = None) -> int:
    """``jobs`` as asked, else the default for ``work`` bytes of source (:func:`default_jobs`)."""
    if jobs is None or jobs <= 0:
        return default_jobs(work=work)
    return jobs


# -- one unit ------------------------------------------------------------------------------

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


# -- many units ----------------------------------------------------------------------------

class Progress(Protocol):
    """What :func:`load_units` tells a progress display (:mod:`iamlint.progress`)."""

    def begin(self, total: int) -> None: ...
    def reading(self, unit: Any) -> None: ...  # a unit starts loading in this process
    def done(self, unit: Any) -> None: ...  # a unit is loaded (or came from the cache)


def load_units(units: list[Any], options: Any, cache: UnitCache | None, jobs: int | None, load: Load,
               progress: Progress | None = None, check: Check | None = None) -> Iterator[Loaded]:
    """``(unit, result, crash)`` for every unit, in order, loading cache misses with
    ``load`` (the engine passes its loader: this module never imports the engine),
    telling ``progress`` how far it got. With ``check``, a unit a pool worker loaded comes
    back checked: ``result`` is then the record ``check(unit, result, sources)`` returned
    in the worker (the rules run in the workers too, and the worker stored what it had
    to; a unit loaded in this process, or from the cache, is yielded as loaded)."""
    if progress is not None:
        progress.begin(len(units))
        yield from _told(_load_units(units, options, cache, jobs, load, progress, check), progress)
    else:
        yield from _load_units(units, options, cache, jobs, load, None, check)


def _told(loaded: Iterator[Loaded], progress: Progress) -> Iterator[Loaded]:
    for item in loaded:
        progress.done(item[0])
        yield item


def _load_units(units: list[Any], options: Any, cache: UnitCache | None, jobs: int | None, load: Load,
                progress: Progress | None, check: Check | None = None) -> Iterator[Loaded]:
    if cache is None:
        cache = UnitCache(enabled=getattr(options, "cache", True))
    asked = jobs if jobs is not None else getattr(options, "jobs", None)
    if (asked is not None and asked == 1) or (usable_cpus() <= 1 and not asked) or len(units) < 2 or _overlaid(units):
        yield from _serial(units, options, cache, load, {}, progress)
        return
    hits: dict[int, Any] = {}
    pending: list[int] = []
    for index, unit in enumerate(units):
        result = cached(cache, unit, options)
        if result is None:
            pending.append(index)
        else:
            hits[index] = result
    # the cheap decisions first: the size of the work (file sizes), then the default jobs (a
    # look at what else is running); only then the plan, which reads the units' sources
    misses = [units[i] for i in pending]
    sizes = [unit_bytes(unit) for unit in misses]
    work = sum(sizes)
    jobs = resolve_jobs(asked, work) if len(misses) >= 2 and work >= POOL_MIN_BYTES else 1
    tasks = plan(misses, jobs, sizes=sizes) if jobs > 1 else []
    if len(tasks) < 2:  # the cache was asked already: misses are not looked up again
        yield from _serial(units, options, cache, load, hits, progress, looked_up=True)
        return
    tasks = [[pending[i] for i in task] for task in tasks]
    yield from _pooled(units, options, cache, min(jobs, len(tasks)), hits, tasks, load, progress, check)


def _overlaid(units: list[Any]) -> bool:
    """Unsaved editor buffers stand in for some files: keep the work in this process."""
    return any(overlaid(path) for unit in units for path, _ in unit.files)


def _serial(units: list[Any], options: Any, cache: UnitCache, load: Load, hits: dict[int, Any],
            progress: Progress | None, looked_up: bool = False) -> Iterator[Loaded]:
    """Load ``units`` in this process; ``hits`` are the cached results already found (all
    of them when ``looked_up``: the others are misses, not asked again)."""
    for index, unit in enumerate(units):
        result = hits.pop(index, None) if hits or looked_up else cached(cache, unit, options)
        if result is not None:
            yield unit, result, None
            continue
        if progress is not None:
            progress.reading(unit)
        result, crash, _ = load_one(unit, options, cache, load)
        yield unit, result, crash


# -- planning the pool's tasks -------------------------------------------------------------

def plan(units: list[Any], jobs: int, min_bytes: int | None = None, sizes: list[int] | None = None) -> list[list[int]]:
    """Tasks for ``jobs`` workers: lists of indices into ``units``, each task's indices
    increasing, tasks ordered by their first index. Units that read the same files are
    one task (see :func:`groups`); a task bigger than a worker's share is split. One
    task (or none) means: stay in one process, the work is too small for a pool.
    ``sizes``: the units' :func:`unit_bytes`, when known already."""
    if not units:
        return []
    sizes = [unit_bytes(unit) for unit in units] if sizes is None else sizes
    threshold = POOL_MIN_BYTES if min_bytes is None else min_bytes
    if sum(sizes) < threshold:
        return [list(range(len(units)))]
    shared = [_shared_inputs(unit) for unit in units]
    work = [size + sum(_folder_bytes(folder) for folder in inputs) for size, inputs in zip(sizes, shared, strict=True)]
    share = sum(work) / jobs
    tasks: list[list[int]] = []
    for group in groups(units, shared):
        tasks.extend(_split(group, work, share))
    return sorted(tasks, key=lambda task: task[0])


def groups(units: list[Any], shared: list[frozenset[str]]) -> list[list[int]]:
    """Indices of units joined when they share a folder: a unit's own folder and the
    folders it also reads (``Format.shared_inputs``: a Terraform root's child modules)."""
    parent = list(range(len(units)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    owner: dict[str, int] = {}
    for index, unit in enumerate(units):
        for key in _keys(unit, shared[index]):
            other = owner.setdefault(key, index)
            if other != index:
                parent[find(index)] = find(other)
    joined: dict[int, list[int]] = {}
    for index in range(len(units)):
        joined.setdefault(find(index), []).append(index)
    return list(joined.values())


def _keys(unit: Any, shared: frozenset[str]) -> Iterable[str]:
    yield os.path.abspath(unit.root)  # a child module linted on its own joins its callers
    yield from shared


def _split(group: list[int], work: Sequence[float], share: float) -> list[list[int]]:
    """The group as one task, or, when it alone is more than a worker's share, in
    consecutive parts of about half a share (the shared files are then parsed once per
    part: balance wins over sharing)."""
    total = sum(work[i] for i in group)
    if total <= share or len(group) == 1:
        return [group]
    parts = min(len(group), math.ceil(total / (share / 2)))
    size = total / parts
    tasks: list[list[int]] = [[]]
    done = 0.0
    for index in group:
        if tasks[-1] and done >= size * len(tasks):
            tasks.append([])
        tasks[-1].append(index)
        done += work[index]
    return tasks


def unit_bytes(unit: Any) -> int:
    """Bytes of the unit's own files (a cheap measure of the work of loading it)."""
    total = 0
    for path, _ in unit.files:
        try:
            total += os.stat(path).st_size
        except OSError:
            pass
    return total


def _shared_inputs(unit: Any) -> frozenset[str]:
    hook = getattr(getattr(unit, "format", None), "shared_inputs", None)
    if hook is None:
        return frozenset()
    try:
        return frozenset(hook(unit))
    except Exception:  # a hint for scheduling only: never a reason to fail
        return frozenset()


_FOLDER_BYTES: dict[str, int] = {}


def _folder_bytes(folder: str) -> int:
    size = _FOLDER_BYTES.get(folder)
    if size is None:
        try:
            with os.scandir(folder) as entries:
                size = sum(entry.stat().st_size for entry in entries if entry.name.endswith((".tf", ".tf.json")))
        except OSError:
            size = 0
        _FOLDER_BYTES[folder] = size
    return size


# -- process pool ----------------------------------------------------------------------

_WORKER: dict[str, Any] = {}


def _init_worker(options: Any, cache_dir: str, cache_enabled: bool, limit: int, load: Load,
                 check: Check | None = None, keys: Keys | None = None) -> None:
    import gc

    gc.freeze()  # what the parent built before forking stays: never scanned by the collector again
    _WORKER["options"] = options
    _WORKER["load"] = load
    _WORKER["check"] = check
    # ``keys``: the run's (shared with the results cache the checker stores through)
    _WORKER["cache"] = UnitCache(cache_dir, enabled=cache_enabled, limit=limit, keys=keys)


def _work(task: list[tuple[int, Any]]) -> list[tuple[int, str | None, bytes | None, list[list[str]] | None]]:
    """Load a task's units in turn (files they share are parsed once, by this worker)."""
    return [(index, *_work_one(unit)) for index, unit in task]


def _work_one(unit: Any) -> tuple[str | None, bytes | None, list[list[str]] | None]:
    """(crash, pickled record or result, digests of the files read as the cache entry
    records them -- sent only with a result, which the parent checks and stores)."""
    cache = _WORKER["cache"]
    result, crash, payload = load_one(unit, _WORKER["options"], cache, _WORKER["load"])
    if crash is not None:
        return crash, None, None
    sources = cache.sources(unit, unit_options(_WORKER["options"], unit))
    check = _WORKER.get("check")
    if check is not None and result is not None:
        try:  # the rules too: what travels back is the (much smaller) checked record, stored already
            return None, check(unit, result, sources), None
        except Exception:  # the parent checks the result itself (and reports what fails there)
            pass
    if payload is None:
        try:
            payload = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc:  # a result that cannot travel back is this unit's error only
            return f"cannot send the result between processes: {exc!r}", None, None
    return None, payload, sources


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
    units: list[Any], options: Any, cache: UnitCache, jobs: int, hits: dict[int, Any], tasks: list[list[int]],
    load: Load, progress: Progress | None = None, check: Check | None = None,
) -> Iterator[Loaded]:
    _warm_up([units[task[0]] for task in tasks])
    arguments = [[(index, units[index]) for index in task] for task in tasks]
    done: dict[int, tuple[str | None, bytes | None, list[list[str]] | None]] = {}
    with _workers(options, cache, jobs, load, check, arguments) as loaded:
        for index, unit in enumerate(units):
            if index in hits:
                yield unit, hits.pop(index), None
                continue
            while index not in done:
                for position, crash, payload, sources in next(loaded):
                    done[position] = (crash, payload, sources)
                    if progress is not None:
                        progress.reading(units[position])  # (read by a worker: shown as it arrives)
            crash, payload, sources = done.pop(index)
            if crash is not None:
                yield unit, None, crash
                continue
            cache.writes += 1  # the worker wrote it: prune at the end of the run
            if sources is not None:  # a loaded result: the parent checks it and stores its results
                cache.remember(unit, unit_options(options, unit), sources)
            try:
                result = pickle.loads(payload)  # type: ignore[arg-type]  # no crash: a payload
            except Exception as exc:
                yield unit, None, f"cannot read the result of a worker process: {exc!r}"
                continue
            yield unit, result, None


Done = list[tuple[int, "str | None", "bytes | None", "list[list[str]] | None"]]
"""What a worker sends back for one task: ``(index, crash, payload, sources)`` per unit."""


@contextlib.contextmanager
def _workers(options: Any, cache: UnitCache, jobs: int, load: Load, check: Check | None,
             arguments: list[list[tuple[int, Any]]]) -> Iterator[Iterator[Done]]:
    """The tasks' results, as the workers finish them: forked processes where ``os.fork``
    exists (:class:`_Forked`), else a ``multiprocessing`` pool (spawned workers: no
    checker, which is reached only by fork)."""
    if hasattr(os, "fork"):
        initargs = (options, str(cache.directory), cache.enabled, cache.limit, load, check, cache.keys)
        forked = _Forked(jobs, initargs)
        try:
            yield forked.run(arguments)
        finally:
            forked.close()
        return
    import multiprocessing  # start-up: ~10-45 ms, only for a pool on a system without fork

    chunk = max(1, min(8, len(arguments) // (jobs * 32)))  # the last chunk taken decides when the run ends
    spawned = (options, str(cache.directory), cache.enabled, cache.limit, load, None, None)
    with multiprocessing.get_context().Pool(jobs, initializer=_init_worker, initargs=spawned) as pool:
        yield pool.imap(_work, arguments, chunksize=chunk)


# -- forked workers ----------------------------------------------------------------------------

_PREFETCH_BYTES = 16 * 1024  # a second task is queued ahead only when both fit a pipe's buffer


class _Child:
    __slots__ = ("pid", "tasks", "results", "busy")

    def __init__(self, pid: int, tasks: int, results: int) -> None:
        self.pid, self.tasks, self.results = pid, tasks, results
        self.busy: list[tuple[list[tuple[int, Any]], int]] = []  # tasks sent and not answered, and their sizes


class _Forked:
    """``jobs`` forked workers (no ``multiprocessing``: its import, its pool's threads
    and start were ~35-70 ms of the parent's serial time). Each worker reads a task from
    its pipe, runs :func:`_work` and writes the pickled result back (8-byte length, then
    the bytes); tasks go to whichever worker answers (one queued ahead when small, so a
    worker does not wait for the parent). A task is never bigger than what a worker
    reads at once unless the worker is waiting for it, so no write of one side can block
    on a write of the other. A worker that ends unexpectedly (killed, crashed in C code)
    is a located error on each unit of its unfinished tasks; the rest go to the others."""

    def __init__(self, jobs: int, initargs: tuple[Any, ...]) -> None:
        self.children: list[_Child] = []
        try:
            for _ in range(jobs):
                self.children.append(self._spawn(initargs))
        except OSError:
            if not self.children:
                raise

    def _spawn(self, initargs: tuple[Any, ...]) -> _Child:
        task_read, task_write = os.pipe()
        result_read, result_write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the worker: never returns into the parent's code
            code = 1
            try:
                for other in self.children:  # the parent's ends of the other workers' pipes
                    os.close(other.tasks)
                    os.close(other.results)
                os.close(task_write)
                os.close(result_read)
                _serve(task_read, result_write, initargs)
                code = 0
            finally:
                os._exit(code)
        os.close(task_read)
        os.close(result_write)
        return _Child(pid, task_write, result_read)

    def run(self, arguments: list[list[tuple[int, Any]]]) -> Iterator[Done]:
        import select  # (a C module: no start-up to speak of)

        waiting = list(reversed(arguments))
        for child in self.children:
            self._feed(child, waiting)
        live = list(self.children)
        while any(child.busy for child in live):
            ready, _, _ = select.select([child.results for child in live if child.busy], [], [])
            for child in [child for child in live if child.results in ready]:
                message = _receive(child.results)
                if message is None:  # it ended: the task it was on is an error; the others go on
                    live.remove(child)
                    why = self._ended(child)
                    (task, _), queued = child.busy[0], child.busy[1:]
                    waiting.extend(reversed([task for task, _ in queued]))  # next, to the others
                    child.busy = []
                    for other in live:
                        self._feed(other, waiting)
                    yield [(index, why, None, None) for index, _ in task]
                    if not live and waiting:
                        for task in reversed(waiting):
                            yield [(index, why, None, None) for index, _ in task]
                        waiting.clear()
                    continue
                child.busy.pop(0)
                self._feed(child, waiting)  # first: the worker goes on while the result is read
                yield pickle.loads(message)

    def _feed(self, child: _Child, waiting: list[list[tuple[int, Any]]]) -> None:
        """Send ``child`` its next task (and one more when both are small)."""
        while waiting and len(child.busy) < 2:
            data = pickle.dumps(waiting[-1], protocol=pickle.HIGHEST_PROTOCOL)
            if child.busy and sum(size for _, size in child.busy) + len(data) > _PREFETCH_BYTES:
                return  # the worker is busy: this one waits until it answers
            child.busy.append((waiting.pop(), len(data)))
            _send(child.tasks, data)

    def _ended(self, child: _Child) -> str:
        try:
            _, status = os.waitpid(child.pid, 0)
            how = f"exit code {os.waitstatus_to_exitcode(status)}"
        except ChildProcessError:
            how = "unknown exit"
        child.pid = 0
        return f"a worker process ended unexpectedly ({how}) while reading this input"

    def close(self) -> None:
        """No more tasks: each worker sees the end of its pipe and leaves (a run stopped
        early, by an error or Ctrl-C, stops them)."""
        for child in self.children:
            for fd in (child.tasks, child.results):
                try:
                    os.close(fd)
                except OSError:
                    pass
            if child.pid and child.busy:  # stopped early: its work is not wanted
                try:
                    os.kill(child.pid, _SIGTERM)
                except OSError:
                    pass
        for child in self.children:
            if child.pid:
                try:
                    os.waitpid(child.pid, 0)
                except ChildProcessError:
                    pass


def _serve(tasks: int, results: int, initargs: tuple[Any, ...]) -> None:
    """A forked worker's loop: tasks in, results out, until the parent closes the pipe."""
    _init_worker(*initargs)
    while True:
        message = _receive(tasks)
        if message is None:
            return
        task: list[tuple[int, Any]] = pickle.loads(message)
        try:
            done: Done = _work(task)
        except Exception as exc:  # _work reports each unit's crash itself: this is a bug
            done = [(index, f"internal error in a worker process: {exc!r}", None, None) for index, _ in task]
        _send(results, pickle.dumps(done, protocol=pickle.HIGHEST_PROTOCOL))


def _send(fd: int, data: bytes) -> None:
    view = memoryview(len(data).to_bytes(8, "little") + data)
    while view:
        view = view[os.write(fd, view):]


def _receive(fd: int) -> bytes | None:
    """One message, or None at the end of the pipe (the other side closed or died)."""
    header = _read_exactly(fd, 8)
    if header is None:
        return None
    return _read_exactly(fd, int.from_bytes(header, "little"))


def _read_exactly(fd: int, size: int) -> bytes | None:
    buffer = bytearray(size)
    view = memoryview(buffer)
    got = 0
    while got < size:
        count = os.readv(fd, [view[got:]])
        if count == 0:
            return None
        got += count
    return bytes(buffer)
