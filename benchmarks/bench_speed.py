"""Speed benchmark (issue 7): is iamlint fast enough to run on every save?

Measures, in one run, on a generated repository (4 files, ~150 lines per module):

* full scan of 100 and 500 modules: cold cache (no unit entries; parser tables kept) and
  warm cache (nothing changed), ``--jobs 1`` and ``--jobs 2``;
* one module (the pre-commit case), one .tf file one-shot, one CloudFormation template
  (each cold and warm);
* the language server: didSave -> publishDiagnostics for a 150-line .tf in a 4-file
  module (needs pygls; median over many saves);
* the HCL parse itself: python-hcl2's typed rule tree (``hcl2.parses``, what iamlint
  used to build on) against iamlint's ``parse_hcl`` (lark tree -> syntax tree), same files;

with wall time, CPU time (user+sys of the process and its pool workers) and peak RSS
(largest process); medians over ``--runs``; the growth of the time per module from 100
to 500 modules; the targets of the issue with PASS / MISS and by how much.

``--vs "COMMAND {path}"`` runs a second tool (e.g. Checkov restricted to the checks
equivalent to iamlint's) on the same inputs when it is installed, and prints ratios.

    python benchmarks/bench_speed.py                  # everything, ~3-5 minutes
    python benchmarks/bench_speed.py --quick          # 20/60 modules, fewer runs
    python benchmarks/bench_speed.py --vs "env BC_SKIP_MAPPING=TRUE checkov --quiet --compact \\
        --framework terraform cloudformation -c CKV_AWS_1,CKV_AWS_49,CKV_AWS_60,CKV_AWS_61,\\
        CKV_AWS_62,CKV_AWS_63,CKV_AWS_79,CKV_AWS_286,CKV_AWS_287,CKV_AWS_288,CKV_AWS_289,\\
        CKV_AWS_290,CKV_AWS_355,CKV_AWS_41,CKV_AWS_46 {flag} {path}"

(Checkov: BC_SKIP_MAPPING=TRUE keeps it offline; the checks are those equivalent to
iamlint's rules: admin/wildcard policies, privilege escalation and write access without
constraints, assume-role principals, IMDSv1, credentials in providers and user data.)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

IAMLINT = [sys.executable, "-m", "iamlint"]

MAIN_TF = '''\
# Module {n}: web tier
resource "aws_instance" "web" {{
  ami                  = var.ami
  instance_type        = var.instance_type
  iam_instance_profile = aws_iam_instance_profile.web.name
  subnet_id            = var.subnet_id

  metadata_options {{
    http_endpoint = "enabled"
    http_tokens   = "required"
  }}

  root_block_device {{
    volume_size = 20
    encrypted   = true
  }}

  tags = merge(local.tags, {{ Name = "web-{n}" }})
}}

resource "aws_launch_template" "workers" {{
  name_prefix   = "workers-{n}-"
  image_id      = var.ami
  instance_type = var.instance_type

  iam_instance_profile {{
    arn = aws_iam_instance_profile.web.arn
  }}

  metadata_options {{
    http_tokens = "required"
  }}
}}

resource "aws_security_group" "web" {{
  name   = "web-{n}"
  vpc_id = var.vpc_id

  ingress {{
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["10.0.0.0/8"]
  }}
}}
'''

IAM_TF = '''\
data "aws_iam_policy_document" "trust" {{
  statement {{
    sid     = "EC2AssumeRole"
    effect  = "Allow"
    actions = ["sts:AssumeRole"]
    principals {{
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }}
  }}
}}

data "aws_iam_policy_document" "app" {{
  statement {{
    sid       = "ReadAppBucket"
    actions   = ["s3:GetObject", "s3:ListBucket"]
    resources = ["arn:aws:s3:::${{var.bucket}}", "arn:aws:s3:::${{var.bucket}}/*"]
  }}

  statement {{
    sid       = "Logs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["arn:aws:logs:*:*:log-group:/app/{n}:*"]
  }}
}}

resource "aws_iam_role" "web" {{
  name               = "web-{n}"
  assume_role_policy = data.aws_iam_policy_document.trust.json
  tags               = local.tags
}}

resource "aws_iam_role_policy" "app" {{
  name   = "app"
  role   = aws_iam_role.web.id
  policy = data.aws_iam_policy_document.app.json
}}

resource "aws_iam_role_policy" "extra" {{
  name = "extra"
  role = aws_iam_role.web.id
  policy = jsonencode({{
    Version = "2012-10-17"
    Statement = [
      {{
        Effect   = "Allow"
        Action   = ["{action}"]
        Resource = "*"
      }},
    ]
  }})
}}

resource "aws_iam_role_policy_attachment" "ssm" {{
  role       = aws_iam_role.web.name
  policy_arn = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
}}

resource "aws_iam_instance_profile" "web" {{
  name = "web-{n}"
  role = aws_iam_role.web.name
}}
'''

VARIABLES_TF = '''\
variable "ami" {{
  type    = string
  default = "ami-{n:08x}"
}}

variable "instance_type" {{
  type    = string
  default = "t3.micro"
}}

variable "subnet_id" {{
  type    = string
  default = "subnet-{n:08x}"
}}

variable "vpc_id" {{
  type    = string
  default = "vpc-{n:08x}"
}}

variable "bucket" {{
  type    = string
  default = "app-bucket-{n}"
}}
'''

OUTPUTS_TF = '''\
locals {{
  tags = {{
    Module = "m{n}"
    Owner  = "platform"
  }}
}}

output "role_arn" {{
  value = aws_iam_role.web.arn
}}

output "profile" {{
  value = aws_iam_instance_profile.web.name
}}
'''

TEMPLATE = '''\
AWSTemplateFormatVersion: "2010-09-09"
Description: web tier
Parameters:
  Bucket:
    Type: String
    Default: app-bucket
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal:
              Service: ec2.amazonaws.com
            Action: sts:AssumeRole
      ManagedPolicyArns:
        - !Sub arn:${AWS::Partition}:iam::aws:policy/AmazonSSMManagedInstanceCore
      Policies:
        - PolicyName: app
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - Effect: Allow
                Action: [s3:GetObject, s3:ListBucket]
                Resource:
                  - !Sub arn:aws:s3:::${Bucket}
                  - !Sub arn:aws:s3:::${Bucket}/*
              - Effect: Allow
                Action: "ec2:*"
                Resource: "*"
  Profile:
    Type: AWS::IAM::InstanceProfile
    Properties:
      Roles: [!Ref Role]
  Instance:
    Type: AWS::EC2::Instance
    Properties:
      ImageId: ami-12345678
      InstanceType: t3.micro
      IamInstanceProfile: !Ref Profile
      MetadataOptions:
        HttpTokens: required
'''

EXTRA_POLICY = '''
resource "aws_iam_role_policy" "extra_{k}" {{
  name = "extra-{k}"
  role = aws_iam_role.web.id
  policy = jsonencode({{
    Version = "2012-10-17"
    Statement = [{{
      Effect   = "Allow"
      Action   = ["sqs:SendMessage", "sqs:ReceiveMessage"]
      Resource = "arn:aws:sqs:*:*:queue-{k}"
    }}]
  }})
}}
'''

ACTIONS = ["ec2:DescribeInstances", "s3:*", "cloudwatch:PutMetricData", "*", "ssm:GetParameter"]


def write_module(folder: Path, n: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "main.tf").write_text(MAIN_TF.format(n=n))
    (folder / "iam.tf").write_text(IAM_TF.format(n=n, action=ACTIONS[n % len(ACTIONS)]))
    (folder / "variables.tf").write_text(VARIABLES_TF.format(n=n))
    (folder / "outputs.tf").write_text(OUTPUTS_TF.format(n=n))


def write_repository(root: Path, modules: int) -> Path:
    for n in range(modules):
        write_module(root / f"team{n % 10}" / f"module{n:03d}", n)
    return root


# -- measuring a command ------------------------------------------------------------------


@dataclass
class Sample:
    wall: float
    cpu: float
    rss_mb: float


def measure(command: list[str], env: dict[str, str], cwd: str | None = None, strict: bool = True) -> Sample:
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=cwd)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if strict and process.returncode not in (0, 1):
        raise SystemExit(f"command failed with exit code {process.returncode}: {shlex.join(command)}")
    # wait4 reports the process and the children it waited for (pool workers)
    return Sample(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)


@dataclass
class Result:
    name: str
    wall: float
    cpu: float
    rss_mb: float
    runs: int

    def line(self) -> str:
        return f"  {self.name:<44} {self.wall:8.3f} s  cpu {self.cpu:7.3f} s  rss {self.rss_mb:6.1f} MB  (median of {self.runs})"


def median_of(name: str, runs: int, once) -> Result:
    samples = [once() for _ in range(runs)]
    return Result(
        name,
        statistics.median(s.wall for s in samples),
        statistics.median(s.cpu for s in samples),
        max(s.rss_mb for s in samples),
        runs,
    )


class Bench:
    def __init__(self, work: Path, runs: int) -> None:
        self.work = work
        self.runs = runs
        self.cache = work / "cache"
        # byte-code compiled once, as an installed package has it (pip compiles at install)
        self.env = dict(os.environ, IAMLINT_CACHE_DIR=str(self.cache), NO_COLOR="1", PYTHONPYCACHEPREFIX=str(work / "pycache"))
        self.env.pop("PYTHONDONTWRITEBYTECODE", None)
        self.results: dict[str, Result] = {}

    def clear_units(self) -> None:
        shutil.rmtree(self.cache / "units", ignore_errors=True)

    def iamlint(self, name: str, args: list[str], cold: bool, runs: int | None = None) -> Result:
        command = IAMLINT + ["check", "-q", *args]

        def once() -> Sample:
            if cold:
                self.clear_units()
            return measure(command, self.env)

        if not cold:
            measure(command, self.env)  # fill the cache
        result = median_of(name, runs or self.runs, once)
        self.results[name] = result
        print(result.line(), flush=True)
        return result

    def interleaved(self, variants: list[tuple[str, list[str]]], cold: bool, runs: int) -> None:
        """Several variants measured round-robin (run 1 of each, then run 2 of each...),
        so a change in the machine's load affects them alike."""
        commands = [(name, IAMLINT + ["check", "-q", *args]) for name, args in variants]
        if not cold:
            for _, command in commands:
                measure(command, self.env)  # fill the cache
        samples: dict[str, list[Sample]] = {name: [] for name, _ in commands}
        for _ in range(runs):
            for name, command in commands:
                if cold:
                    self.clear_units()
                samples[name].append(measure(command, self.env))
        for name, _ in commands:
            got = samples[name]
            result = Result(name, statistics.median(s.wall for s in got), statistics.median(s.cpu for s in got),
                            max(s.rss_mb for s in got), runs)
            self.results[name] = result
            print(result.line(), flush=True)

    def other(self, name: str, template: str, path: Path, runs: int) -> Result | None:
        flag = "-d" if path.is_dir() else "-f"
        command = shlex.split(template.replace("{path}", shlex.quote(str(path))).replace("{flag}", flag))
        program = next((word for word in command if "=" not in word and word != "env"), command[0])
        if shutil.which(program) is None:
            print(f"  {name:<44} (not run: {program} is not installed)")
            return None
        result = median_of(name, runs, lambda: measure(command, dict(os.environ), strict=False))
        self.results[name] = result
        print(result.line(), flush=True)
        return result


