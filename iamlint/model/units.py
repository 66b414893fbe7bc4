"""Units: the files that are evaluated together (a Terraform module directory, a
template), and what loading one gives back (a graph, located errors, source facts)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from iamlint.model.errors import SourceError
from iamlint.model.facts import SourceFacts
from iamlint.model.graph import Graph

if TYPE_CHECKING:  # the protocol lives in a higher layer; units only carry the object
    from iamlint.formats.base import Format


@dataclass(slots=True)
class Unit:
    """Files that are evaluated together. ``files`` are (filesystem path, display path);
    ``only`` restricts reported findings to these display paths (None: report all).
    ``kind`` says what the unit is (``terraform``, ``plan``, ``cloudformation``);
    ``format`` is the input format that found it and loads it (:mod:`iamlint.formats`;
    a stateless object, so units travel to worker processes with it).

    Not frozen: discovery completes a unit as it walks (a directory given after one of
    its files widens ``only``)."""

    kind: str
    root: str
    files: list[tuple[str, str]] = field(default_factory=list)
    only: set[str] | None = None
    format: Format | None = None


@dataclass(slots=True)
class UnitResult:
    """One unit turned into a graph.

    ``files`` lists the display paths of the files that belong to the unit.
    ``sources`` lists the filesystem paths of anything else the loader read (files of
    child modules, tfvars; a directory whose listing it used): the content-hash cache
    (:mod:`iamlint.cache`) re-checks them, besides the unit's own files. ``facts`` holds
    the :class:`~iamlint.model.facts.SourceFacts` of the files that have any (comments,
    construct ranges, declared suppressions), by display path."""

    graph: Graph
    files: list[str] = field(default_factory=list)
    errors: list[SourceError] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    facts: dict[str, SourceFacts] = field(default_factory=dict)
