"""Issue 12 item 14 (c): a plan JSON beside the sources it came from reports each root
cause once. The sources' view wins where both report a rule on a resource (exact
locations); the plan's findings on what the sources could not evaluate stay, and the
sources' "cannot verify" notes on resources the plan holds go."""

from __future__ import annotations

import shutil
from pathlib import Path

from iamlint.engine import Options, run

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "plan" / "with_sources"


def _found(*paths, **options):
    report = run([str(p) for p in paths], Options(cache=False, jobs=1, **options))
    assert report.errors == []
    return sorted((f.rule, str(Path(f.path).relative_to(paths[0] if Path(paths[0]).is_dir() else Path(paths[0]).parent)),
                   f.line, f.column, f.resource) for f in report.findings)


def test_plan_beside_its_sources_reports_once(tmp_path):
    folder = tmp_path / "root"
    shutil.copytree(FIXTURE, folder)
    shutil.rmtree(folder / "modules" / "role")  # keep the child module only as the plan's call...
    shutil.copytree(FIXTURE / "modules" / "role", tmp_path / "role")  # ...outside the folder checked
    (folder / "main.tf").write_text((FIXTURE / "main.tf").read_text().replace("./modules/role", "../role"))
    assert _found(folder) == [
        ("IAM002", "main.tf", 10, 14, "module.ops.aws_iam_role_policy.this"),
        ("IAM008", "main.tf", 4, 14, "module.app.aws_iam_role_policy.this"),
    ]
    # before: the plan's view of the same two problems too, at the attribute the plan maps
    # them to (../role/main.tf:20, "policy = jsonencode(...)")


def test_the_plan_view_supplies_what_the_sources_cannot_verify(tmp_path):
    folder = tmp_path / "root"
    shutil.copytree(FIXTURE, folder)
    text = (folder / "main.tf").read_text()
    (folder / "main.tf").write_text('variable "app_actions" {}\n' + text.replace(
        'actions = ["s3:GetObject"] # expect: IAM008', "actions = var.app_actions"))
    found = _found(folder / "main.tf", folder / "plan.json", select={"IAM002", "IAM008", "EC2002"})
    # the sources cannot read var.app_actions (no tfvars given): their EC2002 note goes,
    # the plan's IAM008 (s3:GetObject, the value the plan was made with) stays
    assert ("IAM008", "modules/role/main.tf", 20, 3, "module.app.aws_iam_role_policy.this") in found
    assert not any(rule == "EC2002" and resource.startswith("module.app.") for rule, _, _, _, resource in found)
    assert ("IAM002", "main.tf", 11, 14, "module.ops.aws_iam_role_policy.this") in found
    assert not any(path == "modules/role/main.tf" and resource.startswith("module.ops.") for _, path, _, _, resource in found)


def test_a_plan_alone_keeps_its_own_view(tmp_path):
    shutil.copy(FIXTURE / "plan.json", tmp_path / "plan.json")
    found = _found(tmp_path)
    assert {(rule, resource) for rule, _, _, _, resource in found} >= {
        ("IAM002", "module.ops.aws_iam_role_policy.this"), ("IAM008", "module.app.aws_iam_role_policy.this")}
    assert all(path == "plan.json" for _, path, _, _, _ in found)
