"""Inline suppressions: Terraform and YAML comments, CloudFormation Metadata, module calls,
reasons, expiry, unused ones, and --show-suppressed."""

from __future__ import annotations

import json
import textwrap

from click.testing import CliRunner

from iamlint.cli import main
from iamlint.engine import Options, run
from iamlint.suppressions import comment_suppressions, parse_comment

INSTANCE = """\
resource "aws_instance" "bare" {
  ami           = "ami-1"
  instance_type = "t3.micro"
  metadata_options {
    http_tokens = "required"
  }
}
"""

ROLE = """\
resource "aws_iam_role" "r" {
  name = "r"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { Service = "ec2.amazonaws.com" }, Action = "sts:AssumeRole" }]
  })
  inline_policy {
    name = "p"
    policy = jsonencode({
      Version = "2012-10-17"
      Statement = [
        { Effect = "Allow", Action = "*", Resource = "*" },
        { Effect = "Allow", Action = "s3:*", Resource = "*" },
      ]
    })
  }
}
resource "aws_iam_instance_profile" "p" {
  role = aws_iam_role.r.name
}
resource "aws_instance" "web" {
  ami                  = "ami-1"
  iam_instance_profile = aws_iam_instance_profile.p.name
  metadata_options {
    http_tokens = "required"
  }
}
"""


def lint(tmp_path, files: dict[str, str], **options):
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return run([str(tmp_path)], Options(cache=False, jobs=1, **options))


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), start=1) if needle in line)


STAR, S3 = 'Action = "*"', 'Action = "s3:*"'


def pairs(report) -> set[tuple[str, int]]:
    return {(f.rule, f.line) for f in report.findings}


def test_without_suppression_the_findings_are_reported(tmp_path):
    text = INSTANCE + ROLE
    report = lint(tmp_path, {"main.tf": text})
    assert ("EC2001", 1) in pairs(report)
    assert {("IAM002", line_of(text, STAR)), ("IAM002", line_of(text, S3))} <= pairs(report)


def test_comment_above_a_block_covers_the_whole_block(tmp_path):
    text = "# iamlint:ignore EC2001 -- build box without AWS access\n" + INSTANCE
    report = lint(tmp_path, {"main.tf": text})
    assert pairs(report) == set()
    [hidden] = report.suppressed
    assert (hidden.finding.rule, hidden.kind, hidden.justification, hidden.line) == (
        "EC2001", "inSource", "build box without AWS access", 1)


def test_names_and_double_slash_comments_work(tmp_path):
    text = "// iamlint:ignore instance-without-profile -- build box\n" + INSTANCE
    assert pairs(lint(tmp_path, {"main.tf": text})) == set()


def test_comment_above_a_statement_covers_only_that_statement(tmp_path):
    text = ROLE.replace(
        '        { Effect = "Allow", Action = "s3:*"',
        '        # iamlint:ignore IAM002 -- the bucket list is generated\n        { Effect = "Allow", Action = "s3:*"',
    )
    report = lint(tmp_path, {"main.tf": text})
    assert pairs(report) == {("IAM002", line_of(text, STAR))}  # the "*" statement is still reported
    assert [s.finding.line for s in report.suppressed] == [line_of(text, S3)]


def test_comment_above_an_attribute_covers_its_multi_line_value(tmp_path):
    text = ROLE.replace("  inline_policy {", "  # iamlint:ignore IAM002 -- temporary, OPS-1\n  inline_policy {")
    report = lint(tmp_path, {"main.tf": text})
    assert not any(f.rule == "IAM002" for f in report.findings)
    assert sorted(s.finding.line for s in report.suppressed) == [line_of(text, STAR), line_of(text, S3)]


def test_trailing_comment_covers_its_own_line(tmp_path):
    text = ROLE.replace(
        '{ Effect = "Allow", Action = "*", Resource = "*" },',
        '{ Effect = "Allow", Action = "*", Resource = "*" }, # iamlint:ignore IAM002 -- break-glass',
    )
    report = lint(tmp_path, {"main.tf": text})
    assert pairs(report) == {("IAM002", line_of(text, S3))}


def test_suppression_follows_the_code_when_lines_move(tmp_path):
    text = "\n\n\n# iamlint:ignore EC2001 -- build box\n\n" + INSTANCE
    report = lint(tmp_path, {"main.tf": text})
    assert pairs(report) == set() and len(report.suppressed) == 1


