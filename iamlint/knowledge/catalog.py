"""The action catalogue: every IAM action with its access levels and the resource types
it can be scoped to, read per service.

``actions.bin`` is one JSON header line (service -> [offset, length, action count]) and
then one zlib-compressed JSON object per service: ``{"a": {"GetObject":
"R|object,accesspointobject", ...}, "t": {"object": "arn:${Partition}:s3:::${BucketName}/${ObjectName}",
...}}`` (level letters: R Read, L List, W Write, P Permissions management, T Tagging;
after ``|`` the resource types the action supports, ``!`` for a required one; no ``|``:
the action supports no resource type and can only be granted on ``"*"``). Only the
header and the services a run asks about are decompressed.
"""

from __future__ import annotations

import json
import re
import zlib
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable

from iamlint.knowledge.data import DATA_DIR

LOADS: Counter = Counter()
LEVEL_NAMES = {"R": "Read", "L": "List", "W": "Write", "P": "Permissions management", "T": "Tagging"}


@dataclass(frozen=True, slots=True)
class ActionInfo:
    """One action of the catalogue: ``service`` prefix, canonical ``name``, ``levels``
    (letters, see module docs) and ``types``: the resource types it supports, as stored
    (comma-separated, ``!`` marks a required one; empty: none)."""

    service: str
    name: str
    levels: str
    types: str = ""

    @property
    def scopable(self) -> bool:
        """Whether the action can be scoped to a resource type (else only ``"*"`` works)."""
        return bool(self.types)

    @property
    def resource_types(self) -> tuple[tuple[str, bool], ...]:
        """(resource type, required) pairs, in the catalogue's order."""
        return tuple((t.lstrip("!"), t.startswith("!")) for t in self.types.split(",")) if self.types else ()

    @property
    def full_name(self) -> str:
        return f"{self.service}:{self.name}"

    @property
    def is_write(self) -> bool:
        return "W" in self.levels

    @property
    def is_permissions_management(self) -> bool:
        return "P" in self.levels

    @property
    def access_levels(self) -> tuple[str, ...]:
        return tuple(LEVEL_NAMES[letter] for letter in self.levels)


