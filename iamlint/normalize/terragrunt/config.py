"""One Terragrunt unit's configuration: its ``terragrunt.hcl`` and the parents it
includes, evaluated into what the module needs (the ``terraform { source }`` and the
``inputs``).

Expressions are evaluated by the Terraform evaluator (the same HCL parse API, the same
built-in functions, Unknowns with reasons), with what Terragrunt adds:

* ``local.x`` (the file's ``locals``), ``include.<label>.locals.x`` /
  ``include.<label>.inputs`` (an included parent, evaluated in the including unit's
  context, as Terragrunt does);
* ``dependency.<name>.outputs.x``: Unknown ("dependency output"): the outputs of another
  unit exist only after it is applied;
* ``find_in_parent_folders([name[, fallback]])``, ``path_relative_to_include([label])``,
  ``path_relative_from_include([label])``, ``get_terragrunt_dir()``,
  ``get_original_terragrunt_dir()``, ``get_parent_terragrunt_dir([label])``,
  ``get_repo_root()``. Functions that read the machine or AWS (``get_env``,
  ``run_cmd``, ``get_aws_account_id``, ``read_terragrunt_config``, ``sops_decrypt_file``)
  are never run: an Unknown.

An included parent merges into the unit as Terragrunt's ``merge_strategy`` says
(``shallow``, the default: the unit's ``inputs`` keys and ``terraform`` attributes win;
``deep``: nested objects merged; ``no_merge``). Parents are read only inside the
repository checked (``Options.read_roots``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Callable

from iamlint.model.span import Span
from iamlint.model.units import SourceError
from iamlint.model.values import Known, Unknown, Value
from iamlint.normalize.terraform.config import ModuleConfig
from iamlint.normalize.terraform.evaluate import Evaluator
from iamlint.normalize.terraform.files import parse_file
from iamlint.parsers.terraform import syntax as s
from iamlint.sources import inside

CONFIG = "terragrunt.hcl"
DEPENDENCY_OUTPUT = "dependency output"
_NEVER_RUN = ("get_env", "run_cmd", "get_aws_account_id", "get_aws_caller_identity_arn",
              "get_aws_caller_identity_user_id", "read_terragrunt_config", "sops_decrypt_file",
              "get_terraform_command", "get_terraform_cli_args", "read_tfvars_file")


@dataclass(frozen=True, slots=True)
class Context:
    """Where a unit is evaluated: its folder (``get_terragrunt_dir()``), the folders of
    the configurations it includes by label (unlabelled: ""), and the folders files may be
    read in."""

    unit_dir: str
    includes: dict[str, str] = field(default_factory=dict)
    roots: tuple[str, ...] = ()


@dataclass(slots=True)
class UnitConfig:
    """What a unit's configuration says: the module ``source`` (None: the unit's own
    folder is the module), with the span of its attribute, the ``inputs`` (an Unknown:
    they cannot be evaluated), the configuration files read and the errors met; a unit
    whose own file cannot be parsed is its errors only (one root cause, no "cannot
    verify" notes besides)."""

    source: Value | None = None
    source_span: Span | None = None
    inputs: Value | None = None
    files: list[str] = field(default_factory=list)
    errors: list[SourceError] = field(default_factory=list)
    readable: bool = True  # False: the unit's own file cannot be read or parsed (its errors say why)


class TerragruntEvaluator(Evaluator):
    """The Terraform evaluator for one Terragrunt configuration file: ``names``
    (``include``, ``dependency``) are visible to every expression, Terragrunt's
    functions are known."""

    def __init__(self, config: ModuleConfig, context: Context, partition: str = "aws") -> None:
        super().__init__(config, {}, partition)
        self.context = context
        self.names: dict[str, Value] = {}
        self.functions: dict[str, Callable[[list[Known], Span], Value]] = {
            "find_in_parent_folders": self._find_in_parent_folders,
            "path_relative_to_include": self._relative_to_include,
            "path_relative_from_include": self._relative_from_include,
            "get_terragrunt_dir": lambda args, span: Known(os.path.abspath(context.unit_dir), span),
            "get_original_terragrunt_dir": lambda args, span: Known(os.path.abspath(context.unit_dir), span),
            "get_parent_terragrunt_dir": self._parent_dir,
            "get_repo_root": lambda args, span: Known(self._repository(), span),
        }

    def eval(self, expr: s.Expr, env: dict | None = None) -> Value:
        return super().eval(expr, {**self.names, **env} if env else self.names)

    def _call(self, expr: s.Call, env: dict) -> Value:
        function = self.functions.get(expr.name)
        if function is not None:
            args: list[Known] = []
            for arg in expr.args:
                value = self.eval(arg, env)
                if not isinstance(value, Known):
                    return Unknown(f"{expr.name}(): an argument cannot be evaluated ({value.reason})", expr.span)
                args.append(value)
            return function(args, expr.span)
        if expr.name in _NEVER_RUN:
            return Unknown(f"{expr.name}() is known only when Terragrunt runs (iamlint does not run it)", expr.span)
        return super()._call(expr, env)

    # -- Terragrunt's functions ------------------------------------------------------
    def _repository(self) -> str:
        unit = os.path.abspath(self.context.unit_dir)
        return next((os.path.abspath(root) for root in self.context.roots if inside(unit, root)), unit)

    def _find_in_parent_folders(self, args: list[Known], span: Span) -> Value:
        name = str(args[0].value) if args else CONFIG
        top = self._repository()
        folder = os.path.dirname(os.path.abspath(self.context.unit_dir))
        while inside(folder, top):
            candidate = os.path.join(folder, name)
            if os.path.isfile(candidate):
                return Known(candidate, span)
            parent = os.path.dirname(folder)
            if parent == folder:
                break
            folder = parent
        if len(args) > 1:
            return args[1]
        return Unknown(f"find_in_parent_folders(): no {name} above {self.context.unit_dir} "
                       "inside the repository checked", span)

    def _include_dir(self, args: list[Known], span: Span) -> str | Unknown:
        includes = self.context.includes
        if args:
            found = includes.get(str(args[0].value))
            return found if found is not None else Unknown(f"no include block labelled {args[0].value!r}", span)
        if len(includes) == 1:
            return next(iter(includes.values()))
        return Unknown("several include blocks: name the one meant" if includes else "no include block", span)

    def _relative_to_include(self, args: list[Known], span: Span) -> Value:
        if not args and not self.context.includes:
            return Known(".", span)  # Terragrunt's answer outside an include
        parent = self._include_dir(args, span)
        if isinstance(parent, Unknown):
            return parent
        return Known(os.path.relpath(os.path.abspath(self.context.unit_dir), parent).replace(os.sep, "/"), span)

    def _relative_from_include(self, args: list[Known], span: Span) -> Value:
        if not args and not self.context.includes:
            return Known(".", span)
        parent = self._include_dir(args, span)
        if isinstance(parent, Unknown):
            return parent
        return Known(os.path.relpath(parent, os.path.abspath(self.context.unit_dir)).replace(os.sep, "/"), span)

    def _parent_dir(self, args: list[Known], span: Span) -> Value:
        if not args and not self.context.includes:
            return Known(os.path.abspath(self.context.unit_dir), span)
        parent = self._include_dir(args, span)
        return parent if isinstance(parent, Unknown) else Known(parent, span)


def read_unit(path: str, roots: tuple[str, ...], partition: str = "aws") -> UnitConfig:
    """The configuration of the unit whose ``terragrunt.hcl`` is ``path``."""
    result = UnitConfig(files=[path])
    parsed = parse_file(path, path)
    hcl = parsed.tree
    result.errors.extend(parsed.errors)
    if hcl is None:
        result.readable = False
        return result
    unit_dir = os.path.dirname(path) or "."
    blocks = hcl.body.blocks_of("include")
    # include paths are evaluated first, without the includes (Terragrunt does the same)
    bare = TerragruntEvaluator(ModuleConfig.from_files(unit_dir, [hcl]), Context(unit_dir, {}, roots), partition)
    bare.names = {"include": Unknown("include is being read", Span.point(path, 1)), "dependency": _dependencies(hcl, bare)}
    parents: list[tuple[str, s.Block, s.HclFile]] = []
    for block in blocks:
        parent = _parent(block, bare, roots, result)
        if parent is not None:
            parents.append((block.labels[0] if block.labels else "", block, parent))
    context = Context(unit_dir, {label: os.path.dirname(os.path.abspath(hcl_file.path)) for label, _, hcl_file in parents},
                      roots)
    exposed: dict[str, Value] = {}
    merged: list[tuple[str, TerragruntEvaluator, s.HclFile]] = []
    for label, block, parent_hcl in parents:
        parent_ev = TerragruntEvaluator(ModuleConfig.from_files(os.path.dirname(parent_hcl.path), [parent_hcl]),
                                        context, partition)
        parent_ev.names = {"dependency": _dependencies(parent_hcl, parent_ev)}
        exposed[label] = _exposed(parent_hcl, parent_ev, block.span)
        merged.append((_strategy(block, bare), parent_ev, parent_hcl))
    unit = TerragruntEvaluator(ModuleConfig.from_files(unit_dir, [hcl]), context, partition)
    include: Value = Unknown("this unit includes no configuration", Span.point(path, 1))
    if list(exposed) == [""]:  # an unlabelled include: include.locals
        include = exposed[""]
    elif exposed:
        include = Known(exposed, blocks[0].span)
    unit.names = {"include": include, "dependency": _dependencies(hcl, unit)}
    source, inputs = _own(hcl, unit)
    for strategy, parent_ev, parent_hcl in merged:
        if strategy == "no_merge":
            continue
        parent_source, parent_inputs = _own(parent_hcl, parent_ev)
        if source[0] is None:
            source = parent_source
        inputs = _merge(parent_inputs, inputs, deep=strategy == "deep")
    result.source, result.source_span = source
    result.inputs = inputs
    return result


def _parent(block: s.Block, bare: TerragruntEvaluator, roots: tuple[str, ...], result: UnitConfig) -> s.HclFile | None:
    """The parsed configuration an ``include`` block names (errors are located at it)."""
    attribute = block.body.attributes.get("path")
    if attribute is None:
        result.errors.append(SourceError(block.span.file, block.span.line, "this include has no path", block.span.column))
        return None
    value = bare.eval(attribute.expr)
    span = attribute.span
    if not isinstance(value, Known) or not isinstance(value.value, str):
        reason = value.reason if isinstance(value, Unknown) else "it is not a string"
        result.errors.append(SourceError(span.file, span.line, f"the included configuration cannot be found: {reason}",
                                         span.column))
        return None
    path = shown(os.path.join(os.path.abspath(bare.context.unit_dir), value.value), bare.context.unit_dir)
    if roots and not any(inside(path, root) for root in roots):
        result.errors.append(SourceError(span.file, span.line, f"the included configuration {value.value} is outside "
                                         "the repository checked: not read", span.column))
        return None
    parsed = parse_file(path, path)
    located = [error for error in parsed.errors if error.line]
    result.errors.extend(located)  # a syntax error in the parent: where it is
    if parsed.tree is None:
        if not located:  # missing, unreadable: at the include
            why = parsed.errors[0].message if parsed.errors else "it cannot be read"
            result.errors.append(SourceError(span.file, span.line, f"the included configuration {value.value}: {why}",
                                             span.column))
        return None
    hcl = parsed.tree
    result.files.append(hcl.path)
    return hcl


def shown(path: str, like: str) -> str:
    """``path`` spelt as ``like`` is (relative to the working folder, or absolute), normalised."""
    path = os.path.normpath(path)
    if os.path.isabs(like):
        return path
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive
        return path


def _strategy(block: s.Block, bare: TerragruntEvaluator) -> str:
    attribute = block.body.attributes.get("merge_strategy")
    value = bare.eval(attribute.expr) if attribute is not None else None
    return str(value.value) if isinstance(value, Known) and value.value in ("no_merge", "shallow", "deep") else "shallow"


def _dependencies(hcl: s.HclFile, ev: TerragruntEvaluator) -> Value:
    """``dependency.<name>``: its outputs are Unknown, known once that unit is applied."""
    found: dict[str, Value] = {}
    for block in hcl.body.blocks_of("dependency"):
        if not block.labels:
            continue
        name = block.labels[0]
        path = block.body.attributes.get("config_path")
        value = ev.eval(path.expr) if path is not None else None
        where = f", the unit in {value.value}" if isinstance(value, Known) else ""
        reason = f"{DEPENDENCY_OUTPUT} (dependency.{name}{where}): known only after that unit is applied"
        found[name] = Known({"outputs": Unknown(reason, block.span), "inputs": Unknown(reason, block.span)}, block.span)
    return Known(found, hcl.body.blocks[0].span if hcl.body.blocks else Span.point(hcl.path, 1))


def _exposed(hcl: s.HclFile, ev: TerragruntEvaluator, span: Span) -> Value:
    """``include.<label>``: the parent's locals and inputs."""
    locals_ = {name: ev.local(name, attribute.span) for name, attribute in ev.config.locals.items()}
    _, inputs = _own(hcl, ev)
    return Known({"locals": Known(locals_, span), "inputs": inputs or Known({}, span)}, span)


def _own(hcl: s.HclFile, ev: TerragruntEvaluator) -> tuple[tuple[Value | None, Span | None], Value | None]:
    """A configuration file's own ``terraform { source }`` and ``inputs``."""
    source: tuple[Value | None, Span | None] = (None, None)
    block = hcl.body.first_block("terraform")
    if block is not None and "source" in block.body.attributes:
        attribute = block.body.attributes["source"]
        source = (ev.eval(attribute.expr), attribute.span)
    inputs = hcl.body.attributes.get("inputs")
    return source, ev.eval(inputs.expr) if inputs is not None else None


def _merge(parent: Value | None, child: Value | None, deep: bool) -> Value | None:
    """Terragrunt's merge of ``inputs``: the child's keys win."""
    if parent is None:
        return child
    if child is None:
        return parent
    if not isinstance(parent, Known) or not isinstance(parent.value, dict):
        return parent if isinstance(parent, Unknown) else child
    if not isinstance(child, Known) or not isinstance(child.value, dict):
        return child
    merged: dict[str, Any] = dict(parent.value)
    for key, value in child.value.items():
        below = merged.get(key)
        merged[key] = _merge(below, value, deep) if deep and isinstance(below, Known) and isinstance(below.value, dict) \
            else value
    return Known(merged, child.span)
