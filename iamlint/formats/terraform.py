"""Terraform HCL modules: the ``.tf`` and ``.tf.json`` files of one folder form one unit
(a root module; the modules it calls are loaded with it). A ``.tfvars`` /
``.tfvars.json`` file named on its own brings its folder's module."""

from __future__ import annotations

import functools
import os
import re
from typing import Any, Mapping

from iamlint.formats.base import HCL, JSON, DirectoryFormat, Syntax
from iamlint.model.units import Unit, UnitResult
from iamlint.sources import read_head, read_source

_HCL_SUFFIXES = (".tf", ".tfvars", ".hcl", ".tofu")


class TerraformFormat(DirectoryFormat):
    __slots__ = ()
    name = "terraform"
    kind = "terraform"
    description = "Terraform module"
    label = "Terraform"
    patterns = ("*.tf", "*.tf.json", "*.tfvars", "*.tfvars.json")

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

    def shared_inputs(self, unit: Unit) -> set[str]:
        """The folders of the local child modules the unit's root calls, directly or
        through other child modules (absolute paths), read from ``source = "./..."`` lines
        without parsing: a hint for the process pool, which gives units calling the
        same module to one worker (never a reason for a result to change)."""
        found: set[str] = set()
        folders = [os.path.abspath(unit.root)]
        while folders and len(found) < 64:
            folder = folders.pop()
            for child in _local_sources(folder):
                if child not in found:
                    found.add(child)
                    folders.append(child)
        return found

    def warm_up(self) -> None:
        # before forking workers, or before a language server's first file (not at start-up)
        import iamlint.normalize.terraform.root  # noqa: F401  (the evaluator: the package itself is light)
        from iamlint.parsers.terraform.choice import warm_up

        warm_up()


def terraform_environment() -> dict[str, str]:
    """The environment Terraform evaluation reads: TF_VAR_* and TF_WORKSPACE."""
    return {k: v for k, v in os.environ.items() if k.startswith("TF_VAR_") or k == "TF_WORKSPACE"}


# a literal start, so the search skips ahead at C speed (a word boundary before it would not)
_LOCAL_SOURCE = re.compile(rb'source[ \t]*=[ \t]*"(\.\.?(?:/[^"]*)?)"')


@functools.lru_cache(maxsize=1024)
def _local_sources(folder: str) -> tuple[str, ...]:
    """Absolute paths of the local module sources written in a folder's .tf files (not
    resolved through symbolic links: a scheduling hint, it need not be exact)."""
    try:
        names = sorted(n for n in os.listdir(folder) if n.endswith(".tf"))
    except OSError:
        return ()
    found = []
    for name in names:
        data = read_head(os.path.join(folder, name), 1 << 20)  # regular files only, never blocking
        if data is None:
            continue
        found += [os.path.normpath(os.path.join(folder, source.decode("utf-8", "replace")))
                  for source in _LOCAL_SOURCE.findall(data)]
    return tuple(path for path in dict.fromkeys(found) if os.path.isdir(path))


def _text(path: str) -> str | None:
    return read_source(path)[0]


FORMAT = TerraformFormat()
