"""Terraform HCL modules: the ``.tf`` and ``.tf.json`` files of one folder form one unit
(a root module; the modules it calls are loaded with it). A ``.tfvars`` /
``.tfvars.json`` file named on its own brings its folder's module."""

from __future__ import annotations

import os
from typing import Any, Mapping

from iamlint.formats.base import HCL, JSON, DirectoryFormat, Syntax
from iamlint.model.units import Unit, UnitResult
from iamlint.sources import read_source

_HCL_SUFFIXES = (".tf", ".tfvars", ".hcl", ".tofu")


class TerraformFormat(DirectoryFormat):
    __slots__ = ()
    name = "terraform"
    kind = "terraform"
    description = "Terraform HCL module (.tf and .tf.json files of one folder)"

    def unit_file(self, name: str) -> bool:
        return name.endswith(".tf") or name.endswith(".tf.json")

    def member(self, name: str) -> bool:
        return self.unit_file(name) or name.endswith(".tfvars") or name.endswith(".tfvars.json")

    def syntax(self, path: str) -> Syntax | None:
        extension = os.path.splitext(path)[1].lower()
        if extension in _HCL_SUFFIXES:
            return HCL
        lower = path.lower()
        return JSON if lower.endswith((".tf.json", ".tfvars.json")) else None

    def environment(self) -> Mapping[str, str]:
        return terraform_environment()

    def load(self, unit: Unit, options: Any) -> UnitResult | None:
        # start-up: the evaluator and the HCL parser are imported only when a module is loaded
        from iamlint.normalize.terraform import load_module

        # the facts of the .tf files come from their parse; the rest (.tfvars) are scanned
        return self.facts(load_module(unit.root, unit.files, options), _text)

    def warm_up(self) -> None:
        # before forking workers, or before a language server's first file (not at start-up)
        import iamlint.normalize.terraform.root  # noqa: F401  (the evaluator: the package itself is light)
        from iamlint.parsers.terraform.choice import warm_up

        warm_up()


def terraform_environment() -> dict[str, str]:
    """The environment Terraform evaluation reads: TF_VAR_* and TF_WORKSPACE."""
    return {k: v for k, v in os.environ.items() if k.startswith("TF_VAR_") or k == "TF_WORKSPACE"}


def _text(path: str) -> str | None:
    return read_source(path)[0]


FORMAT = TerraformFormat()
