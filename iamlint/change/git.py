"""A git revision's tree, read from git objects into a private temporary folder.

``git ls-tree -r --long`` lists the revision's files and ``git cat-file --batch`` streams
their contents: nothing reads or writes the working tree or the index (git runs with
``GIT_OPTIONAL_LOCKS=0``), and it works in a shallow clone as long as the revision was
fetched. Only regular files are written (symlinks and submodules are left out, so nothing
in the export points outside it), at most :data:`MAX_FILE` bytes each, under paths git
itself produced (checked again: no ``..``, no absolute path, no ``.git``).

The configuration files of the revision are left out and those of the working tree put
in their place (:func:`overlay_configuration`): both trees are judged by the same
settings, so only the code differs. A ``.git`` folder marks the export's root, where the
search for configuration files stops, as in the working tree.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from dataclasses import dataclass, field
from typing import IO, Iterable

from iamlint.config.layers import CONFIG_NAMES

MAX_FILE = 10 * 1024 * 1024
"""Files larger than this are not exported (iamlint does not read them either)."""

_REGULAR = {"100644", "100755"}


class GitError(Exception):
    """git is missing, the folder is not in a repository, or the revision cannot be read."""


@dataclass(slots=True)
class Export:
    """A revision's tree in ``root`` (the folder standing for the repository's top level)."""

    root: str
    commit: str
    files: int = 0
    skipped: list[str] = field(default_factory=list)  # larger than MAX_FILE


def _env() -> dict[str, str]:
    return {**os.environ, "GIT_OPTIONAL_LOCKS": "0", "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}


def _git(args: list[str], cwd: str) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["git", *args], cwd=cwd, env=_env(), capture_output=True, check=False)
    except FileNotFoundError:
        raise GitError("--base needs git, which is not installed (not found on PATH)") from None


def _text(output: bytes) -> str:
    return output.decode("utf-8", "replace").strip()


def toplevel(cwd: str) -> str:
    """The top level of the working tree holding ``cwd``."""
    done = _git(["rev-parse", "--show-toplevel"], cwd)
    if done.returncode != 0:
        raise GitError(f"--base compares with a git revision, but {cwd} is not inside a git working tree")
    return os.path.realpath(_text(done.stdout))


def resolve(revision: str, top: str) -> str:
    """The commit ``revision`` names; a clear error when it does not exist here."""
    if not revision or revision.startswith("-"):
        raise GitError(f"--base: {revision!r} is not a git revision")
    done = _git(["rev-parse", "--verify", "--quiet", "--end-of-options", f"{revision}^{{commit}}"], top)
    if done.returncode == 0:
        return _text(done.stdout)
    message = f"--base: the git revision {revision!r} is not in this repository"
    shallow = _git(["rev-parse", "--is-shallow-repository"], top)
    if _text(shallow.stdout) == "true":
        message += (" (this is a shallow clone: fetch the revision first, e.g. "
                    f"`git fetch --depth=1 origin {revision.removeprefix('origin/')}`, then pass --base origin/...; "
                    "on GitHub Actions, actions/checkout with fetch-depth: 0 also works)")
    else:
        message += " (fetch it first, e.g. `git fetch origin <branch>`, and pass --base origin/<branch>)"
    raise GitError(message)


def export(revision: str, target: str, top: str) -> Export:
    """Write the regular files of ``revision``'s tree under ``target`` (an empty folder)."""
    commit = resolve(revision, top)
    listing = _git(["ls-tree", "-r", "-z", "--long", "--full-tree", commit], top)
    if listing.returncode != 0:
        raise GitError(f"--base: cannot list the files of {revision!r}: {_text(listing.stderr)}")
    result = Export(target, commit)
    wanted: list[tuple[str, str]] = []  # (object id, path)
    for entry in listing.stdout.split(b"\0"):
        if not entry:
            continue
        meta, _, raw_path = entry.partition(b"\t")
        mode, kind, oid, size = meta.decode("ascii", "replace").split()
        path = raw_path.decode("utf-8", "surrogateescape")
        if kind != "blob" or mode not in _REGULAR or not _safe(path) or os.path.basename(path) in CONFIG_NAMES:
            continue
        if size.isdigit() and int(size) > MAX_FILE:
            result.skipped.append(path)
            continue
        wanted.append((oid, path))
    _write_blobs(wanted, target, top, revision)
    result.files = len(wanted)
    os.makedirs(os.path.join(target, ".git"), exist_ok=True)  # the root: configuration search stops here
    return result


def _safe(path: str) -> bool:
    parts = path.split("/")
    return bool(path) and not path.startswith("/") and all(p not in ("", ".", "..", ".git") for p in parts)


def _write_blobs(wanted: list[tuple[str, str]], target: str, top: str, revision: str) -> None:
    """Stream the blobs through one ``git cat-file --batch`` and write them."""
    if not wanted:
        return
    try:
        process = subprocess.Popen(["git", "cat-file", "--batch"], cwd=top, env=_env(),
                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    except FileNotFoundError:
        raise GitError("--base needs git, which is not installed (not found on PATH)") from None
    assert process.stdin is not None and process.stdout is not None
    feeder = threading.Thread(target=_feed, args=(process.stdin, (oid for oid, _ in wanted)), daemon=True)
    feeder.start()
    try:
        for _, path in wanted:  # in the order the object ids were sent
            header = process.stdout.readline().split()
            if len(header) != 3 or header[1] != b"blob":
                raise GitError(f"--base: the git object of {path} at {revision!r} is missing "
                               "(a shallow or partial clone: fetch the revision with its files)")
            data = _read_exactly(process.stdout, int(header[2]))
            process.stdout.read(1)  # the newline after each object
            _write(os.path.join(target, *path.split("/")), data)
    finally:
        process.stdout.close()
        process.kill()
        process.wait()
        feeder.join(timeout=5)


def _feed(stdin: IO[bytes], oids: Iterable[str]) -> None:
    try:
        for oid in oids:
            stdin.write(oid.encode("ascii") + b"\n")
        stdin.close()
    except (BrokenPipeError, ValueError, OSError):  # the reader stopped early (an error it reports)
        pass


def _read_exactly(stream: IO[bytes], size: int) -> bytes:
    chunks, left = [], size
    while left > 0:
        chunk = stream.read(left)
        if not chunk:
            raise GitError("--base: git cat-file stopped early")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _write(path: str, data: bytes) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)


def overlay_configuration(root: str, top: str) -> int:
    """Copy the working tree's configuration files (``.iamlint.toml``, ``iamlint.toml``,
    ``pyproject.toml``) into the export, in every folder it has and their parents, so the
    revision is judged by today's settings; returns how many were copied."""
    copied = 0
    for folder, dirs, _ in os.walk(root):
        dirs[:] = [d for d in dirs if d != ".git"]
        relative = os.path.relpath(folder, root)
        source_folder = top if relative == "." else os.path.join(top, relative)
        for name in CONFIG_NAMES:
            source = os.path.join(source_folder, name)
            if os.path.isfile(source) and not os.path.islink(source):
                shutil.copyfile(source, os.path.join(folder, name))
                copied += 1
    return copied
