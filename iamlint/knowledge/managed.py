"""The AWS managed policy snapshot: name -> default version document (read on first use)."""

from __future__ import annotations

import json
import zlib
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from iamlint.knowledge.data import DATA_DIR
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


class Snapshot:
    """The index (every name, a few kB) is read at once; a policy's chunk on first use."""

    def __init__(self, raw: bytes) -> None:
        head, _, self._body = raw.partition(b"\n")
        header = json.loads(head)
        self.meta: dict = header["meta"]
        self._index: dict[str, int] = header["index"]
        self._chunks: list[list[int]] = header["chunks"]
        self._loaded: dict[int, dict[str, dict]] = {}
        LOADS["snapshot"] += 1

    @property
    def names(self) -> list[str]:
        return list(self._index)

    def get(self, name: str) -> dict | None:
        number = self._index.get(name)
        if number is None:
            return None
        if number not in self._loaded:
            offset, length = self._chunks[number]
            self._loaded[number] = json.loads(zlib.decompress(self._body[offset : offset + length]))
            LOADS["snapshot chunks"] += 1
        return self._loaded[number][name]


@lru_cache(maxsize=1)
def snapshot() -> Snapshot:
    return Snapshot((DATA_DIR / "managed_policies.bin").read_bytes())


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
    by_lower = {known.lower(): known for known in policies.names}
    match = by_lower.get(name.lower())
    if match is None:
        import difflib  # start-up: only to suggest the ARN a misspelt one meant

        near = difflib.get_close_matches(name.lower(), by_lower, n=1, cutoff=0.8)
        match = by_lower[near[0]] if near else None
    if match is None:
        return None
    prefix = arn[: len(arn) - len(key)]
    return f"{prefix}{policies.get(match)['path']}{match}"  # type: ignore[index]
