"""Terraform built-in functions over three-valued Values (Unknown in, Unknown out).

Functions that build collections keep the Values of their items (and so their spans):
``concat(["s3:*"], var.more)`` still knows where ``"s3:*"`` was written, and an Unknown
item stays an Unknown item instead of spoiling the whole list. Functions that need the
full text of their arguments (``format``, ``join``...) return an Unknown when any part is
unknown. ``file`` and ``templatefile`` read relative to ``path.module`` and keep the
lines of the file they read. An unknown function is an Unknown, never an error.
"""

from __future__ import annotations

import base64
import json
import os
import re
from typing import Any, Callable

from iamlint.model.span import Span
from iamlint.model.values import Encoded, Known, SourceText, Unknown, Value, first_unknown, from_python, to_python
from iamlint.sources import overlay_text

Function = Callable[[Any, list[Value], Span], Value]


def _known(args: list[Value], span: Span, name: str) -> list[Any] | Unknown:
    """Plain Python arguments, or the first Unknown among them."""
    values = []
    for arg in args:
        unknown = first_unknown(arg)
        if unknown is not None:
            return Unknown(f"{name}(): {unknown.reason}", span)
        values.append(to_python(arg))
    return values


def pure(name: str, function: Callable[..., Any]) -> Function:
    """Lift a plain Python function over fully known arguments."""

    def call(evaluator: Any, args: list[Value], span: Span) -> Value:
        if all(arg.__class__ is Known and arg.value.__class__ in _SCALARS for arg in args):
            values: Any = [arg.value for arg in args]  # fast path: plain scalars
        else:
            values = _known(args, span, name)
            if isinstance(values, Unknown):
                return values
        result = function(*values)
        if result.__class__ in _SCALARS:
            return Known(result, span)
        if result.__class__ is list and all(item.__class__ in _SCALARS for item in result):
            return Known([Known(item, span) for item in result], span)
        return from_python(result, span)

    return call


_SCALARS = {str, int, float, bool, type(None)}


def _unknown_arg(args: list[Value], name: str, span: Span) -> Unknown | None:
    for arg in args:
        if isinstance(arg, Unknown):
            return Unknown(f"{name}(): {arg.reason}", span)
    return None


def _items(value: Value, name: str) -> list[Value]:
    """The items of a Known list/set (a tuple); ValueError otherwise."""
    if isinstance(value, Known):
        if isinstance(value.value, list):
            return list(value.value)
        if isinstance(value.value, dict):
            return list(value.value.values())
    raise ValueError(f"{name}() expects a list")


def structural(name: str, function: Callable[..., Value]) -> Function:
    """Functions over Known containers whose items may stay Unknown."""

    def call(evaluator: Any, args: list[Value], span: Span) -> Value:
        unknown = _unknown_arg(args, name, span)
        if unknown is not None:
            return unknown
        return function(span, *args)

    return call


# -- collections -----------------------------------------------------------
def _concat(span: Span, *lists: Value) -> Value:
    return Known([item for value in lists for item in _items(value, "concat")], span)


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
    stack = [iter(_items(value, "flatten"))]
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
    for item in _items(value, "distinct"):
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
    for item in _items(value, "compact"):
        if isinstance(item, Known) and item.value in (None, ""):
            continue
        out.append(item)
    return Known(out, span)


def _tolist(span: Span, value: Value) -> Value:
    if isinstance(value, Known) and value.value is None:
        return value
    return Known(_items(value, "tolist"), span)


def _tomap(span: Span, value: Value) -> Value:
    if isinstance(value, Known) and (isinstance(value.value, dict) or value.value is None):
        return value
    raise ValueError("tomap() expects a map or object")


def _element(span: Span, value: Value, index: Value) -> Value:
    items = _items(value, "element")
    if not isinstance(index, Known) or not isinstance(index.value, (int, float)):
        return Unknown("element(): the index is unknown", span)
    if not items:
        raise ValueError("element() of an empty list")
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
    names = _items(keys, "zipmap")
    items = _items(values, "zipmap")
    result = {}
    for name, item in zip(names, items):
        if not isinstance(name, Known):
            return Unknown("zipmap(): a key is unknown", span)
        result[str(name.value)] = item
    return Known(result, span)


