"""Input formats: the one door through which files become units and graphs.

The public API for format authors (built-in and third-party formats use the same
door): a format is an object satisfying :class:`Format` -- usually a subclass of
:class:`FileFormat` (one unit per file) or :class:`DirectoryFormat` (one unit per folder)
-- registered in the ``iamlint.formats`` entry-point group::

    [project.entry-points."iamlint.formats"]
    ec2list = "my_package.ec2list:FORMAT"

Its :meth:`~Format.load` returns a :class:`UnitResult`: a graph of the node types of
:mod:`iamlint.plugin` (``Compute``, ``Role``... with :class:`~iamlint.plugin.Known` values
and spans), located :class:`SourceError` records, and the :class:`SourceFacts` of its
files (comments and construct ranges, for inline suppressions; a :class:`Syntax` with a
scan provides them, see :meth:`BaseFormat.facts`). See docs/architecture.md, "Input
formats" and "Where to add...".
"""

from iamlint.formats.base import (
    HCL,
    JSON,
    YAML,
    BaseFormat,
    DirectoryFormat,
    EditStyle,
    FileFormat,
    FolderClaim,
    Format,
    Shape,
    Syntax,
    line_syntax,
)
from iamlint.formats.registry import FormatError, FormatRegistry, load_formats
from iamlint.model.units import Comment, DeclaredSuppression, SourceError, SourceFacts, Unit, UnitResult

__all__ = [
    "HCL",
    "JSON",
    "YAML",
    "BaseFormat",
    "Comment",
    "DeclaredSuppression",
    "DirectoryFormat",
    "EditStyle",
    "FileFormat",
    "FolderClaim",
    "Format",
    "FormatError",
    "FormatRegistry",
    "Shape",
    "SourceError",
    "SourceFacts",
    "Syntax",
    "Unit",
    "UnitResult",
    "line_syntax",
    "load_formats",
]
