"""Evaluate HCL expressions of one module instance into three-valued Values.

What Terraform would know at plan time from the code alone is Known; everything else
(unset variables, data sources read at apply time, computed attributes) is an Unknown
carrying its reason and span. References to resources are Refs, which the graph links
by address (``references.py``).

One :class:`Evaluator` serves one module instance (the root module, or one call of a
child module: a module called twice has two evaluators); the named values it reads
(locals, outputs, data sources, count/for_each instances) are its :class:`Scope`.
Operators are in ``operators.py``, built-in functions in ``functions/``.
"""

from __future__ import annotations

import json
from typing import Any, Callable, cast

from iamlint.model.span import Span
from iamlint.model.values import Encoded, Known, SourceText, Unknown, Value, mark, respan, to_python
from iamlint.normalize.documents import HOLE, MAX_HOLES, PartialText
from iamlint.normalize.terraform import operators
from iamlint.normalize.terraform.config import ModuleConfig
from iamlint.normalize.terraform.functions import FUNCTIONS, LAZY
from iamlint.normalize.terraform.instances import MAX_ITEMS
from iamlint.normalize.terraform.references import apply, flatten, key_text, reference
from iamlint.normalize.terraform.scope import Loader, Scope
from iamlint.parsers.terraform import syntax as s

_HANDLER_NAMES: dict[type, str] = {
    s.Literal: "_literal",
    s.Template: "_template",
    s.TupleExpr: "_tuple",
    s.ObjectExpr: "_object",
    s.Variable: "_variable",
    s.GetAttr: "_traversal",
    s.Index: "_traversal",
    s.Splat: "_splat",
    s.Call: "_call",
    s.Conditional: "_conditional",
    s.BinaryOp: "_binary",
    s.UnaryOp: "_unary",
    s.ForExpr: "_for",
    s.TemplateIf: "_template_if",
    s.TemplateFor: "_template_for",
    s.Unsupported: "_unsupported",
}
_TABLES: dict[type, dict[type, Callable[[Any, Any, dict], Value]]] = {}


def _handlers(cls: type) -> dict[type, Callable[[Any, Any, dict], Value]]:
    """Expression type -> the method of ``cls`` evaluating it (a subclass's overrides
    included), built once per class."""
    table = _TABLES.get(cls)
    if table is None:
        table = _TABLES[cls] = {kind: getattr(cls, name) for kind, name in _HANDLER_NAMES.items()}
    return table


