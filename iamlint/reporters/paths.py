"""Paths as CI systems want them: relative to the repository root, with forward slashes."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import quote


def source_root(start: str | None = None) -> str:
    """The repository root (the closest directory holding ``.git``) above ``start``
    (default: the working directory), else ``start`` itself."""
    first = current = os.path.realpath(start or os.getcwd())
    while True:
        if os.path.exists(os.path.join(current, ".git")):
            return current
        parent = os.path.dirname(current)
        if parent == current:
            return first
        current = parent


def relative(path: str, root: str) -> str | None:
    """``path`` relative to ``root`` (symlinks resolved, forward slashes), None when outside."""
    rel = os.path.relpath(os.path.realpath(path), os.path.realpath(root))
    if rel == os.pardir or rel.startswith(os.pardir + os.sep) or os.path.isabs(rel):
        return None
    return rel.replace(os.sep, "/")


def display(path: str, root: str) -> str:
    """The repository-relative path when there is one, else the path as given."""
    return relative(path, root) or path.replace(os.sep, "/")


def uri(path: str, root: str) -> tuple[str, bool]:
    """A URI reference for ``path``: (percent-encoded relative URI, True) inside ``root``,
    else (absolute file URI, False)."""
    rel = relative(path, root)
    if rel is not None:
        return quote(rel, safe="/"), True
    return Path(os.path.realpath(path)).as_uri(), False
