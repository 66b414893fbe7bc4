"""Byte offsets and tree-sitter points -> iamlint's 1-based (line, character column).

tree-sitter counts columns in UTF-8 bytes; iamlint (like lark before it) counts
characters. For ASCII text they are the same and nothing is computed; a line holding
other characters is decoded up to the column.
"""

from __future__ import annotations

from bisect import bisect_right


class Positions:
    """Converts positions in ``data`` (the UTF-8 encoding of the parsed text)."""

    __slots__ = ("data", "ascii", "_starts")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.ascii = data.isascii()
        self._starts: list[int] | None = None

    @property
    def starts(self) -> list[int]:
        """Byte offset where each line starts (computed on first use)."""
        if self._starts is None:
            starts = [0]
            find = self.data.find
            pos = find(b"\n")
            while pos != -1:
                starts.append(pos + 1)
                pos = find(b"\n", pos + 1)
            self._starts = starts
        return self._starts

    def column(self, row: int, byte_column: int) -> int:
        """1-based character column of a 0-based (row, byte column) point."""
        if self.ascii:
            return byte_column + 1
        start = self.starts[row]
        chunk = self.data[start : start + byte_column]
        if chunk.isascii():
            return byte_column + 1
        return len(chunk.decode("utf-8", "replace")) + 1

    def point(self, offset: int) -> tuple[int, int]:
        """1-based (line, character column) of a byte offset."""
        starts = self.starts
        row = bisect_right(starts, offset) - 1
        return row + 1, self.column(row, offset - starts[row])
