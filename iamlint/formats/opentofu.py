"""OpenTofu modules: a folder holding ``.tofu`` or ``.tofu.json`` files is an OpenTofu
module, one unit, read as OpenTofu does: its ``.tofu``, ``.tofu.json``, ``.tf`` and
``.tf.json`` files, except a ``.tf`` (``.tf.json``) file beside a ``.tofu``
(``.tofu.json``) file of the same name, which OpenTofu ignores (it is counted as
skipped, never silently dropped). Consulted before ``terraform``, which then never sees
the folder's files. The evaluator is Terraform's (OpenTofu's language is Terraform's,
plus a few constructs it evaluates the same way or reports as unknown); ``tofu show
-json`` plans are read by the plan format. Folders without OpenTofu files stay
Terraform's."""

from __future__ import annotations

import os
from typing import Any, Mapping, Sequence

from iamlint.formats.base import HCL, JSON, DirectoryFormat, FolderClaim, Syntax
from iamlint.formats.terraform import FORMAT as TERRAFORM, terraform_environment
from iamlint.model.units import Unit, UnitResult
from iamlint.parsers.terraform.names import OPENTOFU, has_tofu, is_json, is_module_file, module_names, shadowed_by
from iamlint.sources import read_source


class OpenTofuFormat(DirectoryFormat):
    __slots__ = ()
    name = "opentofu"
    kind = "terraform"  # the same unit as a Terraform module: variables, plans beside it, caching
    description = "OpenTofu module"
    label = "OpenTofu"
    patterns = ("*.tofu", "*.tofu.json")
    before: tuple[str, ...] = ("terraform",)

    def unit_file(self, name: str) -> bool:
        return is_module_file(name)

    def member(self, name: str) -> bool:
        return name.endswith(OPENTOFU)

    def claim(self, folder: str, names: Sequence[str]) -> FolderClaim:
        if not has_tofu(names):
            return FolderClaim()
        files = module_names(list(names))
        present = frozenset(names)
        unit = Unit(self.kind, folder, [(os.path.join(folder, n),) * 2 for n in files], format=self)
        skipped = tuple((n, f"OpenTofu reads {shadowed_by(n, present)} instead") for n in names
                        if is_module_file(n) and n not in files)
        return FolderClaim((unit,), frozenset(n for n in names if is_module_file(n)), skipped=skipped)

    def claim_file(self, path: str) -> Unit | None:
        """A file named alone in a folder holding OpenTofu files (pre-commit passes
        names): that folder's unit, reporting the file; a ``.tf`` file a ``.tofu`` file
        replaces brings the unit too (nothing is reported in it: OpenTofu ignores it)."""
        name, folder = os.path.basename(path), os.path.dirname(path)
        if not is_module_file(name) and not name.endswith((".tfvars", ".tfvars.json")):
            return None
        try:
            names = sorted(n for n in os.listdir(folder or ".") if os.path.isfile(os.path.join(folder or ".", n)))
        except OSError:
            return None
        if not has_tofu(names):
            return None
        files = [(os.path.join(folder, n),) * 2 for n in module_names(names)]
        return Unit(self.kind, folder or ".", files, {os.path.normpath(path)}, format=self)

    def claim_buffer(self, path: str) -> Unit | None:
        name, folder = os.path.basename(path), os.path.dirname(path) or "."
        if not os.path.isdir(folder):
            return None
        names = sorted({n for n in os.listdir(folder) if os.path.isfile(os.path.join(folder, n))} | {name})
        if not is_module_file(name) or not has_tofu(names):
            return None
        files = [(os.path.join(os.path.dirname(path), n),) * 2 for n in module_names(names)]
        return Unit(self.kind, folder, files, {os.path.normpath(path)}, format=self)

    def syntax(self, path: str) -> Syntax | None:
        lower = path.lower()
        if lower.endswith(".tofu"):
            return HCL
        return JSON if is_json(lower) else TERRAFORM.syntax(path)  # .tf, .tfvars: the unit's facts need them too

    def environment(self) -> Mapping[str, str]:
        return terraform_environment()

    def load(self, unit: Unit, options: Any) -> UnitResult | None:
        # start-up: hcl2 and lark (~60 ms) are imported only when a module is loaded
        from iamlint.normalize.terraform import load_module

        return self.facts(load_module(unit.root, unit.files, options), _text)

    def warm_up(self) -> None:
        TERRAFORM.warm_up()


def _text(path: str) -> str | None:
    return read_source(path)[0]


FORMAT = OpenTofuFormat()
