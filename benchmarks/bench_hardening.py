"""What the hardening of issue 12 costs, and what it prevents.

* **masking the unit cache**: for every unit of the given folders (default: fixtures/),
  loaded once in this process, the time to pickle it (what the cache did before) and the
  time of ``cache.masked_payload`` (pickle, the byte test, and for the units that may
  hold a credential the masked copy pickled again), and how many units needed the copy;
* **checked reads**: ``sources.read_source`` (stat, open without blocking, fstat, capped
  read, decode) against a plain ``open().read().decode()`` of the same files;
* **globs**: the pathological exclude ``*a*a*...b`` against a long folder name, the
  linear matcher's time and steps, and the former regular expression on growing names
  (stopped as soon as one takes over a second: it grows as n^k).

    python benchmarks/bench_hardening.py                 # fixtures/
    python benchmarks/bench_hardening.py ../shared/corpus
"""

from __future__ import annotations

import argparse
import pickle
import re
import sys
import time
from pathlib import Path

from iamlint.cache import masked_payload
from iamlint.config.globs import GlobMatcher
from iamlint.discovery import discover
from iamlint.engine import Options, load_unit
from iamlint.sources import read_source

ROOT = Path(__file__).resolve().parent.parent


def bench_masking(paths: list[str]) -> None:
    units, _ = discover(paths)
    options = Options(cache=False)
    results = []
    for unit in units:
        try:
            result = load_unit(unit, options)
        except Exception:  # a crash is the engine's to report; not what is measured here
            continue
        if result is not None:
            results.append(result)
    start = time.perf_counter()
    plain = [pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL) for result in results]
    pickled = time.perf_counter() - start
    copies = 0
    start = time.perf_counter()
    for result, payload in zip(results, plain, strict=True):
        masked = masked_payload(result, payload)
        copies += masked is not payload
    masking = time.perf_counter() - start
    start = time.perf_counter()
    for result in results:
        masked_payload(result)
    both = time.perf_counter() - start
    print(f"unit cache, {len(results)} units: pickle {pickled * 1000:.1f} ms; masked_payload after it "
          f"{masking * 1000:.1f} ms (+{masking / max(pickled, 1e-9) * 100:.0f} %), {copies} units copied and masked; "
          f"pickle + mask {both * 1000:.1f} ms")


def bench_reads(paths: list[str]) -> None:
    files = [str(path) for folder in paths for path in Path(folder).rglob("*")
             if path.is_file() and path.suffix in (".tf", ".yaml", ".yml", ".json", ".tfvars")]
    for label, read in (("plain open", _plain), ("read_source", lambda path: read_source(path)[0])):
        start = time.perf_counter()
        for path in files:
            read(path)
        elapsed = time.perf_counter() - start
        print(f"reads, {len(files)} files: {label} {elapsed * 1000:.1f} ms ({elapsed / max(len(files), 1) * 1e6:.1f} us/file)")


def _plain(path: str) -> str | None:
    try:
        with open(path, "rb") as handle:
            return handle.read().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return None


def bench_globs() -> None:
    pattern = "*a" * 12 + "b"
    for length in (1_000, 10_000, 100_000):
        matcher = GlobMatcher(pattern)
        start = time.perf_counter()
        matcher.full("a" * length)
        print(f"glob {pattern!r} on {length} characters: {(time.perf_counter() - start) * 1000:.2f} ms, "
              f"{matcher.steps} steps (NFA size {matcher.nfa_size})")
    regex = re.compile(_former(pattern) + r"\Z")
    for length in range(14, 60, 4):
        start = time.perf_counter()
        regex.match("a" * length)
        elapsed = time.perf_counter() - start
        print(f"former regular expression on {length} characters: {elapsed * 1000:.1f} ms")
        if elapsed > 1:
            print("  (stopped: the next lengths take ever longer)")
            break


def _former(pattern: str) -> str:
    return "".join("[^/]*" if char == "*" else re.escape(char) for char in pattern)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="*", default=[str(ROOT / "fixtures")])
    args = parser.parse_args()
    bench_masking(args.paths)
    bench_reads(args.paths)
    bench_globs()
    sys.stdout.flush()


if __name__ == "__main__":
    main()
