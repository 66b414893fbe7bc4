"""The knowledge rules' messages and severities on their fixture folders (whole pipeline),
the issue's "done when" case, and lazy loading of the offline data in a fresh interpreter.
That every folder reports exactly its markers is tested for every rule by
test_rule_fixture_folders.py."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from iamlint.model.findings import Severity
from iamlint.testing import lint

ROOT = Path(__file__).resolve().parent.parent
RULES_DIR = ROOT / "fixtures" / "rules"  # every rule's folder is checked by test_rule_fixture_folders.py


def _by_line(path: Path) -> dict[int, list[tuple[str, Severity, str]]]:
    report = lint([path.parent])
    found: dict[int, list] = {}
    for f in report.findings:
        if Path(f.path).resolve() == path.resolve():
            found.setdefault(f.line, []).append((f.rule, f.severity, f.message))
    return found


def _line_of(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if text in line)


@pytest.mark.parametrize("name", ["bad.tf", "bad.yaml", "bad.json"])
def test_done_when_admin_ec2full_s3readonly_on_an_instance_role(name: str):
    path = RULES_DIR / "admin-policy-attached" / name
    found = _by_line(path)
    admin = found[_line_of(path, "policy/AdministratorAccess")]
    ec2 = found[_line_of(path, "policy/AmazonEC2FullAccess")]
    s3 = found[_line_of(path, "policy/AmazonS3ReadOnlyAccess")]
    assert [(r, s) for r, s, _ in admin] == [("IAM003", Severity.ERROR)] and "AdministratorAccess" in admin[0][2]
    assert [(r, s) for r, s, _ in ec2] == [("IAM003", Severity.ERROR)] and "ec2:*" in ec2[0][2]
    assert [(r, s) for r, s, _ in s3] == [("IAM004", Severity.NOTE), ("IAM008", Severity.ERROR)]
    assert "AmazonS3ReadOnlyAccess" in s3[0][2] and "data exfiltration (s3:GetObject)" in s3[1][2]


def test_secrets_are_masked_in_text_and_json_output():
    directory = RULES_DIR / "hardcoded-aws-credentials"
    secrets = {"AKIAZ7V4QGLKX3WMP2RT", "q8Xv2LrT0bNw5Kd7HsZ1yPf4Jm9Ce6Ga3UoRi0Bt", "ASIAY34FZKBOKMUTVV7A"}
    for fmt in ("text", "json"):
        out = subprocess.run(
            [sys.executable, "-m", "iamlint", "check", "--no-cache", "--format", fmt, str(directory)],
            capture_output=True, text=True, check=False,
        )
        assert "SEC001" in out.stdout
        assert not [s for s in secrets if s in out.stdout or s[4:-4] in out.stdout]
        if fmt == "json":
            json.loads(out.stdout)


PROBE = """
import json, sys
from iamlint.engine import run
import iamlint.knowledge as knowledge
report = run([sys.argv[1]])
print(json.dumps({
    "loads": knowledge.loads(),
    "modules": sorted(m for m in sys.modules if m.startswith("iamlint.knowledge.")),
    "rules": sorted({f.rule for f in report.findings}),
}))
"""


def _probe(tmp_path: Path, text: str) -> dict:
    (tmp_path / "main.tf").write_text(text)
    out = subprocess.run([sys.executable, "-c", PROBE, str(tmp_path)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


INSTANCE = """
resource "aws_instance" "web" {
  ami           = "ami-0c55b159cbfafe1f0"
  instance_type = "t3.micro"
  metadata_options {
    http_tokens = "required"
  }
}
"""
POLICY = """
resource "aws_iam_policy" "app" {
  name   = "app"
  policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = [%s], Resource = "*" }] })
}
"""


def test_a_run_without_policies_reads_no_knowledge_data(tmp_path: Path):
    result = _probe(tmp_path, INSTANCE)
    assert set(result["loads"].values()) == {0}
    assert "iamlint.knowledge.managed" not in result["modules"]


def test_concrete_actions_read_only_their_services_never_the_snapshot(tmp_path: Path):
    result = _probe(tmp_path, INSTANCE + POLICY % '"s3:GetObject", "S3:PutObject", "sqs:SendMessage"')
    assert result["loads"] == {"snapshot": 0, "snapshot chunks": 0, "catalogue index": 1, "catalogue services": 2}
    assert "iamlint.knowledge.managed" not in result["modules"]


def test_managed_arns_read_the_snapshot_once(tmp_path: Path):
    attach = """
resource "aws_iam_role_policy_attachment" "%s" {
  role       = "app"
  policy_arn = "arn:aws:iam::aws:policy/%s"
}
"""
    text = INSTANCE + attach % ("a", "AdministratorAccess") + attach % ("b", "ReadOnlyAccess")
    result = _probe(tmp_path, text)
    assert result["loads"]["snapshot"] == 1
    assert 1 <= result["loads"]["snapshot chunks"] <= 2  # one chunk per policy at most
    assert "IAM003" in result["rules"]


def test_a_service_wildcard_reads_only_its_service(tmp_path: Path):
    """Start-up (issue 17): what `ec2:*` includes (IAM002's privilege escalation, credentials
    exposure... summary) is judged by matching the grant first; the catalogue reads only
    the services a grant can give (it read ~20 services of the risk lists before)."""
    result = _probe(tmp_path, INSTANCE + POLICY % '"ec2:*"')
    assert result["loads"]["catalogue services"] == 1
