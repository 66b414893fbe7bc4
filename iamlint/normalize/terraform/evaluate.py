"""Evaluate HCL expressions of one module into three-valued Values.

What Terraform would know at plan time from the code alone is Known; everything else
(unset variables, data sources read at apply time, computed attributes) is an Unknown
carrying its reason and span. References to resources of the module are Refs, which the
graph links by address.
"""

from __future__ import annotations

from typing import Any, Callable

from iamlint.model.span import Span
from iamlint.model.values import Encoded, Known, Ref, SourceText, Unknown, Value
from iamlint.normalize.terraform.config import ModuleConfig
from iamlint.parsers.terraform import syntax as s

MAX_ITEMS = 100_000


class Evaluator:
    def __init__(self, config: ModuleConfig, variables: dict[str, Value], partition: str = "aws") -> None:
        self.config = config
        self.variables = variables
        self.partition = partition
        self._locals: dict[str, Value] = {}
        self._evaluating: set[str] = set()
        self._data: dict[str, Value] = {}
        self.data_builders: dict[str, Callable[["Evaluator", s.Block, str, str, Span], Value]] = {}
        self.handlers: dict[type, Callable[[Any, dict], Value]] = {
            s.Literal: self._literal,
            s.Template: self._template,
            s.TupleExpr: self._tuple,
            s.ObjectExpr: self._object,
            s.Variable: self._variable,
            s.GetAttr: self._traversal,
            s.Index: self._traversal,
            s.Splat: self._splat,
            s.Call: self._call,
            s.Conditional: self._conditional,
            s.BinaryOp: self._binary,
            s.UnaryOp: self._unary,
            s.ForExpr: self._for,
            s.TemplateIf: self._template_if,
            s.TemplateFor: self._template_for,
            s.Unsupported: lambda e, env: Unknown(e.reason, e.span),
        }

    def eval(self, expr: s.Expr, env: dict | None = None) -> Value:
        try:
            return self.handlers[type(expr)](expr, env or {})
        except RecursionError:
            return Unknown("expression nested too deeply to evaluate", expr.span)

    # -- simple forms ------------------------------------------------------
    def _literal(self, expr: s.Literal, env: dict) -> Value:
        return Known(expr.value, expr.span)

    def _template(self, expr: s.Template, env: dict) -> Value:
        parts = expr.parts
        if len(parts) == 1 and isinstance(parts[0], s.Expr) and not expr.heredoc:
            value = self.eval(parts[0], env)  # "${x}" keeps x's type
            return value
        if all(isinstance(p, str) for p in parts):
            text = "".join(parts)  # type: ignore[arg-type]
            span = expr.span
            if expr.heredoc:
                return SourceText(text, span, span.line, span.column, span.column - 1)
            return SourceText(text, span, span.line, span.column + 1, span.column)
        pieces: list[str] = []
        for part in parts:
            if isinstance(part, str):
                pieces.append(part)
                continue
            value = self.eval(part, env)
            text = _as_text(value)
            if isinstance(text, Unknown):
                return Unknown(text.reason, expr.span)
            pieces.append(text)
        return Known("".join(pieces), expr.span)

    def _template_if(self, expr: s.TemplateIf, env: dict) -> Value:
        cond = self.eval(expr.cond, env)
        if not isinstance(cond, Known) or not isinstance(cond.value, bool):
            return Unknown("template condition cannot be decided", expr.span)
        if cond.value:
            return self.eval(expr.then, env)
        return self.eval(expr.otherwise, env) if expr.otherwise else Known("", expr.span)

    def _template_for(self, expr: s.TemplateFor, env: dict) -> Value:
        collection = self.eval(expr.collection, env)
        pieces = []
        for key, item in _iterate(collection):
            scope = dict(env, **{expr.value_var: item})
            if expr.key_var:
                scope[expr.key_var] = key
            text = _as_text(self.eval(expr.body, scope))
            if isinstance(text, Unknown):
                return text
            pieces.append(text)
        if isinstance(collection, Unknown):
            return Unknown(collection.reason, expr.span)
        return Known("".join(pieces), expr.span)

    def _tuple(self, expr: s.TupleExpr, env: dict) -> Value:
        return Known([self.eval(item, env) for item in expr.items], expr.span)

    def _object(self, expr: s.ObjectExpr, env: dict) -> Value:
        result: dict[str, Value] = {}
        for key_expr, value_expr in expr.items:
            key = self.eval(key_expr, env)
            if not isinstance(key, Known) or not isinstance(key.value, (str, int, float, bool)):
                return Unknown("an object key cannot be evaluated", key_expr.span)
            result[_key_text(key.value)] = self.eval(value_expr, env)
        return Known(result, expr.span)

    # -- references --------------------------------------------------------
    def _variable(self, expr: s.Variable, env: dict) -> Value:
        if expr.name in env:
            return _respan(env[expr.name], expr.span)
        return Unknown(f"{expr.name} cannot be evaluated on its own", expr.span)

    def _traversal(self, expr: s.Expr, env: dict) -> Value:
        root, steps = _flatten(expr)
        if not isinstance(root, s.Variable) or root.name in env:
            value = self.eval(root, env)
            return self._apply(value, steps, env, expr.span)
        name = root.name
        resolver = _ROOTS.get(name)
        if resolver is not None:
            return resolver(self, steps, env, expr.span)
        return self._resource(name, steps, env, expr.span)

    def _apply(self, value: Value, steps: list, env: dict, span: Span) -> Value:
        for kind, step in steps:
            if isinstance(value, Unknown):
                return _respan(value, span)
            key: Any = step
            if kind == "index":
                index = self.eval(step, env)
                if not isinstance(index, Known):
                    return Unknown("an index cannot be evaluated", span)
                key = index.value
            value = _get(value, key, span)
        if isinstance(value, Unknown):
            return _respan(value, span)
        if not isinstance(value, SourceText) and not isinstance(value.value, (list, dict, Encoded)):
            return Known(value.value, span)  # a scalar is reported where it is used
        return value

    def _resource(self, type_: str, steps: list, env: dict, span: Span) -> Value:
        if not steps or steps[0][0] != "attr":
            return Unknown(f"unknown reference {type_}", span)
        address = f"{type_}.{steps[0][1]}"
        if address not in self.config.resources:
            return Unknown(f"{address} is not defined in this module", span)
        rest = steps[1:]
        if rest and rest[0][0] == "index":
            rest = rest[1:]  # count/for_each instance: same identity
        attribute = rest[0][1] if rest and rest[0][0] == "attr" else ""
        return Ref(f"{address}.{attribute} is known only after apply" if attribute else f"{address} is computed",
                   span, address, attribute)

    def variable(self, name: str, span: Span) -> Value:
        if name in self.variables:
            return _respan(self.variables[name], span)
        return Unknown(f"var.{name} is not declared", span)

    def local(self, name: str, span: Span) -> Value:
        if name in self._locals:
            return self._locals[name]
        attribute = self.config.locals.get(name)
        if attribute is None:
            return Unknown(f"local.{name} is not defined", span)
        if name in self._evaluating:
            return Unknown(f"local.{name} refers to itself", span)
        self._evaluating.add(name)
        try:
            value = self.eval(attribute.expr)
        finally:
            self._evaluating.discard(name)
        self._locals[name] = value
        return value

    def data(self, type_: str, name: str, attribute: str, span: Span) -> Value:
        address = f"{type_}.{name}"
        block = self.config.data.get(address)
        if block is None:
            return Unknown(f"data.{address} is not defined in this module", span)
        builder = self.data_builders.get(type_)
        if builder is None:
            return Unknown(f"data.{address}.{attribute} is read from AWS at plan time", span)
        key = f"{address}.{attribute}"
        if key not in self._data:
            self._data[key] = Unknown(f"data.{address} refers to itself", span)
            self._data[key] = builder(self, block, address, attribute, span)
        return self._data[key]

    # -- operators ---------------------------------------------------------
    def _splat(self, expr: s.Splat, env: dict) -> Value:
        source = self.eval(expr.source, env)
        if isinstance(source, Unknown):
            return Unknown(source.reason, expr.span)
        items = source.value if isinstance(source.value, list) else ([] if source.value is None else [source])
        return Known([self._apply(item, expr.steps, env, expr.span) for item in items], expr.span)

    def _call(self, expr: s.Call, env: dict) -> Value:
        from iamlint.normalize.terraform.functions import FUNCTIONS

        function = FUNCTIONS.get(expr.name)
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
        except (TypeError, ValueError, KeyError, IndexError, ZeroDivisionError) as exc:
            return Unknown(f"{expr.name}() cannot be evaluated: {exc}", expr.span)

    def _conditional(self, expr: s.Conditional, env: dict) -> Value:
        cond = self.eval(expr.cond, env)
        if isinstance(cond, Known) and isinstance(cond.value, bool):
            return self.eval(expr.then if cond.value else expr.otherwise, env)
        reason = cond.reason if isinstance(cond, Unknown) else "the condition is not a boolean"
        return Unknown(f"a condition cannot be decided ({reason})", expr.span)

    def _binary(self, expr: s.BinaryOp, env: dict) -> Value:
        from iamlint.normalize.terraform.functions import binary

        left = self.eval(expr.left, env)
        if expr.op in ("&&", "||") and isinstance(left, Known) and isinstance(left.value, bool):
            if left.value == (expr.op == "||"):
                return Known(left.value, expr.span)
        right = self.eval(expr.right, env)
        return binary(expr.op, left, right, expr.span)

    def _unary(self, expr: s.UnaryOp, env: dict) -> Value:
        value = self.eval(expr.operand, env)
        if not isinstance(value, Known):
            return Unknown(value.reason, expr.span)
        if expr.op == "!" and isinstance(value.value, bool):
            return Known(not value.value, expr.span)
        if expr.op == "-" and isinstance(value.value, (int, float)) and not isinstance(value.value, bool):
            return Known(-value.value, expr.span)
        return Unknown(f"operator {expr.op} does not apply here", expr.span)

    def _for(self, expr: s.ForExpr, env: dict) -> Value:
        collection = self.eval(expr.collection, env)
        if isinstance(collection, Unknown):
            return Unknown(collection.reason, expr.span)
        pairs = _iterate(collection)
        if len(pairs) > MAX_ITEMS:
            return Unknown(f"for expression over more than {MAX_ITEMS} items", expr.span)
        results: list[Value] = []
        mapping: dict[str, Value] = {}
        for key, item in pairs:
            scope = dict(env)
            scope[expr.value_var] = item
            if expr.key_var:
                scope[expr.key_var] = key
            if expr.cond is not None:
                keep = self.eval(expr.cond, scope)
                if not isinstance(keep, Known):
                    return Unknown("a for expression filter cannot be decided", expr.span)
                if not keep.value:
                    continue
            if expr.key is None:
                results.append(self.eval(expr.value, scope))
                continue
            key_value = self.eval(expr.key, scope)
            if not isinstance(key_value, Known):
                return Unknown("a for expression key cannot be evaluated", expr.span)
            value = self.eval(expr.value, scope)
            text = _key_text(key_value.value)
            if expr.grouping:
                group = mapping.setdefault(text, Known([], expr.span))
                group.value.append(value)
            else:
                mapping[text] = value
        return Known(mapping if expr.key is not None else results, expr.span)


