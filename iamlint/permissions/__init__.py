"""Effective permissions: what each principal of the graph can do, in one model.

Layer: after the graph (``iamlint.model``) and the IAM knowledge (``iamlint.knowledge``),
before the rules; it imports nothing else, and rules reach it through ``iamlint.plugin``.

* :mod:`~iamlint.permissions.grants` -- one grant per action pattern of a statement, with
  provenance (the node, the attribute path to the statement, the action's index: the
  locator turns them into file:line:col), resources kept as ARN patterns, condition keys;
* :mod:`~iamlint.permissions.arns` -- whether resource patterns reach every resource an
  action can name (from the catalogue's resource types and ARN formats);
* :mod:`~iamlint.permissions.principal` -- per principal, every policy reaching it,
  explicit Deny subtracting what it fully covers, the permissions boundary intersecting;
* :mod:`~iamlint.permissions.risks` -- the analysis computed once per graph:
  privilege-escalation methods (here), sensitive and unscoped actions
  (:mod:`~iamlint.permissions.exposures`), what a reported wildcard includes
  (:mod:`~iamlint.permissions.includes`), the risk categories
  (:mod:`~iamlint.permissions.categories`);
* :mod:`~iamlint.permissions.reach` -- what the rules' findings share: whom a grant
  reaches (severity), conditions, accepted AWS managed policies, enrichment.

Unknown values stay unknown: an action, effect or resource that cannot be evaluated
never makes a grant reach every resource.
"""

from iamlint.permissions.arns import ALL, NONE, SOME, UNKNOWN
from iamlint.permissions.grants import Grant, Origin, document_grants
from iamlint.permissions.principal import Boundary, PermissionSet, PolicyRef, effective_permissions, principals
from iamlint.permissions.reach import (
    Reach,
    UnscopedVerdict,
    accepted,
    agent_policy,
    enrich,
    grant_label,
    judge_unscoped,
    lowered,
    partial_wildcard,
    policy_includes,
    principal_kind,
    reach,
    statement_includes,
    tags_of,
    unscoped_patterns,
)
from iamlint.permissions.categories import (
    CATEGORIES,
    CREDENTIALS_EXPOSURE,
    DATA_EXFILTRATION,
    INFRASTRUCTURE_MODIFICATION,
    PRIVILEGE_ESCALATION,
    RESOURCE_EXPOSURE,
    SENSITIVE,
    UNSCOPED,
    categories_of,
)
from iamlint.permissions.exposures import Exposure
from iamlint.permissions.includes import Includes, wildcard_includes
from iamlint.permissions.risks import Analysis, Escalation, analyse

__all__ = [
    "ALL",
    "Analysis",
    "Boundary",
    "CATEGORIES",
    "CREDENTIALS_EXPOSURE",
    "DATA_EXFILTRATION",
    "Escalation",
    "Exposure",
    "Grant",
    "INFRASTRUCTURE_MODIFICATION",
    "Includes",
    "NONE",
    "Origin",
    "PRIVILEGE_ESCALATION",
    "PermissionSet",
    "PolicyRef",
    "RESOURCE_EXPOSURE",
    "Reach",
    "SENSITIVE",
    "SOME",
    "UNKNOWN",
    "UNSCOPED",
    "UnscopedVerdict",
    "accepted",
    "agent_policy",
    "analyse",
    "categories_of",
    "document_grants",
    "effective_permissions",
    "enrich",
    "grant_label",
    "judge_unscoped",
    "lowered",
    "partial_wildcard",
    "policy_includes",
    "principal_kind",
    "principals",
    "reach",
    "statement_includes",
    "tags_of",
    "unscoped_patterns",
    "wildcard_includes",
]
