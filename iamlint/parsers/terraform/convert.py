"""python-hcl2's lark parse tree -> iamlint's :mod:`syntax` tree, with spans.

We read the lark tree directly (hcl2's typed rule tree is built from the same tree, with
the same positions) and skip hcl2's transform step: that halves the parse cost (see
benchmarks/). Heredoc bodies are templates, which hold expressions: the converter gets
the template parser from :mod:`iamlint.parsers.terraform.hcl`, which wires the two.
"""

from __future__ import annotations

import re
from typing import Any, Callable

from lark import Token, Tree

from iamlint.model.span import Span
from iamlint.parsers.terraform import syntax as s

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}
_ESCAPE = re.compile(r'\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)', re.S)
_SKIP = ("new_line_or_comment",)

TemplateParser = Callable[[str, str, Span, int, int, int], s.Expr]
"""(text, path, span, line, column, indent) -> the template expression of a heredoc."""


class Converter:
    def __init__(self, path: str, template: TemplateParser, line_shift: int = 0, column_shift: int = 0) -> None:
        self.path = path
        self.template = template  # parses a heredoc's text (it may hold expressions: injected, see hcl.py)
        self.line_shift = line_shift
        self.column_shift = column_shift
        self.handlers: dict[str, Callable[[Tree], s.Expr]] = {
            "expr_term": self.expr_term,
            "conditional": self.conditional,
            "binary_op": self.binary_op,
            "unary_op": self.unary_op,
            "float_lit": self.number,
            "int_lit": self.number,
            "literal_value": self.literal_value,
            "string": self.string,
            "template_string": self.template_string,
            "tuple": self.tuple,
            "object": self.object,
            "identifier": self.identifier,
            "function_call": self.function_call,
            "heredoc_template": self.heredoc,
            "heredoc_template_trim": self.heredoc,
            "index_expr_term": self.index_expr,
            "get_attr_expr_term": self.get_attr_expr,
            "attr_splat_expr_term": self.splat_expr,
            "full_splat_expr_term": self.splat_expr,
            "for_tuple_expr": self.for_expr,
            "for_object_expr": self.for_expr,
        }

    # -- spans -------------------------------------------------------------
    def span(self, node: Tree | Token) -> Span:
        line: int  # a Token's positions are typed Optional; lark sets them on every token it lexes
        column: int
        end_line: int
        end_column: int
        if isinstance(node, Token):
            line, column, end_line, end_column = node.line, node.column, node.end_line, node.end_column  # type: ignore[assignment]
        else:
            meta = node.meta
            if meta.empty:
                return Span(self.path, 1 + self.line_shift, 1, 1 + self.line_shift, 1)
            line, column, end_line, end_column = meta.line, meta.column, meta.end_line, meta.end_column
        return Span(
            self.path,
            line + self.line_shift,
            column + (self.column_shift if line == 1 else 0),
            end_line + self.line_shift,
            end_column + (self.column_shift if end_line == 1 else 0),
        )

    # -- structure ---------------------------------------------------------
    def body(self, tree: Tree) -> s.Body:
        body = s.Body()
        for child in tree.children:
            if not isinstance(child, Tree):
                continue
            if child.data == "attribute":
                name = _name(child.children[0])
                body.attributes[name] = s.Attribute(name, self.expr(child.children[-1]), self.span(child))
            elif child.data == "block":
                body.blocks.append(self.block(child))
        return body

    def block(self, tree: Tree) -> s.Block:
        children = [c for c in tree.children if isinstance(c, Tree) and c.data not in _SKIP]
        inner = children[-1]
        head = children[:-1]
        labels = [_string_text(c) if c.data == "string" else _name(c) for c in head[1:]]
        return s.Block(_name(head[0]), labels, self.body(inner), self.span(tree))

    # -- expressions -------------------------------------------------------
    def expr(self, tree: Tree | Token) -> s.Expr:
        if isinstance(tree, Token):
            return s.Unsupported(f"unexpected token {tree.type}", self.span(tree))
        handler = self.handlers.get(tree.data)
        if handler is None:
            return s.Unsupported(f"unsupported syntax {tree.data}", self.span(tree))
        return handler(tree)

    def expr_term(self, tree: Tree) -> s.Expr:
        inner = _trees(tree)
        if len(inner) == 1:
            return self.expr(inner[0])
        return s.Unsupported("empty expression", self.span(tree))

    def conditional(self, tree: Tree) -> s.Expr:
        cond, then, otherwise = _trees(tree)
        return s.Conditional(self.expr(cond), self.expr(then), self.expr(otherwise), self.span(tree))

    def binary_op(self, tree: Tree) -> s.Expr:
        left, term = _trees(tree)[:2]
        operator, right = _trees(term)[:2]
        op = str(operator.children[0]).strip()
        return s.BinaryOp(op, self.expr(left), self.expr(right), self.span(tree))

    def unary_op(self, tree: Tree) -> s.Expr:
        op = str(tree.children[0])
        return s.UnaryOp(op, self.expr(_trees(tree)[0]), self.span(tree))

    def number(self, tree: Tree) -> s.Expr:
        text = str(tree.children[0])
        value: Any = float(text) if any(c in text for c in ".eE") else int(text)
        return s.Literal(value, self.span(tree))

    def literal_value(self, tree: Tree) -> s.Expr:
        return s.Literal({"true": True, "false": False, "null": None}[str(tree.children[0])], self.span(tree))

    def identifier(self, tree: Tree) -> s.Expr:
        return s.Variable(str(tree.children[0]), self.span(tree))

    def string(self, tree: Tree) -> s.Expr:
        parts: list[Any] = []
        for part in tree.children:
            if isinstance(part, Tree) and part.data == "string_part":
                parts.append(part.children[0])
        return self._template(parts, self.span(tree))

    def _template(self, raw: list[Any], span: Span) -> s.Expr:
        """Assemble literal text, interpolations and %{if}/%{for} directives."""
        stack: list[tuple[Any, list]] = [(None, [])]
        for item in raw:
            current = stack[-1][1]
            if isinstance(item, Token):
                text = str(item)
                if item.type == "STRING_CHARS":
                    current.append(unescape(text))
                else:  # $${ and %%{ escapes
                    current.append(text[1:])
                continue
            kind = item.data
            if kind == "interpolation":
                current.append(self.expr(_trees(item)[0]))
            elif kind == "template_if_start":
                stack.append((("if", self.expr(_trees(item)[0]), item), []))
            elif kind == "template_for_start":
                names = [str(t.children[0]) for t in _trees(item) if t.data == "identifier"]
                stack.append((("for", names, self.expr(_trees(item)[-1]), item), []))
            elif kind == "template_else":
                opener, parts = stack.pop()
                stack.append((("else", opener, parts), []))
            elif kind in ("template_endif", "template_endfor") and len(stack) > 1:
                opener, parts = stack.pop()
                stack[-1][1].append(self._directive(opener, parts, span))
        if len(stack) != 1:
            return s.Unsupported("unterminated template directive", span)
        return s.Template(stack[0][1], span)

    def _directive(self, opener: tuple, parts: list, span: Span) -> s.Expr:
        if opener[0] == "else":
            _, first, then_parts = opener
            return s.TemplateIf(first[1], s.Template(then_parts, span), s.Template(parts, span), span)
        if opener[0] == "if":
            return s.TemplateIf(opener[1], s.Template(parts, span), None, span)
        names, collection = opener[1], opener[2]
        key_var, value_var = (names[0], names[1]) if len(names) == 2 else (None, names[0])
        return s.TemplateFor(key_var, value_var, collection, s.Template(parts, span), span)

    def template_string(self, tree: Tree) -> s.Expr:
        text = str(tree.children[0])
        return s.Literal(unescape(text[2:-2]), self.span(tree))

    def tuple(self, tree: Tree) -> s.Expr:
        return s.TupleExpr([self.expr(c) for c in _trees(tree)], self.span(tree))

    def object(self, tree: Tree) -> s.Expr:
        items = []
        for elem in _trees(tree):
            key_tree, value_tree = _trees(elem)[:2]
            key_inner = _trees(key_tree)
            if key_inner and key_inner[0].data != "keyword":
                key = self.expr(key_inner[0])
            else:
                key = s.Literal(str(key_tree.children[0].children[0]) if key_inner else "", self.span(key_tree))
            if isinstance(key, s.Variable):
                key = s.Literal(key.name, key.span)
            elif isinstance(key, s.Template) and len(key.parts) == 1 and isinstance(key.parts[0], str):
                key = s.Literal(key.parts[0], key.span)
            items.append((key, self.expr(value_tree)))
        return s.ObjectExpr(items, self.span(tree))

    def function_call(self, tree: Tree) -> s.Expr:
        names = [str(t.children[0]) for t in _trees(tree) if t.data == "identifier"]
        args_tree = next((t for t in _trees(tree) if t.data == "arguments"), None)
        args: list[s.Expr] = []
        expand = False
        if args_tree is not None:
            args = [self.expr(c) for c in _trees(args_tree)]
            expand = any(isinstance(c, Token) and c.type == "ELLIPSIS" for c in args_tree.children)
        return s.Call("::".join(names), args, expand, self.span(tree))

    def heredoc(self, tree: Tree) -> s.Expr:
        token = tree.children[0]
        text = str(token)
        trim = text.startswith("<<-")
        first_newline = text.index("\n")
        lines = text[first_newline + 1 :].split("\n")
        # the last two items are the closing marker line and the empty tail
        content_lines = lines[:-2] if len(lines) >= 2 else []
        indent = 0
        if trim:
            widths = [len(text) - len(text.lstrip(" \t")) for text in content_lines if text.strip()]
            indent = min(widths) if widths else 0
            content_lines = [text[indent:] for text in content_lines]
        content = "\n".join(content_lines) + ("\n" if content_lines else "")
        token_span = self.span(token)
        span = Span(self.path, token_span.line + 1, 1 + indent, token_span.end_line, token_span.end_column)
        return self.template(content, self.path, span, span.line, 1 + indent, indent)

    def index_expr(self, tree: Tree) -> s.Expr:
        source, index = _trees(tree)[:2]
        return s.Index(self.expr(source), self._index_key(index), self.span(tree))

    def _index_key(self, index: Tree) -> s.Expr:
        if index.data == "short_index":
            token = index.children[-1]
            return s.Literal(int(str(token)), self.span(token))
        return self.expr(_trees(index)[0])

    def get_attr_expr(self, tree: Tree) -> s.Expr:
        source, attr = _trees(tree)[:2]
        return s.GetAttr(self.expr(source), _name(_trees(attr)[0]), self.span(tree))

    def splat_expr(self, tree: Tree) -> s.Expr:
        source, splat = _trees(tree)[:2]
        steps: list[tuple[str, Any]] = []
        for step in _trees(splat):
            if step.data == "get_attr":
                steps.append(("attr", _name(_trees(step)[0])))
            else:
                steps.append(("index", self._index_key(step)))
        return s.Splat(self.expr(source), steps, self.span(tree))

    def for_expr(self, tree: Tree) -> s.Expr:
        parts = _trees(tree)
        intro = parts[0]
        names = [str(t.children[0]) for t in _trees(intro) if t.data == "identifier"]
        collection = self.expr(_trees(intro)[-1])
        key_var, value_var = (names[0], names[1]) if len(names) == 2 else (None, names[0])
        cond_tree = parts[-1] if parts[-1].data == "for_cond" else None
        bodies = [p for p in parts[1:] if p is not cond_tree]
        cond = self.expr(_trees(cond_tree)[0]) if cond_tree is not None else None
        grouping = any(isinstance(c, Token) and c.type == "ELLIPSIS" for c in tree.children)
        if tree.data == "for_object_expr":
            key, value = (self.expr(b) for b in bodies[:2])
            return s.ForExpr(key_var, value_var, collection, key, value, cond, grouping, self.span(tree))
        return s.ForExpr(key_var, value_var, collection, None, self.expr(bodies[0]), cond, False, self.span(tree))


def _trees(tree: Tree) -> list[Tree]:
    return [c for c in tree.children if isinstance(c, Tree) and c.data not in _SKIP]


def _name(tree: Tree) -> str:
    if tree.data == "string":
        return _string_text(tree)
    return str(tree.children[0])


def _string_text(tree: Tree) -> str:
    return "".join(unescape(str(p.children[0])) for p in tree.children if isinstance(p, Tree))


def unescape(text: str) -> str:
    if "\\" not in text:
        return text

    def replace(match: re.Match) -> str:
        code = match.group(1)
        if code[0] in "uU" and len(code) > 1:
            return chr(int(code[1:], 16))
        return _ESCAPES.get(code, "\\" + code)

    return _ESCAPE.sub(replace, text)
