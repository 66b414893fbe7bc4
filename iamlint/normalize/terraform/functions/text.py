"""String, encoding and JSON functions (``format``, ``join``, ``jsonencode``...): they need
the full text of their arguments, so any unknown part makes the result Unknown."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

from iamlint.model.span import Span
from dataclasses import replace

from iamlint.model.values import Encoded, Known, PartialText, Unknown, Value
from iamlint.normalize.documents import decode_json_text
from iamlint.normalize.terraform.functions.lift import Function, pure


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


def _formatlist(fmt: str, *args: Any) -> list[str]:
    """Terraform's formatlist: list arguments are iterated together (they must have one
    length), any other argument is repeated on every row."""
    lengths = {len(arg) for arg in args if isinstance(arg, list)}
    if len(lengths) > 1:
        raise ValueError(f"the list arguments have different lengths ({', '.join(map(str, sorted(lengths)))})")
    rows = lengths.pop() if lengths else 1
    return [_format(fmt, *(arg[row] if isinstance(arg, list) else arg for arg in args)) for row in range(rows)]


def _join(sep: str, *lists: Any) -> str:
    return sep.join(_text(x) for items in lists for x in items)


def _join_values(args: list[Value], span: Span) -> Value:
    """join(): a single item is that item (so a reference keeps its identity)."""
    lists = [a.value for a in args[1:] if isinstance(a, Known) and isinstance(a.value, list)]
    if len(args) >= 2 and len(lists) == len(args) - 1:
        items = [item for inner in lists for item in inner]
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
    (text,) = args
    if not isinstance(text, Known):
        return Unknown(f"jsondecode(): {text.reason}", span)
    if isinstance(text.value, Encoded):
        return text.value.data
    if not isinstance(text.value, str):
        raise ValueError("argument is not a string")
    decoded = decode_json_text(text)
    return decoded



def _encoding(name: str, function: Function) -> Function:
    """An encoding of a whole text (``base64encode``): of a template with unknown parts,
    the same template marked as encoded (still Unknown; its known text keeps its lines,
    where SEC001 finds a key written in it)."""

    def call(evaluator: Any, args: list[Value], span: Span) -> Value:
        if len(args) == 1 and isinstance(args[0], PartialText) and not args[0].encoding:
            text = args[0]
            return replace(text, reason=f"{name}(): {text.reason}", span=span, encoding=name,
                           exact=text.exact and span.file == text.span.file)
        return function(evaluator, args, span)

    return call


FUNCTIONS: dict[str, Function] = {
    "jsonencode": _jsonencode,
    "jsondecode": _jsondecode,
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
    "regex": pure("regex", lambda p, s: re.search(p, s).group(0)),  # type: ignore[union-attr]  # no match: an error
    "regexall": pure("regexall", lambda p, s: [m.group(0) for m in re.finditer(p, s)]),
    "strrev": pure("strrev", lambda s: s[::-1]),
    "format": pure("format", _format),
    "formatlist": pure("formatlist", _formatlist),
    "base64encode": _encoding("base64encode", pure("base64encode", lambda s: base64.b64encode(s.encode()).decode())),
    "base64decode": pure("base64decode", _b64decode),
    "tostring": pure("tostring", _tostring),
    "tonumber": pure("tonumber", _tonumber),
    "tobool": pure("tobool", _tobool),
    "parseint": pure("parseint", lambda s, base: int(s, base)),
    "sort": pure("sort", lambda items: sorted(_text(i) for i in items)),
}
