"""The GitHub Action (action.yml) and the GitLab CI template: valid against the schemas
their platforms document, and their scripts run for real against a git repository with
the installed iamlint.

The schemas are SchemaStore's ``github-action.json`` / ``gitlab-ci.json`` (and
``github-workflow.json`` for the workflows in docs/ci.md), as vendored by the
check-jsonschema package (test extra): SchemaStore's are the schemas editors and
linters use for these files, kept current with GitHub's "Metadata syntax for GitHub
Actions" and GitLab's CI/CD YAML reference, which publish no machine-readable schema of
their own; check-jsonschema ships them offline, with their checksums.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from importlib import resources
from pathlib import Path

import pytest
import yaml

jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is in the test extra: pip install -e '.[test]'")

ROOT = Path(__file__).resolve().parent.parent
ACTION = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
GITLAB = yaml.safe_load((ROOT / "templates" / "iamlint.gitlab-ci.yml").read_text(encoding="utf-8"))
SARIF_SCHEMA = json.loads((ROOT / "tests" / "data" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))


def schema(name: str) -> dict:
    vendored = pytest.importorskip("check_jsonschema.builtin_schemas.vendor",
                                   reason="check-jsonschema (test extra) ships the SchemaStore schemas")
    return json.loads(resources.files(vendored).joinpath(f"{name}.json").read_text(encoding="utf-8"))


def errors_of(document: object, found: dict) -> list[str]:
    validator = jsonschema.validators.validator_for(found)(found)
    return [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(document)]


# ---------------------------------------------------------------- the action's metadata


def test_action_yml_follows_the_documented_schema():
    assert errors_of(ACTION, schema("github-actions")) == []


def test_the_schema_check_can_fail():
    broken = {**ACTION, "runs": {**ACTION["runs"], "using": "composite-ish"}}
    assert errors_of(broken, schema("github-actions"))
    assert errors_of({k: v for k, v in ACTION.items() if k != "description"}, schema("github-actions"))


def test_action_inputs_and_their_use():
    inputs = ACTION["inputs"]
    assert {"paths", "base", "fail-on"} <= set(inputs)
    text = (ROOT / "action.yml").read_text(encoding="utf-8")
    used = set(re.findall(r"inputs\.([A-Za-z0-9_-]+)", text))
    assert used <= set(inputs), f"undeclared inputs used: {used - set(inputs)}"
    for step in ACTION["runs"]["steps"]:
        # inputs reach scripts through the environment, never spliced into the shell text
        assert "${{" not in step.get("run", ""), step.get("name")
    uses = [step["uses"] for step in ACTION["runs"]["steps"] if "uses" in step]
    assert any(u.startswith("github/codeql-action/upload-sarif@") for u in uses)


def _resolve(value: str, inputs: dict[str, str]) -> str:
    value = re.sub(r"\$\{\{\s*inputs\.([A-Za-z0-9_-]+)\s*\}\}", lambda m: inputs[m.group(1)], value)
    return value.replace("${{ github.action_path }}", str(ROOT))


def run_step(name: str, cwd: Path, inputs: dict[str, str], files: dict[str, Path]) -> subprocess.CompletedProcess:
    """One ``run`` step of the action as the runner would run it (bash, the step's env)."""
    values = {key: str(spec.get("default", "")) for key, spec in ACTION["inputs"].items()} | inputs
    step = next(s for s in ACTION["runs"]["steps"] if s.get("name") == name)
    env = dict(os.environ, RUNNER_TEMP=str(files["temp"]), GITHUB_OUTPUT=str(files["output"]),
               GITHUB_STEP_SUMMARY=str(files["summary"]), IAMLINT_CACHE_DIR=str(files["temp"] / "cache"))
    env.update({key: _resolve(str(value), values) for key, value in step.get("env", {}).items()})
    return subprocess.run(["bash", "-e", "-o", "pipefail", "-c", step["run"]], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)


def git(repo: Path, *args: str) -> str:
    env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.com", GIT_COMMITTER_NAME="t",
               GIT_COMMITTER_EMAIL="t@example.com")
    return subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True, text=True).stdout


ROLE = """\
resource "aws_iam_role" "app" {
  name = "app"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { Service = "ec2.amazonaws.com" }, Action = "sts:AssumeRole" }]
  })
  inline_policy {
    name = "app"
    policy = jsonencode({
      Version   = "2012-10-17"
      Statement = [
        { Effect = "Allow", Action = "s3:*", Resource = "*" },
%s      ]
    })
  }
}

resource "aws_iam_instance_profile" "app" {
  role = aws_iam_role.app.name
}

resource "aws_instance" "app" {
  ami                  = "ami-1"
  iam_instance_profile = aws_iam_instance_profile.app.name
  metadata_options {
    http_tokens = "required"
  }
}
"""
PASSROLE = '        { Effect = "Allow", Action = "iam:PassRole", Resource = "*" },\n'


