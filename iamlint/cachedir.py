"""The user cache directory and the files iamlint keeps in it, at the lowest level.

``$IAMLINT_CACHE_DIR``, else ``$XDG_CACHE_HOME/iamlint``, else ``~/.cache/iamlint``.
Five kinds of files live there: the unit entries (``units/``, :mod:`iamlint.cache`),
the checked units' results (``results/``, :mod:`iamlint.results`),
the entry-point indexes (:mod:`iamlint.entrypoints`), the built-in rules' facts
(:mod:`iamlint.registry`) and the HCL parser snapshot
(:mod:`iamlint.parsers.terraform.grammar`). This module holds what they share:

* :func:`private_dir` -- the folder, created ``0700``, and only when it is *private*:
  a directory of the current user that neither group nor others can write. A folder
  that is not (someone else's, or world-writable) is refused: :func:`refusal` says why,
  once, and the run goes on without any cache -- nothing is read from it or written to it;
* :func:`read_trusted` -- the bytes of a cache file, only when the file and its folder
  belong to the current user and are not writable by others (nothing else is ever
  unpickled or trusted);
* :func:`write_atomic` -- a new temporary file (``0600``, created exclusively under a
  random name, never through a symbolic link) in the target folder (created ``0700``),
  then ``os.replace``, so a concurrent run never reads half a file;
* :func:`read_sealed` / :func:`write_sealed` -- a JSON document under a key, with a digest
  of its payload (the entry-point index, the rule facts: never unpickled);
* :func:`load_snapshot` / :func:`store_snapshot` -- a pickled object under a key, with a
  digest checked before unpickling (the built HCL parser);
* :func:`clear` -- ``iamlint cache clear``.

Only files iamlint wrote itself into a private folder are ever unpickled: the unit
entries and the parser snapshot. (lark's own table cache is not used: lark unpickles it
with no such check.)
"""

from __future__ import annotations

import copyreg
import io
import json
import os
import pickle
from pathlib import Path
from stat import S_ISDIR, S_ISREG
from typing import Any

from iamlint.digests import blake2b

UNITS_SUBDIR = "units"
UNIT_SUFFIX = ".entry"
RESULTS_SUBDIR = "results"  # checked units' findings (iamlint.results)
RESULT_SUFFIX = ".result"
_SNAPSHOT_MAGIC = b"iamlint-snapshot\n"
# what `iamlint cache clear` removes: unit entries, results, lark tables, snapshots, indexes, leftovers
_CACHE_SUFFIXES = (UNIT_SUFFIX, RESULT_SUFFIX, ".lark", ".snapshot", ".index", ".tmp")


def cache_dir() -> Path:
    """The iamlint user cache directory (parser tables and unit entries live below it)."""
    explicit = os.environ.get("IAMLINT_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "iamlint"


_CHECKED: dict[str, str | None] = {}  # folder -> why it is refused (None: private)


def private_dir(folder: Path | None = None) -> Path | None:
    """``folder`` (default: :func:`cache_dir`), created ``0700`` when missing, if it is
    private (see the module); None when it is not, or cannot be created (read-only):
    the caller then runs without it."""
    folder = cache_dir() if folder is None else folder
    key = os.path.abspath(folder)
    if key not in _CHECKED:
        _CHECKED[key] = _problem(folder)
    return None if _CHECKED[key] is not None else folder


def refusal(folder: Path | None = None) -> str | None:
    """Why the cache folder is refused (a note for the user), or None: it is private,
    or merely cannot be created (a read-only home is not worth a note)."""
    folder = cache_dir() if folder is None else folder
    private_dir(folder)
    problem = _CHECKED.get(os.path.abspath(folder))
    return None if problem in (None, _UNAVAILABLE) else problem


_UNAVAILABLE = "unavailable"


def _problem(folder: Path) -> str | None:
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        stat = os.stat(folder)
    except OSError:
        return _UNAVAILABLE
    if not S_ISDIR(stat.st_mode):
        return _UNAVAILABLE
    if not hasattr(os, "geteuid"):
        return None  # no owners to check (Windows): the user's profile folder is private
    if stat.st_uid != os.geteuid():
        return f"the cache folder {folder} belongs to another user (uid {stat.st_uid}); running without a cache"
    if stat.st_mode & 0o022:
        return (f"the cache folder {folder} can be written by others (mode {stat.st_mode & 0o777:o}); "
                f"running without a cache (make it private: chmod 700 {folder})")
    return None


def trusted_file(fd: int, folder: Path) -> bool:
    """Only files and folders of the current user that others cannot write."""
    return _trusted_stat(fd, folder) is not None


def _trusted_stat(fd: int, folder: Path | str) -> os.stat_result | None:
    """The ``fstat`` of ``fd`` when :func:`trusted_file` holds, else None."""
    try:
        stat = os.fstat(fd)
        if not hasattr(os, "geteuid"):
            return stat if S_ISREG(stat.st_mode) else None
        parent = os.stat(folder)
    except OSError:
        return None
    uid = os.geteuid()
    trusted = (S_ISREG(stat.st_mode) and stat.st_uid == uid and parent.st_uid == uid
               and not (parent.st_mode & 0o022) and not (stat.st_mode & 0o022))
    return stat if trusted else None


_READ_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)


