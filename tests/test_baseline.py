"""Baselines: --write-baseline records findings by fingerprint, --baseline reports only
new ones; moving code around does not bring baselined findings back."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from iamlint import baseline
from iamlint.cli import main
from iamlint.model.findings import Severity
from iamlint.report import LocatedFinding, Report

BARE = 'resource "aws_instance" "{name}" {{\n  ami = "ami-1"\n}}\n'
ROLE = """\
resource "aws_iam_role" "r" {
  name = "r"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { Service = "ec2.amazonaws.com" }, Action = "sts:AssumeRole" }]
  })
  inline_policy {
    name   = "p"
    policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "*", Resource = "*" }] })
  }
}
"""


@pytest.fixture
def repo(tmp_path, monkeypatch):
    (tmp_path / ".git").mkdir()
    (tmp_path / "infra").mkdir()
    (tmp_path / "infra" / "main.tf").write_text(BARE.format(name="a") + ROLE, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def check(*args):
    result = CliRunner().invoke(main, ["check", "infra", "--format", "json", "--no-cache", "--isolated", *args])
    findings = json.loads(result.stdout)["findings"] if result.stdout.startswith("{") else []
    return result.exit_code, {(f["rule"], f["resource"]) for f in findings}, result


def test_write_then_check_reports_nothing(repo):
    code, found, result = check("--write-baseline", "baseline.json")
    assert code == 0 and found  # writing accepts the current state
    assert "recorded" in result.stderr
    document = json.loads((repo / "baseline.json").read_text(encoding="utf-8"))
    assert document["iamlint_baseline"] == 2
    assert all("line" not in entry for entry in document["findings"])
    assert check("--baseline", "baseline.json")[:2] == (0, set())


def test_moving_code_does_not_bring_findings_back(repo):
    check("--write-baseline", "baseline.json")
    # reorder the blocks, push them down, and move the instance into another file of the module
    (repo / "infra" / "main.tf").write_text("# moved around\n\n\n" + ROLE.replace("  name = \"r\"\n", "\n\n  name = \"r\"\n"), encoding="utf-8")
    (repo / "infra" / "compute.tf").write_text("\n\n" + BARE.format(name="a"), encoding="utf-8")
    code, found, _ = check("--baseline", "baseline.json")
    assert (code, found) == (0, set())
    # without the baseline they are all still there
    assert check()[1]


def test_new_findings_are_reported(repo):
    check("--write-baseline", "baseline.json")
    (repo / "infra" / "new.tf").write_text(BARE.format(name="b"), encoding="utf-8")
    code, found, _ = check("--baseline", "baseline.json")
    assert code == 1
    assert found and {resource for _, resource in found} == {"aws_instance.b"}


def test_baseline_paths_are_relative_to_the_baseline_file(repo, monkeypatch):
    check("--write-baseline", "baseline.json")
    monkeypatch.chdir(repo / "infra")
    result = CliRunner().invoke(main, ["check", ".", "--format", "json", "--no-cache", "--isolated", "--baseline", "../baseline.json"])
    assert result.exit_code == 0 and json.loads(result.stdout)["findings"] == []


def test_show_suppressed_lists_baselined_findings(repo):
    check("--write-baseline", "baseline.json")
    result = CliRunner().invoke(main, ["check", "infra", "--no-cache", "--isolated", "--baseline", "baseline.json", "--show-suppressed"])
    assert result.exit_code == 0
    assert "(in the baseline)" in result.stdout and "suppressed EC2001" in result.stdout


@pytest.mark.parametrize("content, expected", [
    ("not json", "not a JSON baseline"),
    ('{"findings": []}', "not an iamlint baseline"),
    ('{"iamlint_baseline": 1, "findings": [1]}', "expected a list of objects"),
])
def test_bad_baseline_is_an_error(repo, content, expected):
    (repo / "baseline.json").write_text(content, encoding="utf-8")
    code, _, result = check("--baseline", "baseline.json")
    assert code == 2 and expected in result.stderr and "baseline.json" in result.stderr


def test_missing_baseline_is_an_error(repo):
    code, _, result = check("--baseline", "nope.json")
    assert code == 2 and "cannot read the baseline" in result.stderr


def _finding(line: int, path: str = "m/main.tf", message: str = "x at line 4 is bad") -> LocatedFinding:
    return LocatedFinding("EC2001", "n", Severity.ERROR, message, path, line, 1, line, 2, "aws_instance.a")


def test_identical_fingerprints_are_counted(tmp_path):
    target = tmp_path / "b.json"
    baseline.write(str(target), Report(findings=[_finding(1)]))
    report = Report(findings=[_finding(5), _finding(9)])
    assert baseline.apply(report, str(target)) == 1
    assert len(report.findings) == 1 and len(report.suppressed) == 1


def test_fingerprint_ignores_lines_files_of_a_module_and_messages():
    a = baseline.fingerprint(_finding(1, "m/main.tf", "x at line 4 is bad"))
    b = baseline.fingerprint(_finding(40, "m/other.tf", "y is worse"))
    assert a == b
    assert a != baseline.fingerprint(_finding(1, "n/main.tf"))  # another module


def test_a_format_1_baseline_is_still_read_and_a_note_says_how_to_rewrite_it(repo):
    code, found, _ = check()
    report = Report(findings=[LocatedFinding(rule, "n", Severity.ERROR, "m", "infra/main.tf", 1, 1, 1, 2, resource)
                              for rule, resource in found])
    # a baseline as the previous version wrote it: fingerprints of rule, place, resource and message
    result = CliRunner().invoke(main, ["check", "infra", "--format", "json", "--no-cache", "--isolated"])
    entries = [{"fingerprint": baseline.legacy_fingerprint(_located(f), str(repo))} for f in json.loads(result.stdout)["findings"]]
    assert report.findings and len(entries) == len(found)
    (repo / "old.json").write_text(json.dumps({"iamlint_baseline": 1, "findings": entries}), encoding="utf-8")
    code, found, result = check("--baseline", "old.json")
    assert (code, found) == (0, set())
    assert "format-1 baseline" in result.stderr and "--write-baseline old.json" in result.stderr


def _located(f: dict) -> LocatedFinding:
    return LocatedFinding(f["rule"], f["name"], Severity.parse(f["severity"]), f["message"], f["path"], f["line"],
                          f["column"], f["end_line"], f["end_column"], f["resource"])