def _flatten(expr: s.Expr) -> tuple[s.Expr, list]:
    steps: list = []
    while isinstance(expr, (s.GetAttr, s.Index)):
        if isinstance(expr, s.GetAttr):
            steps.append(("attr", expr.name))
        else:
            steps.append(("index", expr.key))
        expr = expr.source
    steps.reverse()
    return expr, steps


def _get(value: Value, key: Any, span: Span) -> Value:
    if not isinstance(value, Known):
        return value
    inner = value.value
    if isinstance(inner, Encoded):
        return Unknown("attribute access on an encoded JSON string", span)
    if isinstance(inner, dict):
        found = inner.get(_key_text(key))
        return found if found is not None else Unknown(f"no attribute or key {key!r}", span)
    if isinstance(inner, list) and isinstance(key, (int, float)) and not isinstance(key, bool):
        index = int(key)
        if 0 <= index < len(inner):
            return inner[index]
        return Unknown(f"index {index} is out of range", span)
    return Unknown(f"cannot take {key!r} of this value", span)


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


def _key_text(key: Any) -> str:
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, float) and key.is_integer():
        return str(int(key))
    return str(key)


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
        from iamlint.model.values import to_python
        import json

        try:
            return json.dumps(to_python(inner.data), separators=(",", ":"))
        except ValueError as exc:
            return Unknown(str(exc), value.span)
    if inner is None:
        return Unknown("null in a string template", value.span)
    return Unknown("a collection in a string template", value.span)


