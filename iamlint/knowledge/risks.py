"""The risk catalogue: privilege-escalation methods, data-exfiltration and
credentials-exposure actions, and the AWS managed policies documented for instances.

Read from ``iamlint/data/risks.json`` on first use (built by ``tools/update_risks.py``
from the cloudsplaining package, which keeps Rhino Security Labs' methods and the
pathfinding.cloud paths).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache

from iamlint.knowledge import DATA_DIR


@dataclass(frozen=True, slots=True)
class Method:
    """A privilege-escalation method: every action of ``actions`` together allows it.
    ``id`` is its reference (a pathfinding.cloud path id such as ``iam-009``, else the
    method's name) and ``url`` its write-up."""

    name: str
    id: str
    url: str
    actions: tuple[str, ...]

    @property
    def short(self) -> str:
        """The actions without their service, joined: ``PassRole+RunInstances``."""
        return "+".join(action.partition(":")[2] for action in self.actions)


@dataclass(frozen=True, slots=True)
class RiskCatalogue:
    methods: tuple[Method, ...]
    data_exfiltration: tuple[str, ...]
    credentials_exposure: tuple[str, ...]
    instance_policies: dict[str, str]  # managed policy name -> the AWS page documenting it
    unscopable: dict[str, str]  # action -> why its catalogued resource type never applies in practice
    meta: dict

    def category_of(self, action: str) -> tuple[str, ...]:
        """The list categories of one action (``data-exfiltration``, ``credentials-exposure``)."""
        lower = action.lower()
        found = []
        if lower in _lowered(self.data_exfiltration):
            found.append("data-exfiltration")
        if lower in _lowered(self.credentials_exposure):
            found.append("credentials-exposure")
        return tuple(found)


@lru_cache(maxsize=8)
def _lowered(actions: tuple[str, ...]) -> frozenset[str]:
    return frozenset(action.lower() for action in actions)


@lru_cache(maxsize=1)
def risk_catalogue() -> RiskCatalogue:
    try:
        data = json.loads((DATA_DIR / "risks.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        data = {}
    return RiskCatalogue(
        methods=tuple(
            Method(m["name"], m["id"], m["url"], tuple(m["actions"])) for m in data.get("privilege_escalation", ())
        ),
        data_exfiltration=tuple(data.get("data_exfiltration", ())),
        credentials_exposure=tuple(data.get("credentials_exposure", ())),
        instance_policies={p["name"]: p["url"] for p in data.get("instance_policies", ())},
        unscopable=dict(data.get("unscopable", {})),
        meta=data.get("meta", {}),
    )
