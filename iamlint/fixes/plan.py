"""Intents (a rule's fix on the model) -> located fixes (text edits), by the syntax of the
file where each value is written.

One :class:`Planner` per run: it reads each file once (through the editor overlay, so
fixes not yet written and unsaved buffers count), builds its structural tree once, and
asks :mod:`iamlint.fixes.edit` for the edits. Anything it cannot do safely becomes a
:class:`~iamlint.model.fixes.Fix` without edits whose ``reason`` says why.
"""

from __future__ import annotations

import os
from typing import Any, Callable

from iamlint.fixes import defs, edit
from iamlint.fixes.edit import Refused, Span, Text
from iamlint.fixes.text import current_text, newline
from iamlint.fixes.tree import LIST, MAP, OTHER, SCALAR, TNode, at, tree_of
from iamlint.formats.registry import FormatRegistry, load_formats
from iamlint.model.fixes import (
    AddInstanceProfile,
    Edit,
    EditSuppression,
    Fix,
    Intent,
    RemoveItems,
    Replace,
    ReplaceItem,
    SetKeys,
)
from iamlint.model.graph import Node
from iamlint.model.masking import mask_text
from iamlint.model.span import Span as SourceSpan
from iamlint.model.values import Known


class Planner:
    """Turns intents into fixes; caches texts and trees for the run."""

    def __init__(self, formats: FormatRegistry | None = None) -> None:
        self.formats = formats if formats is not None else load_formats()
        self._texts: dict[str, Text | None] = {}
        self._trees: dict[str, TNode | None] = {}

    # -- files --------------------------------------------------------------------
    def text(self, path: str) -> Text:
        if path not in self._texts:
            raw = current_text(path)
            self._texts[path] = None if raw is None else Text(raw, newline(raw))
        found = self._texts[path]
        if found is None:
            raise Refused(f"{path} cannot be read")
        return found

    def syntax(self, path: str) -> str:
        syntax = self.formats.syntax_for(path)
        if syntax is None:
            raise Refused(f"iamlint does not edit {os.path.basename(path)}")
        return syntax.name

    def tree(self, path: str) -> TNode:
        if path not in self._trees:
            try:
                self._trees[path] = tree_of(self.syntax(path), self.text(path).text, path)
            except Refused:
                raise
            except (ValueError, RecursionError) as exc:  # the parser's error: the file does not parse
                raise Refused(f"{path} does not parse ({exc})") from None
        found = self._trees[path]
        if found is None:
            raise Refused(f"iamlint does not edit {os.path.basename(path)}")
        return found

    def comments(self, text: str, path: str) -> list[tuple[int, int]]:
        syntax = self.formats.syntax_for(path)
        facts = syntax.facts(text, path) if syntax is not None and syntax.has_comments else None
        if facts is None:
            return []
        positions = Text(text, "\n").positions
        found = []
        for comment in facts.comments:
            start = positions.offset(comment.line, comment.column)
            found.append((start, start + len(comment.text)))
        return found

    def edits(self, path: str, spans: list[Span]) -> tuple[Edit, ...]:
        positions = self.text(path).positions
        merged: dict[tuple[int, int], str] = {}
        for span in spans:
            key = (span.start, span.end)
            if key in merged and span.start != span.end and merged[key] != span.text:
                raise Refused("two changes of the fix touch the same text")
            merged[key] = merged.get(key, "") + span.text if span.start == span.end else span.text
        found = []
        for (start, end), text in sorted(merged.items()):
            line, column = positions.position(start)
            end_line, end_column = positions.position(end)
            found.append(Edit(path, line, column, end_line, end_column, text))
        return tuple(found)

    def offset(self, span: SourceSpan) -> int:
        return self.text(span.file).positions.offset(span.line, span.column)

    # -- intents --------------------------------------------------------------------
    def plan(self, intent: Intent) -> Fix:
        handler: Callable[[Any], tuple[Edit, ...]] = getattr(self, "_" + type(intent).__name__.lower())
        try:
            edits = handler(intent)
            if any(mask_text(e.text) != e.text for e in edits):  # reports mask credentials: no fix can carry one
                raise Refused("the edit would copy a credential written in the file")
            return Fix(intent.applicability, intent.title, edits)
        except Refused as exc:
            return Fix(intent.applicability, intent.title, (), str(exc))

    def _value(self, node: Node, value: object) -> tuple[TNode, list[TNode], str]:
        """The node written where ``value`` is, with its ancestors and its file; the
        place checked to be the resource's own, or a definition used once."""
        span = getattr(value, "span", None)
        if not isinstance(span, SourceSpan):
            raise Refused("the value has no place in the code")
        tree = self.tree(span.file)
        found = at(tree, self.offset(span))
        if found is None:
            raise Refused("the value is not written as a literal here")
        written, parents = found
        self._defined_once(node, span, tree)
        return written, parents, span.file

    def _defined_once(self, node: Node, span: SourceSpan, tree: TNode) -> None:
        """Raise :class:`Refused` when the place at ``span``, outside ``node``'s own
        block, is a definition used more than once (or no definition at all)."""
        if _inside(span, node.span):
            return
        if self.syntax(span.file) == "hcl":
            defs.terraform(tree, self.offset(span), span.file, self.comments)
        elif span.file != node.span.file and not node.type.startswith("AWS::"):
            defs.read_file_once(span.file, node.span.file, self.comments)

    def _replace(self, intent: Replace) -> tuple[Edit, ...]:
        written, _, path = self._value(intent.node, intent.value)
        text = self.text(path)
        parameter = defs.parameter_of(written)
        if parameter is not None and self.syntax(path) in ("yaml", "json"):
            written = defs.parameter_default(self.tree(path), parameter, intent.new)
        elif written.kind == SCALAR and isinstance(intent.value, Known) and written.value != intent.value.value:
            raise Refused("the value is not written as a literal here")
        return self.edits(path, [edit.replace_value(text, written, intent.new)])

    def _replaceitem(self, intent: ReplaceItem) -> tuple[Edit, ...]:
        written, parents, path = self._value(intent.node, intent.value)
        if isinstance(intent.value, Known) and written.value != intent.value.value:
            raise Refused("the value is not written as a literal here")
        parent = parents[-1] if parents and parents[-1].kind == LIST else None
        return self.edits(path, [edit.replace_item(self.text(path), written, parent, intent.new)])

    def _removeitems(self, intent: RemoveItems) -> tuple[Edit, ...]:
        found = [self._value(intent.node, value) for value in intent.values]
        parents = {id(parents[-1]) if parents else 0 for _, parents, _ in found}
        if len(parents) != 1 or not found[0][1] or found[0][1][-1].kind != LIST:
            raise Refused("the values are not items of one list")
        for (written, _, _), value in zip(found, intent.values, strict=True):
            if isinstance(value, Known) and written.value != value.value:
                raise Refused("the value is not written as a literal here")
        path = found[0][2]
        return self.edits(path, edit.remove_items(self.text(path), [w for w, _, _ in found], found[0][1][-1]))

    def _setkeys(self, intent: SetKeys) -> tuple[Edit, ...]:
        path = (intent.at or intent.node.span).file
        text, tree = self.text(path), self.tree(path)
        if intent.at is None:
            mapping, prefix = self._body(intent.node, tree, path)
        else:
            found = at(tree, self.offset(intent.at))
            if found is None or found[0].kind != MAP:
                raise Refused("the value is not written as a mapping here")
            mapping, prefix = found[0], ()
            self._defined_once(intent.node, intent.at, tree)
        keys = (*prefix, *intent.path)
        from iamlint.fixes.statement import block_statement_values, is_block_statement, policy_block_changes

        for depth, key in enumerate(keys):
            entry = mapping.get(key)
            if entry is None:
                if mapping.get(f"dynamic.{key}") is not None:
                    raise Refused(f"{key} is written as a dynamic block")
                nested: object = dict(intent.values)
                for inner in reversed(keys[depth + 1:]):
                    nested = {inner: nested}
                return self.edits(path, [edit.add_entry(text, mapping, key, nested)])
            if entry.value.kind != MAP:
                raise Refused(f"{key} is not written as a mapping here")
            mapping = entry.value
        if intent.at is not None:  # a statement rewritten: a value it gets from elsewhere is changed there, or not at all
            _no_references(text.text, mapping, {key for key, _ in intent.values} | set(intent.remove))
        if mapping.style == "hcl-body" and intent.at is not None:
            return self.edits(path, policy_block_changes(text, mapping, intent.values, intent.remove))
        values, remove = intent.values, intent.remove
        if intent.at is not None and is_block_statement(mapping):  # a statement of a policy document data source (.tf.json)
            values, remove = block_statement_values(values, remove)
        spans = [edit.set_key(text, mapping, key, value) for key, value in values]
        spans += [edit.remove_entry(text, mapping, e) for key in remove for e in mapping.entries if e.key == key]
        return self.edits(path, spans)

    def _body(self, node: Node, tree: TNode, path: str) -> tuple[TNode, tuple[str, ...]]:
        """The mapping holding a resource's attributes, and the keys leading to them from
        there (CloudFormation: ``Properties``)."""
        if node.type.startswith("AWS::") and self.syntax(path) in ("yaml", "json"):
            resources = tree.get("Resources") if tree.kind == MAP else None
            entry = resources.value.get(node.address) if resources is not None and resources.value.kind == MAP else None
            if entry is None or entry.value.kind != MAP:
                raise Refused(f"resource {node.address} is not written as a mapping")
            return entry.value, ("Properties",)
        found = at(tree, self.offset(node.span))
        if found is None or found[0].kind != MAP:
            raise Refused(f"{node.address} is not written as a block here")
        return found[0], ()

    def _editsuppression(self, intent: EditSuppression) -> tuple[Edit, ...]:
        from iamlint.fixes.comments import suppression_edit

        return self.edits(intent.suppression.path, [suppression_edit(self, intent)])

    def _addinstanceprofile(self, intent: AddInstanceProfile) -> tuple[Edit, ...]:
        from iamlint.fixes.scaffold import scaffold

        path = intent.node.span.file
        return self.edits(path, scaffold(self, intent, path))


_BLOCK_NAMES = {"Principal": "principals", "NotPrincipal": "not_principals", "Action": "actions", "NotAction": "not_actions"}


def _no_references(text: str, mapping: TNode, keys: set[str]) -> None:
    """Raise :class:`Refused` when a value the rewrite replaces is a reference (a variable,
    local, module input, parameter): the fix would silently cut the code off from it."""
    names = keys | {_BLOCK_NAMES[k] for k in keys if k in _BLOCK_NAMES}
    for entry in mapping.entries:
        if entry.key not in names:
            continue
        for node, _ in entry.value.walk():
            ref = node.kind == MAP and len(node.entries) == 1 and node.entries[0].key == "Ref"
            target = node.entries[0].value.value if ref else None
            if node.kind == OTHER or node.tag == "!Ref" or (ref and not str(target).startswith("AWS::")):
                written = text[node.start:node.end].strip()
                raise Refused(f"{entry.key} is set from {written!r}: change it where that is defined")


def _inside(inner: SourceSpan, outer: SourceSpan) -> bool:
    if inner.file != outer.file:
        return False
    return (outer.line, outer.column) <= (inner.line, inner.column) and (inner.end_line, inner.end_column) <= (
        outer.end_line, outer.end_column)
