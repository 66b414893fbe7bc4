"""The risk catalogue: privilege-escalation methods, data-exfiltration and
credentials-exposure actions, the AWS managed policies documented for workload roles
(instances above all) and the writes they grant on every resource.

Read from ``iamlint/data/risks.json`` on first use (built by ``tools/update_risks.py``
from the cloudsplaining package, which keeps Rhino Security Labs' methods and the
pathfinding.cloud paths).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache

from iamlint.knowledge.data import DATA_DIR


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
    """The privilege-escalation methods and the sensitive actions iamlint knows (data/risks)."""

    methods: tuple[Method, ...]
    data_exfiltration: tuple[str, ...]
    credentials_exposure: tuple[str, ...]
    documented: dict[str, tuple[str, str]]  # managed policy name -> (the roles AWS documents it for, the page)
    documented_writes: dict[str, str]  # action -> a documented policy granting it on "*"
    unscopable: dict[str, str]  # action -> why its catalogued resource type never applies in practice
    meta: dict

    def supersets(self) -> dict[str, tuple[str, ...]]:
        """Method name -> the names of the methods whose actions are a strict subset of its
        own (a method is redundant when one of those is possible too)."""
        return _supersets(self.methods)

    def category_of(self, action: str) -> tuple[str, ...]:
        """The list categories of one action (``data-exfiltration``, ``credentials-exposure``)."""
        lower = action.lower()
        found = []
        if lower in _lowered(self.data_exfiltration):
            found.append("data-exfiltration")
        if lower in _lowered(self.credentials_exposure):
            found.append("credentials-exposure")
        return tuple(found)


@lru_cache(maxsize=2)
def _supersets(methods: tuple[Method, ...]) -> dict[str, tuple[str, ...]]:
    sets = {m.name: {a.lower() for a in m.actions} for m in methods}
    return {name: tuple(other for other, theirs in sets.items() if theirs < mine) for name, mine in sets.items()}


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
        documented={p["name"]: (p["for"], p["url"]) for p in data.get("documented_policies", ())},
        documented_writes=dict(data.get("documented_writes", {})),
        unscopable=dict(data.get("unscopable", {})),
        meta=data.get("meta", {}),
    )
