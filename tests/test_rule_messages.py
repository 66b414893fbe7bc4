"""Messages name what is wrong precisely, also when part of a value is known only at deploy time."""

from iamlint.engine import Options, run

TRUST_OWN_ACCOUNT = """\
Resources:
  I:
    Type: AWS::EC2::Instance
    Properties: {IamInstanceProfile: !Ref P}
  P:
    Type: AWS::IAM::InstanceProfile
    Properties: {Roles: [!Ref R]}
  R:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement:
          - Effect: Allow
            Principal: {AWS: !Sub "arn:aws:iam::${AWS::AccountId}:root"}
            Action: sts:AssumeRole
"""


def test_root_principal_with_a_deploy_time_account(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text(TRUST_OWN_ACCOUNT)
    (finding,) = run([str(path)], Options(select={"IAM001"})).findings
    assert finding.line == 14
    assert "every principal of this account (arn:aws:iam::${AWS::AccountId}:root)" in finding.message


def test_full_wildcard_message_counts_the_actions_it_grants(tmp_path):
    (tmp_path / "main.tf").write_text(
        'resource "aws_iam_policy" "p" {\n  policy = jsonencode({Statement = [{Effect = "Allow", '
        'Action = ["ec2:*"], Resource = "*"}]})\n}\n'
    )
    from iamlint.knowledge import count_actions

    (finding,) = run([str(tmp_path)], Options(select={"IAM002"})).findings
    expected = count_actions("ec2:*")
    assert expected and expected > 100
    assert f"('ec2:*', {expected:,} actions)" in finding.message


def test_version_names_the_knowledge_snapshot():
    from click.testing import CliRunner

    from iamlint.cli import main

    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    assert "version" in result.output and "managed policies snapshot" in result.output
