"""Reading source files: only regular files, never blocking, capped, with an optional
overlay of unsaved texts.

An editor that lints an unsaved buffer (``iamlint check --stdin-filename main.tf``)
passes its text through :func:`overlay`; every reader (Terraform files, var files,
``file()`` / ``templatefile()``, plans, CloudFormation templates, suppression comments)
goes through :func:`read_source` (or :func:`read_bytes`), so the buffer replaces the
file of that name while its siblings are still read from disk.

A file is read only when it is a regular file (checked before it is opened, then opened
without blocking and checked again: a FIFO or a symlink to ``/dev/zero`` named
``main.tf`` would block or never end) of at most :func:`max_bytes` (10 MiB unless
``--max-file-size`` says otherwise); anything else is a located error, never a hang.
"""

from __future__ import annotations

import codecs
import contextlib
import os
import stat
from contextvars import ContextVar
from typing import Iterable, Iterator, Mapping

from iamlint.model.units import SourceError

# a context variable: a language-server thread linting one module never sees another's buffers
_OVERLAY: ContextVar[Mapping[str, str]] = ContextVar("iamlint_overlay", default={})  # noqa: B039 -- replaced, never mutated


def _key(path: str) -> str:
    return os.path.normcase(os.path.realpath(path))


@contextlib.contextmanager
def overlay(texts: Mapping[str, str]) -> Iterator[None]:
    """Within the block, reading a path of ``texts`` returns the given text instead of
    the file (paths compared after realpath; nested overlays add to the outer one)."""
    token = _OVERLAY.set({**_OVERLAY.get(), **{_key(path): text for path, text in texts.items()}})
    try:
        yield
    finally:
        _OVERLAY.reset(token)


def active() -> bool:
    """Whether an overlay is installed (work must then stay in this process)."""
    return bool(_OVERLAY.get())


def overlaid(path: str) -> bool:
    """Whether ``path`` is replaced by an overlay text (it may not exist on disk)."""
    buffers = _OVERLAY.get()
    return bool(buffers) and _key(path) in buffers


def overlay_text(path: str) -> str | None:
    """The overlay text replacing ``path``, or None (read the file)."""
    buffers = _OVERLAY.get()
    text = buffers.get(_key(path)) if buffers else None
    return None if text is None else text.removeprefix("\ufeff")


def read_source(path: str, display: str | None = None) -> tuple[str | None, SourceError | None]:
    """A source file as text, or a located error naming ``display``: the editor's buffer
    when one shadows the file, else the file read by :func:`read_bytes` (a regular file,
    at most :func:`max_bytes`) and decoded by :func:`decode` (UTF-8, or UTF-16/32 after
    their byte order mark)."""
    display = display or path
    text = overlay_text(path)
    if text is not None:
        return text, None
    data, error = read_bytes(path, display)
    if data is None:
        return None, error
    return decode(data, display)


# -- reading: regular files only, never blocking, capped ---------------------------------

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
_LIMIT = [DEFAULT_MAX_BYTES]  # process-wide (worker processes inherit it): --max-file-size


def max_bytes() -> int:
    """The size cap of every file iamlint reads (``--max-file-size``; default 10 MiB)."""
    return _LIMIT[0]


# folders resolved during a run (see real_paths), and its working folder; None outside one
_REAL_FOLDERS: dict[str, str] | None = None
_CWD = ""


@contextlib.contextmanager
def real_paths() -> Iterator[None]:
    """Within the block (a run: ``engine.run``), :func:`real_path` resolves each folder
    once: ``os.path.realpath`` asks the file system about every component of a path, and
    a run asked it about the same folders tens of thousands of times (../shared/corpus:
    23,500 paths, 170,000 lstat calls). The folders are forgotten when the block ends, so
    a language server sees a symlink changed between two runs."""
    global _REAL_FOLDERS, _CWD
    outer, outer_cwd = _REAL_FOLDERS, _CWD
    if outer is None:
        try:
            _CWD = os.getcwd()
        except OSError:  # the working folder is gone: every path goes to os.path.realpath
            _CWD = ""
        _REAL_FOLDERS = {} if _CWD.startswith("/") else None
    try:
        yield
    finally:
        _REAL_FOLDERS, _CWD = outer, outer_cwd


