"""The four foundation rules on graphs built directly from model objects (no parser)."""

from __future__ import annotations

import pytest

from iamlint.model.values import from_python
from iamlint.plugin import (
    AwsManagedPolicy,
    Compute,
    Context,
    Graph,
    InlinePolicy,
    InstanceProfile,
    LaunchingService,
    Known,
    ManagedPolicy,
    PolicyAttachment,
    PolicyDocument,
    Principal,
    Ref,
    Resource,
    Role,
    RolePolicy,
    Severity,
    Span,
    Statement,
    Unknown,
)
from iamlint.rules import instance_without_profile, profile_unresolved, trust_not_ec2_only, wildcard_action

S = Span("unit.tf", 1, 1, 1, 2)
EC2_TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}


def k(data: object) -> Known:
    return from_python(data, S)


def doc(data: object) -> PolicyDocument:
    built = PolicyDocument.from_value(k(data))
    assert isinstance(built, PolicyDocument)
    return built


def ref(address: str, attribute: str = "name") -> Ref:
    return Ref(f"{address}.{attribute} is known only after apply", S, address, attribute)


def statement(**body: object) -> dict:
    return {"Version": "2012-10-17", "Statement": [dict(body)]}


def role(name: str = "r", trust: object = EC2_TRUST, **fields: object) -> Role:
    trust_policy = doc(trust) if isinstance(trust, dict) else trust
    return Role(f"aws_iam_role.{name}", "aws_iam_role", S, name=k(name), trust_policy=trust_policy, **fields)


def profile(name: str = "p", role_value: object = None) -> InstanceProfile:
    roles = (role_value if role_value is not None else ref("aws_iam_role.r"),)
    return InstanceProfile(f"aws_iam_instance_profile.{name}", "aws_iam_instance_profile", S, name=k(name), roles=roles)


def instance(name: str = "web", profile_value: object = "ref") -> Compute:
    value = ref("aws_iam_instance_profile.p") if profile_value == "ref" else profile_value
    return Compute(f"aws_instance.{name}", "aws_instance", S, profile=value)


def chain(*extra: object, **role_fields: object) -> Graph:
    """instance aws_instance.web -> profile aws_iam_instance_profile.p -> role aws_iam_role.r."""
    return Graph([instance(), profile(), role(**role_fields), *extra])


def run(module, graph: Graph, partition: str = "aws") -> list:
    return list(module.RULE.check(graph, Context(partition=partition)))


def paths(findings: list) -> list[tuple[str, tuple]]:
    return [(f.node.address, f.path) for f in findings]


# EC2001 -----------------------------------------------------------------------------


def test_ec2001_reports_instance_without_profile_at_the_resource():
    found = run(instance_without_profile, Graph([instance(profile_value=None)]))
    assert paths(found) == [("aws_instance.web", ())]
    assert "no instance profile" in found[0].message


@pytest.mark.parametrize("empty", [None, ""])
def test_ec2001_reports_empty_or_null_profile_at_the_attribute(empty):
    found = run(instance_without_profile, Graph([instance(profile_value=k(empty))]))
    assert paths(found) == [("aws_instance.web", ("profile",))]


@pytest.mark.parametrize(
    "value",
    [ref("aws_iam_instance_profile.p"), k("defined-elsewhere"), Unknown("var.profile has no value", S)],
)
def test_ec2001_is_silent_when_a_profile_is_named(value):
    graph = chain()
    graph.add(instance("other", value))
    assert run(instance_without_profile, graph) == []


def test_ec2001_skips_launch_template_given_a_role_by_an_eks_node_group():
    template = Compute("aws_launch_template.nodes", "aws_launch_template", S, template=True)
    group = LaunchingService("aws_eks_node_group.this", "aws_eks_node_group", S,
                             launch_templates=(ref("aws_launch_template.nodes", "id"),))
    lonely = Compute("aws_launch_template.lonely", "aws_launch_template", S, template=True)
    found = run(instance_without_profile, Graph([template, group, lonely]))
    assert paths(found) == [("aws_launch_template.lonely", ())]


