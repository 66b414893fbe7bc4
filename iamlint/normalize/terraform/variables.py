"""Input variables of the root module, in Terraform's precedence order.

From lowest to highest (Terraform docs, "Variable definition precedence"):

1. the ``default`` of the variable block;
2. ``TF_VAR_<name>`` environment variables;
3. ``terraform.tfvars``;
4. ``terraform.tfvars.json``;
5. ``*.auto.tfvars`` and ``*.auto.tfvars.json``, in lexical order of their file names;
6. ``--var-file FILE`` and ``--var name=value``, interleaved in command-line order as
   Terraform does (the CLI records the order in ``Options.var_order``; a caller that
   sets only ``var_files`` / ``variables`` gets every file first, then every value).

Values from the command line and the environment (which no file holds) are reported
at the variable's declaration, or where they are used. They are taken literally as strings when
the variable's type is primitive or not declared, and parsed as HCL expressions for
complex types (list, map, set, object, tuple), as Terraform does. A variable declared
with a primitive type is converted to it (``"true"`` -> true, ``"3"`` -> 3).
"""

from __future__ import annotations

import os

from iamlint.model.span import Span
from iamlint.model.values import Known, SourceText, Unknown, Value, respan
from iamlint.model.units import SourceError
from iamlint.normalize.terraform.files import read_text
from iamlint.normalize.terraform.types import convert as apply_type, type_of
from iamlint.parsers.jsonpos import JsonError, loads_with_spans
from iamlint.parsers.terraform import syntax as s

_COMPLEX = ("list", "map", "set", "object", "tuple")


def root_variables(config, evaluator, directory: str, options, undeclared: list[str] | None = None,
                   inputs: dict[str, Value] | Unknown | None = None) -> tuple[dict[str, Value], list[SourceError], list[str]]:
    """name -> value for every declared variable, the errors met, the files read;
    ``undeclared`` receives the names given with ``--var`` that no variable block
    declares (Terraform stops on them; a run over many root modules notes them).
    ``inputs`` (a Terragrunt unit's, which Terragrunt passes as ``TF_VAR_*``) rank with
    the environment, below it (Terragrunt does not replace a ``TF_VAR_*`` already set);
    inputs that cannot be evaluated may set any variable: each is that Unknown."""
    errors: list[SourceError] = []
    files: list[str] = []
    values: dict[str, Value] = {}
    for name, block in config.variables.items():
        default = block.body.attributes.get("default")
        if default is not None:
            values[name] = evaluator.eval(default.expr)
        else:
            values[name] = Unknown(f"var.{name} has no value (no default, no tfvars, no --var)", block.span)
    # inputs reach the module as TF_VAR_* values do: reported in the module (where it uses
    # a scalar, at the declaration for a list or an object), not in the unit's file
    if isinstance(inputs, Unknown):
        values.update({name: respan(inputs, block.span, unknowns=True) for name, block in config.variables.items()})
    for name, value in (inputs if isinstance(inputs, dict) else {}).items():
        if name in config.variables:
            values[name] = respan(value, config.variables[name].span, unknowns=True)
    for name in config.variables:
        text = os.environ.get(f"TF_VAR_{name}")
        if text is not None:
            values[name] = _from_text(config, name, text, Span(f"$TF_VAR_{name}", 1, 1, 1, 1), evaluator, errors)
    try:
        names = sorted(os.listdir(directory or "."))
    except OSError:
        names = []
    ordered: list[str] = [n for n in ("terraform.tfvars", "terraform.tfvars.json") if n in names]
    ordered += [n for n in names if n.endswith(".auto.tfvars") or n.endswith(".auto.tfvars.json")]
    sequence = [("file", os.path.join(directory, n)) for n in ordered] + command_line(options)
    for kind, item in sequence:
        if kind == "var":
            name, _, text = item.partition("=")
            name = name.strip()
            if name in config.variables:
                values[name] = _from_text(config, name, text, Span("--var", 1, 1, 1, 1), evaluator, errors)
            elif undeclared is not None and name not in undeclared:
                undeclared.append(name)
            continue
        assigned = read_tfvars(item, evaluator, errors)
        if assigned is None:
            continue
        files.append(item)
        for name, value in assigned.items():
            if name in config.variables:
                values[name] = value
    for name, block in config.variables.items():
        values[name] = convert(values[name], block, evaluator)
    return values, errors, files


