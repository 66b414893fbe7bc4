"""The language server end to end: a real LSP client (pygls's) talks to ``python -m
iamlint lsp`` over stdio. open -> diagnostics -> edit a sibling -> re-published ->
close -> cleared; ranges in UTF-16; related information for the chain."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from pathlib import Path

import pytest

pytest.importorskip("pygls", reason="the language server needs the lsp extra (pygls 2.x)")

from lsprotocol import types
from pygls.lsp.client import BaseLanguageClient
from pygls.uris import from_fs_path

MAIN = """resource "aws_instance" "web" {
  ami                  = "ami-123"
  iam_instance_profile = aws_iam_instance_profile.p.name
  metadata_options {
    http_tokens = "required"
  }
}
"""

IAM = """resource "aws_iam_role" "r" {
  name               = "r"
  assume_role_policy = jsonencode({Version = "2012-10-17", Statement = [{Effect = "Allow", Action = "sts:AssumeRole", Principal = {Service = "ec2.amazonaws.com"}}]})
}

resource "aws_iam_role_policy" "p" {
  role   = aws_iam_role.r.id
  policy = jsonencode({Statement = [{Sid = "\U0001F600\u00e9", Effect = "Allow", Action = "s3:*", Resource = "arn:aws:s3:::b/*"}]})
}

