"""CloudFormation templates -> graph nodes, with intrinsics evaluated three-valued."""

from __future__ import annotations

import pickle

import pytest

from iamlint.model.graph import Compute, Graph, InstanceProfile, ManagedPolicy, Resource, Role, RolePolicy
from iamlint.model.links import instance_roles, policies_of
from iamlint.model.policy import PolicyDocument
from iamlint.model.values import Encoded, Known, Ref, Unknown, to_python
from iamlint.normalize.cloudformation import load_text
from iamlint.model.values import Conditional

HEADER = """\
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Env: {Type: String, Default: prod}
  NoDefault: {Type: String}
  Only: {Type: String, AllowedValues: [fixed]}
  Names: {Type: CommaDelimitedList, Default: "a, b,c"}
  FromSsm: {Type: "AWS::SSM::Parameter::Value<String>", Default: /path/name}
Mappings:
  Regions:
    prod: {Bucket: prod-bucket, Actions: [s3:GetObject]}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  IsChina: !Equals [!Ref "AWS::Partition", aws-cn]
  IsFixed: !Equals [!Ref Only, fixed]
  NotChina: !Not [!Condition IsChina]
  Both: !And [!Condition IsFixed, !Condition NotChina]
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: {Statement: [{Effect: Allow, Principal: {Service: ec2.amazonaws.com}, Action: sts:AssumeRole}]}
  Policy:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      PolicyDocument: {Statement: []}
  Profile:
    Type: AWS::IAM::InstanceProfile
    Properties:
      Roles: [!Ref Role]
"""


def build(body: str, partition: str = "aws") -> Graph:
    text = HEADER + body
    result = load_text(text, "t.yaml", partition)
    assert result is not None and result.errors == []
    return result.graph


def prop(name: str, expression: str, partition: str = "aws"):
    """The evaluated value of one property ``X`` written as ``expression``."""
    graph = build(f"  Thing:\n    Type: AWS::S3::Bucket\n    Properties:\n      X: {expression}\n", partition)
    return graph.by_address("Thing").attributes.get(name)


def plain(value):
    return to_python(value) if isinstance(value, Known) else value


@pytest.mark.parametrize(
    "expression, address, attribute",
    [
        ("!Ref Role", "Role", "name"),
        ("!Ref Profile", "Profile", "name"),
        ("!Ref Policy", "Policy", "arn"),
        ("!GetAtt Role.Arn", "Role", "arn"),
        ("!GetAtt [Profile, Arn]", "Profile", "arn"),
        ("{'Fn::GetAtt': [Role, RoleId]}", "Role", "RoleId"),
        ('!Sub "${Role}"', "Role", "name"),
        ('!Sub "${Role.Arn}"', "Role", "arn"),
    ],
)
def test_references_to_resources_are_refs(expression: str, address: str, attribute: str):
    value = prop("X", expression)
    assert isinstance(value, Ref) and (value.address, value.attribute) == (address, attribute)
    assert value.span.line > HEADER.count("\n")


@pytest.mark.parametrize(
    "expression, expected",
    [
        ("!Ref Env", "prod"),
        ("!Ref Only", "fixed"),
        ("!Ref Names", ["a", "b", "c"]),
        ("!Ref AWS::Partition", "aws"),
        ("!Ref AWS::URLSuffix", "amazonaws.com"),
        ('!Sub "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"', "arn:aws:iam::${AWS::AccountId}:root"),
        ('!Sub "${!Literal}-${Env}"', "${Literal}-prod"),
        ('!Sub ["${A}-${B}", {A: x, B: !Ref Env}]', "x-prod"),
        ('!Join ["-", [a, !Ref Env, 3]]', "a-prod-3"),
        ('!Join [":", [!Ref "AWS::Region", x]]', "${AWS::Region}:x"),
        ('!Sub "secret-${Role}-${Role.Arn}"', "secret-${Role}-${Role.Arn}"),
        ('!Sub "${AWS::Region}-${!Literal}-${Role}"', "${AWS::Region}-${Literal}-${Role}"),
        ('!Join ["/", [a, !GetAtt Role.Arn, !Ref Profile]]', "a/${Role.arn}/${Profile}"),
        ("!Select [1, [a, b, c]]", "b"),
        ('!Select [1, !Split [",", "x,y"]]', "y"),
        ("!FindInMap [Regions, !Ref Env, Bucket]", "prod-bucket"),
        ("!FindInMap [Regions, !Ref Env, Actions]", ["s3:GetObject"]),
        ("!Base64 hello", "hello"),
        ("!If [IsChina, china, global]", "global"),
        ("!If [Both, first, second]", "first"),
        ("!Length [a, b]", 2),
    ],
)
def test_known_intrinsics(expression: str, expected: object):
    assert plain(prop("X", expression)) == expected


