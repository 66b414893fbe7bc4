"""One IAM policy model for every format: documents, statements, principals, actions.

Documents are built from a :class:`~iamlint.model.values.Value` holding the IAM JSON
structure (``{"Version": ..., "Statement": [...]}``), whichever syntax produced it: a
Terraform ``jsonencode``, JSON text in a heredoc, a ``data "aws_iam_policy_document"``,
or a CloudFormation mapping. Every statement and every action keeps its span.

It is also the one place where the IAM policy grammar is enforced, for every format:
what AWS rejects (an element of the wrong type, an Effect other than ``Allow`` /
``Deny``, a statement without Effect or actions, ``Action`` with ``NotAction``, an
unknown Version) makes the statement, or the document, a :class:`Rejected` value whose
span points inside the document; text that is not JSON (``normalize.documents``) and an
empty policy are rejected the same way. The engine reports each as a located input
error (:func:`rejections`), rules skip them, and the other statements and documents are
still checked. Only known values are judged: an Unknown part never makes a rejection.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator, Union

from iamlint.model.span import Span, fast_pickle
from iamlint.model.values import Encoded, Known, Unknown, Value, as_list


VERSIONS = ("2012-10-17", "2008-10-17")
EFFECTS = ("Allow", "Deny")
PRINCIPAL_KINDS = ("AWS", "Service", "Federated", "CanonicalUser")
Problem = tuple[str, Span]  # what AWS rejects, and where (inside the document)
EMPTY = "the policy document is empty (AWS requires a JSON policy document)"


@dataclass(frozen=True, slots=True)
class Rejected(Unknown):
    """A policy document, or one of its statements, that AWS rejects. ``problems`` are
    (message, span) pairs, the first being ``reason`` / ``span``. An input error, not a
    finding: the engine reports each problem once, rules see an Unknown and say nothing
    ("cannot verify" notes skip it too)."""

    problems: tuple[Problem, ...] = ()

    @classmethod
    def of(cls, problems: list[Problem]) -> "Rejected":
        return cls(problems[0][0], problems[0][1], tuple(problems))

    def reported_in(self, holder: Span) -> bool:
        """Whether the engine reports it as an input error for the node spanning ``holder``
        (see :func:`reported`); if not, it is "cannot verify" like any Unknown."""
        return any(reported(problem, holder) for problem in self.problems)


@fast_pickle
@dataclass(frozen=True, slots=True)
class Principal:
    """One principal entry: ``kind`` is "*", "AWS", "Service", "Federated", "CanonicalUser"
    or "?" when the principal block itself is unknown."""

    kind: str
    value: Value

    @property
    def span(self) -> Span:
        return self.value.span


@fast_pickle
@dataclass(frozen=True, slots=True)
class Statement:
    """One statement of a policy document, each element as written (``Value``s with spans)."""

    span: Span
    sid: Value | None = None
    effect: Value | None = None
    actions: tuple[Value, ...] = ()
    not_actions: tuple[Value, ...] = ()
    resources: tuple[Value, ...] = ()
    not_resources: tuple[Value, ...] = ()
    principals: tuple[Principal, ...] = ()
    not_principals: tuple[Principal, ...] = ()
    condition: Value | None = None
    has_not_action: bool = False
    has_principal: bool = False
    has_not_principal: bool = False

    @property
    def is_allow(self) -> bool | None:
        """True for Allow, False for Deny, None when the effect cannot be known."""
        if self.effect is None:
            return None
        if isinstance(self.effect, Known) and isinstance(self.effect.value, str):
            return self.effect.value == "Allow"
        return None

    @classmethod
    def from_value(cls, value: Value) -> "Statement | Unknown":
        if isinstance(value, Unknown):
            return value
        body = value.value
        if not isinstance(body, dict):
            return Rejected.of([(f"a policy statement must be a JSON object, not {_kind(body)}", value.span)])
        problems = list(_statement_problems(body, value.span))
        if problems:
            return Rejected.of(problems)
        return cls(
            span=value.span,
            sid=body.get("Sid"),
            effect=body.get("Effect"),
            actions=_items(body.get("Action")),
            not_actions=_items(body.get("NotAction")),
            resources=_items(body.get("Resource")),
            not_resources=_items(body.get("NotResource")),
            principals=_principals(body.get("Principal")),
            not_principals=_principals(body.get("NotPrincipal")),
            condition=body.get("Condition"),
            has_not_action="NotAction" in body,
            has_principal="Principal" in body,
            has_not_principal="NotPrincipal" in body,
        )


@fast_pickle
@dataclass(frozen=True, slots=True)
class PolicyDocument:
    """``problems``: what AWS rejects in the document besides its statements (its
    Version); its statements are read all the same."""

    span: Span
    statements: tuple["Statement | Unknown", ...]
    version: Value | None = None
    problems: tuple[Problem, ...] = ()

    @classmethod
    def from_value(cls, value: Value) -> "PolicyDocument | Unknown":
        """Build a document from its IAM JSON structure (or a JSON string of it)."""
        if isinstance(value, Unknown):
            return value
        inner = value.value
        if isinstance(inner, Encoded):
            return cls.from_value(inner.data)
        if isinstance(inner, str):
            return Unknown("policy given as text that was not decoded", value.span)
        if not isinstance(inner, dict):
            return Rejected.of([(f"a policy document must be a JSON object, not {_kind(inner)}", value.span)])
        version = inner.get("Version")
        problems = tuple(_version_problems(version))
        if "Statement" not in inner:
            return Rejected.of([("the policy document has no Statement", value.span)])
        statements = inner["Statement"]
        if isinstance(statements, Known) and statements.value is not None and not isinstance(statements.value, (list, dict)):
            message = f"Statement must be an object or a list of objects, not {_kind(statements.value)}"
            return Rejected.of([(message, statements.span)])
        items = as_list(statements)
        return cls(value.span, tuple(Statement.from_value(item) for item in items), version, problems)


Document = Union[PolicyDocument, Unknown]


def rejections(document: "Document | None") -> Iterator[Problem]:
    """What AWS rejects in a document: the document itself, its Version, its statements."""
    if isinstance(document, Rejected):
        yield from document.problems
    elif isinstance(document, PolicyDocument):
        yield from document.problems
        for statement in document.statements:
            if isinstance(statement, Rejected):
                yield from statement.problems


def reported(problem: Problem, holder: Span) -> bool:
    """Whether a problem is an input error: always, except an empty document that is not
    written in the resource holding it (a variable's default of a module checked on its
    own, which its callers replace): that one stays "cannot verify"."""
    message, span = problem
    if message != EMPTY:
        return True
    return (span.file == holder.file and (span.line, span.column) >= (holder.line, holder.column)
            and (span.end_line, span.end_column) <= (holder.end_line, holder.end_column))


def _kind(value: Any) -> str:
    """How a JSON value is named in messages."""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if value is None:
        return "null"
    names: dict[type, str] = {str: "a string", list: "a list", dict: "an object"}
    return names.get(type(value), "a value of another type")


def _version_problems(version: Value | None) -> Iterator[Problem]:
    if isinstance(version, Known) and version.value not in VERSIONS:
        yield f"Version must be \"2012-10-17\" (or \"2008-10-17\"), not {_shown(version.value)}", version.span


def _shown(value: Any) -> str:
    return repr(value) if isinstance(value, str) else _kind(value)


def _statement_problems(body: dict[str, Value], span: Span) -> Iterator[Problem]:
    """What AWS rejects in one statement (known parts only)."""
    effect = body.get("Effect")
    if effect is None or (isinstance(effect, Known) and effect.value is None):
        yield "the statement has no Effect (\"Allow\" or \"Deny\")", span
    elif isinstance(effect, Known) and effect.value not in EFFECTS:
        yield f"Effect must be \"Allow\" or \"Deny\", not {_shown(effect.value)}", effect.span
    for first, second in (("Action", "NotAction"), ("Resource", "NotResource"), ("Principal", "NotPrincipal")):
        if _present(body.get(first)) and _present(body.get(second)):
            yield f"a statement cannot have both {first} and {second}", body[second].span
    if not _present(body.get("Action")) and not _present(body.get("NotAction")):
        yield "the statement has no Action or NotAction", span
    for key in ("Action", "NotAction", "Resource", "NotResource"):
        yield from _strings_problems(key, body.get(key))
    for key in ("Principal", "NotPrincipal"):
        yield from _principal_problems(key, body.get(key))
    yield from _condition_problems(body.get("Condition"))


def _present(value: Value | None) -> bool:
    return value is not None and not (isinstance(value, Known) and value.value is None)


def _strings_problems(key: str, value: Value | None) -> Iterator[Problem]:
    """``key`` must be a string or a list of strings."""
    if not isinstance(value, Known) or value.value is None:
        return
    items = value.value if isinstance(value.value, list) else [value]
    for item in items:
        if isinstance(item, Known) and not isinstance(item.value, str) and item.value is not None:
            yield f"{key} must be a string or a list of strings, not {_kind(item.value)}", item.span


def _principal_problems(key: str, value: Value | None) -> Iterator[Problem]:
    """``key`` must be "*" or an object of principal kinds, each a string or a list of strings."""
    if not isinstance(value, Known) or value.value is None:
        return
    inner = value.value
    if isinstance(inner, str):
        if inner != "*":
            yield f"{key} must be \"*\" or an object such as {{\"Service\": ...}}, not the string {inner!r}", value.span
        return
    if not isinstance(inner, dict):
        yield f"{key} must be \"*\" or an object such as {{\"Service\": ...}}, not {_kind(inner)}", value.span
        return
    for kind, items in inner.items():
        if kind not in PRINCIPAL_KINDS:
            yield f"unknown {key} type {kind!r} (expected {', '.join(PRINCIPAL_KINDS)})", items.span
        else:
            yield from _strings_problems(f"{key} {kind}", items)


def _condition_problems(value: Value | None) -> Iterator[Problem]:
    """Condition must be an object of operators, each an object of keys."""
    if not isinstance(value, Known) or value.value is None:
        return
    if not isinstance(value.value, dict):
        yield f"Condition must be an object of operators, not {_kind(value.value)}", value.span
        return
    for operator, block in value.value.items():
        if isinstance(block, Known) and not isinstance(block.value, dict):
            yield f"Condition operator {operator!r} must hold an object of keys, not {_kind(block.value)}", block.span


def _items(value: Value | None) -> tuple[Value, ...]:
    if value is None:
        return ()
    return tuple(as_list(value))


def _principals(value: Value | None) -> tuple[Principal, ...]:
    if value is None:
        return ()
    if isinstance(value, Unknown):
        return (Principal("?", value),)
    inner = value.value
    if isinstance(inner, str):
        return (Principal("*" if inner == "*" else "?", value),)
    if not isinstance(inner, dict):
        return (Principal("?", Unknown("principal is neither '*' nor an object", value.span)),)
    entries: list[Principal] = []
    for kind, items in inner.items():
        for item in as_list(items):
            entries.append(Principal(kind, item))
    return tuple(entries)