def read_trusted(path: Path) -> bytes | None:
    """The bytes of a file of the cache folder, or None when it is missing, unreadable,
    or not trusted (see :func:`trusted_file`), or the cache folder is not private:
    callers then never unpickle it."""
    if not private_folder(path.parent):
        return None
    return read_trusted_file(path, path.parent, getattr(os, "O_NOFOLLOW", 0))


def read_trusted_file(path: Path | str, folder: Path | str, flags: int = 0) -> bytes | None:
    """The bytes of the file at ``path`` of ``folder`` when it is trusted (see
    :func:`trusted_file`), else None (also when missing or unreadable). Opened without
    blocking (a FIFO put there is never waited on) and read with ``os.read`` on the
    descriptor (a warm run reads an entry per unit: a file object adds three system calls
    and its buffers)."""
    try:
        fd = os.open(path, _READ_FLAGS | flags)
    except OSError:
        return None
    try:
        stat = _trusted_stat(fd, folder)
        if stat is None:
            return None
        chunks, size = [], stat.st_size + 1  # to the end, whatever its size meanwhile
        while True:
            chunk = os.read(fd, size)
            if not chunk:
                break
            chunks.append(chunk)
            size = max(size - len(chunk), 1 << 16)
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)
    except OSError:
        return None
    finally:
        os.close(fd)


def private_folder(folder: Path) -> bool:
    """``folder`` (created when missing) and the cache folder above it, when it is
    inside, are private (see :func:`private_dir`)."""
    root = cache_dir()
    if _below(folder, root) and private_dir(root) is None:
        return False
    return private_dir(folder) is not None


def forget() -> None:
    """Check the folders again (tests, or a long-running server after a fix)."""
    _CHECKED.clear()


def _below(path: Path, root: Path) -> bool:
    try:
        return os.path.commonpath([os.path.abspath(path), os.path.abspath(root)]) == os.path.abspath(root)
    except ValueError:
        return False


# a new file only (never an existing one, never through a symbolic link)
_CREATE = (os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
           | getattr(os, "O_BINARY", 0))
_ATTEMPTS = 100  # names taken by other writers before giving up (16 random bytes: never, in practice)


def write_atomic(target: Path, data: bytes, prefix: str = ".tmp-", suffix: str = ".tmp") -> bool:
    """Write ``data`` to ``target`` through a temporary file of the same folder (a new
    file, ``0600``, of a random name: created exclusively, never through a symbolic link)
    and ``os.replace`` (the folder is created). False when it cannot be written.
    (Not :func:`tempfile.mkstemp`: importing tempfile costs ~5 ms of start-up -- random,
    shutil with bz2 and lzma -- and its name generator more per file.)"""
    folder = target.parent
    if not private_folder(folder):
        return False  # not private, read-only: run without it
    for _ in range(_ATTEMPTS):
        temporary = os.path.join(folder, f"{prefix}{os.urandom(16).hex()}{suffix}")
        try:
            fd = os.open(temporary, _CREATE, 0o600)
            break
        except FileExistsError:
            continue
        except OSError:
            return False  # full, read-only: run without it
    else:
        return False
    try:
        with open(fd, "wb", closefd=True) as handle:
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


def read_sealed(path: Path, magic: bytes, key: bytes) -> Any:
    """The JSON document of a *sealed* file of the cache folder (:func:`write_sealed`:
    the magic line, ``key``, the digest of the payload, the payload), or None when it is
    missing, not trusted (:func:`read_trusted`), of another key, damaged or not JSON.
    Never unpickled: the entry-point index and the rule facts."""
    data = read_trusted(path)
    if data is None:
        return None
    header = magic + key + b"\n"
    if not data.startswith(header):
        return None
    check, _, payload = data[len(header):].partition(b"\n")
    if check != _seal(payload):
        return None
    try:
        return json.loads(payload.decode("utf-8"))
    except ValueError:
        return None


def write_sealed(path: Path, magic: bytes, key: bytes, document: Any, prefix: str) -> bool:
    """Write ``document`` as JSON sealed under ``key`` (see :func:`read_sealed`), atomically;
    False when it cannot be written. The caller masks what needs it."""
    payload = json.dumps(document, sort_keys=True).encode("utf-8")
    return write_atomic(path, magic + key + b"\n" + _seal(payload) + b"\n" + payload, prefix=prefix)


def _seal(payload: bytes) -> bytes:
    return blake2b(payload, digest_size=16).hexdigest().encode()


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
    if data[len(header) : len(header) + 32].decode("ascii", "replace") != blake2b(payload, digest_size=16).hexdigest():
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
    digest = blake2b(payload, digest_size=16).hexdigest().encode()
    data = _SNAPSHOT_MAGIC + key.encode() + b"\n" + digest + b"\n" + payload
    return write_atomic(cache_dir() / f"{name}.snapshot", data, prefix=f".{name}-")


def clear(directory: str | os.PathLike[str] | None = None) -> int:
    """Remove every cached unit entry, result, parser table and index; returns how many files."""
    base = Path(directory) if directory is not None else cache_dir()
    removed = 0
    for folder in (base / UNITS_SUBDIR, base / RESULTS_SUBDIR, base):
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        for name in names:
            path = folder / name
            if path.is_file() and name.endswith(_CACHE_SUFFIXES):
                removed += unlink(path)
    return removed
