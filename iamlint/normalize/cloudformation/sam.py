"""AWS SAM: the execution roles the SAM transform generates, as graph nodes.

An ``AWS::Serverless::Function`` or ``AWS::Serverless::StateMachine`` without a ``Role``
gets a role from the transform, named ``<LogicalId>Role``, and so does it here: its trust
policy (``AssumeRolePolicyDocument``, else the service's), the managed policies SAM adds
itself (a function: ``AWSLambdaBasicExecutionRole``, or its durable variant with
``DurableConfig``; ``AWSXrayWriteOnlyAccess`` with ``Tracing``;
``AWSLambdaVPCAccessExecutionRole`` with ``VpcConfig``; the poller's policy of each
Kinesis, DynamoDB, SQS or MSK event), the policy sending to its ``DeadLetterQueue``, its
``PermissionsBoundary`` and its ``Policies`` in all their forms: an AWS managed policy by
name (its ARN from iamlint's managed policy snapshot, as the transform maps it) or by ARN
(any intrinsic is an ARN), an inline policy document (``Statement``), a list of these, and
SAM policy templates (``S3ReadPolicy: {BucketName: ...}``), expanded from the AWS SAM
translator's own template data (``iamlint/data/sam_policy_templates.json``, written by
``tools/update_sam_policy_templates.py``) with every value located at the template's
entry. The function's ``Globals`` apply first (``Globals.Function``: lists prepended,
mappings merged, the function's own scalars winning), as the transform applies them.

With a ``Role``, the function uses that role and SAM ignores ``Policies``: no role is made
(the role, when it is in the template, is judged as written).
"""

from __future__ import annotations

import functools
import json
import re
from typing import Any, Sequence

from iamlint.model.graph import InlinePolicy, Role
from iamlint.model.policy import Document
from iamlint.model.span import Span
from iamlint.model.values import Conditional, Known, Ref, Unknown, Value, from_python, is_absent, mark
from iamlint.normalize.cloudformation.intrinsics import Evaluator
from iamlint.normalize.cloudformation.resources import to_document
from iamlint.normalize.cloudformation.values import NO_VALUE

FUNCTION = "AWS::Serverless::Function"
STATE_MACHINE = "AWS::Serverless::StateMachine"
_GLOBALS = {FUNCTION: "Function", STATE_MACHINE: "StateMachine"}
_SERVICE = {FUNCTION: "lambda.amazonaws.com", STATE_MACHINE: "states.amazonaws.com"}
_INTRINSIC = "Fn::"


def with_globals(kind: str, raw: Known | None, tree: Known, span: Span) -> Known | None:
    """The resource's raw Properties with the template's ``Globals`` for its kind applied."""
    section = _get(_get(tree, "Globals"), _GLOBALS.get(kind, ""))
    if section is None:
        return raw
    return _merge(section, raw if raw is not None else Known({}, span))  # type: ignore[return-value]


def _merge(globals_: Value, local: Value) -> Value:
    """SAM's rule: mappings merge key by key, lists concatenate (globals first), the
    resource's own value wins for everything else (an intrinsic function included)."""
    if not isinstance(globals_, Known) or not isinstance(local, Known):
        return local
    if isinstance(globals_.value, list) and isinstance(local.value, list):
        return Known([*globals_.value, *local.value], local.span)
    if _plain_mapping(globals_) and _plain_mapping(local):
        merged = dict(globals_.value)
        for key, value in local.value.items():
            merged[key] = _merge(merged[key], value) if key in merged else value
        return Known(merged, local.span)
    return local


def _plain_mapping(value: Known) -> bool:
    return isinstance(value.value, dict) and not any(k == "Ref" or k.startswith(_INTRINSIC) for k in value.value)


