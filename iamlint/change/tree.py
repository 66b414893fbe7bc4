"""Work in a git revision's tree as if it were the working tree.

:func:`revision_tree` exports REV (:mod:`iamlint.change.git`) into a private temporary
folder, puts the working tree's configuration files in it, enters the folder matching
the working directory and hands over the paths given on the command line as they are
there: relative paths stay as written (so display paths, globs and fingerprints mean the
same in both trees), absolute ones are moved into the export, and a file of a folder
format (a Terraform module, given on its own by pre-commit) becomes its folder -- REV is
always judged as whole units. Paths REV does not have are left out.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from dataclasses import dataclass
from typing import Iterator

from iamlint.change.git import Export, GitError, export, overlay_configuration, toplevel
from iamlint.formats.base import Shape
from iamlint.formats.registry import FormatRegistry, load_formats


@dataclass(frozen=True, slots=True)
class RevisionTree:
    """REV's tree in ``root``; ``top`` is the working tree's top level; ``paths`` the
    paths to check there (relative to the current directory, inside the export)."""

    revision: str
    root: str
    top: str
    paths: tuple[str, ...]
    exported: Export

    def home(self, path: str) -> str:
        """A path of the export as the same path of the working tree (relative paths,
        already the same, are kept)."""
        absolute = os.path.abspath(path)
        if os.path.isabs(path) and (absolute == self.root or absolute.startswith(self.root + os.sep)):
            return os.path.join(self.top, os.path.relpath(absolute, self.root))
        return path


@contextlib.contextmanager
def revision_tree(revision: str, paths: list[str], formats: FormatRegistry | None = None) -> Iterator[RevisionTree]:
    """Within the block, the current directory is REV's counterpart of the working
    directory (restored afterwards, the export removed)."""
    formats = formats if formats is not None else load_formats()
    cwd = os.getcwd()
    top = toplevel(cwd)
    with tempfile.TemporaryDirectory(prefix="iamlint-base-") as folder:
        root = os.path.join(os.path.realpath(folder), "tree")
        os.mkdir(root)
        exported = export(revision, root, top)
        overlay_configuration(root, top)
        here = os.path.join(root, os.path.relpath(os.path.realpath(cwd), top))
        targets = [_target(path, cwd, top, root) for path in paths]
        os.makedirs(here, exist_ok=True)
        os.chdir(here)
        try:
            moved = dict.fromkeys(_whole(path, formats) for path in targets)
            present = tuple(path for path in moved if os.path.exists(path))
            yield RevisionTree(revision, root, top, present, exported)
        finally:
            os.chdir(cwd)


def _target(path: str, cwd: str, top: str, root: str) -> str:
    absolute = os.path.realpath(os.path.join(cwd, path))
    inside = os.path.relpath(absolute, top)
    if inside == os.pardir or inside.startswith(os.pardir + os.sep):
        raise GitError(f"--base: {path} is outside the git working tree {top}")
    return path if not os.path.isabs(path) else os.path.join(root, inside)


def _whole(path: str, formats: FormatRegistry) -> str:
    """A file of a folder format (a Terraform module) -> its folder."""
    if os.path.isdir(path):
        return path
    found = formats.member(path)
    if found is not None and found.shape is Shape.DIRECTORY:
        return os.path.dirname(path) or "."
    return path
