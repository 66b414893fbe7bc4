"""The registry of input formats: built-ins and third-party formats alike come from the
``iamlint.formats`` entry-point group (one line each)::

    [project.entry-points."iamlint.formats"]
    terraform = "iamlint.formats.terraform:FORMAT"

or are added with :meth:`FormatRegistry.register` by a program embedding iamlint.
Formats execute code, so they come only from installed distributions (or the program
itself), never from the repository being scanned. A format that fails to load or
validate becomes one error entry naming it; the others still work.
"""

from __future__ import annotations

import os
import re
from typing import Iterable, Iterator, Sequence

from iamlint import entrypoints
from iamlint.formats.base import Format, Shape, Syntax
from iamlint.model.units import SourceFacts
from iamlint.sources import read_source

_NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")


class FormatError(ValueError):
    """A format that cannot be registered (invalid, duplicate, impossible order)."""


class FormatRegistry:
    """Formats in the order they are consulted: registration order, except that a
    format is placed before those its ``before`` names."""

    def __init__(self, formats: Iterable[Format] = ()) -> None:
        self._added: list[Format] = []
        self._ordered: tuple[Format, ...] = ()
        self.errors: list[str] = []
        for fmt in formats:
            self.register(fmt)

    def register(self, fmt: Format) -> None:
        """Add ``fmt``; raises :class:`FormatError` when it is not a valid format or
        its name is taken."""
        problem = validate(fmt)
        if problem is None and any(other.name == fmt.name for other in self._added):
            problem = f"duplicate format name {fmt.name!r}"
        if problem is not None:
            raise FormatError(problem)
        self._ordered = _order([*self._added, fmt])
        self._added.append(fmt)

    @property
    def formats(self) -> tuple[Format, ...]:
        return self._ordered

    def __iter__(self) -> Iterator[Format]:
        return iter(self._ordered)

    def __len__(self) -> int:
        return len(self._ordered)

    def get(self, name: str) -> Format | None:
        return next((fmt for fmt in self._ordered if fmt.name == name), None)

    def of_kind(self, kind: str) -> Format | None:
        """The first format producing units of ``kind``."""
        return next((fmt for fmt in self._ordered if fmt.kind == kind), None)

    def member(self, path: str) -> Format | None:
        """The first format a file belongs to by its name (editors)."""
        name = os.path.basename(path)
        return next((fmt for fmt in self._ordered if fmt.member(name)), None)

    def syntax_for(self, path: str) -> Syntax | None:
        """The syntax of any file, by its name: the first format that knows it."""
        for fmt in self._ordered:
            syntax = fmt.syntax(path)
            if syntax is not None:
                return syntax
        return None

    def _for_messages(self) -> list[Format]:
        """Folder formats first; within a shape, reversed: a format consulted before
        another refines it (OpenTofu refines Terraform), so the one it refines comes first."""
        backwards = list(reversed(self._ordered))
        return [f for f in backwards if f.shape is Shape.DIRECTORY] + [f for f in backwards if f.shape is not Shape.DIRECTORY]

    def families(self) -> str:
        """The families of input read, for messages: "Terraform, OpenTofu or CloudFormation"
        (each format's ``label``, in registry order; formats without one are left out)."""
        labels = list(dict.fromkeys(label for fmt in self._for_messages() if (label := getattr(fmt, "label", "") or "")))
        if not labels:
            return "supported"
        return labels[0] if len(labels) == 1 else f"{', '.join(labels[:-1])} or {labels[-1]}"

    def supported(self) -> str:
        """The file names read, for messages: "*.tf, *.tf.json, ..." (each format's
        ``patterns``; then the descriptions of formats without any)."""
        found: list[str] = []
        for fmt in self._for_messages():
            found.extend(getattr(fmt, "patterns", ()) or ())
        # formats known by their content only (no file name patterns): their descriptions, last
        found += [fmt.description or fmt.name for fmt in self._for_messages() if not getattr(fmt, "patterns", ())]
        return ", ".join(dict.fromkeys(found))

    def not_of(self, name: str) -> str:
        """Why a file this registry recognises by its name gave no unit: "not a Terraform
        plan or a CloudFormation template (by its content)"."""
        what = [fmt.description or fmt.name for fmt in self._ordered if fmt.member(name)]
        return f"its content is not a {' or a '.join(dict.fromkeys(what))}" if what else "not an input iamlint reads"

    def read_facts(self, path: str) -> SourceFacts | None:
        """The facts of a file outside every loaded unit (a YAML file read by
        ``yamldecode``): read through the editor overlay and scanned by the parser
        layer. None when its syntax records nothing or it cannot be read."""
        syntax = self.syntax_for(path)
        if syntax is None or syntax.scan is None:
            return None
        text, _ = read_source(path)
        return None if text is None else syntax.facts(text, path)