class Evaluator(Scope):
    def __init__(
        self,
        config: ModuleConfig,
        variables: dict[str, Value],
        partition: str = "aws",
        prefix: str = "",
        loader: Loader | None = None,
        stack: tuple[str, ...] = (),
        path: tuple[str, ...] = (),
    ) -> None:
        super().__init__(config, variables, partition, prefix, loader, stack, path)
        # the handler table of this class: functions, not bound methods, so an evaluator
        # holds no reference to itself and is freed as soon as it is dropped (a cycle
        # waited for a pass of the cyclic collector, with everything it held)
        self.handlers = _handlers(type(self))

    def eval(self, expr: s.Expr, env: dict | None = None) -> Value:
        try:
            return self.handlers[type(expr)](self, expr, env or {})
        except RecursionError:
            return Unknown("expression nested too deeply to evaluate", expr.span)

    # -- literals, collections -------------------------------------------------
    def _unsupported(self, expr: s.Unsupported, env: dict) -> Value:
        return Unknown(expr.reason, expr.span)

    def _literal(self, expr: s.Literal, env: dict) -> Value:
        return Known(expr.value, expr.span)

    def _tuple(self, expr: s.TupleExpr, env: dict) -> Value:
        return Known([self.eval(item, env) for item in expr.items], expr.span)

    def _object(self, expr: s.ObjectExpr, env: dict) -> Value:
        result: dict[str, Value] = {}
        for key_expr, value_expr in expr.items:
            key = self.eval(key_expr, env)
            if not isinstance(key, Known) or not isinstance(key.value, (str, int, float, bool)):
                return Unknown("an object key cannot be evaluated", key_expr.span)
            result[key_text(key.value)] = self.eval(value_expr, env)
        return Known(result, expr.span)

    # -- string templates --------------------------------------------------------
    def _template(self, expr: s.Template, env: dict) -> Value:
        parts = expr.parts
        if len(parts) == 1 and isinstance(parts[0], s.Expr) and not expr.heredoc:
            return self.eval(parts[0], env)  # "${x}" keeps x's type
        if expr.static:
            return _static_text(expr)
        pieces: list[str] = []
        holes: list[Unknown] = []
        for part in parts:
            if part.__class__ is str:
                pieces.append(part)  # type: ignore[arg-type]
                continue
            value = self.eval(part, env)  # type: ignore[arg-type]
            inner = value.value if value.__class__ is Known else None
            text = inner if inner.__class__ is str else _as_text(value)
            if isinstance(text, Unknown):
                if len(holes) >= MAX_HOLES:
                    return Unknown(text.reason, expr.span)
                holes.append(text)
                text = chr(HOLE + len(holes) - 1) * _interpolation_width(part)  # type: ignore[arg-type]
            pieces.append(text)  # type: ignore[arg-type]
        if holes:
            return _partial("".join(pieces), holes, expr)
        return Known("".join(pieces), expr.span)

    def _template_if(self, expr: s.TemplateIf, env: dict) -> Value:
        cond = self.eval(expr.cond, env)
        if not isinstance(cond, Known) or not isinstance(cond.value, bool):
            reason = cond.reason if isinstance(cond, Unknown) else "it is not a boolean"
            return Unknown(f"a template %{{ if }} condition cannot be decided ({reason})", expr.span)
        if cond.value:
            return self.eval(expr.then, env)
        return self.eval(expr.otherwise, env) if expr.otherwise else Known("", expr.span)

    def _template_for(self, expr: s.TemplateFor, env: dict) -> Value:
        collection = self.eval(expr.collection, env)
        if isinstance(collection, Unknown):
            return Unknown(f"a template %{{ for }} collection is unknown ({collection.reason})", expr.span)
        pieces = []
        for key, item in _iterate(collection):
            scope = dict(env)
            scope[expr.value_var] = item
            if expr.key_var:
                scope[expr.key_var] = key
            text = _as_text(self.eval(expr.body, scope))
            if isinstance(text, Unknown):
                return Unknown(text.reason, expr.span)
            pieces.append(text)
        return Known("".join(pieces), expr.span)

    # -- references ----------------------------------------------------------------
    def _variable(self, expr: s.Variable, env: dict) -> Value:
        found = env.get(expr.name)
        if found is not None:
            return respan(found, expr.span, unknowns=True) if isinstance(found, Unknown) else found
        return Unknown(f"{expr.name} cannot be evaluated on its own", expr.span)

    def _traversal(self, expr: s.Expr, env: dict) -> Value:
        root, steps = flatten(expr)
        if isinstance(root, s.Variable) and root.name not in env:
            return reference(self, root.name, steps, env, expr.span)
        return apply(self, self.eval(root, env), steps, env, expr.span)

    def _splat(self, expr: s.Splat, env: dict) -> Value:
        root, steps = flatten(expr.source)
        if isinstance(root, s.Variable) and root.name not in env and steps:
            source = reference(self, root.name, steps, env, expr.source.span, splat=True)
        else:
            source = self.eval(expr.source, env)
        if isinstance(source, Unknown):
            return Unknown(source.reason, expr.span)
        inner = source.value
        items = inner if isinstance(inner, list) else [] if inner is None else [source]
        return Known([apply(self, item, expr.steps, env, expr.span) for item in items], expr.span)

    # -- function calls, operators ---------------------------------------------------
    def _call(self, expr: s.Call, env: dict) -> Value:
        name = expr.name[len("core::"):] if expr.name.startswith("core::") else expr.name
        lazy = LAZY.get(name)
        if lazy is not None:
            return lazy(self, expr, env)
        function = FUNCTIONS.get(name)
        if function is None:
            return Unknown(f"function {expr.name}() is not evaluated by iamlint", expr.span)
        args = [self.eval(arg, env) for arg in expr.args]
        if expr.expand and args:
            last = args.pop()
            if not isinstance(last, Known) or not isinstance(last.value, list):
                return Unknown(f"the expanded argument of {expr.name}() is not a known list", expr.span)
            args.extend(last.value)
        try:
            return function(self, args, expr.span)
        except (TypeError, ValueError, KeyError, IndexError, ZeroDivisionError, AttributeError, OverflowError) as exc:
            return Unknown(f"{expr.name}() cannot be evaluated: {exc}", expr.span)

    def _conditional(self, expr: s.Conditional, env: dict) -> Value:
        cond = self.eval(expr.cond, env)
        if isinstance(cond, Known) and isinstance(cond.value, bool):
            return self.eval(expr.then if cond.value else expr.otherwise, env)
        if isinstance(cond, Known) and isinstance(cond.value, str) and cond.value in ("true", "false"):
            return self.eval(expr.then if cond.value == "true" else expr.otherwise, env)
        reason = cond.reason if isinstance(cond, Unknown) else "the condition is not a boolean"
        text = operators.describe(expr.cond)
        conditions = (f"{text} is true", f"{text} is false")
        then = mark(self.eval(expr.then, env), conditions[0])
        otherwise = mark(self.eval(expr.otherwise, env), conditions[1])
        return operators.either(then, otherwise, f"{text}: {reason}", expr.span, conditions)

    def _binary(self, expr: s.BinaryOp, env: dict) -> Value:
        left = self.eval(expr.left, env)
        logical = expr.op in ("&&", "||")
        if logical and isinstance(left, Known) and isinstance(left.value, bool) and left.value == (expr.op == "||"):
            return Known(left.value, expr.span)  # short circuit: the right side is not needed
        right = self.eval(expr.right, env)
        if logical and isinstance(right, Known) and isinstance(right.value, bool) and right.value == (expr.op == "||"):
            return Known(right.value, expr.span)  # decided whatever the left side
        return operators.binary(expr.op, left, right, expr.span)

    def _unary(self, expr: s.UnaryOp, env: dict) -> Value:
        return operators.unary(expr.op, self.eval(expr.operand, env), expr.span)

    def _for(self, expr: s.ForExpr, env: dict) -> Value:
        collection = self.eval(expr.collection, env)
        if isinstance(collection, Unknown):
            return Unknown(collection.reason, expr.span)
        inner = collection.value
        if isinstance(inner, (list, dict)) and len(inner) > MAX_ITEMS:
            return Unknown(f"for expression over more than {MAX_ITEMS} items", expr.span)
        results: list[Value] = []
        mapping: dict[str, Value] = {}
        scope = dict(env)
        items: Any = sorted(inner.items()) if isinstance(inner, dict) else enumerate(inner) if isinstance(inner, list) else ()
        for key, item in items:
            scope[expr.value_var] = item
            if expr.key_var:
                scope[expr.key_var] = Known(key, collection.span)
            failed = self._for_item(expr, scope, results, mapping)
            if failed is not None:
                return failed
        return Known(mapping if expr.key is not None else results, expr.span)

    def _for_item(self, expr: s.ForExpr, scope: dict, results: list[Value], mapping: dict[str, Value]) -> Unknown | None:
        """One item of a for expression into ``results`` (list) or ``mapping`` (object);
        an Unknown when its filter or key cannot be evaluated."""
        if expr.cond is not None:
            keep = self.eval(expr.cond, scope)
            if not isinstance(keep, Known) or not isinstance(keep.value, bool):
                reason = keep.reason if isinstance(keep, Unknown) else "it is not a boolean"
                return Unknown(f"a for expression filter cannot be decided ({reason})", expr.span)
            if not keep.value:
                return None
        if expr.key is None:
            results.append(self.eval(expr.value, scope))
            return None
        key_value = self.eval(expr.key, scope)
        if not isinstance(key_value, Known):
            return Unknown(f"a for expression key cannot be evaluated ({key_value.reason})", expr.span)
        value = self.eval(expr.value, scope)
        text = key_text(key_value.value)
        if expr.grouping:
            cast(Known, mapping.setdefault(text, Known([], expr.span))).value.append(value)
        else:
            mapping[text] = value
        return None

    # -- nested blocks ---------------------------------------------------------------
    def blocks(self, body: s.Body, type_: str, env: dict) -> list[tuple[s.Body, dict, Span] | Unknown]:
        """The nested blocks of ``type_`` in ``body``: written ones and those generated by
        ``dynamic "type_"`` blocks (one per item of for_each, with the iterator in scope);
        an Unknown stands for a dynamic block whose for_each cannot be evaluated."""
        found: list[tuple[s.Body, dict, Span] | Unknown] = []
        for block in body.blocks:
            if block.type == type_:
                found.append((block.body, env, block.span))
            elif block.type == "dynamic" and block.labels and block.labels[0] == type_:
                found.extend(self.dynamic(block, env))
        return found

    def dynamic(self, block: s.Block, env: dict) -> list[tuple[s.Body, dict, Span] | Unknown]:
        name = block.labels[0]
        attrs = block.body.attributes
        content = block.body.first_block("content")
        if content is None or "for_each" not in attrs:
            return [Unknown(f"dynamic {name!r} block without for_each or content", block.span)]
        iterator = self._iterator(name, attrs.get("iterator"), env)
        collection = self.eval(attrs["for_each"].expr, env)
        if isinstance(collection, Unknown):
            return [Unknown(f"dynamic {name!r} blocks cannot be expanded ({collection.reason})", block.span)]
        pairs = _iterate(collection)
        if not pairs and not isinstance(collection.value, (list, dict)) and collection.value is not None:
            return [Unknown(f"dynamic {name!r}: for_each is not a collection", block.span)]
        results: list[tuple[s.Body, dict, Span] | Unknown] = []
        for key, item in pairs[:MAX_ITEMS]:
            scope = dict(env)
            scope[iterator] = Known({"key": key, "value": item}, block.span)
            results.append((content.body, scope, block.span))
        return results

    def _iterator(self, name: str, attribute: s.Attribute | None, env: dict) -> str:
        """The name of a dynamic block's iterator (the block type unless ``iterator`` says)."""
        if attribute is None:
            return name
        if isinstance(attribute.expr, s.Variable):
            return attribute.expr.name
        text = self.eval(attribute.expr, env)
        return text.value if isinstance(text, Known) and isinstance(text.value, str) else name


