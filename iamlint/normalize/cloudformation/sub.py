"""``Fn::Sub``: substitutions computed when their values are known. A ``|`` block whose
values are partly unknown keeps its text (unknown parts as holes) so a JSON policy in it
is still judged where it is known; the text of a folded (``>``) block keeps its raw lines."""

from __future__ import annotations

from typing import Any, Union

from iamlint.model.span import Span
from iamlint.model.values import Known, SourceText, Unknown, Value, known_str
from iamlint.normalize.cloudformation.strings import concatenate, flatten, sub_pieces
from iamlint.normalize.cloudformation.values import NO_VALUE, DeployTime, NoValue
from iamlint.normalize.documents import HOLE, MAX_HOLES, PartialText
from iamlint.parsers.cloudformation.yamlspans import FoldedText

Result = Union[Value, NoValue]


def substitute(ev: Any, arg: Value, span: Span) -> Result:
    """``Fn::Sub`` (both forms): ``${Name}``, ``${Resource.Attribute}``, ``${!Literal}``."""
    source, variables = _arguments(ev, arg)
    template = known_str(source)
    if template is None:
        return Unknown("Fn::Sub with a template that is not a literal string", span)
    cache: dict[str, str | Value] = {}

    def lookup(name: str) -> str | Value:
        if name not in cache:
            cache[name] = _variable(ev, name, variables, span)
        return cache[name]

    pieces = sub_pieces(template, lookup)
    values = [piece for piece in pieces if isinstance(piece, tuple)]
    if len(values) == 1 and all(piece == "" for piece in pieces if isinstance(piece, str)):
        return values[0][0]  # "${Role}" alone is the reference itself
    result = concatenate(flatten(pieces), span, "Fn::Sub")
    if not isinstance(result, Known):
        if isinstance(source, SourceText) and not isinstance(result, DeployTime):
            return _partial_sub(pieces, source, span) or result
        return result
    if isinstance(source, SourceText):
        # substitutions rarely span lines: keep where the text starts, for JSON in it
        return SourceText(result.value, span, line=source.line, column=source.column, indent=source.indent)
    if isinstance(source, FoldedText):
        raw = concatenate(flatten(sub_pieces(source.raw, lookup)), span, "Fn::Sub")
        if isinstance(raw, Known):
            return FoldedText(result.value, span, raw=raw.value, raw_line=source.raw_line, raw_column=source.raw_column)
    return result


def _arguments(ev: Any, arg: Value) -> tuple[Result, dict[str, Result]]:
    if isinstance(arg, Known) and isinstance(arg.value, list) and len(arg.value) == 2:
        body, names = arg.value
        variables: dict[str, Result] = {}
        if isinstance(names, Known) and isinstance(names.value, dict):
            variables = {name: ev.evaluate(value, name) for name, value in names.value.items()}
        return ev.evaluate(body), variables
    return ev.evaluate(arg), {}


def _variable(ev: Any, name: str, variables: dict[str, Result], span: Span) -> str | Value:
    if name.startswith("!"):
        return "${" + name[1:] + "}"
    name = name.strip()
    if name in variables:
        value = variables[name]
        return "" if value is NO_VALUE else value  # type: ignore[return-value]
    if "." in name and not name.startswith("AWS::"):
        head, _, tail = name.partition(".")
        return ev.getatt(Known([Known(head, span), Known(tail, span)], span), span)  # type: ignore[return-value]
    value = ev.ref(Known(name, span), span)
    return "" if value is NO_VALUE else value  # type: ignore[return-value]


def _partial_sub(pieces: list, source: SourceText, span: Span) -> PartialText | None:
    """A ``|`` block Sub with unknown parts (a parameter without default): Unknown, but
    keeping its text (each unknown ``${Name}`` as a run of hole characters as wide) so a
    JSON policy in it is still judged where it is known."""
    text: list[str] = []
    holes: list[Unknown] = []
    for piece in pieces:
        if isinstance(piece, str):
            text.append(piece)
            continue
        value = flatten([piece])[0]
        known = concatenate([value], span, "Fn::Sub")
        if isinstance(known, Known):
            text.append(known.value)
        elif isinstance(value, Unknown) and len(holes) < MAX_HOLES:
            holes.append(Unknown(f"Fn::Sub: {value.reason}", span))
            text.append(chr(HOLE + len(holes) - 1) * (len(piece[1]) + 3))
        else:
            return None
    if not holes:
        return None
    return PartialText(holes[0].reason, span, text="".join(text), holes=tuple(holes), line=source.line,
                       column=source.column, indent=source.indent)