# EC2002 -----------------------------------------------------------------------------


def test_ec2002_notes_a_profile_name_not_defined_here():
    found = run(profile_unresolved, Graph([instance(profile_value=k("made-by-hand"))]))
    assert paths(found) == [("aws_instance.web", ("profile",))]
    assert found[0].message.startswith("cannot verify")
    assert "'made-by-hand' is not defined in the scanned code" in found[0].message
    assert found[0].severity is None and profile_unresolved.RULE.severity is Severity.NOTE


def test_ec2002_carries_the_reason_of_an_unknown_profile():
    value = Unknown("variable var.profile has no default and no value", S)
    found = run(profile_unresolved, Graph([instance(profile_value=value)]))
    assert "variable var.profile has no default" in found[0].message


def test_ec2002_notes_a_role_of_the_profile_that_cannot_be_followed():
    graph = Graph([instance(), profile(role_value=k("legacy-role"))])
    assert paths(run(profile_unresolved, graph)) == [("aws_iam_instance_profile.p", ("roles", 0))]


def test_ec2002_notes_an_unknown_trust_policy_and_iam001_stays_silent():
    graph = chain(trust=Unknown("data.aws_iam_policy_document.remote is not in the scanned code", S))
    found = run(profile_unresolved, graph)
    assert paths(found) == [("aws_iam_role.r", ("trust_policy",))]
    assert "data.aws_iam_policy_document.remote" in found[0].message
    assert run(trust_not_ec2_only, graph) == []


def test_ec2002_notes_unknown_principal_and_action_in_a_trust_policy():
    trust = Statement(
        span=S,
        effect=k("Allow"),
        principals=(Principal("Service", Unknown("var.service has no value", S)),),
        actions=(Unknown("var.action has no value", S),),
        has_principal=True,
    )
    graph = chain(trust=PolicyDocument(S, (trust,)))
    found = run(profile_unresolved, graph)
    assert paths(found) == [
        ("aws_iam_role.r", ("trust_policy", "statements", 0, "principals", 0, "value")),
        ("aws_iam_role.r", ("trust_policy", "statements", 0, "actions", 0)),
    ]
    assert "var.service has no value" in found[0].message
    assert run(trust_not_ec2_only, graph) == []


def test_ec2002_ignores_trust_policies_of_roles_without_profile():
    graph = Graph([role(trust=Unknown("unknown", S))])
    assert run(profile_unresolved, graph) == []


def test_ec2002_notes_unknown_action_only_in_policies_reaching_instance_roles():
    unknown_action = Statement(span=S, effect=k("Allow"), actions=(Unknown("var.actions has no value", S),))
    unknown_doc = PolicyDocument(S, (unknown_action,))
    on_instance = RolePolicy("aws_iam_role_policy.a", "aws_iam_role_policy", S, document=unknown_doc, roles=(ref("aws_iam_role.r"),))
    elsewhere = RolePolicy("aws_iam_role_policy.b", "aws_iam_role_policy", S, document=unknown_doc, roles=(ref("aws_iam_role.other"),))
    graph = chain(on_instance, elsewhere, role("other"))
    assert paths(run(profile_unresolved, graph)) == [("aws_iam_role_policy.a", ("document", "statements", 0, "actions", 0))]


def test_ec2002_notes_customer_policy_arns_not_defined_here_but_not_aws_managed_ones():
    arns = (k("arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"), k("arn:aws:iam::123456789012:policy/app"))
    graph = chain(managed_policy_arns=arns)
    found = run(profile_unresolved, graph)
    assert paths(found) == [("aws_iam_role.r", ("managed_policy_arns", 1))]
    assert "arn:aws:iam::123456789012:policy/app" in found[0].message