def real_path(path: str) -> str:
    """``os.path.realpath(path)``. Within :func:`real_paths`, a path (made absolute from
    the run's working folder) without ``.``, ``..`` or empty components whose last
    component is not a symlink is its folder's real path (resolved once in the run) joined
    with that component -- what realpath finds, component by component; every other path
    goes to ``os.path.realpath``."""
    folders = _REAL_FOLDERS
    if folders is None or os.sep != "/" or type(path) is not str or not path:
        return os.path.realpath(path)
    if not path.startswith("/"):
        path = _CWD + "/" + path
    head, _, tail = path.rpartition("/")
    if not tail or tail in (".", "..") or "/./" in head + "/" or "/../" in head + "/" or "//" in path:
        return os.path.realpath(path)
    try:
        if stat.S_ISLNK(os.lstat(path).st_mode):
            return os.path.realpath(path)
    except (OSError, ValueError):
        return os.path.realpath(path)
    folder = folders.get(head)
    if folder is None:
        folder = folders[head] = os.path.realpath(head or "/")
    return folder + tail if folder.endswith("/") else folder + "/" + tail


def inside(path: str, root: str) -> bool:
    """Whether ``path``, symlinks resolved, is ``root`` or below it."""
    real, top = real_path(path), real_path(root)
    try:
        return os.path.commonpath([real, top]) == top
    except ValueError:  # another drive
        return False


def repository_root(path: str, roots: Iterable[str] = ()) -> str:
    """The folder a file of the scanned tree may name files in (a configuration file's
    var-files, Terraform's file() and templatefile()): the top of its git repository (the
    closest folder above it holding ``.git``), else the command-line path it was found
    under (``roots``), else its own folder."""
    start = os.path.abspath(path)
    folder = start if os.path.isdir(start) else os.path.dirname(start)
    current = folder
    while True:
        if os.path.exists(os.path.join(current, ".git")):
            return current
        parent = os.path.dirname(current)
        if parent == current:
            break
        current = parent
    for root in roots:
        top = os.path.abspath(root if os.path.isdir(root) else os.path.dirname(root) or ".")
        if inside(start, top):
            return top
    return folder


@contextlib.contextmanager
def limited(limit: int | None) -> Iterator[None]:
    """Within the block, files larger than ``limit`` bytes are not read (None: default)."""
    previous = _LIMIT[0]
    _LIMIT[0] = DEFAULT_MAX_BYTES if limit is None else limit
    try:
        yield
    finally:
        _LIMIT[0] = previous


_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)


def special(mode: int) -> str | None:
    """What a file of this ``st_mode`` is when it is not a regular file (None: it is)."""
    if stat.S_ISREG(mode):
        return None
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def read_bytes(path: str, display: str | None = None, limit: int | None = None,
               known: os.stat_result | None = None) -> tuple[bytes | None, SourceError | None]:
    """The bytes of a regular file of at most ``limit`` bytes (default :func:`max_bytes`),
    or a located error. Nothing else is ever opened for reading: the file is checked
    before it is opened (a FIFO, a device, a socket -- also behind a symlink -- would
    block or never end; ``known``: its ``os.stat`` already taken by the caller), then
    opened without blocking and checked again. Read with ``os.read`` on the descriptor
    (a file object would add three system calls and its buffers: a warm run digests
    every file it checks)."""
    display = display or path
    limit = max_bytes() if limit is None else limit
    try:
        kind = special((known or os.stat(path)).st_mode)
        if kind is not None:
            return None, SourceError(display, 0, f"not read: {kind}, not a regular file")
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as exc:
        return None, SourceError(display, 0, f"cannot read: {exc.strerror or exc}")
    try:
        info = os.fstat(fd)
        kind = special(info.st_mode)
        if kind is not None:  # replaced between the check and the open
            return None, SourceError(display, 0, f"not read: {kind}, not a regular file")
        # read what the size says (asking for `limit` bytes would allocate them), and
        # past it only if the file grew meanwhile, up to the cap
        data = _read_fd(fd, info.st_size + 1) if info.st_size <= limit else b""
        if len(data) > info.st_size:
            data += _read_fd(fd, limit + 1 - len(data))
    except OSError as exc:
        return None, SourceError(display, 0, f"cannot read: {exc.strerror or exc}")
    finally:
        os.close(fd)
    if info.st_size > limit or len(data) > limit:
        size = max(info.st_size, len(data))
        return None, SourceError(display, 0, f"not read: {_size(size)} is over the {_size(limit)} limit for a file "
                                             "(iamlint check --max-file-size raises it)")
    return data, None


