"""The exported fixture harness: marker and sidecar parsing."""

from __future__ import annotations

from pathlib import Path

import pytest

from iamlint.testing import expected_findings, fixture_files


def test_markers_on_the_line_and_explicit_lines(tmp_path: Path):
    path = tmp_path / "main.tf"
    path.write_text(
        "# expect-line: IAM002 4\n"
        'resource "aws_instance" "a" { # expect: EC2001\n'
        "  x = 1 // expect: IAM001, EC2002\n"
        "  y = 2\n"
        "}\n"
    )
    assert expected_findings(path) == {("IAM002", 4), ("EC2001", 2), ("IAM001", 3), ("EC2002", 3)}


def test_file_without_markers_declares_nothing(tmp_path: Path):
    path = tmp_path / "main.tf"
    path.write_text('resource "aws_instance" "a" {}\n# expected: nothing here\n')
    assert expected_findings(path) is None


def test_json_uses_a_sidecar(tmp_path: Path):
    template = tmp_path / "t.json"
    template.write_text('{"Resources": {}}  # expect: IAM002\n')
    assert expected_findings(template) is None
    (tmp_path / "t.json.expect").write_text("# code line\nIAM002 3\n\nEC2001 7\n")
    assert expected_findings(template) == {("IAM002", 3), ("EC2001", 7)}
    assert fixture_files(tmp_path) == [template]


def test_empty_sidecar_means_no_findings(tmp_path: Path):
    (tmp_path / "t.json").write_text("{}")
    (tmp_path / "t.json.expect").write_text("")
    assert expected_findings(tmp_path / "t.json") == set()


def test_malformed_sidecar_is_a_clear_error(tmp_path: Path):
    (tmp_path / "t.json").write_text("{}")
    (tmp_path / "t.json.expect").write_text("IAM002 three\n")
    with pytest.raises(ValueError, match=r"t.json.expect:1"):
        expected_findings(tmp_path / "t.json")


def test_rules_restrict_a_fixture_check_to_those_rules(tmp_path):
    from iamlint.testing import check_fixture, lint

    fixture = tmp_path / "main.tf"
    # EC2003 also fires on this instance; restricted to EC2001 only its marker counts
    fixture.write_text('resource "aws_instance" "x" { # expect: EC2001\n  ami = "a"\n}\n')
    check_fixture(fixture, rules=["instance-without-profile"])
    assert {f.rule for f in lint([tmp_path], rules=["EC2001"]).findings} == {"EC2001"}
    with pytest.raises(AssertionError):
        check_fixture(fixture)  # all rules: EC2003 is reported but not expected
    with pytest.raises(ValueError):
        lint([tmp_path], rules=["NOPE999"])
