"""Speed benchmark (issue 17): every row of the README's Speed table, in one run, beside
Checkov when it is installed (ratios), with the machine it ran on.

Rows (a generated repository of modules of 4 files / ~150 lines with instances, a launch
template, roles, policy documents, inline and attached policies; medians of ``--runs``;
variants of one row measured round-robin so that a change of the machine's load hits
them alike):

* one .tf file, one module (the pre-commit case), one template: one-shot, cold unit cache;
* 100 modules: cold in one process (``--jobs 1``), ``--jobs 2``, default jobs; warm;
* default jobs against one process while other processes keep the CPUs busy
  (``--busy N`` of them: the shared CI runner case);
* 500 modules: cold, one process and default jobs, with the peak RSS;
* ../shared/corpus, cold, default jobs (skipped when absent);
* the language server: didSave -> publishDiagnostics of a 150-line .tf in a 4-file module;
* deeply nested HCL (200,000 levels): time and peak RSS until the located error;
* ``--pool-threshold``: ``--jobs 1`` against a forced 2-process pool for 2..32 modules,
  then for 16..100 modules with ``--busy`` processes keeping the CPUs busy (where
  ``iamlint.parallel.POOL_MIN_BYTES`` and ``BUSY_POOL_MIN_BYTES`` come from).

Wall time, CPU (user + sys of the process and its pool workers) and peak RSS (largest
process). Checkov runs on the same inputs restricted to the checks equivalent to
iamlint's rules, offline (``BC_SKIP_MAPPING=TRUE``): ``--checkov PATH`` uses an
installed ``checkov``; ``--install-checkov DIR`` first installs Checkov 3.3 into a venv
at DIR (reused when it is there). ``--regular-install DIR`` measures iamlint from a
regular (non-editable) install of this checkout in a venv at DIR, as users have it (an
editable install's import hook adds 10-50 ms to every start).

    python benchmarks/bench_speed.py --install-checkov /tmp/checkov-3.3 --regular-install /tmp/iamlint-venv
    python benchmarks/bench_speed.py --quick            # smaller sizes, fewer runs: a smoke run
    python benchmarks/bench_speed.py --pool-threshold   # the pool's break-even only
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
CHECKOV_CHECKS = ("CKV_AWS_1,CKV_AWS_49,CKV_AWS_60,CKV_AWS_61,CKV_AWS_62,CKV_AWS_63,CKV_AWS_79,CKV_AWS_286,"
                  "CKV_AWS_287,CKV_AWS_288,CKV_AWS_289,CKV_AWS_290,CKV_AWS_355,CKV_AWS_41,CKV_AWS_46")
# a forced pool (iamlint.parallel.POOL_MIN_BYTES = 0), for --pool-threshold
FORCED_POOL = ("import sys, iamlint.parallel as p; p.POOL_MIN_BYTES = 0; from iamlint.__main__ import main; "
               "sys.argv[0] = 'iamlint'; main()")
DEEP = 200_000

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


# Linux keeps a process's peak RSS across exec: a command started from this (larger)
# process would report at least this process's size. GNU time, itself small, starts the
# command and reports the command's own peak (its %M); without it, wait4's figure is a floor.
GNU_TIME = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None


def measure(command: list[str], env: dict[str, str], cwd: str | None = None, strict: bool = True) -> Sample:
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as rss:
        wrapped = [GNU_TIME, "-q", "-f", "%M", "-o", rss.name, *command] if GNU_TIME else command
        start = time.perf_counter()
        process = subprocess.Popen(wrapped, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=cwd)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        peak = rss.read().strip().splitlines() if GNU_TIME else []
    code = os.waitstatus_to_exitcode(status)
    if strict and code not in (0, 1):
        raise SystemExit(f"command failed with exit code {code}: {shlex.join(command)}")
    # wait4 reports the process and the children it waited for (pool workers)
    rss_mb = int(peak[-1]) / 1024 if peak and peak[-1].isdigit() else usage.ru_maxrss / 1024
    return Sample(wall, usage.ru_utime + usage.ru_stime, rss_mb)


@dataclass
class Result:
    name: str
    wall: float
    cpu: float
    rss_mb: float
    runs: int

    def line(self) -> str:
        return f"  {self.name:<48} {self.wall:8.3f} s  cpu {self.cpu:7.3f} s  rss {self.rss_mb:6.1f} MB  (median of {self.runs})"


def summarise(name: str, samples: list[Sample]) -> Result:
    return Result(name, statistics.median(s.wall for s in samples), statistics.median(s.cpu for s in samples),
                  max(s.rss_mb for s in samples), len(samples))


class Busy:
    """``count`` processes spinning on the CPU while the block runs (other work on a shared runner)."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.processes: list[subprocess.Popen] = []

    def __enter__(self) -> "Busy":
        self.processes = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(self.count)]
        time.sleep(0.5)
        return self

    def __exit__(self, *exc: object) -> None:
        for process in self.processes:
            process.kill()
            process.wait()


