"""Evaluate CloudFormation intrinsic functions into three-valued values.

Ref/GetAtt to a resource become a :class:`~iamlint.model.values.Ref` (linked by logical
id); parameters give their Default (or the single AllowedValues entry), else Unknown;
Fn::Sub/Join/Select/Split/FindInMap are computed when their inputs are known.
Fn::If is decided only when its condition does not depend on deploy-time input
(parameters are deploy-time input even with a Default, unless a single value is
allowed); otherwise both branches count: inside a list both branches become items,
for the multi-valued IAM keys (Action, Resource, Principal entries, Statement,
ManagedPolicyArns...) the value becomes the list of both branches, two policy
documents merge their statements, and any other value is Unknown naming the condition.
Branch values are :class:`Conditional` so a message can name the condition.
"""

from __future__ import annotations

import _weakref  # weakref's own ref, without importing weakref (start-up)
from typing import Callable, Union

from iamlint.model.span import Span
from iamlint.model.values import Alternatives, Conditional, Encoded, Imported, Known, Ref, Unknown, Value, is_absent, mark, respan
from iamlint.normalize.cloudformation.branches import merge_branches
from iamlint.normalize.cloudformation.conditions import Conditions
from iamlint.normalize.cloudformation.strings import concatenate, placeholder, ref_text
from iamlint.normalize.cloudformation.sub import substitute
from iamlint.normalize.cloudformation.template import Template
from iamlint.normalize.cloudformation.values import NO_VALUE, DeployTime, NoValue

Result = Union[Value, NoValue]
DEPLOY_TIME = ("AWS::AccountId", "AWS::Region", "AWS::StackName", "AWS::StackId", "AWS::NotificationARNs")
REF_ATTRIBUTE = {
    "AWS::IAM::Role": "name",
    "AWS::IAM::InstanceProfile": "name",
    "AWS::IAM::ManagedPolicy": "arn",
    "AWS::IAM::Policy": "name",
    "AWS::IAM::User": "name",
    "AWS::IAM::Group": "name",
}
_OPAQUE = {
    "Fn::ImportValue": "Fn::ImportValue reads a value exported by another stack",
    "Fn::GetAZs": "Fn::GetAZs is known only at deploy time",
    "Fn::Cidr": "Fn::Cidr is not evaluated",
    "Fn::Transform": "Fn::Transform runs a macro at deploy time",
    "Fn::ForEach": "Fn::ForEach is expanded at deploy time",
}


_FUNCTION_NAMES = {
    "Ref": "ref",
    "Fn::GetAtt": "getatt",
    "Fn::Sub": "_sub",
    "Fn::Join": "_join",
    "Fn::Select": "_select",
    "Fn::Split": "_split",
    "Fn::FindInMap": "_find_in_map",
    "Fn::If": "_if",
    "Fn::Base64": "_base64",
    "Fn::ToJsonString": "_to_json_string",
    "Fn::Length": "_length",
    "Fn::ImportValue": "_import_value",
}
_TABLES: dict[type, dict[str, Callable[..., Result]]] = {}


def _functions(cls: type) -> dict[str, Callable[..., Result]]:
    """Intrinsic function name -> the method of ``cls`` evaluating it, built once per class."""
    table = _TABLES.get(cls)
    if table is None:
        table = _TABLES[cls] = {name: getattr(cls, method) for name, method in _FUNCTION_NAMES.items()}
    return table


def _alive(reference: _weakref.ref[Evaluator]) -> Evaluator:
    evaluator = reference()
    if evaluator is None:
        raise ReferenceError("the evaluator of these conditions is no longer in use")
    return evaluator


