"""The input-format protocol, and base classes for the two shapes of unit.

A format is one object (one module, one registration line in the ``iamlint.formats``
entry-point group) that knows, for one kind of input:

* which files it claims, by name and, when names are not enough, by content
  (:meth:`Format.claim` for a folder being walked, :meth:`Format.claim_file` for a file
  named on the command line, :meth:`Format.claim_buffer` for an unsaved editor buffer);
* how they group into units (:attr:`Format.shape`: one unit per folder, or per file)
  and how a unit is loaded into a graph (:meth:`Format.load`);
* the :class:`Syntax` of each of its files: comments for inline suppressions, the
  parser-layer scan of its facts, editing conventions (a syntax is per file, a format per
  unit: a Terraform module holds HCL files, ``.tf``, and JSON ones, ``.tf.json``);
* what else loading depends on (:meth:`Format.environment`, part of the cache key) and
  what to import before worker processes fork (:meth:`Format.warm_up`).

Formats are consulted in registry order (``before`` puts a format ahead of others); in
a walked folder each sees only the file names the formats before it did not take, so a
format can shadow another's files (OpenTofu's ``x.tofu`` over ``x.tf``) or take a whole
tree (a CDK cloud assembly, ``prune``). Formats execute code, so they come only from
installed distributions, never from the scanned repository. Loading must never raise
for bad input: return a result with located :class:`~iamlint.model.errors.SourceError`.
"""

from __future__ import annotations

import enum
import functools
import os
import re
from typing import Any, Callable, Mapping, NamedTuple, Protocol, Sequence, runtime_checkable

from iamlint.model.units import SourceFacts, Unit, UnitResult


Scan = Callable[[str, str], SourceFacts]
"""(text, display path) -> the facts of one file."""

_INDENT = re.compile(r"[ \t]*")


class EditStyle(NamedTuple):
    """How text of a syntax is edited (the conventions a fix must follow).

    ``comment`` is the marker a new full-line comment is written with (None: the syntax
    has no comments; a fix must use another channel, such as CloudFormation Metadata).
    The newline and indentation are those of the text being edited."""

    comment: str | None

    @staticmethod
    def newline(text: str) -> str:
        """The line ending the text uses (its first one; ``\\n`` for a one-line text)."""
        end = text.find("\n")
        return "\r\n" if end > 0 and text[end - 1] == "\r" else "\n"

    @staticmethod
    def indentation(line: str) -> str:
        match = _INDENT.match(line)
        return match.group() if match else ""

    def comment_above(self, line: str, comment: str, newline: str = "\n") -> str | None:
        """The full line (ending with ``newline``) that puts ``comment`` above ``line``,
        in its indentation; None when the syntax has no comments."""
        if self.comment is None:
            return None
        return f"{self.indentation(line)}{self.comment} {comment}{newline}"


class Syntax(NamedTuple):
    """``name`` (``hcl``, ``yaml``, ``json``...), the line-comment ``markers`` (empty:
    no comments), the ``scan`` that records a file's facts (None: nothing to record)
    and its :class:`EditStyle`."""

    name: str
    markers: tuple[str, ...]
    scan: Scan | None
    edits: EditStyle

    @property
    def has_comments(self) -> bool:
        return bool(self.markers)

    def facts(self, text: str, path: str) -> SourceFacts | None:
        """The facts of a file of this syntax (memoised by text: a child module read by
        many roots is scanned once per run)."""
        return None if self.scan is None else _memo(self.scan, text, path)


@functools.lru_cache(maxsize=128)
def _memo(scan: Scan, text: str, path: str) -> SourceFacts:
    return scan(text, path)


def line_syntax(name: str, markers: tuple[str, ...] = ("#",)) -> Syntax:
    """A syntax for a simple line format (a plugin's): comments start with one of
    ``markers`` at the start of a line or after a blank; constructs follow indentation."""
    return Syntax(name, markers, functools.partial(_scan_lines, markers=markers), EditStyle(markers[0] if markers else None))


