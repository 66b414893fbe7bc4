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

Then the same split from CPU timers (no sampling): load = parse (the Terraform and
CloudFormation parsers) + normalise + knowledge (enrichment); check = permissions (the
effective-permission analyses) + rules and locating.

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
    parser.add_argument("--no-samples", action="store_true", help="the CPU timers only (no sampling overhead)")
    args = parser.parse_args()
    started = time.process_time()
    import iamlint

    root = os.path.dirname(iamlint.__file__) + os.sep
    samples: collections.Counter[str] = collections.Counter()

    def sample(_signum: int, frame: FrameType | None) -> None:
        samples[_phase(frame, root)] += 1

    if not args.no_samples:
        signal.signal(signal.SIGPROF, sample)
        signal.setitimer(signal.ITIMER_PROF, INTERVAL, INTERVAL)
    from iamlint import engine
    from iamlint.options import Options

    loads: dict[str, float] = collections.defaultdict(float)
    checks: dict[str, float] = collections.defaultdict(float)
    engine.load_unit = _timed(engine.load_unit, loads, lambda a: a[0].root)
    engine.check_graph = _timed(engine.check_graph, checks, lambda a: a[4].root)
    timers = _phase_timers(engine)
    report = engine.run(args.paths, Options(cache=False, jobs=1))
    signal.setitimer(signal.ITIMER_PROF, 0, 0)
    total = time.process_time() - started
    counted = sum(samples.values()) or 1
    print(f"{len(report.findings)} findings, {len(report.errors)} errors; CPU {total:.3f} s "
          f"({counted} samples of {INTERVAL * 1000:.0f} ms)")
    for phase, count in samples.most_common():
        print(f"  {phase:<12} {count / counted:6.1%}  ~{total * count / counted:.3f} s")
    load, check = sum(loads.values()), sum(checks.values())
    parse, enrich, permissions = timers["parse"][0], timers["knowledge"][0], timers["permissions"][0]
    print(f"timed: load {load:.3f} s = parse {parse:.3f} + normalise {load - parse - enrich:.3f} + knowledge "
          f"{enrich:.3f}; check {check:.3f} s = permissions {permissions:.3f} + rules and locating "
          f"{check - permissions:.3f}; the rest (start-up, discovery, report) {total - load - check:.3f}")
    units = sorted(set(loads) | set(checks), key=lambda u: -(loads[u] + checks[u]))
    print(f"slowest units ({len(units)}; load + check = {sum(loads.values()):.3f} + {sum(checks.values()):.3f} s):")
    for unit in units[:args.top]:
        print(f"  {loads[unit] + checks[unit]:7.3f} s  load {loads[unit]:.3f}  check {checks[unit]:.3f}  {unit}")


def _phase_timers(engine: Any) -> dict[str, list[float]]:
    """CPU timers around the parsers (Terraform, CloudFormation), the enrichment and the
    effective-permission analyses (outermost call only: they nest)."""
    from iamlint.normalize import cloudformation
    from iamlint.parsers.terraform import choice
    from iamlint.permissions import principal, risks

    timers: dict[str, list[float]] = {"parse": [0.0, 0], "knowledge": [0.0, 0], "permissions": [0.0, 0]}
    choice.parse_hcl_with_facts = _outermost(choice.parse_hcl_with_facts, timers["parse"])
    cloudformation.parse = _outermost(cloudformation.parse, timers["parse"])  # type: ignore[attr-defined]
    engine.enrich_graph = _outermost(engine.enrich_graph, timers["knowledge"])
    init = risks.Analysis.__init__
    risks.Analysis.__init__ = _outermost(init, timers["permissions"])  # type: ignore[method-assign]
    principal._build = _outermost(principal._build, timers["permissions"])
    return timers


def _outermost(function: Callable[..., Any], into: list[float]) -> Callable[..., Any]:
    def timed(*args: Any, **kwargs: Any) -> Any:
        if into[1]:
            return function(*args, **kwargs)
        into[1] = 1
        begun = time.process_time()
        try:
            return function(*args, **kwargs)
        finally:
            into[0] += time.process_time() - begun
            into[1] = 0
    return timed


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
