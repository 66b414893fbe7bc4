"""HCL template text (a heredoc body, a ``templatefile`` file, a .tf.json string) ->
literal parts, ``${...}`` interpolations and ``%{ if }`` / ``%{ for }`` directives.

One scanner for both parser routes: interpolations are expressions, and the expression
parser is passed in (by :mod:`iamlint.parsers.terraform.hcl` or the tree-sitter route,
which also parse heredocs inside expressions). Errors are ``HclSyntaxError``, or
whatever the expression parser raises (a subclass of it).
"""

from __future__ import annotations

import re
from typing import Any, Callable

from iamlint.model.span import Span
from iamlint.parsers.terraform import syntax as s
from iamlint.parsers.terraform.errors import HclSyntaxError

ExpressionParser = Callable[[str, str, int, int], s.Expr]
"""(text, path, line, column) -> the expression written at (line, column) of path."""

_INTERP = re.compile(r"(\$\$\{|%%\{|\$\{|%\{)")
_FOR_HEAD = re.compile(r"for\s+([A-Za-z_][\w-]*)\s*(?:,\s*([A-Za-z_][\w-]*)\s*)?in\s+(.*)", re.S)


def parse_template(content: str, path: str, line: int, column: int, indent: int, span: Span | None,
                   expression: ExpressionParser) -> s.Template:
    """Parse template text (a heredoc body, a ``templatefile`` file) found at (line,
    column) of ``path``; every line after the first is shifted right by ``column - 1``
    (heredocs trimmed by ``<<-``). Raises :class:`HclSyntaxError` with a line."""
    if span is None:
        span = Span(path, line, column, line + content.count("\n"), 1)
    if "${" not in content and "%{" not in content:
        return s.Template([content], span, heredoc=True)
    stack: list[tuple[Any, list]] = [(None, [])]
    pos = 0
    text_start = 0
    strip_next = False

    def where(offset: int) -> tuple[int, int]:
        before = content.count("\n", 0, offset)
        line_start = content.rfind("\n", 0, offset) + 1
        return line + before, offset - line_start + column

    def literal(text: str) -> None:
        nonlocal strip_next
        if strip_next:
            text = text.lstrip()
            strip_next = False
        if text:
            stack[-1][1].append(text)

    while True:
        match = _INTERP.search(content, pos)
        if match is None:
            break
        marker = match.group(1)
        if marker in ("$${", "%%{"):
            literal(content[text_start : match.start()] + marker[1:])
            pos = text_start = match.end()
            continue
        end = _closing_brace(content, match.end())
        if end < 0:
            at_line, at_column = where(match.start())
            raise HclSyntaxError(f"unterminated {marker}...}} in template", at_line, at_column)
        inner_start, inner_end = match.end(), end
        before_text = content[text_start : match.start()]
        if content.startswith("~", inner_start):
            before_text = before_text.rstrip()
            inner_start += 1
        strip_after = inner_end > inner_start and content[inner_end - 1] == "~"
        if strip_after:
            inner_end -= 1
        literal(before_text)
        inner = content[inner_start:inner_end]
        at_line, at_column = where(inner_start)
        if marker == "${":
            stack[-1][1].append(expression(inner, path, at_line, at_column))
        else:
            _directive_text(inner.strip(), stack, path, at_line, at_column, span, expression)
        strip_next = strip_after
        pos = text_start = end + 1
    literal(content[text_start:])
    if len(stack) != 1:
        raise HclSyntaxError("a template %{ if } or %{ for } is never closed", stack[-1][0][-1], column)
    return s.Template(stack[0][1], span, heredoc=True)


def _directive_text(text: str, stack: list, path: str, line: int, column: int, span: Span,
                    expression: ExpressionParser) -> None:
    word = text.split(None, 1)[0] if text else ""
    if word == "if":
        cond = expression(text[2:], path, line, column + 2)
        stack.append((("if", cond, line), []))
    elif word == "else":
        if len(stack) < 2 or stack[-1][0][0] != "if":
            raise HclSyntaxError("%{ else } without %{ if }", line, column)
        opener, parts = stack.pop()
        stack.append((("else", opener, parts, line), []))
    elif word == "endif":
        if len(stack) < 2 or stack[-1][0][0] not in ("if", "else"):
            raise HclSyntaxError("%{ endif } without %{ if }", line, column)
        opener, parts = stack.pop()
        if opener[0] == "else":
            node: s.Expr = s.TemplateIf(opener[1][1], s.Template(opener[2], span), s.Template(parts, span), span)
        else:
            node = s.TemplateIf(opener[1], s.Template(parts, span), None, span)
        stack[-1][1].append(node)
    elif word == "for":
        head = _FOR_HEAD.fullmatch(text)
        if head is None:
            raise HclSyntaxError("malformed %{ for } directive", line, column)
        first, second, collection = head.groups()
        offset = text.index(collection)
        expr = expression(collection, path, line, column + offset)
        key_var, value_var = (first, second) if second else (None, first)
        stack.append((("for", key_var, value_var, expr, line), []))
    elif word == "endfor":
        if len(stack) < 2 or stack[-1][0][0] != "for":
            raise HclSyntaxError("%{ endfor } without %{ for }", line, column)
        opener, parts = stack.pop()
        stack[-1][1].append(s.TemplateFor(opener[1], opener[2], opener[3], s.Template(parts, span), span))
    else:
        raise HclSyntaxError(f"unknown template directive {word!r}", line, column)


def _closing_brace(text: str, pos: int) -> int:
    depth = 0
    quote = False
    while pos < len(text):
        char = text[pos]
        if quote:
            if char == "\\":
                pos += 1
            elif char == '"':
                quote = False
        elif char == '"':
            quote = True
        elif char == "{":
            depth += 1
        elif char == "}":
            if depth == 0:
                return pos
            depth -= 1
        pos += 1
    return -1
