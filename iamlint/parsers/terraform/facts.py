"""Facts of a Terraform HCL file: its comments, the last line of the construct that
starts on each line, and the resource, data source or module call a line declares.

One pass over the text, line by line, that knows HCL's tokens as far as these facts need:
quoted strings (with ``${...}`` / ``%{...}`` holding expressions, strings included), ``#`` / ``//``
line comments, ``/* */`` block comments and heredocs (``<<EOF`` / ``<<-EOF`` up to the
line holding only the marker). A construct starting on line *n* ends on the first line
whose end closes every bracket opened from the start of line *n* (a heredoc opened on
that line extends it to the heredoc's closing line). Cheap and lark-free (~2-7 µs per
line); the result is cached with the unit (:class:`~iamlint.model.units.SourceFacts`).
The tree-sitter route takes the same facts from its parse tree instead
(:mod:`iamlint.parsers.terraform.treesitter.facts`, checked equal to this scan on every
.tf file of fixtures/ and the corpus); this scan serves the python-hcl2 route, ``.tfvars``
files and text tree-sitter cannot parse cleanly.
"""

from __future__ import annotations

import re

from iamlint.model.units import Comment, SourceFacts

_TOKEN = re.compile(r'"|#|//|/\*|<<-?\s*([A-Za-z_][\w-]*)|[(\[{]|[)\]}]')
_STRING_STOP = re.compile(r'[\\"$%]')
_INTERPOLATION_STOP = re.compile(r'["{}]')
_NAMED = re.compile(r'^\s*(?:(resource|data)\s+"([^"]+)"\s+"([^"]+)"|module\s+"([^"]+)")')
_OPENERS = frozenset("([{")


def scan_hcl(text: str, path: str) -> SourceFacts:
    """The :class:`SourceFacts` of HCL ``text`` (shown as ``path``)."""
    scanner = _Scanner(text.splitlines())
    scanner.run()
    return SourceFacts(path, tuple(scanner.comments), tuple(scanner.ends), tuple(scanner.names))


class _Scanner:
    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.ends = [0] * len(lines)
        self.comments: list[Comment] = []
        self.names: list[tuple[int, str]] = []
        self.open: list[tuple[int, int]] = []  # (line index, depth at its start), depths increasing
        self.depth = 0

    def run(self) -> None:
        index, count = 0, len(self.lines)
        while index < count:
            index = self._line(index) + 1
        for start, _ in self.open:  # never closed: the construct runs to the end of the file
            self.ends[start] = count

    def _line(self, index: int) -> int:
        """Scan line ``index``; returns the index of the last line it consumed (a
        heredoc's closing line, the end of a block comment)."""
        line = self.lines[index]
        stripped = line.lstrip()
        if not stripped:
            return index
        if not stripped.startswith(("#", "//", "/*")):
            self.open.append((index, self.depth))
            name = declared_name(line)
            if name is not None:
                self.names.append((index + 1, name))
        heredoc, last = self._tokens(index, line)
        if heredoc is not None:
            last = index + 1
            while last < len(self.lines) and self.lines[last].strip() != heredoc:
                last += 1
        while self.open and self.open[-1][1] >= self.depth:
            self.ends[self.open.pop()[0]] = last + 1
        return last

    def _tokens(self, index: int, line: str) -> tuple[str | None, int]:
        heredoc, position = None, 0
        while True:
            match = _TOKEN.search(line, position)
            if match is None:
                return heredoc, index
            token, start = match.group(), match.start()
            if token == '"':
                position = _string_end(line, match.end())
            elif token in ("#", "//"):
                self._comment(index, start, line[start:])
                return heredoc, index
            elif token == "/*":
                end = line.find("*/", start + 2)
                if end < 0:
                    self._comment(index, start, line[start:])
                    return heredoc, self._block_comment_end(index)
                self._comment(index, start, line[start : end + 2])
                position = end + 2
            elif token.startswith("<<"):
                heredoc, position = match.group(1), match.end()
            else:
                self.depth += 1 if token in _OPENERS else -1
                position = match.end()

    def _comment(self, index: int, start: int, text: str) -> None:
        line = self.lines[index]
        self.comments.append(Comment(index + 1, start + 1, text, not line[:start].strip()))

    def _block_comment_end(self, index: int) -> int:
        """The line where a block comment opened on line ``index`` closes (code after
        its end on that line is not scanned)."""
        last = index + 1
        while last < len(self.lines) and "*/" not in self.lines[last]:
            last += 1
        return min(last, len(self.lines) - 1)


def _string_end(line: str, position: int) -> int:
    """The index after the quote closing a string whose text starts at ``position``
    (``${...}`` / ``%{...}`` may hold strings and braces); the end of the line when it is
    not closed (quoted strings do not span lines)."""
    while True:
        match = _STRING_STOP.search(line, position)
        if match is None:
            return len(line)
        char, at = match.group(), match.start()
        if char == "\\":
            position = at + 2
        elif char == '"':
            return at + 1
        elif line.startswith(char + "{", at + 1):  # $${ or %%{: literal text
            position = at + 3
        elif line.startswith("{", at + 1):  # ${ or %{
            position = _interpolation_end(line, at + 2)
        else:
            position = at + 1


def _interpolation_end(line: str, position: int) -> int:
    """The index after the brace closing an interpolation whose text starts at ``position``."""
    depth = 0
    while True:
        match = _INTERPOLATION_STOP.search(line, position)
        if match is None:
            return len(line)
        char, at = match.group(), match.start()
        if char == '"':
            position = _string_end(line, at + 1)
            continue
        if char == "}" and depth == 0:
            return at + 1
        depth += 1 if char == "{" else -1
        position = at + 1


def declared_name(line: str) -> str | None:
    """The address a line declares (``resource "t" "n"``, ``data "t" "n"``, ``module "m"``
    at its start), else None."""
    match = _NAMED.match(line)
    if match is None:
        return None
    kind, type_, name, module = match.groups()
    if module is not None:
        return f"module.{module}"
    return ("data." if kind == "data" else "") + f"{type_}.{name}"
