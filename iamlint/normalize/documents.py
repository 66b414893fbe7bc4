"""Policy values -> policy documents, for every format (JSON text is decoded with spans)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from iamlint.model.policy import Document, PolicyDocument
from iamlint.model.values import Encoded, Known, SourceText, Unknown, Value, respan


HOLE = 0xE000  # private-use characters stand for the unknown parts of a PartialText
MAX_HOLES = 6400


@dataclass(frozen=True, slots=True)
class PartialText(Unknown):
    """Text with unknown parts (a template interpolating a value known only after apply).

    Everything but a policy reads it as the Unknown it is. ``text`` holds unknown part
    ``i`` as a run of ``chr(HOLE + i)`` as wide as its interpolation in the source, so
    JSON in it decodes with its lines and columns (``line``/``column``/``indent`` as in
    SourceText); ``holes`` are the unknown parts. ``exact`` is False when the text is not
    in the file as is (escapes): then the decoded values are located at the template."""

    text: str = ""
    holes: tuple = ()
    line: int = 1
    column: int = 1
    indent: int = 0
    exact: bool = True


def decode_partial(value: PartialText) -> Value:
    """The JSON in a PartialText: each string holding an unknown part becomes that part's
    Unknown (with the string's span); an object key holding one makes it all Unknown."""
    decoded = decode_json_text(SourceText(value.text, value.span, line=value.line, column=value.column,
                                          indent=value.indent))
    if not isinstance(decoded, Known):
        return value
    if not value.exact:
        decoded = cast(Known, respan(decoded, value.span))  # a Known stays a Known
    limit = HOLE + len(value.holes)

    def hole(text: str) -> Unknown | None:
        for char in text:
            if HOLE <= ord(char) < limit:
                return value.holes[ord(char) - HOLE]
        return None

    def fill(item: Known) -> Value | None:  # decoded JSON: Known all the way down
        inner = item.value
        if isinstance(inner, str):
            found = hole(inner)
            return item if found is None else Unknown(found.reason, item.span)
        if isinstance(inner, list):
            items = [fill(entry) for entry in inner]
            return None if any(entry is None for entry in items) else Known(items, item.span)
        if isinstance(inner, dict):
            if any(hole(key) is not None for key in inner):
                return None
            entries = {key: fill(entry) for key, entry in inner.items()}
            return None if any(entry is None for entry in entries.values()) else Known(entries, item.span)
        return item

    return fill(decoded) or value


def decode_json_text(value: Known) -> Value:
    """A Known string holding JSON -> the decoded Value, spans mapped into the file."""
    # start-up: the JSON reader only when a policy is written as JSON text
    from iamlint.parsers.jsonpos import JsonError, loads_with_spans

    span = value.span
    if isinstance(value, SourceText):
        line, column, indent = value.line, value.column, value.indent
    else:
        line, column, indent = span.line, span.column + 1, span.column
    try:
        decoded = loads_with_spans(value.value, span.file, line=line, column=column, indent=indent)
    except JsonError as exc:
        return Unknown(f"the policy is not valid JSON: {exc.message} (line {exc.line})", span)
    if not isinstance(value, SourceText) and not _verbatim(value):
        return respan(decoded, span)  # escapes, a function, a join: its lines are not the file's
    return decoded


def _verbatim(value: Known) -> bool:
    """A one-line quoted string without escapes: its text sits in the file as is."""
    span = value.span
    return span.line == span.end_line and span.end_column - span.column == len(value.value) + 2


def to_document(value: Value | None) -> Document | None:
    """A policy attribute's value -> a PolicyDocument, an Unknown (cannot verify) or None."""
    if value is None:
        return None
    if isinstance(value, PartialText):
        return PolicyDocument.from_value(decode_partial(value))
    if isinstance(value, Known):
        inner = value.value
        if inner is None:
            return None
        if isinstance(inner, str):
            if not inner.strip():
                return Unknown("the policy is empty", value.span)
            return PolicyDocument.from_value(decode_json_text(value))
        if isinstance(inner, Encoded):
            if isinstance(inner.data, Known) and isinstance(inner.data.value, str):
                return to_document(inner.data)
            return PolicyDocument.from_value(inner.data)
    return PolicyDocument.from_value(value)
