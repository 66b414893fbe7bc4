"""A file's comments and the line ranges of its constructs, for suppressions.

A neutral structure (plain frozen records, 1-based lines, character columns with an
exclusive end) that a suppression reader can map to its own shape: a comment
``# iamlint:ignore CODE`` covers the construct that starts on the next line, or the
one it sits in. Ranges are the constructs' real extents (a heredoc attribute ends on
its closing marker's line), not the lark route's spans.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Comment:
    """``text`` as written, markers included (``# x``, ``// x``, ``/* x */``)."""

    text: str
    line: int
    column: int
    end_line: int
    end_column: int


@dataclass(frozen=True, slots=True)
class Construct:
    """A block (``name`` = its type, with ``labels``) or an attribute, and what it holds."""

    kind: str  # "block" or "attribute"
    name: str
    labels: tuple[str, ...]
    line: int
    end_line: int
    children: tuple["Construct", ...] = ()


@dataclass(frozen=True, slots=True)
class Outline:
    comments: tuple[Comment, ...]
    constructs: tuple[Construct, ...]  # the file's top-level blocks and attributes


def outline(text: str) -> Outline:
    """Comments and construct ranges of HCL ``text`` (also of text with syntax errors:
    what tree-sitter recovered)."""
    from iamlint.parsers.terraform.treesitter.runtime import _encode, _parser

    data = _encode(text)
    return outline_of(_parser().parse(data).root_node, data)


def outline_of(root, data: bytes) -> Outline:
    """The outline of an already parsed tree (``data``: the bytes it was parsed from)."""
    from iamlint.parsers.terraform.treesitter.positions import Positions

    return Outline(_comments(root, data, Positions(data)), _constructs(root, data))


@functools.lru_cache(maxsize=1)
def _comment_query():
    import tree_sitter

    from iamlint.parsers.terraform.treesitter.runtime import _language

    return tree_sitter.Query(_language(), "(comment) @comment")


def _comments(root, data: bytes, positions) -> tuple[Comment, ...]:
    import tree_sitter

    captures = tree_sitter.QueryCursor(_comment_query()).captures(root).get("comment", [])
    comments = []
    for node in sorted(captures, key=lambda n: n.start_byte):
        (row, column), (end_row, end_column) = node.start_point, node.end_point
        comments.append(Comment(
            data[node.start_byte : node.end_byte].decode("utf-8", "replace"),
            row + 1, positions.column(row, column), end_row + 1, positions.column(end_row, end_column),
        ))
    return tuple(comments)


def _constructs(node, data: bytes) -> tuple[Construct, ...]:
    body = next((c for c in node.named_children if c.type == "body"), None)
    if body is None:
        return ()
    found = []
    for child in body.named_children:
        if child.type == "attribute":
            found.append(Construct("attribute", _text(child.named_children[0], data), (),
                                   child.start_point[0] + 1, child.end_point[0] + 1))
        elif child.type == "block":
            head = [c for c in child.named_children if c.type in ("identifier", "string_lit")]
            labels = tuple(_label(c, data) for c in head[1:])
            name = _text(head[0], data) if head else ""
            found.append(Construct("block", name, labels, child.start_point[0] + 1, child.end_point[0] + 1,
                                   _constructs(child, data)))
    return tuple(found)


def _text(node, data: bytes) -> str:
    return data[node.start_byte : node.end_byte].decode("utf-8", "replace")


def _label(node, data: bytes) -> str:
    if node.type == "string_lit":
        from iamlint.parsers.terraform.treesitter.strings import unescape

        return unescape(data[node.start_byte + 1 : node.end_byte - 1].decode("utf-8", "replace"))
    return _text(node, data)
