"""Fuzz every parser and the whole pipeline for a while (issue 12).

The inputs and the property are those of ``tests/test_fuzz.py`` (``tests/fuzzing.py``):
no exception escapes, every failure is a located error. Here the examples are random
(a new seed each round unless ``--seed``), the budget is wall time, and each failing
input is shrunk by hypothesis and written to ``--out`` (with the slow ones: an example
taking longer than ``--slow`` seconds is recorded too).

    python tools/fuzz.py --minutes 10
    python tools/fuzz.py --minutes 2 --target "hcl (lark)" --target pipeline
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the shared strategies and checks

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import seed as hypothesis_seed  # noqa: E402

import fuzzing  # noqa: E402

PIPELINE = "pipeline"


def _round(target: str, examples: int, seed: int, slow: float, found: list[tuple[str, str, str]]) -> None:
    options = settings(max_examples=examples, deadline=None, database=None, derandomize=False,
                       suppress_health_check=list(HealthCheck))

    def timed(check, value) -> None:
        start = time.perf_counter()
        check(value)
        took = time.perf_counter() - start
        if took > slow:
            shown = fuzzing._shown(value) if isinstance(value, dict) else value
            found.append((target, f"slow: {took:.1f} s", shown))

    if target == PIPELINE:
        test = given(fuzzing.repository())(lambda files: timed(fuzzing.check_pipeline, files))
    else:
        test = given(fuzzing.INPUTS[target])(lambda text: timed(lambda t: fuzzing.check_parser(target, t), text))
    test = hypothesis_seed(seed)(settings(options)(test))  # a round can be replayed with --seed
    try:
        test()
    except fuzzing.Failure as failure:
        found.append((target, failure.problem, failure.text))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--target", action="append", choices=sorted(fuzzing.PARSERS) + [PIPELINE],
                        help="only these (repeatable); default: every parser and the pipeline")
    parser.add_argument("--examples", type=int, default=200, help="examples per round of one target")
    parser.add_argument("--seed", type=int, default=None, help="first round's seed (then +1 per round)")
    parser.add_argument("--slow", type=float, default=10.0, help="record examples slower than this (seconds)")
    parser.add_argument("--out", default="fuzz-findings", help="folder for the failing inputs")
    args = parser.parse_args()
    targets = args.target or sorted(fuzzing.PARSERS) + [PIPELINE]
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**32)
    deadline = time.monotonic() + args.minutes * 60
    found: list[tuple[str, str, str]] = []
    rounds = 0
    while time.monotonic() < deadline:
        target = targets[rounds % len(targets)]
        start = time.perf_counter()
        before = len(found)
        _round(target, args.examples, seed + rounds, args.slow, found)
        status = "ok" if len(found) == before else f"{len(found) - before} finding(s)"
        print(f"round {rounds + 1}: {target}, seed {seed + rounds}, {args.examples} examples, "
              f"{time.perf_counter() - start:.1f} s: {status}", flush=True)
        rounds += 1
    out = Path(args.out)
    if found:
        out.mkdir(parents=True, exist_ok=True)
        for index, (target, problem, text) in enumerate(found, start=1):
            (out / f"{index:03d}.txt").write_text(f"# {target}: {problem}\n{text}", encoding="utf-8", errors="replace")
            print(f"FOUND {index}: {target}: {problem}", flush=True)
        print(f"{len(found)} finding(s) written to {out}/")
    else:
        print(f"no findings in {rounds} rounds ({args.minutes:g} minutes, first seed {seed})")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