class Bench:
    def __init__(self, work: Path, runs: int, python: str) -> None:
        self.work = work
        self.runs = runs
        self.python = python
        self.cache = work / "cache"
        self.generation = 0  # cold runs each start in a new cache folder (clear_units)
        self.env = dict(os.environ, IAMLINT_CACHE_DIR=str(self.cache), NO_COLOR="1", IAMLINT_NO_PROGRESS="1")
        self.env.pop("PYTHONDONTWRITEBYTECODE", None)  # byte code is compiled once, as an installed package has it
        if python == sys.executable:  # this checkout: compiled byte code kept outside it
            self.env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
        self.results: dict[str, Result] = {}

    def measure(self, command: list[str], strict: bool = True) -> Sample:
        # in the work folder: `python -m iamlint` puts the current folder first on sys.path,
        # and in this checkout that would import its source instead of the measured install
        return measure(command, self.env, cwd=str(self.work), strict=strict)

    def command(self, args: list[str]) -> list[str]:
        return [self.python, "-m", "iamlint", "check", "-q", *args]

    def clear_units(self) -> None:
        """A cold run: no unit entries and no results entries (iamlint.results serves an
        unchanged unit without its unit entry), in a new cache folder holding what the
        previous one held but those (the entry-point index, parser tables), as a user's
        first run on a repository has it. The previous folders are left in place until
        the benchmark ends (the work folder is removed then): ext4 allocates a new file's
        inode past the inodes deleted in the last ~30 s one by one (``recently_deleted``),
        and removing a cold corpus run's ~4,700 entries just before the next one made
        that run spend ~3.5 s more system time (20.2 s against 17.8 s wall, same machine
        and minutes): a cost of the benchmark's clean-up, not of a first run."""
        self.generation += 1
        fresh = self.work / f"cache-{self.generation}"
        shutil.copytree(self.cache, fresh, ignore=shutil.ignore_patterns("units", "results"))
        self.cache = fresh
        self.env["IAMLINT_CACHE_DIR"] = str(fresh)
        # the previous run's writes reach the disk before the measured run
        os.sync()

    def rows(self, variants: list[tuple[str, list[str]]], cold: bool, runs: int | None = None, strict: bool = True) -> None:
        """Variants measured round-robin (run 1 of each, then run 2 of each...)."""
        commands = [(name, self.command(args)) for name, args in variants]
        for _, command in commands:
            self.measure(command, strict)  # byte code, parser, the entry-point index; fills the cache for warm rows
        samples: dict[str, list[Sample]] = {name: [] for name, _ in commands}
        for _ in range(runs or self.runs):
            for name, command in commands:
                if cold:
                    self.clear_units()
                samples[name].append(self.measure(command, strict))
        for name, _ in commands:
            self.results[name] = summarise(name, samples[name])
            print(self.results[name].line(), flush=True)


# -- Checkov -----------------------------------------------------------------------------------


def install_checkov(folder: Path) -> Path:
    checkov = folder / "bin" / "checkov"
    if not checkov.exists():
        print(f"installing Checkov 3.3 into {folder} (once)...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True)
        subprocess.run([str(folder / "bin" / "pip"), "install", "-q", "checkov>=3.3,<3.4"], check=True)
    return checkov


def checkov_version(checkov: Path) -> str:
    done = subprocess.run([str(checkov), "--version"], capture_output=True, text=True)
    return done.stdout.strip() or "?"


def run_checkov(bench: Bench, checkov: Path, name: str, path: Path, runs: int) -> Result:
    flag = "-d" if path.is_dir() else "-f"
    command = [str(checkov), "--quiet", "--compact", "--framework", "terraform", "cloudformation",
               "-c", CHECKOV_CHECKS, flag, str(path)]
    env = dict(os.environ, BC_SKIP_MAPPING="TRUE")
    result = summarise(name, [measure(command, env, strict=False) for _ in range(runs)])
    bench.results[name] = result
    print(result.line(), flush=True)
    return result


# -- iamlint from a regular install --------------------------------------------------------------


def regular_install(folder: Path) -> str:
    python = folder / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True)
    print(f"installing this checkout into {folder} (pip install .)...", flush=True)
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--force-reinstall", "--no-deps", str(ROOT)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "-q", f"{ROOT}[lsp]"], check=True)  # the dependencies, pygls
    return str(python)


