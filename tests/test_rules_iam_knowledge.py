"""IAM003, IAM004, IAM005, EC2003 and SEC001 on graphs built directly from model objects."""

from __future__ import annotations

import base64

import pytest

from iamlint.knowledge import enrich_graph, snapshot_date
from iamlint.model.values import SourceText, from_python
from iamlint.plugin import (
    Compute,
    Context,
    Graph,
    InlinePolicy,
    InstanceProfile,
    Known,
    ManagedPolicy,
    PolicyAttachment,
    PolicyDocument,
    Ref,
    Resource,
    Role,
    RolePolicy,
    Severity,
    Span,
    Unknown,
)
from iamlint.rules import (
    admin_policy_attached,
    broad_wildcard_action,
    hardcoded_aws_credentials,
    imdsv1_allowed,
    unknown_action,
    unscoped_write,
)

S = Span("unit.tf", 1, 1, 1, 2)
EC2_TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
EC2_FULL = "arn:aws:iam::aws:policy/AmazonEC2FullAccess"
S3_READ = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"


def k(data: object) -> Known:
    return from_python(data, S)


def doc(data: object) -> PolicyDocument:
    built = PolicyDocument.from_value(k(data))
    assert isinstance(built, PolicyDocument)
    return built


def allow(*actions: str, effect: str = "Allow", resource: str = "*") -> PolicyDocument:
    return doc({"Version": "2012-10-17", "Statement": [{"Effect": effect, "Action": list(actions), "Resource": resource}]})


SCOPED = "arn:aws:s3:::app-bucket/*"  # no write below is on every resource: IAM004's own verdict


def ref(address: str) -> Ref:
    return Ref(f"{address}.name is known only after apply", S, address, "name")


def role(**fields: object) -> Role:
    return Role("aws_iam_role.r", "aws_iam_role", S, name=k("r"), trust_policy=doc(EC2_TRUST), **fields)


def instance_chain(*extra: object, with_instance: bool = True, **role_fields: object) -> Graph:
    nodes = [
        InstanceProfile("aws_iam_instance_profile.p", "aws_iam_instance_profile", S, name=k("p"), roles=(ref("aws_iam_role.r"),)),
        role(**role_fields),
        *extra,
    ]
    if with_instance:
        nodes.insert(0, Compute("aws_instance.web", "aws_instance", S, profile=ref("aws_iam_instance_profile.p")))
    graph = Graph(nodes)
    enrich_graph(graph)
    return graph


def run(module, graph: Graph) -> list:
    return list(module.RULE.check(graph, Context()))


def found(module, graph: Graph) -> list[tuple[tuple, Severity]]:
    return [(f.path, f.severity) for f in run(module, graph)]


# IAM003 -----------------------------------------------------------------------------------


def test_done_when_admin_ec2full_s3readonly_on_an_instance_role():
    arns = tuple(k(a) for a in (ADMIN, EC2_FULL, S3_READ))
    graph = instance_chain(managed_policy_arns=arns)
    findings = run(admin_policy_attached, graph)
    assert [(f.path, f.severity) for f in findings] == [
        (("managed_policy_arns", 0), Severity.ERROR),
        (("managed_policy_arns", 1), Severity.ERROR),
    ]
    assert "AdministratorAccess" in findings[0].message and '"*"' not in findings[0].message
    assert "allows *" in findings[0].message and "aws_instance.web" in findings[0].message
    assert "ec2:*" in findings[1].message and "elasticloadbalancing:*" in findings[1].message
    notes = found(broad_wildcard_action, graph)
    assert notes == [(("managed_policy_arns", 2), Severity.NOTE)]


def test_admin_policy_through_an_attachment_resource_is_located_on_its_arn():
    attachment = PolicyAttachment("att", "aws_iam_role_policy_attachment", S, policy_arns=(k(ADMIN),), roles=(ref("aws_iam_role.r"),))
    graph = instance_chain(attachment)
    findings = run(admin_policy_attached, graph)
    assert [(f.node.address, f.path, f.severity) for f in findings] == [("att", ("policy_arns", 0), Severity.ERROR)]


def test_admin_policy_on_a_role_no_instance_uses_is_a_warning():
    graph = Graph([role(managed_policy_arns=(k("arn:aws-us-gov:iam::aws:policy/PowerUserAccess"),))])
    enrich_graph(graph)
    findings = run(admin_policy_attached, graph)
    assert [(f.path, f.severity) for f in findings] == [(("managed_policy_arns", 0), Severity.WARNING)]
    assert "NotAction" in findings[0].message


