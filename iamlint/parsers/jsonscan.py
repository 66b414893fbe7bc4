"""Walking a large JSON text without building spans for all of it.

An account snapshot can be 100 MB, and most of it is never judged (AWS managed
policies and their old versions, tags, last-used dates, network interfaces). This
module walks objects and arrays member by member, skipping each value with the standard
library's C scanner (``json.JSONDecoder.raw_decode``, which returns the value and where
it ends), so the reader can give the span-keeping parser (:mod:`iamlint.parsers.jsonpos`,
pure Python) only the parts it keeps, at their real line and column.

Why not orjson or msgspec: both decode fast but report no offsets, and offsets are what
locating a finding needs; the standard library's scanner reports the end of every value
it decodes, at C speed, and adds no dependency.
"""

from __future__ import annotations

import json
import re
from json.decoder import scanstring  # type: ignore[attr-defined]  # public, not in typeshed
from typing import Any, Callable

from iamlint.model.span import LineCursor, Span
from iamlint.model.values import Known, from_python
from iamlint.parsers.jsonpos import JsonError, read_at

_WS = re.compile(r"[ \t\n\r]*")
# The common shapes in one match each (the rest, and every error, by the careful path):
# a simple property name with what surrounds it up to its value, and what follows a value.
_KEY = re.compile(r'"([^"\\\x00-\x1f]*)"[ \t\n\r]*:[ \t\n\r]*')
_ITEM = re.compile(r'"([^"\\\x00-\x1f]*)"[ \t\n\r]*([,\]])[ \t\n\r]*')  # a plain string element
_AFTER = re.compile(r"[ \t\n\r]*([,}\]])[ \t\n\r]*")
_DECODER = json.JSONDecoder()


class Text:
    """A JSON text, its file name and where its parts are (line and column, for the parts
    kept, by a cursor moving through the text as the reader does)."""

    __slots__ = ("text", "file", "index")

    def __init__(self, text: str, file: str) -> None:
        self.text = text[1:] if text.startswith("\ufeff") else text
        self.file = file
        self.index = LineCursor(self.text)

    def skip(self, pos: int) -> int:
        if self.text[pos : pos + 1] > " ":  # JSON's whitespace is all at or below the space
            return pos
        return _WS.match(self.text, pos).end()  # type: ignore[union-attr]  # the pattern matches the empty string

    def error(self, message: str, pos: int) -> JsonError:
        line, column = self.index.position(pos)
        return JsonError(message, line, column, pos)

    def value(self, pos: int) -> tuple[Any, int]:
        """The plain value at ``pos`` and where it ends (C speed)."""
        try:
            return _DECODER.raw_decode(self.text, pos)  # type: ignore[no-any-return]
        except json.JSONDecodeError as exc:
            raise self.error(exc.msg, exc.pos) from None

    def spanned(self, start: int, end: int) -> Known:
        """The value between ``start`` and ``end`` with the spans of every part."""
        return read_at(self.text, self.file, start, self.index)[0]

    def char(self, pos: int) -> str:
        return self.text[pos : pos + 1]

    def each_member(self, pos: int, visit: Callable[[str, int], int | None]) -> int:
        """Call ``visit(key, start)`` for each member of the object at ``pos``; it returns
        where the member's value ends when it read the value, or None to have it skipped
        (C speed). Returns where the object ends. Each byte is scanned once."""
        text = self.text
        if text[pos : pos + 1] != "{":
            raise self.error("expected an object", pos)
        pos = self.skip(pos + 1)
        if text[pos : pos + 1] == "}":
            return pos + 1
        key_match, after_match, decode = _KEY.match, _AFTER.match, _DECODER.raw_decode
        while True:
            found = key_match(text, pos)
            if found is not None:  # the usual property name: one match up to its value
                key, start = found.group(1), found.end()
            else:
                key, start = self._key(pos)
            end = visit(key, start)
            if end is None:
                try:
                    end = decode(text, start)[1]
                except json.JSONDecodeError as exc:
                    raise self.error(exc.msg, exc.pos) from None
            after = after_match(text, end)
            if after is None or after.group(1) == "]":
                raise self.error("expected ',' or '}'", self.skip(end))
            if after.group(1) == "}":
                return after.start(1) + 1
            pos = after.end()

    def _key(self, pos: int) -> tuple[str, int]:
        """The property name at ``pos`` (any spelling, or the error) and where its value starts."""
        text = self.text
        if text[pos : pos + 1] != '"':
            raise self.error("expected a quoted property name", pos)
        try:
            key, pos = scanstring(text, pos + 1)
        except json.JSONDecodeError as exc:
            raise self.error(exc.msg, exc.pos) from None
        pos = self.skip(pos)
        if text[pos : pos + 1] != ":":
            raise self.error("expected ':'", pos)
        return key, self.skip(pos + 1)

    def each_element(self, pos: int, visit: Callable[[int], int | None]) -> int:
        """Like :meth:`each_member` for the elements of the array at ``pos``."""
        text = self.text
        if text[pos : pos + 1] != "[":
            raise self.error("expected an array", pos)
        pos = self.skip(pos + 1)
        if text[pos : pos + 1] == "]":
            return pos + 1
        after_match, decode = _AFTER.match, _DECODER.raw_decode
        while True:
            end = visit(pos)
            if end is None:
                try:
                    end = decode(text, pos)[1]
                except json.JSONDecodeError as exc:
                    raise self.error(exc.msg, exc.pos) from None
            after = after_match(text, end)
            if after is None or after.group(1) == "}":
                raise self.error("expected ',' or ']'", self.skip(end))
            if after.group(1) == "]":
                return after.start(1) + 1
            pos = after.end()

    def span(self, start: int, end: int) -> Span:
        return self.index.span(self.file, start, end)

    def coarse(self, start: int, end: int, value: Any) -> Known:
        """The plain ``value`` between ``start`` and ``end``, every part at its span (for
        what is never located more finely)."""
        if isinstance(value, (list, dict)):
            return from_python(value, self.span(start, end))
        return Known(value, self.span(start, end))  # from_python's result, without its call

    def items(self, start: int) -> tuple[Known, int]:
        """The value at ``start``; an array with each element at its own span (an
        element's inner parts share its span), anything else with every span."""
        text = self.text
        if text[start : start + 1] != "[":
            _, end = self.value(start)
            return self.spanned(start, end), end
        found: list[Known] = []
        pos = self.skip(start + 1)
        item_match, span = _ITEM.match, self.span
        while True:  # the usual element, a plain string, in one match; the rest element by element
            item = item_match(text, pos)
            if item is None:
                break
            end = item.end(1) + 1
            found.append(Known(item.group(1), span(pos, end)))
            if item.group(2) == "]":
                end = item.start(2) + 1
                return Known(found, span(start, end)), end
            pos = item.end()
        found.clear()

        def element(pos: int) -> int:
            value, end = self.value(pos)
            found.append(self.coarse(pos, end, value))
            return end

        end = self.each_element(start, element)
        return Known(found, self.span(start, end)), end

    def read(self, start: int) -> tuple[Known, int]:
        """The value at ``start`` with every span, and where it ends."""
        value, end = self.value(start)
        if isinstance(value, (dict, list)):
            return self.spanned(start, end), end
        return Known(value, self.span(start, end)), end  # a scalar: its span is all there is
