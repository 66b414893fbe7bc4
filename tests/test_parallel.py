"""A run with a process pool reports exactly what a serial run reports (iamlint.parallel)."""

from __future__ import annotations

import multiprocessing
import os

import pytest

import iamlint.engine as engine
from iamlint import parallel
from iamlint.engine import Options, run

pytestmark = pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="needs fork")

ROLE = """
resource "aws_iam_role" "r{i}" {{
  name               = "r{i}"
  assume_role_policy = jsonencode({{Version = "2012-10-17", Statement = [{{Effect = "Allow", Action = "sts:AssumeRole", Principal = {{Service = "{principal}"}}}}]}})
}}

resource "aws_iam_role_policy" "p{i}" {{
  role   = aws_iam_role.r{i}.id
  policy = jsonencode({{Version = "2012-10-17", Statement = [{{Effect = "Allow", Action = "{action}", Resource = "*"}}]}})
}}

resource "aws_iam_instance_profile" "p{i}" {{
  role = aws_iam_role.r{i}.name
}}
"""

INSTANCE = """
resource "aws_instance" "web{i}" {{
  ami                  = "ami-123"
  iam_instance_profile = {profile}
  metadata_options {{
    http_tokens = "required"
  }}
}}
"""

TEMPLATE = """AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement:
          - Effect: Allow
            Principal: {{Service: ec2.amazonaws.com}}
            Action: sts:AssumeRole
      Policies:
        - PolicyName: p
          PolicyDocument:
            Statement:
              - Effect: Allow
                Action: "{action}"
                Resource: "*"
  Profile:
    Type: AWS::IAM::InstanceProfile
    Properties:
      Roles: [!Ref Role]
  Instance:
    Type: AWS::EC2::Instance
    Properties:
      IamInstanceProfile: !Ref Profile
"""


MODULES = 24