def test_ec2002_notes_an_unknown_policy_document_reaching_an_instance_role():
    policy = RolePolicy(
        "aws_iam_role_policy.x", "aws_iam_role_policy", S,
        document=Unknown("file() of a file outside the module", S), roles=(ref("aws_iam_role.r"),),
    )
    found = run(profile_unresolved, chain(policy))
    assert paths(found) == [("aws_iam_role_policy.x", ("document",))]
    assert "file() of a file outside the module" in found[0].message


def test_ec2002_is_silent_on_a_fully_resolved_chain():
    assert run(profile_unresolved, chain()) == []


# IAM001 -----------------------------------------------------------------------------

BAD_TRUSTS = [
    (statement(Effect="Allow", Principal="*", Action="sts:AssumeRole"), ("principals", 0, "value"), "anyone"),
    (statement(Effect="Allow", Principal={"AWS": "*"}, Action="sts:AssumeRole"), ("principals", 0, "value"), '{"AWS": "*"}'),
    (
        statement(Effect="Allow", Principal={"AWS": "arn:aws:iam::123456789012:root"}, Action="sts:AssumeRole"),
        ("principals", 0, "value"),
        "account 123456789012",
    ),
    (statement(Effect="Allow", Principal={"AWS": "123456789012"}, Action="sts:AssumeRole"), ("principals", 0, "value"), "account"),
    (
        statement(Effect="Allow", Principal={"AWS": "arn:aws:iam::123456789012:role/ci"}, Action="sts:AssumeRole"),
        ("principals", 0, "value"),
        "the role",
    ),
    (
        statement(Effect="Allow", Principal={"Service": ["ec2.amazonaws.com", "lambda.amazonaws.com"]}, Action="sts:AssumeRole"),
        ("principals", 1, "value"),
        "lambda.amazonaws.com",
    ),
    (
        statement(Effect="Allow", Principal={"Federated": "arn:aws:iam::123456789012:oidc-provider/x"}, Action="sts:AssumeRoleWithWebIdentity"),
        ("principals", 0, "value"),
        "federated",
    ),
    (
        statement(Effect="Allow", NotPrincipal={"AWS": "arn:aws:iam::123456789012:root"}, Action="sts:AssumeRole"),
        ("not_principals", 0, "value"),
        "NotPrincipal",
    ),
    (
        statement(Effect="Allow", Principal={"Service": "ec2.amazonaws.com"}, NotAction="sts:GetCallerIdentity"),
        ("not_actions", 0),
        "NotAction",
    ),
    (statement(Effect="Allow", Principal={"Service": "ec2.amazonaws.com"}, Action="sts:*"), ("actions", 0), "'sts:*'"),
    (statement(Effect="Allow", Principal={"Service": "ec2.amazonaws.com"}, Action=["sts:AssumeRole", "*"]), ("actions", 1), "'*'"),
    (
        statement(Effect="Allow", Principal={"Service": "ec2.amazonaws.com"}, Action="sts:AssumeRoleWithSAML"),
        ("actions", 0),
        "AssumeRoleWithSAML",
    ),
    (statement(Effect="Allow", Principal={"Service": "ec2.amazonaws.com.cn"}, Action="sts:AssumeRole"), ("principals", 0, "value"), "service"),
]


@pytest.mark.parametrize("trust, where, reason", BAD_TRUSTS)
def test_iam001_reports_each_offending_item(trust, where, reason):
    found = run(trust_not_ec2_only, chain(trust=trust))
    offending = [f for f in found if f.path == ("trust_policy", "statements", 0) + where]
    assert offending, paths(found)
    assert reason.lower() in offending[0].message.lower()
    assert all(f.node.address == "aws_iam_role.r" for f in found)


def test_iam001_federated_statement_reports_principal_and_action():
    trust = statement(Effect="Allow", Principal={"Federated": "cognito-identity.amazonaws.com"}, Action="sts:AssumeRoleWithWebIdentity")
    found = run(trust_not_ec2_only, chain(trust=trust))
    assert sorted(f.path[3:] for f in found) == [("actions", 0), ("principals", 0, "value")]