def test_profile_without_instance_still_makes_an_instance_role():
    graph = instance_chain(with_instance=False, managed_policy_arns=(k(ADMIN),))
    assert found(admin_policy_attached, graph) == [(("managed_policy_arns", 0), Severity.ERROR)]


def test_arn_missing_from_the_snapshot_is_a_note_never_silence():
    graph = instance_chain(managed_policy_arns=(k("arn:aws:iam::aws:policy/AmazonEC2RoleforSSM"),))
    (finding,) = run(admin_policy_attached, graph)
    assert finding.severity is Severity.NOTE
    assert snapshot_date() in finding.message
    assert "arn:aws:iam::aws:policy/service-role/AmazonEC2RoleforSSM" in finding.message


def test_unknown_partition_and_customer_arns_are_left_alone():
    values = (
        Unknown("data.aws_partition.current.partition is known only after apply", S),
        k("arn:aws:iam::123456789012:policy/AdministratorAccess"),
    )
    graph = instance_chain(managed_policy_arns=values)
    assert run(admin_policy_attached, graph) == []


def test_narrow_managed_policy_is_not_admin():
    graph = instance_chain(managed_policy_arns=(k("arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"),))
    assert run(admin_policy_attached, graph) == []


# IAM004 -----------------------------------------------------------------------------------


def inline(document: PolicyDocument) -> dict:
    return {"inline_policies": (InlinePolicy(k("p"), document, S),)}


ACTION0 = ("inline_policies", 0, "document", "statements", 0, "actions", 0)


@pytest.mark.parametrize(
    "pattern, severity",
    [
        ("s3:Get*", Severity.NOTE),
        ("ec2:Describe*", Severity.NOTE),
        ("s3:Put*", Severity.WARNING),
        ("S3:PUT*", Severity.WARNING),
        ("ec2:*Instance?", Severity.WARNING),
        ("iam:*Policy*", Severity.ERROR),
        ("sts:*", None),
        ("*", None),
        ("s3:GetObject", None),
        ("s4:Get*", None),
    ],
)
def test_partial_wildcards_on_an_instance_role(pattern: str, severity: Severity | None):
    graph = instance_chain(**inline(allow(pattern, resource=SCOPED)))
    expected = [] if severity is None else [(ACTION0, severity)]
    assert found(broad_wildcard_action, graph) == expected


@pytest.mark.parametrize("on_instance, severity", [(True, Severity.ERROR), (False, Severity.WARNING)])
def test_a_partial_wildcard_on_every_resource_is_one_finding(on_instance: bool, severity: Severity):
    """s3:Put* on "*": IAM004 reports the pattern, names the writes it allows on every
    resource and takes IAM007's severity; IAM007 leaves them to it (one root cause)."""
    document = allow("s3:Put*")
    if on_instance:
        graph = instance_chain(**inline(document))
    else:
        graph = Graph([RolePolicy("aws_iam_role_policy.p", "aws_iam_role_policy", S, document=document, roles=(k("other"),))])
    (finding,) = run(broad_wildcard_action, graph)
    assert finding.severity is severity
    assert "of them on every resource although they can be scoped (s3:Put" in finding.message
    assert "infrastructure-modification" in finding.tags and "resource-exposure" in finding.tags
    assert run(unscoped_write, graph) == []
    # a statement with a full action besides: IAM007 still reports that one
    mixed = allow("s3:Put*", "sqs:DeleteQueue")
    graph = Graph([RolePolicy("aws_iam_role_policy.p", "aws_iam_role_policy", S, document=mixed, roles=(k("other"),))])
    (unscoped,) = run(unscoped_write, graph)
    assert "sqs:DeleteQueue" in unscoped.message and "s3:Put" not in unscoped.message


def test_permissions_management_off_instance_is_a_warning():
    policy = RolePolicy("aws_iam_role_policy.p", "aws_iam_role_policy", S, document=allow("iam:*Policy*"), roles=(k("other"),))
    graph = Graph([policy])
    (finding,) = run(broad_wildcard_action, graph)
    assert finding.severity is Severity.WARNING and finding.path == ("document", "statements", 0, "actions", 0)
    assert "Permissions management" in finding.message and "iam:PutRolePolicy" in finding.message