# -- in-process and special measurements -------------------------------------------------------


async def lsp_saves(python: str, module: Path, env: dict[str, str], saves: int) -> list[float]:
    """Seconds from didSave to the publishDiagnostics of the saved file (edited first)."""
    from lsprotocol import types
    from pygls.lsp.client import BaseLanguageClient
    from pygls.uris import from_fs_path

    client = BaseLanguageClient("bench", "1")
    published: asyncio.Queue = asyncio.Queue()

    @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def on_publish(params: types.PublishDiagnosticsParams) -> None:
        published.put_nowait((time.perf_counter(), params))

    await client.start_io(python, "-m", "iamlint", "lsp", env=env)
    await client.initialize_async(types.InitializeParams(process_id=os.getpid(), root_uri=from_fs_path(str(module)), capabilities=types.ClientCapabilities()))
    client.initialized(types.InitializedParams())
    target = module / "iam.tf"
    uri = from_fs_path(str(target))
    text = target.read_text()

    async def until_published(version: int | None) -> float:
        while True:
            stamp, params = await asyncio.wait_for(published.get(), 60)
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


def pool_threshold(bench: Bench, sizes: list[int], runs: int, busy: int = 0) -> None:
    """--jobs 1 against a forced 2-process pool, by repository size (with ``busy``
    processes keeping the CPUs busy: where the pool pays under contention)."""
    print(f"\nPool break-even (cold, medians; the forced pool ignores POOL_MIN_BYTES; {busy} busy processes):")
    for size in sizes:
        repository = write_repository(bench.work / f"pool{size}", size)
        kb = sum(p.stat().st_size for p in repository.rglob("*.tf")) / 1024
        one = bench.command(["--jobs", "1", str(repository)])
        pool = [bench.python, "-c", FORCED_POOL, "check", "-q", "--jobs", "2", str(repository)]
        samples: dict[str, list[Sample]] = {"one": [], "pool": []}
        for command in (one, pool):
            bench.measure(command)  # as Bench.rows: byte code, parser, the entry-point index in the cache folder
        for _ in range(runs):
            for name, command in (("one", one), ("pool", pool)):
                bench.clear_units()
                samples[name].append(bench.measure(command))
        a, b = summarise("one", samples["one"]), summarise("pool", samples["pool"])
        print(f"  {size:3d} modules ({kb:6.1f} KB): one process {a.wall * 1000:6.0f} ms, pool of 2 {b.wall * 1000:6.0f} ms "
              f"({b.wall / a.wall:.2f}x)", flush=True)


def machine() -> str:
    model = platform.processor() or "?"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            model = next((line.split(":", 1)[1].strip() for line in handle if line.startswith("model name")), model)
    except OSError:
        pass
    sys.path.insert(0, str(ROOT))
    from iamlint.parallel import usable_cpus

    return (f"{model}, {os.cpu_count()} CPUs ({usable_cpus()} usable by this process), "
            f"{platform.system()} {platform.release()}, Python {platform.python_version()}")


def load() -> str:
    try:
        return "load average " + ", ".join(f"{value:.2f}" for value in os.getloadavg())
    except OSError:
        return "load average ?"


