"""Resource patterns: does a ``Resource`` of a statement reach every resource an action can
name (``"*"``, ``arn:aws:iam::*:role/*``), only some (``${bucket_arn}/*``,
``log-group:name:*``), or cannot that be known (an Unknown value)?

An action's resource types and their ARN formats come from the action catalogue
(``arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}``). A pattern *covers* a
format when it matches every ARN the format can produce: the pattern's partition, region
and account fields are not looked at (they name the principal's own account far more
often than they narrow anything), its service must match, and its resource part must
match the format's resource part with every ``${...}`` variable replaced by text no
literal can match. Everything here is memoised on plain strings.
"""

from __future__ import annotations

import re
from functools import lru_cache

from iamlint.knowledge import action_info as _lookup, arn_format

# what a ${Variable} of an ARN format stands for: no literal of a pattern can match it
SENTINEL = "\x00\x01"
_VARIABLE = re.compile(r"\$\{[^}]*\}")

ALL, SOME, UNKNOWN, NONE = "all", "some", "unknown", "none"


@lru_cache(maxsize=65536)
def action_info(action: str):  # -> ActionInfo | None
    """The catalogue entry of an action, memoised on the text as written."""
    return _lookup(action)


@lru_cache(maxsize=8192)
def wildcard(pattern: str, fold: bool = False) -> re.Pattern[str]:
    """IAM wildcard matching (``*`` any run, ``?`` one character); ``fold``: ignore case."""
    parts = (".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile("".join(parts), (re.IGNORECASE if fold else 0) | re.DOTALL)


@lru_cache(maxsize=16384)
def matcher(pattern: str, fold: bool = False):  # -> Callable[[str], bool]
    """``wildcard(pattern, fold).fullmatch`` as a predicate, without compiling a regular
    expression for the common shapes (no wildcard, one final ``*``): each module brings
    its own resource patterns, and compiling one costs ~0.5 ms."""
    if "?" not in pattern and "*" not in pattern[:-1]:
        text = pattern.lower() if fold else pattern
        if not pattern.endswith("*"):
            return (lambda sample: sample.lower() == text) if fold else (lambda sample: sample == text)
        prefix = text[:-1]
        return (lambda sample: sample.lower().startswith(prefix)) if fold else (lambda sample: sample.startswith(prefix))
    regex = wildcard(pattern, fold)
    return lambda sample: regex.fullmatch(sample) is not None


def _fields(arn: str) -> list[str] | None:
    parts = arn.split(":", 5)
    return parts if len(parts) == 6 and parts[0] == "arn" else None


@lru_cache(maxsize=16384)
def covers_format(pattern: str, fmt: str) -> bool:
    """Whether ``pattern`` matches every ARN of the format ``fmt``."""
    if pattern == "*":
        return True
    sample = _VARIABLE.sub(SENTINEL, fmt)
    theirs, ours = _fields(fmt), _fields(pattern)
    if theirs is None or ours is None:
        return matcher(pattern)(sample)
    if not matcher(ours[2], fold=True)(theirs[2]):
        return False
    return matcher(ours[5])(_VARIABLE.sub(SENTINEL, theirs[5]))


@lru_cache(maxsize=16384)
def covers_pattern(outer: str, inner: str) -> bool:
    """Whether every resource ``inner`` names is also named by ``outer`` (for a Deny
    covering an Allow): ``"*"`` covers everything; otherwise ``outer`` must match
    ``inner`` with its wildcards taken as text no literal matches."""
    if outer == "*":
        return True
    if inner == "*":
        return False
    sample = inner.replace("*", SENTINEL).replace("?", SENTINEL)
    return matcher(outer)(sample)


@lru_cache(maxsize=65536)
def scope(resources: tuple[str, ...], unknown: bool, not_resource: bool, service: str, types: str) -> str:
    """How much of an action's resources a statement reaches: ALL, SOME, UNKNOWN or NONE.

    ``resources`` are the known texts of ``Resource``, ``unknown`` whether some entry
    could not be evaluated, ``not_resource`` whether the statement uses ``NotResource``
    (everything except a list: ALL); ``service`` and ``types`` describe the action (its
    prefix and the catalogue's resource types, ``!`` marking required ones). For an action
    with required types each must be covered; otherwise any of its types."""
    if not_resource or "*" in resources:
        return ALL
    if resources and types:
        kinds = [(t.lstrip("!"), t.startswith("!")) for t in types.split(",")]
        required = [name for name, needed in kinds if needed]
        names = required or [name for name, _ in kinds]
        covered = [_type_covered(resources, service, name) for name in names]
        if all(covered) if required else any(covered):
            return ALL
    if unknown:
        return UNKNOWN
    return SOME if resources else NONE


def _type_covered(resources: tuple[str, ...], service: str, kind: str) -> bool:
    fmt = arn_format(service, kind)
    return fmt is not None and any(covers_format(text, fmt) for text in resources)
