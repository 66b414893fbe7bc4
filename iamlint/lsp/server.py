"""The language server: the engine run over one unit (a Terraform module directory, a
template), with the open editor buffers overlaid on the files on disk.

* Push diagnostics on ``didOpen``, ``didSave`` and ``didChange`` (debounced by
  :data:`DEBOUNCE` seconds), for **every open file** of the affected unit: an edit in
  ``iam.tf`` changes the diagnostics of ``main.tf``. Files whose findings went away get
  an empty list; a closed file is cleared.
* Each diagnostic has a range (converted from code points to the negotiated position
  encoding, UTF-16 by default), a severity, the rule code with a ``codeDescription``
  link, source ``iamlint`` and ``relatedInformation`` for the chain the rule followed
  (instance -> profile -> role -> policy, possibly in other files).
* Linting runs in a worker thread (one at a time: the buffer overlay is process-wide),
  never on the event loop; results of a run overtaken by a newer edit are dropped.
* Configuration files, suppressions and the content-hash cache work as on the command line.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Iterable, Mapping, Sequence

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path
from pygls.workspace import PositionCodec, TextDocument

from iamlint import __version__
from iamlint.baseline import fingerprint
from iamlint.config import Settings
from iamlint.engine import Options, run
from iamlint.formats.base import Shape
from iamlint.formats.registry import FormatRegistry, load_formats
from iamlint.model.masking import mask_text
from iamlint.model.units import SourceError
from iamlint.registry import Registry, load_plugins
from iamlint.reporters.links import rule_url
from iamlint.reporters.rule_docs import explanation
from iamlint.reporters.paths import source_root
from iamlint.sources import overlay, read_source

log = logging.getLogger("iamlint.lsp")

DEBOUNCE = 0.25  # seconds of quiet typing before a didChange is linted
SOURCE = "iamlint"
_SEVERITY = {3: types.DiagnosticSeverity.Error, 2: types.DiagnosticSeverity.Warning, 1: types.DiagnosticSeverity.Information}


def unit_of(path: str, formats: FormatRegistry | None = None) -> tuple[str, str] | None:
    """(unit kind, key) of a file the server lints -- ("terraform", its module
    directory), ("cloudformation", the template path) -- as the first input format it
    belongs to by name says; None for any other file."""
    fmt = (formats if formats is not None else load_formats()).member(path)
    if fmt is None:
        return None
    real = os.path.realpath(path)
    return fmt.kind, os.path.dirname(real) if fmt.shape is Shape.DIRECTORY else real


def in_unit(kind: str, key: str, path: str, formats: FormatRegistry | None = None) -> bool:
    return unit_of(path, formats) == (kind, key)


def targets(kind: str, key: str, formats: FormatRegistry | None = None) -> list[str]:
    """The paths handed to the engine for a unit (absolute, as on disk)."""
    formats = formats if formats is not None else load_formats()
    fmt = formats.of_kind(kind)
    if fmt is None or fmt.shape is Shape.FILE:
        return [key] if os.path.isfile(key) else []
    try:
        names = sorted(os.listdir(key))
    except OSError:
        return []
    members = [name for name in names if any(f.kind == kind and f.member(name) for f in formats)]
    return [os.path.join(key, name) for name in members if os.path.isfile(os.path.join(key, name))]


def lint(kind: str, key: str, buffers: dict[str, str], registry: Registry | None = None) -> dict[str, list]:
    """Findings and input errors of a unit, per real path: ``[(finding|error), ...]``.
    ``buffers`` (path -> text) stand in for the files on disk."""
    registry = registry or load_plugins()
    paths = targets(kind, key, registry.formats)
    if not paths:
        return {}
    settings = Settings(registry)  # configuration files, as `iamlint check` finds them (re-read every run)
    # no unit cache: the unit holds the buffer being edited, so its entry would be written on
    # every edit and never read again (half the time of a lint); files are still parsed once
    # (iamlint.normalize.terraform.files keeps unchanged files and buffers)
    with overlay(buffers):
        report = run(paths, Options(jobs=1, settings=settings, cache=False), registry)
    grouped: dict[str, list] = {}
    for finding in report.findings:
        grouped.setdefault(_real(finding.path), []).append(finding)
    for error in report.errors:
        if error.path.startswith("<"):
            continue
        grouped.setdefault(_real(error.path), []).append(error)
    return grouped


def _real(path: str) -> str:
    return os.path.realpath(path)


def _lines_of(path: str, open_lines: Mapping[str, Sequence[str]]) -> Sequence[str]:
    lines = open_lines.get(path)
    if lines is not None:
        return lines
    text, _ = read_source(path)  # a regular file only, capped
    return [] if text is None else text.splitlines(keepends=True)


def _range(codec: PositionCodec, lines: Sequence[str], line: int, column: int, end_line: int, end_column: int) -> types.Range:
    """1-based code-point line/column (end column exclusive) -> LSP range in client units."""
    start = types.Position(line=max(line, 1) - 1, character=max(column, 1) - 1)
    if end_line < line or (end_line == line and end_column <= column):
        end_line, end_column = line, column
    end = types.Position(line=max(end_line, 1) - 1, character=max(end_column, 1) - 1)
    if not lines:
        return types.Range(start=start, end=end)
    return codec.range_to_client_units(lines, types.Range(start=start, end=end))


def to_diagnostics(items: Iterable, path: str, codec: PositionCodec,
                   open_lines: Mapping[str, Sequence[str]]) -> list[types.Diagnostic]:
    lines = _lines_of(path, open_lines)
    root = source_root(os.path.dirname(path))  # fingerprints are relative to the repository
    diagnostics = []
    for item in items:
        if isinstance(item, SourceError):
            line = max(item.line, 1)
            column = max(item.column, 1)
            end = len(lines[line - 1].rstrip("\r\n")) + 1 if line <= len(lines) else column
            diagnostics.append(
                types.Diagnostic(
                    range=_range(codec, lines, line, column, line, max(end, column + 1)),
                    message=item.message,
                    severity=types.DiagnosticSeverity.Error,
                    source=SOURCE,
                    code="input-error",
                )
            )
            continue
        related = []
        for link in item.related:
            other = _real(link.span.file)
            related.append(
                types.DiagnosticRelatedInformation(
                    location=types.Location(
                        uri=from_fs_path(other) or other,
                        range=_range(codec, _lines_of(other, open_lines), link.span.line, link.span.column,
                                     link.span.end_line, link.span.end_column),
                    ),
                    message=f"{link.label}: {link.resource}",
                )
            )
        diagnostics.append(
            types.Diagnostic(
                range=_range(codec, lines, item.line, item.column, item.end_line, item.end_column),
                message=f"{item.message} [{item.name}]",
                severity=_SEVERITY.get(int(item.severity), types.DiagnosticSeverity.Warning),
                code=item.rule,
                code_description=types.CodeDescription(href=rule_url(item.rule, item.name)),
                source=SOURCE,
                related_information=related or None,
                data={"fingerprint": fingerprint(item, root)},
            )
        )
    return diagnostics


def _warm_up(formats: FormatRegistry) -> None:
    """Import the normalisers and load the parsers before the first file arrives.
    (Parsed files are kept by iamlint.normalize.terraform.files: a save re-parses the
    saved file only, an unchanged buffer or file on disk is not parsed again.)"""
    for fmt in formats:
        try:
            fmt.warm_up()
        except Exception:  # linting will report whatever is wrong
            log.exception("warm-up of %s failed", fmt.name)
    gc.freeze()  # what start-up built lives as long as the server: the collector skips it from now on


class IamlintServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("iamlint", __version__, text_document_sync_kind=types.TextDocumentSyncKind.Incremental)
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="iamlint-lint")
        self.lock = threading.Lock()
        self.generation: dict[tuple[str, str], int] = {}
        self.timers: dict[tuple[str, str], asyncio.Task] = {}
        self.published: dict[tuple[str, str], set[str]] = {}  # unit -> URIs with a non-empty set
        self.shown: dict[str, list[types.Diagnostic]] = {}  # uri -> its diagnostics (for hover)
        self.found: dict[str, list] = {}  # uri -> [(finding, its diagnostic)] (for code actions: iamlint.lsp.actions)
        self._registry: Registry | None = None

    @property
    def registry(self) -> Registry:
        if self._registry is None:
            self._registry = load_plugins()
        return self._registry

    # -- documents ------------------------------------------------------------------
    def open_documents(self) -> dict[str, tuple[str, TextDocument]]:
        """real path -> (uri, document) of every open file: buffers win over the disk."""
        documents = {}
        for uri, document in list(self.workspace.text_documents.items()):
            path = to_fs_path(uri)
            if path:
                documents[_real(path)] = (uri, document)
        return documents

    def schedule(self, uri: str, delay: float) -> None:
        path = to_fs_path(uri)
        unit = unit_of(path, self.registry.formats) if path else None
        if unit is None:
            return
        timer = self.timers.pop(unit, None)
        if timer is not None and not timer.done():
            timer.cancel()
        self.generation[unit] = self.generation.get(unit, 0) + 1
        self.timers[unit] = asyncio.get_running_loop().create_task(self._lint_later(unit, delay, self.generation[unit]))

    async def _lint_later(self, unit: tuple[str, str], delay: float, generation: int) -> None:
        if delay:
            await asyncio.sleep(delay)
        kind, key = unit
        documents = self.open_documents()
        buffers = {path: document.source for path, (_, document) in documents.items()}
        loop = asyncio.get_running_loop()
        try:
            grouped = await loop.run_in_executor(self.executor, self._lint_locked, kind, key, buffers)
        except Exception as exc:  # never let one bad run kill the server
            log.exception("lint failed")
            self.window_log_message(
                types.LogMessageParams(type=types.MessageType.Error, message=mask_text(f"iamlint: lint failed: {exc!r}")))
            return
        if self.generation.get(unit) != generation:
            return  # a newer edit is being linted: its results will be published
        self.publish(unit, grouped, self.open_documents())

    def _lint_locked(self, kind: str, key: str, buffers: dict[str, str]) -> dict[str, list]:
        with self.lock:
            return lint(kind, key, buffers, self.registry)

    def publish(self, unit: tuple[str, str], grouped: dict[str, list], documents: dict[str, tuple[str, TextDocument]]) -> None:
        kind, key = unit
        codec = self.workspace.position_codec
        open_lines = {path: document.lines for path, (_, document) in documents.items()}
        now: set[str] = set()
        sent: set[str] = set()
        for path, (uri, document) in documents.items():
            if not in_unit(kind, key, path, self.registry.formats):
                continue
            diagnostics = to_diagnostics(grouped.get(path, ()), path, codec, open_lines)
            self.shown[uri] = diagnostics
            self.found[uri] = [(item, d) for item, d in zip(grouped.get(path, ()), diagnostics, strict=False)
                               if not isinstance(item, SourceError)]
            if diagnostics:
                now.add(uri)
            sent.add(uri)
            self.text_document_publish_diagnostics(
                types.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics, version=document.version)
            )
        for uri in self.published.get(unit, set()) - sent:  # no longer open: clear what we showed
            self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))
        self.published[unit] = now

    def hover(self, uri: str, position: types.Position) -> types.Hover | None:
        """The explanation of the rules whose diagnostics cover ``position``."""
        texts = []
        for diagnostic in self.shown.get(uri, ()):
            rule = self.registry.find(str(diagnostic.code)) if diagnostic.code else None
            if rule is None or not _inside(position, diagnostic.range):
                continue
            text = explanation(rule, rule_url(rule.code, rule.name))
            if text not in texts:
                texts.append(text)
        if not texts:
            return None
        return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value="\n\n---\n\n".join(texts)))

    def code_actions(self, uri: str, area: types.Range) -> list[types.CodeAction]:
        """Quick fixes and "suppress with a reason" for the diagnostics touching ``area``."""
        from iamlint.lsp.actions import code_actions  # start-up: only when the editor asks for actions

        path = to_fs_path(uri)
        if not path:
            return []
        open_lines = {p: document.lines for p, (_, document) in self.open_documents().items()}
        return code_actions(self.found.get(uri, ()), area, _real(path), self.workspace.position_codec,
                            lambda other: _lines_of(_real(other), open_lines), self.registry.formats)

    def closed(self, uri: str) -> None:
        self.shown.pop(uri, None)
        self.found.pop(uri, None)
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))
        path = to_fs_path(uri)
        unit = unit_of(path, self.registry.formats) if path else None
        if unit is None:
            return
        self.published.get(unit, set()).discard(uri)
        if any(in_unit(*unit, other, self.registry.formats) for other in self.open_documents()):
            self.schedule(uri, 0)  # the closed buffer no longer stands in for the file


def _inside(position: types.Position, area: types.Range) -> bool:
    here = (position.line, position.character)
    return (area.start.line, area.start.character) <= here <= (area.end.line, area.end.character)


def build_server() -> IamlintServer:
    server = IamlintServer()

    @server.feature(types.INITIALIZED)
    def initialized(ls: IamlintServer, params: types.InitializedParams) -> None:
        ls.executor.submit(lambda: _warm_up(ls.registry.formats))

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    async def did_open(ls: IamlintServer, params: types.DidOpenTextDocumentParams) -> None:
        ls.schedule(params.text_document.uri, 0)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    async def did_change(ls: IamlintServer, params: types.DidChangeTextDocumentParams) -> None:
        ls.schedule(params.text_document.uri, DEBOUNCE)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE, types.SaveOptions(include_text=False))
    async def did_save(ls: IamlintServer, params: types.DidSaveTextDocumentParams) -> None:
        ls.schedule(params.text_document.uri, 0)

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def hover(ls: IamlintServer, params: types.HoverParams) -> types.Hover | None:
        return ls.hover(params.text_document.uri, params.position)

    @server.feature(types.TEXT_DOCUMENT_CODE_ACTION,
                    types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix]))
    def code_action(ls: IamlintServer, params: types.CodeActionParams) -> list[types.CodeAction]:
        return ls.code_actions(params.text_document.uri, params.range)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    async def did_close(ls: IamlintServer, params: types.DidCloseTextDocumentParams) -> None:
        ls.closed(params.text_document.uri)

    return server
