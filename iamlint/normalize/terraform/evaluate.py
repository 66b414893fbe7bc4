"""Evaluate HCL expressions of one module instance into three-valued Values.

What Terraform would know at plan time from the code alone is Known; everything else
(unset variables, data sources read at apply time, computed attributes) is an Unknown
carrying its reason and span. References to resources are Refs, which the graph links
by address: the address carries the module path (``module.web.``) and, for resources
with ``count``/``for_each``, the instance key when the reference names one.

One :class:`Evaluator` serves one module instance (the root module, or one call of a
child module: a module called twice has two evaluators). Locals, module outputs and
data sources are evaluated lazily, once, with cycle detection that reports a located
error instead of recursing forever.
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any, Callable

from iamlint.model.span import Span
from iamlint.model.values import Encoded, Known, Ref, SourceText, Unknown, Value, mark, respan
from iamlint.normalize.documents import HOLE, MAX_HOLES, PartialText
from iamlint.normalize.terraform.config import ModuleConfig
from iamlint.parsers.terraform import syntax as s

if TYPE_CHECKING:
    from iamlint.normalize.terraform.modules import Loader, ModuleCall

MAX_ITEMS = 100_000

Instance = tuple[str, Any, dict]  # (address suffix "[0]" / '["web"]' / "", key value, env)
DataBuilder = Callable[["Evaluator", s.Block, str, str, Span, dict], Value]


class Evaluator:
    def __init__(
        self,
        config: ModuleConfig,
        variables: dict[str, Value],
        partition: str = "aws",
        prefix: str = "",
        loader: "Loader | None" = None,
        stack: tuple[str, ...] = (),
    ) -> None:
        self.config = config
        self.variables = variables
        self.partition = partition
        self.prefix = prefix  # "module.web." for a child module instance
        self.loader = loader
        self.stack = stack  # real paths of the module directories from the root to here
        self.root_directory = config.directory
        self._locals: dict[str, Value] = {}
        self._evaluating: list[str] = []
        self._data: dict[str, Value] = {}
        self._outputs: dict[str, Value] = {}
        self._instances: dict[str, list[Instance] | Unknown] = {}
        self._calls: dict[str, "ModuleCall"] = {}
        self._reported: set[str] = set()
        self.lazy_variables: dict[str, Callable[[], Value]] = {}
        self.module_path: tuple[str, ...] = ()
        self.errors: list = loader.errors if loader is not None else []
        self.data_builders: dict[str, DataBuilder] = {}
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

    def error(self, span: Span, message: str) -> None:
        """Report a located input error once (cycles, missing module folders)."""
        from iamlint.normalize.base import SourceError

        key = f"{span.file}:{span.line}:{message}"
        if key in self._reported or (self.loader is not None and key in self.loader.reported):
            return
        self._reported.add(key)
        if self.loader is not None:
            self.loader.reported.add(key)
        self.errors.append(SourceError(span.file, span.line, message, span.column))

    # -- simple forms ------------------------------------------------------
    def _literal(self, expr: s.Literal, env: dict) -> Value:
        return Known(expr.value, expr.span)

    def _template(self, expr: s.Template, env: dict) -> Value:
        parts = expr.parts
        if len(parts) == 1 and isinstance(parts[0], s.Expr) and not expr.heredoc:
            return self.eval(parts[0], env)  # "${x}" keeps x's type
        if expr.static:
            text = "".join(parts)  # type: ignore[arg-type]
            span = expr.span
            if expr.heredoc:
                return SourceText(text, span, span.line, span.column, span.column - 1)
            if span.line != span.end_line or span.end_column - span.column != len(text) + 2:
                return Known(text, span)  # escapes: the text is not in the file as is
            return SourceText(text, span, span.line, span.column + 1, span.column)
        pieces: list[str] = []
        holes: list[Unknown] = []
        for part in parts:
            if part.__class__ is str:
                pieces.append(part)  # type: ignore[arg-type]
                continue
            value = self.eval(part, env)  # type: ignore[arg-type]
            inner = value.value if value.__class__ is Known else None
            if inner.__class__ is str:
                pieces.append(inner)
                continue
            text = _as_text(value)
            if isinstance(text, Unknown):
                if len(holes) >= MAX_HOLES:
                    return Unknown(text.reason, expr.span)
                holes.append(text)
                pieces.append(chr(HOLE + len(holes) - 1) * _interpolation_width(part))  # type: ignore[arg-type]
                continue
            pieces.append(text)
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
        found = env.get(expr.name)
        if found is not None:
            return respan(found, expr.span, unknowns=True) if isinstance(found, Unknown) else found
        return Unknown(f"{expr.name} cannot be evaluated on its own", expr.span)

    def _traversal(self, expr: s.Expr, env: dict) -> Value:
        root, steps = _flatten(expr)
        if not isinstance(root, s.Variable) or root.name in env:
            value = self.eval(root, env)
            return self._apply(value, steps, env, expr.span)
        resolver = _ROOTS.get(root.name)
        if resolver is not None:
            return resolver(self, steps, env, expr.span)
        return self._resource(root.name, steps, env, expr.span)

    def _apply(self, value: Value, steps: list, env: dict, span: Span) -> Value:
        for kind, step in steps:
            if isinstance(value, Ref) and not value.attribute and kind == "attr":
                value = Ref(f"{value.address}.{step} is known only after apply", span, value.address, step)
                continue
            if isinstance(value, Unknown):
                return respan(value, span, unknowns=True)
            key: Any = step
            if kind == "index":
                index = self.eval(step, env)
                if not isinstance(index, Known):
                    return Unknown(f"an index cannot be evaluated ({index.reason})", span)
                key = index.value
            value = _get(value, key, span)
        if isinstance(value, Unknown):
            return respan(value, span, unknowns=True)
        if not isinstance(value, SourceText) and not isinstance(value.value, (list, dict, Encoded)):
            return Known(value.value, span)  # a scalar is reported where it is used
        return value

    def _splat_steps(self, source: Value, steps: list, env: dict, span: Span) -> Value:
        if isinstance(source, Unknown):
            return Unknown(source.reason, span)
        inner = source.value
        if isinstance(inner, list):
            items = inner
        elif inner is None:
            items = []
        else:
            items = [source]
        return Known([self._apply(item, steps, env, span) for item in items], span)

    # -- resources, instances -----------------------------------------------
    def instances(self, block: s.Block, address: str) -> list[Instance] | Unknown:
        """The instances of a resource, data source or module call: one per count index
        or for_each key; one instance with Unknown ``count.index`` / ``each`` when the
        keys cannot be evaluated."""
        cached = self._instances.get(address)
        if cached is not None:
            return cached
        self._instances[address] = Unknown(f"{address} depends on itself through count/for_each", block.span)
        result = self._expand(block, address)
        self._instances[address] = result
        return result

    def _expand(self, block: s.Block, address: str) -> list[Instance] | Unknown:
        attrs = block.body.attributes
        if "count" in attrs:
            count = self.eval(attrs["count"].expr)
            if isinstance(count, Known) and isinstance(count.value, str) and count.value.isdigit():
                count = Known(int(count.value), count.span)  # Terraform converts "2" to 2
            if isinstance(count, Known) and isinstance(count.value, (int, float)) and not isinstance(count.value, bool):
                number = int(count.value)
                if number > MAX_ITEMS:
                    return Unknown(f"count of {address} is larger than {MAX_ITEMS}", attrs["count"].span)
                return [(f"[{i}]", i, {"count": Known({"index": Known(i, attrs["count"].span)}, block.span)})
                        for i in range(max(number, 0))]
            reason = count.reason if isinstance(count, Unknown) else "count is not a number"
            unknown = Unknown(f"count.index of {self.prefix}{address}: the count cannot be evaluated ({reason})",
                              attrs["count"].span)
            return Unknown(unknown.reason, unknown.span)
        if "for_each" in attrs:
            collection = self.eval(attrs["for_each"].expr)
            span = attrs["for_each"].span
            pairs: list[tuple[str, Value]] = []
            if isinstance(collection, Known) and isinstance(collection.value, dict):
                pairs = sorted(collection.value.items())
            elif isinstance(collection, Known) and isinstance(collection.value, list):
                for item in collection.value:
                    if not isinstance(item, Known) or not isinstance(item.value, str):
                        reason = item.reason if isinstance(item, Unknown) else "a key is not a string"
                        return Unknown(f"the for_each keys of {self.prefix}{address} cannot be evaluated ({reason})", span)
                    pairs.append((item.value, item))
                pairs = sorted(dict(pairs).items())
            else:
                reason = collection.reason if isinstance(collection, Unknown) else "for_each is not a map or set"
                return Unknown(f"the for_each keys of {self.prefix}{address} cannot be evaluated ({reason})", span)
            if len(pairs) > MAX_ITEMS:
                return Unknown(f"for_each of {address} has more than {MAX_ITEMS} keys", span)
            return [(f"[{json.dumps(key)}]", key,
                     {"each": Known({"key": Known(key, span), "value": value}, block.span)}) for key, value in pairs]
        return [("", None, {})]

    @staticmethod
    def unknown_instance_env(unknown: Unknown, block: s.Block) -> dict:
        """The scope of the single instance built when the keys are unknown."""
        attrs = block.body.attributes
        if "count" in attrs:
            return {"count": Known({"index": unknown}, block.span)}
        return {"each": Known({"key": unknown, "value": unknown}, block.span)}

    def _resource(self, type_: str, steps: list, env: dict, span: Span) -> Value:
        if not steps or steps[0][0] != "attr":
            return Unknown(f"unknown reference {type_}", span)
        address = f"{type_}.{steps[0][1]}"
        block = self.config.resources.get(address)
        if block is None:
            return Unknown(f"{address} is not defined in this module", span)
        full = self.prefix + address
        rest = steps[1:]
        counted = "count" in block.body.attributes or "for_each" in block.body.attributes
        if counted:
            if rest and rest[0][0] == "index":
                key = self.eval(rest[0][1], env)
                rest = rest[1:]
                if isinstance(key, Known) and isinstance(key.value, (str, int, float)) and not isinstance(key.value, bool):
                    instances = self.instances(block, address)
                    suffix = _instance_key(key.value)
                    if not isinstance(instances, Unknown) and all(s != suffix for s, _, _ in instances):
                        return Unknown(f"{full} has no instance {suffix}", span)
                    full += suffix
                else:
                    full_ref = Ref(f"which instance of {full} is meant cannot be evaluated", span, full, "")
                    return self._apply(full_ref, rest, env, span)
            else:
                instances = self.instances(block, address)
                if isinstance(instances, Unknown):
                    return Unknown(instances.reason, span)
                objects = {suffix: Ref(f"{full}{suffix} is computed", span, full + suffix, "")
                           for suffix, _key, _env in instances}
                if "count" in block.body.attributes:
                    whole: Value = Known(list(objects.values()), span)
                else:
                    whole = Known({json.loads(k[1:-1]): v for k, v in objects.items()}, span)
                return self._apply(whole, rest, env, span)
        if rest and rest[0][0] == "index" and not counted:
            rest = rest[1:]
        ref = Ref(f"{full} is computed", span, full, "")
        return self._apply(ref, rest, env, span)

    def variable(self, name: str, span: Span) -> Value:
        if name not in self.variables and name in self.lazy_variables:
            key = f"{self.prefix}var.{name}"
            if key in self._evaluating:
                return self._cycle(key, span)
            self._evaluating.append(key)
            try:
                value = self.lazy_variables[name]()
            finally:
                self._evaluating.remove(key)
            self.variables[name] = value
        if name in self.variables:
            value = self.variables[name]
            return respan(value, span, unknowns=True) if isinstance(value, Unknown) else value
        return Unknown(f"var.{name} is not declared", span)

    def local(self, name: str, span: Span) -> Value:
        if name in self._locals:
            return self._locals[name]
        attribute = self.config.locals.get(name)
        if attribute is None:
            return Unknown(f"local.{name} is not defined", span)
        key = f"{self.prefix}local.{name}"
        if key in self._evaluating:
            return self._cycle(key, attribute.span)
        self._evaluating.append(key)
        try:
            value = self.eval(attribute.expr)
        finally:
            self._evaluating.remove(key)
        self._locals[name] = value
        return value

    def _cycle(self, key: str, span: Span) -> Unknown:
        start = self._evaluating.index(key)
        chain = " -> ".join(self._evaluating[start:] + [key])
        message = f"{key} refers to itself ({chain})"
        self.error(span, message)
        return Unknown(message, span)

    def data(self, type_: str, name: str, steps: list, env: dict, span: Span) -> Value:
        address = f"{type_}.{name}"
        block = self.config.data.get(address)
        if block is None:
            return Unknown(f"data.{address} is not defined in this module", span)
        builder = self.data_builders.get(type_)
        counted = "count" in block.body.attributes or "for_each" in block.body.attributes
        instance_env: dict = {}
        suffix = ""
        if counted:
            instances = self.instances(block, f"data.{address}")
            unknown_keys = isinstance(instances, Unknown)
            if isinstance(instances, Unknown):
                # keys unknown: one instance (count.index / each.* unknown) stands for all
                instances = [("", None, Evaluator.unknown_instance_env(instances, block))]
            if steps and steps[0][0] == "index":
                key = self.eval(steps[0][1], env)
                steps = steps[1:]
                if unknown_keys:
                    suffix, _, instance_env = instances[0]
                    key = Known(None, span)
                elif not isinstance(key, Known):
                    return Unknown(f"which instance of data.{address} is meant cannot be evaluated", span)
                else:
                    match = [i for i in instances if i[1] == key.value or (isinstance(key.value, float) and i[1] == int(key.value))]
                    if not match:
                        return Unknown(f"data.{address} has no instance {key.value!r}", span)
                    suffix, _, instance_env = match[0]
            else:
                objects = [(k, self._data_object(builder, block, address, sfx, ienv, span)) for sfx, k, ienv in instances]
                if "count" in block.body.attributes or unknown_keys:
                    whole: Value = Known([o for _, o in objects], span)
                else:
                    whole = Known({str(k): o for k, o in objects}, span)
                return self._apply(whole, steps, env, span)
        if not steps or steps[0][0] != "attr":
            whole = self._data_object(builder, block, address, suffix, instance_env, span)
            return self._apply(whole, steps, env, span)
        attribute = steps[0][1]
        value = self._data_attribute(builder, block, address, suffix, attribute, instance_env, span)
        return self._apply(value, steps[1:], env, span)

    def _data_attribute(self, builder, block, address, suffix, attribute, env, span) -> Value:
        if builder is None:
            return Unknown(f"data.{address}.{attribute} is read from AWS at plan time", span)
        key = f"{self.prefix}data.{address}{suffix}.{attribute}"
        if key in self._data:
            return self._data[key]
        if key in self._evaluating:
            return self._cycle(key, block.span)
        self._evaluating.append(key)
        try:
            value = builder(self, block, address, attribute, span, env)
        finally:
            self._evaluating.remove(key)
        self._data[key] = value
        return value

    def _data_object(self, builder, block, address, suffix, env, span) -> Value:
        names = getattr(builder, "attributes", ())
        if builder is None or not names:
            return Unknown(f"data.{address} is read from AWS at plan time", span)
        return Known({n: self._data_attribute(builder, block, address, suffix, n, env, span) for n in names}, span)

    # -- modules -------------------------------------------------------------
    def module_call(self, name: str) -> "ModuleCall | None":
        if name in self._calls:
            return self._calls[name]
        block = self.config.modules.get(name)
        if block is None or self.loader is None:
            return None
        call = self.loader.call(self, name, block)
        self._calls[name] = call
        return call

    def output(self, name: str, span: Span) -> Value:
        if name in self._outputs:
            return self._outputs[name]
        block = self.config.outputs.get(name)
        if block is None:
            return Unknown(f"output {name} is not defined in {self.config.directory}", span)
        value_attr = block.body.attributes.get("value")
        if value_attr is None:
            return Unknown(f"output {name} has no value", block.span)
        key = f"{self.prefix}output.{name}"
        if key in self._evaluating:
            return self._cycle(key, block.span)
        self._evaluating.append(key)
        try:
            value = self.eval(value_attr.expr)
        finally:
            self._evaluating.remove(key)
        self._outputs[name] = value
        return value

    def outputs_object(self, span: Span) -> Value:
        return Known({name: self.output(name, span) for name in self.config.outputs}, span)

    # -- blocks --------------------------------------------------------------
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
        iterator = name
        if "iterator" in attrs:
            it = attrs["iterator"].expr
            if isinstance(it, s.Variable):
                iterator = it.name
            else:
                text = self.eval(it, env)
                if isinstance(text, Known) and isinstance(text.value, str):
                    iterator = text.value
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

    # -- operators ---------------------------------------------------------
    def _splat(self, expr: s.Splat, env: dict) -> Value:
        root, steps = _flatten(expr.source)
        if isinstance(root, s.Variable) and root.name not in env and root.name not in _ROOTS:
            # aws_iam_role.r[*].arn: every instance
            if len(steps) == 1 and steps[0][0] == "attr":
                return self._resource_splat(root.name, steps[0][1], expr.steps, env, expr.span)
        source = self.eval(expr.source, env)
        return self._splat_steps(source, expr.steps, env, expr.span)

    def _resource_splat(self, type_: str, name: str, steps: list, env: dict, span: Span) -> Value:
        address = f"{type_}.{name}"
        block = self.config.resources.get(address)
        if block is None:
            return Unknown(f"{address} is not defined in this module", span)
        full = self.prefix + address
        instances = self.instances(block, address)
        if isinstance(instances, Unknown):
            # the one node built for unknown keys stands for every instance
            refs = [Ref(f"{full} is computed ({instances.reason})", span, full, "")]
            return Known([self._apply(ref, steps, env, span) for ref in refs], span)
        refs = [Ref(f"{full}{sfx} is computed", span, full + sfx, "") for sfx, _, _ in instances]
        return Known([self._apply(ref, steps, env, span) for ref in refs], span)

    def _call(self, expr: s.Call, env: dict) -> Value:
        FUNCTIONS, LAZY, _ = _functions()
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
        text = describe(expr.cond)
        then = mark(self.eval(expr.then, env), f"{text} is true")
        otherwise = mark(self.eval(expr.otherwise, env), f"{text} is false")
        return either(then, otherwise, f"{text}: {reason}", expr.span)

    def _binary(self, expr: s.BinaryOp, env: dict) -> Value:
        binary = _functions()[2]
        left = self.eval(expr.left, env)
        if expr.op in ("&&", "||") and isinstance(left, Known) and isinstance(left.value, bool):
            if left.value == (expr.op == "||"):
                return Known(left.value, expr.span)
        right = self.eval(expr.right, env)
        if expr.op in ("&&", "||") and isinstance(right, Known) and isinstance(right.value, bool):
            if right.value == (expr.op == "||"):
                return Known(right.value, expr.span)
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
        inner = collection.value
        size = len(inner) if isinstance(inner, (list, dict)) else 0
        if size > MAX_ITEMS:
            return Unknown(f"for expression over more than {MAX_ITEMS} items", expr.span)
        results: list[Value] = []
        mapping: dict[str, Value] = {}
        scope = dict(env)
        value_var, key_var = expr.value_var, expr.key_var
        evaluate = self.eval
        if isinstance(inner, dict):
            items: Any = sorted(inner.items())
        elif isinstance(inner, list):
            items = enumerate(inner)
        else:
            items = ()
        span = collection.span
        for key, item in items:
            scope[value_var] = item
            if key_var:
                scope[key_var] = Known(key, span)
            if expr.cond is not None:
                keep = evaluate(expr.cond, scope)
                if not isinstance(keep, Known) or not isinstance(keep.value, bool):
                    reason = keep.reason if isinstance(keep, Unknown) else "it is not a boolean"
                    return Unknown(f"a for expression filter cannot be decided ({reason})", expr.span)
                if not keep.value:
                    continue
            if expr.key is None:
                results.append(evaluate(expr.value, scope))
                continue
            key_value = evaluate(expr.key, scope)
            if not isinstance(key_value, Known):
                return Unknown(f"a for expression key cannot be evaluated ({key_value.reason})", expr.span)
            value = evaluate(expr.value, scope)
            text = _key_text(key_value.value)
            if expr.grouping:
                group = mapping.setdefault(text, Known([], expr.span))
                group.value.append(value)
            else:
                mapping[text] = value
        return Known(mapping if expr.key is not None else results, expr.span)


_FUNCTIONS: tuple = ()


def _functions() -> tuple:
    """(FUNCTIONS, LAZY, binary), imported once (functions.py imports this module's peers)."""
    global _FUNCTIONS
    if not _FUNCTIONS:
        from iamlint.normalize.terraform import functions

        _FUNCTIONS = (functions.FUNCTIONS, functions.LAZY, functions.binary)
    return _FUNCTIONS


def describe(expr: s.Expr) -> str:
    """A short rendering of a condition for messages: ``var.debug``, ``local.env == "prod"``."""
    if isinstance(expr, s.Variable):
        return expr.name
    if isinstance(expr, s.GetAttr):
        return f"{describe(expr.source)}.{expr.name}"
    if isinstance(expr, s.Index) and isinstance(expr.key, s.Literal):
        return f"{describe(expr.source)}[{json.dumps(expr.key.value)}]"
    if isinstance(expr, s.Literal):
        return json.dumps(expr.value)
    if isinstance(expr, s.Template) and all(isinstance(p, str) for p in expr.parts):
        return json.dumps("".join(expr.parts))
    if isinstance(expr, s.BinaryOp):
        return f"{describe(expr.left)} {expr.op} {describe(expr.right)}"
    if isinstance(expr, s.UnaryOp):
        return f"{expr.op}{describe(expr.operand)}"
    return f"the condition at line {expr.span.line}"


def either(then: Value, otherwise: Value, reason: str, span: Span) -> Value:
    """A conditional whose condition is unknown. Both sides are evaluated: equal sides
    are that value; two lists become one list holding both sides' items (so a
    violation on either side is reported, at its own line); otherwise an Unknown
    naming the condition."""
    from iamlint.model.values import to_python

    if isinstance(then, Known) and isinstance(otherwise, Known):
        try:
            if to_python(then) == to_python(otherwise):
                return then
        except ValueError:
            pass
        a, b = then.value, otherwise.value
        if isinstance(a, list) and isinstance(b, list):
            return Known(list(a) + list(b), span)
        if isinstance(a, Encoded) and isinstance(b, Encoded):
            both = _policy_union(a.data, b.data, span)
            if both is not None:
                return Known(Encoded(both), span)
        both = _policy_union(then, otherwise, span)
        if both is not None:
            return both
        # a policy document or nothing: only the document can hold a violation
        for side, other in ((then, otherwise), (otherwise, then)):
            if isinstance(side.value, Encoded) and other.value in (None, ""):
                return side
        if a is None and isinstance(b, list):
            return otherwise
        if b is None and isinstance(a, list):
            return then
    return Unknown(f"the condition cannot be decided ({reason}) and its two results differ", span)


def _policy_union(a: Value, b: Value, span: Span) -> Value | None:
    """Two policy documents (objects with a Statement list) -> one holding the statements
    of both, so that a violation in either is reported; None for anything else."""
    if not (isinstance(a, Known) and isinstance(b, Known) and isinstance(a.value, dict) and isinstance(b.value, dict)):
        return None
    first, second = a.value.get("Statement"), b.value.get("Statement")
    if first is None or second is None:
        return None
    items = []
    for statements in (first, second):
        if isinstance(statements, Known) and isinstance(statements.value, list):
            items.extend(statements.value)
        else:
            items.append(statements)  # a single statement object, or an Unknown
    return Known({**a.value, "Statement": Known(items, span)}, span)


def _instance_key(key: Any) -> str:
    if isinstance(key, str):
        return f"[{json.dumps(key)}]"
    return f"[{int(key)}]"


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
    if isinstance(inner, list) and isinstance(key, str) and key.isdigit():
        return _get(value, int(key), span)
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
        from iamlint.model.values import to_python

        try:
            return json.dumps(to_python(inner.data), separators=(",", ":"))
        except ValueError as exc:
            return Unknown(str(exc), value.span)
    if inner is None:
        return Unknown("null in a string template", value.span)
    return Unknown("a collection in a string template", value.span)


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
    return ev.data(steps[0][1], steps[1][1], steps[2:], env, span)


def _root_path(ev: Evaluator, steps: list, env: dict, span: Span) -> Value:
    if steps and steps[0][0] == "attr":
        which = steps[0][1]
        if which == "module":
            return Known(ev.config.directory, span)
        if which == "root":
            return Known(ev.root_directory, span)
        if which == "cwd":
            return Known(os.getcwd(), span)
    return Unknown("unknown path attribute", span)


def _root_terraform(ev: Evaluator, steps: list, env: dict, span: Span) -> Value:
    if steps and steps[0] == ("attr", "workspace"):
        return Known(os.environ.get("TF_WORKSPACE") or "default", span)
    return Unknown("unknown terraform attribute", span)


def _root_module(ev: Evaluator, steps: list, env: dict, span: Span) -> Value:
    if not steps or steps[0][0] != "attr":
        return Unknown("module needs a name", span)
    name = steps[0][1]
    call = ev.module_call(name)
    if call is None:
        return Unknown(f"module.{name} is not defined in this module", span)
    return call.reference(steps[1:], env, span)


def _root_each(ev: Evaluator, steps: list, env: dict, span: Span) -> Value:
    return Unknown("each.key/each.value outside a for_each", span)


def _root_count(ev: Evaluator, steps: list, env: dict, span: Span) -> Value:
    return Unknown("count.index outside a counted block", span)


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