def implicit_role(logical_id: str, kind: str, span: Span, raw: Known | None, evaluator: Evaluator,
                  lines: Sequence[str] = ()) -> Role | None:
    """The role SAM generates for a function or state machine (None: it names a Role).
    ``lines`` are the template's, to locate a policy template's entry at its name."""
    if kind not in _SERVICE:
        return None
    properties: dict[str, Value] = raw.value if raw is not None and isinstance(raw.value, dict) else {}
    role = properties.get("Role")
    if role is not None:
        given = evaluator.evaluate(role, "Role")
        if given is not NO_VALUE and not is_absent(given):
            return None
    address = f"{logical_id}Role"
    trust = properties.get("AssumeRolePolicyDocument")
    trust_value = evaluator.evaluate(trust, "AssumeRolePolicyDocument") if trust is not None else _trust(kind, span)
    managed = _default_managed(kind, properties, span, evaluator)
    defaults = len(managed)
    inline: list[InlinePolicy] = _dead_letter_queue(kind, properties, address, evaluator)
    policies = properties.get("Policies")
    for item in _policy_items(policies, evaluator):
        entry = _classify(item, evaluator, lines)
        if isinstance(entry, InlinePolicy):
            name = Known(f"{address}Policy{len(inline)}", item.span)
            inline.append(InlinePolicy(name, entry.document, entry.span))
        elif entry is not None:
            _attach(managed, entry, defaults)
    boundary = properties.get("PermissionsBoundary")
    boundary_value = evaluator.evaluate(boundary, "PermissionsBoundary") if boundary is not None else None
    return Role(
        address,
        "AWS::IAM::Role",
        span,
        {},
        name=Ref(f"the name of {address} is generated by the SAM transform", span, address=address, attribute="name"),
        trust_policy=to_document(trust_value if trust_value is not NO_VALUE else _trust(kind, span)),  # type: ignore[arg-type]
        inline_policies=tuple(inline),
        managed_policy_arns=tuple(managed),
        permissions_boundary=None if boundary_value is None or is_absent(boundary_value) else boundary_value,  # type: ignore[arg-type]
    )


_DLQ_ACTIONS = {"SQS": "sqs:SendMessage", "SNS": "sns:Publish"}


def _dead_letter_queue(kind: str, properties: dict[str, Value], address: str, evaluator: Evaluator) -> list[InlinePolicy]:
    """A function's ``DeadLetterQueue`` ({Type: SQS|SNS, TargetArn}): the transform's
    policy sending to it, located at the property."""
    queue = properties.get("DeadLetterQueue")
    if kind != FUNCTION or not isinstance(queue, Known) or not isinstance(queue.value, dict):
        return []
    raw_type, target = queue.value.get("Type"), queue.value.get("TargetArn")
    kind_value = evaluator.evaluate(raw_type, "Type") if raw_type is not None else None
    action = _DLQ_ACTIONS.get(str(kind_value.value)) if isinstance(kind_value, Known) else None
    if action is None or target is None:
        return []
    at = queue.span
    statement = Known({"Effect": Known("Allow", at), "Action": Known(action, at), "Resource": target}, at)
    document = Known({"Version": Known("2012-10-17", at), "Statement": Known([statement], at)}, at)
    evaluated = evaluator.evaluate(document, "PolicyDocument")
    return [InlinePolicy(Known("DeadLetterQueuePolicy", queue.span), _document(evaluated), queue.span)]  # type: ignore[arg-type]


def _attach(managed: list[Value], arn: Value, defaults: int) -> None:
    """Add a managed policy once, as the transform does; one the transform adds by itself
    (the first ``defaults``) that the template also names is located where it is named."""
    text = arn.value if isinstance(arn, Known) else None
    same = next((i for i, v in enumerate(managed) if text is not None and isinstance(v, Known) and v.value == text), None)
    if same is None:
        managed.append(arn)
    elif same < defaults:
        managed[same] = arn


def _trust(kind: str, span: Span) -> Known:
    statement = {"Effect": "Allow", "Principal": {"Service": [_SERVICE[kind]]}, "Action": ["sts:AssumeRole"]}
    return from_python({"Version": "2012-10-17", "Statement": [statement]}, span)


