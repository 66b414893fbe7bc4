"""The HCL parser route every caller goes through: ``IAMLINT_HCL_PARSER=treesitter|lark``.

``treesitter`` (the default) is :mod:`iamlint.parsers.terraform.treesitter`
(tree-sitter-hcl, a compiled parser; python-hcl2 gives the second opinion on text it
rejects); ``lark`` is :mod:`iamlint.parsers.terraform.hcl` (python-hcl2's grammar, the
oracle of tests/test_treesitter_equivalence.py). Both give the same syntax trees and
spans and raise the same :class:`~iamlint.parsers.terraform.errors.HclSyntaxError`.
Where the tree-sitter wheels cannot be imported (a platform without them),
``treesitter`` falls back to ``lark``. Unset, the variable means :data:`DEFAULT`.

The functions below are the parser API the normaliser and the language server call;
each route module is imported on first use (start-up: a template run imports neither).
"""

from __future__ import annotations

import os
from types import ModuleType
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from iamlint.model.span import Span
    from iamlint.model.units import SourceFacts
    from iamlint.parsers.terraform import syntax as s

ENV = "IAMLINT_HCL_PARSER"
ROUTES = ("treesitter", "lark")
DEFAULT = "treesitter"  # the route used when IAMLINT_HCL_PARSER is unset


def hcl_route() -> ModuleType:
    """The module whose ``parse_hcl`` / ``parse_expression`` / ``parse_template`` to use.
    Raises ValueError naming the variable when it holds something else."""
    wanted = os.environ.get(ENV, "").strip().lower() or DEFAULT
    if wanted not in ROUTES:
        raise ValueError(f"{ENV} must be one of {', '.join(ROUTES)}, not {wanted!r}")
    if wanted == "treesitter":
        from iamlint.parsers.terraform import treesitter

        if treesitter.available():
            return treesitter
    from iamlint.parsers.terraform import hcl

    return hcl


class Issue(NamedTuple):
    """A syntax error of a partially parsed file: message, 1-based line and column."""

    message: str
    line: int
    column: int


def parse_hcl(text: str, path: str) -> s.HclFile:
    """A whole .tf file. Raises ``HclSyntaxError`` with a line on bad input."""
    return hcl_route().parse_hcl(text, path)


def parse_hcl_with_facts(text: str, path: str) -> tuple[s.HclFile, SourceFacts]:
    """A whole .tf file and its :class:`SourceFacts` (what suppressions read), from one
    parse where the route can (tree-sitter), else from the text scanner."""
    route = hcl_route()
    with_facts = getattr(route, "parse_hcl_with_facts", None)
    if with_facts is not None:
        parsed, facts = with_facts(text, path)
        if facts is not None:
            return parsed, facts
    else:
        parsed = route.parse_hcl(text, path)
    from iamlint.parsers.terraform.facts import scan_hcl

    return parsed, scan_hcl(text, path)


def parse_hcl_partial(text: str, path: str) -> tuple[s.HclFile, list[Issue]]:
    """A file being edited: the top-level blocks and attributes that parse (all of them
    with the python-hcl2 route, which cannot recover: none when the file is broken) and
    every syntax error. Never raises ``HclSyntaxError``."""
    route = hcl_route()
    partial = getattr(route, "parse_hcl_partial", None)
    if partial is not None:
        parsed, issues = partial(text, path)
        return parsed, [Issue(i.message, i.line, i.column) for i in issues]
    from iamlint.parsers.terraform import syntax as s
    from iamlint.parsers.terraform.errors import HclSyntaxError

    try:
        return route.parse_hcl(text, path), []
    except HclSyntaxError as exc:
        return s.HclFile(path, s.Body()), [Issue(exc.message, exc.line, exc.column)]


def parse_expression(text: str, path: str, line: int, column: int) -> s.Expr:
    """One expression written at (line, column) of ``path``. Raises ``HclSyntaxError``."""
    return hcl_route().parse_expression(text, path, line, column)


def parse_template(content: str, path: str, line: int = 1, column: int = 1, indent: int = 0,
                   span: Span | None = None) -> s.Template:
    """Template text (a heredoc body, a ``templatefile`` file) found at (line, column) of
    ``path``. Raises ``HclSyntaxError`` with a line."""
    return hcl_route().parse_template(content, path, line, column, indent, span)


def warm_up() -> None:
    """Load the chosen route's parser (before worker processes fork, or before a language
    server's first file): tree-sitter's language, or python-hcl2's tables."""
    route = hcl_route()
    warm = getattr(route, "warm_up", None)
    if warm is not None:
        warm()
