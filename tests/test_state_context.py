"""Terraform state as context (issue 15 item 3, ``--state FILE``): ``terraform show -json``
of a state and the raw state file (version 4), built by hand with Terraform's field names;
and plan values in ``after_unknown`` reported as unknown until apply."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from iamlint.engine import run
from iamlint.options import Options

TRUST_ANYONE = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]})
ROLE_VALUES = {
    "arn": "arn:aws:iam::111122223333:role/legacy", "assume_role_policy": TRUST_ANYONE,
    "create_date": "2020-01-10T10:00:00Z", "description": "", "id": "legacy", "max_session_duration": 3600,
    "name": "legacy", "path": "/", "permissions_boundary": "", "role_last_used": [], "tags": {},
    "unique_id": "AROAEXAMPLELEGACY01",
}
PROVIDER = "registry.terraform.io/hashicorp/aws"

CODE = '''data "aws_iam_role" "legacy" {
  name = "legacy"
}

resource "aws_iam_instance_profile" "web" {
  name = "web"
  role = data.aws_iam_role.legacy.name
}

resource "aws_instance" "web" {
  ami                  = "ami-0c55b159cbfafe1f0"
  instance_type        = "t3.micro"
  iam_instance_profile = aws_iam_instance_profile.web.name

  metadata_options {
    http_tokens = "required"
  }
}
'''


def shown_state(resources: list[dict]) -> dict:
    """``terraform show -json`` of a state."""
    return {"format_version": "1.0", "terraform_version": "1.9.5", "values": {"root_module": {"resources": resources}}}


def raw_state(resources: list[dict]) -> dict:
    """A state file, format version 4."""
    return {"version": 4, "terraform_version": "1.9.5", "serial": 3, "lineage": "3f1e2d4c-9a7b-4c1d-8e2f-0a1b2c3d4e5f",
            "outputs": {}, "resources": resources, "check_results": None}


def data_role_shown() -> dict:
    return {"address": "data.aws_iam_role.legacy", "mode": "data", "type": "aws_iam_role", "name": "legacy",
            "provider_name": PROVIDER, "schema_version": 0, "values": ROLE_VALUES, "sensitive_values": {}}


def data_role_raw() -> dict:
    return {"mode": "data", "type": "aws_iam_role", "name": "legacy", "provider": f'provider["{PROVIDER}"]',
            "instances": [{"schema_version": 0, "attributes": ROLE_VALUES, "sensitive_attributes": []}]}


def _check(tmp_path: Path, state: dict | None):
    (tmp_path / "main.tf").write_text(CODE)
    states: tuple[str, ...] = ()
    if state is not None:
        (tmp_path / "state").mkdir()
        path = tmp_path / "state" / "state.json"
        path.write_text(json.dumps(state, indent=2) + "\n")
        states = (str(path),)
    report = run([str(tmp_path / "main.tf")], Options(cache=False, state=states))
    assert [(e.path, e.line, e.message) for e in report.errors] == []
    return report


def test_without_state_the_data_role_cannot_be_verified(tmp_path):
    report = _check(tmp_path, None)
    assert [(f.rule, f.line, f.column) for f in report.findings] == [("EC2002", 7, 10)]
    # the data source's name is the one the code gives it; the role itself is read from AWS
    assert "role 'legacy' is not defined in the scanned code" in report.findings[0].message


@pytest.mark.parametrize("state", [shown_state([data_role_shown()]), raw_state([data_role_raw()])],
                         ids=["terraform-show-json", "raw-v4"])
def test_a_data_role_resolved_from_the_state_is_judged_and_located_in_the_code(tmp_path, state):
    report = _check(tmp_path, state)
    assert [(f.rule, f.severity.name, Path(f.path).name, f.line, f.column) for f in report.findings] == [
        ("IAM001", "ERROR", "main.tf", 7, 10)]
    finding = report.findings[0]
    assert finding.resource == "data.aws_iam_role.legacy"
    text = (tmp_path / "state" / "state.json").read_text()
    line = next(n for n, row in enumerate(text.splitlines(), 1) if '"assume_role_policy"' in row)
    assert (finding.related[0].label, Path(finding.related[0].span.file).name, finding.related[0].span.line) == (
        "Terraform state", "state.json", line)
    assert "(from the Terraform state, state.json:" in finding.message


def test_a_state_without_the_data_source_changes_nothing(tmp_path):
    report = _check(tmp_path, raw_state([]))
    assert [(f.rule, f.line) for f in report.findings] == [("EC2002", 7)]


def test_a_resource_defined_outside_the_code_resolves_from_the_state_by_name(tmp_path):
    (tmp_path / "main.tf").write_text('''resource "aws_instance" "web" {
  ami                  = "ami-0c55b159cbfafe1f0"
  iam_instance_profile = "legacy-web"

  metadata_options {
    http_tokens = "required"
  }
}
''')
    role = {"mode": "managed", "type": "aws_iam_role", "name": "legacy", "provider": f'provider["{PROVIDER}"]',
            "instances": [{"schema_version": 0, "attributes": ROLE_VALUES}]}
    profile = {"mode": "managed", "type": "aws_iam_instance_profile", "name": "legacy", "provider": f'provider["{PROVIDER}"]',
               "instances": [{"schema_version": 0, "attributes": {
                   "arn": "arn:aws:iam::111122223333:instance-profile/legacy-web", "id": "legacy-web",
                   "name": "legacy-web", "path": "/", "role": "legacy", "tags": {}}}]}
    path = tmp_path / "platform.tfstate"
    path.write_text(json.dumps(raw_state([role, profile]), indent=2) + "\n")
    report = run([str(tmp_path / "main.tf")], Options(cache=False, state=(str(path),)))
    assert report.errors == []
    assert [(f.rule, Path(f.path).name, f.line, f.column, f.resource) for f in report.findings] == [
        ("IAM001", "main.tf", 3, 26, "aws_iam_role.legacy")]


def test_a_bad_state_is_a_located_error(tmp_path):
    (tmp_path / "main.tf").write_text(CODE)
    (tmp_path / "state.json").write_text('{"version": 4, "resources": [')
    report = run([str(tmp_path / "main.tf")], Options(cache=False, state=(str(tmp_path / "state.json"),)))
    assert [(Path(e.path).name, e.line, e.message.split(":")[0]) for e in report.errors] == [
        ("state.json", 1, "invalid JSON")]
    assert [f.rule for f in report.findings] == ["EC2002"]


def test_plan_after_unknown_is_reported_as_known_only_after_apply(tmp_path):
    plan = {
        "format_version": "1.2", "terraform_version": "1.9.5",
        "planned_values": {"root_module": {"resources": [{
            "address": "aws_instance.web", "mode": "managed", "type": "aws_instance", "name": "web",
            "provider_name": PROVIDER, "schema_version": 1,
            "values": {"ami": "ami-0c55b159cbfafe1f0", "instance_type": "t3.micro",
                       "metadata_options": [{"http_tokens": "required"}]},
            "sensitive_values": {}}]}},
        "resource_changes": [{
            "address": "aws_instance.web", "mode": "managed", "type": "aws_instance", "name": "web",
            "provider_name": PROVIDER,
            "change": {"actions": ["create"], "before": None,
                       "after": {"ami": "ami-0c55b159cbfafe1f0", "instance_type": "t3.micro",
                                 "metadata_options": [{"http_tokens": "required"}]},
                       "after_unknown": {"iam_instance_profile": True, "id": True}},
        }],
    }
    (tmp_path / "plan.json").write_text(json.dumps(plan, indent=2) + "\n")
    report = run([str(tmp_path / "plan.json")], Options(cache=False))
    assert report.errors == []
    assert [f.rule for f in report.findings] == ["EC2002"]
    assert "aws_instance.web.iam_instance_profile is known only after apply" in report.findings[0].message
