"""The files of a Terraform module: listed, read (editor buffers first) and parsed once
per process (tree and facts from one parse); and the module manifest ``terraform init``
writes."""

from __future__ import annotations

import json
import os
from collections import OrderedDict
from typing import NamedTuple

from iamlint.model.units import SourceError, SourceFacts
from iamlint.parsers.terraform.names import is_json, is_module_file, module_names
from iamlint.parsers.terraform.syntax import HclFile
from iamlint.sources import overlaid, read_source, real_path


class ParsedFile(NamedTuple):
    """One file parsed: its tree (None: unreadable or broken), its facts (None: none
    from the parse; the format scans the text) and its located errors."""

    tree: HclFile | None
    facts: SourceFacts | None
    errors: tuple[SourceError, ...]


class ParsedFiles(NamedTuple):
    trees: list[HclFile]
    errors: list[SourceError]
    facts: dict[str, SourceFacts]  # by display path


# (real path, display, size, mtime) -> the parse of a file read from disk, the most recently
# used last. Small on purpose: every tree kept is ~500 objects that the cyclic garbage
# collector examines again and again (all of ../shared/corpus's 2,071 .tf files kept were
# ~1 million objects, most of its collector's passes), and a file's parse comes back soon
# or never: a module called from several roots is asked for by neighbouring units (on
# the corpus, 256 entries serve every one of the 1,823 repeated requests, 128 all but 12)
_ON_DISK: OrderedDict[tuple, ParsedFile] = OrderedDict()
_ON_DISK_MAX = 256
_BUFFERS: OrderedDict[tuple[str, str], ParsedFile] = OrderedDict()  # (display, text): editor buffers
_BUFFERS_MAX = 512


def read_text(path: str, display: str) -> tuple[str | None, SourceError | None]:
    """A source file as text (UTF-8, BOM tolerated), or a located error (honours the
    unsaved-buffer overlay of :mod:`iamlint.sources`)."""
    return read_source(path, display)


def module_files(directory: str) -> list[tuple[str, str]]:
    """The Terraform files of a module folder (sorted), as (path, display path); in a
    folder holding OpenTofu files, OpenTofu's (``x.tofu`` replacing ``x.tf``)."""
    try:
        names = sorted(n for n in os.listdir(directory) if os.path.isfile(os.path.join(directory, n)))
    except OSError:
        return []
    return [(os.path.join(directory, n), os.path.join(directory, n)) for n in module_names(names)]


def parse_files(files: list[tuple[str, str]]) -> tuple[list[HclFile], list[SourceError]]:
    """Parse .tf / .tf.json files (see :func:`parse_module`)."""
    parsed = parse_module(files)
    return parsed.trees, parsed.errors


def parse_module(files: list[tuple[str, str]]) -> ParsedFiles:
    """Parse .tf / .tf.json files: trees, located errors and the facts each parse gave.

    Each file is parsed once per process: a file on disk is not parsed again while its
    size and modification time stay the same (linting a repository whose examples all
    call the same module parses that module once), an editor buffer while its text stays
    the same (a language server re-linting a module after a save re-parses the saved
    file only). A buffer holding a syntax error still gives the blocks that parse, beside
    every error (an editor shows the findings of the rest of the file as you type)."""
    result = ParsedFiles([], [], {})
    for path, display in files:
        if not is_module_file(path):
            continue
        parsed = _parse_one(path, display)
        result.errors.extend(parsed.errors)
        if parsed.tree is not None:
            result.trees.append(parsed.tree)
        if parsed.facts is not None:
            result.facts[display] = parsed.facts
    return result


def parse_file(path: str, display: str) -> ParsedFile:
    """One HCL (or ``.json``-suffixed JSON) file through the Terraform parse API, cached
    like module files: a Terragrunt ``terragrunt.hcl`` is read the way a ``.tf`` file is."""
    return _parse_one(path, display)


def _parse_one(path: str, display: str) -> ParsedFile:
    if overlaid(path):
        return _parse_buffer(path, display)
    try:
        stat = os.stat(path)
        key: tuple | None = (real_path(path), display, stat.st_size, stat.st_mtime_ns)
    except OSError:
        key = None
    if key is not None:
        found = _ON_DISK.get(key)
        if found is not None:
            _ON_DISK.move_to_end(key)
            return found
    text, error = read_text(path, display)
    result = ParsedFile(None, None, (error,)) if error is not None else _parse_text(text or "", path, display)
    if key is not None:
        _ON_DISK[key] = result
        while len(_ON_DISK) > _ON_DISK_MAX:
            _ON_DISK.popitem(last=False)
    return result


def _parse_buffer(path: str, display: str) -> ParsedFile:
    text, error = read_text(path, display)
    if error is not None:
        return ParsedFile(None, None, (error,))
    key = (display, text or "")
    found = _BUFFERS.get(key)
    if found is None:
        found = _BUFFERS[key] = _parse_text(key[1], path, display, partial=True)
        while len(_BUFFERS) > _BUFFERS_MAX:
            _BUFFERS.popitem(last=False)
    else:
        _BUFFERS.move_to_end(key)
    return found


def _parse_text(text: str, path: str, display: str, partial: bool = False) -> ParsedFile:
    # start-up: plan files import this module too; the HCL parser loads only when a .tf file is parsed
    from iamlint.parsers.terraform import choice
    from iamlint.parsers.terraform.errors import HclSyntaxError

    try:
        if is_json(path):
            from iamlint.parsers.terraform.json_syntax import parse_tf_json  # start-up: only for .tf.json, .tofu.json files

            return ParsedFile(parse_tf_json(text, display), None, ())
        tree, facts = choice.parse_hcl_with_facts(text, display)
        return ParsedFile(tree, facts, ())
    except HclSyntaxError as exc:
        if not partial or is_json(path):
            return ParsedFile(None, None, (_syntax_error(display, exc.message, exc.line, exc.column),))
    tree, issues = choice.parse_hcl_partial(text, display)
    errors = tuple(_syntax_error(display, issue.message, issue.line, issue.column) for issue in issues)
    return ParsedFile(tree, None, errors)


def _syntax_error(display: str, message: str, line: int, column: int) -> SourceError:
    return SourceError(display, line, f"syntax error: {message}", column)


def read_manifest(root: str) -> dict[str, str]:
    """``.terraform/modules/modules.json`` under ``root`` (written by ``terraform init``):
    module key ("web.child") -> folder; empty when there is none or it cannot be read."""
    path = os.path.join(root, ".terraform", "modules", "modules.json")
    text, _ = read_source(path)  # a regular file only, capped
    if text is None:
        return {}
    try:
        entries = json.loads(text).get("Modules") or []
    except (ValueError, AttributeError):
        return {}
    return {
        entry["Key"]: os.path.normpath(os.path.join(root, entry["Dir"]))
        for entry in entries
        if isinstance(entry, dict) and isinstance(entry.get("Key"), str) and entry["Key"]
        and isinstance(entry.get("Dir"), str)
    }