def _respan(value: Value, span: Span) -> Value:
    """Keep the value, but report an Unknown at the place that used it."""
    if isinstance(value, Ref):
        return Ref(value.reason, span, value.address, value.attribute)
    if isinstance(value, Unknown):
        return Unknown(value.reason, span)
    return value


def _root_var(ev: Evaluator, steps: list, env: dict, span: Span) -> Value:
    if not steps or steps[0][0] != "attr":
        return Unknown("var needs a name", span)
    return ev._apply(ev.variable(steps[0][1], span), steps[1:], env, span)


def _root_local(ev: Evaluator, steps: list, env: dict, span: Span) -> Value:
    if not steps or steps[0][0] != "attr":
        return Unknown("local needs a name", span)
    return ev._apply(ev.local(steps[0][1], span), steps[1:], env, span)


def _root_data(ev: Evaluator, steps: list, env: dict, span: Span) -> Value:
    if len(steps) < 2 or steps[0][0] != "attr" or steps[1][0] != "attr":
        return Unknown("incomplete data source reference", span)
    rest = steps[2:]
    if rest and rest[0][0] == "index":
        rest = rest[1:]
    if not rest or rest[0][0] != "attr":
        return Unknown(f"data.{steps[0][1]}.{steps[1][1]} as a whole is not evaluated", span)
    value = ev.data(steps[0][1], steps[1][1], rest[0][1], span)
    return ev._apply(value, rest[1:], env, span)