def _read_fd(fd: int, size: int) -> bytes:
    """Up to ``size`` bytes from ``fd``, fewer only at its end."""
    chunks = []
    while size > 0:
        chunk = os.read(fd, size)
        if not chunk:
            break
        chunks.append(chunk)
        size -= len(chunk)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def read_head(path: str, size: int) -> bytes | None:
    """At most ``size`` bytes from the start of a regular file (None: not one, or
    unreadable), without blocking (content detection: is this JSON file a plan?)."""
    try:
        if special(os.stat(path).st_mode) is not None:
            return None
        fd = os.open(path, _OPEN_FLAGS)
    except OSError:
        return None
    with open(fd, "rb", closefd=True) as handle:
        try:
            info = os.fstat(fd)
            if special(info.st_mode) is not None:
                return None
            # what the size says (asking for `size` bytes would allocate them: ~60 us for 1 MiB),
            # and past it only if the file grew meanwhile
            data = handle.read(min(size, info.st_size + 1))
            if info.st_size < len(data) < size:
                data += handle.read(size - len(data))
            return data
        except OSError:
            return None


def _size(count: int) -> str:
    if count >= 1024 * 1024:
        return f"{count / (1024 * 1024):.1f} MiB"
    if count >= 1024:
        return f"{count / 1024:.1f} KiB"
    return f"{count} bytes"


# -- decoding -----------------------------------------------------------------------------

_BOMS = (  # UTF-32 first: its little-endian mark starts with UTF-16's
    (codecs.BOM_UTF32_LE, "utf-32-le", "UTF-32"),
    (codecs.BOM_UTF32_BE, "utf-32-be", "UTF-32"),
    (codecs.BOM_UTF8, "utf-8", "UTF-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16"),
)


def _encoding(data: bytes) -> tuple[str, str, int]:
    """(codec, name shown, length of the byte order mark) of a text's bytes."""
    for mark, name, shown in _BOMS:
        if data.startswith(mark):
            return name, shown, len(mark)
    return "utf-8", "UTF-8", 0


def decode_lossy(data: bytes) -> str:
    """The text of bytes, undecodable ones replaced (to tell what a broken file is)."""
    encoding, _, start = _encoding(data)
    return data[start:].decode(encoding, "replace")


def decode(data: bytes, display: str) -> tuple[str | None, SourceError | None]:
    """Text from bytes: UTF-16 or UTF-32 after their byte order mark, else UTF-8 (a BOM
    tolerated); bytes that do not decode are an error at their line and column."""
    encoding, label, start = _encoding(data)
    try:
        return data[start:].decode(encoding), None
    except UnicodeDecodeError as exc:
        before = data[start : start + exc.start].decode(encoding, "replace")
        line = before.count("\n") + 1
        column = len(before) - (before.rfind("\n") + 1) + 1
        return None, SourceError(display, line, f"not valid {label}", column)
