"""What every normaliser returns to the engine: a graph plus located input errors."""

from __future__ import annotations

from dataclasses import dataclass, field

from iamlint.model.graph import Graph


@dataclass(frozen=True, slots=True)
class SourceError:
    """Input that could not be read, decoded or parsed (or a rule that failed)."""

    path: str
    line: int
    message: str
    column: int = 1


@dataclass(slots=True)
class UnitResult:
    """One unit (a Terraform module directory, a template) turned into a graph.

    ``files`` lists the display paths of the files that belong to the unit.
    ``sources`` lists the filesystem paths of anything else the loader read (files of
    child modules, tfvars; a directory whose listing it used): the content-hash cache
    (:mod:`iamlint.cache`) re-checks them, besides the unit's own files."""

    graph: Graph
    files: list[str] = field(default_factory=list)
    errors: list[SourceError] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