def _root_path(ev: Evaluator, steps: list, env: dict, span: Span) -> Value:
    if steps and steps[0][0] == "attr" and steps[0][1] in ("module", "root", "cwd"):
        import os

        directory = ev.config.directory
        return Known(directory if steps[0][1] != "cwd" else os.getcwd(), span)
    return Unknown("unknown path attribute", span)


def _root_terraform(ev: Evaluator, steps: list, env: dict, span: Span) -> Value:
    if steps and steps[0] == ("attr", "workspace"):
        return Known("default", span)
    return Unknown("unknown terraform attribute", span)


def _root_module(ev: Evaluator, steps: list, env: dict, span: Span) -> Value:
    name = steps[0][1] if steps and steps[0][0] == "attr" else "?"
    return Unknown(f"module.{name} outputs are not evaluated", span)


def _root_each(ev: Evaluator, steps: list, env: dict, span: Span) -> Value:
    return Unknown("each.key/each.value of a for_each resource", span)


def _root_count(ev: Evaluator, steps: list, env: dict, span: Span) -> Value:
    return Unknown("count.index of a counted resource", span)


def _root_self(ev: Evaluator, steps: list, env: dict, span: Span) -> Value:
    return Unknown("self refers to the resource being created", span)


_ROOTS: dict[str, Callable[[Evaluator, list, dict, Span], Value]] = {
    "var": _root_var,
    "local": _root_local,
    "data": _root_data,
    "path": _root_path,
    "terraform": _root_terraform,
    "module": _root_module,
    "each": _root_each,
    "count": _root_count,
    "self": _root_self,
}
