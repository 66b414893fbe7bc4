"""Structural edits on a :class:`~iamlint.fixes.tree.TNode` of a text, each returning
(start, end, new text) offsets: replace a scalar in its own quoting, set or add a key in a
mapping in the mapping's style, remove an entry, replace a list item by several.

The text around the edit is kept byte for byte: a new entry copies the indentation of
its siblings (or its parent's plus the file's indentation step), JSON and flow
mappings get their commas, HCL attributes line up their ``=`` with the attributes just
above, and new lines end with the file's own line break.
"""

from __future__ import annotations

import itertools
import re
from typing import Any, NamedTuple

from iamlint.fixes import render
from iamlint.fixes.text import Positions
from iamlint.fixes.tree import LIST, MAP, SCALAR, Entry, TNode

_SPACE = re.compile(r"[ \t]*")


class Span(NamedTuple):
    start: int
    end: int
    text: str


class Refused(Exception):
    """This place cannot be edited safely; the message says why."""


class Text:
    """A text being edited: its offsets, line break and indentation step."""

    def __init__(self, text: str, nl: str) -> None:
        self.text, self.nl = text, nl
        self.positions = Positions(text)
        self._unit: str | None = None

    def indent_at(self, offset: int) -> str:
        start = self.positions.line_start(offset)
        match = _SPACE.match(self.text, start)
        return match.group() if match else ""

    def column_text(self, offset: int) -> str:
        """The text of the line of ``offset`` before it."""
        return self.text[self.positions.line_start(offset):offset]

    @property
    def unit(self) -> str:
        """The indentation step: a tab, or the smallest step between indented lines (2)."""
        if self._unit is None:
            widths = sorted({len(m.group(1)) for m in re.finditer(r"^( +)\S", self.text, re.M)})
            if re.search(r"^\t", self.text, re.M) and not widths:
                self._unit = "\t"
            else:
                steps = [b - a for a, b in zip([0, *widths], widths, strict=False) if b > a]
                self._unit = " " * (min(steps) if steps and min(steps) <= 8 else 2)
        return self._unit

    def alone_on_lines(self, start: int, end: int) -> tuple[int, int] | None:
        """The whole lines from ``start`` to ``end`` (with the line break), when nothing
        but blanks precedes ``start`` on its line and nothing but blanks or a comment
        follows ``end`` on its line."""
        first = self.positions.line_start(start)
        if self.text[first:start].strip():
            return None
        last = self.positions.line_end(max(end - 1, start))
        rest = self.text[end:last].strip()
        if rest and not rest.startswith(("#", "//")):
            return None
        return first, last


# ------------------------------------------------------------------- scalars and lists

def replace_scalar(text: Text, node: TNode, new: Any) -> Span:
    """``node`` (a scalar written as a literal) rewritten to hold ``new``, in its own quoting."""
    if node.kind != SCALAR or node.tag or node.quote == "|":
        raise Refused("the value is not written as a literal here")
    syntax = _syntax(node)
    if syntax == "yaml":
        written = render.scalar(new, "yaml", node.quote)
    elif isinstance(new, str) and not node.quote and syntax == "hcl":
        written = render.scalar(new, "hcl")
    else:
        written = render.scalar(new, syntax)
    return Span(node.start, node.end, written)


def replace_value(text: Text, node: TNode, new: Any) -> Span:
    """Any value rewritten: a scalar in its quoting, anything else written anew (on one line)."""
    if node.kind == SCALAR and not isinstance(new, (dict, list)):
        return replace_scalar(text, node, new)
    if node.tag:
        raise Refused("the value is computed by an intrinsic function here")
    syntax = _syntax(node)
    if syntax == "yaml" and node.style == "yaml" and isinstance(new, dict) and node.kind == MAP:
        indent = text.indent_at(node.start)
        lines = [render.entry(k, v, "yaml", indent, text.unit, text.nl) for k, v in new.items()]
        return Span(node.start, node.end, (text.nl + indent).join(lines))
    return Span(node.start, node.end, render.inline(new, syntax, node.quote if syntax == "yaml" else '"'))


def replace_item(text: Text, node: TNode, parent: TNode | None, new: tuple[str, ...]) -> Span:
    """The list item ``node`` replaced by the items ``new`` (none: removed); a scalar that
    is not a list item becomes a list."""
    syntax = _syntax(node)
    if node.kind != SCALAR or node.tag:
        raise Refused("the value is not written as a literal here")
    quote = node.quote if syntax == "yaml" else '"'
    if parent is None or parent.kind != LIST:
        if not new:
            raise Refused("removing the only value would leave the statement without actions")
        if len(new) == 1:
            return Span(node.start, node.end, render.scalar(new[0], syntax, quote))
        return Span(node.start, node.end, render.inline(list(new), syntax, quote))
    if not new:
        return _remove_item(text, node, parent)
    written = [render.scalar(item, syntax, quote) for item in new]
    if parent.style == "yaml":  # block sequence: one "- item" line each
        dash = text.column_text(node.start)
        return Span(node.start, node.end, (text.nl + dash).join(written))
    multiline = "\n" in text.text[parent.open:node.start]
    separator = "," + text.nl + text.column_text(node.start) if multiline and not text.column_text(node.start).strip() else ", "
    return Span(node.start, node.end, separator.join(written))