@pytest.fixture
def repository(tmp_path, monkeypatch):
    monkeypatch.setenv("IAMLINT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(parallel, "POOL_MIN_BYTES", 1)  # a small repository, in a pool all the same
    root = tmp_path / "repo"
    actions = ["s3:GetObject", "s3:*", "*", "ec2:DescribeInstances", "iam:PassRole"]
    for i in range(MODULES):
        module = root / f"module{i:02d}"
        module.mkdir(parents=True)
        principal = "ec2.amazonaws.com" if i % 4 else "lambda.amazonaws.com"
        (module / "iam.tf").write_text(ROLE.format(i=i, principal=principal, action=actions[i % len(actions)]))
        profile = f"aws_iam_instance_profile.p{i}.name" if i % 3 else "null"
        (module / "main.tf").write_text(INSTANCE.format(i=i, profile=profile))
        if i % 7 == 3:
            (module / "broken.tf").write_text('resource "x" "y" {\n  a = \n')
        if i % 5 == 0:
            (module / f"stack{i}.yaml").write_text(TEMPLATE.format(action=actions[i % len(actions)]))
    return root


def _snapshot(report):
    return (
        [(f.rule, f.path, f.line, f.column, f.end_line, f.end_column, f.severity, f.message, f.resource, f.related) for f in report.findings],
        [(e.path, e.line, e.column, e.message) for e in report.errors],
        report.files,
        report.resources,
    )


@pytest.fixture
def pool_calls(monkeypatch):
    calls = []
    original = parallel._pooled

    def spy(*args, **kwargs):
        calls.append(sum(len(task) for task in args[5]))  # units to load in the pool
        yield from original(*args, **kwargs)

    monkeypatch.setattr(parallel, "_pooled", spy)
    return calls


def test_two_jobs_report_exactly_what_one_job_reports(repository, pool_calls):
    serial = run([str(repository)], Options(jobs=1, cache=False))
    assert not pool_calls
    pooled = run([str(repository)], Options(jobs=2, cache=False))
    assert pool_calls, "the pool was not used"
    assert serial.findings and serial.errors  # the comparison covers findings and errors
    assert _snapshot(pooled) == _snapshot(serial)


def test_pool_with_a_warm_cache_and_a_partly_changed_repository(repository, pool_calls):
    serial = run([str(repository)], Options(jobs=1, cache=False))
    first = run([str(repository)], Options(jobs=2))  # workers write the entries
    assert _snapshot(first) == _snapshot(serial)
    for i in range(0, MODULES, 2):  # half the modules change
        main = repository / f"module{i:02d}" / "main.tf"
        main.write_text(main.read_text() + "\n# edited\n")
    pool_calls.clear()
    second = run([str(repository)], Options(jobs=2))
    assert pool_calls == [MODULES // 2]  # only the changed modules were parsed
    assert _snapshot(second) == _snapshot(serial)
    pool_calls.clear()
    third = run([str(repository)], Options(jobs=2))  # everything cached: no pool at all
    assert pool_calls == []
    assert _snapshot(third) == _snapshot(serial)


def test_a_crash_in_a_worker_is_the_same_located_error_as_in_a_serial_run(repository, monkeypatch):
    original = engine.load_unit

    def flaky(unit, options):
        if unit.root.endswith("module05"):
            raise RuntimeError("boom")
        return original(unit, options)

    monkeypatch.setattr(engine, "load_unit", flaky)
    serial = run([str(repository)], Options(jobs=1, cache=False))
    pooled = run([str(repository)], Options(jobs=2, cache=False))
    assert any("boom" in e.message for e in serial.errors)
    assert _snapshot(pooled) == _snapshot(serial)


def test_small_runs_stay_in_one_process(tmp_path, monkeypatch, pool_calls):
    monkeypatch.setenv("IAMLINT_CACHE_DIR", str(tmp_path / "cache"))
    size = 0
    for i in range(40):
        (tmp_path / f"m{i}").mkdir()
        (tmp_path / f"m{i}" / "main.tf").write_text(INSTANCE.format(i=i, profile="null"))
        size += len(INSTANCE.format(i=i, profile="null"))
    assert size < parallel.POOL_MIN_BYTES  # forty small modules: below the size where a pool pays
    run([str(tmp_path)], Options(jobs=2, cache=False))
    assert pool_calls == []
    monkeypatch.setattr(parallel, "POOL_MIN_BYTES", size)
    run([str(tmp_path)], Options(jobs=2, cache=False))
    assert pool_calls == [40]


def test_jobs_default_to_the_usable_cpus():
    assert parallel.resolve_jobs(None) == parallel.default_jobs() and 1 <= parallel.default_jobs() <= parallel.usable_cpus()
    assert parallel.resolve_jobs(3) == 3


# -- the CPUs a process may use --------------------------------------------------------------

def _cgroups(tmp_path, proc: str, files: dict[str, str]) -> tuple[str, str]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "proc").write_text(proc)
    for name, text in files.items():
        path = tmp_path / "fs" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    (tmp_path / "fs").mkdir(exist_ok=True)
    return str(tmp_path / "fs"), str(tmp_path / "proc")


def test_cgroup_v2_quota_caps_the_jobs(tmp_path, monkeypatch):
    monkeypatch.setattr(parallel.os, "sched_getaffinity", lambda pid: set(range(16)), raising=False)
    root, proc = _cgroups(tmp_path, "0::/app.slice/job\n", {"app.slice/job/cpu.max": "150000 100000\n",
                                                              "app.slice/cpu.max": "max 100000\n"})
    assert parallel.cgroup_cpu_quota(root, proc) == 1.5
    assert parallel.usable_cpus(root, proc) == 2
    root, proc = _cgroups(tmp_path / "b", "0::/\n", {"cpu.max": "50000 100000\n"})  # in a container: its own root
    assert parallel.usable_cpus(root, proc) == 1
    root, proc = _cgroups(tmp_path / "c", "0::/x\n", {"x/cpu.max": "max 100000\n"})
    assert parallel.cgroup_cpu_quota(root, proc) is None and parallel.usable_cpus(root, proc) == 16


def test_cgroup_v1_quota_and_affinity(tmp_path, monkeypatch):
    monkeypatch.setattr(parallel.os, "sched_getaffinity", lambda pid: {0, 1, 2, 3}, raising=False)
    root, proc = _cgroups(tmp_path, "4:memory:/x\n2:cpu,cpuacct:/docker/abc\n",
                          {"cpu,cpuacct/cpu.cfs_quota_us": "300000\n", "cpu,cpuacct/cpu.cfs_period_us": "100000\n"})
    assert parallel.cgroup_cpu_quota(root, proc) == 3.0
    assert parallel.usable_cpus(root, proc) == 3
    root, proc = _cgroups(tmp_path / "b", "2:cpu,cpuacct:/\n", {"cpu,cpuacct/cpu.cfs_quota_us": "-1\n",
                                                                "cpu,cpuacct/cpu.cfs_period_us": "100000\n"})
    assert parallel.usable_cpus(root, proc) == 4  # no quota: the affinity (4 of the machine's CPUs)
    assert parallel.usable_cpus(str(tmp_path / "none"), str(tmp_path / "none")) == 4  # no cgroup files at all


# -- planning: units reading the same child module go to one worker ---------------------------

def _module(folder, calls=(), size=2000):
    folder.mkdir(parents=True, exist_ok=True)
    body = "".join(f'module "m{i}" {{\n  source = "{source}"\n}}\n' for i, source in enumerate(calls))
    (folder / "main.tf").write_text(body + "#" * max(0, size - len(body)) + "\n")
    return folder


def _units(*folders):
    from iamlint.formats.terraform import FORMAT

    return [FORMAT.claim(str(f), sorted(p.name for p in f.iterdir()))[0][0] for f in folders]


def test_units_calling_the_same_module_form_one_task(tmp_path):
    shared = _module(tmp_path / "repo")
    a = _module(tmp_path / "repo" / "examples" / "a", ["../.."])
    b = _module(tmp_path / "repo" / "examples" / "b", ["../../"])
    alone = _module(tmp_path / "other")
    c = _module(tmp_path / "third" / "c", ["./inner"])
    _module(tmp_path / "third" / "c" / "inner", ["../../../repo"])  # reached through a child module
    units = _units(shared, a, b, alone, c)
    assert parallel.plan(units, jobs=1, min_bytes=0) == [[0, 1, 2, 4], [3]]  # (one job: nothing is split)
    assert parallel.plan(units, jobs=2, min_bytes=10**9) == [[0, 1, 2, 3, 4]]  # too small for a pool


def test_a_task_bigger_than_a_workers_share_is_split(tmp_path):
    shared = _module(tmp_path / "repo", size=100)
    examples = [_module(tmp_path / "repo" / "examples" / f"e{i}", ["../.."], size=5000) for i in range(8)]
    units = _units(shared, *examples)
    tasks = parallel.plan(units, jobs=2, min_bytes=0)
    assert sorted(i for task in tasks for i in task) == list(range(9))
    assert 2 < len(tasks) <= 5 and all(task == sorted(task) for task in tasks)


def test_default_jobs_leave_out_cpus_other_processes_keep_busy_below_the_busy_threshold(tmp_path, monkeypatch):
    monkeypatch.setattr(parallel, "usable_cpus", lambda: 2)
    monkeypatch.setattr(parallel.os, "cpu_count", lambda: 2)
    loadavg = tmp_path / "loadavg"
    medium = parallel.BUSY_POOL_MIN_BYTES - 1
    for running, jobs in ((1, 2), (2, 1), (3, 1), (9, 1)):  # this process, plus running - 1 others
        loadavg.write_text(f"0.50 0.40 0.30 {running}/300 12345\n")
        assert parallel.default_jobs(str(loadavg), work=medium) == jobs
        # enough work: every usable CPU, busy or not (the pool pays under contention there)
        assert parallel.default_jobs(str(loadavg), work=parallel.BUSY_POOL_MIN_BYTES) == 2
        assert parallel.default_jobs(str(loadavg)) == 2
    monkeypatch.setattr(parallel.os, "cpu_count", lambda: 64)  # two usable CPUs of a big, half-busy host
    loadavg.write_text("30.0 30.0 30.0 33/900 12345\n")
    assert parallel.default_jobs(str(loadavg), work=medium) == 2
    assert parallel.default_jobs(str(tmp_path / "missing"), work=medium) == 2  # no /proc: the usable CPUs
    monkeypatch.setattr(parallel, "usable_cpus", lambda: 1)  # one usable CPU: never a pool
    assert parallel.default_jobs(str(tmp_path / "missing")) == 1


def test_enough_work_takes_the_usable_cpus_without_looking_at_the_load(repository, monkeypatch, pool_calls):
    """From BUSY_POOL_MIN_BYTES of source on, the default jobs are the usable CPUs even on a
    busy machine, and its load is not probed (the samples are ~10 ms of the serial share);
    just below, the load decides (here: one process)."""
    probed = []
    monkeypatch.setattr(parallel, "_running", lambda loadavg: probed.append(loadavg) or 9)  # a busy machine
    monkeypatch.setattr(parallel, "usable_cpus", lambda: 2)
    asked = []
    original = parallel.resolve_jobs
    monkeypatch.setattr(parallel, "resolve_jobs", lambda jobs, work=None: asked.append(work) or original(jobs, work))
    serial = run([str(repository)], Options(jobs=1, cache=False))
    monkeypatch.setattr(parallel, "BUSY_POOL_MIN_BYTES", 1)
    report = run([str(repository)], Options(jobs=None, cache=False))
    assert probed == [] and len(pool_calls) == 1 and _snapshot(report) == _snapshot(serial)
    work = asked[-1]
    assert work > 0
    monkeypatch.setattr(parallel, "BUSY_POOL_MIN_BYTES", work + 1)
    report = run([str(repository)], Options(jobs=None, cache=False))
    assert probed and len(pool_calls) == 1 and _snapshot(report) == _snapshot(serial)


def test_pool_workers_run_the_rules_and_send_back_checked_units(repository, pool_calls, monkeypatch):
    """The rules run in the workers (what travels back is the checked record, not the
    graph): the parent checks none of the units the pool loaded, and reports exactly what
    a serial run reports."""
    serial = run([str(repository)], Options(jobs=1, cache=False))
    in_parent = []
    original = engine._Loading.check

    def spy(self, unit, result):
        in_parent.append(unit.root)
        return original(self, unit, result)

    monkeypatch.setattr(engine._Loading, "check", spy)
    pooled = run([str(repository)], Options(jobs=2, cache=False))
    assert pool_calls, "the pool was not used"
    assert in_parent == []  # every unit was checked in a worker
    assert _snapshot(pooled) == _snapshot(serial)


def test_a_check_that_fails_in_a_worker_is_done_again_in_the_parent(repository, pool_calls, monkeypatch):
    """A worker whose check raises sends the loaded unit back instead; the parent checks it."""
    serial = run([str(repository)], Options(jobs=1, cache=False))
    original = engine._checked
    parent = __import__("os").getpid()

    def fails_in_workers(*args, **kwargs):
        if __import__("os").getpid() != parent:
            raise RuntimeError("boom")
        return original(*args, **kwargs)

    monkeypatch.setattr(engine, "_checked", fails_in_workers)
    pooled = run([str(repository)], Options(jobs=2, cache=False))
    assert pool_calls, "the pool was not used"
    assert _snapshot(pooled) == _snapshot(serial)


def test_a_pool_declined_asks_the_cache_once_per_unit(repository, monkeypatch):
    """When the default jobs fall back to one process (CPUs busy), the units the cache did
    not have are loaded without asking the cache again."""
    from iamlint.cache import UnitCache

    asked = []
    original = UnitCache.get

    def spy(self, unit, options):
        asked.append(unit.root)
        return original(self, unit, options)

    monkeypatch.setattr(UnitCache, "get", spy)
    monkeypatch.setattr(parallel, "resolve_jobs", lambda jobs, work=None: 1)  # no free CPU now
    run([str(repository)], Options(jobs=None))
    assert asked and len(asked) == len(set(asked))


def test_one_process_by_default_is_decided_before_the_plan_reads_any_source(repository, monkeypatch, pool_calls):
    """When the default jobs come to one process (no free CPU), the units' sources are
    not read to plan a pool (the plan's size estimate and shared-input scan are not
    called), and the run reports what a serial run reports."""
    serial = run([str(repository)], Options(jobs=1, cache=False))
    planned, scanned = [], []
    monkeypatch.setattr(parallel, "plan", lambda *args, **kwargs: planned.append(args) or [])
    monkeypatch.setattr(parallel, "_shared_inputs", lambda unit: scanned.append(unit) or frozenset())
    monkeypatch.setattr(parallel, "resolve_jobs", lambda jobs, work=None: 1)  # the probe: no free CPU now
    report = run([str(repository)], Options(jobs=None, cache=False))
    assert (planned, scanned, pool_calls) == ([], [], [])
    assert _snapshot(report) == _snapshot(serial)
    monkeypatch.setattr(parallel, "resolve_jobs", lambda jobs, work=None: 2)  # the same spies see a pool being planned
    run([str(repository)], Options(jobs=None, cache=False))
    assert planned


def _entries(folder):
    """Every entry of a cache folder by name: its header (but the payload's digest) and
    the unpickled payload."""
    import json
    import pickle

    entries = {}
    for path in sorted(folder.glob("*.*[ty]")):  # .entry, .result (not the .pruned marker)
        data = path.read_bytes()
        magic, header, payload = data.split(b"\n", 2)
        header = json.loads(header)
        header.pop("payload")
        entries[path.name] = (magic, header, pickle.loads(payload))
    return entries


def test_pool_workers_store_the_same_entries_as_one_process_and_a_warm_run_hits_them_all(
        repository, pool_calls, monkeypatch, tmp_path):
    """The workers write the unit and results entries themselves (the parent stores
    none): the same entries, by name, header and content, as a run in one process; a warm
    run after the pool's cold run loads and checks nothing and reports the same."""
    from iamlint.results import ResultCache

    serial_dir, pooled_dir = tmp_path / "serial-cache", tmp_path / "pooled-cache"
    monkeypatch.setenv("IAMLINT_CACHE_DIR", str(serial_dir))
    serial = run([str(repository)], Options(jobs=1))
    stored_here = []
    original_store = ResultCache.store
    parent = os.getpid()

    def spy(self, *args, **kwargs):
        if os.getpid() == parent:
            stored_here.append(args[0].root)
        return original_store(self, *args, **kwargs)

    monkeypatch.setattr(ResultCache, "store", spy)
    monkeypatch.setenv("IAMLINT_CACHE_DIR", str(pooled_dir))
    pooled = run([str(repository)], Options(jobs=2))
    assert pool_calls == [MODULES + len(range(0, MODULES, 5))]  # every unit (modules, templates) in the pool
    assert stored_here == []
    assert _snapshot(pooled) == _snapshot(serial)
    for folder in ("units", "results"):
        serial_entries, pooled_entries = _entries(serial_dir / folder), _entries(pooled_dir / folder)
        assert len(serial_entries) >= MODULES
        if folder == "units":  # graphs compare by identity: the headers (names, files read and digests)
            serial_entries = {name: entry[:2] for name, entry in serial_entries.items()}
            pooled_entries = {name: entry[:2] for name, entry in pooled_entries.items()}
        assert pooled_entries == serial_entries

    loaded, checked = [], []
    monkeypatch.setattr(engine, "load_unit", lambda unit, options: loaded.append(unit.root))
    monkeypatch.setattr(engine._Loading, "check", lambda self, unit, result: checked.append(unit.root))
    pool_calls.clear()
    warm = run([str(repository)], Options(jobs=2))
    assert (pool_calls, loaded, checked) == ([], [], [])
    assert _snapshot(warm) == _snapshot(serial)


def test_the_plans_scan_of_module_calls_reads_regular_files_only(tmp_path):
    """The pool's plan reads each folder's ``source = "./..."`` lines (``shared_inputs``):
    through ``read_head`` (a FIFO named like a .tf file is not opened: it would block),
    up to 1 MiB of each file."""
    import threading

    from iamlint.formats.terraform import FORMAT, _local_sources
    from iamlint.model.units import Unit
    from iamlint.sources import read_head

    child = _module(tmp_path / "modules" / "child")
    root = _module(tmp_path / "root", ["../modules/child"])
    os.mkfifo(root / "pipe.tf")
    _local_sources.cache_clear()
    found = []
    scan = threading.Thread(target=lambda: found.append(FORMAT.shared_inputs(Unit("terraform", str(root), []))),
                            daemon=True)
    scan.start()
    scan.join(timeout=20)
    assert not scan.is_alive(), "the scan blocked on a FIFO"
    assert found == [{str(child)}]
    big = tmp_path / "big.tf"
    big.write_bytes(b"x" * 5000)
    assert read_head(str(big), 4096) == b"x" * 4096 and read_head(str(big), 9000) == b"x" * 5000
    assert read_head(str(root / "pipe.tf"), 10) is None


def test_a_worker_that_dies_costs_only_the_unit_it_was_reading(repository, pool_calls, monkeypatch):
    """A worker killed while loading a unit (a crash in C code, the OOM killer): that unit
    is a located error, the tasks it had queued go to the other worker, the run ends and
    reports the rest as a serial run does."""
    import signal

    serial = run([str(repository)], Options(jobs=1, cache=False))
    original = engine.load_unit
    parent = os.getpid()

    def killed(unit, options):
        if unit.root.endswith("module05") and os.getpid() != parent:
            os.kill(os.getpid(), signal.SIGKILL)
        return original(unit, options)

    monkeypatch.setattr(engine, "load_unit", killed)
    pooled = run([str(repository)], Options(jobs=2, cache=False))
    assert pool_calls, "the pool was not used"
    lost = [e for e in pooled.errors if "a worker process ended unexpectedly" in e.message]
    assert [e.path for e in lost] == [str(repository / "module05")]
    assert "-9" in lost[0].message  # the signal that ended it

    def others(report):
        findings, errors, _, _ = _snapshot(report)
        return ([f for f in findings if "module05" not in f[1]], [e for e in errors if "module05" not in e[0]])

    assert others(pooled) == others(serial)


def test_a_pool_stopped_early_leaves_no_worker_behind(repository, monkeypatch):
    """The consumer stops after the first unit (an error, Ctrl-C): the workers are
    stopped and reaped; and the pool never imports multiprocessing (fork and pipes)."""
    import sys

    from iamlint.discovery import discover

    monkeypatch.delitem(sys.modules, "multiprocessing", raising=False)
    units, _ = discover([str(repository)])
    loaded = parallel.load_units(units, Options(jobs=2, cache=False), None, 2, engine.load_unit)
    _, result, crash = next(loaded)
    assert crash is None and result is not None
    loaded.close()
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)  # no child left, not even a zombie
    assert "multiprocessing" not in sys.modules