def test_iam001_condition_is_mentioned_but_does_not_excuse():
    trust = statement(
        Effect="Allow", Principal={"AWS": "*"}, Action="sts:AssumeRole",
        Condition={"StringEquals": {"aws:PrincipalOrgID": "o-123"}},
    )
    found = run(trust_not_ec2_only, chain(trust=trust))
    assert len(found) == 1 and "Condition narrows" in found[0].message


@pytest.mark.parametrize(
    "trust, partition",
    [
        (EC2_TRUST, "aws"),
        (statement(Effect="Allow", Principal={"Service": "EC2.amazonaws.com"}, Action=["STS:AssumeRole", "sts:tagsession"]), "aws"),
        (statement(Effect="Allow", Principal={"Service": ["ec2.amazonaws.com.cn"]}, Action="sts:AssumeRole"), "aws-cn"),
        (
            {"Statement": [EC2_TRUST["Statement"][0], {"Effect": "Deny", "Principal": "*", "Action": "*"}]},
            "aws",
        ),
    ],
)
def test_iam001_accepts_ec2_only_trust(trust, partition):
    assert run(trust_not_ec2_only, chain(trust=trust), partition) == []


def test_iam001_checks_only_roles_behind_an_instance_profile():
    lambda_trust = statement(Effect="Allow", Principal={"Service": "lambda.amazonaws.com"}, Action="sts:AssumeRole")
    assert run(trust_not_ec2_only, Graph([role(trust=lambda_trust)])) == []
    # a profile without any instance still makes the role an instance role
    graph = Graph([profile(), role(trust=lambda_trust)])
    assert paths(run(trust_not_ec2_only, graph)) == [("aws_iam_role.r", ("trust_policy", "statements", 0, "principals", 0, "value"))]


# IAM002 -----------------------------------------------------------------------------

ADMIN = statement(Effect="Allow", Action="*", Resource="*")


def test_iam002_inline_wildcard_on_instance_role_is_an_error_naming_the_instance():
    inline = InlinePolicy(k("admin"), doc(ADMIN), S)
    found = run(wildcard_action, chain(inline_policies=(inline,)))
    assert paths(found) == [("aws_iam_role.r", ("inline_policies", 0, "document", "statements", 0, "actions", 0))]
    assert found[0].severity is Severity.ERROR
    assert "aws_instance.web" in found[0].message


@pytest.mark.parametrize(
    "body, where",
    [
        (statement(Effect="Allow", Action=["s3:GetObject", "S3:*"], Resource="*"), [("actions", 1)]),
        (statement(Effect="Allow", Action=["iam:*", "ec2:*"], Resource="*"), [("actions", 0), ("actions", 1)]),
        (statement(Effect="Allow", NotAction=["iam:*", "s3:GetObject"], Resource="*"), [("not_actions", 0)]),
        (statement(Action="*", Effect="Allow", Resource="*"), [("actions", 0)]),
    ],
)
def test_iam002_reports_each_offending_action_as_warning_off_ec2(body, where):
    policy = RolePolicy("aws_iam_role_policy.x", "aws_iam_role_policy", S, document=doc(body), roles=(ref("aws_iam_role.lambda"),))
    found = run(wildcard_action, Graph([role("lambda"), policy]))
    assert paths(found) == [("aws_iam_role_policy.x", ("document", "statements", 0) + w) for w in where]
    assert {f.severity for f in found} == {Severity.WARNING}


@pytest.mark.parametrize(
    "body",
    [
        statement(Effect="Allow", Action=["s3:Get*", "ec2:Describe*"], Resource="*"),
        statement(Effect="Deny", Action="*", Resource="*"),
        statement(Effect="Allow", Action="s3:GetObject", Resource="*"),
    ],
)
def test_iam002_ignores_partial_wildcards_and_deny(body):
    policy = ManagedPolicy("aws_iam_policy.x", "aws_iam_policy", S, name=k("x"), document=doc(body))
    assert run(wildcard_action, Graph([policy])) == []


