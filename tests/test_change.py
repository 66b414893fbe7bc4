"""`iamlint check --base REV`: only the findings a change adds, in real git repositories."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from iamlint.cli import main

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

MAIN = """\
resource "aws_iam_role" "app" {
  name = "app"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { Service = "ec2.amazonaws.com" }, Action = "sts:AssumeRole" }]
  })
}

resource "aws_iam_instance_profile" "app" {
  name = "app"
  role = aws_iam_role.app.name
}

resource "aws_instance" "app" {
  ami                  = "ami-1"
  iam_instance_profile = aws_iam_instance_profile.app.name
}
"""
POLICY = """\
resource "aws_iam_role_policy" "app" {
  role = aws_iam_role.app.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      { Sid = "Logs", Effect = "Allow", Action = ["logs:PutLogEvents"], Resource = "*" },
      { Effect = "Allow", Action = "s3:*", Resource = "*" },
%s    ]
  })
}
"""
PASSROLE = '      { Effect = "Allow", Action = "iam:PassRole", Resource = "*" },\n'


def git(repo: Path, *args: str) -> str:
    env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.com", GIT_COMMITTER_NAME="t",
               GIT_COMMITTER_EMAIL="t@example.com")
    done = subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True, text=True)
    return done.stdout


def commit(repo: Path, files: dict[str, str | None], message: str) -> None:
    for name, text in files.items():
        path = repo / name
        if text is None:
            path.unlink()
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)


@pytest.fixture
def repo(tmp_path, monkeypatch):
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q")
    commit(root, {"infra/main.tf": MAIN + "\n" + POLICY % ""}, "an instance role")
    monkeypatch.chdir(root)
    monkeypatch.setenv("IAMLINT_CACHE_DIR", str(tmp_path / "cache"))
    return root


def check(*args: str):
    result = CliRunner().invoke(main, ["check", "--format", "json", "--isolated", *args])
    document = json.loads(result.stdout) if result.stdout.startswith("{") else {"findings": []}
    return result.exit_code, document["findings"], result


def test_a_commit_adding_passrole_on_every_resource_reports_only_that_finding(repo):
    commit(repo, {"infra/main.tf": MAIN + "\n" + POLICY % PASSROLE}, "pass any role")
    code, findings, result = check("--base", "HEAD~1", "infra")
    assert code == 1, result.output
    assert [(f["rule"], f["line"]) for f in findings] == [("IAM007", 26)]
    assert "iam:PassRole" in findings[0]["message"]
    assert len(check("infra")[1]) > 1  # without --base every finding is reported


def test_reindenting_and_moving_resources_between_files_adds_nothing(repo):
    reindented = (POLICY % PASSROLE).replace("  ", "    ").replace(
        '{ Effect = "Allow", Action = "s3:*", Resource = "*" },',
        '{\n  Resource = ["*"]\n  Action   = ["s3:*"]\n  Effect   = "Allow"\n},')
    commit(repo, {"infra/main.tf": MAIN + "\n" + POLICY % PASSROLE}, "pass any role")
    commit(repo, {"infra/main.tf": "# moved\n\n\n" + MAIN, "infra/iam.tf": "\n" + reindented}, "move and reindent")
    code, findings, result = check("--base", "HEAD~1", "infra")
    assert (code, findings) == (0, []), result.output
    text = CliRunner().invoke(main, ["check", "--isolated", "--base", "HEAD~1", "infra"])
    assert "0 new findings since HEAD~1" in text.stdout and "already at HEAD~1" in text.stdout


def test_exit_status_counts_only_the_new_findings(repo):
    commit(repo, {"README.md": "docs\n"}, "docs only")
    assert check("infra")[0] == 1  # the s3:* error is there...
    assert check("--base", "HEAD~1", "infra")[:2] == (0, [])  # ...but not new


def test_a_warning_that_becomes_an_error_is_new_and_says_what_it_was(tmp_path, monkeypatch):
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q")
    role = MAIN[: MAIN.index('resource "aws_iam_instance_profile"')]
    commit(root, {"mod/iam.tf": role + POLICY % ""}, "a spare role: its s3:* is a warning")
    commit(root, {"mod/main.tf": MAIN[MAIN.index('resource "aws_iam_instance_profile"'):MAIN.index('resource "aws_instance"')]},
           "an instance profile uses it")
    monkeypatch.chdir(root)
    code, findings, _ = check("--base", "HEAD~1", "mod/main.tf")  # as pre-commit passes it
    assert code == 1
    [finding] = findings
    assert (finding["rule"], finding["severity"], finding["path"]) == ("IAM002", "error", "mod/iam.tf")
    assert finding["message"].endswith("(a warning at HEAD~1)")


def test_paths_from_a_subfolder_and_absolute_paths(repo, monkeypatch):
    commit(repo, {"infra/main.tf": MAIN + "\n" + POLICY % PASSROLE}, "pass any role")
    monkeypatch.chdir(repo / "infra")
    code, findings, _ = check("--base", "HEAD~1", ".")
    assert code == 1 and [(f["rule"], os.path.normpath(f["path"])) for f in findings] == [("IAM007", "main.tf")]
    code, findings, _ = check("--base", "HEAD~1", str(repo / "infra"))
    assert code == 1 and [f["rule"] for f in findings] == ["IAM007"]


def test_a_folder_new_since_the_revision_is_all_new(repo):
    commit(repo, {"other/main.tf": 'resource "aws_instance" "bare" {\n  ami = "a"\n}\n'}, "a new module")
    code, findings, _ = check("--base", "HEAD~1", "other", "infra")
    assert code == 1 and {f["rule"] for f in findings} == {"EC2001", "EC2003"}


def test_the_working_tree_and_the_index_are_not_touched(repo):
    commit(repo, {"infra/main.tf": MAIN + "\n" + POLICY % PASSROLE}, "pass any role")
    (repo / "infra" / "main.tf").write_text(MAIN + "\n" + POLICY % PASSROLE + "# edited\n", encoding="utf-8")  # unstaged
    (repo / "untracked.tf").write_text("", encoding="utf-8")
    status = git(repo, "status", "--porcelain")  # (may refresh the index itself)
    before = ((repo / ".git" / "index").stat().st_mtime_ns, (repo / "infra" / "main.tf").read_text(),
              sorted(p.name for p in repo.rglob("*") if ".git" not in p.parts))
    assert check("--base", "HEAD~1", "infra")[0] == 1
    after = ((repo / ".git" / "index").stat().st_mtime_ns, (repo / "infra" / "main.tf").read_text(),
             sorted(p.name for p in repo.rglob("*") if ".git" not in p.parts))
    assert after == before and git(repo, "status", "--porcelain") == status


def test_a_missing_revision_is_a_clear_error(repo):
    code, _, result = check("--base", "no-such-branch", "infra")
    assert code == 2
    assert "git revision 'no-such-branch' is not in this repository" in result.stderr
    assert "Traceback" not in result.output


def test_outside_a_git_repository_is_a_clear_error(tmp_path, monkeypatch):
    (tmp_path / "plain").mkdir()
    monkeypatch.chdir(tmp_path / "plain")
    code, _, result = check("--base", "HEAD~1", ".")
    assert code == 2 and "not inside a git working tree" in result.stderr


def test_works_in_a_shallow_clone_once_the_revision_is_fetched(repo, tmp_path, monkeypatch):
    git(repo, "branch", "base")
    commit(repo, {"infra/main.tf": MAIN + "\n" + POLICY % PASSROLE}, "pass any role")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--depth=1", f"file://{repo}", str(clone))
    monkeypatch.chdir(clone)
    code, _, result = check("--base", "HEAD~1", "infra")
    assert code == 2 and "shallow clone" in result.stderr and "git fetch --depth=1" in result.stderr
    git(clone, "fetch", "-q", "--depth=1", "origin", "base:refs/remotes/origin/base")
    code, findings, result = check("--base", "origin/base", "infra")
    assert code == 1, result.output
    assert [f["rule"] for f in findings] == ["IAM007"]


def test_the_export_holds_regular_files_only_and_the_working_tree_configuration(repo, tmp_path):
    from iamlint.change.git import export, overlay_configuration

    outside = tmp_path / "outside.tf"
    outside.write_text('resource "aws_instance" "secret" {\n  ami = "a"\n}\n', encoding="utf-8")
    os.symlink(outside, repo / "infra" / "link.tf")
    commit(repo, {"infra/iamlint.toml": "select = ['IAM002']\n"}, "a link leading out, a configuration")
    (repo / "infra" / "iamlint.toml").write_text("select = ['EC2001']\n", encoding="utf-8")  # today's, unstaged
    target = tmp_path / "export"
    target.mkdir()
    exported = export("HEAD", str(target), str(repo))
    assert not (target / "infra" / "link.tf").exists() and not (target / "infra" / "link.tf").is_symlink()
    assert (target / "infra" / "main.tf").read_text() == (repo / "infra" / "main.tf").read_text()
    assert not (target / "infra" / "iamlint.toml").exists()  # the revision's configuration is left out...
    assert overlay_configuration(str(target), str(repo)) == 1  # ...and the working tree's put in its place
    assert (target / "infra" / "iamlint.toml").read_text() == "select = ['EC2001']\n"
    assert exported.files == 1 and (target / ".git").is_dir()


# ---------------------------------------------------------------- iamlint access --base


def access(*args: str):
    result = CliRunner().invoke(main, ["access", *args])
    return result.exit_code, result


def access_json(*args: str):
    code, result = access("--format", "json", *args)
    return code, json.loads(result.stdout)


def test_access_lists_passrole_on_every_resource_as_gained(repo):
    commit(repo, {"infra/main.tf": MAIN + "\n" + POLICY % PASSROLE}, "pass any role")
    code, result = access("--base", "HEAD~1", "infra")
    assert code == 1, result.output
    assert "aws_instance.app (instance, changed)" in result.stdout
    assert "gained Write (1): iam:PassRole on *" in result.stdout
    assert "risk gained: infrastructure modification: iam:PassRole" in result.stdout
    code, document = access_json("--base", "HEAD~1", "infra")
    [change] = document["changes"]
    assert change["gain"] == "risk" and change["gained"] == [
        {"action": "iam:PassRole", "access_level": "Write", "resources": ["*"], "widened": False}]
    assert change["lost"] == [] and change["profile"]["switched"] is False


def test_access_after_moving_and_reindenting_reports_no_change(repo):
    commit(repo, {"infra/main.tf": "# moved\n" + MAIN, "infra/iam.tf": (POLICY % "").replace("  ", "    ")}, "move")
    code, result = access("--base", "HEAD~1", "infra")
    assert code == 0 and "0 compute resources gained access since HEAD~1, 0 changed without a gain, 1 unchanged" in result.stdout
    code, document = access_json("--base", "HEAD~1", "infra")
    assert [c["status"] for c in document["changes"]] == ["unchanged"]


SCOPED_WRITE = '      { Effect = "Allow", Action = "sqs:SendMessage", Resource = "arn:aws:sqs:eu-west-1:123456789012:jobs" },\n'


@pytest.mark.parametrize("threshold, expected", [("any", 1), ("write", 1), ("permissions", 0), ("risk", 0)])
def test_fail_on_gain_grades_a_scoped_write(repo, threshold, expected):
    commit(repo, {"infra/main.tf": MAIN + "\n" + POLICY % SCOPED_WRITE}, "send to one queue")
    code, document = access_json("--base", "HEAD~1", "--fail-on-gain", threshold, "infra")
    assert code == expected
    [change] = document["changes"]
    assert change["gain"] == "write" and [g["action"] for g in change["gained"]] == ["sqs:SendMessage"]
    assert change["gained"][0]["resources"] == ["arn:aws:sqs:eu-west-1:123456789012:jobs"]


def test_a_new_trust_principal_is_a_risk(repo):
    trusting = MAIN.replace('Principal = { Service = "ec2.amazonaws.com" }',
                            'Principal = { Service = "ec2.amazonaws.com", AWS = "arn:aws:iam::123456789012:root" }')
    commit(repo, {"infra/main.tf": trusting + "\n" + POLICY % ""}, "trust an account")
    code, document = access_json("--base", "HEAD~1", "infra")
    assert code == 1
    [role] = document["changes"][0]["roles"]
    assert role["trust_gained"] == ["AWS arn:aws:iam::123456789012:root"] and role["trust_lost"] == []


OTHER = """\
resource "aws_iam_role" "admin" {
  name = "admin"
  assume_role_policy = aws_iam_role.app.assume_role_policy
  managed_policy_arns = ["arn:aws:iam::aws:policy/AdministratorAccess"]
}

