"""The user cache directory and the files iamlint keeps in it, at the lowest level.

``$IAMLINT_CACHE_DIR``, else ``$XDG_CACHE_HOME/iamlint``, else ``~/.cache/iamlint``.
Three kinds of files live there: the unit entries (``units/``, :mod:`iamlint.cache`),
the entry-point indexes (:mod:`iamlint.entrypoints`) and the HCL parser tables
(:mod:`iamlint.parsers.terraform.grammar`). This module holds what they share:

* :func:`read_trusted` -- the bytes of a cache file, only when the file and its folder
  belong to the current user and are not writable by others (nothing else is ever
  unpickled or trusted);
* :func:`write_atomic` -- a temporary file in the target folder, then ``os.replace``,
  so a concurrent run never reads half a file;
* :func:`load_snapshot` / :func:`store_snapshot` -- a pickled object under a key, with a
  digest checked before unpickling (the built HCL parser);
* :func:`clear` -- ``iamlint cache clear``.
"""

from __future__ import annotations

import copyreg
import hashlib
import io
import os
import pickle
from pathlib import Path
from typing import Any

UNITS_SUBDIR = "units"
UNIT_SUFFIX = ".entry"
_SNAPSHOT_MAGIC = b"iamlint-snapshot\n"
# what `iamlint cache clear` removes: unit entries, lark tables, snapshots, indexes, leftovers
_CACHE_SUFFIXES = (UNIT_SUFFIX, ".lark", ".snapshot", ".index", ".tmp")


def cache_dir() -> Path:
    """The iamlint user cache directory (parser tables and unit entries live below it)."""
    explicit = os.environ.get("IAMLINT_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "iamlint"


def trusted_file(fd: int, folder: Path) -> bool:
    """Only files and folders of the current user that others cannot write."""
    if not hasattr(os, "geteuid"):
        return True
    try:
        stat, parent = os.fstat(fd), os.stat(folder)
    except OSError:
        return False
    uid = os.geteuid()
    return stat.st_uid == uid and parent.st_uid == uid and not (parent.st_mode & 0o022) and not (stat.st_mode & 0o022)


def read_trusted(path: Path) -> bytes | None:
    """The bytes of a file of the cache folder, or None when it is missing, unreadable,
    or not trusted (see :func:`trusted_file`): callers then never unpickle it."""
    try:
        with open(path, "rb") as handle:
            if not trusted_file(handle.fileno(), path.parent):
                return None
            return handle.read()
    except OSError:
        return None


def write_atomic(target: Path, data: bytes, prefix: str = ".tmp-", suffix: str = ".tmp") -> bool:
    """Write ``data`` to ``target`` through a temporary file of the same folder and
    ``os.replace`` (the folder is created). False when it cannot be written."""
    import tempfile  # start-up: ~5 ms (random, weakref); only runs that write need it

    folder = target.parent
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o755)
        fd, temporary = tempfile.mkstemp(dir=folder, prefix=prefix, suffix=suffix)
    except OSError:
        return False  # read-only or full: run without it
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(temporary, target)
        return True
    except OSError:
        unlink(temporary)
        return False


def unlink(path: str | os.PathLike[str]) -> int:
    """Remove a file; 1 when it was removed, 0 otherwise."""
    try:
        os.unlink(path)
        return 1
    except OSError:
        return 0


def load_snapshot(name: str, key: str) -> Any:
    """The object stored by :func:`store_snapshot` under ``name`` for ``key``, or None
    (missing, other key, corrupt, not ours: never unpickled then)."""
    data = read_trusted(cache_dir() / f"{name}.snapshot")
    if data is None:
        return None
    header = _SNAPSHOT_MAGIC + key.encode() + b"\n"
    if not data.startswith(header):
        return None
    payload = data[len(header) + 33 :]
    if data[len(header) : len(header) + 32].decode("ascii", "replace") != hashlib.blake2b(payload, digest_size=16).hexdigest():
        return None
    try:
        return pickle.loads(payload)
    except Exception:
        return None


def store_snapshot(name: str, key: str, value: Any, reducers: dict | None = None) -> bool:
    """Pickle ``value`` (``reducers``: extra copyreg-style reducers by type) to the cache
    directory, atomically. False when it cannot be written."""

    class _Pickler(pickle.Pickler):
        dispatch_table = {**copyreg.dispatch_table, **(reducers or {})}  # noqa: RUF012 -- pickle's own hook

    buffer = io.BytesIO()
    try:
        _Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(value)
    except Exception:
        return False
    payload = buffer.getvalue()
    digest = hashlib.blake2b(payload, digest_size=16).hexdigest().encode()
    data = _SNAPSHOT_MAGIC + key.encode() + b"\n" + digest + b"\n" + payload
    return write_atomic(cache_dir() / f"{name}.snapshot", data, prefix=f".{name}-")


def clear(directory: str | os.PathLike[str] | None = None) -> int:
    """Remove every cached unit entry, parser table and index; returns how many files."""
    base = Path(directory) if directory is not None else cache_dir()
    removed = 0
    for folder in (base / UNITS_SUBDIR, base):
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        for name in names:
            path = folder / name
            if path.is_file() and name.endswith(_CACHE_SUFFIXES):
                removed += unlink(path)
    return removed
