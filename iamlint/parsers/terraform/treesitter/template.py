"""Template text (a heredoc body, a ``templatefile`` file) -> :class:`syntax.Template`.

The same algorithm as the lark route's ``hcl.parse_template`` (so both routes give the
same parts and spans), with the expression parser passed in: literal text, ``$${`` /
``%%{`` escapes, ``~`` strip markers, ``${ ... }`` interpolations parsed at their own
(line, column) and ``%{ if }`` / ``%{ for }`` directives.
"""

from __future__ import annotations

import re
from typing import Any, Callable

from iamlint.model.span import Span
from iamlint.parsers.terraform import syntax as s
from iamlint.parsers.terraform.treesitter.errors import ParseFailure

ParseExpression = Callable[[str, str, int, int], s.Expr]

_INTERP = re.compile(r"(\$\$\{|%%\{|\$\{|%\{)")
_FOR_HEAD = re.compile(r"for\s+([A-Za-z_][\w-]*)\s*(?:,\s*([A-Za-z_][\w-]*)\s*)?in\s+(.*)", re.S)


def scan_template(content: str, path: str, line: int, column: int, span: Span | None,
                  parse_expression: ParseExpression) -> s.Template:
    """Parse ``content`` found at (line, column) of ``path``. Raises :class:`ParseFailure`."""
    if span is None:
        span = Span(path, line, column, line + content.count("\n"), 1)
    if "${" not in content and "%{" not in content:
        return s.Template([content], span, heredoc=True)
    stack: list[tuple[Any, list]] = [(None, [])]
    pos = text_start = 0
    strip_next = False

    def where(offset: int) -> tuple[int, int]:
        line_start = content.rfind("\n", 0, offset) + 1
        return line + content.count("\n", 0, offset), offset - line_start + column

    def literal(text: str) -> None:
        nonlocal strip_next
        if strip_next:
            text, strip_next = text.lstrip(), False
        if text:
            stack[-1][1].append(text)

    while (match := _INTERP.search(content, pos)) is not None:
        marker = match.group(1)
        if marker in ("$${", "%%{"):
            literal(content[text_start : match.start()] + marker[1:])
            pos = text_start = match.end()
            continue
        end = closing_brace(content, match.end())
        if end < 0:
            raise ParseFailure(f"unterminated {marker}...}} in template", *where(match.start()))
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
            stack[-1][1].append(parse_expression(inner, path, at_line, at_column))
        else:
            _directive(inner.strip(), stack, path, at_line, at_column, span, parse_expression)
        strip_next = strip_after
        pos = text_start = end + 1
    literal(content[text_start:])
    if len(stack) != 1:
        raise ParseFailure("a template %{ if } or %{ for } is never closed", stack[-1][0][-1], column)
    return s.Template(stack[0][1], span, heredoc=True)


def _directive(text: str, stack: list, path: str, line: int, column: int, span: Span,
               parse_expression: ParseExpression) -> None:
    word = text.split(None, 1)[0] if text else ""
    if word == "if":
        stack.append((("if", parse_expression(text[2:], path, line, column + 2), line), []))
    elif word == "else":
        if len(stack) < 2 or stack[-1][0][0] != "if":
            raise ParseFailure("%{ else } without %{ if }", line, column)
        opener, parts = stack.pop()
        stack.append((("else", opener, parts, line), []))
    elif word == "endif":
        if len(stack) < 2 or stack[-1][0][0] not in ("if", "else"):
            raise ParseFailure("%{ endif } without %{ if }", line, column)
        opener, parts = stack.pop()
        if opener[0] == "else":
            node: s.Expr = s.TemplateIf(opener[1][1], s.Template(opener[2], span), s.Template(parts, span), span)
        else:
            node = s.TemplateIf(opener[1], s.Template(parts, span), None, span)
        stack[-1][1].append(node)
    elif word == "for":
        head = _FOR_HEAD.fullmatch(text)
        if head is None:
            raise ParseFailure("malformed %{ for } directive", line, column)
        first, second, collection = head.groups()
        expr = parse_expression(collection, path, line, column + text.index(collection))
        key_var, value_var = (first, second) if second else (None, first)
        stack.append((("for", key_var, value_var, expr, line), []))
    elif word == "endfor":
        if len(stack) < 2 or stack[-1][0][0] != "for":
            raise ParseFailure("%{ endfor } without %{ for }", line, column)
        opener, parts = stack.pop()
        stack[-1][1].append(s.TemplateFor(opener[1], opener[2], opener[3], s.Template(parts, span), span))
    else:
        raise ParseFailure(f"unknown template directive {word!r}", line, column)


def closing_brace(text: str, pos: int) -> int:
    """Offset of the ``}`` closing an interpolation opened before ``pos`` (-1: none)."""
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