def test_module_call_suppression_covers_what_the_call_instantiates(tmp_path):
    files = {
        "modules/box/main.tf": INSTANCE,
        "main.tf": '# iamlint:ignore EC2001 -- boxes of this module have no AWS access\nmodule "box" {\n  source = "./modules/box"\n}\n',
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    report = run([str(tmp_path)], Options(cache=False, jobs=1))
    instantiated = [s.finding for s in report.suppressed if s.finding.resource.startswith("module.box.")]
    assert [(f.rule, f.resource) for f in instantiated] == [("EC2001", "module.box.aws_instance.bare")]
    assert not any(f.resource.startswith("module.box.") and f.rule == "EC2001" for f in report.findings)
    # the child directory checked as a root module of its own is not covered by the call
    assert ("EC2001", "aws_instance.bare") in {(f.rule, f.resource) for f in report.findings}
    assert not any(f.rule == "SUP001" for f in report.findings)
    # given only main.tf (a pre-commit hook), the instantiated findings are not reported,
    # and the suppression still counts as used
    only = run([str(tmp_path / "main.tf")], Options(cache=False, jobs=1))
    assert not any(f.rule in ("SUP001", "EC2001") for f in only.findings)


def test_covers_module_paths_at_any_depth():
    from iamlint.report import LocatedFinding
    from iamlint.model.findings import Severity
    from iamlint.suppressions import Suppression

    item = Suppression("a/main.tf", 1, 1, 2, ("EC2001",), "r", first=2, last=4, module="box", codes={"EC2001": "EC2001"})

    def at(resource, path="a/modules/box/main.tf", rule="EC2001"):
        return LocatedFinding(rule, "n", Severity.ERROR, "m", path, 9, 1, 9, 2, resource)

    assert item.covers(at("module.box.aws_instance.x"), {""})
    assert item.covers(at('module.box["k"].aws_instance.x'), {""})
    assert item.covers(at("module.outer.module.box.aws_instance.x"), {"module.outer."})
    assert not item.covers(at("module.boxes.aws_instance.x"), {""})
    assert not item.covers(at("module.box.aws_instance.x", rule="IAM002"), {""})
    assert item.covers(at("aws_instance.y", path="a/main.tf"), set()) is False  # line 9 is outside 2-4


def test_missing_reason_still_suppresses_but_warns(tmp_path):
    report = lint(tmp_path, {"main.tf": "# iamlint:ignore EC2001\n" + INSTANCE})
    assert pairs(report) == {("SUP002", 1)}
    assert len(report.suppressed) == 1


def test_text_without_dashes_is_reported_as_a_missing_reason(tmp_path):
    report = lint(tmp_path, {"main.tf": "# iamlint:ignore EC2001 because legacy\n" + INSTANCE})
    [finding] = report.findings
    assert finding.rule == "SUP002" and "' -- '" in finding.message


def test_unused_and_unknown_rules_are_reported(tmp_path):
    text = "# iamlint:ignore EC2001, IAM002, NOPE999 -- reason\n" + INSTANCE
    report = lint(tmp_path, {"main.tf": text})
    messages = sorted(f.message for f in report.findings)
    assert all(f.rule == "SUP001" and f.line == 1 for f in report.findings)
    assert len(messages) == 2
    assert any("IAM002" in m for m in messages) and any("'NOPE999'" in m for m in messages)


def test_unused_is_not_reported_for_rules_that_are_not_selected(tmp_path):
    text = "# iamlint:ignore EC2001, IAM002 -- reason\n" + INSTANCE
    report = lint(tmp_path, {"main.tf": text}, select={"EC2001", "SUP001"})
    assert pairs(report) == set()


def test_expired_suppression_stops_working_and_says_so(tmp_path):
    text = "# iamlint:ignore EC2001 -- migration OPS-17 until 2020-06-30\n" + INSTANCE
    report = lint(tmp_path, {"main.tf": text})
    assert pairs(report) == {("SUP003", 1), ("EC2001", 2)}
    assert "2020-06-30" in next(f.message for f in report.findings if f.rule == "SUP003")


def test_future_expiry_still_works(tmp_path):
    text = "# iamlint:ignore EC2001 -- migration OPS-17 until 2999-06-30\n" + INSTANCE
    report = lint(tmp_path, {"main.tf": text})
    assert pairs(report) == set()
    assert report.suppressed[0].justification == "migration OPS-17"


def test_invalid_expiry_date_is_not_applied(tmp_path):
    report = lint(tmp_path, {"main.tf": "# iamlint:ignore EC2001 -- x until someday\n" + INSTANCE})
    assert pairs(report) == {("SUP003", 1), ("EC2001", 2)}


def test_suppression_findings_can_be_ignored_like_any_rule(tmp_path):
    report = lint(tmp_path, {"main.tf": "# iamlint:ignore EC2001\n" + INSTANCE}, ignore={"suppression-without-reason"})
    assert pairs(report) == set()


YAML = """\
Resources:
  # iamlint:ignore EC2001 -- build box, no AWS access
  Build:
    Type: AWS::EC2::Instance
    Properties:
      ImageId: ami-1
  Other:
    Type: AWS::EC2::Instance
    Properties:
      ImageId: ami-1
"""


def test_yaml_comment_covers_the_indented_block(tmp_path):
    report = lint(tmp_path, {"template.yaml": YAML}, select={"EC2001", "SUP001", "SUP002", "SUP003"})
    assert pairs(report) == {("EC2001", 7)}
    assert [s.finding.line for s in report.suppressed] == [3]


METADATA = {
    "Resources": {
        "Build": {
            "Type": "AWS::EC2::Instance",
            "Metadata": {"iamlint": {"ignore": [{"rule": "EC2001", "reason": "build box"}]}},
            "Properties": {"ImageId": "ami-1"},
        },
        "Other": {"Type": "AWS::EC2::Instance", "Properties": {"ImageId": "ami-1"}},
    }
}


def test_cloudformation_metadata_suppresses_in_json(tmp_path):
    report = lint(tmp_path, {"template.json": json.dumps(METADATA, indent=2)}, select={"EC2001", "SUP001", "SUP002"})
    assert [f.resource for f in report.findings] == ["Other"]
    assert [(s.finding.resource, s.justification) for s in report.suppressed] == [("Build", "build box")]


def test_cloudformation_metadata_without_reason_and_unused(tmp_path):
    template = json.loads(json.dumps(METADATA))
    template["Resources"]["Build"]["Metadata"]["iamlint"]["ignore"] = [{"rule": "EC2001"}, {"rule": "IAM002", "reason": "x"}]
    report = lint(tmp_path, {"template.json": json.dumps(template, indent=2)}, select={"EC2001", "IAM002", "SUP001", "SUP002"})
    assert sorted(f.rule for f in report.findings) == ["EC2001", "SUP001", "SUP002"]


def test_parse_comment_variants():
    assert parse_comment(" EC2001, IAM002 -- legacy until 2027-03-31") == (("EC2001", "IAM002"), "legacy", "2027-03-31", None)
    assert parse_comment(" EC2001") == (("EC2001",), None, None, None)
    assert parse_comment(" EC2001 until 2027-03-31") == (("EC2001",), None, "2027-03-31", None)
    keys, reason, _until, problem = parse_comment(" EC2001 legacy box")
    assert keys == ("EC2001",) and reason is None and problem


def test_json_files_have_no_comment_syntax():
    assert comment_suppressions("x.json", '{"a": "# iamlint:ignore EC2001 -- x"}') == []


def test_heredoc_and_strings_do_not_confuse_the_block_end():
    text = textwrap.dedent('''\
        # iamlint:ignore IAM002 -- x
        resource "aws_iam_role_policy" "p" {
          name   = "brace { in a string"
          policy = <<EOF
        {"Statement": [{"Action": "*"
        EOF
        }
        resource "aws_s3_bucket" "b" {}
        ''')
    [item] = comment_suppressions("main.tf", text)
    assert (item.first, item.last) == (2, 7)


def test_show_suppressed_in_text(tmp_path):
    (tmp_path / "main.tf").write_text("# iamlint:ignore EC2001 -- build box\n" + INSTANCE, encoding="utf-8")
    runner = CliRunner()
    hidden = runner.invoke(main, ["check", str(tmp_path), "--no-cache", "--isolated"])
    shown = runner.invoke(main, ["check", str(tmp_path), "--no-cache", "--isolated", "--show-suppressed"])
    assert hidden.exit_code == 0 and "EC2001" not in hidden.output and "1 suppressed" in hidden.output
    assert shown.exit_code == 0
    assert "suppressed EC2001" in shown.output and "build box" in shown.output


def test_block_suppression_covers_its_findings_located_in_a_policy_file(tmp_path):
    main_tf = (ROLE.split("  inline_policy {")[0] + "}\n"
               + '# iamlint:ignore IAM002 -- reviewed in SEC-4\n'
               + 'resource "aws_iam_role_policy" "rp" {\n  role   = aws_iam_role.r.id\n'
               + '  policy = file("${path.module}/policy.json")\n}\n'
               + "resource \"aws_iam_instance_profile\"" + ROLE.split("resource \"aws_iam_instance_profile\"")[1])
    policy = '{\n  "Version": "2012-10-17",\n  "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]\n}\n'
    report = lint(tmp_path, {"main.tf": main_tf, "policy.json": policy})
    hidden = [(s.finding.rule, s.finding.path.endswith("policy.json")) for s in report.suppressed]
    assert hidden == [("IAM002", True)]
    assert not any(f.rule in ("IAM002", "SUP001") for f in report.findings)


def test_an_equals_sign_after_ignore_is_named_and_the_codes_still_read(tmp_path):
    report = lint(tmp_path, {"main.tf": "# iamlint:ignore=EC2001 -- build box\n" + INSTANCE})
    assert "EC2001" not in {f.rule for f in report.findings}  # read as iamlint:ignore EC2001
    [problem] = [f for f in report.findings if f.rule == "SUP002"]
    assert "not after '='" in problem.message and "no reason" not in problem.message
    assert (problem.line, problem.column) == (1, 1)


def test_a_reason_without_codes_is_not_a_rule_named_dashes(tmp_path):
    report = lint(tmp_path, {"main.tf": "# iamlint:ignore -- build box\n" + INSTANCE})
    assert "EC2001" in {f.rule for f in report.findings}  # no codes: nothing is suppressed
    messages = [f.message for f in report.findings if f.rule.startswith("SUP")]
    assert messages == ["suppression names no rule (write the codes or names to ignore, comma-separated)"], messages
    assert parse_comment(" -- build box") == ((), "build box", None, None)