def test_partition_decides_pseudo_parameters_and_conditions():
    assert plain(prop("X", "!If [IsChina, !Ref AWS::URLSuffix, other]", partition="aws-cn")) == "amazonaws.com.cn"


@pytest.mark.parametrize(
    "expression, reason",
    [
        ("!Ref NoDefault", "parameter NoDefault has no default value"),
        ("!Ref FromSsm", "SSM Parameter Store"),
        ("!Ref AWS::AccountId", "AWS::AccountId is known only at deploy time"),
        ("!Ref Missing", "'Missing', which the template does not define"),
        ("!ImportValue shared-profile", "another stack"),
        ("!Select [0, !GetAZs '']", "Fn::GetAZs"),
        ('!Sub "x-${NoDefault}"', "NoDefault has no default"),
        ("!FindInMap [Regions, !Ref NoDefault, Bucket]", "Fn::FindInMap"),
        ("!FindInMap [Regions, dev, Bucket]", "Regions/dev/Bucket is not in Mappings"),
        ("!If [IsProd, a, b]", "condition IsProd"),
        ("!GetAtt Nowhere.Arn", "no resource Nowhere"),
        ("{'Fn::Cidr': [10.0.0.0/16, 2, 8]}", "Fn::Cidr"),
    ],
)
def test_unknown_intrinsics_say_why(expression: str, reason: str):
    value = prop("X", expression)
    assert isinstance(value, Unknown) and not isinstance(value, Ref)
    assert reason in value.reason


def test_no_value_removes_the_property_and_list_items():
    graph = build(
        "  Thing:\n    Type: AWS::S3::Bucket\n    Properties:\n"
        "      X: !Ref AWS::NoValue\n      Y: [a, !Ref AWS::NoValue, !If [IsChina, c, !Ref AWS::NoValue]]\n"
    )
    attributes = graph.by_address("Thing").attributes
    assert "X" not in attributes and plain(attributes["Y"]) == ["a"]


def test_undecidable_if_keeps_both_branches_in_lists_and_names_the_condition():
    graph = build(
        "  Thing:\n    Type: AWS::S3::Bucket\n    Properties:\n"
        '      Y: [a, !If [IsProd, "*", !Ref AWS::NoValue], !If [IsProd, b, c]]\n'
        '      Action: !If [IsProd, "*", s3:GetObject]\n'
    )
    attributes = graph.by_address("Thing").attributes
    assert plain(attributes["Y"]) == ["a", "*", "b", "c"]
    conditional = attributes["Y"].value[1]
    assert isinstance(conditional, Conditional) and conditional.condition == "condition IsProd is true"
    assert attributes["Y"].value[3].condition == "condition IsProd is false"
    assert plain(attributes["Action"]) == ["*", "s3:GetObject"]


def test_undecidable_if_over_two_policy_documents_merges_their_statements():
    graph = build(
        "  Managed:\n    Type: AWS::IAM::ManagedPolicy\n    Properties:\n      PolicyDocument: !If\n        - IsProd\n"
        "        - {Statement: [{Effect: Allow, Action: s3:GetObject, Resource: '*'}]}\n"
        "        - {Statement: [{Effect: Allow, Action: '*', Resource: '*'}]}\n"
    )
    document = graph.by_address("Managed").document
    assert isinstance(document, PolicyDocument)
    assert [plain(s.actions[0]) for s in document.statements] == ["s3:GetObject", "*"]


def test_resources_whose_condition_is_false_do_not_exist():
    graph = build("  Gone:\n    Type: AWS::EC2::Instance\n    Condition: IsChina\n    Properties: {ImageId: x}\n")
    assert graph.by_address("Gone") is None


