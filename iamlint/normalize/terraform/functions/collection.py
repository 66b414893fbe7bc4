"""Collection functions: items keep their Values (and spans), an Unknown item stays one."""

from __future__ import annotations

import json
from typing import Any

from iamlint.model.span import Span
from iamlint.model.values import Known, Unknown, Value, to_python
from iamlint.normalize.terraform.functions.lift import Function, items_of, pure, structural


def _concat(span: Span, *lists: Value) -> Value:
    return Known([item for value in lists for item in items_of(value, "concat")], span)


def _merge(span: Span, *maps: Value) -> Value:
    result: dict[str, Value] = {}
    for value in maps:
        if isinstance(value, Known) and value.value is None:
            continue
        if not isinstance(value, Known) or not isinstance(value.value, dict):
            raise ValueError("merge() expects maps or objects")
        result.update(value.value)
    return Known(result, span)


def _flatten(span: Span, value: Value) -> Value:
    out: list[Value] = []
    stack = [iter(items_of(value, "flatten"))]
    while stack:
        item = next(stack[-1], None)
        if item is None:
            stack.pop()
            continue
        if isinstance(item, Known) and isinstance(item.value, list):
            stack.append(iter(item.value))
        elif isinstance(item, Unknown):
            return Unknown(f"flatten(): {item.reason}", span)
        else:
            out.append(item)
    return Known(out, span)


def _plain_key(value: Value) -> Any:
    try:
        return json.dumps(to_python(value), sort_keys=True)
    except ValueError:
        return None


def _distinct(span: Span, value: Value) -> Value:
    seen: set = set()
    out = []
    for item in items_of(value, "distinct"):
        key = _plain_key(item)
        if key is None:
            return Unknown("distinct(): an item is unknown", span)
        if key not in seen:
            seen.add(key)
            out.append(item)
    return Known(out, span)


def _toset(span: Span, value: Value) -> Value:
    if isinstance(value, Known) and value.value is None:
        return value
    result = _distinct(span, value)
    if isinstance(result, Known):
        try:
            result = Known(sorted(result.value, key=lambda v: (str(type(v.value)), v.value)), span)
        except TypeError:
            pass
    return result


def _compact(span: Span, value: Value) -> Value:
    out = []
    for item in items_of(value, "compact"):
        if isinstance(item, Known) and item.value in (None, ""):
            continue
        out.append(item)
    return Known(out, span)


def _tolist(span: Span, value: Value) -> Value:
    if isinstance(value, Known) and value.value is None:
        return value
    return Known(items_of(value, "tolist"), span)


def _tomap(span: Span, value: Value) -> Value:
    if isinstance(value, Known) and (isinstance(value.value, dict) or value.value is None):
        return value
    raise ValueError("tomap() expects a map or object")


def _element(span: Span, value: Value, index: Value) -> Value:
    items = items_of(value, "element")
    if not isinstance(index, Known) or not isinstance(index.value, (int, float)):
        return Unknown("element(): the index is unknown", span)
    if not items:
        raise ValueError("element() of an empty list")
    if index.value < 0:  # Terraform: "cannot use element function with a negative index"
        raise ValueError("the index must not be negative")
    return items[int(index.value) % len(items)]


def _lookup(span: Span, value: Value, key: Value, *default: Value) -> Value:
    if not isinstance(key, Known):
        return Unknown("lookup(): the key is unknown", span)
    if not isinstance(value, Known) or not isinstance(value.value, dict):
        raise ValueError("lookup() expects a map")
    found = value.value.get(str(key.value))
    if found is not None:
        return found
    if default:
        return default[0]
    raise KeyError(f"no key {key.value!r} and no default")


def _keys(span: Span, value: Value) -> Value:
    if not isinstance(value, Known) or not isinstance(value.value, dict):
        raise ValueError("keys() expects a map")
    return Known([Known(k, span) for k in sorted(value.value)], span)


def _values(span: Span, value: Value) -> Value:
    if not isinstance(value, Known) or not isinstance(value.value, dict):
        raise ValueError("values() expects a map")
    return Known([value.value[k] for k in sorted(value.value)], span)


def _zipmap(span: Span, keys: Value, values: Value) -> Value:
    names = items_of(keys, "zipmap")
    items = items_of(values, "zipmap")
    if len(names) != len(items):  # Terraform rejects the call; never a truncated map
        raise ValueError(f"{len(names)} keys but {len(items)} values")
    result = {}
    for name, item in zip(names, items, strict=True):
        if not isinstance(name, Known):
            return Unknown("zipmap(): a key is unknown", span)
        result[str(name.value)] = item
    return Known(result, span)


