"""count / for_each: the instances of a resource, data source or module call, and the
one way a reference selects among them.

A block without either meta-argument has one instance (suffix ""). ``count = N`` gives
``[0]``..``[N-1]`` with ``count.index`` in scope; ``for_each`` gives one instance per key
(``["web"]``) with ``each.key`` / ``each.value``. When the keys cannot be evaluated, one
stand-in instance (``count.index`` / ``each.*`` Unknown) stands for every instance.

At most ``cap`` instances are expanded one by one (``--max-instances``, default
:data:`DEFAULT_CAP`): the instances beyond it are judged together as one more stand-in,
``[*]``, whose ``count.index`` / ``each.*`` are a :class:`Beyond` Unknown. A finding on
it holds for every instance it stands for (an Unknown is never a violation), and the
engine says how many that is (:attr:`iamlint.model.graph.Graph.stand_ins`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Callable

from iamlint.model.span import Span
from iamlint.model.values import Known, Unknown, Value
from iamlint.options import MAX_INSTANCES
from iamlint.parsers.terraform import syntax as s

MAX_ITEMS = 100_000
DEFAULT_CAP = MAX_INSTANCES
STAND_IN = "[*]"  # the address suffix of the instances beyond the cap


class _Rest:
    """The key of the ``[*]`` stand-in (no for_each key or index can equal it)."""

    def __repr__(self) -> str:
        return "<beyond the cap>"


REST = _Rest()


@dataclass(frozen=True, slots=True)
class Beyond(Unknown):
    """``count.index`` / ``each.key`` / ``each.value`` of the stand-in for the instances
    beyond the cap; ``keys`` are their keys (a range of indexes, or a frozenset of keys).
    It lives in the stand-in's scope only: evaluating it gives a plain Unknown (and it is
    pickled as one), so only :func:`beyond_key` sees the keys."""

    keys: Any = None

    def __reduce__(self) -> tuple:
        return (Unknown, (self.reason, self.span))


@dataclass(frozen=True, slots=True)
class Instance:
    """One instance of a block (a count index or for_each key) and what it binds."""

    suffix: str  # '[0]', '["web"]'; '' for an uncounted block and for the stand-in
    key: Any  # the count index or for_each key; None for an uncounted block and for the stand-in
    env: dict  # count / each in scope


@dataclass(frozen=True, slots=True)
class Expansion:
    """The instances of one block. ``meta`` is "count", "for_each" or "" (neither);
    ``unknown`` says why the keys cannot be evaluated (``items`` then holds the stand-in)."""

    items: tuple[Instance, ...]
    meta: str = ""
    unknown: Unknown | None = None
    beyond: Beyond | None = None  # set when the last item stands for the instances beyond the cap
    # (is the key a string, key) -> instance: one lookup per reference, not a scan of
    # every instance (a for_each over n keys referencing another over n keys was n^2)
    _index: dict = field(default_factory=dict, init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        for item in self.items[:-1] if self.beyond is not None else self.items:
            self._index.setdefault((isinstance(item.key, str), item.key), item)

    @property
    def counted(self) -> bool:
        return bool(self.meta)

    @property
    def total(self) -> int:
        """How many instances the block has (the stand-ins counted as what they stand for)."""
        if self.beyond is None:
            return len(self.items)
        return len(self.items) - 1 + len(self.beyond.keys)

    def select(self, key: Value | None, what: str, span: Span) -> Instance | Unknown | None:
        """The instance ``what[key]`` names. An uncounted block is its one instance (an
        index is ignored); with unknown keys the stand-in is every instance (named as the
        reference names it); a key beyond the cap is the ``[*]`` stand-in, and so is the
        key of another block's ``[*]`` stand-in (a :class:`Beyond`) when every key it
        stands for is beyond the cap here too. None: the key cannot be evaluated; an
        Unknown: no instance has it."""
        if not self.meta:
            return self.items[0]
        evaluated = key.value if isinstance(key, Known) and _is_key(key.value) else None
        if self.unknown is not None:
            return Instance(suffix_of(evaluated) if evaluated is not None else "", None, self.items[0].env)
        if isinstance(key, Beyond):
            covered = self.beyond is not None and _covers(self.beyond.keys, key.keys)
            return self.items[-1] if covered else None
        if evaluated is None:
            return None
        wanted = int(evaluated) if isinstance(evaluated, float) and evaluated.is_integer() else evaluated
        found = self._index.get((isinstance(wanted, str), wanted))
        if found is not None:
            return found
        if self.beyond is not None and _beyond_here(wanted, self.beyond.keys):
            return self.items[-1]
        return Unknown(f"{what} has no instance {suffix_of(wanted)}", span)

    def whole(self, objects: list[Value], span: Span, splat: bool = False) -> Value:
        """The objects of every instance as Terraform sees the block: a list (count) or a
        map by key (for_each); a splat lists them either way, and is the only place where
        the stand-in of unknown keys stands for every instance (elsewhere: Unknown)."""
        if self.unknown is not None:
            return Known(objects, span) if splat else Unknown(self.unknown.reason, span)
        if self.beyond is not None and not splat:
            return Unknown(self.beyond.reason, span)
        if splat or self.meta == "count":
            return Known(objects, span)
        return Known({str(item.key): value for item, value in zip(self.items, objects, strict=False)}, span)


def suffix_of(key: Any) -> str:
    """The address suffix of an instance key: ``[0]``, ``["web"]``."""
    if isinstance(key, str):
        return f"[{json.dumps(key)}]"
    if isinstance(key, float) and not key.is_integer():
        return f"[{key!r}]"  # names no instance
    return f"[{int(key)}]"


def _is_key(value: Any) -> bool:
    return isinstance(value, (str, int, float)) and not isinstance(value, bool)


def _beyond_here(key: Any, keys: Any) -> bool:
    """Whether ``key`` is one of ``keys`` (a range of indexes or a frozenset of strings)."""
    if isinstance(keys, range):
        return isinstance(key, int) and not isinstance(key, bool) and key in keys
    return isinstance(key, str) and key in keys


def _covers(here: Any, there: Any) -> bool:
    """Whether every key of ``there`` is in ``here`` (both ranges, or both frozensets)."""
    if isinstance(here, range) and isinstance(there, range):
        return not len(there) or (there.start >= here.start and there[-1] < here.stop)
    if isinstance(here, frozenset) and isinstance(there, frozenset):
        return there <= here
    return False


def expand(block: s.Block, prefix: str, address: str, evaluate: Callable[[s.Expr], Value],
           cap: int = DEFAULT_CAP) -> Expansion:
    """The instances of ``block``, at ``address`` in the module instance ``prefix``; at
    most ``cap`` of them one by one, the rest as one ``[*]`` stand-in."""
    attrs = block.body.attributes
    if _disabled(block, evaluate):
        return Expansion((), "count")
    if "count" in attrs:
        result = _count(attrs["count"], prefix, address, block.span, evaluate, cap)
    elif "for_each" in attrs:
        result = _for_each(attrs["for_each"], prefix, address, block.span, evaluate, cap)
    else:
        return Expansion((Instance("", None, {}),))
    if isinstance(result, Unknown):
        return stand_in(result, block)
    return result


def _disabled(block: s.Block, evaluate: Callable[[s.Expr], Value]) -> bool:
    """OpenTofu's ``lifecycle { enabled = false }`` (1.11): the block has no instance.
    Only a known false counts; an unknown ``enabled`` leaves the block judged."""
    lifecycle = block.body.first_block("lifecycle")
    enabled = lifecycle.body.attributes.get("enabled") if lifecycle is not None else None
    if enabled is None:
        return False
    value = evaluate(enabled.expr)
    return isinstance(value, Known) and (value.value is False or value.value == "false")


def stand_in(unknown: Unknown, block: s.Block) -> Expansion:
    """One instance for every instance of a block whose keys are unknown."""
    if "count" in block.body.attributes:
        return Expansion((Instance("", None, {"count": Known({"index": unknown}, block.span)}),), "count", unknown)
    env = {"each": Known({"key": unknown, "value": unknown}, block.span)}
    return Expansion((Instance("", None, env),), "for_each", unknown)


def _beyond(prefix: str, address: str, total: int, cap: int, keys: Any, span: Span) -> Beyond:
    reason = (f"{prefix}{address}{STAND_IN} stands for the {len(keys):,} instances after the first {cap:,} of "
              f"{total:,}, judged together (--max-instances)")
    return Beyond(reason, span, keys)


def _count(attribute: s.Attribute, prefix: str, address: str, span: Span,
           evaluate: Callable[[s.Expr], Value], cap: int) -> Expansion | Unknown:
    count = evaluate(attribute.expr)
    if isinstance(count, Known) and isinstance(count.value, str) and count.value.isdigit():
        count = Known(int(count.value), count.span)  # Terraform converts "2" to 2
    if not isinstance(count, Known) or not isinstance(count.value, (int, float)) or isinstance(count.value, bool):
        reason = count.reason if isinstance(count, Unknown) else "count is not a number"
        return Unknown(f"count.index of {prefix}{address}: the count cannot be evaluated ({reason})", attribute.span)
    number = int(count.value)
    if number > MAX_ITEMS:
        return Unknown(f"count of {address} is larger than {MAX_ITEMS}", attribute.span)
    items = tuple(Instance(f"[{i}]", i, {"count": Known({"index": Known(i, attribute.span)}, span)})
                  for i in range(min(max(number, 0), cap)))
    if number <= cap:
        return Expansion(items, "count")
    beyond = _beyond(prefix, address, number, cap, range(cap, number), attribute.span)
    rest = Instance(STAND_IN, REST, {"count": Known({"index": beyond}, span)})
    return Expansion(items + (rest,), "count", beyond=beyond)


def _for_each(attribute: s.Attribute, prefix: str, address: str, span: Span,
              evaluate: Callable[[s.Expr], Value], cap: int) -> Expansion | Unknown:
    collection = evaluate(attribute.expr)
    pairs = _pairs(collection)
    if isinstance(pairs, str):
        return Unknown(f"the for_each keys of {prefix}{address} cannot be evaluated ({pairs})", attribute.span)
    if len(pairs) > MAX_ITEMS:
        return Unknown(f"for_each of {address} has more than {MAX_ITEMS} keys", attribute.span)
    each_span = attribute.span
    items = tuple(Instance(f"[{json.dumps(key)}]", key, {"each": Known({"key": Known(key, each_span), "value": value},
                                                                       span)}) for key, value in pairs[:cap])
    if len(pairs) <= cap:
        return Expansion(items, "for_each")
    beyond = _beyond(prefix, address, len(pairs), cap, frozenset(key for key, _ in pairs[cap:]), attribute.span)
    rest = Instance(STAND_IN, REST, {"each": Known({"key": beyond, "value": beyond}, span)})
    return Expansion(items + (rest,), "for_each", beyond=beyond)


def _pairs(collection: Value) -> list[tuple[str, Value]] | str:
    """(key, value) of a for_each map or set of strings, sorted; else why not."""
    if isinstance(collection, Known) and isinstance(collection.value, dict):
        return sorted(collection.value.items())
    if not isinstance(collection, Known) or not isinstance(collection.value, list):
        return collection.reason if isinstance(collection, Unknown) else "for_each is not a map or set"
    pairs: list[tuple[str, Value]] = []
    for item in collection.value:
        if not isinstance(item, Known) or not isinstance(item.value, str):
            return item.reason if isinstance(item, Unknown) else "a key is not a string"
        pairs.append((item.value, item))
    return sorted(dict(pairs).items())
