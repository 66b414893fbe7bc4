"""tree-sitter-hcl's concrete tree -> iamlint's syntax tree, with the lark route's spans.

Every node gets the span ``hcl._Converter`` gives it, including lark's habits (checked
on every .tf file of fixtures/ and the corpus by tests/test_treesitter_equivalence.py):

* a binary operation ends after the newlines and comments that follow it (lark's
  grammar lets ``binary_op`` swallow them), unless the last newline continues the
  expression before an operator; a conditional or an attribute ending with one too;
* a parenthesised expression keeps the span of what is inside the parentheses, while an
  index, attribute or splat applied to it starts at ``(``;
* ``-12`` and ``-1.5`` are one literal, ``-1`` a negation (lark's number tokens);
* strings and heredocs: see :mod:`.strings`.

tree-sitter-hcl parses ``a ? b : c ? d : e`` left-nested; it is rebuilt right-nested
as HCL (and lark) read it. Each method returns the expression and its lark end point
(0-based row, byte column), which differs from the node's end in the cases above.
"""

from __future__ import annotations

import re
from typing import Any, Callable

from iamlint.model.span import Span
from iamlint.parsers.terraform import syntax as s
from iamlint.parsers.terraform.treesitter.errors import ParseIssue
from iamlint.parsers.terraform.treesitter.positions import Positions
from iamlint.parsers.terraform.treesitter.strings import Point, Result, StringConversion, unescape

_BLANKS = re.compile(rb"[ \t\r]*")
_NEWLINE_OR_COMMENT = re.compile(rb"\n[ \t]*|#[^\n]*\n|//[^\n]*\n|/\*.*?\*/", re.S)
# tokens hcl2's post-lexer merges a preceding newline into (a continued expression)
_CONTINUING_OPERATOR = re.compile(rb"==|!=|<|>|\*|/|%|&&|\|\||\+|\?")
_BINARY_OPERATORS = frozenset(("==", "!=", "<", ">", "<=", ">=", "+", "-", "*", "/", "%", "&&", "||"))


