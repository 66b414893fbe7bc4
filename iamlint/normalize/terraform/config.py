"""The blocks of one Terraform module, indexed for evaluation."""

from __future__ import annotations

from dataclasses import dataclass, field

from iamlint.parsers.terraform.syntax import Attribute, Block, HclFile


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
        config = cls(directory)
        for hcl in files:
            for block in hcl.body.blocks:
                config._add(block)
        return config

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
