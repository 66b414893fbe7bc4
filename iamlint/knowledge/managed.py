"""The AWS managed policy snapshot: name -> default version document (read on first use)."""

from __future__ import annotations

import difflib
import gzip
import json
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from iamlint.knowledge import DATA_DIR
from iamlint.model.graph import AwsManagedPolicy

LOADS: Counter = Counter()


@dataclass(frozen=True, slots=True)
class ManagedEntry:
    """One AWS managed policy as of the snapshot: ``path`` is its ARN path
    (``/service-role/``), ``version`` its default version id, ``updated`` the date
    AWS last changed it, ``document`` its IAM JSON (plain Python data)."""

    name: str
    path: str
    version: str
    updated: str
    document: dict

    @property
    def key(self) -> str:
        return f"{self.path}{self.name}"


@lru_cache(maxsize=1)
def snapshot() -> dict[str, dict]:
    LOADS["snapshot"] += 1
    data = json.loads(gzip.decompress((DATA_DIR / "managed_policies.json.gz").read_bytes()))
    return data["policies"]


def lookup(arn: str) -> ManagedEntry | None:
    """The entry for an AWS managed policy ARN (path and name must match exactly)."""
    key = AwsManagedPolicy.key_of(arn)
    if key is None:
        return None
    path, _, name = key.rpartition("/")
    entry = snapshot().get(name)
    if entry is None or entry["path"] != path + "/":
        return None
    return ManagedEntry(name, entry["path"], entry["version"], entry["updated"], entry["document"])


def closest(arn: str) -> str | None:
    """The ARN (same partition) of the snapshot policy closest to an unknown one:
    the same name under its real path, a different letter case, or a near spelling."""
    key = AwsManagedPolicy.key_of(arn)
    if key is None:
        return None
    name = key.rpartition("/")[2]
    policies = snapshot()
    by_lower = {known.lower(): known for known in policies}
    match = by_lower.get(name.lower())
    if match is None:
        near = difflib.get_close_matches(name.lower(), by_lower, n=1, cutoff=0.8)
        match = by_lower[near[0]] if near else None
    if match is None:
        return None
    prefix = arn[: len(arn) - len(key)]
    return f"{prefix}{policies[match]['path']}{match}"
