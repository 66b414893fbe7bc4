"""Find the files to check and group them into units, by asking the input formats.

Directories are walked in sorted order, skipping .git, .terraform, node_modules and
hidden folders; in each folder every format, in registry order, claims files among the
names the formats before it did not take (:mod:`iamlint.formats`). A file given on its
own goes to the first format that claims it: a DIRECTORY format (Terraform) then loads
its whole folder (references across files must resolve) but reports only findings
located in the given files -- what a pre-commit hook passing file names needs.
Units come out folder units first, then file units, each sorted by root.

Paths are spelt once, here: normalised (``./a/main.tf`` and ``a/main.tf`` are the same
file, and every later message, module error and finding uses that one spelling).

Only regular files are handed to the formats. In a walked folder, a file a format would
claim by its name that is a FIFO, a socket or a device (also behind a symlink) is
skipped with a *note*, as is a symlink (file or folder) whose target lies outside the
folders being checked: it is not followed. A folder that cannot be listed is an input
error. Notes are not errors: they do not change the exit code (the CLI prints them on
standard error, the report keeps them in :attr:`iamlint.report.Report.notes`).
"""

from __future__ import annotations

import os

from iamlint.formats.base import Shape
from iamlint.formats.registry import FormatRegistry, load_formats
from iamlint.model.units import SourceError, Unit
from iamlint.sources import overlaid, special

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


class _Walk:
    """What a discovery meets besides units: the folders being checked (``roots``, real
    paths), notes and errors."""

    __slots__ = ("formats", "roots", "notes", "errors", "_noted")

    def __init__(self, paths: list[str], formats: FormatRegistry, notes: list[SourceError] | None,
                 errors: list[SourceError] | None) -> None:
        self.formats = formats
        # a folder given, or a file given and its folder (a file named is followed where it leads)
        self.roots = [os.path.realpath(p) for p in paths]
        self.roots += [os.path.realpath(os.path.dirname(p) or ".") for p in paths if not os.path.isdir(p)]
        self.notes = notes if notes is not None else []
        self.errors = errors if errors is not None else []
        self._noted: set[str] = set()

    def note(self, path: str, message: str) -> None:
        if path not in self._noted:
            self._noted.add(path)
            self.notes.append(SourceError(path, 0, message))

    def claimed(self, name: str) -> bool:
        """Whether a format would take a file of this name (worth a note when skipped)."""
        return any(fmt.member(name) for fmt in self.formats)

    def outside(self, path: str) -> bool:
        """Whether ``path`` (a symlink) leads outside every folder being checked."""
        target = os.path.realpath(path)
        return not any(_inside(target, root) for root in self.roots)

    def screen(self, path: str) -> bool:
        """Whether a file may be read: a regular file (a symlink to one inside the folders
        being checked); otherwise noted and skipped. Unsaved editor buffers always pass."""
        if overlaid(path):
            return True
        try:
            if os.path.islink(path) and self.outside(path):
                self.note(path, "not followed: a symlink to a path outside the folders being checked")
                return False
            kind = special(os.stat(path).st_mode)
        except OSError:
            return True  # missing or unreadable: its reader reports it, located
        if kind is not None:
            self.note(path, f"skipped: {kind}, not a regular file")
            return False
        return True


def discover(paths: list[str], formats: FormatRegistry | None = None, notes: list[SourceError] | None = None,
             errors: list[SourceError] | None = None) -> tuple[list[Unit], list[str]]:
    """Units to check, and the arguments that do not exist. ``notes`` and ``errors``
    (when given) receive the files skipped (special files, symlinks leading out) and the
    folders that cannot be listed."""
    formats = formats if formats is not None else load_formats()
    walk = _Walk(paths, formats, notes, errors)
    found = _Found()
    missing: list[str] = []
    for arg in paths:
        if os.path.isdir(arg):
            _walk(os.path.normpath(arg), walk, found)
        elif os.path.exists(arg):
            if not walk.screen(arg):
                continue
            unit = next((u for u in (fmt.claim_file(os.path.normpath(arg)) for fmt in formats) if u is not None), None)
            if unit is not None:
                unit.files = [pair for pair in unit.files if pair[0] == os.path.normpath(arg) or walk.screen(pair[0])]
                found.named(_normal(unit))
        else:
            missing.append(arg)
    return found.units(), missing


def _walk(top: str, walk: _Walk, found: _Found) -> None:
    """Folders top-down, in sorted order (as ``os.walk`` would, not following symlinked
    folders), each one's regular files offered to the formats."""
    stack = [top]
    while stack:
        folder = stack.pop()
        names, dirs = _listing(folder, walk)
        for fmt in walk.formats:
            claim = fmt.claim(folder, names)
            for unit in claim.units:
                found.walked(_normal(unit))
            if claim.taken:
                names = [name for name in names if name not in claim.taken]
            if claim.prune:
                dirs = []
        stack.extend(os.path.join(folder, name) for name in reversed(dirs))


def _listing(folder: str, walk: _Walk) -> tuple[list[str], list[str]]:
    """The sorted names of the regular files and of the folders to walk in ``folder``."""
    try:
        with os.scandir(folder) as listing:
            entries = sorted(listing, key=lambda entry: entry.name)
    except OSError as exc:
        walk.errors.append(SourceError(folder, 0, f"cannot read the folder: {exc.strerror or exc}"))
        return [], []
    names: list[str] = []
    dirs: list[str] = []
    for entry in entries:
        try:
            if entry.is_symlink():
                if walk.outside(entry.path):
                    if entry.is_dir() or walk.claimed(entry.name):
                        walk.note(entry.path, "not followed: a symlink to a path outside the folders being checked")
                    continue
                if entry.is_dir():
                    continue  # symlinked folders are not walked (a loop, or walked twice)
            if entry.is_dir(follow_symlinks=False):
                if entry.name not in SKIP_DIRS and not entry.name.startswith("."):
                    dirs.append(entry.name)
            elif entry.is_file():
                names.append(entry.name)
            elif walk.claimed(entry.name):
                kind = special(entry.stat().st_mode) or "not a regular file"
                walk.note(entry.path, f"skipped: {kind}, not a regular file")
        except OSError:
            continue  # vanished while listing
    return names, dirs


def _normal(unit: Unit) -> Unit:
    """The unit with its paths spelt once (``os.path.normpath``: no ``./``, no ``a//b``)."""
    unit.root = os.path.normpath(unit.root)
    unit.files = [(os.path.normpath(path), os.path.normpath(display)) for path, display in unit.files]
    if unit.only is not None:
        unit.only = {os.path.normpath(path) for path in unit.only}
    return unit


def _inside(path: str, root: str) -> bool:
    try:
        return os.path.commonpath([path, root]) == root
    except ValueError:  # another drive
        return False


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
