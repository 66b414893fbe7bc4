"""Three-valued values: every evaluated value is Known, or Unknown with a reason.

A ``Known`` holds a plain Python value whose containers hold further values:
``str``, ``int``, ``float``, ``bool``, ``None``, ``list[Value]``, ``dict[str, Value]``
or an :class:`Encoded` (a JSON string whose structure is still known, e.g. the result
of ``jsonencode`` or a policy document's ``.json``). An ``Unknown`` is never guessed
into a violation: rules treat it as "cannot verify".

A :class:`Ref` is an Unknown that still knows *what* it refers to: an attribute of
another resource in the same graph (``aws_iam_role.web.arn``, ``!GetAtt Role.Arn``).
The graph uses it to link nodes; a rule that needs the text sees only an Unknown.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any, Iterator, Union

from iamlint.model.span import Span, fast_pickle


@fast_pickle
@dataclass(frozen=True, slots=True)
class Known:
    """A value read from the code, with where it is written."""

    value: Any
    span: Span

    def __repr__(self) -> str:
        return f"Known({self.value!r})"


@fast_pickle
@dataclass(frozen=True, slots=True)
class SourceText(Known):
    """A Known string copied verbatim from the source, with where its text starts, so
    JSON inside it (a policy in a heredoc) can be mapped to real lines and columns:
    ``line``/``column`` of its first character, ``indent`` added to later lines."""

    line: int = 1
    column: int = 1
    indent: int = 0

    def __repr__(self) -> str:
        return f"SourceText({self.value!r})"


@fast_pickle
@dataclass(frozen=True, slots=True)
class Conditional(Known):
    """A Known value that exists only in one branch of a condition that cannot be
    decided from the code (a Terraform ``cond ? a : b``, a CloudFormation ``Fn::If``).

    Both branches are kept, so a violation in either is reported; ``condition`` says
    which branch this is (``"condition IsProd is true"``) and is added to the message of
    any finding located on this value."""

    condition: str = ""

    def __repr__(self) -> str:
        return f"Conditional({self.value!r}, {self.condition!r})"


def mark(value: "Value", condition: str) -> "Value":
    """Mark a value, and everything inside it, as existing only when ``condition`` holds."""
    if isinstance(value, Unknown):
        return value
    inner = value.value
    if isinstance(inner, list):
        inner = [mark(item, condition) for item in inner]
    elif isinstance(inner, dict):
        inner = {key: mark(item, condition) for key, item in inner.items()}
    if isinstance(value, Conditional) and value.condition:
        condition = f"{condition} and {value.condition}"
    return Conditional(inner, value.span, condition)


def respan(value: "Value", span: Span, *, unknowns: bool = False) -> "Value":
    """The same value, and everything inside it (list items, object members, the
    structure of an :class:`Encoded` string), located at ``span``: the place that uses it,
    when its own positions cannot be trusted (escaped JSON, a value given on the command
    line, a plan value mapped to the ``.tf`` attribute that sets it).

    A :class:`Conditional` stays one, its condition kept; a :class:`SourceText` becomes a
    plain Known (its text no longer starts where it says). Unknowns keep their own span,
    unless ``unknowns`` is set: then they move too, a :class:`Ref` keeping what it refers
    to, a :class:`PartialText` its text (still where it is written: an Unknown moved by a
    reference to a local or variable), any other Unknown becoming a plain Unknown with
    its reason."""
    if isinstance(value, Unknown):
        if not unknowns:
            return value
        if isinstance(value, (Ref, Imported)):  # what it refers to (a Lookup's name, an export's) kept
            return replace(value, span=span)
        if isinstance(value, PartialText):  # reported at span; its text stays where it is
            return replace(value, span=span, exact=value.exact and span.file == value.span.file)
        if isinstance(value, Alternatives):  # reported at span; each branch stays where it is written
            return replace(value, span=span)
        return Unknown(value.reason, span)
    inner = value.value
    if isinstance(inner, list):
        inner = [respan(item, span, unknowns=unknowns) for item in inner]
    elif isinstance(inner, dict):
        inner = {key: respan(item, span, unknowns=unknowns) for key, item in inner.items()}
    elif isinstance(inner, Encoded):
        inner = Encoded(respan(inner.data, span, unknowns=unknowns))
    if isinstance(value, Conditional):
        return Conditional(inner, span, value.condition)
    return Known(inner, span)


@fast_pickle
@dataclass(frozen=True, slots=True)
class Unknown:
    """A value iamlint cannot resolve statically, with why (``reason``) and where."""

    reason: str
    span: Span

    def __repr__(self) -> str:
        return f"Unknown({self.reason!r})"


HOLE = 0xE000  # private-use characters stand for the unknown parts of a PartialText
MAX_HOLES = 6400


@dataclass(frozen=True, slots=True)
class PartialText(Unknown):
    """Text with unknown parts (a template interpolating a value known only after apply:
    a Terraform heredoc or ``templatefile`` with ``${var.x}``, a CloudFormation
    ``Fn::Sub`` / ``Fn::Join`` with a parameter).

    Everything reads it as the Unknown it is, except what judges its known parts: JSON
    policies in it (``normalize.documents``) and keys in it (SEC001). ``text`` holds
    unknown part ``i`` as a run of ``chr(HOLE + i)`` as wide as its interpolation in the
    source, so its lines and columns are the file's (``line``/``column``/``indent`` as in
    SourceText); ``holes`` are the unknown parts. ``exact`` is False when the text is not
    in the file as is (escapes, a join): then what is found in it is located at ``span``.
    ``encoding`` names what was applied to the whole text (``"base64"``: the value is
    the text base64-encoded, so it is no JSON policy, but a key in it is still there)."""

    text: str = ""
    holes: tuple[Any, ...] = ()
    line: int = 1
    column: int = 1
    indent: int = 0
    exact: bool = True
    encoding: str = ""

    def __repr__(self) -> str:
        return f"PartialText({self.reason!r})"


@dataclass(frozen=True, slots=True)
class Alternatives(Unknown):
    """A value chosen by a condition that cannot be decided from the code (a Terraform
    ``cond ? a : b``, a CloudFormation ``Fn::If`` on a deploy-time condition) whose
    branches cannot be merged into one value: ``branches`` holds each branch as
    (condition, value), the value marked :class:`Conditional` with that condition
    (``"condition HasProfile is false"``) when known; a branch that removes the value
    (``AWS::NoValue``, ``null``) is a Known None.

    Everything reads it as the Unknown it is, except what judges every branch: an
    instance whose profile is absent in one branch has no profile when that branch is
    taken (EC2001, "only when condition HasProfile is false")."""

    branches: tuple[tuple[str, "Value"], ...] = ()

    def __repr__(self) -> str:
        return f"Alternatives({self.reason!r})"


@fast_pickle
@dataclass(frozen=True, slots=True)
class Imported(Unknown):
    """A CloudFormation ``Fn::ImportValue`` of an export named in the template: unknown in
    the code, resolved only from an account snapshot holding the exports (``aws
    cloudformation list-exports``) that names it once (``--account``)."""

    export: str = ""

    def __repr__(self) -> str:
        return f"Imported({self.export})"


@fast_pickle
@dataclass(frozen=True, slots=True)
class Ref(Unknown):
    """An attribute of another resource: unknown as text, known as an identity."""

    address: str = ""
    attribute: str = ""

    def __repr__(self) -> str:
        return f"Ref({self.address}.{self.attribute})"


@fast_pickle
@dataclass(frozen=True, slots=True)
class Lookup(Ref):
    """A data source that looks an IAM resource up by ``name`` (``data "aws_iam_policy"``,
    ``"aws_iam_role"``, ``"aws_iam_instance_profile"``) read for another attribute
    (``arn``, ``id``): unknown in the code; an account snapshot (``--account``) holding one
    resource of that name stands for it."""

    name: str = ""

    def __repr__(self) -> str:
        return f"Lookup({self.address}.{self.attribute} name={self.name})"


@fast_pickle
@dataclass(frozen=True, slots=True)
class Encoded:
    """A JSON string whose decoded structure (a Value) is kept, spans included."""

    data: "Value"


Value = Union[Known, Unknown]


def is_known(value: object) -> bool:
    return isinstance(value, Known)


def known_str(value: object) -> str | None:
    """The text of a Known string, else None (for lookups, never for judgement)."""
    if isinstance(value, Known) and isinstance(value.value, str):
        return value.value
    return None


def is_absent(value: object) -> bool:
    """True for a Known null or empty string: the attribute is effectively not set."""
    return isinstance(value, Known) and (value.value is None or value.value == "")


def as_list(value: Value) -> list[Value]:
    """Items of a Known list (a lone Known scalar counts as a one-item list)."""
    if isinstance(value, Known):
        if isinstance(value.value, list):
            return list(value.value)
        if value.value is None:
            return []
        return [value]
    return [value]


def first_unknown(value: Value) -> Unknown | None:
    """The first Unknown anywhere inside ``value`` (depth first), or None if fully known."""
    for item in walk(value):
        if isinstance(item, Unknown):
            return item
    return None


def walk(value: Value) -> Iterator[Value]:
    stack = [value]
    while stack:
        item = stack.pop()
        yield item
        if isinstance(item, Known):
            inner = item.value
            if isinstance(inner, list):
                stack.extend(reversed(inner))
            elif isinstance(inner, dict):
                stack.extend(reversed(list(inner.values())))
            elif isinstance(inner, Encoded):
                stack.append(inner.data)


def to_python(value: Value) -> Any:
    """The plain Python form of a fully known value; raises ValueError on an Unknown."""
    if isinstance(value, Unknown):
        raise ValueError(value.reason)
    inner = value.value
    if isinstance(inner, list):
        return [to_python(item) for item in inner]
    if isinstance(inner, dict):
        return {key: to_python(item) for key, item in inner.items()}
    if isinstance(inner, Encoded):
        return json.dumps(to_python(inner.data), separators=(",", ":"))
    return inner


def from_python(data: Any, span: Span) -> Known:
    """Wrap plain Python data, every part with the same span."""
    if isinstance(data, list):
        return Known([from_python(item, span) for item in data], span)
    if isinstance(data, dict):
        return Known({str(key): from_python(item, span) for key, item in data.items()}, span)
    return Known(data, span)
