"""Foundation benchmark: `iamlint check` over a generated repository of N modules.

Prints files per second and peak memory (RSS of the child process) for a full scan,
and the wall time of checking one small file (the on-save case). Medians over --runs.

    python benchmarks/bench_scan.py --modules 100 --runs 3
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MODULE = '''\
resource "aws_instance" "web" {{
  ami                  = "ami-{n:08d}"
  instance_type        = var.instance_type
  iam_instance_profile = aws_iam_instance_profile.web.name
  metadata_options {{
    http_tokens = "required"
  }}
  tags = {{ Name = "web-{n}", Env = local.env }}
}}

resource "aws_iam_instance_profile" "web" {{
  name = "web-{n}"
  role = aws_iam_role.web.name
}}
'''
IAM = '''\
variable "instance_type" {{
  default = "t3.micro"
}}

locals {{
  env = "bench"
}}

data "aws_iam_policy_document" "trust" {{
  statement {{
    actions = ["sts:AssumeRole"]
    principals {{
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }}
  }}
}}

resource "aws_iam_role" "web" {{
  name               = "web-{n}"
  assume_role_policy = data.aws_iam_policy_document.trust.json
}}

resource "aws_iam_role_policy" "web" {{
  role = aws_iam_role.web.id
  policy = jsonencode({{
    Version = "2012-10-17"
    Statement = [{{
      Effect   = "Allow"
      Action   = ["s3:GetObject", "s3:ListBucket"]
      Resource = ["arn:aws:s3:::bucket-{n}", "arn:aws:s3:::bucket-{n}/*"]
    }}]
  }})
}}

resource "aws_iam_role_policy" "heredoc" {{
  role   = aws_iam_role.web.id
  policy = <<-EOT
    {{
      "Version": "2012-10-17",
      "Statement": [
        {{"Effect": "Allow", "Action": ["logs:PutLogEvents"], "Resource": "*"}}
      ]
    }}
  EOT
}}
'''


def generate(root: Path, modules: int) -> int:
    for n in range(modules):
        folder = root / f"module{n:04d}"
        folder.mkdir(parents=True)
        (folder / "main.tf").write_text(MODULE.format(n=n))
        (folder / "iam.tf").write_text(IAM.format(n=n))
    return modules * 2


def measure(command: list[str], env: dict) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds, peak RSS (MB) of one child run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, after.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--modules", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--iamlint", default=shutil.which("iamlint") or "iamlint")
    args = parser.parse_args()
    env = dict(os.environ, NO_COLOR="1")
    with tempfile.TemporaryDirectory(prefix="iamlint-bench-") as tmp:
        root = Path(tmp) / "repo"
        files = generate(root, args.modules)
        measure([args.iamlint, "check", str(root / "module0000")], env)  # warm the parser table cache
        _sanity(args.iamlint, root, env)
        runs = [measure([args.iamlint, "check", "--no-cache", str(root)] if _has_no_cache(args.iamlint)
                        else [args.iamlint, "check", str(root)], env) for _ in range(args.runs)]
        wall = statistics.median(r[0] for r in runs)
        cpu = statistics.median(r[1] for r in runs)
        small = [measure([args.iamlint, "check", str(root / "module0000" / "main.tf")], env)[0]
                 for _ in range(args.runs)]
        peak = max(r[2] for r in runs)
    print(f"modules: {args.modules}, files: {files}, runs: {args.runs}")
    print(f"full scan: {wall:.2f} s wall, {cpu:.2f} s CPU, {files / wall:.0f} files/s, "
          f"{wall / args.modules * 1000:.1f} ms/module")
    print(f"peak RSS (largest child so far): {peak:.0f} MB")
    print(f"one small file (on-save case): {statistics.median(small) * 1000:.0f} ms wall")


def _sanity(executable: str, root: Path, env: dict) -> None:
    """Refuse to report figures for a run that did not really check the code."""
    import json

    result = subprocess.run([executable, "check", "--format", "json", str(root)], env=env,
                            capture_output=True, text=True)
    report = json.loads(result.stdout)
    if report["errors"] or report["summary"]["resources"] == 0:
        raise SystemExit(f"benchmark input was not checked cleanly: {report['errors'][:3]}")
    print(f"sanity: {report['summary']['files']} files, {report['summary']['resources']} resources, "
          f"{report['summary']['findings']} findings")


def _has_no_cache(executable: str) -> bool:
    result = subprocess.run([executable, "check", "--help"], capture_output=True, text=True)
    return "--no-cache" in result.stdout


if __name__ == "__main__":
    sys.exit(main())
