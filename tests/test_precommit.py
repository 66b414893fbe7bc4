"""The pre-commit hook, run for real with `pre-commit try-repo` against a temporary repository."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]

SIBLING = """\
resource "aws_iam_instance_profile" "web" {
  name = "web"
  role = "not-defined-here"
}
"""
INSTANCE = """\
resource "aws_instance" "web" {
  ami                  = "ami-12345678"
  iam_instance_profile = aws_iam_instance_profile.web.name
}

resource "aws_instance" "bare" {
  ami = "ami-12345678"
}
"""


def test_manifest_declares_the_hook():
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    hook = next(h for h in hooks if h["id"] == "iamlint")
    assert hook["entry"] == "iamlint check"
    assert hook["language"] == "python"
    assert hook["require_serial"] is True
    import re

    pattern = re.compile(hook["files"])
    for name in ("main.tf", "x.tfvars", "x.tf.json", "t.yaml", "t.yml", "t.json", "t.template"):
        assert pattern.search(name), name
    assert not pattern.search("README.md")


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_try_repo_reports_findings_of_the_given_files_only(tmp_path):
    pre_commit = Path(sys.executable).with_name("pre-commit")
    if not pre_commit.exists():
        pytest.skip("pre-commit is not installed (pip install -e '.[test]')")
    repo = tmp_path / "repo"
    (repo / "infra").mkdir(parents=True)
    (repo / "infra" / "main.tf").write_text(INSTANCE)
    (repo / "infra" / "profile.tf").write_text(SIBLING)
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    env = dict(os.environ, PRE_COMMIT_HOME=str(tmp_path / "cache"), NO_COLOR="1")
    env.pop("FORCE_COLOR", None)
    result = subprocess.run(
        [str(pre_commit), "try-repo", str(ROOT), "iamlint", "--files", "infra/main.tf", "--verbose"],
        cwd=repo, env=env, capture_output=True, text=True, timeout=900,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    # The hook was given main.tf only: its EC2001 is reported...
    assert "infra/main.tf:6:1: error EC2001" in output, output
    # ...and the sibling was loaded so the profile reference resolved (no EC2001 on aws_instance.web),
    assert "infra/main.tf:1:1: error EC2001" not in output, output
    # ...but the sibling's own note (role not defined) is not reported: it was not passed.
    assert "profile.tf" not in output, output