def test_iam002_unknown_action_is_never_a_violation():
    body = PolicyDocument(S, (Statement(span=S, effect=k("Allow"), actions=(Unknown("var.a", S),)),))
    policy = RolePolicy("aws_iam_role_policy.x", "aws_iam_role_policy", S, document=body, roles=(ref("aws_iam_role.r"),))
    assert run(wildcard_action, chain(policy)) == []


def test_iam002_managed_policy_on_two_roles_is_reported_once_as_error():
    policy = ManagedPolicy("aws_iam_policy.admin", "aws_iam_policy", S, name=k("admin"), document=doc(ADMIN))
    attach = PolicyAttachment(
        "aws_iam_policy_attachment.both", "aws_iam_policy_attachment", S,
        policy_arns=(ref("aws_iam_policy.admin", "arn"),),
        roles=(ref("aws_iam_role.r"), ref("aws_iam_role.lambda")),
    )
    found = run(wildcard_action, chain(policy, attach, role("lambda")))
    assert paths(found) == [("aws_iam_policy.admin", ("document", "statements", 0, "actions", 0))]
    assert found[0].severity is Severity.ERROR
    assert "aws_iam_role.r" in found[0].message and "aws_iam_role.lambda" not in found[0].message


def test_iam002_managed_policy_by_arn_on_a_role_reaches_its_instance():
    policy = ManagedPolicy("aws_iam_policy.admin", "aws_iam_policy", S, name=k("admin"), document=doc(ADMIN))
    found = run(wildcard_action, chain(policy, managed_policy_arns=(k("arn:aws:iam::123456789012:policy/admin"),)))
    assert [f.severity for f in found] == [Severity.ERROR]


def test_iam002_unattached_policy_is_a_warning():
    policy = ManagedPolicy("aws_iam_policy.admin", "aws_iam_policy", S, name=k("admin"), document=doc(ADMIN))
    found = run(wildcard_action, Graph([policy]))
    assert [f.severity for f in found] == [Severity.WARNING]
    assert "reaches no EC2 instance role" in found[0].message


def test_iam002_role_behind_a_profile_without_instance_is_an_error_naming_the_profile():
    inline = InlinePolicy(k("admin"), doc(ADMIN), S)
    found = run(wildcard_action, Graph([profile(), role(inline_policies=(inline,))]))
    assert [f.severity for f in found] == [Severity.ERROR]
    assert "instance profile aws_iam_instance_profile.p" in found[0].message


def test_iam002_ignores_trust_policies():
    trust = statement(Effect="Allow", Principal={"Service": "ec2.amazonaws.com"}, Action="*")
    assert run(wildcard_action, chain(trust=trust)) == []


def test_iam002_leaves_aws_managed_policies_to_iam003():
    admin = AwsManagedPolicy(
        "aws-managed-policy/AdministratorAccess", "aws_managed_policy", S,
        name=k("AdministratorAccess"), document=doc(ADMIN), arn="arn:aws:iam::aws:policy/AdministratorAccess",
    )
    graph = chain(admin, managed_policy_arns=(k("arn:aws:iam::aws:policy/AdministratorAccess"),))
    assert run(wildcard_action, graph) == []
    assert run(profile_unresolved, graph) == []


def test_ec2002_skips_partition_aware_aws_managed_arns():
    graph = chain(managed_policy_arns=(k("arn:aws-us-gov:iam::aws:policy/service-role/AmazonEC2RoleforSSM"),))
    assert run(profile_unresolved, graph) == []