# -- in-process measurements ----------------------------------------------------------------


def parse_comparison(files: list[Path], rounds: int = 5) -> dict[str, float]:
    """ms per 100 lines: hcl2.loads (dict), hcl2.parses (typed rule tree, the
    transform iamlint no longer runs), the lark tree alone, iamlint's parse_hcl."""
    import hcl2

    from iamlint.parsers.terraform.grammar import parser
    from iamlint.parsers.terraform.hcl import parse_hcl

    texts = [(str(f), f.read_text()) for f in files]
    lines = sum(t.count("\n") for _, t in texts)
    lark = parser()
    candidates = {
        "hcl2.loads (dict)": lambda path, text: hcl2.loads(text),
        "hcl2.parses (typed rule tree)": lambda path, text: hcl2.parses(text),
        "lark parse tree only": lambda path, text: lark.parse(text + "\n"),
        "iamlint parse_hcl (lark tree -> syntax)": lambda path, text: parse_hcl(text, path),
    }
    timings = {}
    for name, function in candidates.items():
        best = float("inf")
        for _ in range(rounds):
            start = time.perf_counter()
            for path, text in texts:
                function(path, text)
            best = min(best, time.perf_counter() - start)
        timings[name] = best * 1000 * 100 / lines
    return timings


async def lsp_saves(module: Path, env: dict[str, str], saves: int) -> list[float]:
    """Seconds from didSave to the publishDiagnostics of the saved file (edited first)."""
    from lsprotocol import types
    from pygls.lsp.client import BaseLanguageClient
    from pygls.uris import from_fs_path

    client = BaseLanguageClient("bench", "1")
    published: asyncio.Queue = asyncio.Queue()

    @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def on_publish(params: types.PublishDiagnosticsParams) -> None:
        published.put_nowait((time.perf_counter(), params))

    await client.start_io(*IAMLINT, "lsp", env=env)
    await client.initialize_async(types.InitializeParams(process_id=os.getpid(), root_uri=from_fs_path(str(module)), capabilities=types.ClientCapabilities()))
    client.initialized(types.InitializedParams())
    target = module / "iam.tf"
    uri = from_fs_path(str(target))
    text = target.read_text()

    async def until_published(version: int | None) -> float:
        while True:
            stamp, params = await asyncio.wait_for(published.get(), 30)
            if params.uri == uri and (version is None or params.version == version):
                return stamp

    client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(uri=uri, language_id="terraform", version=1, text=text)))
    await until_published(1)
    timings = []
    for version in range(2, saves + 2):
        edited = text + f"\n# save {version}\n"
        target.write_text(edited)
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text=edited)],
            )
        )
        start = time.perf_counter()
        client.text_document_did_save(types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri)))
        timings.append(await until_published(version) - start)
        await asyncio.sleep(0.05)
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    target.write_text(text)
    return timings


