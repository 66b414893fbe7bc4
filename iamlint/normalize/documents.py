"""Policy values -> policy documents, for every format (JSON text is decoded with spans)."""

from __future__ import annotations

from iamlint.model.policy import Document, PolicyDocument
from iamlint.model.span import Span
from iamlint.model.values import Encoded, Known, SourceText, Unknown, Value


def decode_json_text(value: Known) -> Value:
    """A Known string holding JSON -> the decoded Value, spans mapped into the file."""
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
    if not isinstance(value, SourceText) and span.line == span.end_line and span.end_column - span.column != len(value.value) + 2:
        return _respan(decoded, span)  # one line, not verbatim (escapes, a function): locate at the value
    return decoded


def _respan(value: Value, span: Span) -> Value:
    """The same value with every span replaced by ``span``."""
    inner = value.value
    if isinstance(inner, list):
        inner = [_respan(item, span) for item in inner]
    elif isinstance(inner, dict):
        inner = {key: _respan(item, span) for key, item in inner.items()}
    return Known(inner, span)


def to_document(value: Value | None) -> Document | None:
    """A policy attribute's value -> a PolicyDocument, an Unknown (cannot verify) or None."""
    if value is None:
        return None
    if isinstance(value, Known):
        inner = value.value
        if inner is None:
            return None
        if isinstance(inner, str):
            if not inner.strip():
                return Unknown("the policy is empty", value.span)
            return PolicyDocument.from_value(decode_json_text(value))
        if isinstance(inner, Encoded):
            return to_document(inner.data) if isinstance(inner.data, Known) and isinstance(inner.data.value, str) else PolicyDocument.from_value(inner.data)
    return PolicyDocument.from_value(value)