def validate(fmt: object) -> str | None:
    """What is wrong with an object offered as a format (None: nothing)."""
    if not isinstance(fmt, Format):
        return "is not an input format (see iamlint.formats.Format)"
    if not isinstance(fmt.name, str) or not _NAME.match(fmt.name):
        return f"invalid name {fmt.name!r} (expected kebab-case)"
    if not isinstance(fmt.kind, str) or not _NAME.match(fmt.kind):
        return f"invalid kind {fmt.kind!r} (expected kebab-case)"
    if not isinstance(fmt.shape, Shape):
        return f"invalid shape {fmt.shape!r} (expected iamlint.formats.Shape)"
    if not isinstance(fmt.before, tuple) or not all(isinstance(name, str) for name in fmt.before):
        return "before must be a tuple of format names"
    return None


def _order(formats: Sequence[Format]) -> tuple[Format, ...]:
    """Registration order, except that each format precedes the formats its ``before``
    names (a stable topological sort); raises :class:`FormatError` on a cycle."""
    names = {fmt.name for fmt in formats}
    waiting = {fmt.name: {other.name for other in formats if fmt.name in other.before} for fmt in formats}
    ordered: list[Format] = []
    pending = list(formats)
    while pending:
        ready = next((fmt for fmt in pending if not (waiting[fmt.name] & names)), None)
        if ready is None:
            raise FormatError("the formats' 'before' constraints form a cycle: " + ", ".join(f.name for f in pending))
        ordered.append(ready)
        pending.remove(ready)
        names.discard(ready.name)
    return tuple(ordered)


def formats_from_entries(entries: Sequence[object], strict: bool) -> FormatRegistry | None:
    """A registry from entry points: ``(name, value)`` pairs of the index or
    ``EntryPoint`` objects of a scan. ``strict`` (the index): None as soon as anything
    is not as a scan would accept it without a message (then the scan runs); otherwise
    each problem becomes an error entry naming the plugin."""
    registry = FormatRegistry()
    for entry in entries:
        name, value = (entry if isinstance(entry, tuple) else (entry.name, entry.value))  # type: ignore[attr-defined]
        problem = _add(registry, name, value)
        if problem is not None:
            if strict:
                return None
            registry.errors.append(f"format plugin {name} ({entrypoints.origin(entry)}): {problem}")
    return registry


def _add(registry: FormatRegistry, name: str, value: str) -> str | None:
    try:
        fmt = entrypoints.resolve(value)
    except Exception as exc:  # a broken plugin must not stop the others
        return f"failed to load: {exc!r}"
    problem = validate(fmt)
    if problem is None and fmt.name != name:
        problem = f"entry point name {name!r} differs from the format name {fmt.name!r}"
    if problem is not None:
        return problem
    try:
        registry.register(fmt)
    except FormatError as exc:
        return str(exc)
    return None


def load_formats() -> FormatRegistry:
    """The formats of the installed distributions (the entry-point index first).
    (The engine takes them from :func:`iamlint.registry.load_plugins`, which reads the
    index once for rules and formats; this is for callers that need formats only.)"""
    key = entrypoints.installation_key()
    if key is not None:
        indexed = entrypoints.read_index(key)
        if indexed is not None:
            registry = formats_from_entries(indexed[entrypoints.FORMATS], strict=True)
            if registry is not None:
                return registry
    registry = formats_from_entries(entrypoints.scan_and_index(key)[entrypoints.FORMATS], strict=False)
    assert registry is not None  # not strict: problems become errors
    return registry