def command_line(options) -> list[tuple[str, str]]:
    """--var-file / --var in command-line order when the CLI recorded it (and it agrees
    with the parsed options), else every --var-file, then every --var."""
    files = list(getattr(options, "var_files", None) or [])
    variables = dict(getattr(options, "variables", None) or {})
    order = list(getattr(options, "var_order", None) or [])
    if order:
        ordered_files = [item for kind, item in order if kind == "file"]
        ordered_vars = {item.partition("=")[0].strip() for kind, item in order if kind == "var"}
        if ordered_files == files and ordered_vars == set(variables):
            return order
    return [("file", path) for path in files] + [("var", f"{name}={text}") for name, text in variables.items()]


def read_tfvars(path: str, evaluator, errors: list[SourceError]) -> dict[str, Value] | None:
    """The assignments of a .tfvars / .tfvars.json file (values keep their spans)."""
    text, error = read_text(path, path)
    if error is not None:
        errors.append(error)
        return None
    if path.endswith(".json"):
        try:
            data = loads_with_spans(text, path)  # type: ignore[arg-type]  # text whenever there is no error
        except JsonError as exc:
            errors.append(SourceError(path, exc.line, f"invalid JSON: {exc.message}", exc.column))
            return None
        if not isinstance(data.value, dict):
            errors.append(SourceError(path, data.span.line, "a .tfvars.json file must hold a JSON object"))
            return None
        return {name: _as_source(value) for name, value in data.value.items()}
    # start-up: the HCL parser, needed only when a .tfvars file is read
    from iamlint.parsers.terraform.choice import parse_hcl
    from iamlint.parsers.terraform.errors import HclSyntaxError

    try:
        parsed = parse_hcl(text, path)  # type: ignore[arg-type]  # text whenever there is no error
    except HclSyntaxError as exc:
        errors.append(SourceError(path, exc.line, f"syntax error: {exc.message}", exc.column))
        return None
    for block in parsed.body.blocks:
        errors.append(SourceError(path, block.span.line, f"a .tfvars file holds assignments only, not a {block.type!r} block"))
    return {name: evaluator.eval(attribute.expr) for name, attribute in parsed.body.attributes.items()}


def _as_source(value: Value) -> Value:
    """JSON strings as source text: a value is reported where the file wrote it."""
    if isinstance(value, Known):
        inner = value.value
        if isinstance(inner, str):
            span = value.span
            return SourceText(inner, span, span.line, span.column + 1, span.column)
        if isinstance(inner, list):
            return Known([_as_source(item) for item in inner], value.span)
        if isinstance(inner, dict):
            return Known({key: _as_source(item) for key, item in inner.items()}, value.span)
    return value


def _type_name(block: s.Block) -> str | None:
    attribute = block.body.attributes.get("type")
    if attribute is None:
        return None
    expr = attribute.expr
    if isinstance(expr, s.Variable):
        return expr.name
    if isinstance(expr, s.Call):
        return expr.name
    if isinstance(expr, s.Template) and len(expr.parts) == 1 and isinstance(expr.parts[0], str):
        return expr.parts[0].split("(")[0]  # .tf.json: "list(string)"
    return None


def _from_text(config, name: str, text: str, span: Span, evaluator, errors: list[SourceError]) -> Value:
    type_name = _type_name(config.variables[name])
    if type_name not in _COMPLEX:
        return Known(text, span)
    # start-up: the HCL parser, needed only for a complex value given as text
    from iamlint.parsers.terraform.choice import parse_expression
    from iamlint.parsers.terraform.errors import HclSyntaxError

    try:
        value = evaluator.eval(parse_expression(text, span.file, 1, 1))
        # no file holds this text: its parts are reported at the variable's declaration
        return respan(value, config.variables[name].span, unknowns=True)
    except HclSyntaxError as exc:
        errors.append(SourceError(span.file, 1, f"value of {name} is not a valid expression: {exc.message}"))
        return Unknown(f"var.{name}: its value is not a valid expression", span)


def convert(value: Value, block: s.Block, evaluator) -> Value:
    """Apply the variable's type constraint (primitive conversions, optional() defaults)."""
    return apply_type(type_of(block), value, evaluator)
