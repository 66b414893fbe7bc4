"""What fixes cost (issue 16): locating them for the outputs that show them, and a whole
``--diff`` (rounds of fixes in memory, every rule run again after each round).

Uses the repository of ``bench_speed.py`` (modules of 4 files with instances, launch
templates, roles and policies), each module given one more file with something every
fix can change (EC2003, EC2001, IAM005, IAM001, SUP001). Prints, one process, no cache (``--no-cache --jobs 1``),
measured round-robin, medians:

* ``check`` with the text output (fixes are not located: the baseline);
* ``check --format json`` (every proposed fix located as edits: files read and parsed again);
* ``check --diff --unsafe-fixes --extend-fixable EC2001`` (all fixes applied in memory,
  linted again until none is left, the patch printed);

and the ratios to the text output.

    python benchmarks/bench_fixes.py                 # 100 modules, 5 runs each
    python benchmarks/bench_fixes.py --modules 20 --runs 3
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_speed import measure, write_repository

IAMLINT = [sys.executable, "-m", "iamlint"]

VARIANTS = {
    "check, text output (no fix located)": [],
    "check --format json (fixes located)": ["--format", "json"],
    "check --diff --unsafe-fixes --extend-fixable EC2001": ["--diff", "--unsafe-fixes", "--extend-fixable", "EC2001"],
}


FIXABLE = """\
resource "aws_instance" "fixable_{n}" {{
  ami           = "ami-0c55b159cbfafe1f0"
  instance_type = "t3.micro"
}}

resource "aws_iam_role" "fixable_{n}" {{
  assume_role_policy = jsonencode({{
    Version   = "2012-10-17"
    Statement = [{{ Effect = "Allow", Principal = {{ AWS = "*" }}, Action = "sts:AssumeRole" }}]
  }})
}}

resource "aws_iam_instance_profile" "fixable_{n}" {{
  role = aws_iam_role.fixable_{n}.name
}}

# iamlint:ignore EC2001 -- nothing to hide any more
resource "aws_instance" "profiled_{n}" {{
  ami                  = "ami-0c55b159cbfafe1f0"
  iam_instance_profile = aws_iam_instance_profile.fixable_{n}.name
  metadata_options {{
    http_tokens = "optional"
  }}
}}

resource "aws_iam_role_policy" "fixable_{n}" {{
  role = aws_iam_role.fixable_{n}.id
  policy = jsonencode({{
    Version   = "2012-10-17"
    Statement = [{{ Effect = "Allow", Action = ["s3:GetObjcet"], Resource = "arn:aws:s3:::bucket-{n}/*" }}]
  }})
}}
"""


def add_fixable(root: Path) -> int:
    modules = sorted({path.parent for path in root.rglob("*.tf")})
    for n, module in enumerate(modules):
        (module / "fixable.tf").write_text(FIXABLE.format(n=n), encoding="utf-8")
    return len(modules)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modules", type=int, default=100)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="iamlint-bench-fixes-") as folder:
        root = write_repository(Path(folder) / "repo", args.modules)
        add_fixable(root)
        (root / ".git").mkdir()
        env = dict(os.environ, IAMLINT_CACHE_DIR=str(Path(folder) / "cache"))
        walls: dict[str, list[float]] = {name: [] for name in VARIANTS}
        cpus: dict[str, list[float]] = {name: [] for name in VARIANTS}
        for round_ in range(args.runs + 1):  # round 0 warms up (parser tables, byte code)
            for name, extra in VARIANTS.items():
                command = [*IAMLINT, "check", "-q", "--no-cache", "--jobs", "1", *extra, str(root)]
                sample = measure(command, env, cwd=folder)
                if round_:
                    walls[name].append(sample.wall)
                    cpus[name].append(sample.cpu)
        base = statistics.median(cpus[next(iter(VARIANTS))])
        print(f"{args.modules} modules ({sum(1 for _ in root.rglob('*.tf'))} .tf files), median of {args.runs}, one process:")
        for name in VARIANTS:
            wall, cpu = statistics.median(walls[name]), statistics.median(cpus[name])
            print(f"  {name:<55} {wall:7.2f} s  cpu {cpu:7.2f} s  x{cpu / base:4.2f}")


if __name__ == "__main__":
    main()