class Evaluator:
    """Evaluates the values of one template (``partition`` fixes AWS::Partition)."""

    def __init__(self, template: Template, partition: str = "aws") -> None:
        self.template = template
        self.partition = partition
        # no reference from the evaluator to itself (a cycle kept the whole template's values
        # until a pass of the cyclic garbage collector): the conditions reach it weakly,
        # the intrinsic functions through a table of this class's functions
        evaluator = _weakref.ref(self)
        self.conditions = Conditions(template, lambda raw: _alive(evaluator)._condition_operand(raw))
        self._in_condition = False
        self._functions = _functions(type(self))

    def _base64(self, arg: Value, span: Span, key: str) -> Result:
        return self.evaluate(arg, key)

    # -- structure -------------------------------------------------------------

    def evaluate(self, raw: Value, key: str = "") -> Result:
        """The value of ``raw`` (a parsed template value) found under ``key``."""
        if not isinstance(raw, Known):
            return raw
        inner = raw.value
        if isinstance(inner, dict):
            if len(inner) == 1:
                name = next(iter(inner))
                if name == "Ref" or name.startswith("Fn::"):
                    return self._call(name, inner[name], _call_span(raw.span, inner[name]), key)
            return self._mapping(raw, inner)
        if isinstance(inner, list):
            items: list[Value] = []
            for item in inner:
                items.extend(self.items(item, key))
            return Known(items, raw.span)
        return raw

    def _mapping(self, raw: Known, inner: dict) -> Known:
        result: dict[str, Value] = {}
        for name, item in inner.items():
            value = self.evaluate(item, name)
            if value is not NO_VALUE:
                result[name] = value  # type: ignore[assignment]
        return Known(result, raw.span)

    def items(self, raw: Value, key: str = "") -> list[Value]:
        """The list items one raw list item stands for (none for NoValue, both
        branches for an undecidable Fn::If)."""
        branches = self._undecided_if(raw)
        if branches is None:
            value = self.evaluate(raw, key)
            return [] if value is NO_VALUE else [value]  # type: ignore[list-item]
        return [value for value, _ in branches]

    def _call(self, name: str, arg: Value, span: Span, key: str) -> Result:
        function = self._functions.get(name)
        if function is not None:
            return function(self, arg, span, key)
        reason = _OPAQUE.get("::".join(name.split("::")[:2]))
        return Unknown(reason or f"{name} is not evaluated", span)

    def _import_value(self, arg: Value, span: Span, key: str = "") -> Result:
        """Unknown in the template; with its export's name known, an account snapshot's
        exports can resolve it (--account)."""
        name = _text(self.evaluate(arg, key))
        return Imported(_OPAQUE["Fn::ImportValue"], span, export=name or "")

    # -- Ref and GetAtt ----------------------------------------------------------

    def ref(self, arg: Value, span: Span, key: str = "") -> Result:
        name = _text(self.evaluate(arg))
        if name is None:
            return Unknown("Ref to a name that is not a literal", span)
        if name.startswith("AWS::"):
            return self._pseudo(name, span)
        if name in self.template.parameters:
            return self._parameter(name, span, self._in_condition)
        if name in self.template.types or name in self.template.resources:
            attribute = REF_ATTRIBUTE.get(self.template.types.get(name, ""), "id")
            reason = f"Ref {name}: the {attribute} of resource {name} is known only after deployment"
            return Ref(reason, span, address=name, attribute=attribute)
        return Unknown(f"Ref to {name!r}, which the template does not define", span)

    def _pseudo(self, name: str, span: Span) -> Result:
        if name == "AWS::NoValue":
            return NO_VALUE
        if name == "AWS::Partition":
            return Known(self.partition, span)
        if name == "AWS::URLSuffix":
            return Known("amazonaws.com.cn" if self.partition == "aws-cn" else "amazonaws.com", span)
        if name in DEPLOY_TIME:
            return DeployTime(f"{name} is known only at deploy time", span, name=name)
        return Unknown(f"unknown pseudo parameter {name}", span)

    def _parameter(self, name: str, span: Span, for_condition: bool) -> Value:
        declared = self.template.parameters[name].value
        declared = declared if isinstance(declared, dict) else {}
        kind = _text(declared.get("Type")) or "String"
        allowed = declared.get("AllowedValues")
        if isinstance(allowed, Known) and isinstance(allowed.value, list) and len(allowed.value) == 1:
            default: Value | None = allowed.value[0]
        elif for_condition:
            return Unknown(f"parameter {name} is chosen at deploy time", span)
        else:
            default = declared.get("Default")
        if kind.startswith("AWS::SSM::Parameter::Value"):
            return Unknown(f"parameter {name} is read from SSM Parameter Store at deploy time", span)
        if not isinstance(default, Known):
            return Unknown(f"parameter {name} has no default value", span)
        if (kind.startswith("List<") or kind == "CommaDelimitedList") and isinstance(default.value, str):
            return Known([Known(part.strip(), span) for part in default.value.split(",")], span)
        return respan(default, span)

    def getatt(self, arg: Value, span: Span, key: str = "") -> Result:
        parts = self.evaluate(arg)
        if isinstance(parts, Known) and isinstance(parts.value, str):
            head, _, tail = parts.value.partition(".")
            names: list[str | None] = [head, tail]
        elif isinstance(parts, Known) and isinstance(parts.value, list) and len(parts.value) == 2:
            names = [_text(item) for item in parts.value]
        else:
            return Unknown("Fn::GetAtt needs [resource, attribute]", span)
        resource, attribute = names
        if resource is None or not attribute:
            return Unknown("Fn::GetAtt with a computed resource or attribute", span)
        if resource not in self.template.resources:
            return Unknown(f"Fn::GetAtt {resource}.{attribute}: no resource {resource} in the template", span)
        reason = f"{resource}.{attribute} is known only after deployment"
        return Ref(reason, span, address=resource, attribute="arn" if attribute == "Arn" else attribute)

    # -- string functions --------------------------------------------------------

    def _sub(self, arg: Value, span: Span, key: str = "") -> Result:
        return substitute(self, arg, span)

    def _join(self, arg: Value, span: Span, key: str = "") -> Result:
        parts = _pair(arg)
        if parts is None:
            return Unknown("Fn::Join needs [delimiter, list]", span)
        delimiter = _text(self.evaluate(parts[0]))
        items = self.evaluate(parts[1])
        if delimiter is None:
            return Unknown("Fn::Join with a computed delimiter", span)
        if not isinstance(items, Known) or not isinstance(items.value, list):
            reason = items.reason if isinstance(items, Unknown) else "not a list"
            return Unknown(f"Fn::Join over a list that is not known: {reason}", span)
        if len(items.value) == 1 and not isinstance(items.value[0], Known):
            return items.value[0]
        pieces: list[str | Value] = []
        for index, item in enumerate(items.value):
            if index:
                pieces.append(delimiter)
            pieces.append(placeholder(item, ref_text(item)) if isinstance(item, Ref) else item)
        return concatenate(pieces, span, "Fn::Join")

    def _select(self, arg: Value, span: Span, key: str = "") -> Result:
        parts = _pair(arg)
        if parts is None:
            return Unknown("Fn::Select needs [index, list]", span)
        index = self.evaluate(parts[0])
        items = self.evaluate(parts[1])
        number = index.value if isinstance(index, Known) else None
        if isinstance(number, str) and number.strip().isdigit():
            number = int(number)
        if not isinstance(number, int) or isinstance(number, bool):
            return Unknown("Fn::Select with an index that is not known", span)
        if not isinstance(items, Known) or not isinstance(items.value, list):
            reason = items.reason if isinstance(items, Unknown) else "not a list"
            return Unknown(f"Fn::Select from a list that is not known: {reason}", span)
        if not 0 <= number < len(items.value):
            return Unknown(f"Fn::Select index {number} is out of range", span)
        return items.value[number]

    def _split(self, arg: Value, span: Span, key: str = "") -> Result:
        parts = _pair(arg)
        if parts is None:
            return Unknown("Fn::Split needs [delimiter, string]", span)
        delimiter = _text(self.evaluate(parts[0]))
        source = self.evaluate(parts[1])
        text = _text(source)
        if not delimiter or text is None:
            reason = source.reason if isinstance(source, Unknown) else "not a string"
            return Unknown(f"Fn::Split of a string that is not known: {reason}", span)
        return Known([Known(part, span) for part in text.split(delimiter)], span)

    def _find_in_map(self, arg: Value, span: Span, key: str = "") -> Result:
        if not isinstance(arg, Known) or not isinstance(arg.value, list) or len(arg.value) not in (3, 4):
            return Unknown("Fn::FindInMap needs [map, key, key]", span)
        names = [_text(self.evaluate(item)) for item in arg.value[:3]]
        if any(name is None for name in names):
            return Unknown("Fn::FindInMap with a key that is known only at deploy time", span)
        found: Value | None = self.template.mappings.get(names[0])  # type: ignore[arg-type]
        for name in names[1:]:
            found = found.value.get(name) if isinstance(found, Known) and isinstance(found.value, dict) else None
        if found is None and len(arg.value) == 4:
            options = arg.value[3]
            found = options.value.get("DefaultValue") if isinstance(options.value, dict) else None
        if found is None:
            return Unknown(f"Fn::FindInMap: {'/'.join(names)} is not in Mappings", span)  # type: ignore[arg-type]
        value = self.evaluate(found, key)
        return respan(value, span) if isinstance(value, Known) else value

    def _to_json_string(self, arg: Value, span: Span, key: str = "") -> Result:
        value = self.evaluate(arg)
        if value is NO_VALUE:
            return Unknown("Fn::ToJsonString of AWS::NoValue", span)
        return Known(Encoded(value), span)  # type: ignore[arg-type]

    def _length(self, arg: Value, span: Span, key: str = "") -> Result:
        value = self.evaluate(arg)
        if isinstance(value, Known) and isinstance(value.value, list):
            return Known(len(value.value), span)
        return Unknown("Fn::Length of a list that is not known", span)

    # -- conditions --------------------------------------------------------------

    def _condition_operand(self, raw: Value) -> Result:
        """Operands of Fn::Equals: parameters count only when a single value is allowed."""
        self._in_condition = True
        try:
            return self.evaluate(raw)
        finally:
            self._in_condition = False

    def _if_arguments(self, raw: Value) -> tuple[str, Value, Value, Span] | None:
        if not isinstance(raw, Known) or not isinstance(raw.value, dict) or set(raw.value) != {"Fn::If"}:
            return None
        arg = raw.value["Fn::If"]
        if not isinstance(arg, Known) or not isinstance(arg.value, list) or len(arg.value) != 3:
            return None
        name = _text(arg.value[0])
        if name is None:
            return None
        return name, arg.value[1], arg.value[2], raw.span

    def _undecided_if(self, raw: Value) -> list[tuple[Value, str]] | None:
        """Both branches (values marked with their condition) of an Fn::If whose
        condition cannot be decided; None when ``raw`` is not such an Fn::If."""
        found = self._if_arguments(raw)
        if found is None:
            return None
        name, when_true, when_false, _span = found
        if self.conditions.decide(name) is not None:
            return None
        branches = []
        for raw_branch, state in ((when_true, "true"), (when_false, "false")):
            value = self.evaluate(raw_branch)
            if value is not NO_VALUE:
                branches.append((mark(value, f"condition {name} is {state}"), state))  # type: ignore[arg-type]
        return branches

    def _if(self, arg: Value, span: Span, key: str = "") -> Result:
        found = self._if_arguments(Known({"Fn::If": arg}, span))
        if found is None:
            return Unknown("Fn::If needs [condition, value, value]", span)
        name, when_true, when_false, _ = found
        decided = self.conditions.decide(name)
        if decided is not None:
            return self.evaluate(when_true if decided else when_false, key)
        branches = []  # (value or NO_VALUE, condition, the branch as written)
        for raw_branch, state in ((when_true, "true"), (when_false, "false")):
            branches.append((self.evaluate(raw_branch), f"condition {name} is {state}", raw_branch))
        present = [mark(value, condition) for value, condition, _ in branches  # type: ignore[arg-type]  # NoValue left out
                   if value is not NO_VALUE]
        merged = merge_branches(name, present, span, key)  # type: ignore[arg-type]
        if type(merged) is Unknown and all(_written_absent(value, raw) for value, _, raw in branches
                                           if value is NO_VALUE or is_absent(value)):  # type: ignore[arg-type]
            # decided at deploy time: keep each branch, AWS::NoValue as a null
            kept = tuple((condition, Conditional(None, raw.span, condition) if value is NO_VALUE
                          else mark(value, condition))  # type: ignore[arg-type]  # NoValue handled above
                         for value, condition, raw in branches)
            return Alternatives(merged.reason, merged.span, kept)  # type: ignore[arg-type]
        return merged


def _written_absent(value: object, raw: Value) -> bool:
    """Whether a branch without a value says so itself (``!Ref AWS::NoValue``, ``""``),
    rather than through a parameter's default, which the condition may test."""
    if value is NO_VALUE:
        return True
    return isinstance(raw, Known) and not isinstance(raw.value, (dict, list))


def _call_span(outer: Span, arg: Value) -> Span:
    """Where a function call is written: from its argument (the line naming the
    function, not a lone JSON brace) to the end of the call."""
    inner = getattr(arg, "span", None)
    if not isinstance(inner, Span) or (inner.line, inner.column) <= (outer.line, outer.column):
        return outer
    if (inner.end_line, inner.end_column) > (outer.end_line, outer.end_column):
        return outer
    return Span(outer.file, inner.line, inner.column, outer.end_line, outer.end_column)


def _pair(arg: Value) -> tuple[Value, Value] | None:
    if isinstance(arg, Known) and isinstance(arg.value, list) and len(arg.value) == 2:
        return arg.value[0], arg.value[1]
    return None


def _text(value: object) -> str | None:
    if isinstance(value, Known) and isinstance(value.value, str):
        return value.value
    return None
