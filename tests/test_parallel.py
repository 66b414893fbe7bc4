"""A run with a process pool reports exactly what a serial run reports (iamlint.parallel)."""

from __future__ import annotations

import multiprocessing

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


@pytest.fixture
def repository(tmp_path, monkeypatch):
    monkeypatch.setenv("IAMLINT_CACHE_DIR", str(tmp_path / "cache"))
    root = tmp_path / "repo"
    actions = ["s3:GetObject", "s3:*", "*", "ec2:DescribeInstances", "iam:PassRole"]
    for i in range(3 * parallel.MIN_UNITS):
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
        calls.append(len(args[5]))  # units to load in the pool
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
    for i in range(0, 3 * parallel.MIN_UNITS, 2):  # half the modules change
        main = repository / f"module{i:02d}" / "main.tf"
        main.write_text(main.read_text() + "\n# edited\n")
    pool_calls.clear()
    second = run([str(repository)], Options(jobs=2))
    assert pool_calls == [3 * parallel.MIN_UNITS // 2]  # only the changed modules were parsed
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
    for i in range(parallel.MIN_UNITS - 1):
        (tmp_path / f"m{i}").mkdir()
        (tmp_path / f"m{i}" / "main.tf").write_text(INSTANCE.format(i=i, profile="null"))
    run([str(tmp_path)], Options(jobs=2, cache=False))
    assert pool_calls == []


def test_jobs_default_to_the_cpu_count():
    assert parallel.resolve_jobs(None) == parallel.default_jobs() >= 1
    assert parallel.resolve_jobs(3) == 3