@pytest.mark.parametrize(
    "pattern, severity",
    [
        ("kms:GenerateDataKey*", Severity.NOTE),
        ("sqs:SendMessage*", Severity.NOTE),
        ("s3:Abort*", Severity.NOTE),
        ("s3:PutObject*", Severity.WARNING),
        ("kms:ReEncrypt*", Severity.WARNING),
    ],
)
def test_variants_of_one_action_are_notes_unless_permissions_management(pattern: str, severity: Severity):
    policy = RolePolicy("aws_iam_role_policy.p", "aws_iam_role_policy", S, document=allow(pattern, resource=SCOPED),
                        roles=(k("other"),))
    assert [f.severity for f in run(broad_wildcard_action, Graph([policy]))] == [severity]


def test_patterns_from_one_expression_that_match_nothing_are_one_note():
    actions = [f"{service}:View*" for service in ("s3", "ec2", "sqs")] + ["s3:GetObject"]
    graph = instance_chain(**inline(allow(*actions)))
    (finding,) = run(unknown_action, graph)
    assert finding.severity is Severity.NOTE and "'s3:View*', 'ec2:View*', 'sqs:View*' match no action" in finding.message


def test_deny_statements_are_not_broad_grants():
    graph = instance_chain(**inline(allow("iam:*Policy*", effect="Deny")))
    assert run(broad_wildcard_action, graph) == []


def test_read_only_note_says_what_it_matches():
    graph = instance_chain(**inline(allow("s3:List*")))
    (finding,) = run(broad_wildcard_action, graph)
    assert "all Read or List" in finding.message and "s3:ListAccessPoints" in finding.message


# IAM005 -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "action, hint, severity",
    [
        ("s3:GetObjcet", "s3:GetObject", None),
        ("ec2:DescribeInstance", "ec2:DescribeInstances", None),
        ("s4:GetObject", "s3:GetObject", None),
        ("s3:Gte*", "s3:Get*", Severity.NOTE),
        ("GetObject", None, None),
    ],
)
def test_unknown_actions_are_warned_with_a_suggestion(action: str, hint: str | None, severity: Severity | None):
    graph = instance_chain(**inline(allow(action)))
    (finding,) = run(unknown_action, graph)
    assert finding.path == ACTION0 and finding.severity is severity
    if hint:
        assert f"did you mean {hint!r}" in finding.message


@pytest.mark.parametrize("action", ["s3:getobject", "S3:GetObject", "*", "s3:*", "ec2:Describe*", "*:Get*"])
def test_real_actions_any_case_are_fine(action: str):
    assert run(unknown_action, instance_chain(**inline(allow(action)))) == []


def test_typo_in_trust_policy_and_not_action():
    trust = doc({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRoles"}]})
    deny = doc({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "NotAction": ["iam:PassRol"], "Resource": "*"}]})
    graph = Graph([Role("r", "aws_iam_role", S, trust_policy=trust, inline_policies=(InlinePolicy(None, deny, S),))])
    assert [f.path for f in run(unknown_action, graph)] == [
        ("trust_policy", "statements", 0, "actions", 0),
        ("inline_policies", 0, "document", "statements", 0, "not_actions", 0),
    ]


def test_unknown_values_and_aws_managed_documents_are_not_judged():
    unknown = PolicyDocument(S, (), None)
    graph = instance_chain(managed_policy_arns=(k(ADMIN),), **inline(allow("s3:GetObject")))
    graph.add(ManagedPolicy("m", "aws_iam_policy", S, document=unknown))
    statement_doc = doc({"Statement": [{"Effect": "Allow", "Action": [], "Resource": "*"}]})
    graph.add(RolePolicy("rp", "aws_iam_role_policy", S, document=statement_doc))
    assert run(unknown_action, graph) == []


# EC2003 -----------------------------------------------------------------------------------


def compute(kind: str = "aws_instance", **fields: object) -> Compute:
    return Compute(f"{kind}.web", kind, S, **fields)


@pytest.mark.parametrize(
    "fields, expected",
    [
        ({}, [()]),
        ({"http_tokens": k("optional")}, [("http_tokens",)]),
        ({"http_tokens": k(None)}, [("http_tokens",)]),
        ({"http_tokens": k("required")}, []),
        ({"http_tokens": k("Required")}, []),
        ({"http_endpoint": k("disabled")}, []),
        ({"http_tokens": k("optional"), "http_endpoint": k("disabled")}, []),
        ({"http_tokens": Unknown("var.tokens has no value", S)}, []),
        ({"http_endpoint": Unknown("var.endpoint has no value", S)}, []),
    ],
)
def test_imdsv1(fields: dict, expected: list):
    assert [f.path for f in run(imdsv1_allowed, Graph([compute(**fields)]))] == expected