def _remove_item(text: Text, node: TNode, parent: TNode) -> Span:
    index = next(i for i, item in enumerate(parent.items) if item is node)
    if len(parent.items) == 1:
        raise Refused("removing the only value would leave the statement without actions")
    if parent.style == "yaml":
        lines = text.alone_on_lines(text.positions.line_start(node.start), node.end)
        if lines is None:
            raise Refused("the list item shares its line with other text")
        return Span(lines[0], lines[1], "")
    if index + 1 < len(parent.items):
        return Span(node.start, parent.items[index + 1].start, "")
    return Span(parent.items[index - 1].end, node.end, "")


def remove_items(text: Text, nodes: list[TNode], parent: TNode) -> list[Span]:
    """Several items of one list removed: the whole line of each in a YAML block sequence,
    else the items kept rewritten between the first and the last item as they are written,
    with the separator written after the first one."""
    gone = {id(node) for node in nodes}
    kept = [item for item in parent.items if id(item) not in gone]
    if not kept:
        raise Refused("removing every value would leave the statement without actions")
    if parent.style == "yaml":
        spans = []
        for node in nodes:
            lines = text.alone_on_lines(text.positions.line_start(node.start), node.end)
            if lines is None:
                raise Refused("the list item shares its line with other text")
            spans.append(Span(lines[0], lines[1], ""))
        return spans
    first, last = parent.items[0], parent.items[-1]
    if any(mark in _between(parent, text) for mark in ("#", "//", "/*")):
        raise Refused("comments among the list items would be lost")
    separator = text.text[first.end:parent.items[1].start] if len(parent.items) > 1 else ", "
    return [Span(first.start, last.end, separator.join(text.text[item.start:item.end] for item in kept))]


def _between(parent: TNode, text: Text) -> str:
    """The text between the items of a list (where a comment would be)."""
    items = parent.items
    return "".join(text.text[a.end:b.start] for a, b in itertools.pairwise(items))


# ------------------------------------------------------------------- mappings

def set_key(text: Text, mapping: TNode, key: str, new: Any) -> Span:
    """``key`` set to ``new`` in ``mapping``: its value replaced when present, else a new
    entry added after the last one."""
    if mapping.kind != MAP or mapping.tag:
        raise Refused("the value is not written as a mapping here")
    found = mapping.get(key)
    if found is not None:
        return replace_value(text, found.value, new)
    return add_entry(text, mapping, key, new)


def add_entry(text: Text, mapping: TNode, key: str, new: Any) -> Span:
    style = mapping.style
    if style in ("hcl-body", "yaml") or (style in ("json", "hcl") and _multiline(text, mapping)):
        return _add_line(text, mapping, key, new)
    # on one line: {"a": 1} / { a = 1 } / {a: 1}
    if style == "yaml-flow":
        written = f"{render.scalar(key, 'yaml', '')}: {render.inline(new, 'yaml')}"
    elif style == "hcl":
        written = f"{render.hcl_key(key)} = {render.inline(new, 'hcl')}"
    else:
        written = f"{render.scalar(key, 'json')}: {render.inline(new, 'json')}"
    if not mapping.entries:
        pad = " " if style == "hcl" else ""
        return Span(mapping.open + 1, mapping.close, f"{pad}{written}{pad}")
    last = mapping.entries[-1].end
    return Span(last, last, f", {written}")


def _multiline(text: Text, mapping: TNode) -> bool:
    return "\n" in text.text[mapping.open:mapping.close]