def _iterate(collection: Value) -> list[tuple[Value, Value]]:
    if not isinstance(collection, Known):
        return []
    inner = collection.value
    span = collection.span
    if isinstance(inner, list):
        return [(Known(i, span), item) for i, item in enumerate(inner)]
    if isinstance(inner, dict):
        return [(Known(k, span), item) for k, item in sorted(inner.items())]
    return []


def _static_text(expr: s.Template) -> Value:
    """A template without interpolations: a SourceText when its text is in the file as is."""
    text = "".join(expr.parts)  # type: ignore[arg-type]
    span = expr.span
    if expr.heredoc:
        return SourceText(text, span, span.line, span.column, span.column - 1)
    if span.line != span.end_line or span.end_column - span.column != len(text) + 2:
        return Known(text, span)  # escapes: the text is not in the file as is
    return SourceText(text, span, span.line, span.column + 1, span.column)


def _interpolation_width(part: s.Expr) -> int:
    """Columns of ``${expr}`` in the source (assumed written without inner spaces)."""
    span = part.span
    return span.end_column - span.column + 3 if span.line == span.end_line else 1


def _partial(text: str, holes: list[Unknown], expr: s.Template) -> Value:
    """A template with unknown parts: Unknown, keeping its text for JSON policies."""
    span = expr.span
    if expr.heredoc:
        return PartialText(holes[0].reason, span, text=text, holes=tuple(holes), line=span.line,
                           column=span.column, indent=span.column - 1)
    exact = span.line == span.end_line and span.end_column - span.column == len(text) + 2
    return PartialText(holes[0].reason, span, text=text, holes=tuple(holes), line=span.line,
                       column=span.column + 1, indent=span.column, exact=exact)


def _as_text(value: Value) -> str | Unknown:
    if isinstance(value, Unknown):
        return value
    inner = value.value
    if isinstance(inner, bool):
        return "true" if inner else "false"
    if isinstance(inner, (int, str)):
        return str(inner)
    if isinstance(inner, float):
        return str(int(inner)) if inner.is_integer() else repr(inner)
    if isinstance(inner, Encoded):
        try:
            return json.dumps(to_python(inner.data), separators=(",", ":"))
        except ValueError as exc:
            return Unknown(str(exc), value.span)
    if inner is None:
        return Unknown("null in a string template", value.span)
    return Unknown("a collection in a string template", value.span)
