"""A file's :class:`~iamlint.model.units.SourceFacts` from its tree-sitter parse.

The facts suppressions read (comments; the last line of the construct that starts on
each line; the address a line declares) come from the same parse as the syntax tree, so
a file is parsed once: the converter records where every string and heredoc it
converted lies (:attr:`Converter.strings`, :attr:`Converter.heredoc_rows`); with them
blanked out, whatever ``#``, ``//`` or ``/*`` is left starts a comment and whatever
bracket is left counts. The definitions are the text scanner's
(:mod:`iamlint.parsers.terraform.facts`, which serves the python-hcl2 route and text
tree-sitter cannot parse cleanly): a construct starting on line *n* ends on the first
line whose end closes every bracket opened from the start of line *n*; a heredoc opened
on a line extends that line to its closing marker; a line starting with a comment
starts no construct; nothing after a multi-line block comment on its last line is read.
tests/test_treesitter_facts.py compares both on every .tf file of fixtures/ and the
corpus; they differ only where the scanner, which sees one line at a time, misreads a
string that spans lines. The byte work (blanking, counting brackets) is done by
``bytes`` methods in C; Python walks the lines once.
"""

from __future__ import annotations

import re

from iamlint.model.units import Comment, SourceFacts
from iamlint.parsers.terraform.facts import declared_name

_BLANK = bytes(10 if byte == 10 else 32 for byte in range(256))  # every byte -> space, newlines kept
_NOT_BRACKETS = bytes(byte for byte in range(256) if byte not in b"{}[]()\n")
_CLOSERS = b"}])"
_COMMENT = re.compile(rb"#[^\n]*|//[^\n]*|/\*.*?(?:\*/|\Z)", re.S)
_NOT_A_CONSTRUCT = ("#", "//", "/*")
_DECLARING = ("resource", "data", "module")


def tree_facts(data: bytes, text: str, path: str, strings: list[tuple[int, int]],
               heredoc_rows: dict[int, int]) -> SourceFacts:
    """The facts of ``text`` (without BOM; ``data``: its UTF-8 encoding as parsed),
    shown as ``path``, given the byte ranges of its strings and heredocs and the rows
    its heredocs span (first -> last)."""
    masked = bytearray(data)
    for start, end in strings:
        masked[start:end] = data[start:end].translate(_BLANK)
    lines = text.split("\n")  # rows as tree-sitter counts them (a final newline ends the last)
    if not lines[-1]:
        lines.pop()
    comments, block_rows = _comments(masked, data, lines)
    net = [0] * (len(lines) + 1)
    for row, brackets in enumerate(bytes(masked).translate(None, _NOT_BRACKETS).split(b"\n")):
        if brackets:
            net[row] = len(brackets) - 2 * (len(brackets) - len(brackets.translate(None, _CLOSERS)))
    ends, names = _constructs(lines, net, heredoc_rows, block_rows)
    return SourceFacts(path, tuple(comments), tuple(ends), tuple(names))


def _comments(masked: bytearray, data: bytes, lines: list[str]) -> tuple[list[Comment], dict[int, int]]:
    """The comments of the masked text (then blanked in it too), and the last row of
    each block comment that spans rows, by its first row."""
    comments: list[Comment] = []
    block_rows: dict[int, int] = {}
    row, counted = 0, 0  # the row of offset ``counted``
    skip_from = skip_to = -1  # after a multi-line block comment: the rest of its last row
    blanks: list[tuple[int, int]] = []
    for match in _COMMENT.finditer(bytes(masked)):
        start, end = match.span()
        if skip_from <= start < skip_to:
            continue
        row += data.count(b"\n", counted, start)
        counted = start
        line_start = data.rfind(b"\n", 0, start) + 1
        prefix = data[line_start:start]
        column = len(prefix.decode("utf-8", "replace")) + 1 if not prefix.isascii() else len(prefix) + 1
        raw = match.group().decode("utf-8", "replace")
        text = raw.split("\n", 1)[0].rstrip("\r")
        comments.append(Comment(row + 1, column, text, not lines[row][: column - 1].strip()))
        blanks.append((start, end))
        rows = raw.count("\n")
        if rows:
            block_rows[row] = row + rows
            skip_from, skip_to = end, data.find(b"\n", end)
            if skip_to < 0:
                skip_to = len(data)
            blanks.append((skip_from, skip_to))
    for start, end in blanks:
        masked[start:end] = masked[start:end].translate(_BLANK)
    return comments, block_rows


def _constructs(lines: list[str], net: list[int], heredoc_rows: dict[int, int], block_rows: dict[int, int]):
    count = len(lines)
    ends = [0] * count
    names: list[tuple[int, str]] = []
    opened: list[tuple[int, int]] = []  # (row, depth at its start), depths increasing
    jumps = {**block_rows, **heredoc_rows}  # a row whose reading ends on a later row (heredoc first)
    depth = 0
    row = 0
    while row < count:
        stripped = lines[row].lstrip()
        if not stripped:
            row += 1
            continue
        change = net[row]
        last = jumps.get(row, row) if jumps else row
        if stripped.startswith(_NOT_A_CONSTRUCT):
            if not change and last == row:
                row += 1
                continue
        else:
            if stripped.startswith(_DECLARING):
                name = declared_name(lines[row])
                if name is not None:
                    names.append((row + 1, name))
            if not change:  # the common line: it opens and closes its own construct
                ends[row] = last + 1
                row = last + 1
                continue
            opened.append((row, depth))
        depth += change
        while opened and opened[-1][1] >= depth:
            ends[opened.pop()[0]] = last + 1
        row = last + 1
    for start, _ in opened:  # never closed: the construct runs to the end of the file
        ends[start] = count
    return ends, names
