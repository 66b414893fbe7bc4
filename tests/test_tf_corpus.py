"""The audited corpus roots (terraform-aws-modules, cloudposse, aws-ia examples): no input
errors, the audited real findings at their (file, line, address), and only the
"cannot verify" notes whose value is out of reach. Skips when ../shared/corpus is absent."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest

from iamlint.engine import Options, run

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus"
pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"the real-world corpus is absent ({CORPUS})")


def _roots() -> list[Path]:
    roots = []
    for pattern in ("terraform-aws-modules__*", "cloudposse__*", "aws-ia__*"):
        for repo in sorted(CORPUS.glob(pattern)):
            examples = sorted(p for p in repo.glob("examples/*") if p.is_dir())
            roots += examples or sorted(p for p in repo.glob("patterns/*") if p.is_dir())
    return [root for root in roots if any(root.glob("*.tf"))]


@functools.cache
def _findings(root: Path) -> frozenset[tuple[str, str, int, str]]:
    report = run([str(root)], Options(cache=False, jobs=1))
    assert [(e.path, e.line, e.message) for e in report.errors] == []
    return frozenset((f.rule, str(Path(f.path).resolve().relative_to(CORPUS)), f.line, f.resource)
                     for f in report.findings)


@pytest.mark.parametrize("root", _roots() if CORPUS.is_dir() else [], ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_root_loads_without_errors(root):
    _findings(root)


def test_administrator_access_on_an_instance_role():
    found = _findings(CORPUS / "terraform-aws-modules__terraform-aws-ec2-instance" / "examples" / "complete")
    assert ("IAM003", "terraform-aws-modules__terraform-aws-ec2-instance/examples/complete/main.tf", 49,
            'module.ec2_complete.aws_iam_role_policy_attachment.this["AdministratorAccess"]') in found


def test_optional_object_attributes_leave_nothing_unverified():
    found = _findings(CORPUS / "terraform-aws-modules__terraform-aws-iam" / "examples" / "iam-role")
    assert not [f for f in found if f[0] == "EC2002"]
    example = "terraform-aws-modules__terraform-aws-iam/examples/iam-role/main.tf"
    address = "module.iam_role_instance_profile.aws_iam_role.this[0]"
    assert {("IAM001", example, line, address) for line in (105, 106, 112)} <= found


def test_cloudposse_count_gated_resources_are_judged():
    found = _findings(CORPUS / "cloudposse__terraform-aws-elastic-beanstalk-environment" / "examples" / "complete")
    module = "cloudposse__terraform-aws-elastic-beanstalk-environment/main.tf"
    prefix = "module.elastic_beanstalk_environment."
    assert {
        ("IAM001", module, 83, prefix + "aws_iam_role.ec2"),
        ("IAM002", module, 246, prefix + "aws_iam_role_policy.default"),
        ("IAM002", module, 335, prefix + "aws_iam_role_policy.default"),
        ("IAM003", module, 142, prefix + "aws_iam_role_policy_attachment.ssm_automation"),
    } <= found
    assert not [f for f in found if f[0] == "EC2002"]


def test_only_out_of_reach_values_are_cannot_verify():
    notes = set()
    for root in _roots():
        notes |= {f for f in _findings(root) if f[0] == "EC2002"}
    # both depend on module "this" (cloudposse/label/null), a registry module not downloaded
    assert notes == {
        ("EC2002", "cloudposse__terraform-aws-ec2-bastion-server/main.tf", 62, "module.ec2_bastion.aws_instance.default"),
        ("EC2002", "cloudposse__terraform-aws-ec2-instance/main.tf", 126, "module.ec2_instance.aws_instance.default"),
    }