def test_compute_nodes():
    graph = build(
        """\
  Instance:
    Type: AWS::EC2::Instance
    Properties:
      IamInstanceProfile: !Ref Profile
      MetadataOptions: {HttpTokens: required, HttpEndpoint: enabled}
      UserData: !Base64 "#!/bin/sh"
  Template:
    Type: AWS::EC2::LaunchTemplate
    Properties:
      LaunchTemplateData:
        IamInstanceProfile: {Arn: !GetAtt Profile.Arn}
        MetadataOptions: {HttpTokens: optional}
  ByName:
    Type: AWS::EC2::LaunchTemplate
    Properties:
      LaunchTemplateData:
        IamInstanceProfile: {Name: !Ref Profile}
  Config:
    Type: AWS::AutoScaling::LaunchConfiguration
    Properties:
      ImageId: x
  Fleet:
    Type: AWS::EC2::SpotFleet
    Properties:
      SpotFleetRequestConfigData:
        LaunchSpecifications:
          - {ImageId: x, IamInstanceProfile: {Arn: !GetAtt Profile.Arn}}
          - {ImageId: y}
"""
    )
    computes = {(c.address, c.span.line): c for c in graph.of_type(Compute)}
    assert len(computes) == 6
    instance = graph.by_address("Instance")
    assert isinstance(instance, Compute) and instance.profile_attribute == "IamInstanceProfile"
    assert isinstance(instance.profile, Ref) and instance.profile.address == "Profile"
    assert plain(instance.http_tokens) == "required" and plain(instance.http_endpoint) == "enabled"
    assert plain(instance.user_data) == "#!/bin/sh"
    assert instance.span.line == HEADER.count("\n") + 1 and instance.span.column == 3
    assert plain(graph.by_address("Template").http_tokens) == "optional"
    assert graph.by_address("Template").profile.attribute == "arn"
    assert graph.by_address("ByName").profile.attribute == "name"
    assert graph.by_address("Config").profile is None
    fleet = [c for c in graph.of_type(Compute) if c.address == "Fleet"]
    assert [type(c.profile).__name__ for c in fleet] == ["Ref", "NoneType"]
    assert fleet[0].span.line != fleet[1].span.line
    assert [c.address for c in instance_roles(graph)["Role"]] == ["Instance", "Template", "ByName", "Fleet"]


def test_iam_nodes_and_links():
    graph = build(
        """\
  Inline:
    Type: AWS::IAM::Role
    Properties:
      RoleName: inline-role
      AssumeRolePolicyDocument: {Statement: []}
      ManagedPolicyArns:
        - !Ref Policy
        - !Sub "arn:${AWS::Partition}:iam::aws:policy/ReadOnlyAccess"
        - !Sub "arn:${AWS::Partition}:iam::${AWS::AccountId}:policy/shared"
      Policies:
        - PolicyName: one
          PolicyDocument: {Statement: [{Effect: Allow, Action: s3:GetObject, Resource: "*"}]}
  Separate:
    Type: AWS::IAM::Policy
    Properties:
      Roles: [!Ref Inline]
      PolicyDocument: {Statement: [{Effect: Allow, Action: sqs:SendMessage, Resource: "*"}]}
  ByName:
    Type: AWS::IAM::RolePolicy
    Properties:
      RoleName: inline-role
      PolicyDocument: {Statement: []}
  Shared:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      ManagedPolicyName: shared
      Roles: [!Ref Inline]
      PolicyDocument: {Statement: []}
"""
    )
    role = graph.by_address("Inline")
    assert isinstance(role, Role) and plain(role.name) == "inline-role"
    assert isinstance(role.trust_policy, PolicyDocument)
    assert [plain(p.name) for p in role.inline_policies] == ["one"]
    assert plain(role.managed_policy_arns[1]) == "arn:aws:iam::aws:policy/ReadOnlyAccess"
    assert isinstance(graph.by_address("Separate"), RolePolicy)
    assert isinstance(graph.by_address("Shared"), ManagedPolicy) and plain(graph.by_address("Shared").name) == "shared"
    generated = graph.by_address("Role").name
    assert isinstance(generated, Ref) and generated.address == "Role"
    assert isinstance(graph.by_address("Profile"), InstanceProfile)
    sources = [(a.source.address, a.path) for a in policies_of(graph, role)]
    assert ("Inline", ("inline_policies", 0, "document")) in sources
    assert {"Separate", "ByName", "Shared"} <= {address for address, _ in sources}
    resolved = [a for a in policies_of(graph, role) if a.path == ("managed_policy_arns", 0)]
    assert resolved[0].document is graph.by_address("Policy").document
    by_arn = [a for a in policies_of(graph, role) if a.path == ("managed_policy_arns", 2)]
    assert by_arn[0].document is graph.by_address("Shared").document  # the account id does not matter


def test_policy_text_in_a_literal_block_is_located_line_by_line():
    graph = build(
        "  Managed:\n    Type: AWS::IAM::ManagedPolicy\n    Properties:\n      PolicyDocument: |\n"
        '        {"Statement": [\n          {"Effect": "Allow", "Action": "*", "Resource": "*"}\n        ]}\n'
    )
    action = graph.by_address("Managed").document.statements[0].actions[0]
    first = HEADER.count("\n") + 5
    assert (action.span.line, action.span.column) == (first + 1, 41)


def test_policy_text_in_a_json_string_is_located_at_the_string():
    text = (
        '{"Resources": {\n "M": {"Type": "AWS::IAM::ManagedPolicy", "Properties": {\n'
        '  "PolicyDocument": "{\\n \\"Statement\\": [{\\"Effect\\": \\"Allow\\", \\"Action\\": \\"*\\"}]}"}}}}\n'
    )
    result = load_text(text, "t.json")
    action = result.graph.by_address("M").document.statements[0].actions[0]
    assert plain(action) == "*" and action.span.line == 3


