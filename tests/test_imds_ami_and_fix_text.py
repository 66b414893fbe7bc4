"""Issue 12 item 14 (e, f): an AMI declared as requiring IMDSv2 (``aws_ami`` with
``imds_support = "v2.0"``, a ``data "aws_ami"`` filtered on ``imds-support = v2.0``)
makes the instances that do not set http_tokens safe (no EC2003); the EC2003 fix names
the property that exists in each format."""

from __future__ import annotations

from tf_helpers import write

from iamlint.engine import Options, run

AMIS = '''\
resource "aws_ami" "hardened" {
  name         = "hardened"
  imds_support = "v2.0"
}
resource "aws_ami" "plain" {
  name = "plain"
}
data "aws_ami" "filtered" {
  owners = ["self"]
  filter {
    name   = "imds-support"
    values = ["v2.0"]
  }
}
data "aws_ami" "mixed" {
  owners = ["self"]
  filter {
    name   = "imds-support"
    values = ["v2.0", "v1.0"]
  }
}
'''


def _ec2003(folder):
    report = run([str(folder)], Options(cache=False, jobs=1, select={"EC2003"}))
    assert report.errors == []
    return sorted((f.path.rsplit("/", 1)[-1], f.line, f.column, f.resource, f.message) for f in report.findings)


def _instance(name: str, ami: str, tokens: str = "") -> str:
    options = f'\n  metadata_options {{\n    http_tokens = "{tokens}"\n  }}' if tokens else ""
    return f'resource "aws_instance" "{name}" {{\n  ami = {ami}\n  iam_instance_profile = "p"{options}\n}}\n'


def test_an_ami_that_requires_imdsv2_sets_the_default(tmp_path):
    write(tmp_path, {"main.tf": AMIS
                     + _instance("from_resource", "aws_ami.hardened.id")
                     + _instance("from_data", "data.aws_ami.filtered.id")
                     + 'resource "aws_launch_template" "from_data" {\n  image_id = data.aws_ami.filtered.id\n}\n'
                     + _instance("from_plain", "aws_ami.plain.id")
                     + _instance("from_mixed", "data.aws_ami.mixed.id")
                     + _instance("optional_anyway", "aws_ami.hardened.id", "optional")})
    found = [(line, column, resource) for _, line, column, resource, _ in _ec2003(tmp_path)]
    assert found == [
        (33, 1, "aws_instance.from_plain"),  # the AMI says nothing: AWS defaults to optional
        (37, 1, "aws_instance.from_mixed"),  # the filter also admits AMIs without the requirement
        (45, 19, "aws_instance.optional_anyway"),  # set on the instance: the AMI's default does not apply
    ]


def test_fix_text_names_the_property_of_each_format(tmp_path):
    write(tmp_path, {
        "main.tf": _instance("web", '"ami-1"') + 'resource "aws_launch_template" "lt" {\n  image_id = "ami-1"\n}\n',
        "t.yaml": '''\
Resources:
  Web:
    Type: AWS::EC2::Instance
    Properties:
      ImageId: ami-1
      IamInstanceProfile: p
  Template:
    Type: AWS::EC2::LaunchTemplate
    Properties:
      LaunchTemplateData:
        IamInstanceProfile: {Name: p}
        MetadataOptions:
          HttpTokens: optional
  Config:
    Type: AWS::AutoScaling::LaunchConfiguration
    Properties:
      ImageId: ami-1
      IamInstanceProfile: p
''',
    })
    messages = {resource: message for _, _, _, resource, message in _ec2003(tmp_path)}
    assert messages["aws_instance.web"].startswith("aws_instance.web does not set metadata_options.http_tokens, so")
    assert messages["aws_instance.web"].endswith('Set metadata_options { http_tokens = "required" } (IMDSv2)')
    assert messages["aws_launch_template.lt"].endswith('Set metadata_options { http_tokens = "required" } (IMDSv2)')
    assert messages["Web"].startswith("Web does not set MetadataOptions.HttpTokens, so IMDSv1 stays allowed")
    assert messages["Web"].endswith("Set MetadataOptions HttpTokens: required (IMDSv2)")
    assert messages["Template"].startswith("Template sets LaunchTemplateData.MetadataOptions.HttpTokens to 'optional'")
    assert messages["Template"].endswith("Set LaunchTemplateData.MetadataOptions HttpTokens: required (IMDSv2)")
    assert messages["Config"].endswith("Set MetadataOptions HttpTokens: required (IMDSv2)")
