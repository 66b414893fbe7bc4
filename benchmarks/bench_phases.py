"""Where a cold scan's time goes, by phase, and which units are the slowest (issue 17).

A statistical profile of ``iamlint check`` run in this process: a CPU-time timer
(``ITIMER_PROF``) samples the stack every millisecond; each sample counts for the phase
of the innermost frame in one of iamlint's phase packages -- ``parsers/`` (parse),
``normalize/`` and ``formats/`` (normalise), ``knowledge/`` (enrichment with AWS managed
policies and the action catalogue), ``permissions/`` (effective permissions), ``rules/``
(the rules themselves) -- or for ``imports`` when an import is on the stack, else
``other`` (engine, cache, discovery, locating findings, the report, model helpers called
from there). Then the slowest units: load (read, parse, normalise, enrich) and check
(rules) times, one unit at a time, from timers around ``engine.load_unit`` and
``engine.check_graph``.

    python benchmarks/bench_phases.py /tmp/r100                 # a generated repository
    python benchmarks/bench_phases.py ../shared/corpus --top 25  # the corpus's slowest units

Run with ``--jobs 1 --no-cache`` semantics (one process, no unit cache), output to
/dev/null; figures are CPU time, so a busy machine inflates them less than wall time.
"""

from __future__ import annotations

import argparse
import collections
import os
import signal
import sys
import time
from types import FrameType
from typing import Any, Callable

PHASES = (("parsers", "parse"), ("normalize", "normalise"), ("formats", "normalise"), ("knowledge", "knowledge"),
          ("permissions", "permissions"), ("rules", "rules"))
INTERVAL = 0.001


def _phase(frame: FrameType | None, root: str) -> str:
    while frame is not None:
        name = frame.f_code.co_filename
        if "importlib._bootstrap" in name:
            return "imports"
        if name.startswith(root):
            top = name[len(root):].split(os.sep, 1)[0]
            for package, phase in PHASES:
                if top == package:
                    return phase
        frame = frame.f_back
    return "other"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--top", type=int, default=10, help="the slowest units to list")
    args = parser.parse_args()
    started = time.process_time()
    import iamlint

    root = os.path.dirname(iamlint.__file__) + os.sep
    samples: collections.Counter[str] = collections.Counter()

    def sample(_signum: int, frame: FrameType | None) -> None:
        samples[_phase(frame, root)] += 1

    signal.signal(signal.SIGPROF, sample)
    signal.setitimer(signal.ITIMER_PROF, INTERVAL, INTERVAL)
    from iamlint import engine
    from iamlint.options import Options

    loads: dict[str, float] = collections.defaultdict(float)
    checks: dict[str, float] = collections.defaultdict(float)
    engine.load_unit = _timed(engine.load_unit, loads, lambda a: a[0].root)
    engine.check_graph = _timed(engine.check_graph, checks, lambda a: a[4].root)
    report = engine.run(args.paths, Options(cache=False, jobs=1))
    signal.setitimer(signal.ITIMER_PROF, 0, 0)
    total = time.process_time() - started
    counted = sum(samples.values()) or 1
    print(f"{len(report.findings)} findings, {len(report.errors)} errors; CPU {total:.3f} s "
          f"({counted} samples of {INTERVAL * 1000:.0f} ms)")
    for phase, count in samples.most_common():
        print(f"  {phase:<12} {count / counted:6.1%}  ~{total * count / counted:.3f} s")
    units = sorted(set(loads) | set(checks), key=lambda u: -(loads[u] + checks[u]))
    print(f"slowest units ({len(units)}; load + check = {sum(loads.values()):.3f} + {sum(checks.values()):.3f} s):")
    for unit in units[:args.top]:
        print(f"  {loads[unit] + checks[unit]:7.3f} s  load {loads[unit]:.3f}  check {checks[unit]:.3f}  {unit}")


def _timed(function: Callable[..., Any], into: dict[str, float], key: Callable[[tuple], str]) -> Callable[..., Any]:
    def timed(*args: Any, **kwargs: Any) -> Any:
        begun = time.process_time()
        try:
            return function(*args, **kwargs)
        finally:
            into[key(args)] += time.process_time() - begun
    return timed


if __name__ == "__main__":
    sys.exit(main())
