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

Nothing is dropped silently. A file named on its own that no format reads is a *note*
("not read"); a file a format recognises by its name but does not use (a JSON file that
is neither a plan nor a template: counted by the engine when its format's ``load`` says
so; OpenTofu's ``x.tf`` beside ``x.tofu``: the format's ``FolderClaim.skipped``; a
``.tfvars`` file with no module beside it) is *skipped*, counted and listed in the report.
Hidden folders are not checked, but walked to count the files a folder format would read
by name (``.tf``, ``.tofu``, ``terragrunt.hcl``: ".infra/main.tf" is skipped, not
ignored); :data:`SKIP_DIRS` (tool caches and dependencies) are neither checked nor counted.

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
from iamlint.sources import overlaid, real_path, special

SKIP_DIRS = {".git", ".terraform", ".terragrunt-cache", "node_modules", "__pycache__",
             ".venv", ".tox", ".mypy_cache", ".pytest_cache", ".ruff_cache"}
"""Folders never walked: version control, tool caches whose copies the units that own
them read (``.terraform/modules`` through ``modules.json``, ``.terragrunt-cache`` through
its ``terragrunt.hcl``), dependencies and other tools' caches (hidden folders are walked
only to count what they hold; these are not worth a walk)."""


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

    __slots__ = ("formats", "roots", "notes", "errors", "skipped", "_noted")

    def __init__(self, paths: list[str], formats: FormatRegistry, notes: list[SourceError] | None,
                 errors: list[SourceError] | None, skipped: list[SourceError] | None = None) -> None:
        self.formats = formats
        # a folder given, or a file given and its folder (a file named is followed where it leads)
        self.roots = [os.path.realpath(p) for p in paths]
        self.roots += [os.path.realpath(os.path.dirname(p) or ".") for p in paths if not os.path.isdir(p)]
        self.notes = notes if notes is not None else []
        self.errors = errors if errors is not None else []
        self.skipped = skipped if skipped is not None else []
        self._noted: set[str] = set()

    def skip(self, path: str, reason: str) -> None:
        """A file recognised by its name but not used: counted and listed, not checked."""
        self.skipped.append(SourceError(os.path.normpath(path), 0, f"skipped: {reason}"))

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
             errors: list[SourceError] | None = None,
             skipped: list[SourceError] | None = None) -> tuple[list[Unit], list[str]]:
    """Units to check, and the arguments that do not exist. ``notes``, ``errors`` and
    ``skipped`` (when given) receive the files passed over (special files, symlinks
    leading out, files named that no format reads), the folders that cannot be listed,
    and the files recognised by name but not used."""
    formats = formats if formats is not None else load_formats()
    walk = _Walk(paths, formats, notes, errors, skipped)
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
            elif walk.claimed(os.path.basename(arg)):
                walk.skip(arg, formats.not_of(os.path.basename(arg)))
            else:
                walk.note(os.path.normpath(arg), f"not read: not a {formats.families()} file (iamlint reads "
                                                 f"{formats.supported()})")
        else:
            missing.append(arg)
    return found.units(), missing


def _walk(top: str, walk: _Walk, found: _Found) -> None:
    """Folders top-down, in sorted order (as ``os.walk`` would, not following symlinked
    folders), each one's regular files offered to the formats."""
    stack = [top]
    while stack:
        folder = stack.pop()
        names, dirs, hidden = _listing(folder, walk)
        formed: set[str] = set()  # formats that formed a unit here (their companions are theirs)
        for fmt in walk.formats:
            claim = fmt.claim(folder, names)
            for unit in claim.units:
                found.walked(_normal(unit))
                formed.add(fmt.name)
            for name, reason in claim.skipped:
                walk.skip(os.path.join(folder, name), reason)
            if claim.taken:
                names = [name for name in names if name not in claim.taken]
            if claim.prune:
                dirs, hidden = [], []
        for name in names:  # recognised by name, taken by no format (a .tfvars file with no module beside it)
            owners = [fmt for fmt in walk.formats if fmt.member(name)]
            if owners and not any(fmt.name in formed for fmt in owners):
                walk.skip(os.path.join(folder, name), f"no {owners[0].description or owners[0].name} in its folder uses it")
        stack.extend(os.path.join(folder, name) for name in reversed(dirs))
        for name in hidden:
            _count_hidden(os.path.join(folder, name), walk)


def _count_hidden(top: str, walk: _Walk) -> None:
    """Count, as skipped, the files under a hidden folder that a folder format would
    read by their names (``.tf``, ``.tofu``, ``terragrunt.hcl``...; templates and plans
    need their content read, so a YAML or JSON file there is not counted)."""
    folders = [fmt for fmt in walk.formats if fmt.shape is Shape.DIRECTORY]
    stack = [top]
    while stack:
        folder = stack.pop()
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda entry: entry.name)
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    if entry.name not in SKIP_DIRS:
                        stack.append(entry.path)
                elif entry.is_file(follow_symlinks=False) and any(fmt.member(entry.name) for fmt in folders):
                    walk.skip(entry.path, f"in a hidden folder ({os.path.basename(top)}), which iamlint does not check")
            except OSError:
                continue


def _listing(folder: str, walk: _Walk) -> tuple[list[str], list[str], list[str]]:
    """The sorted names of the regular files, of the folders to walk and of the hidden
    folders (only counted) in ``folder``."""
    try:
        with os.scandir(folder) as listing:
            entries = sorted(listing, key=lambda entry: entry.name)
    except OSError as exc:
        walk.errors.append(SourceError(folder, 0, f"cannot read the folder: {exc.strerror or exc}"))
        return [], [], []
    names: list[str] = []
    dirs: list[str] = []
    hidden: list[str] = []
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
                if entry.name in SKIP_DIRS:
                    continue
                (hidden if entry.name.startswith(".") else dirs).append(entry.name)
            elif entry.is_file():
                names.append(entry.name)
            elif walk.claimed(entry.name):
                kind = special(entry.stat().st_mode) or "not a regular file"
                walk.note(entry.path, f"skipped: {kind}, not a regular file")
        except OSError:
            continue  # vanished while listing
    return names, dirs, hidden


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
    return real_path(path)