def test_ec2001_unfollowable_node_group_reference_spares_unreferenced_templates_only():
    opaque = Unknown("function try() is not evaluated", S)
    group = LaunchingService("aws_eks_node_group.this", "aws_eks_node_group", S, launch_templates=(opaque,))
    nodes_template = Compute("aws_launch_template.this[0]", "aws_launch_template", S, template=True)
    asg_template = Compute("aws_launch_template.asg", "aws_launch_template", S, template=True)
    asg_block = Known([Known({"id": ref("aws_launch_template.asg", "id")}, S)], S)
    asg = Resource("aws_autoscaling_group.asg", "aws_autoscaling_group", S, attributes={"launch_template": asg_block})
    found = run(instance_without_profile, Graph([group, nodes_template, asg_template, asg]))
    assert paths(found) == [("aws_launch_template.asg", ())]


def test_ec2001_batch_compute_environment_supplies_the_role():
    batch = LaunchingService("aws_batch_compute_environment.this", "aws_batch_compute_environment", S,
                             launch_templates=(ref("aws_launch_template.batch", "id"),))
    template = Compute("aws_launch_template.batch", "aws_launch_template", S, template=True)
    assert run(instance_without_profile, Graph([batch, template])) == []


def _null_not_fields(trust: bool) -> Statement:
    """A statement as a dynamic block with optional attributes left null produces."""
    principals = (Principal("Service", k("ec2.amazonaws.com")),) if trust else ()
    return Statement(
        span=S, effect=k("Allow"), actions=(k("sts:AssumeRole" if trust else "s3:GetObject"),),
        principals=principals, has_principal=trust, has_not_action=True, has_not_principal=True,
    )


def test_null_not_action_and_not_principal_are_not_set():
    policy = RolePolicy("aws_iam_role_policy.x", "aws_iam_role_policy", S,
                        document=PolicyDocument(S, (_null_not_fields(False),)), roles=(ref("aws_iam_role.r"),))
    graph = chain(policy, trust=PolicyDocument(S, (_null_not_fields(True),)))
    assert run(trust_not_ec2_only, graph) == []
    assert run(wildcard_action, graph) == []
    assert run(profile_unresolved, graph) == []


def test_unknown_not_action_and_not_principal_are_notes_not_violations():
    unknown = Unknown("no attribute or key 'not_actions'", S)
    identity = Statement(span=S, effect=k("Allow"), not_actions=(unknown,), has_not_action=True)
    trust = Statement(
        span=S, effect=k("Allow"), actions=(k("sts:AssumeRole"),),
        principals=(Principal("Service", k("ec2.amazonaws.com")),), has_principal=True,
        not_principals=(Principal("?", unknown),), has_not_principal=True,
    )
    policy = RolePolicy("aws_iam_role_policy.x", "aws_iam_role_policy", S,
                        document=PolicyDocument(S, (identity,)), roles=(ref("aws_iam_role.r"),))
    graph = chain(policy, trust=PolicyDocument(S, (trust,)))
    assert run(trust_not_ec2_only, graph) == []
    assert run(wildcard_action, graph) == []
    assert paths(run(profile_unresolved, graph)) == [
        ("aws_iam_role.r", ("trust_policy", "statements", 0, "not_principals", 0, "value")),
        ("aws_iam_role_policy.x", ("document", "statements", 0, "not_actions", 0)),
    ]


def test_ec2001_opaque_node_group_reference_is_scoped_to_its_module():
    opaque = Unknown("function try() is not evaluated", S)
    prefix = 'module.eks.module.node_group["a"].'
    group = LaunchingService(prefix + "aws_eks_node_group.this[0]", "aws_eks_node_group", S, launch_templates=(opaque,))
    same_module = Compute(prefix + "aws_launch_template.this", "aws_launch_template", S, template=True)
    other_module = Compute('module.asg["b"].aws_launch_template.this', "aws_launch_template", S, template=True)
    found = run(instance_without_profile, Graph([group, same_module, other_module]))
    assert paths(found) == [('module.asg["b"].aws_launch_template.this', ())]
