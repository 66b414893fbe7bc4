"""Terragrunt units: a folder holding ``terragrunt.hcl`` is one unit. Its configuration
(and the parent it includes) names the module (``terraform { source }``: a local path
or a copy already downloaded into ``.terragrunt-cache``; none: the folder's own
``.tf`` / ``.tofu`` files) and the module's variable values (``inputs``); the module is
evaluated by the Terraform normaliser, its findings located in the module's files and
named after the unit (``terragrunt[live/prod/app].aws_iam_role.this``). Consulted before
``opentofu`` and ``terraform``, which then never see the folder's module files. A
``terragrunt.hcl`` naming no module in a folder without one (a parent configuration
other units include) gives no unit: it is counted as skipped unless a checked unit
includes it. ``terragrunt.hcl`` named
alone (pre-commit) brings its whole unit: every finding of the unit follows from it."""

from __future__ import annotations

import os
import re
from typing import Any, Mapping, Sequence

from iamlint.formats.base import HCL, DirectoryFormat, FolderClaim, Syntax
from iamlint.formats.opentofu import FORMAT as OPENTOFU
from iamlint.formats.terraform import FORMAT as TERRAFORM
from iamlint.formats.terraform import terraform_environment
from iamlint.model.units import Unit, UnitResult
from iamlint.parsers.terraform.names import is_module_file, module_names
from iamlint.sources import read_source

CONFIG = "terragrunt.hcl"
_LOCAL_SOURCE = re.compile(r'source[ \t]*=[ \t]*"(\.\.?/[^"$]*)"')  # a literal local source (no interpolation)
_VARS = (".tfvars", ".tfvars.json")


class TerragruntFormat(DirectoryFormat):
    __slots__ = ()
    name = "terragrunt"
    kind = "terraform"  # a Terraform root module with its inputs: variables, plans beside it, caching
    description = "Terragrunt unit (a terragrunt.hcl naming a module)"
    label = "Terraform"  # Terragrunt drives Terraform / OpenTofu: messages name those
    patterns = (CONFIG,)
    before: tuple[str, ...] = ("opentofu", "terraform")

    def unit_file(self, name: str) -> bool:
        return name == CONFIG

    def member(self, name: str) -> bool:
        return name == CONFIG

    def claim(self, folder: str, names: Sequence[str]) -> FolderClaim:
        if CONFIG not in names:
            return FolderClaim()
        own = module_names(list(names))
        files = [CONFIG, *own]
        unit = Unit(self.kind, folder, [(os.path.join(folder, n),) * 2 for n in files], format=self)
        taken = frozenset([*files, *(n for n in names if is_module_file(n) or n.endswith(_VARS))])
        return FolderClaim((unit,), taken)

    def claim_file(self, path: str) -> Unit | None:
        """``terragrunt.hcl`` named alone: its unit, every finding reported; a module
        file beside it: the unit, reporting that file."""
        name, folder = os.path.basename(path), os.path.dirname(path)
        if name != CONFIG and not is_module_file(name) and not name.endswith(_VARS):
            return None
        if name != CONFIG and not os.path.isfile(os.path.join(folder or ".", CONFIG)):
            return None
        try:
            names = sorted(n for n in os.listdir(folder or ".") if os.path.isfile(os.path.join(folder or ".", n)))
        except OSError:
            return None
        files = [(os.path.join(folder, n),) * 2 for n in [CONFIG, *module_names(names)]]
        only = None if name == CONFIG else {os.path.normpath(path)}
        return Unit(self.kind, folder or ".", files, only, format=self)

    def claim_buffer(self, path: str) -> Unit | None:
        folder = os.path.dirname(path) or "."
        if not os.path.isdir(folder):
            return None
        return self.claim_file(path) if os.path.basename(path) == CONFIG or os.path.isfile(
            os.path.join(folder, CONFIG)) else None

    def shared_inputs(self, unit: Unit) -> set[str]:
        """The local module folder a unit's ``terraform { source = "../.." }`` names (and
        the folders that module calls), read without parsing: a hint for the process pool,
        which gives the units running one module to one worker (never a reason for a
        result to change)."""
        text, _ = read_source(os.path.join(unit.root, CONFIG))
        found = _LOCAL_SOURCE.search(text or "")
        if found is None:
            return set()
        folder = os.path.normpath(os.path.join(os.path.abspath(unit.root), found.group(1).replace("//", "/")))
        if not os.path.isdir(folder):
            return set()
        return {folder} | TERRAFORM.shared_inputs(Unit(self.kind, folder, [], format=TERRAFORM))

    def syntax(self, path: str) -> Syntax | None:
        if path.lower().endswith(".hcl"):
            return HCL
        return OPENTOFU.syntax(path)  # the module files it loads

    def environment(self) -> Mapping[str, str]:
        return terraform_environment()

    def load(self, unit: Unit, options: Any) -> UnitResult | None:
        # start-up: hcl2 and lark (~60 ms) are imported only when a unit is loaded
        from iamlint.normalize.terragrunt import load_unit

        result = load_unit(unit.root, options)
        return self.facts(result, _text) if result is not None else None

    def warm_up(self) -> None:
        OPENTOFU.warm_up()


def _text(path: str) -> str | None:
    return read_source(path)[0]


FORMAT = TerragruntFormat()
