"""Code actions of the language server: for each iamlint diagnostic under the cursor, its
quick fix (when the rule proposes one and it could be located: the same edits
``check --fix`` applies), and "suppress with a reason", which writes an
``iamlint:ignore CODE -- <placeholder>`` comment above the finding's line (in files with
comments: Terraform, YAML; JSON has none).

The server keeps, per open document, the findings it last published with their
diagnostics (:attr:`IamlintServer.found`); the edits are in code points on the text
that was linted and are converted to the client's position encoding here.
"""

from __future__ import annotations

import os
from typing import Callable, Sequence

from lsprotocol import types
from pygls.uris import from_fs_path
from pygls.workspace import PositionCodec

from iamlint.fixes.comments import suppression_line
from iamlint.formats.registry import FormatRegistry
from iamlint.model.fixes import SAFE, Edit, Fix
from iamlint.report import LocatedFinding

Lines = Callable[[str], Sequence[str]]


def code_actions(found: Sequence[tuple[LocatedFinding, types.Diagnostic]], area: types.Range, path: str,
                 codec: PositionCodec, lines_of: Lines, formats: FormatRegistry) -> list[types.CodeAction]:
    """The quick fixes and suppressions for the findings of ``path`` whose diagnostic
    touches ``area``."""
    actions: list[types.CodeAction] = []
    for finding, diagnostic in found:
        if not _touches(diagnostic.range, area):
            continue
        if finding.fix is not None and finding.fix.available:
            actions.append(_quick_fix(finding.fix, finding.rule, diagnostic, codec, lines_of))
        suppress = _suppress(finding, diagnostic, path, codec, lines_of, formats)
        if suppress is not None:
            actions.append(suppress)
    return actions


def _quick_fix(fix: Fix, rule: str, diagnostic: types.Diagnostic, codec: PositionCodec, lines_of: Lines) -> types.CodeAction:
    note = "" if fix.applicability == SAFE else " (changes behaviour: review it)"
    return types.CodeAction(
        title=f"{fix.title}{note} [{rule}]",
        kind=types.CodeActionKind.QuickFix,
        diagnostics=[diagnostic],
        is_preferred=fix.applicability == SAFE,
        edit=workspace_edit(fix.edits, codec, lines_of),
    )


def workspace_edit(edits: Sequence[Edit], codec: PositionCodec, lines_of: Lines) -> types.WorkspaceEdit:
    """Edits (code points, 1-based, end exclusive) as a WorkspaceEdit in client units."""
    changes: dict[str, list[types.TextEdit]] = {}
    for e in edits:
        lines = lines_of(e.path)
        area = types.Range(start=types.Position(line=e.line - 1, character=e.column - 1),
                           end=types.Position(line=e.end_line - 1, character=e.end_column - 1))
        if lines:
            area = codec.range_to_client_units(lines, area)
        uri = from_fs_path(os.path.abspath(e.path)) or e.path
        changes.setdefault(uri, []).append(types.TextEdit(range=area, new_text=e.text))
    return types.WorkspaceEdit(changes=changes)


def _suppress(finding: LocatedFinding, diagnostic: types.Diagnostic, path: str, codec: PositionCodec, lines_of: Lines,
              formats: FormatRegistry) -> types.CodeAction | None:
    syntax = formats.syntax_for(path)
    if syntax is None or not syntax.has_comments or finding.line < 1:
        return None
    lines = lines_of(path)
    if finding.line > len(lines):
        return None
    text = lines[finding.line - 1]
    nl = "\r\n" if text.endswith("\r\n") else "\n"
    marker = "#"
    comment = suppression_line(text, marker, finding.rule, nl)
    edit = Edit(path, finding.line, 1, finding.line, 1, comment)
    return types.CodeAction(
        title=f"Suppress {finding.rule} here, with a reason to write",
        kind=types.CodeActionKind.QuickFix,
        diagnostics=[diagnostic],
        edit=workspace_edit([edit], codec, lines_of),
    )


def _touches(a: types.Range, b: types.Range) -> bool:
    start_a, end_a = (a.start.line, a.start.character), (a.end.line, a.end.character)
    start_b, end_b = (b.start.line, b.start.character), (b.end.line, b.end.character)
    return start_a <= end_b and start_b <= end_a

