"""Source spans: where in which file a value came from (1-based, end column exclusive)."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, fields
from operator import attrgetter
from typing import Any, TypeVar

T = TypeVar("T", bound=type)


def fast_pickle(cls: T) -> T:
    """Quicker pickling for a frozen slotted dataclass (apply above ``@dataclass``).

    dataclasses pickles such a class through ``fields(self)`` on every object, twice as
    slow as the rest of pickling together: a warm run of 100 modules spent 70 % of its
    cache reads there (spans and values are most of a cached graph). The state is the
    same list of field values; only how it is gathered and set back changes."""
    names = tuple(field.name for field in fields(cls))
    get = attrgetter(*names)
    setters = tuple(getattr(cls, name).__set__ for name in names)

    def __getstate__(self: Any) -> Any:
        return get(self) if len(names) > 1 else (get(self),)

    def __setstate__(self: Any, state: Any) -> None:
        for setter, value in zip(setters, state, strict=True):
            setter(self, value)

    cls.__getstate__ = __getstate__  # type: ignore[attr-defined]
    cls.__setstate__ = __setstate__  # type: ignore[attr-defined]
    return cls


@fast_pickle
@dataclass(frozen=True, slots=True)
class Span:
    """A range in a source file. Lines and columns are 1-based; ``end_column`` is exclusive."""

    file: str
    line: int
    column: int
    end_line: int
    end_column: int

    @classmethod
    def point(cls, file: str, line: int, column: int = 1) -> Span:
        return cls(file, line, column, line, column + 1)

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


class LineIndex:
    """Maps character offsets of a text to 1-based (line, column) pairs."""

    __slots__ = ("starts",)

    def __init__(self, text: str) -> None:
        starts = [0]
        find = text.find
        pos = find("\n")
        while pos != -1:
            starts.append(pos + 1)
            pos = find("\n", pos + 1)
        self.starts = starts

    def position(self, offset: int) -> tuple[int, int]:
        index = bisect_right(self.starts, offset) - 1
        return index + 1, offset - self.starts[index] + 1


class LineCursor:
    """:class:`LineIndex`'s ``position`` for one large text read mostly front to back (an
    account snapshot): no table of line starts (for 120 MB, 2.6 million of them, ~100 MB,
    and a bisection through them per position, cache miss after cache miss) but the last
    position asked, moved by counting the newlines in between at C speed."""

    __slots__ = ("text", "offset", "line")

    def __init__(self, text: str) -> None:
        self.text = text
        self.offset = 0
        self.line = 1  # the line of ``offset``

    def position(self, offset: int) -> tuple[int, int]:
        text = self.text
        if offset >= self.offset:
            line = self.line + text.count("\n", self.offset, offset)
        else:
            line = self.line - text.count("\n", offset, self.offset)
        self.offset, self.line = offset, line
        return line, offset - text.rfind("\n", 0, offset)

    def span(self, file: str, start: int, end: int) -> Span:
        """The span from offset ``start`` to ``end`` (``position`` twice, in one call: this
        is called for every part of a snapshot that is kept)."""
        text, count = self.text, self.text.count
        if start >= self.offset:
            line = self.line + count("\n", self.offset, start)
        else:
            line = self.line - count("\n", start, self.offset)
        end_line = line + count("\n", start, end)
        self.offset, self.line = end, end_line
        return Span(file, line, start - text.rfind("\n", 0, start), end_line, end - text.rfind("\n", 0, end))