def _scan_hcl(text: str, path: str) -> SourceFacts:
    # start-up: the HCL scanner module only when a file of that syntax is scanned
    from iamlint.parsers.terraform.facts import scan_hcl

    return scan_hcl(text, path)


def _scan_yaml(text: str, path: str) -> SourceFacts:
    # start-up: the YAML scanner module only when a file of that syntax is scanned
    from iamlint.parsers.indented import scan_yaml

    return scan_yaml(text, path)


def _scan_lines(text: str, path: str, markers: tuple[str, ...]) -> SourceFacts:
    # start-up: the scanner module only when a file of that syntax is scanned
    from iamlint.parsers.indented import scan_lines

    return scan_lines(text, path, markers)


HCL = Syntax("hcl", ("#", "//"), _scan_hcl, EditStyle("#"))
YAML = Syntax("yaml", ("#",), _scan_yaml, EditStyle("#"))
JSON = Syntax("json", (), None, EditStyle(None))


class Shape(enum.Enum):
    DIRECTORY = "directory"  # one unit per folder: its files of the format (a Terraform module)
    FILE = "file"  # one unit per file (a template, a plan)


class FolderClaim(NamedTuple):
    """What a format takes in one walked folder: the ``units`` it forms there, the file
    names no later format may claim (``taken``), whether the walk must not descend
    below the folder (``prune``: the format owns the whole tree), and the names it
    recognises but does not use, each with why (``skipped``: OpenTofu's ``x.tf`` beside
    ``x.tofu``), which the run counts and lists instead of dropping them silently."""

    units: tuple[Unit, ...] = ()
    taken: frozenset[str] = frozenset()
    prune: bool = False
    skipped: tuple[tuple[str, str], ...] = ()


@runtime_checkable
class Format(Protocol):
    """One input format. ``name`` is unique (and its entry point's name), ``kind`` the
    kind of unit it produces (several formats may share one: CloudFormation YAML and
    JSON both give ``cloudformation`` units)."""

    name: str
    kind: str
    shape: Shape
    description: str
    before: tuple[str, ...]

    def member(self, name: str) -> bool:
        """Whether a file of this name belongs to this format, by its name alone (an
        editor asks which unit an open file belongs to)."""
        ...

    def claim(self, folder: str, names: Sequence[str]) -> FolderClaim:
        """The units this format forms in ``folder`` from ``names`` (sorted file names
        that formats before it did not take)."""
        ...

    def claim_file(self, path: str) -> Unit | None:
        """The unit of a file named on its own (None: not this format's). A DIRECTORY
        format returns the unit of the file's folder with ``only`` = {the file}."""
        ...

    def claim_buffer(self, path: str) -> Unit | None:
        """The unit of an editor buffer whose file is not on disk yet (its siblings on
        disk join it), or None."""
        ...

    def load(self, unit: Unit, options: Any) -> UnitResult | None:
        """Read, parse and normalise ``unit`` (None: it is not of this format after all,
        silently). ``options`` has ``partition``, ``variables``, ``var_files``...
        (:class:`iamlint.options.Options`, already resolved for the unit)."""
        ...

    def syntax(self, path: str) -> Syntax | None:
        """The syntax of a file of this format, by its name (None: not one of its
        files). Asked for any file a finding points to (a YAML file read by Terraform's
        ``yamldecode`` gets YAML comments), so it must not read the file."""
        ...

    def environment(self) -> Mapping[str, str]:
        """The environment variables loading reads (part of the unit cache key)."""
        ...

    def warm_up(self) -> None:
        """Import and build what loading needs, once, before worker processes fork."""
        ...


