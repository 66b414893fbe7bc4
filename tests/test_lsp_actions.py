"""Code actions over stdio (issue 16): a real LSP client asks ``python -m iamlint lsp``
for the actions at a diagnostic, applies the returned WorkspaceEdit to its buffer as an
editor does, sends the change, and sees the diagnostic go: the quick fix (EC2003) and
"suppress with a reason" (IAM005)."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

pytest.importorskip("pygls", reason="the language server needs the lsp extra (pygls 2.x)")

from lsprotocol import types
from pygls.uris import from_fs_path

from test_lsp import TIMEOUT, Client, _codes

MAIN = """resource "aws_instance" "web" {
  ami                  = "ami-123"
  iam_instance_profile = aws_iam_instance_profile.p.name
  tags                 = { Owner = "\U0001F600 team" }
  metadata_options {
    http_tokens = "optional" # legacy
  }
}

resource "aws_iam_role" "r" {
  name               = "r"
  assume_role_policy = jsonencode({Version = "2012-10-17", Statement = [{Effect = "Allow", Action = "sts:AssumeRole", Principal = {Service = "ec2.amazonaws.com"}}]})
}

resource "aws_iam_role_policy" "p" {
  role   = aws_iam_role.r.id
  policy = jsonencode({Statement = [{Effect = "Allow", Action = "sqs:RecieveMessage", Resource = "arn:aws:sqs:us-east-1:123456789012:q"}]})
}

resource "aws_iam_instance_profile" "p" {
  role = aws_iam_role.r.name
}
"""


def _offset(text: str, position: types.Position) -> int:
    """A UTF-16 position (the default encoding) -> index in ``text``."""
    lines = text.splitlines(keepends=True)
    start = sum(len(line) for line in lines[: position.line])
    line = lines[position.line] if position.line < len(lines) else ""
    units = 0
    for index, char in enumerate(line):
        if units >= position.character:
            return start + index
        units += len(char.encode("utf-16-le")) // 2
    return start + len(line)


def apply_edit(text: str, uri: str, edit: types.WorkspaceEdit) -> str:
    assert edit.changes is not None and set(edit.changes) == {uri}
    spans = sorted(((_offset(text, e.range.start), _offset(text, e.range.end), e.new_text) for e in edit.changes[uri]),
                   reverse=True)
    for start, end, new in spans:
        text = text[:start] + new + text[end:]
    return text


async def _actions(client: Client, uri: str, diagnostic: types.Diagnostic) -> list[types.CodeAction]:
    found = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), range=diagnostic.range,
        context=types.CodeActionContext(diagnostics=[diagnostic])))
    return [a for a in found or () if isinstance(a, types.CodeAction)]


async def _session(module: Path, cache: Path) -> None:
    client = Client()
    env = dict(os.environ, IAMLINT_CACHE_DIR=str(cache))
    await client.start_io(sys.executable, "-m", "iamlint", "lsp", env=env, cwd=str(module))
    try:
        result = await client.initialize_async(types.InitializeParams(
            process_id=os.getpid(), root_uri=from_fs_path(str(module)), capabilities=types.ClientCapabilities()))
        assert result.capabilities.code_action_provider
        client.initialized(types.InitializedParams())
        uri = from_fs_path(str(module / "main.tf"))
        text = MAIN
        client.text_document_did_open(types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="terraform", version=1, text=text)))
        await client.wait_for(lambda: {"EC2003", "IAM005"} <= set(_codes(client, uri)), "EC2003 and IAM005")

        # the quick fix of EC2003: applied to the buffer, the diagnostic goes
        (imds,) = [d for d in client.diagnostics[uri] if d.code == "EC2003"]
        actions = await _actions(client, uri, imds)
        (fix,) = [a for a in actions if "[EC2003]" in a.title]
        assert fix.kind == types.CodeActionKind.QuickFix and fix.is_preferred and fix.edit is not None
        assert any(a.title.startswith("Suppress EC2003") for a in actions)
        text = apply_edit(text, uri, fix.edit)
        assert 'http_tokens = "required" # legacy' in text and text.replace('"required"', '"optional"', 1) == MAIN
        client.received.clear()
        client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)]))
        await client.wait_for(lambda: client.received and "EC2003" not in _codes(client, uri), "EC2003 fixed")
        assert "IAM005" in _codes(client, uri)

        # IAM005: an unsafe quick fix is offered (not preferred); suppress it instead, with a reason to write
        (unknown,) = [d for d in client.diagnostics[uri] if d.code == "IAM005"]
        actions = await _actions(client, uri, unknown)
        (rename,) = [a for a in actions if "[IAM005]" in a.title]
        assert not rename.is_preferred and "review" in rename.title
        (suppress,) = [a for a in actions if a.title.startswith("Suppress IAM005")]
        assert suppress.edit is not None
        text = apply_edit(text, uri, suppress.edit)
        assert "  # iamlint:ignore IAM005 -- TODO: say why this finding is accepted\n  policy = jsonencode(" in text
        client.received.clear()
        client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=3),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)]))
        await client.wait_for(lambda: client.received and "IAM005" not in _codes(client, uri), "IAM005 suppressed")
        assert not {"SUP001", "SUP002"} & set(_codes(client, uri))
    finally:
        try:
            await asyncio.wait_for(client.shutdown_async(None), TIMEOUT)
            client.exit(None)
        finally:
            await client.stop()


def test_quick_fix_and_suppression_over_stdio(tmp_path):
    module = tmp_path / "module"
    module.mkdir()
    (module / "main.tf").write_text(MAIN, encoding="utf-8")
    asyncio.run(_session(module, tmp_path / "cache"))
