"""Quoted strings, template directives and heredocs of the tree-sitter route.

A mixin of :class:`~iamlint.parsers.terraform.treesitter.convert.Converter`: literal
text is taken from the source between interpolations (tree-sitter skips blanks),
``$${`` / ``%%{`` escapes are separate parts (as lark's tokens make them), strip markers
in quoted strings are ignored and directive Templates carry the whole string's span,
like the lark route; a heredoc ends at column 1 of the line after its marker and its
body is read by :mod:`iamlint.parsers.terraform.templates` (the scanner both routes share).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Callable

from iamlint.model.span import Span
from iamlint.parsers.terraform import syntax as s
from iamlint.parsers.terraform.errors import HclSyntaxError
from iamlint.parsers.terraform.templates import parse_template

Point = tuple[int, int]  # 0-based row, byte column
Result = tuple[s.Expr, Point]  # an expression and where lark's span of it ends

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}
_ESCAPE = re.compile(r'\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)', re.S)
_ESCAPED_MARKER = re.compile(r"\$\$\{[^}]*\}|%%\{[^}]*\}")
_ESCAPE_BYTE = {"template_interpolation": ord("$"), "template_directive": ord("%")}
_SKIPPED = frozenset(("template_literal", "comment", "strip_marker"))


def unescape(text: str) -> str:
    if "\\" not in text:
        return text

    def replace(match: re.Match) -> str:
        code = match.group(1)
        if code[0] in "uU" and len(code) > 1:
            return chr(int(code[1:], 16))
        return _ESCAPES.get(code, "\\" + code)

    return _ESCAPE.sub(replace, text)


class StringConversion:
    """Strings and heredocs (uses the converter's ``expression``, ``span``, ``data``)."""

    if TYPE_CHECKING:  # what the Converter this is mixed into provides
        path: str
        data: bytes
        strings: list[tuple[int, int]]
        heredoc_rows: dict[int, int]
        parse_expression: Callable[[str, str, int, int], s.Expr]

        def span(self, start: Point, end: Point) -> Span: ...
        def node_span(self, node: Any) -> Span: ...
        def text(self, node: Any) -> str: ...
        def decoded(self, start: int, end: int) -> str: ...
        def expression(self, node: Any) -> Result: ...

    def template_expr(self, node) -> Result:
        inner = node.children[0]
        if inner.type == "heredoc_template":
            return self.heredoc(inner)
        return self.quoted(inner)

    def quoted(self, node) -> Result:
        self.strings.append((node.start_byte, node.end_byte))
        span = self.node_span(node)
        children = node.children
        parts = self.parts(children[1:-1], children[0].end_byte, children[-1].start_byte, span)
        return s.Template(parts, span), node.end_point

    def parts(self, children, pos: int, stop: int, span: Span) -> list:
        """Literal text (from the source), interpolations and directives of a quoted string."""
        parts: list[Any] = []
        data = self.data
        for child in children:
            kind = child.type
            if kind in _SKIPPED:
                continue
            if child.start_byte > pos and data[child.start_byte - 1] == _ESCAPE_BYTE.get(kind):
                continue  # `$${` / `%%{` is an escape (tree-sitter-hcl reads `$$` + `${`)
            self.literal(pos, child.start_byte, parts)
            if kind == "template_interpolation":
                expression = next(c for c in child.named_children if c.type == "expression")
                parts.append(self.expression(expression)[0])
            elif kind == "template_directive":
                parts.append(self.directive(child.children[0], span))
            pos = child.end_byte
        self.literal(pos, stop, parts)
        return parts

    def literal(self, start: int, stop: int, parts: list) -> None:
        if stop <= start:
            return
        raw = self.decoded(start, stop)
        if "$${" not in raw and "%%{" not in raw:  # the common case: no escaped marker
            parts.append(unescape(raw))
            return
        pos = 0
        for match in _ESCAPED_MARKER.finditer(raw):
            if match.start() > pos:
                parts.append(unescape(raw[pos : match.start()]))
            parts.append(match.group()[1:])
            pos = match.end()
        if pos < len(raw):
            parts.append(unescape(raw[pos:]))

    def directive(self, node, span: Span) -> s.Expr:
        children = node.children
        opener = children[0]
        if node.type == "template_for":
            names = [self.text(c) for c in opener.named_children if c.type == "identifier"]
            collection = self.expression(next(c for c in opener.named_children if c.type == "expression"))[0]
            body = self.parts(children[1:-1], opener.end_byte, children[-1].start_byte, span)
            key_var, value_var = (names[0], names[1]) if len(names) == 2 else (None, names[0])
            return s.TemplateFor(key_var, value_var, collection, s.Template(body, span), span)
        cond = self.expression(next(c for c in opener.named_children if c.type == "expression"))[0]
        split = next((i for i, c in enumerate(children) if c.type == "template_else_intro"), None)
        if split is None:
            then = self.parts(children[1:-1], opener.end_byte, children[-1].start_byte, span)
            return s.TemplateIf(cond, s.Template(then, span), None, span)
        middle = children[split]
        then = self.parts(children[1:split], opener.end_byte, middle.start_byte, span)
        otherwise = self.parts(children[split + 1 : -1], middle.end_byte, children[-1].start_byte, span)
        return s.TemplateIf(cond, s.Template(then, span), s.Template(otherwise, span), span)

    def heredoc(self, node) -> Result:
        data = self.data
        children = node.children
        closer = children[-1]
        self.strings.append((node.start_byte, node.end_byte))
        row, last_row = node.start_point[0], closer.end_point[0]
        self.heredoc_rows[row] = max(last_row, self.heredoc_rows.get(row, row))
        trim = children[0].type == "heredoc_start" and self.text(children[0]) == "<<-"
        opener_end = data.index(b"\n", node.start_byte)
        closer_line = data.rfind(b"\n", 0, closer.start_byte) + 1
        closer_end = data.find(b"\n", closer.end_byte)
        content = data[opener_end + 1 : closer_line].decode("utf-8", "replace") if closer_line > opener_end else ""
        lines = content.split("\n")[:-1] if content else []
        indent = 0
        if trim:
            widths = [len(line) - len(line.lstrip(" \t")) for line in lines if line.strip()]
            indent = min(widths) if widths else 0
            lines = [line[indent:] for line in lines]
        text = "\n".join(lines) + ("\n" if lines else "")
        end = (closer.end_point[0] + 1, 0) if closer_end >= 0 else closer.end_point
        token = self.span(node.start_point, end)
        span = Span(self.path, token.line + 1, 1 + indent, token.end_line, token.end_column)
        try:
            return parse_template(text, self.path, span.line, 1 + indent, indent, span, self.parse_expression), end
        except HclSyntaxError as failure:
            reason = f"cannot parse template: {failure.message}"
            return s.Template([s.Unsupported(reason, span)], span, heredoc=True), end