resource "aws_iam_instance_profile" "admin" {
  name = "admin"
  role = aws_iam_role.admin.name
}
"""


def test_a_compute_resource_that_switched_profile(repo):
    switched = MAIN.replace("aws_iam_instance_profile.app.name", "aws_iam_instance_profile.admin.name")
    commit(repo, {"infra/main.tf": switched + "\n" + POLICY % "" + "\n" + OTHER}, "run as admin")
    code, document = access_json("--base", "HEAD~1", "infra")
    assert code == 1
    [change] = document["changes"]
    assert change["profile"]["switched"] is True
    assert (change["profile"]["before"]["address"], change["profile"]["after"]["address"]) == (
        "aws_iam_instance_profile.app", "aws_iam_instance_profile.admin")
    assert [(r["address"], r["status"]) for r in change["roles"]] == [("aws_iam_role.admin", "added"), ("aws_iam_role.app", "removed")]
    assert change["every_action_gained"] == ["every action"] and change["gain"] == "risk"
    assert {m["id"] for m in change["methods_gained"]}  # every action includes the escalation methods
    assert [p["note"] for p in change["roles"][0]["attached"]] == ["AdministratorAccess"]
    # the Markdown for a pull request: a table and the Mermaid graph of what changed
    code, result = access("--base", "HEAD~1", "--format", "markdown", "infra")
    text = result.stdout
    assert "| compute | role | gained | lost | new risks |" in text and "```mermaid" in text
    assert "profile `aws_iam_instance_profile.app` → `aws_iam_instance_profile.admin`" in text
    assert "-.-x" in text and "==>" in text and "classDef gained" in text and "class " in text


def test_a_removed_compute_resource_only_loses(repo):
    commit(repo, {"infra/main.tf": MAIN[: MAIN.index('resource "aws_instance"')] + "\n" + POLICY % ""}, "no instance")
    code, document = access_json("--base", "HEAD~1", "infra")
    assert code == 0
    [change] = document["changes"]
    assert change["status"] == "removed" and change["gain"] is None and change["lost"]
    assert change["path"] == os.path.join("infra", "main.tf")


def test_access_base_errors_are_clear(repo):
    code, result = access("--base", "nope", "infra")
    assert code == 2 and "git revision 'nope' is not in this repository" in result.stderr
    code, result = access("--base", "HEAD", "--format", "dot", "infra")
    assert code == 2 and "--base prints text, json or markdown" in result.output


def test_the_job_summary_says_the_findings_are_new(repo, monkeypatch, tmp_path):
    commit(repo, {"infra/main.tf": MAIN + "\n" + POLICY % PASSROLE}, "pass any role")
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    result = CliRunner().invoke(main, ["check", "--isolated", "--format", "github", "--base", "HEAD~1", "infra"])
    assert result.exit_code == 1
    assert summary.read_text(encoding="utf-8").startswith("### iamlint: 1 new finding since `HEAD~1` (")


def test_base_and_write_baseline_exclude_each_other(repo):
    code, _, result = check("--base", "HEAD", "--write-baseline", "b.json", "infra")
    assert code == 2 and "exclude each other" in result.output