def wildcard_regex(pattern: str) -> re.Pattern[str]:
    """IAM wildcard matching: ``*`` any run, ``?`` one character, case-insensitive."""
    parts = (".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile("".join(parts), re.IGNORECASE | re.DOTALL)


class Catalogue:
    def __init__(self, raw: bytes) -> None:
        head, _, self._body = raw.partition(b"\n")
        self._index: dict[str, list[int]] = json.loads(head)
        self._services: dict[str, dict[str, ActionInfo]] = {}
        self._arns: dict[str, dict[str, str]] = {}
        self._expanded: dict[str, tuple[ActionInfo, ...] | None] = {}
        # (service or "", word) -> the names closest to ``word``: closest() asks twice for
        # one misspelt action (the message, then a fix's clear choice), and a corpus repeats
        # its typos; ~30 ms for a name among ec2's ~700 actions
        self._close: dict[tuple[str, str], list[str]] = {}
        LOADS["index"] += 1

    @property
    def service_names(self) -> list[str]:
        return list(self._index)

    def has_service(self, prefix: str) -> bool:
        return prefix.lower() in self._index

    def actions(self, prefix: str) -> dict[str, ActionInfo] | None:
        """Lower-case action name -> ActionInfo for one service; None if unknown."""
        service = prefix.lower()
        if service not in self._index:
            return None
        if service not in self._services:
            offset, length = self._index[service][:2]
            data = json.loads(zlib.decompress(self._body[offset : offset + length]))
            table = {}
            for name, code in data["a"].items():
                levels, _, types = code.partition("|")
                table[name.lower()] = ActionInfo(service, name, levels, types)
            self._services[service] = table
            self._arns[service] = data["t"]
            LOADS["services"] += 1
        return self._services[service]

    def arn_format(self, prefix: str, resource_type: str) -> str | None:
        """The ARN format of one resource type of a service
        (``arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}``), None if unknown."""
        if self.actions(prefix) is None:
            return None
        return self._arns[prefix.lower()].get(resource_type)

    def lookup(self, action: str) -> ActionInfo | None:
        service, sep, name = action.partition(":")
        table = self.actions(service) if sep else None
        return table.get(name.lower()) if table else None

    def expand(self, pattern: str) -> tuple[ActionInfo, ...] | None:
        # memoised per pattern: rules ask for the same patterns in every module ("*" is
        # every action of every service), and the result is an immutable tuple
        if pattern not in self._expanded:
            self._expanded[pattern] = self._expand(pattern)
        return self._expanded[pattern]

    def _expand(self, pattern: str) -> tuple[ActionInfo, ...] | None:
        service, sep, name = pattern.partition(":")
        if pattern == "*":
            service, name = "*", "*"
        elif not sep or not service or not name:
            return None
        services = self._services_matching(service)
        if not services:
            return None
        regex = wildcard_regex(name)
        found: list[ActionInfo] = []
        for prefix in services:  # known services: actions() is never None for them
            found.extend(info for key, info in (self.actions(prefix) or {}).items() if regex.fullmatch(key))
        return tuple(sorted(found, key=lambda info: info.full_name))

    def count(self, pattern: str) -> int | None:
        service, _, name = pattern.partition(":")
        if pattern == "*" or (name == "*" and service == "*"):
            return sum(entry[2] for entry in self._index.values())
        if name == "*" and service.lower() in self._index:
            return self._index[service.lower()][2]
        found = self.expand(pattern)
        return None if found is None else len(found)

    def _services_matching(self, service: str) -> list[str]:
        if "*" in service or "?" in service:
            regex = wildcard_regex(service)
            return [name for name in self._index if regex.fullmatch(name)]
        return [service.lower()] if service.lower() in self._index else []

    def closest(self, text: str, clear: bool = False) -> str | None:
        """The closest real action (``service:Name``) or, for an unknown service, the
        closest real prefix with the action part kept. With ``clear``, only a name that
        is clearly the closest (no runner-up within 0.1 of its similarity)."""
        service, sep, name = text.partition(":")
        if not self.has_service(service):
            prefixes = self._close_matches("", service.lower(), self._index, 5, 0.4)
            if not prefixes or (clear and not _clearly(service.lower(), prefixes)):
                return None
            if not sep:
                return prefixes[0]
            for prefix in prefixes[:1] if clear else prefixes:  # prefer a service that has this very action
                candidate = f"{prefix}:{name}"
                if "*" in name or "?" in name:
                    if self.expand(candidate):
                        return candidate
                elif (info := self.lookup(candidate)) is not None:
                    return info.full_name
            if clear:
                return None  # the nearest service has no such action: two guesses are no clear fix
            return self.closest(f"{prefixes[0]}:{name}") or f"{prefixes[0]}:{name}"
        table = self.actions(service) or {}
        if "*" in name or "?" in name:
            return self._closest_pattern(service.lower(), name, table)
        match = self._close_matches(service.lower(), name.lower(), table, 2, 0.6)
        if clear and not _clearly(name.lower(), match):
            return None
        return table[match[0]].full_name if match else None

    def _close_matches(self, service: str, word: str, names: Iterable[str], n: int, cutoff: float) -> list[str]:
        """``difflib.get_close_matches`` of ``word`` among ``names`` (the service's actions,
        or the services for ``service`` ""), remembered: the catalogue does not change."""
        key = (service, word)
        found = self._close.get(key)
        if found is None:
            import difflib  # only to suggest a name (start-up time: a plain run never needs it)

            found = self._close[key] = difflib.get_close_matches(word, names, n=n, cutoff=cutoff)
        return list(found)

    def _closest_pattern(self, service: str, name: str, table: dict[str, ActionInfo]) -> str | None:
        """'sqs:Recieve*' -> 'sqs:Receive*': fix the literal head of a wildcard pattern."""
        head = re.split(r"[*?]", name, maxsplit=1)[0]
        if not head:
            return None
        heads = {info.name[: len(head)].lower(): info.name[: len(head)] for info in table.values()}
        import difflib

        swapped = [h for h in heads if sorted(h) == sorted(head.lower())]  # transposed letters
        match = swapped or difflib.get_close_matches(head.lower(), heads, n=1, cutoff=0.8)
        return f"{service}:{heads[match[0]]}{name[len(head):]}" if match else None


def _clearly(word: str, ranked: list[str]) -> bool:
    """Whether the first of ``ranked`` (best first) is clearly closer to ``word`` than the next."""
    if not ranked:
        return False
    if len(ranked) == 1:
        return True
    import difflib

    first, second = (difflib.SequenceMatcher(None, word, other).ratio() for other in ranked[:2])
    return first - second >= 0.1


@lru_cache(maxsize=1)
def catalogue() -> Catalogue:
    return Catalogue((DATA_DIR / "actions.bin").read_bytes())
