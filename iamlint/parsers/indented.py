"""Facts of indentation-structured text: YAML (CloudFormation templates) and simple
line formats.

PyYAML's events carry no comments, so this is a small scan of the text that knows what
YAML needs to tell a comment from data: ``#`` starts a comment at the start of a line or
after a blank, outside quoted scalars (``'...'`` with ``''``, ``"..."`` with escapes, both
possibly over several lines) and outside the body of a block scalar (``|`` / ``>``).
Constructs follow indentation: one starting on line *n* ends on the last line indented
deeper than *n* before the next line that is not (lines that are blank or start with
``#`` are skipped). Runs once per file while its unit is loaded; the result is cached
with the unit.
"""

from __future__ import annotations

import re

from iamlint.model.units import Comment, SourceFacts

_BLOCK_SCALAR = re.compile(r"(?:^|[\s:\-?])[|>][0-9+\-]*$")
_INDICATOR_END = frozenset("|>+-0123456789")
_AFTER_INDICATOR = (":", "-", "?", "[", "{", ",")
_PROPERTY = re.compile(r"(?:^|\s)[!&]\S*$")  # a tag or an anchor before the scalar
_YAML_STOP = re.compile(r"[#'\"]")
_CLOSING = {"'": re.compile(r"''|'"), '"': re.compile(r'\\.|"')}


def scan_yaml(text: str, path: str) -> SourceFacts:
    """The :class:`SourceFacts` of YAML ``text`` (shown as ``path``)."""
    lines = text.splitlines()
    return SourceFacts(path, tuple(_yaml_comments(lines)), indentation_ends(lines, ("#",)))


def scan_lines(text: str, path: str, markers: tuple[str, ...] = ("#",)) -> SourceFacts:
    """Facts of a plain line format: a comment starts at a marker at the start of a line
    or after a blank (no quoting); constructs follow indentation."""
    lines = text.splitlines()
    comments = []
    for index, line in enumerate(lines):
        found = _first_marker(line, markers)
        if found >= 0:
            comments.append(Comment(index + 1, found + 1, line[found:], not line[:found].strip()))
    return SourceFacts(path, tuple(comments), indentation_ends(lines, markers))


def indentation_ends(lines: list[str], markers: tuple[str, ...]) -> tuple[int, ...]:
    """``ends[i]``: the last line (1-based) of the construct starting on line ``i + 1``,
    by indentation; 0 for blank lines and lines starting with a comment marker."""
    ends = [0] * len(lines)
    starts: list[int] = []  # open constructs: line indexes, and their indents (increasing)
    indents: list[int] = []
    previous = -1
    for index, line in enumerate(lines):
        stripped = line.lstrip()
        if not stripped or stripped.startswith(markers):
            continue
        indent = len(line) - len(stripped)
        while indents and indents[-1] >= indent:
            indents.pop()
            ends[starts.pop()] = previous + 1
        starts.append(index)
        indents.append(indent)
        previous = index
    for index in starts:
        ends[index] = previous + 1
    return tuple(ends)


def _first_marker(line: str, markers: tuple[str, ...]) -> int:
    best = -1
    for marker in markers:
        position = line.find(marker)
        while position > 0 and line[position - 1] not in " \t":
            position = line.find(marker, position + 1)
        if position >= 0 and (best < 0 or position < best):
            best = position
    return best


def _yaml_comments(lines: list[str]) -> list[Comment]:
    comments: list[Comment] = []
    quote: str | None = None  # a quoted scalar still open at the end of the previous line
    block: int | None = None  # indent of the line that opened a block scalar
    for index, line in enumerate(lines):
        if block is not None:
            stripped = line.lstrip()
            if not stripped or len(line) - len(stripped) > block:
                continue  # the block scalar's text
            block = None
        found = -1
        if quote is not None or "#" in line or "'" in line or '"' in line:
            found, quote = _yaml_comment_start(line, quote)
            if found >= 0:
                comments.append(Comment(index + 1, found + 1, line[found:], not line[:found].strip()))
        code = (line[:found] if found >= 0 else line).rstrip()
        if quote is None and code and code[-1] in _INDICATOR_END and _BLOCK_SCALAR.search(code):
            block = len(line) - len(line.lstrip())
    return comments


def _yaml_comment_start(line: str, quote: str | None) -> tuple[int, str | None]:
    """Where a comment starts on ``line`` (-1: none) and the quote still open at its end."""
    position = 0
    while True:
        if quote is not None:
            match = _CLOSING[quote].search(line, position)
            while match is not None and len(match.group()) == 2:  # an escape or ''
                match = _CLOSING[quote].search(line, match.end())
            if match is None:
                return -1, quote
            position, quote = match.end(), None
        match = _YAML_STOP.search(line, position)
        if match is None:
            return -1, None
        at = match.start()
        before = line[at - 1] if at else " "
        if match.group() == "#":
            if before in " \t":
                return at, None
        elif _starts_scalar(line[:at]):
            quote = match.group()
        position = at + 1


def _starts_scalar(head: str) -> bool:
    """Whether a quote after ``head`` opens a quoted scalar (it is the first character of
    a value, a key, a sequence or flow item, maybe after a tag or an anchor) rather than
    sitting inside a plain scalar (``it's``, ``a 'b``)."""
    head = head.rstrip()
    return not head or head.endswith(_AFTER_INDICATOR) or _PROPERTY.search(head) is not None
