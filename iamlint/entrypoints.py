"""The entry points of iamlint's plugin groups, with an index that spares the scan.

Rules (``iamlint.rules``) and input formats (``iamlint.formats``) come only from
installed distributions, through their entry points; nothing is ever imported from the
code being scanned. Scanning the installed distributions needs ``importlib.metadata``
(itself ~10-20 ms to import) and a read of every distribution's entry points, on every
run. So the result of the scan -- the ``(name, value)`` pairs of iamlint's groups,
nothing else -- is kept in the user cache directory (``plugins-<environment>.index``, one
file per Python environment, so that several virtual environments sharing the folder do
not evict each other's) under a key describing the installation: the Python,
``sys.path``, and for every path entry the name, inode, size and mtime of each
``*.dist-info`` / ``*.egg-info`` (and of its ``entry_points.txt``), or of the entry itself
when it is a file (a zip or egg). Installing, removing, upgrading or reinstalling a
distribution changes that key.

The index is used only when its magic line, key and digest match, it parses as the
expected mapping of lists, and the file and its folder belong to the current user and
are not writable by others (:func:`iamlint.cachedir.read_trusted`); a meta-path finder
that can provide distributions of its own disables it. The index only spares the scan:
callers import and validate every entry themselves and scan again on any doubt.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import sys
from importlib.machinery import PathFinder
from pathlib import Path
from typing import Any

from iamlint.cachedir import cache_dir, read_sealed, write_sealed
from iamlint.digests import blake2b
from iamlint.model.masking import mask_text

RULES = "iamlint.rules"
FORMATS = "iamlint.formats"
GROUPS = (FORMATS, RULES)
_MAGIC = b"iamlint-rules-index\n"  # (the historical name: it indexes every plugin group)
_FORMAT = 2
_VALUE = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$")

Entries = dict[str, list[tuple[str, str]]]


def installation_key() -> str | None:
    """What the scan of installed distributions depends on; None: do not use an index.

    Only the ``sys.path`` entries that hold distributions (``*.dist-info``,
    ``*.egg-info``, a zip or egg) count, with their order: the script's folder or the
    current directory that ``python -m``, a console script and ``python -c`` put first
    hold none, so the three ways of starting iamlint share one index instead of
    rewriting it in turn (a distribution appearing in such a folder adds it to the key)."""
    for finder in sys.meta_path:
        if finder is not PathFinder and hasattr(finder, "find_distributions"):
            return None  # distributions that no folder listing shows
    parts = [f"{_FORMAT}|{sys.version}|{_interpreter()}|{','.join(GROUPS)}"]
    for entry in sys.path:
        parts.extend(_path_entry(os.path.abspath(entry or ".")))
    return "\n".join(parts)


def _path_entry(location: str) -> list[str]:
    try:
        with os.scandir(location) as listing:
            children = sorted(listing, key=lambda child: child.name)
    except NotADirectoryError:
        return [f"path {location}", _stat_line("file", location)]  # a zip or egg: its metadata is inside
    except OSError:
        return []  # missing or unreadable: the scan finds nothing there either
    parts = []
    for child in children:
        lower = child.name.lower()
        if lower.endswith((".dist-info", ".egg-info")) or lower == "egg-info":
            parts.append(_stat_line("dist", child.path))
            parts.append(_stat_line("eps", os.path.join(child.path, "entry_points.txt")))
    return [f"path {location}"] + parts if parts else []


def _stat_line(kind: str, path: str) -> str:
    try:
        stat = os.stat(path)
    except OSError:
        return f"{kind} {path} -"
    return f"{kind} {path} {stat.st_ino} {stat.st_size} {stat.st_mtime_ns} {stat.st_ctime_ns}"


def index_path() -> Path:
    """The index file of this Python environment (its prefix and interpreter)."""
    environment = blake2b(f"{sys.prefix}|{_interpreter()}".encode(), digest_size=8).hexdigest()
    return cache_dir() / f"plugins-{environment}.index"


def _interpreter() -> str:
    """The interpreter's file, whichever of its names started it: a console script's
    `bin/python3` and `bin/python -m iamlint` are one environment, with one index."""
    return os.path.realpath(sys.executable) if sys.executable else ""


def read_index(key: str) -> Entries | None:
    """The indexed entries of every group, or None (missing, stale, damaged, not ours)."""
    document = read_sealed(index_path(), _MAGIC, _digest(key.encode()))
    if not isinstance(document, dict) or sorted(document) != sorted(GROUPS):
        return None
    entries = {group: _pairs(document[group]) for group in GROUPS}
    return None if any(pairs is None for pairs in entries.values()) else entries  # type: ignore[return-value]


def _pairs(items: Any) -> list[tuple[str, str]] | None:
    if not isinstance(items, list):
        return None
    result: list[tuple[str, str]] = []
    for item in items:
        if not (isinstance(item, list) and len(item) == 2 and all(isinstance(part, str) for part in item)):
            return None
        if not _VALUE.match(item[1]):
            return None
        result.append((item[0], item[1]))
    return result if result == sorted(result) else None


def write_index(key: str, entries: Entries) -> None:
    """Atomically (temporary file, then replace); silently nothing when it cannot."""
    try:
        document = {group: [list(item) for item in entries.get(group, [])] for group in GROUPS}
        text = json.dumps(document)
        if mask_text(text) != text:
            return  # an entry point naming a credential: nothing is kept
        write_sealed(index_path(), _MAGIC, _digest(key.encode()), document, prefix=".plugins-")
    except (OSError, ValueError):
        return


def scan() -> dict[str, list[Any]]:
    """The entry points of every group, from the installed distributions, sorted by
    (name, value). (Imports ``importlib.metadata``: only when the index cannot be used.)"""
    from importlib.metadata import entry_points  # start-up: ~15 ms, needed only when the index is stale

    return {group: sorted(entry_points(group=group), key=lambda e: (e.name, e.value)) for group in GROUPS}


def scan_and_index(key: str | None) -> dict[str, list[Any]]:
    """:func:`scan`, then record the result in the index (when ``key`` allows one)."""
    found = scan()
    if key is not None:
        write_index(key, {group: [(entry.name, entry.value) for entry in found[group]] for group in GROUPS})
    return found


def resolve(value: str) -> Any:
    """The object an entry point value (``module:attr.attr``) names; raises on failure."""
    module_name, _, attribute = value.partition(":")
    target: Any = importlib.import_module(module_name)
    for part in attribute.split("."):
        target = getattr(target, part)
    return target


def origin(entry: Any) -> str:
    """The distribution (name and version) an entry point comes from, for messages."""
    if isinstance(entry, tuple):  # an indexed (name, value) pair
        return str(entry[1])
    dist = getattr(entry, "dist", None)
    if dist is None:
        return str(entry.value)
    return f"{dist.metadata['Name']} {dist.version}"


def _digest(data: bytes) -> bytes:
    return blake2b(data, digest_size=16).hexdigest().encode()
