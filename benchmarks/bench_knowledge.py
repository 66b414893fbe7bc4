"""What the offline IAM knowledge costs: lazy loading and package size.

Times ``iamlint check`` (subprocess wall time, median of --runs) on one small Terraform
file in four ways:

* plain: no AWS managed policy ARN, no partial wildcard, every rule enabled;
* before: the same file with the rules of the knowledge issue ignored
  (IAM003, IAM004, IAM005, EC2003, SEC001), i.e. the cost before this issue;
* managed: the same file plus three attached AWS managed policies (snapshot loaded);
* wildcards: the plain file plus partial wildcard actions (catalogue services loaded).

and, in a fresh interpreter per run, the time of ``engine.run()`` alone (no start-up)
with which data it read (``iamlint.knowledge.loads()``), plus
the size the data files add to a wheel (deflate-compressed, as a wheel stores them).

    python benchmarks/bench_knowledge.py --runs 9
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NEW_RULES = "IAM003,IAM004,IAM005,EC2003,SEC001"
BASE = """\
resource "aws_instance" "web" {
  ami                  = "ami-0c55b159cbfafe1f0"
  instance_type        = "t3.micro"
  iam_instance_profile = aws_iam_instance_profile.web.name
  metadata_options {
    http_tokens = "required"
  }
}

resource "aws_iam_instance_profile" "web" {
  name = "web"
  role = aws_iam_role.web.name
}

resource "aws_iam_role" "web" {
  name = "web"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "ec2.amazonaws.com" } }]
  })
}

resource "aws_iam_role_policy" "web" {
  name = "web"
  role = aws_iam_role.web.id
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = [%s], Resource = "arn:aws:s3:::web-data/*" }]
  })
}
"""
MANAGED = """
resource "aws_iam_role_policy_attachment" "%s" {
  role       = aws_iam_role.web.name
  policy_arn = "arn:aws:iam::aws:policy/%s"
}
"""
CASES = {
    "plain": (BASE % '"s3:GetObject", "s3:PutObject"', ()),
    "before": (BASE % '"s3:GetObject", "s3:PutObject"', ("--ignore", NEW_RULES)),
    "managed": (
        BASE % '"s3:GetObject", "s3:PutObject"'
        + "".join(MANAGED % (n.lower(), n) for n in ("AdministratorAccess", "AmazonEC2FullAccess", "AmazonS3ReadOnlyAccess")),
        (),
    ),
    "wildcards": (BASE % '"s3:Get*", "s3:Put*", "ec2:Describe*"', ()),
}
PROBE = """
import json, sys, time
from iamlint.discovery import discover
from iamlint.engine import Options, load_unit, run
from iamlint.knowledge import enrich_graph, loads
from iamlint.model.findings import Context
from iamlint.registry import load_rules
ignore = set(sys.argv[2].split(",")) if len(sys.argv) > 2 else set()
(unit,), _ = discover([sys.argv[1]])
graph = load_unit(unit, Options()).graph
rules = [r for r in load_rules().rules if r.code in "%s".split(",") and r.code not in ignore]
start = time.perf_counter()
enrich_graph(graph)
for rule in rules:
    list(rule.check(graph, Context()))
knowledge = time.perf_counter() - start
start = time.perf_counter()
run([sys.argv[1]], Options(cache=False, jobs=1, ignore=ignore))
print(json.dumps({"seconds": time.perf_counter() - start, "knowledge": knowledge, "loads": loads()}))
""" % NEW_RULES


def in_process(directory: Path, extra: tuple[str, ...]) -> dict:
    """One fresh interpreter: the time of run() itself (no start-up, no imports of the
    CLI) and what knowledge data it read."""
    args = [sys.executable, "-c", PROBE, str(directory)] + ([extra[1]] if extra else [])
    out = subprocess.run(args, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def wall_times(cases: dict[str, tuple[Path, tuple[str, ...]]], runs: int) -> dict[str, list[float]]:
    """Round-robin over the cases, so background load hits them all alike."""
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(runs):
        for name, (directory, extra) in cases.items():
            command = [sys.executable, "-m", "iamlint", "check", "-q", "--no-cache", *extra, str(directory)]
            start = time.perf_counter()
            subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
            times[name].append(time.perf_counter() - start)
    return times


def wheel_contribution() -> dict[str, tuple[int, int]]:
    """file -> (size on disk, deflate-compressed size in a zip)."""
    sizes = {}
    for path in sorted((ROOT / "iamlint" / "data").iterdir()):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.write(path, path.name)
        sizes[path.name] = (path.stat().st_size, len(buffer.getvalue()))
    return sizes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        cases = {}
        for name, (text, extra) in CASES.items():
            folder = Path(tmp) / name
            folder.mkdir()
            (folder / "main.tf").write_text(text)
            cases[name] = (folder, extra)
        times = wall_times(cases, args.runs)
        inside: dict[str, list[dict]] = {name: [] for name in cases}
        for _ in range(args.runs):
            for name, (folder, extra) in cases.items():
                inside[name].append(in_process(folder, extra))
        print(f"one small file, {args.runs} runs: `iamlint check` wall time (median / min); in a fresh")
        print("interpreter: enrichment + the new rules, cold (median), and run() (median)")
        for name in cases:
            median, best = statistics.median(times[name]) * 1000, min(times[name]) * 1000
            cold = statistics.median(r["knowledge"] for r in inside[name]) * 1000
            core = statistics.median(r["seconds"] for r in inside[name]) * 1000
            print(
                f"  {name:<10} {median:7.1f} / {best:7.1f} ms   knowledge {cold:6.1f} ms   run() {core:6.1f} ms"
                f"   read: {inside[name][0]['loads']}"
            )
    total = 0
    print("data files (bytes on disk / in a wheel):")
    for name, (disk, zipped) in wheel_contribution().items():
        total += zipped
        print(f"  {name:<28} {disk:>9} / {zipped:>9}")
    print(f"  {'total':<28} {'':>9}   {total:>9} ({total / 1_000_000:.2f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