def test_to_json_string_keeps_the_structure():
    value = prop("X", "{'Fn::ToJsonString': {a: [1, 2]}}")
    assert isinstance(value.value, Encoded) and plain(value.value.data) == {"a": [1, 2]}


def test_sam_and_foreach_templates_give_plain_resources_and_the_generated_role():
    text = (
        "Transform: [AWS::LanguageExtensions, AWS::Serverless-2016-10-31]\nResources:\n"
        "  Fn::ForEach::Loop:\n    - N\n    - [a, b]\n    - Q${N}: {Type: AWS::SQS::Queue}\n"
        "  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      Handler: app.h\n"
        "      Policies: [AdministratorAccess]\n"
    )
    result = load_text(text, "sam.yaml")
    assert result is not None and result.errors == []
    # the SAM transform's role of the function is a node too (tests/test_sam.py)
    assert [(type(n).__name__, n.address) for n in result.graph.nodes] == [("Resource", "Fn"), ("Role", "FnRole")]
    assert plain(result.graph.nodes[0].attributes["Handler"]) == "app.h"


def test_every_node_keeps_its_evaluated_properties():
    graph = build("")
    assert isinstance(graph.by_address("Profile").attributes["Roles"].value[0], Ref)
    assert all(isinstance(n, (Role, ManagedPolicy, InstanceProfile, Resource)) for n in graph.nodes)


def test_graphs_pickle_for_the_cache():
    graph = build('  Thing:\n    Type: AWS::S3::Bucket\n    Properties:\n      X: [!If [IsProd, a, b], !Ref AWS::AccountId]\n')
    copy = pickle.loads(pickle.dumps(graph))
    assert [n.address for n in copy.nodes] == [n.address for n in graph.nodes]
    assert copy.by_address("Thing").attributes == graph.by_address("Thing").attributes


def test_instances_take_the_profile_of_their_launch_template():
    graph = build(
        """\
  Template:
    Type: AWS::EC2::LaunchTemplate
    Properties:
      LaunchTemplateData: {IamInstanceProfile: {Name: !Ref Profile}}
  Bare:
    Type: AWS::EC2::LaunchTemplate
    Properties:
      LaunchTemplateData: {ImageId: x}
  FromTemplate:
    Type: AWS::EC2::Instance
    Properties:
      LaunchTemplate: {LaunchTemplateId: !Ref Template, Version: !GetAtt Template.LatestVersionNumber}
  FromBare:
    Type: AWS::EC2::Instance
    Properties:
      LaunchTemplate: {LaunchTemplateId: !Ref Bare, Version: "1"}
  FromElsewhere:
    Type: AWS::EC2::Instance
    Properties:
      LaunchTemplate: {LaunchTemplateName: shared-template, Version: "1"}
"""
    )
    assert graph.by_address("FromTemplate").profile.address == "Profile"
    assert graph.by_address("FromBare").profile is None
    assert "launch template" in graph.by_address("FromElsewhere").profile.reason


def test_policy_text_in_a_folded_quoted_scalar_is_located_line_by_line():
    graph = build(
        "  Managed:\n    Type: AWS::IAM::ManagedPolicy\n    Properties:\n      PolicyDocument: '{\n"
        '        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]\n      }\'\n'
    )
    action = graph.by_address("Managed").document.statements[0].actions[0]
    assert (plain(action), action.span.line, action.span.column) == ("*", HEADER.count("\n") + 5, 53)


def test_policy_text_in_a_folded_quoted_sub_is_located_line_by_line():
    graph = build(
        "  Managed:\n    Type: AWS::IAM::ManagedPolicy\n    Properties:\n      PolicyDocument: !Sub '{\n"
        '        "Statement": [{"Effect": "Allow",\n          "Action": ["s3:GetObject", "kms:*"],\n'
        '          "Resource": "arn:${AWS::Partition}:s3:::${Env}/*"}]\n      }\'\n'
    )
    statement = graph.by_address("Managed").document.statements[0]
    line = HEADER.count("\n") + 6
    assert [(plain(a), a.span.line, a.span.column) for a in statement.actions] == [
        ("s3:GetObject", line, 22),
        ("kms:*", line, 38),
    ]
    assert plain(statement.resources[0]) == "arn:aws:s3:::prod/*"


def test_user_data_in_a_sub_block_keeps_its_lines():
    graph = build(
        "  Web:\n    Type: AWS::EC2::Instance\n    Properties:\n      UserData: !Base64\n"
        "        Fn::Sub: |\n          #!/bin/sh\n          echo ${AWS::Region} ${Env}\n"
    )
    data = graph.by_address("Web").user_data
    assert plain(data) == "#!/bin/sh\necho ${AWS::Region} prod\n"
    assert (data.line, data.column, data.indent) == (HEADER.count("\n") + 6, 11, 10)
