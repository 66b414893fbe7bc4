"""Find the files to check and group them into units, by asking the input formats.

Directories are walked in sorted order, skipping .git, .terraform, node_modules and
hidden folders; in each folder every format, in registry order, claims files among the
names the formats before it did not take (:mod:`iamlint.formats`). A file given on its
own goes to the first format that claims it: a DIRECTORY format (Terraform) then loads
its whole folder (references across files must resolve) but reports only findings
located in the given files -- what a pre-commit hook passing file names needs.
Units come out folder units first, then file units, each sorted by root.
"""

from __future__ import annotations

import os

from iamlint.formats.base import Shape
from iamlint.formats.registry import FormatRegistry, load_formats
from iamlint.model.units import Unit
from iamlint.sources import overlaid

SKIP_DIRS = {".git", ".terraform", "node_modules", "__pycache__"}


class _Found:
    """Units by shape and real path of the root."""

    __slots__ = ("folders", "files")

    def __init__(self) -> None:
        self.folders: dict[str, Unit] = {}
        self.files: dict[str, Unit] = {}

    def walked(self, unit: Unit) -> None:
        """A unit formed by walking a folder: a folder unit reports all its files."""
        if unit.format is not None and unit.format.shape is Shape.DIRECTORY:
            found = self.folders.setdefault(_key(unit.root), unit)
            found.files, found.only = unit.files, None
        else:
            self.files.setdefault(_key(unit.root), unit)

    def named(self, unit: Unit) -> None:
        """A unit of a file named on its own: a folder unit reports that file too."""
        if unit.format is not None and unit.format.shape is Shape.DIRECTORY:
            found = self.folders.setdefault(_key(unit.root), unit)
            if found is not unit and found.only is not None:
                found.only |= unit.only or set()
        else:
            self.files.setdefault(_key(unit.root), unit)

    def units(self) -> list[Unit]:
        return sorted(self.folders.values(), key=lambda u: u.root) + sorted(self.files.values(), key=lambda u: u.root)


def discover(paths: list[str], formats: FormatRegistry | None = None) -> tuple[list[Unit], list[str]]:
    """Units to check, and the arguments that do not exist."""
    formats = formats if formats is not None else load_formats()
    found = _Found()
    missing: list[str] = []
    for arg in paths:
        if os.path.isdir(arg):
            _walk(arg, formats, found)
        elif os.path.isfile(arg):
            unit = next((u for u in (fmt.claim_file(arg) for fmt in formats) if u is not None), None)
            if unit is not None:
                found.named(unit)
        else:
            missing.append(arg)
    return found.units(), missing


def _walk(top: str, formats: FormatRegistry, found: _Found) -> None:
    for folder, dirs, names in os.walk(top):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
        left = sorted(names)
        for fmt in formats:
            claim = fmt.claim(folder, left)
            for unit in claim.units:
                found.walked(unit)
            if claim.taken:
                left = [name for name in left if name not in claim.taken]
            if claim.prune:
                dirs[:] = []


def unsaved_units(missing: list[str], formats: FormatRegistry | None = None) -> tuple[list[Unit], list[str]]:
    """Units for arguments that exist only as overlay buffers (an editor's new, unsaved
    file given with --stdin-filename): the buffer plus its siblings on disk. Returns
    (units, arguments that are still missing)."""
    formats = formats if formats is not None else load_formats()
    units, still = [], []
    for arg in missing:
        unit = None
        if overlaid(arg) and os.path.isdir(os.path.dirname(arg) or "."):
            unit = next((u for u in (fmt.claim_buffer(arg) for fmt in formats) if u is not None), None)
        if unit is None:
            still.append(arg)
        else:
            units.append(unit)
    return units, still


def _key(path: str) -> str:
    return os.path.realpath(path)
