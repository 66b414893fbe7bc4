"""The files of a Terraform module: listed, read (editor buffers first) and parsed once
per process; and the module manifest ``terraform init`` writes."""

from __future__ import annotations

import json
import os

from iamlint.model.units import SourceError
from iamlint.parsers.terraform.names import is_json, is_module_file, module_names
from iamlint.parsers.terraform.syntax import HclFile
from iamlint.sources import active, read_source

_PARSED: dict[tuple, tuple[HclFile | None, SourceError | None]] = {}
_PARSED_MAX = 4096


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
    """Parse .tf / .tf.json files. A file already parsed in this process, unchanged on
    disk (same size and modification time), is not parsed again: linting a repository
    whose examples all call the same module parses that module once."""
    parsed: list[HclFile] = []
    errors: list[SourceError] = []
    for path, display in files:
        if not is_module_file(path):
            continue
        hcl, error = _parse_one(path, display)
        if error is not None:
            errors.append(error)
        elif hcl is not None:
            parsed.append(hcl)
    return parsed, errors


def parse_file(path: str, display: str) -> tuple[HclFile | None, SourceError | None]:
    """One HCL (or ``.json``-suffixed JSON) file through the Terraform parse API, cached
    like module files: a Terragrunt ``terragrunt.hcl`` is read the way a ``.tf`` file is."""
    return _parse_one(path, display)


def _parse_one(path: str, display: str) -> tuple[HclFile | None, SourceError | None]:
    key = None
    if not active():  # an editor buffer may shadow the file: never cached
        try:
            stat = os.stat(path)
            key = (os.path.realpath(path), display, stat.st_size, stat.st_mtime_ns)
        except OSError:
            key = None
    if key is not None and key in _PARSED:
        return _PARSED[key]
    result = _parse_uncached(path, display)
    if key is not None:
        if len(_PARSED) >= _PARSED_MAX:
            _PARSED.clear()
        _PARSED[key] = result
    return result


def _parse_uncached(path: str, display: str) -> tuple[HclFile | None, SourceError | None]:
    # start-up: plan files import this module too; lark and hcl2 load only when a .tf file is parsed
    from iamlint.parsers.terraform.hcl import HclSyntaxError, parse_hcl
    from iamlint.parsers.terraform.json_syntax import parse_tf_json

    text, error = read_text(path, display)
    if error is not None:
        return None, error
    try:
        return (parse_tf_json(text, display) if is_json(path) else parse_hcl(text, display)), None  # type: ignore[arg-type]  # text whenever there is no error
    except HclSyntaxError as exc:
        return None, SourceError(display, exc.line, f"syntax error: {exc.message}", exc.column)


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
