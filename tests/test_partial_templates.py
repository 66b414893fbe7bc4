"""Issue 12 items 11 and 13: what a partly known value still tells.

Item 11: SEC001 finds a key in user data whose template also holds an unresolved
interpolation (``${var.cluster}`` in a heredoc or a ``templatefile``, ``${Param}`` in
``Fn::Sub``), located exactly where the text is written.
Item 13: a profile chosen by an undecidable condition, one branch without a profile,
is EC2001 at that branch naming the condition, in Terraform and CloudFormation alike.
"""

from __future__ import annotations

from tf_helpers import write

from iamlint.engine import Options, run

KEY = "AKIAZ7V4QGLKX3WMP2RV"
SECRET = "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"
INSTANCE = '''\
resource "aws_instance" "%s" {
  ami = "ami-1"
  iam_instance_profile = "p"
  metadata_options {
    http_tokens = "required"
  }
  %s
}
'''


def _found(folder, select):
    report = run([str(folder)], Options(cache=False, jobs=1, select=set(select)))
    assert report.errors == []
    return sorted((f.rule, f.path.rsplit("/", 1)[-1], f.line, f.column, f.resource) for f in report.findings)


def test_terraform_heredoc_templatefile_base64_and_local_with_unknown_parts(tmp_path):
    write(tmp_path, {
        "main.tf": 'variable "cluster" {}\n'
        + INSTANCE % ("heredoc", f'''user_data = <<-EOT
    #!/bin/bash
    echo ECS_CLUSTER=${{var.cluster}} >> /etc/ecs/ecs.config
    export AWS_ACCESS_KEY_ID={KEY}
    export AWS_SECRET_ACCESS_KEY={SECRET}
  EOT''')
        + INSTANCE % ("base64", f'''user_data_base64 = base64encode(<<-EOT
    echo ${{var.cluster}}
    export AWS_ACCESS_KEY_ID={KEY}
  EOT
  )''')
        + INSTANCE % ("templated", 'user_data = templatefile("${path.module}/init.sh", { cluster = var.cluster })')
        + INSTANCE % ("through_local", "user_data = base64encode(local.user_data)")
        + f'''locals {{
  user_data = <<-EOT
    echo ${{var.cluster}}
    export AWS_ACCESS_KEY_ID={KEY}
  EOT
}}
'''
        + INSTANCE % ("inline", f'user_data = "echo ${{var.cluster}} && export AWS_ACCESS_KEY_ID={KEY}"'),
        "init.sh": f"#!/bin/bash\necho ECS_CLUSTER=${{cluster}}\nexport AWS_ACCESS_KEY_ID={KEY}\n",
    })
    assert _found(tmp_path, ["SEC001"]) == [
        ("SEC001", "init.sh", 3, 26, "aws_instance.templated"),
        ("SEC001", "main.tf", 11, 30, "aws_instance.heredoc"),
        ("SEC001", "main.tf", 12, 34, "aws_instance.heredoc"),
        ("SEC001", "main.tf", 23, 30, "aws_instance.base64"),
        ("SEC001", "main.tf", 46, 30, "aws_instance.through_local"),
        ("SEC001", "main.tf", 55, 64, "aws_instance.inline"),
    ]


def test_cloudformation_sub_with_a_parameter_and_join_with_a_parameter(tmp_path):
    write(tmp_path, {"t.yaml": f'''\
Parameters:
  Cluster:
    Type: String
Resources:
  Web:
    Type: AWS::EC2::Instance
    Properties:
      ImageId: ami-1
      IamInstanceProfile: p
      MetadataOptions:
        HttpTokens: required
      UserData:
        Fn::Base64: !Sub |
          #!/bin/bash
          echo ECS_CLUSTER=${{Cluster}} >> /etc/ecs/ecs.config
          export AWS_ACCESS_KEY_ID={KEY}
  Listed:
    Type: AWS::EC2::Instance
    Properties:
      ImageId: ami-1
      IamInstanceProfile: p
      MetadataOptions:
        HttpTokens: required
      UserData:
        Fn::Base64:
          Fn::Sub:
            - |
              echo ${{C}}
              export AWS_SECRET_ACCESS_KEY={SECRET}
            - C: !Ref Cluster
  Joined:
    Type: AWS::EC2::Instance
    Properties:
      ImageId: ami-1
      IamInstanceProfile: p
      MetadataOptions:
        HttpTokens: required
      UserData:
        Fn::Base64:
          Fn::Join:
            - ""
            - - "echo "
              - !Ref Cluster
              - "\\nexport AWS_ACCESS_KEY_ID={KEY}\\n"
'''})
    assert _found(tmp_path, ["SEC001"]) == [
        ("SEC001", "t.yaml", 16, 36, "Web"),
        ("SEC001", "t.yaml", 29, 44, "Listed"),
        ("SEC001", "t.yaml", 41, 13, "Joined"),  # a join's text is not written as one: at its list
    ]


def test_unknown_parts_are_never_read_as_a_key(tmp_path):
    """A key split by an interpolation is no key: only the known text is searched."""
    write(tmp_path, {"main.tf": 'variable "middle" {}\n' + INSTANCE % (
        "split", 'user_data = "AKIAZ7V4${var.middle}QGLKX3WMP2RV"')})
    assert _found(tmp_path, ["SEC001"]) == []


