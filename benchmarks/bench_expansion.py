"""count / for_each expansion: is a run linear in the number of instances, and bounded
by the instance cap (``--max-instances``)?

Generates one module whose role, instance profile and instance each have
``for_each = local.names`` over N keys (each instance using the profile and role of
its own key: issue 12 item 7), and one with ``count = 100000`` on an instance without
a profile. Runs ``iamlint check --no-cache --format json`` on each (a fresh process;
wall time, CPU of the child and its peak RSS), with the default cap and with the cap
raised above N, and prints the time per instance and its ratio to the smallest case
(a linear expansion keeps the ratio near 1).

    python benchmarks/bench_expansion.py                      # 100, 300, 2000, 10000 keys
    python benchmarks/bench_expansion.py --keys 100 2000 --runs 3
    python benchmarks/bench_expansion.py --source /tmp/old-checkout --keys 100 300 2000   # before
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from iamlint.options import MAX_INSTANCES

FOR_EACH = """\
locals {{
  names = toset([for i in range({n}) : "k${{i}}"])
}}

resource "aws_iam_role" "r" {{
  for_each           = local.names
  name               = "role-${{each.key}}"
  assume_role_policy = jsonencode({{
    Version   = "2012-10-17"
    Statement = [{{ Effect = "Allow", Action = "sts:AssumeRole", Principal = {{ Service = "ec2.amazonaws.com" }} }}]
  }})
}}

resource "aws_iam_instance_profile" "p" {{
  for_each = local.names
  role     = aws_iam_role.r[each.key].name
}}

resource "aws_instance" "web" {{
  for_each             = local.names
  ami                  = "ami-123"
  instance_type        = "t3.micro"
  iam_instance_profile = aws_iam_instance_profile.p[each.key].name
  metadata_options {{
    http_tokens = "required"
  }}
}}
"""

COUNT = """\
resource "aws_instance" "web" {
  count         = 100000
  ami           = "ami-123"
  instance_type = "t3.micro"
}
"""


CHILD = """
import json, sys, time
from iamlint.engine import Options, run
options = Options(cache=False, jobs=1)
if hasattr(options, "max_instances"):  # an iamlint before the cap (--source) has none
    options.max_instances = int(sys.argv[2])
start = time.process_time()
report = run([sys.argv[1]], options)
print(json.dumps({"cpu": time.process_time() - start, "findings": len(report.findings),
                  "errors": [e.message for e in report.errors]}))
"""


SOURCE: str | None = None  # --source: the iamlint checkout to import instead of the installed one


def run_once(folder: Path, cap: int, cache: str) -> tuple[float, float, int, int]:
    """(wall s of the process, CPU s of the run itself, peak RSS in MB, findings) of one
    ``iamlint.engine.run`` in a fresh process (start-up and imports left out of the CPU)."""
    env = {**os.environ, "IAMLINT_CACHE_DIR": cache}
    if SOURCE:
        env["PYTHONPATH"] = SOURCE
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        child = subprocess.Popen([sys.executable, "-c", CHILD, str(folder), str(cap)], stdout=out, env=env,
                                 cwd=folder.parent)  # not the checkout: "-c" puts the cwd first on sys.path
        _, status, usage = os.wait4(child.pid, 0)  # this child's own peak RSS
        wall = time.perf_counter() - start
        out.seek(0)
        text = out.read().decode()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"the run failed on {folder}")
    result = json.loads(text)
    if result["errors"]:
        raise SystemExit(f"input errors on {folder}: {result['errors']}")
    return wall, result["cpu"], usage.ru_maxrss // 1024, result["findings"]


def measure(folder: Path, cap: int, runs: int, cache: str) -> tuple[float, float, int, int]:
    results = [run_once(folder, cap, cache) for _ in range(runs)]
    return (statistics.median(r[0] for r in results), statistics.median(r[1] for r in results),
            max(r[2] for r in results), results[0][3])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--keys", type=int, nargs="+", default=[100, 300, 2000, 10000])
    parser.add_argument("--runs", type=int, default=1, help="median of this many runs per case")
    parser.add_argument("--source", help="import iamlint from this checkout (e.g. an older commit, for a before/after)")
    args = parser.parse_args()
    global SOURCE
    SOURCE = os.path.abspath(args.source) if args.source else None
    with tempfile.TemporaryDirectory(prefix="iamlint-bench-expansion-") as tmp:
        cache = os.path.join(tmp, "cache")
        print(f"{'case':<36} {'wall s':>7} {'run CPU s':>10} {'RSS MB':>7} {'findings':>9} {'ms/instance':>12} "
              f"{'ratio':>6}")
        empty = Path(tmp, "empty")
        empty.mkdir()
        (empty / "main.tf").write_text("locals {\n  x = 1\n}\n")
        run_once(empty, MAX_INSTANCES, cache)  # builds the parser tables once, into this cache folder
        base = measure(empty, MAX_INSTANCES, 5, cache)[1]  # the lazy imports of a first Terraform unit
        first: float | None = None
        for n in args.keys:
            folder = Path(tmp, f"for_each_{n}")
            folder.mkdir()
            (folder / "main.tf").write_text(FOR_EACH.format(n=n))
            cases = [("default cap", MAX_INSTANCES)] + ([("every instance", n)] if n > MAX_INSTANCES else [])
            for label, cap in cases:
                wall, cpu, rss, findings = measure(folder, cap, args.runs, cache)
                ratio = ""
                per = max(cpu - base, 0.0) * 1000 / (3 * n)  # three resources of n instances each
                if cap >= n:  # every instance judged one by one
                    first = first or per
                    ratio = f"{per / first:.2f}"
                print(f"{f'for_each {n:,} keys, {label}':<36} {wall:7.2f} {cpu:10.2f} {rss:7d} {findings:9d} "
                      f"{per:12.3f} {ratio:>6}")
        folder = Path(tmp, "count")
        folder.mkdir()
        (folder / "main.tf").write_text(COUNT)
        wall, cpu, rss, findings = measure(folder, MAX_INSTANCES, args.runs, cache)
        print(f"{'count = 100000, default cap':<36} {wall:7.2f} {cpu:10.2f} {rss:7d} {findings:9d}")
        print(f"run CPU: load + rules + report of iamlint.engine.run, start-up excluded; ms/instance: run CPU less "
              f"an empty module's ({base:.2f} s: lazy imports), over 3 x keys; default cap = {MAX_INSTANCES}; ratio: ms per instance over the first case's, every instance judged one by one (linear: ~1)")


if __name__ == "__main__":
    main()
