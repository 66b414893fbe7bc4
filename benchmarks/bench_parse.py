"""HCL parse benchmark: python-hcl2, the lark route and the tree-sitter route, same files.

Parses every .tf file under the given folders (default: ../shared/corpus) with

  (a) ``hcl2.parses``                      python-hcl2's own parse (typed rule tree)
  (b) ``hcl.parse_hcl``                    iamlint's lark route (lark tree -> syntax tree)
  (c) ``treesitter.parse_hcl``             iamlint's tree-sitter route (C parse -> syntax tree)
      and, for reference, tree-sitter's C parse alone (no conversion)

and prints, per route, the total time (best of ``--rounds``), milliseconds per 100 lines,
files rejected, and the ratios to (a) and (b). Each route is warmed up first (parser
tables loaded), so the figures are steady-state parsing; ``--startup`` also measures, in
fresh processes, the import plus first parse of a small file (the one-file one-shot case).

    python benchmarks/bench_parse.py                     # the corpus, 1 round (~1-2 min)
    python benchmarks/bench_parse.py fixtures --rounds 5
    python benchmarks/bench_parse.py --startup
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
MAX_BYTES = 4 * 1024 * 1024


def load(folders: list[Path]) -> list[tuple[str, str]]:
    texts = []
    for folder in folders:
        for path in sorted(folder.rglob("*.tf")):
            if path.is_file() and not path.is_symlink() and path.stat().st_size <= MAX_BYTES:
                texts.append((str(path), path.read_text(encoding="utf-8", errors="surrogateescape")))
    return texts


def routes() -> dict[str, Callable[[str, str], object]]:
    import hcl2

    from iamlint.parsers.terraform import hcl, treesitter

    found = {
        "(a) hcl2.parses": lambda path, text: hcl2.parses(text),
        "(b) lark route parse_hcl": lambda path, text: hcl.parse_hcl(text, path),
    }
    if treesitter.available():
        parser = treesitter._parser()
        found["(c) tree-sitter route parse_hcl"] = lambda path, text: treesitter.parse_hcl(text, path)
        found["    tree-sitter C parse only"] = lambda path, text: parser.parse(text.encode("utf-8", "surrogatepass"))
    else:
        print("tree-sitter / tree-sitter-hcl are not installed: route (c) not measured")
    return found


def measure(function: Callable[[str, str], object], texts: list[tuple[str, str]], rounds: int) -> tuple[float, int]:
    function("warm-up.tf", 'resource "a" "b" {\n  x = "${y}"\n}\n')
    best, rejected = float("inf"), 0
    for _ in range(rounds):
        rejected = 0
        start = time.perf_counter()
        for path, text in texts:
            try:
                function(path, text)
            except Exception:  # a file the parser rejects still counts its time
                rejected += 1
        best = min(best, time.perf_counter() - start)
    return best, rejected


def startup(runs: int = 7) -> None:
    """Import + first parse of a small file in a fresh process, per route (median)."""
    code = ("import time; t = time.perf_counter(); from iamlint.parsers.terraform import {module} as m; "
            "m.parse_hcl('resource \"a\" \"b\" {{\\n  x = \"${{y}}\"\\n}}\\n', 'x.tf'); "
            "print(time.perf_counter() - t)")
    print("\nimport + first parse of a 3-line file, fresh process (median of %d):" % runs)
    for module in ("hcl", "treesitter"):
        times = [float(subprocess.run([sys.executable, "-c", code.format(module=module)], check=True,
                                      capture_output=True, text=True, cwd=ROOT).stdout) for _ in range(runs)]
        print(f"  {module:<12} {statistics.median(times) * 1000:8.1f} ms")


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("folders", nargs="*", type=Path, default=[ROOT.parent / "shared" / "corpus"])
    options.add_argument("--rounds", type=int, default=1)
    options.add_argument("--startup", action="store_true", help="also measure import + first parse")
    args = options.parse_args()
    texts = load(args.folders)
    lines = sum(text.count("\n") + 1 for _, text in texts)
    size = sum(len(text) for _, text in texts)
    print(f"{len(texts)} .tf files, {lines} lines, {size / 1e6:.1f} MB, best of {args.rounds} round(s), "
          f"Python {sys.version.split()[0]}")
    results = {}
    print(f"\n  {'route':<34} {'total s':>8} {'ms/100 lines':>13} {'rejected':>9}")
    for name, function in routes().items():
        seconds, rejected = measure(function, texts, args.rounds)
        results[name] = seconds
        print(f"  {name:<34} {seconds:8.2f} {seconds * 1000 * 100 / lines:13.2f} {rejected:9d}", flush=True)
    fast = results.get("(c) tree-sitter route parse_hcl")
    if fast:
        print("\nratios (time of the tree-sitter route / time of the other):")
        for name in ("(a) hcl2.parses", "(b) lark route parse_hcl"):
            print(f"  (c) / {name:<30} {fast / results[name]:6.3f}  ({results[name] / fast:.1f}x faster)")
        share = results["    tree-sitter C parse only"] / fast
        print(f"  C parse share of route (c)           {share:6.1%}  (the rest is the conversion to iamlint's tree)")
    if args.startup:
        startup()


if __name__ == "__main__":
    main()
