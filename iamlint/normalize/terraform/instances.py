"""count / for_each: the instances of a resource, data source or module call, and the
one way a reference selects among them.

A block without either meta-argument has one instance (suffix ""). ``count = N`` gives
``[0]``..``[N-1]`` with ``count.index`` in scope; ``for_each`` gives one instance per key
(``["web"]``) with ``each.key`` / ``each.value``. When the keys cannot be evaluated, one
stand-in instance (``count.index`` / ``each.*`` Unknown) stands for every instance.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable

from iamlint.model.span import Span
from iamlint.model.values import Known, Unknown, Value
from iamlint.parsers.terraform import syntax as s

MAX_ITEMS = 100_000


@dataclass(frozen=True, slots=True)
class Instance:
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

    @property
    def counted(self) -> bool:
        return bool(self.meta)

    def select(self, key: Value | None, what: str, span: Span) -> Instance | Unknown | None:
        """The instance ``what[key]`` names. An uncounted block is its one instance (an
        index is ignored); with unknown keys the stand-in is every instance (named as the
        reference names it). None: the key cannot be evaluated; an Unknown: no instance
        has it."""
        if not self.meta:
            return self.items[0]
        evaluated = key.value if isinstance(key, Known) and _is_key(key.value) else None
        if self.unknown is not None:
            return Instance(suffix_of(evaluated) if evaluated is not None else "", None, self.items[0].env)
        if evaluated is None:
            return None
        wanted = int(evaluated) if isinstance(evaluated, float) and evaluated.is_integer() else evaluated
        for item in self.items:
            if item.key == wanted and isinstance(item.key, str) == isinstance(wanted, str):
                return item
        return Unknown(f"{what} has no instance {suffix_of(wanted)}", span)

    def whole(self, objects: list[Value], span: Span, splat: bool = False) -> Value:
        """The objects of every instance as Terraform sees the block: a list (count) or a
        map by key (for_each); a splat lists them either way, and is the only place where
        the stand-in of unknown keys stands for every instance (elsewhere: Unknown)."""
        if self.unknown is not None:
            return Known(objects, span) if splat else Unknown(self.unknown.reason, span)
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


def expand(block: s.Block, prefix: str, address: str, evaluate: Callable[[s.Expr], Value]) -> Expansion:
    """The instances of ``block``, at ``address`` in the module instance ``prefix``."""
    attrs = block.body.attributes
    if "count" in attrs:
        result = _count(attrs["count"], prefix, address, block.span, evaluate)
    elif "for_each" in attrs:
        result = _for_each(attrs["for_each"], prefix, address, block.span, evaluate)
    else:
        return Expansion((Instance("", None, {}),))
    if isinstance(result, Unknown):
        return stand_in(result, block)
    return result


def stand_in(unknown: Unknown, block: s.Block) -> Expansion:
    """One instance for every instance of a block whose keys are unknown."""
    if "count" in block.body.attributes:
        return Expansion((Instance("", None, {"count": Known({"index": unknown}, block.span)}),), "count", unknown)
    env = {"each": Known({"key": unknown, "value": unknown}, block.span)}
    return Expansion((Instance("", None, env),), "for_each", unknown)


def _count(attribute: s.Attribute, prefix: str, address: str, span: Span,
           evaluate: Callable[[s.Expr], Value]) -> Expansion | Unknown:
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
                  for i in range(max(number, 0)))
    return Expansion(items, "count")


def _for_each(attribute: s.Attribute, prefix: str, address: str, span: Span,
              evaluate: Callable[[s.Expr], Value]) -> Expansion | Unknown:
    collection = evaluate(attribute.expr)
    pairs = _pairs(collection)
    if isinstance(pairs, str):
        return Unknown(f"the for_each keys of {prefix}{address} cannot be evaluated ({pairs})", attribute.span)
    if len(pairs) > MAX_ITEMS:
        return Unknown(f"for_each of {address} has more than {MAX_ITEMS} keys", attribute.span)
    each_span = attribute.span
    items = tuple(Instance(f"[{json.dumps(key)}]", key, {"each": Known({"key": Known(key, each_span), "value": value},
                                                                       span)}) for key, value in pairs)
    return Expansion(items, "for_each")


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