@pytest.fixture
def pull_request(tmp_path):
    """A repository whose main branch has an s3:* error and whose pull request adds
    iam:PassRole on every resource."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    origin = tmp_path / "origin.git"
    repo = tmp_path / "repo"
    (repo / "infra").mkdir(parents=True)
    (repo / "infra" / "main.tf").write_text(ROLE % "", encoding="utf-8")
    git(tmp_path, "init", "-q", "--bare", str(origin))
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "main")
    git(repo, "remote", "add", "origin", f"file://{origin}")
    git(repo, "push", "-q", "origin", "main")
    git(repo, "checkout", "-q", "-b", "feature")
    (repo / "infra" / "main.tf").write_text(ROLE % PASSROLE, encoding="utf-8")
    git(repo, "commit", "-q", "-am", "pass any role")
    files = {"temp": tmp_path / "runner", "output": tmp_path / "output", "summary": tmp_path / "summary.md"}
    files["temp"].mkdir()
    for name in ("output", "summary"):
        files[name].write_text("", encoding="utf-8")
    return repo, files


def test_the_action_scripts_scan_gate_and_summarise(pull_request):
    repo, files = pull_request
    scan = run_step("iamlint (SARIF for code scanning)", repo, {"paths": "infra"}, files)
    assert scan.returncode == 0, scan.stderr  # the report never gates
    sarif_file = files["output"].read_text(encoding="utf-8").strip().removeprefix("sarif-file=")
    document = json.loads(Path(sarif_file).read_text(encoding="utf-8"))
    assert errors_of(document, SARIF_SCHEMA) == []
    assert {r["ruleId"] for r in document["runs"][0]["results"]} >= {"IAM002", "IAM007"}  # every finding

    gate = run_step("iamlint (annotations, job summary, gate)", repo, {"paths": "infra", "base": "origin/main"}, files)
    assert gate.returncode == 1, gate.stdout + gate.stderr
    annotations = [line for line in gate.stdout.splitlines() if line.startswith("::")]
    assert len(annotations) == 1 and "iam:PassRole" in annotations[0]  # only the new finding
    assert "iam:PassRole" in files["summary"].read_text(encoding="utf-8")

    access = run_step("iamlint access (what instance roles gained)", repo, {"paths": "infra", "base": "origin/main"}, files)
    assert access.returncode == 1, access.stdout + access.stderr
    summary = files["summary"].read_text(encoding="utf-8")
    assert "| compute | role | gained | lost | new risks |" in summary and "```mermaid" in summary


def test_the_action_can_report_without_gating(pull_request):
    repo, files = pull_request
    inputs = {"paths": "infra", "base": "origin/main", "fail-on": "never", "fail-on-gain": "never"}
    assert run_step("iamlint (annotations, job summary, gate)", repo, inputs, files).returncode == 0
    assert run_step("iamlint access (what instance roles gained)", repo, inputs, files).returncode == 0
    inputs = {"paths": "infra"}  # no base: every finding gates
    assert run_step("iamlint (annotations, job summary, gate)", repo, inputs, files).returncode == 1


# ---------------------------------------------------------------- the GitLab template


def test_gitlab_template_follows_the_documented_schema():
    assert errors_of(GITLAB, schema("gitlab-ci")) == []
    assert errors_of({"iamlint": {"script": 3}}, schema("gitlab-ci"))  # the check can fail


def _gitlab_script(variables: dict[str, str]) -> tuple[str, dict[str, str]]:
    job = GITLAB["iamlint"]
    env = {**{k: str(v) for k, v in GITLAB["variables"].items()}, **variables}
    return "\n".join(job["script"]), env


@pytest.mark.parametrize("gate, expected", [("new", 1), ("none", 0)])
def test_gitlab_template_script_in_a_merge_request(pull_request, gate, expected):
    repo, files = pull_request
    script, variables = _gitlab_script({"IAMLINT_PATHS": "infra", "IAMLINT_GATE": gate,
                                        "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main"})
    env = dict(os.environ, IAMLINT_CACHE_DIR=str(files["temp"] / "cache"), **variables)
    done = subprocess.run(["bash", "-e", "-c", script], cwd=repo, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == expected, done.stdout + done.stderr
    quality = json.loads((repo / "gl-code-quality.json").read_text(encoding="utf-8"))
    assert {issue["check_name"] for issue in quality} >= {"IAM002", "IAM007"}
    assert (repo / "iamlint-junit.xml").read_text(encoding="utf-8").startswith("<?xml")
    if gate == "new":
        assert "1 new finding since origin/main" in done.stdout
        assert "iam:PassRole" in (repo / "iamlint-access.md").read_text(encoding="utf-8")


# ---------------------------------------------------------------- docs/ci.md


def test_the_workflows_in_docs_ci_md_are_valid():
    text = (ROOT / "docs" / "ci.md").read_text(encoding="utf-8")
    blocks = [yaml.safe_load(block) for block in re.findall(r"```yaml\n(.*?)```", text, re.DOTALL)]
    workflows = [b for b in blocks if isinstance(b, dict) and "jobs" in b]
    assert len(workflows) >= 2, "docs/ci.md shows the action's workflow and the one by hand"
    for workflow in workflows:
        if True in workflow:  # YAML 1.1 reads the key `on` as True
            workflow["on"] = workflow.pop(True)
        assert errors_of(workflow, schema("github-workflows")) == []
    assert "uses: iamlint/iamlint@" in text and "templates/iamlint.gitlab-ci.yml" in text