def _contains(span: Span, collection: Value, item: Value) -> Value:
    wanted = _plain_key(item)
    keys = [_plain_key(x) for x in _items(collection, "contains")]
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
    items = _items(value, "one")
    if not items:
        return Known(None, span)
    if len(items) == 1:
        return items[0]
    raise ValueError("one() of a list with more than one item")


def _slice(span: Span, value: Value, start: Value, end: Value) -> Value:
    items = _items(value, "slice")
    if not isinstance(start, Known) or not isinstance(end, Known):
        return Unknown("slice(): an index is unknown", span)
    return Known(items[int(start.value):int(end.value)], span)


def _reverse(span: Span, value: Value) -> Value:
    return Known(list(reversed(_items(value, "reverse"))), span)


def _setunion(span: Span, *sets: Value) -> Value:
    return _toset(span, Known([i for s in sets for i in _items(s, "setunion")], span))


def _range(*args: Any) -> list:
    if not all(isinstance(a, (int, float)) for a in args):
        raise ValueError("range() expects numbers")
    numbers = [int(a) for a in args]
    result = range(*numbers)
    if len(result) > 1_000_000:
        raise ValueError("range() too large")
    return list(result)


# -- strings -----------------------------------------------------------------
_FORMAT = re.compile(r"%(?:%|[-+ #0]*\d*(?:\.\d+)?[sdvqftbeEgGxXo])")


def _format(fmt: str, *args: Any) -> str:
    values = iter(args)

    def replace(match: re.Match) -> str:
        spec = match.group(0)
        if spec == "%%":
            return "%"
        verb = spec[-1]
        value = next(values)
        if verb in "sv":
            if isinstance(value, bool):
                return "true" if value else "false"
            if isinstance(value, (dict, list)):
                return json.dumps(value, separators=(",", ":"))
            return str(value)
        if verb == "q":
            return json.dumps(str(value))
        if verb == "t":
            return "true" if value else "false"
        python = spec.replace("v", "s")
        return python % value

    return _FORMAT.sub(replace, fmt)


def _join(sep: str, *lists: Any) -> str:
    return sep.join(_text(x) for items in lists for x in items)


def _join_values(args: list[Value], span: Span) -> Value:
    """join(): a single item is that item (so a reference keeps its identity)."""
    if len(args) >= 2 and all(isinstance(a, Known) and isinstance(a.value, list) for a in args[1:]):
        items = [item for a in args[1:] for item in a.value]
        if len(items) == 1 and not (isinstance(items[0], Known) and not isinstance(items[0].value, (str, Encoded))):
            return items[0]
    return pure("join", _join)(None, args, span)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if value is None or isinstance(value, (list, dict)):
        raise ValueError("join() of a non-string item")
    return str(value)


def _replace(text: str, old: str, new: str) -> str:
    if len(old) > 1 and old.startswith("/") and old.endswith("/"):
        pattern = re.compile(old[1:-1])
        return pattern.sub(re.sub(r"\$\{?(\d+)\}?", r"\\g<\1>", new), text)
    return text.replace(old, new)


def _b64decode(text: str) -> str:
    return base64.b64decode(text).decode("utf-8")


