"""CI output formats (github annotations, junit, gitlab Code Quality), --statistics,
-o/--output-file and --exit-zero."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
from click.testing import CliRunner

from iamlint.cli import main
from iamlint.model.findings import Severity
from iamlint.model.units import SourceError
from iamlint.report import LocatedFinding, Report
from iamlint.reporters import FORMATS, get_formatter
from iamlint.reporters import github, gitlab, junit, statistics

BARE = 'resource "aws_instance" "bare" {\n  ami = "ami-1"\n}\n'


def finding(rule="EC2001", severity=Severity.ERROR, line=1, message="m", path="infra/main.tf", end_line=None, resource="aws_instance.x"):
    return LocatedFinding(rule, "instance-without-profile", severity, message, path, line, 3,
                          end_line if end_line is not None else line, 9, resource)


def report_of(*findings, errors=()) -> Report:
    report = Report(findings=list(findings), errors=list(errors), files=1)
    report.sort()
    return report


@pytest.fixture
def repo(tmp_path, monkeypatch):
    (tmp_path / ".git").mkdir()
    (tmp_path / "infra").mkdir()
    (tmp_path / "infra" / "main.tf").write_text(BARE, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def invoke(*args):
    return CliRunner().invoke(main, ["check", *args, "--no-cache", "--isolated"])


def test_every_format_is_registered_and_renders_an_empty_report():
    assert set(FORMATS) == {"text", "json", "sarif", "github", "junit", "gitlab"}
    for name in FORMATS:
        assert isinstance(get_formatter(name)(Report(), rules=[], root="."), str)


# ---------------------------------------------------------------- github

def test_github_escaping_follows_the_actions_toolkit():
    assert github.escape_data("100% done\r\nnext") == "100%25 done%0D%0Anext"
    assert github.escape_property("a:b,c%") == "a%3Ab%2Cc%25"
    line = github.render(report_of(finding(message="50% of s3:*\nmore", path="dir,x/main.tf")), root=".")
    assert line.startswith("::error file=dir%2Cx/main.tf,line=1,endLine=1,col=3,endColumn=9,title=iamlint EC2001 (instance-without-profile)::")
    assert "50%25 of s3:*%0Amore" in line and line.count("\n") == 1


def test_github_levels_and_no_columns_on_multi_line_ranges():
    text = github.render(report_of(finding(severity=Severity.WARNING, end_line=4), finding(severity=Severity.NOTE, line=9)), root=".")
    first, second = text.splitlines()
    assert first.startswith("::warning ") and "col=" not in first and "endLine=4" in first
    assert second.startswith("::notice ") and "col=3" in second


def test_github_caps_each_level_and_summarises_the_rest():
    findings = [finding(line=n) for n in range(1, 26)]
    findings += [finding(severity=Severity.WARNING, line=100 + n) for n in range(3)]
    findings += [finding(severity=Severity.NOTE, line=200 + n) for n in range(12)]
    lines = github.render(report_of(*findings), root=".").splitlines()
    kinds = [line.split(" ", 1)[0] for line in lines]
    assert kinds.count("::error") == 10 and kinds.count("::warning") == 3 and kinds.count("::notice") == 10
    assert lines[-1].startswith("::notice title=iamlint%3A more findings::18 more iamlint findings")
    assert kinds[:10] == ["::error"] * 10  # most severe first


def test_github_input_errors_are_error_annotations():
    text = github.render(report_of(errors=[SourceError("infra/bad.tf", 3, "syntax error: x")]), root=".")
    assert text == "::error file=infra/bad.tf,line=3,title=iamlint input error::syntax error: x\n"


# ---------------------------------------------------------------- junit

def test_junit_one_failing_case_per_finding_with_unique_names():
    xml = junit.render(report_of(finding(line=1), finding(line=1, rule="EC2003"), finding(path="b.tf", line=5)), root=".")
    top = ET.fromstring(xml.split("\n", 1)[1])
    assert top.tag == "testsuites" and top.get("tests") == "3" and top.get("failures") == "3"
    cases = top.findall("./testsuite/testcase")
    names = [c.get("name") for c in cases]
    assert len(set(names)) == 3
    assert {c.get("file") for c in cases} == {"infra/main.tf", "b.tf"}
    assert all(c.find("failure") is not None and c.get("line") for c in cases)


def test_junit_clean_run_has_one_passing_case_and_errors_are_errors():
    clean = ET.fromstring(junit.render(Report(), root=".").split("\n", 1)[1])
    assert clean.get("tests") == "1" and clean.get("failures") == "0"
    broken = ET.fromstring(junit.render(report_of(errors=[SourceError("x.tf", 2, "bad")]), root=".").split("\n", 1)[1])
    assert broken.get("errors") == "1" and broken.find("./testsuite/testcase/error").get("message") == "bad"


# ---------------------------------------------------------------- gitlab

def test_gitlab_code_quality_issues():
    text = gitlab.render(report_of(finding(), finding(), finding(severity=Severity.NOTE, rule="EC2002", line=7)), root=".")
    assert not text.startswith("\ufeff")
    issues = json.loads(text)
    assert len(issues) == 3
    for issue in issues:
        assert {"description", "check_name", "fingerprint", "severity", "location"} <= set(issue)
        assert issue["severity"] in {"info", "minor", "major", "critical", "blocker"}
        assert issue["location"]["path"] == "infra/main.tf" and issue["location"]["lines"]["begin"] >= 1
    assert len({i["fingerprint"] for i in issues}) == 3  # identical findings still differ


def test_gitlab_fingerprints_do_not_contain_line_numbers():
    one = json.loads(gitlab.render(report_of(finding(line=3)), root="."))
    two = json.loads(gitlab.render(report_of(finding(line=30)), root="."))
    assert one[0]["fingerprint"] == two[0]["fingerprint"]


# ---------------------------------------------------------------- statistics, -o, --exit-zero

def test_statistics_counts_per_rule():
    report = report_of(finding(), finding(line=2), finding(rule="EC2003", severity=Severity.WARNING))
    assert statistics.counts(report) == [("EC2001", "instance-without-profile", "error", 2),
                                         ("EC2003", "instance-without-profile", "warning", 1)]
    assert statistics.render_text(report).splitlines()[0].split() == ["2", "EC2001", "instance-without-profile", "error"]
    assert json.loads(statistics.render_json(report))[1] == {"rule": "EC2003", "name": "instance-without-profile",
                                                             "severity": "warning", "count": 1}


def test_cli_statistics(repo):
    result = invoke(".", "--statistics")
    assert result.exit_code == 1
    rows = [line.split() for line in result.stdout.splitlines()[:-1]]
    assert {row[1] for row in rows} >= {"EC2001"} and all(row[0] == "1" for row in rows)
    assert invoke(".", "--statistics", "--format", "sarif").exit_code == 2


def test_output_file_and_exit_code(repo):
    result = invoke(".", "--format", "gitlab", "-o", "gl-code-quality.json")
    assert result.exit_code == 1 and result.stdout == ""
    assert "Report written to gl-code-quality.json" in result.stderr
    assert json.loads((repo / "gl-code-quality.json").read_text(encoding="utf-8"))[0]["location"]["path"] == "infra/main.tf"


def test_exit_zero_keeps_findings_but_not_errors(repo):
    result = invoke(".", "--exit-zero")
    assert result.exit_code == 0 and "EC2001" in result.stdout
    (repo / "iamlint.toml").write_text("nonsense = 1\n", encoding="utf-8")
    assert CliRunner().invoke(main, ["check", ".", "--exit-zero", "--no-cache"]).exit_code == 2


@pytest.mark.parametrize("fmt", ["github", "junit", "gitlab", "sarif", "json", "text"])
def test_cli_every_format_runs(repo, fmt):
    result = invoke(".", "--format", fmt)
    assert result.exit_code == 1, result.output
    assert "EC2001" in result.stdout
    assert "\033[" not in result.stdout


def test_github_writes_every_finding_to_the_job_summary(repo, monkeypatch):
    summary = repo / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    result = invoke(".", "--format", "github")
    assert result.exit_code == 1
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("### iamlint: ") and "| `infra/main.tf:1` | error | EC2001 instance-without-profile |" in text


def test_step_summary_escapes_table_cells():
    text = github.step_summary(report_of(finding(message="a | b\nc")), root=".")
    assert "a \\| b c |" in text


def test_junit_findings_below_fail_on_are_skipped_not_failed():
    report = report_of(finding(), finding(rule="EC2003", severity=Severity.WARNING, line=2),
                       finding(rule="EC2002", severity=Severity.NOTE, line=3))
    top = ET.fromstring(junit.render(report, root=".").split("\n", 1)[1])
    assert (top.get("failures"), top.get("skipped")) == ("1", "2")
    [warning] = [c for c in top.iter("testcase") if c.get("name").startswith("EC2003")]
    assert warning.find("failure") is None
    assert "below --fail-on error" in warning.find("skipped").get("message")
    assert "EC2003" in warning.find("system-out").text
    top = ET.fromstring(junit.render(report, root=".", fail_on=Severity.WARNING).split("\n", 1)[1])
    assert (top.get("failures"), top.get("skipped")) == ("2", "1")
    top = ET.fromstring(junit.render(report, root=".", fail_on=lambda path: Severity.NOTE).split("\n", 1)[1])
    assert (top.get("failures"), top.get("skipped")) == ("3", "0")


def test_junit_names_are_unique_even_for_findings_at_one_place():
    report = report_of(finding(), finding(message="another"), finding(rule="EC2003"))
    names = [c.get("name") for c in ET.fromstring(junit.render(report, root=".").split("\n", 1)[1]).iter("testcase")]
    assert len(names) == 3 and len(set(names)) == 3


def test_junit_through_the_cli_uses_the_configured_fail_on(repo):
    (repo / "infra" / "main.tf").write_text(BARE, encoding="utf-8")
    result = invoke("infra", "--format", "junit", "--fail-on", "warning")
    top = ET.fromstring(result.stdout.split("\n", 1)[1])
    assert int(top.get("failures")) >= 2 and top.get("skipped") == "0"  # EC2001 error and EC2003 warning
    result = invoke("infra", "--format", "junit")
    top = ET.fromstring(result.stdout.split("\n", 1)[1])
    assert top.get("failures") == "1" and top.get("skipped") == "1"
