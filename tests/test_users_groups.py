"""IAM users and groups in the graph (issue 14 item 6): their identity policies are judged
by IAM002-IAM008 as warnings, and a user's effective permissions include its groups'."""

from __future__ import annotations

from pathlib import Path

from iamlint.discovery import discover
from iamlint.engine import load_unit, run
from iamlint.model.graph import Group, GroupMembership, PolicyAttachment, RolePolicy, User
from iamlint.model.links import groups_of, targets_of
from iamlint.options import Options
from iamlint.permissions import effective_permissions
from iamlint.testing import lint

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

TF_USER = '''resource "aws_iam_user" "deploy" {
  name = "deploy"
}

resource "aws_iam_user_policy" "deploy" {
  name = "deploy"
  user = aws_iam_user.deploy.name
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = "*"
      Resource = "*"
    }]
  })
}
'''

CFN_USER = '''AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Deployer:
    Type: AWS::IAM::User
    Properties:
      Policies:
        - PolicyName: everything
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - Effect: Allow
                Action: "*"
                Resource: "*"
'''


def _findings(paths):
    report = run([str(p) for p in paths], Options(cache=False))
    assert report.errors == []
    return [(f.rule, Path(f.path).name, f.line, f.column, f.severity.name.lower()) for f in report.findings]


def test_terraform_user_with_an_inline_star_policy_is_an_iam002_warning(tmp_path):
    (tmp_path / "main.tf").write_text(TF_USER)
    assert _findings([tmp_path]) == [("IAM002", "main.tf", 12, 18, "warning")]


def test_cloudformation_user_with_an_inline_star_policy_is_an_iam002_warning(tmp_path):
    (tmp_path / "user.yaml").write_text(CFN_USER)
    assert _findings([tmp_path / "user.yaml"]) == [("IAM002", "user.yaml", 12, 25, "warning")]


def test_the_message_names_the_user_policy(tmp_path):
    (tmp_path / "main.tf").write_text(TF_USER)
    (finding,) = run([str(tmp_path)], Options(cache=False)).findings
    assert finding.message.startswith('policy aws_iam_user_policy.deploy allows every action of every service ("*"')
    assert finding.resource == "aws_iam_user_policy.deploy"


def test_insecure_fixtures_report_exactly_their_markers_with_columns():
    assert _findings([FIXTURES / "terraform" / "insecure_users_groups"]) == [
        ("IAM002", "main.tf", 27, 18, "warning"),
        ("IAM003", "main.tf", 40, 16, "warning"),
        ("IAM006", "main.tf", 56, 19, "warning"),
        ("IAM003", "main.tf", 65, 16, "warning"),
    ]
    assert _findings([FIXTURES / "cloudformation" / "insecure_users_groups.yaml"]) == [
        ("IAM002", "insecure_users_groups.yaml", 16, 25, "warning"),
        ("IAM003", "insecure_users_groups.yaml", 22, 11, "warning"),
        ("IAM002", "insecure_users_groups.yaml", 34, 25, "warning"),
        ("IAM006", "insecure_users_groups.yaml", 51, 21, "warning"),
    ]


def test_secure_fixtures_have_no_findings():
    for path in (FIXTURES / "terraform" / "secure_users_groups", FIXTURES / "cloudformation" / "secure_users_groups.yaml"):
        report = lint([path])
        assert report.files == 1
        assert [(f.rule, f.line, f.message) for f in report.findings] == []
        assert report.errors == []


def test_a_users_permissions_include_its_groups_and_a_groups_only_its_own(tmp_path):
    (tmp_path / "main.tf").write_text((FIXTURES / "terraform" / "insecure_users_groups" / "main.tf").read_text())
    graph = _load_graph(tmp_path)
    builder = graph.by_address("aws_iam_user.builder")
    builders = graph.by_address("aws_iam_group.builders")
    assert isinstance(builder, User) and isinstance(builders, Group)
    assert groups_of(graph, builder) == [builders]
    user_actions = {g.pattern for g in effective_permissions(graph, builder).allows}
    group_actions = {g.pattern for g in effective_permissions(graph, builders).allows}
    assert {"iam:PassRole", "ec2:RunInstances"} <= user_actions  # from the group
    assert group_actions == {"iam:PassRole", "ec2:RunInstances"}  # not the user's PowerUserAccess
    assert "iam:PassRole" not in {g.pattern for g in effective_permissions(graph, graph.by_address("aws_iam_user.deploy")).allows}


def test_without_the_membership_the_group_policy_does_not_reach_the_user(tmp_path):
    text = (FIXTURES / "terraform" / "insecure_users_groups" / "main.tf").read_text()
    start = text.index('resource "aws_iam_group_membership" "builders"')
    end = text.index('resource "aws_iam_group_policy" "builders"')
    (tmp_path / "main.tf").write_text(text[:start] + text[end:])
    graph = _load_graph(tmp_path)
    builder = graph.by_address("aws_iam_user.builder")
    assert isinstance(builder, User)
    assert groups_of(graph, builder) == []
    assert "iam:PassRole" not in {g.pattern for g in effective_permissions(graph, builder).allows}


def test_terraform_resources_become_user_group_nodes(tmp_path):
    (tmp_path / "main.tf").write_text((FIXTURES / "terraform" / "insecure_users_groups" / "main.tf").read_text())
    graph = _load_graph(tmp_path)
    policy = graph.by_address("aws_iam_group_policy.builders")
    assert isinstance(policy, RolePolicy) and [n.address for n in targets_of(graph, policy)] == ["aws_iam_group.builders"]
    attachment = graph.by_address("aws_iam_policy_attachment.power")
    assert isinstance(attachment, PolicyAttachment)
    assert [n.address for n in targets_of(graph, attachment)] == ["aws_iam_user.builder"]
    assert isinstance(graph.by_address("aws_iam_user_group_membership.deploy"), GroupMembership)


def test_cloudformation_groups_property_and_user_to_group_addition(tmp_path):
    graph = _load_graph(FIXTURES / "cloudformation" / "insecure_users_groups.yaml")
    deployer, builder = graph.by_address("Deployer"), graph.by_address("Builder")
    assert isinstance(deployer, User) and isinstance(builder, User)
    assert [g.address for g in groups_of(graph, deployer)] == ["Operators"]
    assert [g.address for g in groups_of(graph, builder)] == ["Builders"]
    assert "s3:*" in {g.pattern for g in effective_permissions(graph, builder).allows}


def _load_graph(path: Path):
    (unit,), _missing = discover([str(path)])
    result = load_unit(unit, Options(cache=False))
    assert result is not None and result.errors == []
    return result.graph


def test_users_and_groups_survive_the_unit_cache(tmp_path, monkeypatch):
    """Every field of the new nodes pickles (a warm run from the cache reports the same)."""
    monkeypatch.setenv("IAMLINT_CACHE_DIR", str(tmp_path / "cache"))

    def never(unit, options):
        raise AssertionError(f"{unit.root} was loaded again")

    paths = [str(FIXTURES / "terraform" / "insecure_users_groups"), str(FIXTURES / "cloudformation" / "insecure_users_groups.yaml")]
    cold = run(paths, Options(cache=True, jobs=1))
    import iamlint.engine as engine

    monkeypatch.setattr(engine, "load_unit", never)
    warm = run(paths, Options(cache=True, jobs=1))
    assert warm.errors == [] and len(cold.findings) == 8
    assert [(f.rule, f.path, f.line, f.message) for f in warm.findings] == [
        (f.rule, f.path, f.line, f.message) for f in cold.findings]
