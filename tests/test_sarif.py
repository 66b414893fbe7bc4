"""SARIF 2.1.0 output: schema-valid for all fixtures, what GitHub code scanning needs
(rule metadata, levels, security-severity, repository-relative URIs, 1-based regions),
the chain as relatedLocations, line-independent fingerprints, suppressions on request."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from iamlint.cli import main
from iamlint.engine import Options, run
from iamlint.registry import load_rules
from iamlint.reporters.sarif import render

jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is in the test extra: pip install -e '.[test]'")

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = json.loads((ROOT / "tests" / "data" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
REGISTRY = load_rules()

CHAIN = """\
resource "aws_iam_role" "r" {
  name = "r"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { Service = "ec2.amazonaws.com" }, Action = "sts:AssumeRole" }]
  })
}
resource "aws_iam_role_policy" "rp" {
  role = aws_iam_role.r.id
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "*", Resource = "*" }]
  })
}
resource "aws_iam_instance_profile" "p" {
  role = aws_iam_role.r.name
}
resource "aws_instance" "web" {
  ami                  = "ami-1"
  iam_instance_profile = aws_iam_instance_profile.p.name
}
"""


def validate(document: dict) -> None:
    validator_class = jsonschema.validators.validator_for(SCHEMA)
    errors = sorted(validator_class(SCHEMA).iter_errors(document), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])


def sarif(paths, root, **options) -> dict:
    report = run([str(p) for p in paths], Options(cache=False, jobs=1))
    return json.loads(render(report, rules=REGISTRY.rules, root=str(root), **options))


@pytest.fixture(scope="module")
def fixtures_sarif() -> dict:
    return sarif([ROOT / "fixtures"], ROOT)


def test_fixtures_validate_against_the_schema(fixtures_sarif):
    assert fixtures_sarif["runs"][0]["results"], "the fixtures should produce results"
    validate(fixtures_sarif)


def test_results_point_at_their_rules_and_repository_relative_files(fixtures_sarif):
    run_ = fixtures_sarif["runs"][0]
    rules = run_["tool"]["driver"]["rules"]
    assert run_["columnKind"] == "unicodeCodePoints"
    assert run_["originalUriBaseIds"]["%SRCROOT%"]["uri"].endswith("/")
    for result in run_["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        [location] = result["locations"]
        artifact = location["physicalLocation"]["artifactLocation"]
        assert artifact["uriBaseId"] == "%SRCROOT%"
        assert artifact["uri"].startswith("fixtures/") and "\\" not in artifact["uri"]
        region = location["physicalLocation"]["region"]
        assert region["startLine"] >= 1 and region["startColumn"] >= 1
        assert (region["endLine"], region["endColumn"]) > (region["startLine"], region["startColumn"])
        assert result["level"] in ("error", "warning", "note")
        assert re.fullmatch(r"[0-9a-f]{64}", result["partialFingerprints"]["iamlint/v2"])


def test_every_rule_has_the_metadata_github_uses(fixtures_sarif):
    descriptors = {d["id"]: d for d in fixtures_sarif["runs"][0]["tool"]["driver"]["rules"]}
    assert set(descriptors) == {rule.code for rule in REGISTRY.rules}
    levels = {"error": "error", "warning": "warning", "note": "note"}
    for rule in REGISTRY.rules:
        d = descriptors[rule.code]
        assert d["name"] == rule.name
        assert d["shortDescription"]["text"] == rule.summary
        assert d["fullDescription"]["text"] and len(d["fullDescription"]["text"]) <= 1024
        assert "## What it checks" in d["help"]["markdown"] and d["help"]["text"]
        assert d["defaultConfiguration"]["level"] == levels[rule.severity.label]
        if rule.code.startswith("SUP"):
            continue
        assert "security" in d["properties"]["tags"]
        score = d["properties"]["security-severity"]
        assert isinstance(score, str) and 0.0 < float(score) <= 10.0


def test_chain_is_related_locations_linked_from_the_message(tmp_path):
    (tmp_path / "main.tf").write_text(CHAIN, encoding="utf-8")
    document = sarif([tmp_path], tmp_path)
    validate(document)
    chained = [r for r in document["runs"][0]["results"] if r.get("relatedLocations")]
    assert chained, "IAM002 on the role policy should carry the role -> instance chain"
    for result in chained:
        ids = {loc["id"] for loc in result["relatedLocations"]}
        linked = {int(n) for n in re.findall(r"\]\((\d+)\)", result["message"]["text"])}
        assert linked == ids
        for loc in result["relatedLocations"]:
            assert loc["physicalLocation"]["artifactLocation"]["uri"] == "main.tf"
            assert loc["message"]["text"]
    lines = {loc["physicalLocation"]["region"]["startLine"] for r in chained for loc in r["relatedLocations"]}
    assert 18 in lines  # the instance block


def test_fingerprints_survive_unrelated_line_shifts(tmp_path):
    (tmp_path / "main.tf").write_text(CHAIN, encoding="utf-8")
    before = sarif([tmp_path], tmp_path)["runs"][0]["results"]
    (tmp_path / "main.tf").write_text("# a comment\n\n\n" + CHAIN.replace("\n}\nresource", "\n}\n\n\nresource"), encoding="utf-8")
    after = sarif([tmp_path], tmp_path)["runs"][0]["results"]
    assert [r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in before] != \
        [r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in after]
    assert sorted(r["partialFingerprints"]["iamlint/v2"] for r in before) == \
        sorted(r["partialFingerprints"]["iamlint/v2"] for r in after)


def test_suppressed_results_only_when_asked(tmp_path):
    text = "# iamlint:ignore EC2001 -- build box\n" + 'resource "aws_instance" "b" {\n  ami = "a"\n}\n'
    (tmp_path / "main.tf").write_text(text, encoding="utf-8")
    default = sarif([tmp_path], tmp_path)
    assert not any(r["ruleId"] == "EC2001" for r in default["runs"][0]["results"])
    assert all("suppressions" not in r for r in default["runs"][0]["results"])
    shown = sarif([tmp_path], tmp_path, show_suppressed=True)
    validate(shown)
    [hidden] = [r for r in shown["runs"][0]["results"] if r["ruleId"] == "EC2001"]
    assert hidden["suppressions"][0]["kind"] == "inSource"
    assert hidden["suppressions"][0]["justification"] == "build box"
    others = [r for r in shown["runs"][0]["results"] if r["ruleId"] != "EC2001"]
    assert all(r["suppressions"] == [] for r in others)


def test_uris_are_percent_encoded(tmp_path):
    folder = tmp_path / "my infra"
    folder.mkdir()
    (folder / "main.tf").write_text('resource "aws_instance" "b" {\n  ami = "a"\n}\n', encoding="utf-8")
    document = sarif([folder], tmp_path)
    validate(document)
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in document["runs"][0]["results"]}
    assert uris == {"my%20infra/main.tf"}


def test_input_errors_become_notifications(tmp_path):
    (tmp_path / "main.tf").write_text('resource "aws_instance" "b" {\n  ami = \n', encoding="utf-8")
    document = sarif([tmp_path], tmp_path)
    validate(document)
    invocation = document["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is False
    assert invocation["toolExecutionNotifications"][0]["level"] == "error"


def test_cli_writes_sarif_to_a_file_and_still_gates(tmp_path, monkeypatch):
    (tmp_path / ".git").mkdir()
    (tmp_path / "main.tf").write_text(textwrap.dedent(CHAIN), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["check", ".", "--format", "sarif", "-o", "out.sarif", "--no-cache", "--isolated"])
    assert result.exit_code == 1
    assert result.stdout == ""
    document = json.loads((tmp_path / "out.sarif").read_text(encoding="utf-8"))
    validate(document)
    assert {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in document["runs"][0]["results"]} == {"main.tf"}


def test_every_rule_links_its_generated_page_and_the_tool_its_home(fixtures_sarif):
    driver = fixtures_sarif["runs"][0]["tool"]["driver"]
    assert driver["informationUri"].startswith("https://")
    for descriptor in driver["rules"]:
        assert descriptor["helpUri"].endswith(f"/rules/{descriptor['id']}.md")
        assert (ROOT / "docs" / "rules" / f"{descriptor['id']}.md").is_file()  # the page exists in the repository
        assert f"]({descriptor['helpUri']})" in descriptor["help"]["markdown"]


TWO_ON_ONE_LINE = CHAIN.replace('Action = "*", Resource = "*"', 'Action = ["s3:*", "ec2:*"], Resource = "*"')


def test_findings_of_one_rule_on_one_line_with_one_fix_target_are_one_result(tmp_path):
    (tmp_path / "main.tf").write_text(TWO_ON_ONE_LINE, encoding="utf-8")
    report = run([str(tmp_path)], Options(cache=False, jobs=1, select={"IAM002"}))
    assert len(report.findings) == 2 and len({(f.line, f.resource) for f in report.findings}) == 1
    document = json.loads(render(report, rules=REGISTRY.rules, root=str(tmp_path)))
    validate(document)
    [result] = document["runs"][0]["results"]
    text = result["message"]["text"]
    assert "every action of s3" in text and "Also on this line:" in text and "every action of ec2" in text
    region = result["locations"][0]["physicalLocation"]["region"]
    assert (region["startColumn"], region["endColumn"]) == (min(f.column for f in report.findings),
                                                            max(f.end_column for f in report.findings))


def test_a_run_is_capped_with_a_summary_result(fixtures_sarif):
    report = run([str(ROOT / "fixtures" / "rules")], Options(cache=False, jobs=1))
    document = json.loads(render(report, rules=REGISTRY.rules, root=str(ROOT), max_results=5))
    validate(document)
    results = document["runs"][0]["results"]
    assert len(results) == 5
    assert [r["level"] for r in results[:4]] == ["error"] * 4  # the most severe are kept
    summary = results[-1]
    assert summary["ruleId"] == "IAMLINT-TRUNCATED" and "more results left out" in summary["message"]["text"]
    rules = document["runs"][0]["tool"]["driver"]["rules"]
    assert rules[summary["ruleIndex"]]["id"] == "IAMLINT-TRUNCATED"


def test_each_invocation_has_its_own_automation_id(tmp_path, monkeypatch):
    (tmp_path / "main.tf").write_text(CHAIN, encoding="utf-8")
    first, second = (sarif([tmp_path], tmp_path)["runs"][0]["automationDetails"]["id"] for _ in range(2))
    assert first != second and first.startswith("iamlint/") and second.startswith("iamlint/")
    monkeypatch.setenv("IAMLINT_SARIF_CATEGORY", "iamlint-infra")
    assert sarif([tmp_path], tmp_path)["runs"][0]["automationDetails"]["id"].startswith("iamlint-infra/")