@pytest.mark.parametrize(
    "kind",
    ["aws_launch_template", "aws_spot_instance_request", "aws_launch_configuration", "AWS::EC2::Instance", "AWS::EC2::LaunchTemplate"],
)
def test_imdsv1_applies_to_every_kind_of_launch(kind: str):
    assert len(run(imdsv1_allowed, Graph([compute(kind)]))) == 1


def test_account_default_required_covers_unset_tokens():
    defaults = Resource("aws_ec2_instance_metadata_defaults.this", "aws_ec2_instance_metadata_defaults", S, attributes={"http_tokens": k("required")})
    graph = Graph([compute(), compute("aws_launch_template", http_tokens=k("optional")), defaults])
    assert [f.node.type for f in run(imdsv1_allowed, graph)] == ["aws_launch_template"]


# SEC001 -----------------------------------------------------------------------------------

KEY_ID = "AKIAZ7V4QGLKX3WMP2RT"
SECRET = "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"


def provider(**attributes: object) -> Resource:
    return Resource("provider.aws", "provider.aws", S, attributes={key: k(value) for key, value in attributes.items()})


def messages(graph: Graph) -> list[tuple[tuple, Severity | None, str]]:
    return [(f.path, f.severity, f.message) for f in run(hardcoded_aws_credentials, graph)]


def test_provider_keys_are_errors_and_masked():
    found_ = messages(Graph([provider(region="eu-west-1", access_key=KEY_ID, secret_key=SECRET)]))
    assert [(p, s) for p, s, _ in found_] == [
        (("attributes", "access_key"), Severity.ERROR),
        (("attributes", "secret_key"), Severity.ERROR),
    ]
    text = " ".join(m for _, _, m in found_)
    assert KEY_ID not in text and SECRET not in text and SECRET[-10:] not in text
    assert "AKIA************P2RT" in text


def test_documented_example_keys_are_notes():
    graph = Graph([provider(access_key="AKIAIOSFODNN7EXAMPLE", secret_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")])
    assert [s for _, s, _ in messages(graph)] == [Severity.NOTE, Severity.NOTE]


def test_user_data_lines_are_exact_for_verbatim_text():
    script = f"#!/bin/bash\nexport AWS_ACCESS_KEY_ID={KEY_ID}\nexport AWS_SECRET_ACCESS_KEY='{SECRET}'\n"
    value = SourceText(script, Span("main.tf", 10, 5, 14, 3), line=11, column=1, indent=4)
    graph = Graph([Compute("aws_instance.web", "aws_instance", S, user_data=value, attributes={"user_data": value})])
    findings = run(hardcoded_aws_credentials, graph)
    assert [(f.span.line, f.span.column, f.span.end_column) for f in findings] == [(12, 30, 50), (13, 35, 75)]


def test_base64_user_data_is_decoded():
    encoded = base64.b64encode(f"#!/bin/sh\naws configure set aws_access_key_id {KEY_ID}\n".encode()).decode()
    graph = Graph([Compute("aws_launch_template.t", "aws_launch_template", S, user_data=k(encoded))])
    (finding,) = run(hardcoded_aws_credentials, graph)
    assert finding.path == ("user_data",) and finding.span == S and KEY_ID not in finding.message


def test_environment_name_value_pairs_and_nested_properties():
    env = [{"Name": "AWS_SECRET_ACCESS_KEY", "Value": SECRET}, {"Name": "OTHER", "Value": SECRET}]
    task = Resource("Task", "AWS::ECS::TaskDefinition", S, attributes={"ContainerDefinitions": k([{"Environment": env}])})
    assert [p for p, _, _ in messages(Graph([task]))] == [("attributes", "ContainerDefinitions", 0, "Environment", 0, "Value")]


def test_forty_character_strings_without_a_secret_name_are_not_secrets():
    sha = "0123456789abcdef0123456789abcdef01234567"
    graph = Graph([provider(checksum=SECRET, token_hash=sha, secret_key="${var.secret}", note="AKIAshort")])
    assert messages(graph) == []
