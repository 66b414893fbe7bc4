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
    assert "account ${AWS::AccountId} (arn:aws:iam::${AWS::AccountId}:root)" in finding.message
