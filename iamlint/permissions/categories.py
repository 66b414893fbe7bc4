"""The risk categories of actions, shared by the least-privilege analysis: which
categories an action falls in (IAM007 by access level, IAM008 by the risk catalogue's
lists), whether it can be scoped to named resources, the actions a pattern names, and a
grant's identity."""

from __future__ import annotations

from typing import TYPE_CHECKING

from iamlint.knowledge import expand_action
from iamlint.knowledge.risks import risk_catalogue  # reads no data on import (memoised loader)
from iamlint.permissions.arns import action_info
from iamlint.permissions.grants import Grant

if TYPE_CHECKING:  # the catalogue module is read when a rule first needs it, not at import
    from iamlint.knowledge.catalog import ActionInfo

PRIVILEGE_ESCALATION = "privilege-escalation"
DATA_EXFILTRATION = "data-exfiltration"
CREDENTIALS_EXPOSURE = "credentials-exposure"
RESOURCE_EXPOSURE = "resource-exposure"
INFRASTRUCTURE_MODIFICATION = "infrastructure-modification"
CATEGORIES = (PRIVILEGE_ESCALATION, DATA_EXFILTRATION, CREDENTIALS_EXPOSURE, RESOURCE_EXPOSURE, INFRASTRUCTURE_MODIFICATION)
WORDS = {category: category.replace("-", " ") for category in CATEGORIES}
SENSITIVE = "sensitive-access"
UNSCOPED = "unscoped-write"


def grant_key(grant: Grant) -> tuple:
    """A grant's identity whichever principal it was computed for."""
    return (grant.origin.key, grant.action_index)


def categories_of(info: ActionInfo, kind: str = "unscoped-write") -> tuple[str, ...]:
    """The categories of an action as IAM007 (``UNSCOPED``: by access level) or IAM008
    (``SENSITIVE``: by the catalogue's lists) sees it."""
    if kind == SENSITIVE:
        return risk_catalogue().category_of(info.full_name)
    found = []
    if "P" in info.levels:
        found.append(RESOURCE_EXPOSURE)
    if "W" in info.levels or "T" in info.levels:
        found.append(INFRASTRUCTURE_MODIFICATION)
    return tuple(found)


def scopable(info: ActionInfo) -> bool:
    """Whether the action can be granted on named resources: the catalogue lists a resource
    type for it, and the risk catalogue does not say that type never applies in practice."""
    return info.scopable and info.full_name not in risk_catalogue().unscopable


def actions_of(pattern: str) -> tuple[ActionInfo, ...]:
    if "*" in pattern or "?" in pattern:
        return expand_action(pattern) or ()
    info = action_info(pattern)
    return (info,) if info is not None else ()
