"""JSON with source spans.

The standard ``json`` module reports no positions, so this small recursive-descent
reader builds :class:`~iamlint.model.values.Value` trees in which every object, array,
key and scalar keeps its span. Strings are decoded by ``json.decoder.scanstring`` (the
C accelerator), numbers by the same regular expression ``json`` uses. It serves JSON
policy text embedded in Terraform strings and heredocs (positions shifted to where the
text sits in its file) and, through :func:`loads_with_spans`, whole JSON files.
"""

from __future__ import annotations

import re
from json.decoder import JSONDecodeError, scanstring  # type: ignore[attr-defined]  # public, not in typeshed

from iamlint.model.span import LineCursor, LineIndex, Span
from iamlint.model.values import Known

MAX_DEPTH = 400
_WS = re.compile(r"[ \t\n\r]*")
_NUMBER = re.compile(r"(-?(?:0|[1-9]\d*))(\.\d+)?([eE][-+]?\d+)?")
_CONSTANTS = {"true": True, "false": False, "null": None}


class JsonError(ValueError):
    """Invalid JSON; ``line`` and ``column`` are positions in the original file."""

    def __init__(self, message: str, line: int, column: int, offset: int = 0) -> None:
        super().__init__(f"{message} at line {line}, column {column}")
        self.message = message
        self.line = line
        self.column = column
        self.offset = offset  # in the text given


class _Reader:
    def __init__(self, text: str, file: str, line: int, column: int, indent: int,
                 index: LineIndex | LineCursor | None = None) -> None:
        self.text = text
        self.file = file
        self.index = LineIndex(text) if index is None else index
        self.base_line = line
        self.base_column = column
        self.indent = indent
        self.duplicates: list[tuple[str, Span]] = []

    def position(self, offset: int) -> tuple[int, int]:
        line, column = self.index.position(offset)
        shift = self.base_column - 1 if line == 1 else self.indent
        return line + self.base_line - 1, column + shift

    def span(self, start: int, end: int) -> Span:
        line, column = self.position(start)
        end_line, end_column = self.position(end)
        return Span(self.file, line, column, end_line, end_column)

    def error(self, message: str, offset: int) -> JsonError:
        line, column = self.position(offset)
        if message.startswith("unexpected character") and self.text[offset : offset + 1] in ("]", "}"):
            before = self.text[:offset].rstrip()
            if before.endswith(","):  # the usual mistake, named
                message = f"a trailing comma before {self.text[offset]!r}"
        return JsonError(message, line, column, offset)

    def skip(self, pos: int) -> int:
        return _WS.match(self.text, pos).end()  # type: ignore[union-attr]

    def value(self, pos: int, depth: int) -> tuple[Known, int]:
        if depth > MAX_DEPTH:
            raise self.error("JSON nested too deeply", pos)
        text = self.text
        char = text[pos : pos + 1]
        if char == "{":
            return self.obj(pos, depth)
        if char == "[":
            return self.array(pos, depth)
        if char == '"':
            return self.string(pos)
        for word, constant in _CONSTANTS.items():
            if text.startswith(word, pos):
                end = pos + len(word)
                return Known(constant, self.span(pos, end)), end
        match = _NUMBER.match(text, pos)
        if match and match.end() > pos:
            integer, frac, exp = match.groups()
            number = float(integer + (frac or "") + (exp or "")) if frac or exp else int(integer)
            return Known(number, self.span(pos, match.end())), match.end()
        if not char:
            raise self.error("unexpected end of JSON", pos)
        raise self.error(f"unexpected character {char!r}", pos)

    def string(self, pos: int) -> tuple[Known, int]:
        try:
            decoded, end = scanstring(self.text, pos + 1, True)
        except JSONDecodeError as exc:
            raise self.error(exc.msg, exc.pos) from None
        return Known(decoded, self.span(pos, end)), end

    def obj(self, start: int, depth: int) -> tuple[Known, int]:
        items: dict = {}
        text = self.text
        pos = self.skip(start + 1)
        if text[pos : pos + 1] == "}":
            return Known(items, self.span(start, pos + 1)), pos + 1
        while True:
            if text[pos : pos + 1] != '"':
                if text[pos : pos + 1] == "}" and text[:pos].rstrip().endswith(","):
                    raise self.error("unexpected character '}'", pos)  # named as a trailing comma
                raise self.error("expected a quoted property name", pos)
            key, pos = self.string(pos)
            pos = self.skip(pos)
            if text[pos : pos + 1] != ":":
                raise self.error("expected ':'", pos)
            value, pos = self.value(self.skip(pos + 1), depth + 1)
            if key.value in items:
                self.duplicates.append((key.value, key.span))
            items[key.value] = value
            pos = self.skip(pos)
            char = text[pos : pos + 1]
            if char == "}":
                return Known(items, self.span(start, pos + 1)), pos + 1
            if char != ",":
                raise self.error("expected ',' or '}'", pos)
            pos = self.skip(pos + 1)

    def array(self, start: int, depth: int) -> tuple[Known, int]:
        items: list = []
        text = self.text
        pos = self.skip(start + 1)
        if text[pos : pos + 1] == "]":
            return Known(items, self.span(start, pos + 1)), pos + 1
        while True:
            value, pos = self.value(pos, depth + 1)
            items.append(value)
            pos = self.skip(pos)
            char = text[pos : pos + 1]
            if char == "]":
                return Known(items, self.span(start, pos + 1)), pos + 1
            if char != ",":
                raise self.error("expected ',' or ']'", pos)
            pos = self.skip(pos + 1)


def loads_with_spans(
    text: str, file: str, line: int = 1, column: int = 1, indent: int = 0
) -> Known:
    """Parse JSON ``text`` found in ``file`` at (line, column); later lines are shifted
    right by ``indent`` columns (for indented heredocs). Raises :class:`JsonError`."""
    value, _ = parse_document(text, file, line, column, indent)
    return value


def parse_document(
    text: str, file: str, line: int = 1, column: int = 1, indent: int = 0
) -> tuple[Known, list[tuple[str, Span]]]:
    """Like :func:`loads_with_spans`, also returning duplicate keys (name, span)."""
    if text.startswith("\ufeff"):
        text = " " + text[1:]
    reader = _Reader(text, file, line, column, indent)
    pos = reader.skip(0)
    value, pos = reader.value(pos, 0)
    pos = reader.skip(pos)
    if pos != len(text):
        raise reader.error("extra data after the JSON value", pos)
    return value, reader.duplicates


def read_at(text: str, file: str, start: int, index: LineIndex | LineCursor) -> tuple[Known, int]:
    """The JSON value at offset ``start`` of a whole file's ``text`` (whose positions
    ``index`` gives: one for the file, not one per value), with every span, and where it
    ends. Raises :class:`JsonError`."""
    return _Reader(text, file, 1, 1, 0, index).value(start, 0)