class Converter(StringConversion):
    """Converts one parsed text. ``line_shift`` / ``column_shift`` place an expression
    parsed out of context (a heredoc interpolation) where it is in its file, exactly as
    the lark route does (columns of the first line only)."""

    def __init__(self, path: str, data: bytes, parse_expression: Callable[[str, str, int, int], s.Expr],
                 line_shift: int = 0, column_shift: int = 0) -> None:
        self.path = path
        self.data = data
        self.positions = Positions(data)
        self.parse_expression = parse_expression
        self.line_shift = line_shift
        self.column_shift = column_shift
        self.plain = self.positions.ascii and not line_shift and not column_shift
        # ASCII text decoded once: a node's text is then a slice (byte offsets are offsets)
        self.ascii_text = data.decode("ascii") if self.positions.ascii else None
        # HCL's line rules, checked while converting (tree-sitter-hcl does not enforce them)
        self.check_lines = True
        self.issues: list[ParseIssue] = []
        # what the file's facts need (.facts): byte ranges of the strings and heredocs
        # converted, and the row where each heredoc opened -> the row of its closing marker
        self.strings: list[tuple[int, int]] = []
        self.heredoc_rows: dict[int, int] = {}

    # -- spans ---------------------------------------------------------------
    def span(self, start: Point, end: Point) -> Span:
        if self.plain:  # ASCII text at its own place: columns are byte columns
            return Span(self.path, start[0] + 1, start[1] + 1, end[0] + 1, end[1] + 1)
        column = self.positions.column
        line, end_line = start[0] + 1, end[0] + 1
        shift = self.column_shift
        return Span(
            self.path,
            line + self.line_shift,
            column(start[0], start[1]) + (shift if line == 1 else 0),
            end_line + self.line_shift,
            column(end[0], end[1]) + (shift if end_line == 1 else 0),
        )

    def node_span(self, node) -> Span:
        start, end = node.start_point, node.end_point
        if self.plain:
            return Span(self.path, start[0] + 1, start[1] + 1, end[0] + 1, end[1] + 1)
        return self.span(start, end)

    def text(self, node) -> str:
        return self.decoded(node.start_byte, node.end_byte)

    def decoded(self, start: int, end: int) -> str:
        """The text of bytes ``start:end`` (replacement characters for bad UTF-8)."""
        if self.ascii_text is not None:
            return self.ascii_text[start:end]
        return self.data[start:end].decode("utf-8", "replace")

    def _offset(self, point: Point) -> int:
        return self.positions.starts[point[0]] + point[1]

    def _point(self, offset: int) -> Point:
        line, _ = self.positions.point(offset)
        return line - 1, offset - self.positions.starts[line - 1]

    def trailing_trivia(self, end: Point) -> Point:
        """Where lark's ``binary_op`` ends: after the newlines/comments that follow."""
        data = self.data
        pos = self._offset(end)
        ends = []
        while True:
            pos = _BLANKS.match(data, pos).end()  # type: ignore[union-attr]  # `*`: always matches
            match = _NEWLINE_OR_COMMENT.match(data, pos)
            if match is None:
                break
            pos = match.end()
            ends.append(pos)
        if ends and _CONTINUING_OPERATOR.match(data, pos):
            ends.pop()
        return self._point(ends[-1]) if ends else end

    # -- structure -------------------------------------------------------------
    def body(self, node) -> s.Body:
        body = s.Body()
        if node is None:
            return body
        previous_row = -1
        for child in node.named_children:
            kind = child.type
            if kind == "attribute":
                attribute = self.attribute(child)
                body.attributes[attribute.name] = attribute
            elif kind == "block":
                body.blocks.append(self.block(child))
            else:
                continue
            if self.check_lines:
                previous_row = self.own_line(child, previous_row)
        return body

    def own_line(self, child, previous_row: int) -> int:
        """HCL ends an attribute or block at a newline: record one that starts on the row
        where the previous one ended. Returns the row where ``child`` ends."""
        if child.start_point[0] == previous_row:
            self.issue(f"expected a newline before {self.text(child.children[0])!r}: each attribute "
                       f"and block starts on its own line", child.start_point)
        return child.end_point[0]

    def attribute(self, node) -> s.Attribute:
        children = node.children
        name_node, equals, expression = children[0], children[1], children[-1]
        if expression.type != "expression":
            expression = next(c for c in reversed(children) if c.type == "expression")
        if self.check_lines and expression.start_point[0] != equals.end_point[0]:
            self.issue(f"expected the value of {self.text(name_node)!r} after '=' on the same line", equals.end_point)
        expr, end = self.expression(expression)
        return s.Attribute(self.text(name_node), expr, self.span(node.start_point, end))

    def issue(self, message: str, point: Point) -> None:
        self.issues.append(ParseIssue(message, point[0] + 1, self.positions.column(point[0], point[1])))

    def block(self, node) -> s.Block:
        type_ = ""
        labels: list[str] = []
        inner = None
        for index, child in enumerate(node.named_children):
            kind = child.type
            if kind == "body":
                inner = child
            elif kind == "identifier":
                if index == 0:
                    type_ = self.text(child)
                else:
                    labels.append(self.text(child))
            elif kind == "string_lit":
                labels.append(self.label(child))
        return s.Block(type_, labels, self.body(inner), self.node_span(node))

    def label(self, node) -> str:
        """A quoted block label: its text with escapes applied (``$${`` kept as written,
        like the lark route)."""
        self.strings.append((node.start_byte, node.end_byte))
        first, last = node.children[0], node.children[-1]
        return unescape(self.decoded(first.end_byte, last.start_byte))

    # -- expressions -----------------------------------------------------------
    def expression(self, node) -> Result:
        children = node.children
        if len(children) == 1:
            kind = children[0].type
            if kind == "conditional":
                return self.conditional(children[0])
            if kind == "operation":
                return self.operation(children[0])
        return self.term(children)

    def term(self, children) -> Result:
        """A primary (or ``( expression )``) followed by attribute, index and splat steps."""
        first = children[0]
        kind = first.type
        if kind == "comment":
            children = [child for child in children if child.type != "comment"]
            first = children[0]
            kind = first.type
        if kind == "(":
            close = next(i for i, child in enumerate(children) if child.type == ")")
            expr, _ = self.expression(next(c for c in children[1:close] if c.type == "expression"))
            end = children[close].end_point
            rest = children[close + 1 :]
        else:
            handler = _PRIMARIES.get(kind)
            if handler is None:
                expr, end = s.Unsupported(f"unsupported syntax {kind}", self.node_span(first)), first.end_point
            else:
                expr, end = handler(self, first)
            rest = children[1:]
        if not rest:
            return expr, end
        start = first.start_point
        for step in rest:
            kind = step.type
            if kind == "comment":
                continue
            end = step.end_point
            if kind == "get_attr":
                expr = s.GetAttr(expr, self.text(step.named_children[0]), self.span(start, end))
            elif kind == "index":
                expr = s.Index(expr, self.index_key(step.named_children[0]), self.span(start, end))
            elif kind == "splat":
                expr = s.Splat(expr, self.splat_steps(step.named_children[0]), self.span(start, end))
        return expr, end

    def index_key(self, node) -> s.Expr:
        if node.type == "legacy_index":  # x.0
            start = node.start_point
            return s.Literal(int(self.text(node)[1:]), self.span((start[0], start[1] + 1), node.end_point))
        return self.expression(node.named_children[0])[0]

    def splat_steps(self, node) -> list[tuple[str, Any]]:
        steps: list[tuple[str, Any]] = []
        for step in node.named_children:
            if step.type == "get_attr":
                steps.append(("attr", self.text(step.named_children[0])))
            elif step.type == "index":
                steps.append(("index", self.index_key(step.named_children[0])))
        return steps

    def conditional(self, node) -> Result:
        """``a ? b : c ? d : e`` comes left-nested from tree-sitter; HCL nests it right:
        written ``ck ? tk : ok ? ... ? t0 : o0`` is ``ck ? tk : (ok ? ... : (o1 ? t0 : o0))``."""
        chain = []  # (then, otherwise) from the outermost tree-sitter node inwards
        while True:
            cond, then, otherwise = (c for c in node.children if c.type == "expression")
            chain.append((then, otherwise))
            inner = cond.children
            if len(inner) != 1 or inner[0].type != "conditional":
                break
            node = inner[0]
        result, end = self.expression(chain[0][1])
        for index, (then, _) in enumerate(chain):
            condition = cond if index == len(chain) - 1 else chain[index + 1][1]
            result = s.Conditional(self.expression(condition)[0], self.expression(then)[0], result,
                                   self.span(condition.start_point, end))
        return result, end

    def operation(self, node) -> Result:
        inner = node.children[0]
        children = inner.children
        if inner.type == "unary_operation":
            negative = self.negative_number(children)
            if negative is not None:
                return negative, inner.end_point
            operand, end = self.term(children[1:])
            return s.UnaryOp(self.text(children[0]), operand, self.span(inner.start_point, end)), end
        split = next(i for i, c in enumerate(children) if not c.is_named and c.type in _BINARY_OPERATORS)
        left, _ = self.term(children[:split])
        right, right_end = self.term(children[split + 1 :])
        end = self.trailing_trivia(right_end)
        return s.BinaryOp(children[split].type, left, right, self.span(inner.start_point, end)), end

    def negative_number(self, children) -> s.Expr | None:
        """``-12`` and ``-1.5`` are one literal for lark (its number tokens take the sign;
        ``-1`` and ``- 12`` are a negation), the same value either way."""
        if len(children) != 2 or children[0].type != "-" or children[1].type != "literal_value":
            return None
        number = children[1].children[0]
        if number.type != "numeric_lit" or number.start_byte != children[0].end_byte:
            return None
        text = "-" + self.text(number)
        if any(c in text for c in ".eE"):
            return s.Literal(float(text), self.span(children[0].start_point, number.end_point))
        if len(text) > 2:
            return s.Literal(int(text), self.span(children[0].start_point, number.end_point))
        return None

    def literal_value(self, node) -> Result:
        inner = node.children[0]
        kind = inner.type
        if kind == "numeric_lit":
            text = self.text(inner)
            value: Any = float(text) if any(c in text for c in ".eE") else int(text)
            return s.Literal(value, self.node_span(inner)), inner.end_point
        if kind == "bool_lit":
            return s.Literal(inner.children[0].type == "true", self.node_span(inner)), inner.end_point
        if kind == "null_lit":
            return s.Literal(None, self.node_span(inner)), inner.end_point
        return self.quoted(inner)

    def variable_expr(self, node) -> Result:
        return s.Variable(self.text(node), self.node_span(node)), node.end_point

    def collection_value(self, node) -> Result:
        inner = node.children[0]
        return self.tuple(inner) if inner.type == "tuple" else self.object(inner)

    def tuple(self, node) -> Result:
        items = [self.expression(c)[0] for c in node.named_children if c.type == "expression"]
        return s.TupleExpr(items, self.node_span(node)), node.end_point

    def object(self, node) -> Result:
        items = []
        for elem in node.named_children:
            if elem.type != "object_elem":
                continue
            key_node, value_node = elem.child_by_field_name("key"), elem.child_by_field_name("val")
            key, _ = self.expression(key_node)
            if isinstance(key, s.Variable):
                key = s.Literal(key.name, key.span)
            elif isinstance(key, s.Template) and len(key.parts) == 1 and isinstance(key.parts[0], str):
                key = s.Literal(key.parts[0], key.span)
            items.append((key, self.expression(value_node)[0]))
        return s.ObjectExpr(items, self.node_span(node)), node.end_point

    def function_call(self, node) -> Result:
        name = ""
        args: list[s.Expr] = []
        expand = False
        for child in node.named_children:
            if child.type == "identifier":
                name = self.text(child)
            elif child.type == "function_arguments":
                for arg in child.named_children:
                    if arg.type == "expression":
                        args.append(self.expression(arg)[0])
                    elif arg.type == "ellipsis":
                        expand = True
        return s.Call(name, args, expand, self.node_span(node)), node.end_point

    def for_expr(self, node) -> Result:
        inner = node.children[0]
        names: list[str] = []
        collection = None
        bodies = []
        cond = None
        grouping = False
        for child in inner.named_children:
            kind = child.type
            if kind == "for_intro":
                for part in child.named_children:
                    if part.type == "identifier":
                        names.append(self.text(part))
                    elif part.type == "expression":
                        collection = self.expression(part)[0]
            elif kind == "expression":
                bodies.append(self.expression(child)[0])
            elif kind == "for_cond":
                cond = self.expression(child.named_children[-1])[0]
            elif kind == "ellipsis":
                grouping = True
        key_var, value_var = (names[0], names[1]) if len(names) == 2 else (None, names[0])
        span = self.node_span(inner)
        assert collection is not None
        if inner.type == "for_object_expr":
            return s.ForExpr(key_var, value_var, collection, bodies[0], bodies[1], cond, grouping, span), inner.end_point
        return s.ForExpr(key_var, value_var, collection, None, bodies[0], cond, False, span), inner.end_point


# node type -> the Converter method converting it: functions, not bound methods held by
# each converter (a converter referring to itself is a cycle, freed only by a pass of the
# cyclic garbage collector, with its text and positions)
_PRIMARIES: dict[str, Callable[[Converter, Any], Result]] = {
    "literal_value": Converter.literal_value,
    "template_expr": Converter.template_expr,
    "collection_value": Converter.collection_value,
    "variable_expr": Converter.variable_expr,
    "function_call": Converter.function_call,
    "for_expr": Converter.for_expr,
    "operation": Converter.operation,
    "conditional": Converter.conditional,
    "expression": Converter.expression,
    "string_lit": Converter.quoted,
    "quoted_template": Converter.quoted,
    "heredoc_template": Converter.heredoc,
    "tuple": Converter.tuple,
    "object": Converter.object,
}
