"""Located input errors: what could not be read, decoded or parsed (or a rule that failed)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SourceError:
    """Input that could not be read, decoded or parsed (or a rule that failed)."""

    path: str
    line: int
    message: str
    column: int = 1
