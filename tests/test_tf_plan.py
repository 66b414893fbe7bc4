"""Terraform plan JSON: detection, planned values, after_unknown, deletes, mapping to sources."""

from __future__ import annotations

import json

from tf_helpers import PLAN, errors, findings, write

from iamlint.discovery import discover


def test_plan_is_detected_by_content(tmp_path):
    write(tmp_path, {"a.json": json.dumps({"format_version": "1.2", "planned_values": {}}),
                     "b.json": json.dumps({"AWSTemplateFormatVersion": "2010-09-09", "Resources": {}})})
    units, _ = discover([str(tmp_path)])
    assert sorted((unit.kind, unit.root.rsplit("/", 1)[-1]) for unit in units) == [
        ("cloudformation", "b.json"), ("plan", "a.json")]


def test_plan_without_sources_is_reported_on_the_plan():
    path = "fixtures/plan/plan_only/plan.json"
    assert findings(PLAN / "plan_only") == {
        ("EC2003", path, 18, "aws_instance.web"),
        ("EC2001", path, 33, "aws_instance.bare"),
        # the profile is known only after apply: linked through the configuration's references
        ("IAM002", path, 66, "aws_iam_role.web"),
    }


def test_plan_beside_its_sources_is_mapped_to_the_tf_lines():
    only_plan = set(findings(PLAN / "with_sources" / "plan.json"))
    assert only_plan == {
        ("IAM002", "fixtures/plan/with_sources/modules/role/main.tf", 20, "module.ops.aws_iam_role_policy.this"),
    }


def test_unknown_major_version_is_a_located_error(tmp_path):
    write(tmp_path, {"plan.json": '{\n  "format_version": "2.0",\n  "planned_values": {}\n}\n'})
    assert {(line, message.split(" (")[0]) for _, line, message in errors(tmp_path)} == {
        (1, "unsupported plan format_version '2.0'")}


def test_deleted_resources_are_ignored(tmp_path):
    write(tmp_path, {"plan.json": json.dumps({
        "format_version": "1.0",
        "planned_values": {"root_module": {"resources": [
            {"address": "aws_instance.gone", "mode": "managed", "type": "aws_instance", "name": "gone", "values": {}}]}},
        "resource_changes": [{"address": "aws_instance.gone", "change": {"actions": ["delete"]}}],
    })})
    assert findings(tmp_path) == set()