def _default_managed(kind: str, properties: dict[str, Value], span: Span, evaluator: Evaluator) -> list[Value]:
    """The AWS managed policies the transform attaches by itself."""
    if kind != FUNCTION:
        return []
    durable = properties.get("DurableConfig") is not None
    names = ["service-role/AWSLambdaBasicDurableExecutionRolePolicy" if durable else "service-role/AWSLambdaBasicExecutionRole"]
    tracing = properties.get("Tracing")
    if tracing is not None and not _is_text(evaluator.evaluate(tracing, "Tracing"), "Disabled"):
        names.append("AWSXrayWriteOnlyAccess")
    if properties.get("VpcConfig") is not None:
        names.append("service-role/AWSLambdaVPCAccessExecutionRole")
    found = [Known(f"arn:{evaluator.partition}:iam::aws:policy/{name}", span) for name in names]
    return found + _event_policies(properties, evaluator.partition)


_POLLER_POLICIES = {
    "Kinesis": "AWSLambdaKinesisExecutionRole",
    "DynamoDB": "AWSLambdaDynamoDBExecutionRole",
    "SQS": "AWSLambdaSQSQueueExecutionRole",
    "MSK": "AWSLambdaMSKExecutionRole",
}


def _event_policies(properties: dict[str, Value], partition: str) -> list[Value]:
    """The managed policy the transform attaches for each stream or queue the function
    polls (``Events`` of type Kinesis, DynamoDB, SQS, MSK), located at the event's type."""
    events = properties.get("Events")
    found: list[Value] = []
    for event in events.value.values() if isinstance(events, Known) and isinstance(events.value, dict) else ():
        kind = event.value.get("Type") if isinstance(event, Known) and isinstance(event.value, dict) else None
        name = _POLLER_POLICIES.get(kind.value) if isinstance(kind, Known) and isinstance(kind.value, str) else None
        arn = f"arn:{partition}:iam::aws:policy/service-role/{name}"
        if kind is not None and name is not None and all(not isinstance(v, Known) or v.value != arn for v in found):
            found.append(Known(arn, kind.span))
    return found


def _is_text(value: object, text: str) -> bool:
    return isinstance(value, Known) and value.value == text


def _policy_items(policies: Value | None, evaluator: Evaluator) -> list[Value]:
    """The entries of ``Policies`` (one value or a list; both branches of an undecided
    ``Fn::If``), evaluated."""
    if policies is None:
        return []
    found: list[Value] = []
    for value in evaluator.items(policies, "Policies"):
        if isinstance(value, Known) and isinstance(value.value, list):
            found.extend(value.value)
        else:
            found.append(value)
    return found


def _classify(item: Value, evaluator: Evaluator, lines: Sequence[str] = ()) -> InlinePolicy | Value | None:
    """One ``Policies`` entry: an inline policy (a document, an expanded policy template)
    or a managed policy ARN; None for an empty entry."""
    if isinstance(item, Known) and isinstance(item.value, dict):
        if "Statement" in item.value:
            return InlinePolicy(None, _document(item), item.span)
        if len(item.value) == 1:
            name, parameters = next(iter(item.value.items()))
            condition = item.condition if isinstance(item, Conditional) else ""
            entry = entry_span(lines, name, item.span, parameters.span)
            return InlinePolicy(None, expand(name, parameters, entry, evaluator, condition), item.span)
        return InlinePolicy(None, _document(item), item.span)  # the policy grammar reports what is wrong
    if isinstance(item, Known) and isinstance(item.value, str):
        arn = managed_arn(item, evaluator.partition)
        if isinstance(item, Conditional) and isinstance(arn, Known) and not isinstance(arn, Conditional):
            arn = mark(arn, item.condition)  # one branch of an undecided Fn::If: findings name the condition
        return arn
    if is_absent(item):
        return None
    return item  # an intrinsic function: a managed policy ARN (maybe known only at deploy time)


def _document(value: Known) -> Document:
    document = to_document(value)
    return document if document is not None else Unknown("the policy has no document", value.span)


