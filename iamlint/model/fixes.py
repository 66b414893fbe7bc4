"""Fixes: what a rule proposes to change (an *intent* on the model) and what the format
layer makes of it (text *edits* with exact spans).

A rule never writes text. It describes the change on the model -- a node, an attribute
path, a new value, an insertion -- and :mod:`iamlint.fixes` turns that into edits in the
syntax of the file where the value is written (HCL, YAML, JSON), keeping everything
else byte for byte. Every intent says how sure the change is:

* :data:`SAFE`: keeps what the code means except for the problem (``--fix``);
* :data:`UNSAFE`: changes behaviour and needs review (``--fix --unsafe-fixes``);
* :data:`EDITOR`: offered in editors (code actions) and reports; the command line
  applies it only when asked by rule (``--unsafe-fixes --extend-fixable CODE``).

Named tuples rather than frozen dataclasses: they are defined on every run (see
:mod:`iamlint.model.units`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple, Union

from iamlint.model.graph import Node
from iamlint.model.span import Span
from iamlint.model.values import Value

if TYPE_CHECKING:  # findings.py refers to the intents; the suppression record lives there
    from iamlint.model.findings import InlineSuppression

SAFE = "safe"
UNSAFE = "unsafe"
EDITOR = "editor"
APPLICABILITIES = (SAFE, UNSAFE, EDITOR)


class Replace(NamedTuple):
    """Write ``new`` (a string, number, boolean, list or mapping of those) in place of
    ``value``, where ``value`` is written (its span). When that place is a definition
    (a Terraform variable default, local, module input or tfvars entry, a CloudFormation
    parameter default) it is edited only if the definition is used once."""

    node: Node
    value: Value
    new: object
    title: str
    applicability: str = SAFE


class ReplaceItem(NamedTuple):
    """Replace the list item ``value`` (or a single value standing for a one-item list,
    such as ``Action: "s3:*"``) with the items ``new`` (none: remove it)."""

    node: Node
    value: Value
    new: tuple[str, ...]
    title: str
    applicability: str = UNSAFE


class RemoveItems(NamedTuple):
    """Remove the items ``values`` of one list (at least one item must stay)."""

    node: Node
    values: tuple[Value, ...]
    title: str
    applicability: str = UNSAFE


class SetKeys(NamedTuple):
    """In a mapping -- the body of ``node`` when ``at`` is None (a Terraform block, the
    ``Properties`` of a CloudFormation resource), else the mapping written at ``at`` (a
    policy statement) -- go down ``path`` (creating what is missing: nested blocks in
    Terraform), set each of ``values`` (key, new value) and remove the keys ``remove``.
    Keys are written in the vocabulary of the node's format (``http_tokens``,
    ``HttpTokens``); a policy statement's keys are IAM's (``Principal``, ``Action``)."""

    node: Node
    at: Span | None
    path: tuple[str, ...]
    values: tuple[tuple[str, object], ...]
    remove: tuple[str, ...]
    title: str
    applicability: str = SAFE


class EditSuppression(NamedTuple):
    """Rewrite an inline suppression comment to name only ``keep`` (none: remove it)."""

    suppression: InlineSuppression
    keep: tuple[str, ...]
    title: str
    applicability: str = SAFE


class AddInstanceProfile(NamedTuple):
    """Give the compute ``node`` a new instance profile wrapping a new role that trusts
    only ``service``, declared in the same file in the module's or template's style,
    named after ``name``."""

    node: Node
    name: str
    service: str
    title: str
    applicability: str = EDITOR


Intent = Union[Replace, ReplaceItem, RemoveItems, SetKeys, EditSuppression, AddInstanceProfile]


class Edit(NamedTuple):
    """Replace the text from ``line``:``column`` to ``end_line``:``end_column`` (1-based,
    code points, end exclusive; equal positions: an insertion) of ``path`` with ``text``."""

    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    text: str

    @property
    def start(self) -> tuple[int, int]:
        return (self.line, self.column)

    @property
    def end(self) -> tuple[int, int]:
        return (self.end_line, self.end_column)


class Fix(NamedTuple):
    """A located fix: its ``applicability``, a ``title`` saying what it does, and its
    ``edits`` (possibly in several files). Without edits, ``reason`` says why no
    automatic fix is offered (a value defined once and used in several places...)."""

    applicability: str
    title: str
    edits: tuple[Edit, ...] = ()
    reason: str = ""

    @property
    def available(self) -> bool:
        return bool(self.edits)

    def overlaps(self, other: Fix) -> bool:
        """Whether an edit of this fix touches the text an edit of ``other`` touches."""
        return any(_overlap(a, b) for a in self.edits for b in other.edits)


def _overlap(a: Edit, b: Edit) -> bool:
    if a.path != b.path:
        return False
    if a.start == a.end and b.start == b.end:
        return a.start == b.start  # two insertions at one point: their order would be a guess
    return (a.start < b.end and b.start < a.end) or a.start == b.start