def _tostring(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return _text(value)
    if value is None or isinstance(value, str):
        return value
    raise ValueError("tostring() of a collection")


def _tonumber(value: Any) -> Any:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        return int(value) if value.lstrip("-").isdigit() else float(value)
    if value is None:
        return None
    raise ValueError("tonumber() of this value")


def _tobool(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    if value in ("true", "false"):
        return value == "true"
    raise ValueError("tobool() of this value")


# -- JSON ----------------------------------------------------------------------
def _jsonencode(evaluator: Any, args: list[Value], span: Span) -> Value:
    if len(args) != 1:
        raise ValueError("jsonencode takes one argument")
    return Known(Encoded(args[0]), span)


def _jsondecode(evaluator: Any, args: list[Value], span: Span) -> Value:
    from iamlint.normalize.documents import decode_json_text

    (text,) = args
    if not isinstance(text, Known):
        return Unknown(f"jsondecode(): {text.reason}", span)
    if isinstance(text.value, Encoded):
        return text.value.data
    if not isinstance(text.value, str):
        raise ValueError("argument is not a string")
    decoded = decode_json_text(text)
    return decoded


# -- files -----------------------------------------------------------------------
MAX_FILE = 4 * 1024 * 1024


def _read(evaluator: Any, arg: Value, name: str, span: Span) -> tuple[str, str] | Unknown:
    if not isinstance(arg, Known) or not isinstance(arg.value, str):
        reason = arg.reason if isinstance(arg, Unknown) else "the path is not a string"
        return Unknown(f"{name}(): {reason}", span)
    path = arg.value
    if not os.path.isabs(path) and not os.path.exists(path):
        # Terraform runs in the root module folder: relative paths start there
        path = os.path.normpath(os.path.join(evaluator.root_directory, path))
    try:
        if overlay_text(path) is None and os.path.getsize(path) > MAX_FILE:
            return Unknown(f"{name}(): {path} is larger than {MAX_FILE} bytes", span)
        loader = getattr(evaluator, "loader", None)
        if loader is not None:
            loader.sources.append(path)
        text = overlay_text(path)  # an unsaved editor buffer wins over the file
        if text is not None:
            return path, text
        with open(path, encoding="utf-8-sig") as handle:
            return path, handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        return Unknown(f"{name}(): cannot read {arg.value}: {getattr(exc, 'strerror', None) or exc}", span)


def _file(evaluator: Any, args: list[Value], span: Span) -> Value:
    (arg,) = args
    read = _read(evaluator, arg, "file", span)
    if isinstance(read, Unknown):
        return read
    path, text = read
    end = text.count("\n") + 1
    return SourceText(text, Span(path, 1, 1, end, 1), 1, 1, 0)


def _templatefile(evaluator: Any, args: list[Value], span: Span) -> Value:
    from iamlint.parsers.terraform.hcl import HclSyntaxError, parse_template

    arg, variables = args
    read = _read(evaluator, arg, "templatefile", span)
    if isinstance(read, Unknown):
        return read
    path, text = read
    if isinstance(variables, Unknown):
        return Unknown(f"templatefile(): {variables.reason}", span)
    if not isinstance(variables.value, dict):
        raise ValueError("the variables of templatefile() are not a map")
    try:
        template = parse_template(text, path, 1, 1, 0)
    except HclSyntaxError as exc:
        evaluator.error(Span(path, exc.line, exc.column, exc.line, exc.column + 1), f"template syntax error: {exc.message}")
        return Unknown(f"templatefile(): {path} has a syntax error", span)
    scope = dict(variables.value)
    rendered = evaluator.eval(template, scope)
    if isinstance(rendered, Unknown):
        return Unknown(f"templatefile(): {rendered.reason}", span)
    if isinstance(rendered, SourceText):
        return rendered
    if isinstance(rendered, Known) and isinstance(rendered.value, str):
        if rendered.value.count("\n") == text.count("\n"):
            end = text.count("\n") + 1
            return SourceText(rendered.value, Span(path, 1, 1, end, 1), 1, 1, 0)
        return Known(rendered.value, span)
    return rendered


def _fileset(evaluator: Any, args: list[Value], span: Span) -> Value:
    """fileset(path, pattern): the files under ``path`` matching the glob, sorted,
    relative to ``path`` (``**`` matches across folders)."""
    import glob

    values = _known(args, span, "fileset")
    if isinstance(values, Unknown):
        return values
    base, pattern = values
    if not os.path.isabs(base) and not os.path.isdir(base):
        base = os.path.normpath(os.path.join(evaluator.root_directory, base))
    loader = getattr(evaluator, "loader", None)
    if loader is not None:
        loader.sources.append(base)
    found = sorted(os.path.relpath(path, base).replace(os.sep, "/")
                   for path in glob.glob(os.path.join(base, pattern), recursive=True) if os.path.isfile(path))
    return Known([Known(name, span) for name in found[:100_000]], span)


# -- try / can (their arguments are evaluated lazily) -------------------------------
def _try(evaluator: Any, expr: Any, env: dict) -> Value:
    last: Value | None = None
    for arg in expr.args:
        value = evaluator.eval(arg, env)
        if isinstance(value, Known):
            return value
        last = value
        if not _is_error(value):
            return Unknown(f"try(): {value.reason}", expr.span)
    if last is None:
        return Unknown("try() without arguments", expr.span)
    return Unknown(f"try(): no argument can be evaluated ({last.reason})", expr.span)


_ERRORS = ("no attribute or key", "is out of range", "cannot take", "cannot be evaluated:", "is not defined",
           "has no instance", "is not declared", "cannot be evaluated on its own")


def _is_error(value: Unknown) -> bool:
    """An Unknown that Terraform would report as an error (try() moves on) rather than
    a value not known before apply (try() returns it unknown)."""
    from iamlint.model.values import Ref

    if isinstance(value, Ref):
        return False
    return any(marker in value.reason for marker in _ERRORS)


def _can(evaluator: Any, expr: Any, env: dict) -> Value:
    if len(expr.args) != 1:
        return Unknown("can() takes one argument", expr.span)
    value = evaluator.eval(expr.args[0], env)
    if isinstance(value, Known):
        return Known(True, expr.span)
    if _is_error(value):
        return Known(False, expr.span)
    return Unknown(f"can(): {value.reason}", expr.span)


LAZY: dict[str, Callable[[Any, Any, dict], Value]] = {"try": _try, "can": _can}

FUNCTIONS: dict[str, Function] = {
    "jsonencode": _jsonencode,
    "jsondecode": _jsondecode,
    "file": _file,
    "templatefile": _templatefile,
    "fileexists": pure("fileexists", os.path.isfile),
    "fileset": _fileset,
    "lower": pure("lower", lambda s: s.lower()),
    "upper": pure("upper", lambda s: s.upper()),
    "title": pure("title", lambda s: s.title()),
    "trimspace": pure("trimspace", lambda s: s.strip()),
    "trim": pure("trim", lambda s, chars: s.strip(chars)),
    "trimprefix": pure("trimprefix", lambda s, p: s[len(p):] if s.startswith(p) else s),
    "trimsuffix": pure("trimsuffix", lambda s, p: s[: -len(p)] if p and s.endswith(p) else s),
    "chomp": pure("chomp", lambda s: s.rstrip("\r\n")),
    "join": lambda evaluator, args, span: _join_values(args, span),
    "split": pure("split", lambda sep, s: s.split(sep) if s else []),
    "replace": pure("replace", _replace),
    "substr": pure("substr", lambda s, o, n: s[o:] if n < 0 else s[o:o + n]),
    "startswith": pure("startswith", lambda s, p: s.startswith(p)),
    "endswith": pure("endswith", lambda s, p: s.endswith(p)),
    "strcontains": pure("strcontains", lambda s, p: p in s),
    "regex": pure("regex", lambda p, s: re.search(p, s).group(0)),
    "format": pure("format", _format),
    "formatlist": pure("formatlist", lambda f, *lists: [_format(f, *row) for row in zip(*lists)]),
    "base64encode": pure("base64encode", lambda s: base64.b64encode(s.encode()).decode()),
    "base64decode": pure("base64decode", _b64decode),
    "tostring": pure("tostring", _tostring),
    "tonumber": pure("tonumber", _tonumber),
    "tobool": pure("tobool", _tobool),
    "min": pure("min", min),
    "max": pure("max", max),
    "abs": pure("abs", abs),
    "range": pure("range", _range),
    "sort": pure("sort", lambda items: sorted(_text(i) for i in items)),
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
    "signum": pure("signum", lambda n: (n > 0) - (n < 0)),
    "ceil": pure("ceil", lambda n: -int(-n // 1)),
    "floor": pure("floor", lambda n: int(n // 1)),
    "parseint": pure("parseint", lambda s, base: int(s, base)),
    "sum": pure("sum", lambda items: sum(items)),
    "alltrue": pure("alltrue", lambda items: all(i is True or i == "true" for i in items)),
    "anytrue": pure("anytrue", lambda items: any(i is True or i == "true" for i in items)),
    "index": pure("index", lambda items, item: items.index(item)),
    "chunklist": pure("chunklist", lambda items, n: [items[i:i + n] for i in range(0, len(items), n)] if n else [items]),
    "setintersection": pure("setintersection", lambda first, *rest: [x for x in first if all(x in r for r in rest)]),
    "setsubtract": pure("setsubtract", lambda a, b: [x for x in a if x not in b]),
    "regexall": pure("regexall", lambda p, s: [m.group(0) for m in re.finditer(p, s)]),
    "strrev": pure("strrev", lambda s: s[::-1]),
    "basename": pure("basename", os.path.basename),
    "dirname": pure("dirname", os.path.dirname),
    "abspath": pure("abspath", os.path.abspath),
    "sensitive": lambda evaluator, args, span: args[0],
    "nonsensitive": lambda evaluator, args, span: args[0],
    "coalesce": _coalesce,
    "coalescelist": _coalescelist,
}


def binary(op: str, left: Value, right: Value, span: Span) -> Value:
    if op in ("==", "!=") and (_never_empty(left, right) or _never_empty(right, left)):
        return Known(op == "!=", span)
    if op in ("==", "!=") and isinstance(left, Known) and isinstance(right, Known) and (
            (left.value is None) != (right.value is None)):
        return Known(op == "!=", span)  # null against a value, whatever unknowns it holds
    if left.__class__ is Known and right.__class__ is Known:
        a, b = left.value, right.value
        if a.__class__ in _NUMBERS and b.__class__ in _NUMBERS:
            fast = _FAST.get(op)
            if fast is not None:
                try:
                    return Known(fast(a, b), span)
                except ZeroDivisionError:
                    return Unknown("division by zero", span)
    for side in (left, right):
        unknown = first_unknown(side)
        if unknown is not None:
            return Unknown(unknown.reason, span)
    a, b = left.value, right.value
    try:
        if op == "==":
            return Known(_plain(left) == _plain(right), span)
        if op == "!=":
            return Known(_plain(left) != _plain(right), span)
        if op == "&&":
            return Known(bool(a) and bool(b), span)
        if op == "||":
            return Known(bool(a) or bool(b), span)
        a, b = _number(a), _number(b)
        numeric = {"+": lambda: a + b, "-": lambda: a - b, "*": lambda: a * b, "/": lambda: a / b,
                   "%": lambda: a % b, "<": lambda: a < b, ">": lambda: a > b, "<=": lambda: a <= b,
                   ">=": lambda: a >= b}
        if op in numeric and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in (a, b)):
            return Known(numeric[op](), span)
    except (TypeError, ZeroDivisionError, ValueError):
        pass
    return Unknown(f"operator {op} cannot be evaluated on these values", span)


_NEVER_EMPTY = ("id", "arn", "name", "unique_id")


def _never_empty(ref: Value, other: Value) -> bool:
    """A resource's id, arn or name compared with "" or null: once applied it is never
    empty, so ``aws_iam_role.r.name == ""`` is false whatever the name."""
    from iamlint.model.values import Ref

    return (isinstance(ref, Ref) and ref.attribute in _NEVER_EMPTY
            and isinstance(other, Known) and other.value in ("", None))


_NUMBERS = {int, float}
_FAST = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b, "/": lambda a, b: a / b,
         "%": lambda a, b: a % b, "<": lambda a, b: a < b, ">": lambda a, b: a > b, "<=": lambda a, b: a <= b,
         ">=": lambda a, b: a >= b, "==": lambda a, b: a == b, "!=": lambda a, b: a != b}


def _number(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return int(value) if value.lstrip("-").isdigit() else float(value)
        except ValueError:
            return value
    return value


def _plain(value: Value) -> Any:
    try:
        return to_python(value)
    except ValueError:
        return object()
