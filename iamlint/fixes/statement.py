"""A policy statement written as a Terraform ``statement`` block (``data
"aws_iam_policy_document"``): IAM's keys in that block's vocabulary. ``Action`` is the
``actions`` list, ``NotAction`` ``not_actions``, ``Principal`` one ``principals`` block per
principal kind (``type`` and ``identifiers``), ``NotPrincipal`` ``not_principals``."""

from __future__ import annotations

from typing import Iterable

from iamlint.fixes import edit, render
from iamlint.fixes.edit import Refused, Span, Text
from iamlint.fixes.tree import TNode

_LISTS = {"Action": "actions", "NotAction": "not_actions", "Resource": "resources", "NotResource": "not_resources"}
_BLOCKS = {"Principal": "principals", "NotPrincipal": "not_principals"}


def policy_block_changes(text: Text, block: TNode, values: Iterable[tuple[str, object]], remove: Iterable[str]) -> list[Span]:
    spans: list[Span] = []
    for key, value in values:
        if key in _LISTS:
            items = value if isinstance(value, list) else [value]
            spans.append(edit.set_key(text, block, _LISTS[key], items))
        elif key in _BLOCKS and isinstance(value, dict):
            spans += _principals(text, block, _BLOCKS[key], value)
        else:
            raise Refused(f"{key} has no place in a statement block")
    for key in remove:
        name = _LISTS.get(key) or _BLOCKS.get(key)
        spans += [edit.remove_entry(text, block, e) for e in block.entries if name and e.key == name]
    return spans


def _principals(text: Text, block: TNode, name: str, principal: dict) -> list[Span]:
    present = [e for e in block.entries if e.key == name]
    if present:
        indent = text.indent_at(present[0].start)
    else:
        first = block.entries[0].start if block.entries else block.open
        indent = text.indent_at(first) if block.entries else text.indent_at(block.open) + text.unit
    blocks = [_block(name, kind, ids, indent, text.unit, text.nl) for kind, ids in principal.items()]
    if not present:
        return _append(text, block, indent, blocks)
    spans = [Span(present[0].start, present[0].end, (text.nl + indent).join(blocks))]
    spans += [edit.remove_entry(text, block, e) for e in present[1:]]
    return spans


def _append(text: Text, block: TNode, indent: str, blocks: list[str]) -> list[Span]:
    last = block.entries[-1].end if block.entries else block.open + 1
    where = text.positions.line_end(last - 1) if block.entries else last
    return [Span(where, where, "".join(f"{indent}{b}{text.nl}" for b in blocks))]


def _block(name: str, kind: str, identifiers: object, indent: str, unit: str, nl: str) -> str:
    items = identifiers if isinstance(identifiers, list) else [identifiers]
    inner = indent + unit
    return (f"{name} {{{nl}{inner}type        = {render.scalar(kind, 'hcl')}{nl}"
            f"{inner}identifiers = {render.inline(items, 'hcl')}{nl}{indent}}}")


_BLOCK_KEYS = {"actions", "not_actions", "principals", "not_principals", "resources", "not_resources", "effect", "sid",
               "condition"}


def is_block_statement(mapping: TNode) -> bool:
    """Whether a JSON mapping is a ``statement`` of a policy document data source written
    in Terraform JSON (its keys are the block's: ``actions``, ``principals``...)."""
    return any(e.key in _BLOCK_KEYS for e in mapping.entries)


def block_statement_values(values: Iterable[tuple[str, object]],
                           remove: Iterable[str]) -> tuple[tuple[tuple[str, object], ...], tuple[str, ...]]:
    """IAM's keys and values in the vocabulary of a ``statement`` of Terraform JSON."""
    translated: list[tuple[str, object]] = []
    for key, value in values:
        if key in _LISTS:
            translated.append((_LISTS[key], value if isinstance(value, list) else [value]))
        elif key in _BLOCKS and isinstance(value, dict):
            translated.append((_BLOCKS[key], [{"type": kind, "identifiers": ids if isinstance(ids, list) else [ids]}
                                              for kind, ids in value.items()]))
        else:
            raise Refused(f"{key} has no place in a statement block")
    gone = tuple(name for key in remove if (name := _LISTS.get(key) or _BLOCKS.get(key)))
    return tuple(translated), gone