def _contains(span: Span, collection: Value, item: Value) -> Value:
    wanted = _plain_key(item)
    keys = [_plain_key(x) for x in items_of(collection, "contains")]
    if wanted is None:
        return Unknown("contains(): the value is unknown", span)
    if wanted in keys:
        return Known(True, span)
    if None in keys:
        return Unknown("contains(): an item is unknown", span)
    return Known(False, span)


def _length(span: Span, value: Value) -> Value:
    if isinstance(value, Known):
        inner = value.value
        if isinstance(inner, (list, dict, str)):
            return Known(len(inner), span)
    raise ValueError("length() of this value")


def _coalesce(evaluator: Any, args: list[Value], span: Span) -> Value:
    for arg in args:
        if isinstance(arg, Unknown):
            return Unknown(f"coalesce(): {arg.reason}", span)
        if arg.value not in (None, ""):
            return arg
    raise ValueError("no non-null, non-empty argument")


def _coalescelist(evaluator: Any, args: list[Value], span: Span) -> Value:
    for arg in args:
        if isinstance(arg, Unknown):
            return Unknown(f"coalescelist(): {arg.reason}", span)
        if isinstance(arg.value, list) and arg.value:
            return arg
    raise ValueError("no non-empty list")


def _one(span: Span, value: Value) -> Value:
    items = items_of(value, "one")
    if not items:
        return Known(None, span)
    if len(items) == 1:
        return items[0]
    raise ValueError("one() of a list with more than one item")


def _slice(span: Span, value: Value, start: Value, end: Value) -> Value:
    items = items_of(value, "slice")
    if not isinstance(start, Known) or not isinstance(end, Known):
        return Unknown("slice(): an index is unknown", span)
    return Known(items[int(start.value):int(end.value)], span)


def _reverse(span: Span, value: Value) -> Value:
    return Known(list(reversed(items_of(value, "reverse"))), span)


def _setunion(span: Span, *sets: Value) -> Value:
    return _toset(span, Known([i for s in sets for i in items_of(s, "setunion")], span))


def _range(*args: Any) -> list:
    if not all(isinstance(a, (int, float)) for a in args):
        raise ValueError("range() expects numbers")
    numbers = [int(a) for a in args]
    result = range(*numbers)
    if len(result) > 1_000_000:
        raise ValueError("range() too large")
    return list(result)



FUNCTIONS: dict[str, Function] = {
    "concat": structural("concat", _concat),
    "merge": structural("merge", _merge),
    "flatten": structural("flatten", _flatten),
    "distinct": structural("distinct", _distinct),
    "compact": structural("compact", _compact),
    "tolist": structural("tolist", _tolist),
    "toset": structural("toset", _toset),
    "tomap": structural("tomap", _tomap),
    "element": structural("element", _element),
    "lookup": structural("lookup", _lookup),
    "keys": structural("keys", _keys),
    "values": structural("values", _values),
    "zipmap": structural("zipmap", _zipmap),
    "contains": structural("contains", _contains),
    "length": structural("length", _length),
    "one": structural("one", _one),
    "slice": structural("slice", _slice),
    "reverse": structural("reverse", _reverse),
    "setunion": structural("setunion", _setunion),
    "coalesce": _coalesce,
    "coalescelist": _coalescelist,
    "range": pure("range", _range),
    "min": pure("min", min),
    "max": pure("max", max),
    "abs": pure("abs", abs),
    "signum": pure("signum", lambda n: (n > 0) - (n < 0)),
    "ceil": pure("ceil", lambda n: -int(-n // 1)),
    "floor": pure("floor", lambda n: int(n // 1)),
    "sum": pure("sum", lambda items: sum(items)),
    "alltrue": pure("alltrue", lambda items: all(i is True or i == "true" for i in items)),
    "anytrue": pure("anytrue", lambda items: any(i is True or i == "true" for i in items)),
    "index": pure("index", lambda items, item: items.index(item)),
    "chunklist": pure("chunklist", lambda items, n: [items[i:i + n] for i in range(0, len(items), n)] if n else [items]),
    "setintersection": pure("setintersection", lambda first, *rest: [x for x in first if all(x in r for r in rest)]),
    "setsubtract": pure("setsubtract", lambda a, b: [x for x in a if x not in b]),
}
