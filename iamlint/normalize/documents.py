"""Policy values -> policy documents, for every format (JSON text is decoded with spans)."""

from __future__ import annotations

from typing import cast

from iamlint.model.policy import EMPTY, Document, PolicyDocument, Rejected
from iamlint.model.span import Span
from iamlint.model.values import HOLE, MAX_HOLES, Encoded, Known, PartialText, SourceText, Unknown, Value, respan

__all__ = ["HOLE", "MAX_HOLES", "PartialText", "decode_json_text", "decode_partial", "to_document"]


def decode_partial(value: PartialText) -> Value:
    """The JSON in a PartialText: each string holding an unknown part becomes that part's
    Unknown (with the string's span); an object key holding one makes it all Unknown.

    Text that is not JSON is rejected only when its known parts alone make it so: with
    every unknown part read as ``0`` (a JSON value where a value is expected, text
    inside a string) it still fails, away from any unknown part. Otherwise it is the
    Unknown it is (an interpolation may well render valid JSON)."""
    decoded = decode_json_text(SourceText(value.text, value.span, line=value.line, column=value.column,
                                          indent=value.indent))
    if isinstance(decoded, Rejected):
        return _rejected_partial(value) or value
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


def _rejected_partial(value: PartialText) -> Rejected | None:
    """The rejection of a PartialText whose known parts are not JSON, else None."""
    # start-up: the JSON reader only when a policy is written as JSON text
    from iamlint.parsers.jsonpos import JsonError, loads_with_spans

    limit = HOLE + len(value.holes)
    chars = list(value.text)
    runs: list[tuple[int, int]] = []
    index = 0
    while index < len(chars):
        if HOLE <= ord(chars[index]) < limit:
            end = index
            while end < len(chars) and chars[end] == chars[index]:
                end += 1
            chars[index:end] = list("0".ljust(end - index))  # a JSON value, and text inside a string
            runs.append((index, end))
            index = end
        else:
            index += 1
    try:
        loads_with_spans("".join(chars), value.span.file, line=value.line, column=value.column, indent=value.indent)
    except JsonError as exc:
        if any(start <= exc.offset <= end + 1 for start, end in runs):
            return None  # at or just after an unknown part: it may be what renders there
        return _rejection(exc, value.span, exact=value.exact, first_line=value.line)
    return None


def _rejection(exc, span: Span, exact: bool, first_line: int | None = None, text: str | None = None) -> Rejected:
    """A JSON error: at its own position when the text sits in the file as is (or as a
    one-line quoted string with escapes), else at the string, naming the line of the text."""
    if exact:
        where = Span(span.file, exc.line, exc.column, exc.line, exc.column + 1)
        return Rejected.of([(f"the policy is not valid JSON: {exc.message}", where)])
    column = _escaped_column(text, exc.offset, span) if text is not None else None
    if column is not None:
        where = Span(span.file, span.line, column, span.line, column + 1)
        return Rejected.of([(f"the policy is not valid JSON: {exc.message}", where)])
    line = exc.line - (first_line if first_line is not None else span.line) + 1
    return Rejected.of([(f"the policy is not valid JSON: {exc.message} (line {line} of its text)", span)])


def decode_json_text(value: Known) -> Value:
    """A Known string holding JSON -> the decoded Value, spans mapped into the file; text
    that is not JSON is :class:`Rejected` (an input error wherever it is a policy)."""
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
        return _rejection(exc, span, exact=isinstance(value, SourceText) or _verbatim(value), first_line=line,
                          text=value.value)
    if not isinstance(value, SourceText) and not _verbatim(value):
        return respan(decoded, span)  # escapes, a function, a join: its lines are not the file's
    return decoded


_ESCAPED = {'"': 2, "\\": 2, "\n": 2, "\t": 2, "\r": 2}


def _escaped_column(text: str, offset: int, span: Span) -> int | None:
    """The column of ``text[offset]`` in a one-line quoted string whose escapes
    (``\\"``, ``\\\\``, ``\\n``...) are as wide as written; None when the width of the string
    in the file says otherwise (it was built, not written)."""
    if span.line != span.end_line:
        return None
    widths = [_ESCAPED.get(char, 6 if ord(char) < 0x20 else 1) for char in text]
    if sum(widths) != span.end_column - span.column - 2:
        return None
    return span.column + 1 + sum(widths[:offset])


def _verbatim(value: Known) -> bool:
    """A one-line quoted string without escapes: its text sits in the file as is."""
    span = value.span
    return span.line == span.end_line and span.end_column - span.column == len(value.value) + 2


def to_document(value: Value | None) -> Document | None:
    """A policy attribute's value -> a PolicyDocument, an Unknown (cannot verify) or None."""
    if value is None:
        return None
    if isinstance(value, PartialText):
        if value.encoding:  # base64 text is no JSON policy: the Unknown it is
            return Unknown(value.reason, value.span)
        return PolicyDocument.from_value(decode_partial(value))
    if isinstance(value, Known):
        inner = value.value
        if inner is None:
            return None
        if isinstance(inner, str):
            if not inner.strip():
                return Rejected.of([(EMPTY, value.span)])
            return PolicyDocument.from_value(decode_json_text(value))
        if isinstance(inner, Encoded):
            if isinstance(inner.data, Known) and isinstance(inner.data.value, str):
                return to_document(inner.data)
            return PolicyDocument.from_value(inner.data)
    return PolicyDocument.from_value(value)