TF_CONDITIONAL = '''\
variable "production" {
  type = bool
}
resource "aws_iam_role" "r" {
  name               = "r"
  assume_role_policy = jsonencode({Version = "2012-10-17", Statement = [{Effect = "Allow", Action = "sts:AssumeRole", Principal = {Service = "ec2.amazonaws.com"}}]})
}
resource "aws_iam_instance_profile" "p" {
  role = aws_iam_role.r.name
}
resource "aws_instance" "web" {
  ami                  = "ami-1"
  iam_instance_profile = var.production ? aws_iam_instance_profile.p.name : null
  metadata_options {
    http_tokens = "required"
  }
}
resource "aws_launch_template" "lt" {
  iam_instance_profile {
    name = var.production ? "" : aws_iam_instance_profile.p.name
  }
  metadata_options {
    http_tokens = "required"
  }
}
'''

CFN_CONDITIONAL = '''\
Parameters:
  Production:
    Type: String
Conditions:
  IsProduction: !Equals [!Ref Production, "yes"]
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement:
          - Effect: Allow
            Principal: {Service: ec2.amazonaws.com}
            Action: sts:AssumeRole
  Profile:
    Type: AWS::IAM::InstanceProfile
    Properties:
      Roles: [!Ref Role]
  Web:
    Type: AWS::EC2::Instance
    Properties:
      ImageId: ami-1
      IamInstanceProfile: !If [IsProduction, !Ref Profile, !Ref AWS::NoValue]
      MetadataOptions:
        HttpTokens: required
  Template:
    Type: AWS::EC2::LaunchTemplate
    Properties:
      LaunchTemplateData:
        IamInstanceProfile:
          Fn::If:
            - IsProduction
            - !Ref AWS::NoValue
            - Name: !Ref Profile
        MetadataOptions:
          HttpTokens: required
'''


def test_terraform_and_cloudformation_agree_on_a_conditional_profile(tmp_path):
    write(tmp_path / "tf", {"main.tf": TF_CONDITIONAL})
    write(tmp_path / "cfn", {"t.yaml": CFN_CONDITIONAL})
    report = run([str(tmp_path)], Options(cache=False, jobs=1))
    assert report.errors == []
    found = sorted((f.rule, f.path.rsplit("/", 1)[-1], f.line, f.column, f.message) for f in report.findings)
    assert found == [
        ("EC2001", "main.tf", 13, 77,
         "aws_instance.web has no instance profile (iam_instance_profile is null) (only when var.production is false)"),
        ("EC2001", "main.tf", 20, 29,
         "aws_launch_template.lt has no instance profile (iam_instance_profile is empty) "
         "(only when var.production is true)"),
        ("EC2001", "t.yaml", 23, 60,
         "Web has no instance profile (IamInstanceProfile is AWS::NoValue) (only when condition IsProduction is false)"),
        ("EC2001", "t.yaml", 33, 15,
         "Template has no instance profile (LaunchTemplateData.IamInstanceProfile.Name is AWS::NoValue) "
         "(only when condition IsProduction is true)"),
    ]


def test_the_branch_with_a_profile_is_followed(tmp_path):
    """The other branch's chain is checked as any other: its role is an instance role
    (here a wildcard policy on it is an error, as for an unconditional profile)."""
    write(tmp_path, {"t.yaml": CFN_CONDITIONAL.replace('''      AssumeRolePolicyDocument:''', '''      Policies:
        - PolicyName: all
          PolicyDocument:
            Statement:
              - Effect: Allow
                Action: "*"
                Resource: "*"
      AssumeRolePolicyDocument:''')})
    report = run([str(tmp_path)], Options(cache=False, jobs=1, select={"IAM002", "EC2002"}))
    assert [(f.rule, f.severity.label, f.line) for f in report.findings] == [("IAM002", "error", 15)]


def test_two_different_profiles_in_the_branches_stay_cannot_verify(tmp_path):
    write(tmp_path, {"main.tf": TF_CONDITIONAL.replace('aws_iam_instance_profile.p.name : null', 'aws_iam_instance_profile.p.name : "other"')})
    report = run([str(tmp_path)], Options(cache=False, jobs=1, select={"EC2001", "EC2002"}))
    assert [(f.rule, f.line, f.resource) for f in report.findings] == [
        ("EC2002", 13, "aws_instance.web"), ("EC2001", 20, "aws_launch_template.lt")]


def test_no_profile_brought_by_a_parameter_default_stays_cannot_verify(tmp_path):
    """The watchmaker shape: ``!If [HasRole, !Ref RoleParam, !Ref AWS::NoValue]`` where
    HasRole tests RoleParam != "" and RoleParam defaults to "": the "" branch cannot be
    taken (its condition says RoleParam is set), so no EC2001 for it -- "cannot verify"."""
    write(tmp_path, {"t.yaml": '''\
Parameters:
  InstanceRole:
    Type: String
    Default: ""
Conditions:
  HasRole: !Not [!Equals [!Ref InstanceRole, ""]]
Resources:
  Web:
    Type: AWS::EC2::Instance
    Properties:
      ImageId: ami-1
      IamInstanceProfile: !If [HasRole, !Ref InstanceRole, !Ref AWS::NoValue]
      MetadataOptions:
        HttpTokens: required
'''})
    report = run([str(tmp_path)], Options(cache=False, jobs=1, select={"EC2001", "EC2002"}))
    assert [(f.rule, f.line) for f in report.findings] == [("EC2002", 12)]
