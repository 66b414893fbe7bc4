"""How one kind of file is written: its comment syntax, the parser-layer scan that
records its :class:`~iamlint.model.facts.SourceFacts`, and its editing conventions.

A :class:`Syntax` is per file, a format (:mod:`iamlint.formats.base`) per unit: a
Terraform module holds HCL files (``.tf``, ``.tfvars``) and JSON ones (``.tf.json``).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Callable

from iamlint.model.facts import SourceFacts
from iamlint.parsers.indented import scan_lines, scan_yaml
from iamlint.parsers.terraform.facts import scan_hcl

Scan = Callable[[str, str], SourceFacts]
"""(text, display path) -> the facts of one file."""

_INDENT = re.compile(r"[ \t]*")


@dataclass(frozen=True, slots=True)
class EditStyle:
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


@dataclass(frozen=True, slots=True)
class Syntax:
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
    return Syntax(name, markers, functools.partial(scan_lines, markers=markers), EditStyle(markers[0] if markers else None))


HCL = Syntax("hcl", ("#", "//"), scan_hcl, EditStyle("#"))
YAML = Syntax("yaml", ("#",), scan_yaml, EditStyle("#"))
JSON = Syntax("json", (), None, EditStyle(None))
