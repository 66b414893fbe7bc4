"""What the rules cost in a full scan (issue 18: the least-privilege rules must cost at most
15 % of the full scan of the 100-module benchmark repository).

Uses the repository of ``bench_speed.py`` (modules of 4 files: instance, launch
template, roles, policy documents, inline and attached policies, ``"*"`` / ``"s3:*"``
actions, AmazonSSMManagedInstanceCore). Prints:

* the full scan, one process, no cache (``iamlint check --no-cache --jobs 1``), with all
  rules and with the least-privilege rules IAM006-IAM008 switched off (``--ignore``),
  measured round-robin, medians; the difference is what those rules cost end to end;
* in one process, every unit loaded once, then the time of each rule's ``check`` over
  all graphs (fresh graph memos per round, as in a real run), best of ``--rounds``; the
  share of the least-privilege rules and of the shared effective-permissions model
  (whatever IAM002/IAM003 spend enriching their findings is part of IAM002/IAM003's time).

* with ``--baseline-python PYTHON`` (the interpreter of another installation, e.g. a
  virtualenv with the commit before the least-privilege rules installed), the same full
  scan with that installation too, in the same round-robin: before / after.

    python benchmarks/bench_rules.py                 # 100 modules, 5 scans each
    python benchmarks/bench_rules.py --modules 20 --scans 3
    python benchmarks/bench_rules.py --baseline-python /tmp/venv-before/bin/python
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_speed import measure, write_repository

IAMLINT = [sys.executable, "-m", "iamlint"]  # run from the work folder, as bench_speed does

NEW_RULES = ("IAM006", "IAM007", "IAM008")


def scans(repository: Path, runs: int, env: dict[str, str], registered: set[str],
          baseline: str | None = None) -> dict[str, float]:
    """Median CPU seconds per variant, measured round-robin (run 1 of each, run 2 of each...)."""
    ignore = [code for code in NEW_RULES if code in registered]
    variants = {"all rules": IAMLINT}
    if ignore:
        variants["without " + ", ".join(ignore)] = IAMLINT + ["--ignore", ",".join(ignore)]
    if baseline:
        variants["baseline installation"] = [baseline, "-m", "iamlint"]
    samples: dict[str, list[float]] = {name: [] for name in variants}
    for round_ in range(runs + 1):  # round 0 warms each installation up (parser tables, byte code)
        for name, program in variants.items():
            extra = program[3:]
            command = program[:3] + ["check", "-q", "--no-cache", "--jobs", "1", *extra, str(repository)]
            # a neutral working directory: the checkout must not shadow the installation measured
            sample = measure(command, env, cwd=str(repository.parent)).cpu
            if round_:
                samples[name].append(sample)
    return {name: statistics.median(values) for name, values in samples.items()}


def rule_times(repository: Path, rounds: int) -> tuple[float, dict[str, float]]:
    from iamlint.discovery import discover
    from iamlint.engine import Options, load_unit
    from iamlint.model.findings import Context
    from iamlint.registry import load_rules

    options = Options(cache=False)
    units, _ = discover([str(repository)])
    start = time.perf_counter()
    graphs = [result.graph for result in (load_unit(unit, options) for unit in units) if result is not None]
    load = time.perf_counter() - start
    rules = [rule for rule in load_rules().rules if rule.stage == "graph"]  # suppression rules judge suppressions, not graphs
    best: dict[str, float] = {}
    for _ in range(rounds):
        for graph in graphs:
            graph.memo = {}  # as in a real run: the memo lives with the graph of one unit
        spent: dict[str, float] = {rule.code: 0.0 for rule in rules}
        for graph in graphs:
            for rule in rules:
                begin = time.perf_counter()
                list(rule.check(graph, Context()))
                spent[rule.code] += time.perf_counter() - begin
        for code, value in spent.items():
            best[code] = min(best.get(code, value), value)
    return load, best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--modules", type=int, default=100)
    parser.add_argument("--scans", type=int, default=5, help="full scans per variant (median)")
    parser.add_argument("--rounds", type=int, default=5, help="in-process rounds of every rule (best)")
    parser.add_argument("--baseline-python", metavar="PYTHON", help="also scan with this interpreter's iamlint (before)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="iamlint-bench-rules-"))
    env = dict(os.environ, IAMLINT_CACHE_DIR=str(work / "cache"), NO_COLOR="1")
    try:
        repository = write_repository(work / "repo", args.modules)
        measure(IAMLINT + ["check", "-q", str(repository / "team0" / "module000")], env)  # parser tables
        load, times = rule_times(repository, args.rounds)
        registered = set(times)
        total_rules = sum(times.values())
        new = sum(times.get(code, 0.0) for code in NEW_RULES)
        print(f"iamlint rule cost -- python {sys.version.split()[0]}, {args.modules} modules, work dir {work}")
        print(f"\nIn one process: loading every unit {load:.3f} s; every rule over every graph "
              f"(best of {args.rounds}):")
        for code, value in sorted(times.items(), key=lambda item: -item[1]):
            print(f"  {code:<8} {value * 1000:8.1f} ms")
        print(f"  {'rules':<8} {total_rules * 1000:8.1f} ms; IAM006-IAM008 {new * 1000:.1f} ms "
              f"= {new / (load + total_rules) * 100:.1f} % of load + rules")
        print(f"\nFull scan, CPU seconds of `iamlint check --no-cache --jobs 1` (median of {args.scans}, round-robin):")
        result = scans(repository, args.scans, env, registered, args.baseline_python)
        for name, value in result.items():
            print(f"  {name:<34} {value:7.3f} s")
        full = result["all rules"]
        for name, label in (("without IAM006, IAM007, IAM008", "IAM006-IAM008"), ("baseline installation", "vs the baseline")):
            if name in result:
                cost = full - result[name]
                print(f"  {label} cost {cost:+.3f} s = {cost / full * 100:.1f} % of the full scan "
                      f"(target <= 15 %: {'PASS' if cost / full <= 0.15 else 'MISS'})")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