# -- the run -------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100,500", help="module counts of the full scans (default 100,500)")
    parser.add_argument("--runs", type=int, default=7, help="runs per small measurement (median)")
    parser.add_argument("--scan-runs", type=int, default=5, help="runs per full scan (median)")
    parser.add_argument("--saves", type=int, default=25, help="LSP saves measured")
    parser.add_argument("--busy", type=int, default=os.cpu_count() or 2, help="busy processes for the contention rows")
    parser.add_argument("--checkov", metavar="PATH", help="an installed checkov to compare with")
    parser.add_argument("--install-checkov", metavar="DIR", help="install Checkov 3.3 into a venv at DIR first (reused)")
    parser.add_argument("--checkov-runs", type=int, default=1, help="runs of Checkov per measurement")
    parser.add_argument("--regular-install", metavar="DIR", help="measure a regular install of this checkout in a venv at DIR")
    parser.add_argument("--no-corpus", action="store_true", help="skip ../shared/corpus")
    parser.add_argument("--pool-threshold", action="store_true", help="only the pool's break-even, on idle and on busy CPUs")
    parser.add_argument("--quick", action="store_true", help="20 and 60 modules, 3 runs, no corpus: a smoke run")
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    args = parser.parse_args()
    if args.quick:
        args.sizes, args.runs, args.scan_runs, args.saves, args.no_corpus = "20,60", 3, 1, 10, True
    sizes = [int(s) for s in args.sizes.split(",")]
    small = sizes[0]
    python = regular_install(Path(args.regular_install)) if args.regular_install else sys.executable
    checkov = install_checkov(Path(args.install_checkov)) if args.install_checkov else (Path(args.checkov) if args.checkov else None)

    work = Path(tempfile.mkdtemp(prefix="iamlint-bench-"))
    bench = Bench(work, args.runs, python)
    started = load()
    print(f"iamlint speed benchmark -- {machine()}")
    print(f"iamlint: {python} ({'regular install' if args.regular_install else 'this interpreter'}); "
          f"Checkov: {checkov_version(checkov) if checkov else 'not run'}; {started} at the start")
    try:
        if args.pool_threshold:
            pool_threshold(bench, [2, 4, 8, 12, 16, 24, 32], max(args.runs, 9))
            with Busy(args.busy):
                pool_threshold(bench, [16, 24, 32, 45, 60, 100], max(args.runs, 7), args.busy)
            return
        single = write_repository(work / "single", 1) / "team0" / "module000"
        template = work / "stack.yaml"
        template.write_text(TEMPLATE)

        print("\nOne-shot runs (cold unit cache):")
        bench.rows([("one .tf file", [str(single / "main.tf")]), ("one module", [str(single)]),
                    ("one template", [str(template)])], cold=True)

        print("\nFull scans:")
        repositories = {size: write_repository(work / f"repo{size}", size) for size in sizes}
        for size in sizes:
            repository = str(repositories[size])
            variants = [(f"{size} modules, cold, one process", ["--jobs", "1", repository]),
                        (f"{size} modules, cold, default jobs", [repository])]
            if size == small:
                variants.insert(1, (f"{size} modules, cold, --jobs 2", ["--jobs", "2", repository]))
            bench.rows(variants, cold=True, runs=args.scan_runs)
        bench.rows([(f"{small} modules, warm, default jobs", [str(repositories[small])])], cold=False)
        print(f"\nUnder contention ({args.busy} busy processes):")
        with Busy(args.busy):
            bench.rows([(f"{small} modules, cold, one process, busy CPUs", ["--jobs", "1", str(repositories[small])]),
                        (f"{small} modules, cold, default jobs, busy CPUs", [str(repositories[small])])],
                       cold=True, runs=max(args.scan_runs, args.runs))  # more runs: the busy CPUs spread them more

        if CORPUS.is_dir() and not args.no_corpus:
            print(f"\n{CORPUS} (cold, default jobs, JSON output):")
            # exit 2: the corpus holds files with syntax errors (located input errors)
            bench.rows([("corpus, cold, default jobs", ["--format", "json", str(CORPUS)])], cold=True, runs=2, strict=False)

        deep = work / "deep" / "main.tf"
        deep.parent.mkdir()
        deep.write_text("locals {\n  x = " + "[" * DEEP + "1" + "]" * DEEP + "\n}\n")
        print(f"\nDeeply nested HCL ({DEEP:,} levels):")
        bench.rows([("deeply nested HCL", [str(deep)])], cold=True, runs=3, strict=False)  # exit 2: an input error

        lsp = None
        try:
            subprocess.run([python, "-c", "import pygls"], check=True, capture_output=True)
        except subprocess.CalledProcessError:
            print("\nLSP: not measured (pip install 'iamlint[lsp]')")
        else:
            module = write_repository(work / "lsp", 1) / "team0" / "module000"
            iam = module / "iam.tf"  # grow iam.tf to ~150 lines, as in the target
            iam.write_text(iam.read_text() + "".join(EXTRA_POLICY.format(k=k) for k in range(7)))
            saves = asyncio.run(lsp_saves(python, module, bench.env, args.saves))
            lsp = statistics.median(saves)
            lines = iam.read_text().count("\n")
            print(f"\nLSP didSave -> publishDiagnostics ({lines}-line iam.tf in a 4-file module): median {lsp * 1000:.1f} ms, "
                  f"min {min(saves) * 1000:.1f} ms, max {max(saves) * 1000:.1f} ms over {len(saves)} saves")

        theirs: dict[str, Result] = {}
        if checkov is not None:
            print(f"\nCheckov ({checkov_version(checkov)}, {CHECKOV_CHECKS.count(',') + 1} equivalent checks):")
            for label, path in [("one .tf file", single / "main.tf"), ("one module", single), ("one template", template)]:
                theirs[label] = run_checkov(bench, checkov, f"checkov: {label}", path, args.checkov_runs)
            for size in sizes:
                theirs[f"{size} modules"] = run_checkov(bench, checkov, f"checkov: {size} modules", repositories[size], args.checkov_runs)
        report(bench.results, theirs, sizes, lsp, started)
    finally:
        if args.keep:
            print(f"\nkept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def report(r: dict[str, Result], theirs: dict[str, Result], sizes: list[int], lsp: float | None, started: str) -> None:
    small, large = sizes[0], sizes[-1]
    print(f"\n{load()} at the end ({started} at the start)")
    print("\nTargets (issue 17; ratios to Checkov in this run):")

    def row(label: str, value: float | None, target: float, unit: str, extra: str = "") -> None:
        if value is None:
            print(f"  {label:<62} not measured")
            return
        verdict = "met" if value <= target else f"MISSED ({value / target:.2f}x the target)"
        print(f"  {label:<62} {value:.3f} {unit} (target <= {target:g}): {verdict}{extra}")

    def ratio(ours: str, other: str) -> float | None:
        mine, them = r.get(ours), theirs.get(other)
        return mine.wall / them.wall if mine and them else None

    def wall(name: str) -> float | None:
        return r[name].wall if name in r else None

    one, two, default = (f"{small} modules, cold, one process", f"{small} modules, cold, --jobs 2",
                         f"{small} modules, cold, default jobs")
    row(f"{small} modules cold, one process / Checkov", ratio(one, f"{small} modules"), 0.04, "x")
    row(f"{small} modules cold, --jobs 2 / one process", wall(two) / wall(one) if wall(two) and wall(one) else None, 0.6, "x")
    row(f"{small} modules cold, default jobs / one process", wall(default) / wall(one) if wall(default) and wall(one) else None, 1.0, "x")
    busy_one, busy_default = f"{one}, busy CPUs", f"{default}, busy CPUs"
    row("  the same with the CPUs busy", wall(busy_default) / wall(busy_one) if wall(busy_default) and wall(busy_one) else None, 1.0, "x")
    row(f"{small} modules warm / Checkov cold", ratio(f"{small} modules, warm, default jobs", f"{small} modules"), 0.01, "x")
    row("one .tf file one-shot", wall("one .tf file"), 0.12, "s", f"; ratio to Checkov {ratio('one .tf file', 'one .tf file') or 0:.3f}")
    row("one template one-shot", wall("one template"), 0.10, "s", f"; ratio to Checkov {ratio('one template', 'one template') or 0:.3f}")
    row("corpus cold, default jobs", wall("corpus, cold, default jobs"), 20.0, "s")
    row("LSP save -> diagnostics (4-file module)", lsp * 1000 if lsp is not None else None, 30.0, "ms")
    key = f"{large} modules, cold, one process"
    row(f"peak RSS at {large} modules (one process)", r[key].rss_mb if key in r else None, 150.0, "MB")
    key = f"{large} modules, cold, default jobs"
    row(f"peak RSS at {large} modules (default jobs, largest process)", r[key].rss_mb if key in r else None, 150.0, "MB")
    row("deeply nested HCL: time to the located error", wall("deeply nested HCL"), 1.0, "s",
        f"; peak RSS {r['deeply nested HCL'].rss_mb:.0f} MB" if "deeply nested HCL" in r else "")
    print("\nMarkdown (the README's Speed table):\n")
    print("| case | iamlint wall | CPU | peak RSS | Checkov | ratio |")
    print("|---|---|---|---|---|---|")
    for name, result in r.items():
        if name.startswith("checkov: "):
            continue
        other = next((theirs[k] for k in theirs if name.startswith(k)), None)
        shown = f"{other.wall:.2f} s" if other else ""
        ratio_text = f"{result.wall / other.wall:.3f}x" if other else ""
        print(f"| {name} | {result.wall:.3f} s | {result.cpu:.3f} s | {result.rss_mb:.0f} MB | {shown} | {ratio_text} |")
    if lsp is not None:
        print(f"| language server, save -> diagnostics (4-file module) | {lsp * 1000:.1f} ms (median) | | | | |")


if __name__ == "__main__":
    main()