class BaseFormat:
    """Defaults shared by the two shapes. Subclasses set the class attributes and
    implement :meth:`load` and :meth:`syntax`; instances hold no state."""

    __slots__ = ()
    name: str = ""
    kind: str = ""
    shape: Shape = Shape.FILE
    description: str = ""
    before: tuple[str, ...] = ()
    # optional for formats written without these base classes (read with getattr):
    label: str = ""  # the family messages name ("Terraform", "OpenTofu", "CloudFormation")
    patterns: tuple[str, ...] = ()  # the file names it reads, for messages ("*.tf", "cdk.out/manifest.json")

    def load(self, unit: Unit, options: Any) -> UnitResult | None:
        raise NotImplementedError

    def syntax(self, path: str) -> Syntax | None:
        return None

    def environment(self) -> Mapping[str, str]:
        return {}

    def warm_up(self) -> None:
        return None

    def facts(self, result: UnitResult, read: Any) -> UnitResult:
        """Add the facts of the result's files that have a syntax with a scan, reading
        each with ``read(path) -> text | None`` (files already holding facts are kept)."""
        for display in result.files:
            syntax = self.syntax(display)
            if syntax is None or syntax.scan is None or display in result.facts:
                continue
            text = read(display)
            facts = syntax.facts(text, display) if text is not None else None
            if facts is not None:
                result.facts[display] = facts
        return result

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"

    def __reduce__(self) -> tuple[type[BaseFormat], tuple[()]]:
        return (type(self), ())  # stateless: units carry their format to worker processes


class FileFormat(BaseFormat):
    """A format whose units are single files. Implement :meth:`claims` (by name) and,
    when names are not enough, :meth:`detect` (by content)."""

    __slots__ = ()
    shape = Shape.FILE

    def claims(self, name: str) -> bool:
        raise NotImplementedError

    def detect(self, path: str) -> bool:
        """Whether the file at ``path`` is of this format, by content (default: yes)."""
        return True

    def member(self, name: str) -> bool:
        return self.claims(name)

    def unit(self, path: str) -> Unit:
        return Unit(self.kind, path, [(path, path)], format=self)

    def claim(self, folder: str, names: Sequence[str]) -> FolderClaim:
        units, taken = [], []
        for name in names:
            if not self.claims(name):
                continue
            path = os.path.join(folder, name)
            if self.detect(path):
                units.append(self.unit(path))
                taken.append(name)
        return FolderClaim(tuple(units), frozenset(taken))

    def claim_file(self, path: str) -> Unit | None:
        return self.unit(path) if self.claims(os.path.basename(path)) and self.detect(path) else None

    def claim_buffer(self, path: str) -> Unit | None:
        return self.claim_file(path)


class DirectoryFormat(BaseFormat):
    """A format whose unit is a folder's files of the format (a Terraform module).
    Implement :meth:`unit_file` (the files that form the unit); :meth:`member` may add
    companions that bring their folder's unit when named alone (``.tfvars``)."""

    __slots__ = ()
    shape = Shape.DIRECTORY

    def unit_file(self, name: str) -> bool:
        raise NotImplementedError

    def member(self, name: str) -> bool:
        return self.unit_file(name)

    def claim(self, folder: str, names: Sequence[str]) -> FolderClaim:
        files = [name for name in names if self.unit_file(name)]
        if not files:
            return FolderClaim()
        paths = [os.path.join(folder, n) for n in files]
        unit = Unit(self.kind, folder, [(path, path) for path in paths], format=self)
        return FolderClaim((unit,), frozenset(files))

    def claim_file(self, path: str) -> Unit | None:
        if not self.member(os.path.basename(path)):
            return None
        folder = os.path.dirname(path)
        siblings = sorted(n for n in os.listdir(folder or ".") if self.unit_file(n))
        files = [(os.path.join(folder, n), os.path.join(folder, n)) for n in siblings]
        return Unit(self.kind, folder or ".", files, {os.path.normpath(path)}, format=self)

    def claim_buffer(self, path: str) -> Unit | None:
        name, folder = os.path.basename(path), os.path.dirname(path) or "."
        if not self.unit_file(name) or not os.path.isdir(folder):
            return None
        siblings = sorted(n for n in os.listdir(folder) if self.unit_file(n) and n != name)
        files = [(os.path.join(os.path.dirname(path), n),) * 2 for n in siblings] + [(path, path)]
        return Unit(self.kind, folder, files, {os.path.normpath(path)}, format=self)