def managed_arn(name: Known, partition: str) -> Value:
    """A managed policy given by name or ARN -> its ARN, as the transform maps AWS
    managed policy names (from iamlint's snapshot of them)."""
    text = str(name.value)
    if text.startswith("arn:"):
        return name
    # start-up: the managed policy snapshot's index only when a SAM template names a policy
    from iamlint.knowledge.managed import snapshot

    entry = snapshot().get(text)
    if entry is None:
        return Unknown(f"the SAM managed policy {text!r} is not an AWS managed policy iamlint knows "
                       "(the transform passes an unknown name on as an ARN, which IAM rejects)", name.span)
    return Known(f"arn:{partition}:iam::aws:policy{entry['path']}{text}", name.span)


def entry_span(lines: Sequence[str], name: str, item: Span, parameters: Span) -> Span:
    """Where the policy template's name is written (``S3CrudPolicy:`` in YAML,
    ``"S3CrudPolicy":`` in JSON, between the entry's start and its parameters); the
    entry's first line when the text does not show it."""
    for number in range(item.line, min(parameters.line, len(lines)) + 1):
        text = lines[number - 1]
        start = item.column - 1 if number == item.line else 0
        end = parameters.column - 1 if number == parameters.line else len(text)
        match = re.compile(r"[\"']?" + re.escape(name) + r"[\"']?\s*:").search(text, start, max(start, end))
        if match is not None:
            return Span(item.file, number, match.start() + 1, number, match.start() + 1 + len(match.group().rstrip(": \t")))
    return Span(item.file, item.line, item.column, item.line, item.column + len(name))


def expand(name: str, parameters: Value, entry: Span, evaluator: Evaluator, condition: str = "") -> Any:
    """The document of SAM policy template ``name`` with ``parameters`` substituted,
    every value located at the template's ``entry`` (a document or an Unknown saying why
    not); ``condition``: the entry is one branch of an undecided ``Fn::If``."""
    template = policy_templates()["Templates"].get(name)
    if template is None:
        return Unknown(f"{name} is not an inline policy nor a SAM policy template iamlint knows "
                       f"(policy templates of aws-sam-translator {policy_templates()['version']})", entry)
    values = parameters.value if isinstance(parameters, Known) and isinstance(parameters.value, dict) else {}
    missing = [p for p in template.get("Parameters", {}) if p not in values]
    if missing or not isinstance(parameters, Known):
        reason = f"the SAM policy template {name} misses its parameter {', '.join(missing)}" if missing else \
            f"the parameters of the SAM policy template {name} are not known"
        return Unknown(reason, entry)
    document = _substitute(template["Definition"], values, entry)
    if condition:
        document = mark(document, condition)
    return to_document(evaluator.evaluate(document, "PolicyDocument"))  # type: ignore[arg-type]


def _substitute(data: Any, parameters: dict[str, Value], span: Span) -> Value:
    """The template's definition as values at ``span``, ``{"Ref": P}`` replaced by the
    value given for parameter P (which keeps its own span)."""
    if isinstance(data, dict):
        if len(data) == 1 and isinstance(data.get("Ref"), str) and data["Ref"] in parameters:
            return parameters[data["Ref"]]
        return Known({key: _substitute(value, parameters, span) for key, value in data.items()}, span)
    if isinstance(data, list):
        return Known([_substitute(item, parameters, span) for item in data], span)
    return Known(data, span)


@functools.lru_cache(maxsize=1)
def policy_templates() -> dict[str, Any]:
    """The SAM policy templates shipped with iamlint (``Templates``, ``version``)."""
    from iamlint.knowledge.data import DATA_DIR  # the data folder of the package

    return json.loads((DATA_DIR / "sam_policy_templates.json").read_text(encoding="utf-8"))


def _get(value: Value | None, key: str) -> Value | None:
    if isinstance(value, Known) and isinstance(value.value, dict):
        return value.value.get(key)
    return None