resource "aws_iam_instance_profile" "p" {
  role = aws_iam_role.r.name
}
"""

TIMEOUT = 30


class Client(BaseLanguageClient):
    def __init__(self) -> None:
        super().__init__("iamlint-test", "1")
        self.diagnostics: dict[str, list[types.Diagnostic]] = {}
        self.received: list[types.PublishDiagnosticsParams] = []
        self.changed = asyncio.Event()

        @self.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def on_diagnostics(params: types.PublishDiagnosticsParams) -> None:
            self.diagnostics[params.uri] = list(params.diagnostics)
            self.received.append(params)
            self.changed.set()

    async def wait_for(self, predicate, what: str) -> None:
        async def loop():
            while not predicate():
                self.changed.clear()
                await self.changed.wait()

        try:
            await asyncio.wait_for(loop(), TIMEOUT)
        except asyncio.TimeoutError:
            pytest.fail(f"timed out waiting for {what}; last diagnostics: {self.diagnostics}")


def _codes(client: Client, uri: str) -> list:
    return sorted(str(d.code) for d in client.diagnostics.get(uri, []))


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


async def _session(module: Path, cache: Path) -> None:
    client = Client()
    env = dict(os.environ, IAMLINT_CACHE_DIR=str(cache))
    await client.start_io(sys.executable, "-m", "iamlint", "lsp", env=env, cwd=str(module))
    try:
        await client.initialize_async(
            types.InitializeParams(
                process_id=os.getpid(),
                root_uri=from_fs_path(str(module)),
                capabilities=types.ClientCapabilities(
                    text_document=types.TextDocumentClientCapabilities(
                        publish_diagnostics=types.PublishDiagnosticsClientCapabilities(related_information=True)
                    )
                ),
            )
        )
        client.initialized(types.InitializedParams())
        main_uri = from_fs_path(str(module / "main.tf"))
        iam_uri = from_fs_path(str(module / "iam.tf"))

        # open main.tf: its module is linted with the sibling from disk -- clean
        client.text_document_did_open(
            types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(uri=main_uri, language_id="terraform", version=1, text=MAIN))
        )
        await client.wait_for(lambda: main_uri in client.diagnostics, "diagnostics of main.tf")
        assert client.diagnostics[main_uri] == []

        # open iam.tf: the wildcard is reported there, with a UTF-16 range and the chain
        client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(uri=iam_uri, language_id="terraform", version=1, text=IAM)))
        await client.wait_for(lambda: "IAM002" in _codes(client, iam_uri), "IAM002 in iam.tf")
        (wildcard,) = [d for d in client.diagnostics[iam_uri] if d.code == "IAM002"]
        line_text = IAM.splitlines()[7]
        start = line_text.index('"s3:*"')
        assert wildcard.range.start == types.Position(line=7, character=_utf16(line_text[:start]))
        assert wildcard.range.end == types.Position(line=7, character=_utf16(line_text[: start + len('"s3:*"')]))
        assert wildcard.range.start.character == start + 1  # the emoji is two UTF-16 units
        assert wildcard.severity == types.DiagnosticSeverity.Error
        assert wildcard.source == "iamlint"
        assert wildcard.code_description is not None and wildcard.code_description.href.endswith("/rules/IAM002.md")
        assert re.fullmatch(r"[0-9a-f]{64}", wildcard.data["fingerprint"])  # the fingerprint SARIF and baselines use
        # hovering the diagnostic explains the rule; elsewhere there is nothing to say
        hover = await client.text_document_hover_async(
            types.HoverParams(text_document=types.TextDocumentIdentifier(uri=iam_uri), position=wildcard.range.start))
        assert hover is not None and isinstance(hover.contents, types.MarkupContent)
        assert hover.contents.kind == types.MarkupKind.Markdown
        assert "**IAM002 wildcard-action**" in hover.contents.value and "**How to fix.**" in hover.contents.value
        assert "/rules/IAM002.md)" in hover.contents.value
        blank = await client.text_document_hover_async(
            types.HoverParams(text_document=types.TextDocumentIdentifier(uri=iam_uri), position=types.Position(line=4, character=0)))
        assert blank is None
        related = {(info.location.uri, info.location.range.start.line) for info in wildcard.related_information or ()}
        assert (main_uri, 0) in related  # the instance that uses the role, in the other file

        # edit the sibling (unsaved): the profile main.tf refers to disappears
        client.received.clear()
        renamed = IAM.replace('"aws_iam_instance_profile" "p"', '"aws_iam_instance_profile" "q"')
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=iam_uri, version=2),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text=renamed)],
            )
        )
        await client.wait_for(
            lambda: "EC2002" in _codes(client, main_uri) and iam_uri in {p.uri for p in client.received},
            "EC2002 re-published for main.tf, and iam.tf re-published too (every open file of the module)",
        )
        (unresolved,) = [d for d in client.diagnostics[main_uri] if d.code == "EC2002"]
        assert unresolved.range.start.line == 2

        # save it as it is on disk again: main.tf's diagnostic goes away
        client.received.clear()
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=iam_uri, version=3),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text=IAM)],
            )
        )
        client.text_document_did_save(types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=iam_uri)))
        await client.wait_for(lambda: client.received and _codes(client, main_uri) == [], "main.tf cleared after the fix")

        # close iam.tf: its diagnostics are cleared
        client.text_document_did_close(types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=iam_uri)))
        await client.wait_for(lambda: client.diagnostics.get(iam_uri) == [], "iam.tf cleared on close")
        assert _codes(client, main_uri) == []
    finally:
        try:
            await asyncio.wait_for(client.shutdown_async(None), TIMEOUT)
            client.exit(None)
        finally:
            await client.stop()


def test_open_edit_sibling_close(tmp_path):
    module = tmp_path / "module"
    module.mkdir()
    (module / "main.tf").write_text(MAIN, encoding="utf-8")
    (module / "iam.tf").write_text(IAM, encoding="utf-8")
    asyncio.run(_session(module, tmp_path / "cache"))


def test_unit_of_groups_module_files_and_templates(tmp_path):
    from iamlint.lsp.server import unit_of

    real = os.path.realpath(tmp_path)
    assert unit_of(str(tmp_path / "a.tf")) == ("terraform", real)
    assert unit_of(str(tmp_path / "terraform.tfvars")) == ("terraform", real)
    assert unit_of(str(tmp_path / "stack.yaml")) == ("cloudformation", os.path.join(real, "stack.yaml"))
    assert unit_of(str(tmp_path / "README.md")) is None


def test_lint_reads_configuration_files_and_prefers_buffers(tmp_path, monkeypatch):
    from iamlint.lsp.server import lint

    monkeypatch.setenv("IAMLINT_CACHE_DIR", str(tmp_path / "cache"))
    module = tmp_path / "module"
    module.mkdir()
    (module / "main.tf").write_text(MAIN.replace('http_tokens = "required"', 'http_tokens = "optional"'))
    (module / "iam.tf").write_text(IAM)
    real = os.path.realpath(module)

    def codes(buffers=None):
        grouped = lint("terraform", real, buffers or {})
        return {os.path.basename(path): sorted(item.rule for item in items) for path, items in grouped.items()}

    assert "EC2003" in codes()["main.tf"]
    (module / ".iamlint.toml").write_text('ignore = ["EC2003"]\n')
    assert "EC2003" not in codes().get("main.tf", [])
    # an unsaved buffer stands in for the file on disk
    fixed = IAM.replace('"s3:*"', '"s3:GetObject"')
    assert "IAM002" in codes()["iam.tf"]
    assert "IAM002" not in codes({os.path.join(real, "iam.tf"): fixed}).get("iam.tf", [])
