"""The public API for rule authors: everything a rule (built-in or third-party) may use.

A rule module defines one :class:`Rule` and registers it in the ``iamlint.rules``
entry-point group::

    [project.entry-points."iamlint.rules"]
    EC2001 = "iamlint.rules.instance_without_profile:RULE"

Its check receives the :class:`Graph` of one unit (a Terraform module or a template)
and a :class:`Context`, and yields :class:`Finding` records naming a node and an
attribute path. Nothing here knows HCL or YAML.

A rule declared with ``stage="suppressions"`` runs once per run instead, after inline
suppressions were applied: its check receives every :class:`InlineSuppression` (what it
names, whether it is in force, which findings it hid) and yields findings whose node is
the suppression (SUP001-SUP003 are written so).
"""

from iamlint.knowledge import (
    catalogue_date,
    closest_action,
    closest_managed_arn,
    count_actions,
    expand_action,
    service_exists,
    snapshot_date,
)
from iamlint.model.findings import Check, Context, Finding, InlineSuppression, Rule, Severity, SuppressionCheck
from iamlint.model.graph import (
    AwsManagedPolicy,
    Compute,
    Graph,
    InlinePolicy,
    InstanceProfile,
    LaunchingService,
    ManagedPolicy,
    Node,
    PolicyAttachment,
    Resource,
    Role,
    RolePolicy,
)
from iamlint.model.links import (
    AttachedPolicy,
    Resolution,
    instance_roles,
    instance_roles_reached,
    is_instance_role,
    policies_of,
    profile_of,
    profiles_using,
    resolve,
    roles_of,
    written_policies,
)
from iamlint.model.policy import Document, PolicyDocument, Principal, Statement
from iamlint.model.span import Span
from iamlint.model.values import (
    Encoded,
    Known,
    Ref,
    Unknown,
    Value,
    as_list,
    first_unknown,
    is_absent,
    is_known,
    known_str,
)

__all__ = [
    "AttachedPolicy",
    "AwsManagedPolicy",
    "Check",
    "Compute",
    "Context",
    "Document",
    "Encoded",
    "Finding",
    "Graph",
    "InlinePolicy",
    "InlineSuppression",
    "InstanceProfile",
    "Known",
    "LaunchingService",
    "ManagedPolicy",
    "Node",
    "PolicyAttachment",
    "PolicyDocument",
    "Principal",
    "Ref",
    "Resolution",
    "Resource",
    "Role",
    "RolePolicy",
    "Rule",
    "Severity",
    "Span",
    "Statement",
    "SuppressionCheck",
    "Unknown",
    "Value",
    "as_list",
    "catalogue_date",
    "closest_action",
    "closest_managed_arn",
    "count_actions",
    "expand_action",
    "first_unknown",
    "instance_roles",
    "instance_roles_reached",
    "is_absent",
    "is_instance_role",
    "is_known",
    "known_str",
    "policies_of",
    "profile_of",
    "profiles_using",
    "resolve",
    "roles_of",
    "service_exists",
    "snapshot_date",
    "written_policies",
]
