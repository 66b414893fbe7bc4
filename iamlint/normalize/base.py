"""What every normaliser returns to the engine: a graph plus located input errors.

The records live in :mod:`iamlint.model` (every layer uses them); this module re-exports
them for the normalisers that import them from here."""

from __future__ import annotations

from iamlint.model.units import SourceError, UnitResult

__all__ = ["SourceError", "UnitResult"]
