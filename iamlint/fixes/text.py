"""Text as it is edited: positions (1-based line and column, code points) to offsets and
back, edits applied, and a file's bytes rebuilt with its own encoding and byte order mark.

Every span iamlint records is computed on the decoded text without its byte order mark
(:func:`iamlint.sources.decode`), line breaks kept as written (``\\r\\n`` stays), so an
edit's positions mean the same on that text; writing back puts the mark and the
encoding back, and nothing else changes.
"""

from __future__ import annotations

import codecs
from bisect import bisect_right
from typing import Iterable, NamedTuple

from iamlint.model.fixes import Edit
from iamlint.model.span import LineIndex
from iamlint.sources import decode, read_bytes, read_source

_MARKS = (  # UTF-32 first: its little-endian mark starts with UTF-16's (as iamlint.sources)
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


class Positions(LineIndex):
    """Offsets of a text <-> (line, column), lines split at ``\\n`` as spans count them."""

    __slots__ = ("length",)

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.length = len(text)

    def offset(self, line: int, column: int) -> int:
        """The offset of (line, column), clamped to the text."""
        if line < 1:
            return 0
        if line > len(self.starts):
            return self.length
        return min(self.starts[line - 1] + max(column, 1) - 1, self.length)

    def line_start(self, offset: int) -> int:
        return self.starts[bisect_right(self.starts, offset) - 1]

    def line_end(self, offset: int) -> int:
        """The offset just past the line break ending the line of ``offset`` (or the end)."""
        index = bisect_right(self.starts, offset)
        return self.starts[index] if index < len(self.starts) else self.length


def edit(path: str, positions: Positions, start: int, end: int, text: str) -> Edit:
    line, column = positions.position(start)
    end_line, end_column = positions.position(end)
    return Edit(path, line, column, end_line, end_column, text)


def apply(text: str, edits: Iterable[Edit]) -> str:
    """``text`` with ``edits`` (non-overlapping, of one file) applied."""
    positions = Positions(text)
    spans = sorted(((positions.offset(e.line, e.column), positions.offset(e.end_line, e.end_column), e.text) for e in edits),
                   key=lambda item: (item[0], item[1]))
    parts: list[str] = []
    cursor = 0
    for start, end, new in spans:
        if start < cursor:
            raise ValueError("overlapping edits")
        parts += [text[cursor:start], new]
        cursor = end
    parts.append(text[cursor:])
    return "".join(parts)


def newline(text: str) -> str:
    """The line break the text uses (its first one; ``\\n`` when it has none)."""
    end = text.find("\n")
    return "\r\n" if end > 0 and text[end - 1] == "\r" else "\n"


def current_text(path: str) -> str | None:
    """The text of ``path`` as the run sees it (an editor buffer or a fix not yet
    written stands in for the file)."""
    text, _ = read_source(path)
    return text


class Original(NamedTuple):
    """A file's bytes as found on disk: its text (decoded, without the byte order mark),
    the mark and the codec, to write an edited text back the same way."""

    path: str
    data: bytes
    text: str
    mark: bytes
    codec: str

    def encode(self, text: str) -> bytes:
        return self.mark + text.encode(self.codec)


def original(path: str) -> tuple[Original | None, str | None]:
    """The file on disk for writing an edited version back, or why it cannot be."""
    data, error = read_bytes(path)
    if data is None:
        return None, error.message if error else "cannot read"
    text, error = decode(data, path)
    if text is None:
        return None, error.message if error else "cannot decode"
    mark, codec = next(((m, c) for m, c in _MARKS if data.startswith(m)), (b"", "utf-8"))
    return Original(path, data, text, mark, codec), None
