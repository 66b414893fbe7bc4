"""Syntax errors in a tree-sitter tree, as located messages.

tree-sitter recovers from errors with ERROR nodes (text it could not fit) and MISSING
nodes (a token it assumed, e.g. a ``}`` never written). Each becomes a
:class:`ParseIssue`; a MISSING closer names the construct it closes and where that
construct was opened ("expected '}' to close the block resource "a" "b" opened at
12:3"). The line rules the grammar does not enforce are checked by the converter.
"""

from __future__ import annotations

from iamlint.parsers.terraform.treesitter.errors import ParseIssue

_CLOSERS = frozenset(("}", "]", ")", '"'))
_OPENED = {
    "block": "block",
    "object": "object",
    "tuple": "list",
    "for_tuple_expr": "for expression",
    "for_object_expr": "for expression",
    "function_call": "function call",
    "template_interpolation": "interpolation",
    "quoted_template": "string",
    "string_lit": "string",
    "expression": "parenthesis",
}
_MAX_ISSUES = 20


def issues(root, converter) -> list[ParseIssue]:
    """Every ERROR and MISSING node of the tree, in file order (at most a few)."""
    found: list[ParseIssue] = []
    if root.has_error:
        _errors(root, converter, found)
    for child in root.named_children:
        if child.type == "object":  # tree-sitter-hcl accepts a bare JSON-like object
            line, column = _where(converter, child.start_point)
            found.append(ParseIssue("expected attributes and blocks, found an object", line, column))
    found.sort(key=lambda issue: (issue.line, issue.column))
    return found[:_MAX_ISSUES]


def _errors(root, converter, found: list[ParseIssue]) -> None:
    stack = [root]
    while stack and len(found) < _MAX_ISSUES:
        node = stack.pop()
        if node.is_missing:
            found.append(_missing(node, converter))
        elif node.type == "ERROR":
            found.append(_unexpected(node, converter))
        elif node.has_error:
            stack.extend(reversed(node.children))


def _where(converter, point) -> tuple[int, int]:
    """1-based line and column; a point past the text (tree-sitter's end-of-file
    recovery, or the final newline the parser adds) is the text's end."""
    last_row = len(converter.positions.starts) - 1  # the empty row after the added newline
    if point[0] >= last_row:
        return last_row, 1
    return point[0] + 1, converter.positions.column(point[0], point[1])


def _missing(node, converter) -> ParseIssue:
    token = node.type
    line, column = _where(converter, node.start_point)
    if token in _CLOSERS:
        construct = _enclosing_opened(node, converter)
        if construct is not None:
            kind, (at_line, at_column) = construct
            return ParseIssue(f"expected '{token}' to close the {kind} opened at {at_line}:{at_column}", line, column)
    elif token == "heredoc_identifier":
        heredoc = _ancestor(node, "heredoc_template")
        if heredoc is not None and heredoc.children[1].end_byte > heredoc.children[1].start_byte:
            at_line, at_column = _where(converter, heredoc.start_point)
            return _unclosed_heredoc(heredoc, converter, at_line, at_column)
    elif token == "quoted_template_end":
        string = _ancestor(node, "quoted_template") or _ancestor(node, "string_lit")
        if string is not None:
            at_line, at_column = _where(converter, string.start_point)
            return ParseIssue("this string is never closed: expected '\"' before the end of its line", at_line, at_column)
    elif token == "template_interpolation_end":
        interpolation = _ancestor(node, "template_interpolation")
        if interpolation is not None:
            at_line, at_column = _where(converter, interpolation.start_point)
            return ParseIssue(f"expected '}}' to close the interpolation opened at {at_line}:{at_column}", line, column)
    shown = token.replace("_", " ") if node.is_named else repr(token)
    return ParseIssue(f"expected {shown}", line, column, precise=False)


def _ancestor(node, kind: str):
    parent = node.parent
    while parent is not None and parent.type != kind:
        parent = parent.parent
    return parent


def _enclosing_opened(node, converter):
    """The construct a missing closer belongs to (described), and where it was opened."""
    parent = node.parent
    while parent is not None:
        kind = _OPENED.get(parent.type)
        if kind == "parenthesis" and not (parent.child_count and parent.children[0].type == "("):
            kind = None
        if kind is not None:
            if parent.type == "block":
                return _describe_block(parent, converter), _where(converter, _block_opener(parent))
            return kind, _where(converter, parent.start_point)
        parent = parent.parent
    return None


def _describe_block(block, converter) -> str:
    head = [converter.text(c) for c in block.named_children if c.type in ("identifier", "string_lit")]
    return "block " + " ".join(head) if head else "block"


def _block_opener(block):
    for child in block.children:
        if child.type == "block_start":
            return child.start_point
    return block.start_point


def _unexpected(node, converter) -> ParseIssue:
    missing_value = _missing_value(node, converter)
    if missing_value is not None:
        return missing_value
    leaf = _first_leaf(node)
    line, column = _where(converter, leaf.start_point)
    data = converter.data
    text = data[leaf.start_byte : leaf.end_byte].decode("utf-8", "replace")
    if leaf.start_byte >= len(data.rstrip()):
        return ParseIssue("unexpected end of file", line, column, precise=False)
    shown = text.split("\n", 1)[0][:40]
    if not shown.strip():
        return ParseIssue("syntax error", line, column, precise=False)
    return ParseIssue(f"unexpected {shown!r}", line, column, precise=False)


def _missing_value(node, converter) -> ParseIssue | None:
    """``name =`` with nothing after it on the line: tree-sitter took the next line."""
    parent = node.parent
    children = node.children
    if parent is None or parent.type != "attribute" or not children or children[0].type != "=":
        return None
    following = next((c for c in children[1:] if c.type != "comment"), None)
    if following is None or following.start_point[0] == children[0].end_point[0]:
        return None
    line, column = _where(converter, children[0].end_point)
    name = converter.text(parent.children[0])
    return ParseIssue(f"expected the value of {name!r} after '=' on the same line", line, column)


def _unclosed_heredoc(heredoc, converter, line: int, column: int) -> ParseIssue:
    marker = converter.text(heredoc.children[1])
    return ParseIssue(f"heredoc <<{marker} is never closed: the closing line must hold only "
                      f"{marker!r} (optionally indented, nothing after it)", line, column)


def _first_leaf(node):
    while node.child_count:
        node = node.children[0]
    return node


def deepest(root, converter) -> tuple[int, int]:
    """Line and column of the deepest node (found without recursion)."""
    best, where = -1, (0, 0)
    stack = [(root, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > best:
            best, where = depth, node.start_point
        stack.extend((child, depth + 1) for child in node.named_children)
    return _where(converter, where)