# -- targets ----------------------------------------------------------------------------------


def verdict(value: float, target: float, unit: str = "s") -> str:
    if value <= target:
        return f"PASS ({value:.3f} {unit} <= {target:g} {unit})"
    return f"MISS ({value:.3f} {unit} > {target:g} {unit}, {value / target:.2f}x the target)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100,500", help="module counts of the full scans (default 100,500)")
    parser.add_argument("--runs", type=int, default=5, help="runs per small measurement (median)")
    parser.add_argument("--scan-runs", type=int, default=3, help="runs per full scan (median)")
    parser.add_argument("--saves", type=int, default=25, help="LSP saves measured")
    parser.add_argument("--vs", metavar="COMMAND",
                        help='second tool: "{path}" is replaced by the input, "{flag}" by -f (a file) or -d (a folder)')
    parser.add_argument("--vs-runs", type=int, default=1, help="runs of the second tool per measurement")
    parser.add_argument("--quick", action="store_true", help="20 and 60 modules, 3 runs: a smoke run")
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    args = parser.parse_args()
    if args.quick:
        args.sizes, args.runs, args.scan_runs, args.saves = "20,60", 3, 1, 10
    sizes = [int(s) for s in args.sizes.split(",")]

    work = Path(tempfile.mkdtemp(prefix="iamlint-bench-"))
    bench = Bench(work, args.runs)
    print(f"iamlint speed benchmark -- python {sys.version.split()[0]}, {os.cpu_count()} CPUs, work dir {work}")
    try:
        # parser tables: built once per install, then read from the user cache dir
        single = write_repository(work / "single", 1) / "team0" / "module000"
        bench.clear_units()
        bench.iamlint("first run ever (parser tables built)", [str(single / "main.tf")], cold=True, runs=1)

        print("\nHCL parse, ms per 100 lines (best of 5):")
        parse = parse_comparison(sorted(single.glob("*.tf")) * 10)
        for name, value in parse.items():
            print(f"  {name:<44} {value:7.2f} ms")

        print("\nOne-shot runs:")
        template = work / "stack.yaml"
        template.write_text(TEMPLATE)
        for temperature in ("cold", "warm"):
            cold = temperature == "cold"
            bench.iamlint(f"one .tf file, {temperature}", [str(single / "main.tf")], cold)
            bench.iamlint(f"one module, {temperature}", [str(single)], cold)
            bench.iamlint(f"one template, {temperature}", [str(template)], cold)

        print("\nFull scans:")
        for size in sizes:
            repository = write_repository(work / f"repo{size}", size)
            for temperature in ("cold", "warm"):
                variants = [(f"{size} modules, {temperature}, --jobs {jobs}", ["--jobs", str(jobs), str(repository)]) for jobs in (1, 2)]
                bench.interleaved(variants, temperature == "cold", args.scan_runs)

        lsp = None
        try:
            import pygls  # noqa: F401
        except ImportError:
            print("\nLSP: not measured (pip install 'iamlint[lsp]')")
        else:
            module = write_repository(work / "lsp", 1) / "team0" / "module000"
            iam = module / "iam.tf"  # grow iam.tf to ~150 lines, as in the target
            iam.write_text(iam.read_text() + "".join(EXTRA_POLICY.format(k=k) for k in range(7)))
            saves = asyncio.run(lsp_saves(module, bench.env, args.saves))
            lsp = statistics.median(saves)
            lines = (module / "iam.tf").read_text().count("\n")
            print(f"\nLSP didSave -> publishDiagnostics ({lines}-line iam.tf in a 4-file module): median {lsp * 1000:.1f} ms, "
                  f"min {min(saves) * 1000:.1f} ms, max {max(saves) * 1000:.1f} ms over {len(saves)} saves")

        vs = {}
        if args.vs:
            print(f"\nSecond tool: {args.vs}")
            for label, path in [("one .tf file", single / "main.tf"), ("one module", single), ("one template", template)]:
                vs[label] = bench.other(f"vs: {label}", args.vs, path, args.vs_runs)
            for size in sizes:
                vs[f"{size} modules"] = bench.other(f"vs: {size} modules", args.vs, work / f"repo{size}", args.vs_runs)

        report(bench.results, sizes, lsp, vs)
    finally:
        if args.keep:
            print(f"\nkept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def report(results: dict[str, Result], sizes: list[int], lsp: float | None, vs: dict) -> None:
    r = dict(results)
    small, large = sizes[0], sizes[-1]
    print("\nGrowth:")
    for kind in ("cold, --jobs 1", "cold, --jobs 2", "warm, --jobs 1"):
        a, b = r.get(f"{small} modules, {kind}"), r.get(f"{large} modules, {kind}")
        if a and b and large != small:
            per_small, per_large = a.wall / small, b.wall / large
            print(f"  {kind:<16} {per_small * 1000:6.1f} ms/module at {small}, {per_large * 1000:6.1f} ms/module at {large} "
                  f"(x{per_large / per_small:.2f}); marginal {(b.wall - a.wall) / (large - small) * 1000:.1f} ms/module")

    print("\nTargets (issue 7; absolute figures for this machine, ratios where the second tool ran):")

    def ratio(ours: str, theirs: str, limit: float) -> str:
        mine, other = r.get(ours), vs.get(theirs)
        if not mine or not other:
            return ""
        return f"; ratio {mine.wall / other.wall:.3f} vs target <= {limit}: {'PASS' if mine.wall / other.wall <= limit else 'MISS'}"

    rows = []
    if 100 in sizes:
        rows += [
            ("full scan 100, cold, one process", "100 modules, cold, --jobs 1", 8.0, ratio("100 modules, cold, --jobs 1", "100 modules", 0.25)),
            ("full scan 100, cold, --jobs 2 (0.12x Checkov ~ 3.84 s)", "100 modules, cold, --jobs 2", 32 * 0.12, ratio("100 modules, cold, --jobs 2", "100 modules", 0.12)),
            ("full scan 100, warm", "100 modules, warm, --jobs 1", 1.0, ratio("100 modules, warm, --jobs 1", "100 modules", 0.03)),
        ]
    rows += [
        ("one module (pre-commit), cold", "one module, cold", 0.40, ratio("one module, cold", "one module", 0.40 / 3)),
        ("one .tf file one-shot, cold", "one .tf file, cold", 0.25, ratio("one .tf file, cold", "one .tf file", 0.25 / 2.8)),
        ("one .tf file one-shot, warm", "one .tf file, warm", 0.25, ""),
        ("one template, cold", "one template, cold", 0.10, ""),
    ]
    for label, key, target, extra in rows:
        if key in r:
            # CPU time is what the wall time is on an idle machine for a one-process run;
            # it is printed too because shared machines inflate wall times.
            cpu = "" if "--jobs 2" in key else f"; on CPU time: {verdict(r[key].cpu, target)}"  # (a sum over processes)
            print(f"  {label:<56} {verdict(r[key].wall, target)}{extra}{cpu}")
    if lsp is not None:
        print(f"  {'LSP didSave -> diagnostics, median':<56} {verdict(lsp * 1000, 50, 'ms')}")
    key = f"{large} modules, cold, --jobs 1"
    if key in r:
        print(f"  {f'peak RSS at {large} modules':<56} {verdict(r[key].rss_mb, 250, 'MB')}")
        a = r.get(f"{small} modules, cold, --jobs 1")
        if a and large != small:
            growth = (r[key].wall / large) / (a.wall / small)
            print(f"  {f'time per module at {large} / at {small}':<56} {verdict(growth, 1.2, 'x')}")


if __name__ == "__main__":
    main()
