"""The blocks of one Terraform module, indexed for evaluation."""

from __future__ import annotations

from dataclasses import dataclass, field

from iamlint.parsers.terraform.names import stem, suffix
from iamlint.parsers.terraform.syntax import Attribute, Block, Body, HclFile


@dataclass(slots=True)
class ModuleConfig:
    """Every block of a module directory (all its .tf files together)."""

    directory: str
    variables: dict[str, Block] = field(default_factory=dict)
    locals: dict[str, Attribute] = field(default_factory=dict)
    resources: dict[str, Block] = field(default_factory=dict)  # "aws_iam_role.web"
    data: dict[str, Block] = field(default_factory=dict)  # "aws_iam_policy_document.x"
    providers: list[Block] = field(default_factory=list)
    modules: dict[str, Block] = field(default_factory=dict)
    outputs: dict[str, Block] = field(default_factory=dict)

    @classmethod
    def from_files(cls, directory: str, files: list[HclFile]) -> "ModuleConfig":
        """Index the blocks of a module; override files (``override.tf``,
        ``*_override.tf`` and their .tf.json forms) are merged last, as Terraform does:
        their attributes replace the original's, and their nested blocks replace all
        original nested blocks of the same type."""
        config = cls(directory)
        overrides = [hcl for hcl in files if _is_override(hcl.path)]
        for hcl in files:
            if not _is_override(hcl.path):
                for block in hcl.body.blocks:
                    config._add(block)
        for hcl in overrides:
            for block in hcl.body.blocks:
                config._override(block)
        return config

    def _override(self, block: Block) -> None:
        labels = block.labels
        if block.type == "locals":
            self.locals.update(block.body.attributes)
            return
        table = {"resource": self.resources, "data": self.data, "variable": self.variables,
                 "module": self.modules, "output": self.outputs}.get(block.type)
        key = ".".join(labels)
        if table is None or key not in table:
            self._add(block)
            return
        original = table[key]
        body = Body(dict(original.body.attributes), list(original.body.blocks))
        body.attributes.update(block.body.attributes)
        replaced = {b.type if b.type != "dynamic" else f"dynamic:{b.labels[:1]}" for b in block.body.blocks}
        body.blocks = [b for b in body.blocks
                       if (b.type if b.type != "dynamic" else f"dynamic:{b.labels[:1]}") not in replaced]
        body.blocks.extend(block.body.blocks)
        table[key] = Block(original.type, original.labels, body, original.span)

    def _add(self, block: Block) -> None:
        labels = block.labels
        if block.type == "resource" and len(labels) == 2:
            self.resources.setdefault(f"{labels[0]}.{labels[1]}", block)
        elif block.type == "data" and len(labels) == 2:
            self.data.setdefault(f"{labels[0]}.{labels[1]}", block)
        elif block.type == "variable" and labels:
            self.variables.setdefault(labels[0], block)
        elif block.type == "locals":
            for name, attribute in block.body.attributes.items():
                self.locals.setdefault(name, attribute)
        elif block.type == "provider":
            self.providers.append(block)
        elif block.type == "module" and labels:
            self.modules.setdefault(labels[0], block)
        elif block.type == "output" and labels:
            self.outputs.setdefault(labels[0], block)


def _is_override(path: str) -> bool:
    """``override.tf``, ``x_override.tf`` and their ``.tf.json``, ``.tofu``, ``.tofu.json`` forms."""
    name = path.replace("\\", "/").rsplit("/", 1)[-1]
    if not suffix(name):
        return False
    base = stem(name)
    return base == "override" or base.endswith("_override")
