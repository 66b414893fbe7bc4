"""Rule discovery through the ``iamlint.rules`` entry-point group (built-ins included).

Only installed distributions are consulted; nothing is ever imported from the code
being scanned. A plugin that fails to load, or declares an invalid or duplicate rule,
becomes one error entry naming it; the other rules still load.

Start-up (issue 7). Scanning the installed distributions needs ``importlib.metadata``
(itself ~10-20 ms to import) and a read of every distribution's entry points, on every
run. So the result of the scan -- the entry points of the group, nothing else -- is
kept in the user cache directory (``rules-<environment>.index``, one file per Python
environment, so that several virtual environments sharing the folder do not evict each
other's) under a key describing the
installation: the Python, ``sys.path``, and for every path entry the name, inode, size
and mtime of each ``*.dist-info`` / ``*.egg-info`` (and of its ``entry_points.txt``),
or of the entry itself when it is a file (a zip or egg). Installing, removing,
upgrading or reinstalling a distribution changes that key. Rules still come only from
installed distributions: the index only spares the scan that finds them. The index is
used only when its magic line, key and digest match, it parses as the expected list,
and the file and its folder belong to the current user and are not writable by others
(as the unit cache guards its entries); a meta-path finder that can provide
distributions of its own disables it. On any doubt, and whenever a plugin fails to
load or validate from the index, the normal scan runs (with its error messages).
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass, field

from iamlint.model.findings import Rule, Severity

GROUP = "iamlint.rules"
_CODE = re.compile(r"^[A-Z]{2,6}[0-9]{3,4}$")
_NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
_INDEX_MAGIC = b"iamlint-rules-index\n"
_INDEX_FORMAT = 1
_ENTRY_VALUE = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$")


@dataclass(slots=True)
class Registry:
    rules: list[Rule] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def find(self, key: str) -> Rule | None:
        """A rule by code or name (case-insensitive)."""
        wanted = key.strip().lower()
        for rule in self.rules:
            if rule.code.lower() == wanted or rule.name == wanted:
                return rule
        return None


def load_rules() -> Registry:
    key = _installation_key()
    if key is not None:
        indexed = _read_index(key)
        if indexed is not None:
            registry = _load_indexed(indexed)
            if registry is not None:
                return registry
    return _load_scanned(key)


def _load_indexed(entries: list[tuple[str, str]]) -> Registry | None:
    """The registry from the indexed entry points; None when anything is not as the
    normal path would accept it without a message (then the normal path runs)."""
    import importlib

    registry = Registry()
    seen: set[str] = set()
    for name, value in entries:
        module_name, _, attribute = value.partition(":")
        try:
            rule = importlib.import_module(module_name)
            for part in attribute.split("."):
                rule = getattr(rule, part)
        except Exception:
            return None
        if _validate(rule, name) is not None or rule.code in seen or rule.name in seen:
            return None
        seen.update((rule.code, rule.name))
        registry.rules.append(rule)
    registry.rules.sort(key=lambda r: r.code)
    return registry


def _load_scanned(key: str | None) -> Registry:
    from importlib.metadata import entry_points

    registry = Registry()
    seen: dict[str, object] = {}  # rule code / name -> the entry point that provided it
    # origins (distribution name and version) are read only for messages: reading a
    # distribution's metadata parses its METADATA file, a cost on every run otherwise
    found = sorted(entry_points(group=GROUP), key=lambda e: (e.name, e.value))
    if key is not None:
        _write_index(key, [(entry.name, entry.value) for entry in found])
    for entry in found:
        try:
            rule = entry.load()
        except Exception as exc:  # a broken plugin must not stop the others
            registry.errors.append(f"rule plugin {entry.name} ({_origin(entry)}) failed to load: {exc!r}")
            continue
        problem = _validate(rule, entry.name)
        if problem is None:
            for key in (rule.code, rule.name):
                if key in seen:
                    problem = f"duplicate rule {key} (already provided by {_origin(seen[key])})"
        if problem is not None:
            registry.errors.append(f"rule plugin {entry.name} ({_origin(entry)}): {problem}")
            continue
        seen[rule.code] = seen[rule.name] = entry
        registry.rules.append(rule)
    registry.rules.sort(key=lambda r: r.code)
    return registry


def _origin(entry) -> str:
    dist = getattr(entry, "dist", None)
    if dist is None:
        return entry.value
    return f"{dist.metadata['Name']} {dist.version}"


def _validate(rule: object, entry_name: str) -> str | None:
    if not isinstance(rule, Rule):
        return "is not an iamlint.plugin.Rule"
    if not _CODE.match(rule.code):
        return f"invalid code {rule.code!r} (expected letters then digits, e.g. EC2001)"
    if rule.code != entry_name:
        return f"entry point name {entry_name!r} differs from the rule code {rule.code!r}"
    if not _NAME.match(rule.name):
        return f"invalid name {rule.name!r} (expected kebab-case)"
    if not isinstance(rule.severity, Severity) or not callable(rule.check):
        return "invalid severity or check"
    return None


# -- the entry-point index ----------------------------------------------------------


def _installation_key() -> str | None:
    """What the scan of installed distributions depends on; None: do not use an index."""
    from importlib.machinery import PathFinder

    for finder in sys.meta_path:
        if finder is not PathFinder and hasattr(finder, "find_distributions"):
            return None  # distributions that no folder listing shows
    parts = [f"{_INDEX_FORMAT}|{sys.version}|{sys.executable}|{GROUP}"]
    for entry in sys.path:
        location = os.path.abspath(entry or ".")
        parts.append(f"path {location}")
        try:
            with os.scandir(location) as listing:
                children = sorted(listing, key=lambda child: child.name)
        except NotADirectoryError:
            parts.append(_stat_line("file", location))  # a zip or egg: its metadata is inside
            continue
        except OSError:
            continue  # missing or unreadable: the scan finds nothing there either
        for child in children:
            lower = child.name.lower()
            if lower.endswith((".dist-info", ".egg-info")) or lower == "egg-info":
                parts.append(_stat_line("dist", child.path))
                parts.append(_stat_line("eps", os.path.join(child.path, "entry_points.txt")))
    return "\n".join(parts)


def _stat_line(kind: str, path: str) -> str:
    try:
        stat = os.stat(path)
    except OSError:
        return f"{kind} {path} -"
    return f"{kind} {path} {stat.st_ino} {stat.st_size} {stat.st_mtime_ns} {stat.st_ctime_ns}"


def index_path():
    """The index file of this Python environment (its prefix and executable)."""
    import hashlib

    from iamlint.cache import cache_dir

    environment = hashlib.blake2b(f"{sys.prefix}|{sys.executable}".encode(), digest_size=8).hexdigest()
    return cache_dir() / f"rules-{environment}.index"


def _read_index(key: str) -> list[tuple[str, str]] | None:
    import hashlib
    import json

    from iamlint.cache import read_trusted

    try:
        data = read_trusted(index_path())
    except OSError:
        return None
    if data is None:
        return None
    digest = hashlib.blake2b(key.encode(), digest_size=16).hexdigest().encode()
    header = _INDEX_MAGIC + digest + b"\n"
    if not data.startswith(header):
        return None
    body = data[len(header):]
    check, _, payload = body.partition(b"\n")
    if check != hashlib.blake2b(payload, digest_size=16).hexdigest().encode():
        return None
    try:
        entries = json.loads(payload.decode("utf-8"))
    except ValueError:
        return None
    if not isinstance(entries, list):
        return None
    result: list[tuple[str, str]] = []
    for item in entries:
        if not (isinstance(item, list) and len(item) == 2 and all(isinstance(part, str) for part in item)):
            return None
        if not _ENTRY_VALUE.match(item[1]):
            return None
        result.append((item[0], item[1]))
    if result != sorted(result):
        return None
    return result


def _write_index(key: str, entries: list[tuple[str, str]]) -> None:
    """Atomically (temporary file, then replace); silently nothing when it cannot."""
    import hashlib
    import json
    import tempfile

    try:
        path = index_path()
        payload = json.dumps([list(item) for item in entries]).encode("utf-8")
        data = (
            _INDEX_MAGIC
            + hashlib.blake2b(key.encode(), digest_size=16).hexdigest().encode()
            + b"\n"
            + hashlib.blake2b(payload, digest_size=16).hexdigest().encode()
            + b"\n"
            + payload
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".rules-", suffix=".tmp")
    except (OSError, ValueError):
        return
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(temporary, path)
    except OSError:
        try:
            os.unlink(temporary)
        except OSError:
            pass
