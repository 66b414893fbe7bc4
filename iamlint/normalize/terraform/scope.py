"""The scope of one module instance: its variables, locals, outputs, data sources, the
count/for_each instances of its blocks and its module calls.

Every named value is evaluated lazily and once, through one lookup (:meth:`Scope._once`)
that detects cycles (``local.a -> local.b -> local.a``) and reports them as a located
error instead of recursing forever. The cycle stack is shared by every module instance of
a root module, so a cycle through a module call is found too.
"""

from __future__ import annotations

from typing import Any, Callable, Protocol

from iamlint.model.span import Span
from iamlint.model.values import Known, Unknown, Value, respan
from iamlint.model.units import SourceError
from iamlint.normalize.terraform.config import ModuleConfig
from iamlint.normalize.terraform.instances import DEFAULT_CAP, Expansion, Instance, expand, stand_in
from iamlint.parsers.terraform import syntax as s

DataBuilder = Callable[[Any, s.Block, str, str, Span, dict], Value]


class ModuleCall(Protocol):
    """What a scope and references need from a module call (``modules.ModuleCall``)."""

    reason: str | None
    expansion: Expansion

    def child(self, instance: Instance) -> "Scope": ...


class Loader(Protocol):
    """What a scope needs from the state shared by a root module (``modules.Loader``)."""

    root: str
    errors: list
    reported: set[str]
    evaluating: list[str]
    builders: dict[str, DataBuilder]
    sources: list[str]
    max_instances: int  # instances of a block expanded one by one (instances.expand)

    def call(self, parent: Any, name: str, block: s.Block) -> ModuleCall: ...


class Scope:
    """One module instance. :meth:`eval` (expressions) is the subclass's, :class:`Evaluator`."""

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
        self.config = config
        self.variables = variables
        self.partition = partition
        self.prefix = prefix  # "module.web." for a child module instance
        self.loader = loader
        self.stack = stack  # real paths of the module directories from the root to here
        self.module_path = path  # the call names from the root to here
        self.root_directory = loader.root if loader is not None else config.directory
        self.lazy_variables: dict[str, Callable[[], Value]] = {}
        self.errors: list = loader.errors if loader is not None else []
        self.data_builders: dict[str, DataBuilder] = dict(loader.builders) if loader is not None else {}
        self._evaluating: list[str] = loader.evaluating if loader is not None else []
        self._values: dict[str, Value] = {}
        self._instances: dict[str, Expansion] = {}
        self._calls: dict[str, ModuleCall] = {}
        self._reported: set[str] = set()

    def eval(self, expr: s.Expr, env: dict | None = None) -> Value:
        raise NotImplementedError

    def error(self, span: Span, message: str) -> None:
        """Report a located input error once (cycles, missing module folders)."""
        key = f"{span.file}:{span.line}:{message}"
        if key in self._reported or (self.loader is not None and key in self.loader.reported):
            return
        self._reported.add(key)
        if self.loader is not None:
            self.loader.reported.add(key)
        self.errors.append(SourceError(span.file, span.line, message, span.column))

    # -- the one lookup ----------------------------------------------------------
    def _once(self, key: str, at: Span, compute: Callable[[], Value]) -> Value:
        """The value named ``key`` (``module.web.local.x``), computed on first use; a
        cycle is a located error (at ``at``) and an Unknown."""
        found = self._values.get(key)
        if found is not None:
            return found
        if key in self._evaluating:
            start = self._evaluating.index(key)
            message = f"{key} refers to itself ({' -> '.join(self._evaluating[start:] + [key])})"
            self.error(at, message)
            return Unknown(message, at)
        self._evaluating.append(key)
        try:
            value = compute()
        finally:
            self._evaluating.remove(key)
        self._values[key] = value
        return value

    def variable(self, name: str, span: Span) -> Value:
        if name in self.variables:
            value = self.variables[name]
        elif name in self.lazy_variables:
            value = self._once(f"{self.prefix}var.{name}", span, self.lazy_variables[name])
        else:
            return Unknown(f"var.{name} is not declared", span)
        return respan(value, span, unknowns=True) if isinstance(value, Unknown) else value

    def local(self, name: str, span: Span) -> Value:
        attribute = self.config.locals.get(name)
        if attribute is None:
            return Unknown(f"local.{name} is not defined", span)
        return self._once(f"{self.prefix}local.{name}", attribute.span, lambda: self.eval(attribute.expr))

    def output(self, name: str, span: Span) -> Value:
        block = self.config.outputs.get(name)
        if block is None:
            return Unknown(f"output {name} is not defined in {self.config.directory}", span)
        value_attr = block.body.attributes.get("value")
        if value_attr is None:
            return Unknown(f"output {name} has no value", block.span)
        return self._once(f"{self.prefix}output.{name}", block.span, lambda: self.eval(value_attr.expr))

    def outputs_object(self, span: Span) -> Value:
        return Known({name: self.output(name, span) for name in self.config.outputs}, span)

    def data_attribute(self, block: s.Block, address: str, instance: Instance, attribute: str, span: Span) -> Value:
        """One attribute of one instance of ``data.<address>``."""
        builder = self.data_builders.get(block.labels[0])
        if builder is None:
            return Unknown(f"data.{address}.{attribute} is read from AWS at plan time", span)
        return self._once(f"{self.prefix}data.{address}{instance.suffix}.{attribute}", block.span,
                          lambda: builder(self, block, address, attribute, span, instance.env))

    def data_object(self, block: s.Block, address: str, instance: Instance, span: Span) -> Value:
        """Every attribute the builder of ``data.<address>`` knows, of one instance."""
        builder = self.data_builders.get(block.labels[0])
        names = getattr(builder, "attributes", ())
        if builder is None or not names:
            return Unknown(f"data.{address} is read from AWS at plan time", span)
        return Known({n: self.data_attribute(block, address, instance, n, span) for n in names}, span)

    # -- instances and module calls -------------------------------------------------
    def instances(self, block: s.Block, address: str) -> Expansion:
        """The count/for_each instances of a block of this module (``address`` as
        written here: ``aws_iam_role.r``, ``data.x.y``, ``module.m``), expanded once."""
        cached = self._instances.get(address)
        if cached is not None:
            return cached
        self._instances[address] = stand_in(
            Unknown(f"{address} depends on itself through count/for_each", block.span), block)
        cap = self.loader.max_instances if self.loader is not None else DEFAULT_CAP
        result = expand(block, self.prefix, address, self.eval, cap)
        self._instances[address] = result
        return result

    def release_calls(self) -> None:
        """Forget this instance's module calls (``modules.Loader.release``, once the graph is built)."""
        self._calls.clear()

    def module_call(self, name: str) -> ModuleCall | None:
        if name in self._calls:
            return self._calls[name]
        block = self.config.modules.get(name)
        if block is None or self.loader is None:
            return None
        call = self.loader.call(self, name, block)
        self._calls[name] = call
        return call