def _add_line(text: Text, mapping: TNode, key: str, new: Any) -> Span:
    nl, style = text.nl, mapping.style
    indent = _entry_indent(text, mapping)
    written = render.entry(key, new, style, indent, text.unit, nl, _quote(mapping))
    if style == "hcl-body":
        written = _aligned(text, mapping, key, written)
    if not mapping.entries:
        return _into_empty(text, mapping, indent, written)
    last = mapping.entries[-1]
    if style == "json":
        return Span(last.end, last.end, f",{nl}{indent}{written}")
    if style == "hcl-body" and not isinstance(new, dict):  # an attribute: after the attributes, before nested blocks
        last = next((e for e in reversed(mapping.entries) if e.value.style == "hcl"), last)
    where = text.positions.line_end(last.end - 1)
    if mapping.close >= 0 and where > mapping.close:  # "{ a = 1 }": the bracket closes the last line
        if style == "hcl":
            return Span(last.end, last.end, f", {written}")
        outer = text.indent_at(mapping.open)
        inside = text.text[mapping.open + 1:mapping.close].strip()
        return Span(mapping.open + 1, mapping.close, f"{nl}{indent}{inside}{nl}{indent}{written}{nl}{outer}")
    if style == "hcl" and text.text[last.end:mapping.close].lstrip().startswith(","):
        written += ","  # entries written "a = 1," keep their commas
    prefix = "" if where == 0 or text.text[where - 1] == "\n" else nl
    if isinstance(new, dict) and _blank_between(text, mapping):
        prefix += nl  # entries written apart (resources of a template): this one too
    return Span(where, where, f"{prefix}{indent}{written}{nl}")


def _blank_between(text: Text, mapping: TNode) -> bool:
    """Whether the last two entries of a block mapping are separated by a blank line."""
    if len(mapping.entries) < 2:
        return False
    before, last = mapping.entries[-2], mapping.entries[-1]
    between = text.text[text.positions.line_end(before.end - 1):text.positions.line_start(last.start)]
    return any(not line.strip() for line in between.split("\n")[:-1])


def _entry_indent(text: Text, mapping: TNode) -> str:
    if mapping.entries:
        before = text.column_text(mapping.entries[0].start)
        return before if not before.strip() else " " * len(before)  # "- Key: v": the key's own column
    anchor = mapping.open if mapping.open >= 0 else mapping.start
    return text.indent_at(anchor) + text.unit


def _into_empty(text: Text, mapping: TNode, indent: str, written: str) -> Span:
    """An entry in an empty block or object: ``metadata_options {}``, ``{\n}``."""
    if mapping.close < 0:
        raise Refused("the mapping has no place for a new entry")
    if "\n" in text.text[mapping.open:mapping.close]:
        where = text.positions.line_start(mapping.close)
        return Span(where, where, f"{indent}{written}{text.nl}")
    outer = text.indent_at(mapping.open)
    return Span(mapping.open + 1, mapping.close, f"{text.nl}{indent}{written}{text.nl}{outer}")


def _quote(mapping: TNode) -> str:
    """YAML: the quoting its sibling string values use ('' plain when mixed or none)."""
    quotes = {e.value.quote for e in mapping.entries if e.value.kind == SCALAR and isinstance(e.value.value, str)}
    return quotes.pop() if len(quotes) == 1 and quotes <= {'"', "'"} else ""


def _aligned(text: Text, mapping: TNode, key: str, written: str) -> str:
    """``key = value`` with ``=`` in the column of the attributes right above (terraform fmt)."""
    attributes = [e for e in mapping.entries if e.value.style == "hcl"]
    if not attributes or not written.startswith(f"{key} = ") or attributes[-1] is not mapping.entries[-1]:
        return written
    last = attributes[-1]
    line = text.text[text.positions.line_start(last.start):text.positions.line_end(last.start)]
    equals = line.find("=", len(text.column_text(last.start)) + len(last.key))
    width = equals - len(text.column_text(last.start))
    if equals < 0 or width - 1 <= len(key):
        return written
    return f"{key}{' ' * (width - 1 - len(key))}{written[len(key):]}"


def remove_entry(text: Text, mapping: TNode, entry: Entry) -> Span:
    """An entry removed with its separator (whole lines in block styles)."""
    if mapping.style in ("hcl-body", "yaml") or (mapping.style in ("hcl",) and _multiline(text, mapping)):
        lines = text.alone_on_lines(entry.start, entry.end)
        if lines is None:
            raise Refused(f"{entry.key} shares its line with other text")
        return Span(_blank_before(text, lines[0], entry is mapping.entries[-1]), lines[1], "")
    index = mapping.entries.index(entry)
    if index + 1 < len(mapping.entries):
        return Span(entry.start, mapping.entries[index + 1].start, "")
    if index > 0:
        return Span(mapping.entries[index - 1].end, entry.end, "")
    return Span(entry.start, entry.end, "")


def _blank_before(text: Text, start: int, last: bool) -> int:
    """``start``, or the start of the blank line before it when the removed entry was the
    last one (no blank line left before the closing bracket)."""
    if not last or start == 0:
        return start
    before = text.positions.line_start(start - 1)
    return before if not text.text[before:start].strip() and before > 0 else start


def _syntax(node: TNode) -> str:
    return "yaml" if node.style.startswith("yaml") else ("hcl" if node.style.startswith("hcl") else "json")
