"""Which HCL parser route reads .tf files: ``IAMLINT_HCL_PARSER=treesitter|lark``.

``treesitter`` is :mod:`iamlint.parsers.terraform.treesitter` (tree-sitter-hcl, a
compiled parser); ``lark`` is :mod:`iamlint.parsers.terraform.hcl` (python-hcl2's
grammar). Both give the same syntax trees and spans and raise the same
``HclSyntaxError``. Where the tree-sitter wheels cannot be imported (a platform without
them), ``treesitter`` falls back to ``lark``. Unset, the variable means :data:`DEFAULT`.
"""

from __future__ import annotations

import os
from types import ModuleType

ENV = "IAMLINT_HCL_PARSER"
ROUTES = ("treesitter", "lark")
DEFAULT = "lark"  # the route used when IAMLINT_HCL_PARSER is unset (flip to "treesitter")


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
