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
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args], cwd=cwd, check=True,
                   capture_output=True)


def _try_repo(repo: Path, tmp_path: Path, *files: str) -> subprocess.CompletedProcess:
    pre_commit = Path(sys.executable).with_name("pre-commit")
    if not pre_commit.exists():
        pytest.skip("pre-commit is not installed (pip install -e '.[test]')")
    env = dict(os.environ, PRE_COMMIT_HOME=str(tmp_path / "cache"), NO_COLOR="1")
    env.pop("FORCE_COLOR", None)
    arguments = [argument for name in files for argument in ("--files", name)]
    return subprocess.run(
        [str(pre_commit), "try-repo", str(ROOT), "iamlint", *arguments, "--verbose"],
        cwd=repo, env=env, capture_output=True, text=True, timeout=900,
    )


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


ROLE_WITH_INLINE_POLICY = """\
resource "aws_iam_role" "spare" {
  name = "spare"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { Service = "ec2.amazonaws.com" }, Action = "sts:AssumeRole" }]
  })
  inline_policy {
    name = "data"
    policy = jsonencode({
      Version   = "2012-10-17"
      Statement = [{ Effect = "Allow", Action = "s3:*", Resource = "*" }]
    })
  }
}
"""
PROFILE = """\
resource "aws_iam_instance_profile" "spare" {
  name = "spare"
  role = aws_iam_role.spare.name
}
"""


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_a_commit_touching_only_main_tf_fails_on_the_error_it_causes_in_iam_tf(tmp_path):
    """The cause (a new instance profile in main.tf) and the location (the s3:* statement
    in iam.tf, a warning until a profile uses the role) of a chain finding sit in two
    files of one module: the hook, given main.tf only, reports the error in iam.tf."""
    repo = tmp_path / "repo"
    module = repo / "infra" / "mod"
    module.mkdir(parents=True)
    (module / "iam.tf").write_text(ROLE_WITH_INLINE_POLICY)
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "role")
    (module / "main.tf").write_text(PROFILE)
    _git(repo, "add", "infra/mod/main.tf")  # the commit adds main.tf only
    result = _try_repo(repo, tmp_path, "infra/mod/main.tf")
    output = result.stdout + result.stderr
    assert "iamlint" in output and "Failed" in output, output
    assert result.returncode == 1, output
    assert "infra/mod/iam.tf:11:49: error IAM002 [wildcard-action]" in output, output
    assert "instance profile aws_iam_instance_profile.spare" in output, output
    assert "in 1 file (1 more module file loaded to judge it)" in output, output
