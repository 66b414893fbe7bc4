"""Terraform plan JSON (``terraform show -json plan.out``): one unit per file, told
apart from a CloudFormation JSON template by its content."""

from __future__ import annotations

import re
from typing import Any, Mapping

from iamlint.formats.base import JSON, FileFormat, Syntax
from iamlint.formats.terraform import terraform_environment
from iamlint.model.units import Unit, UnitResult
from iamlint.sources import read_head

HEAD = 4 * 1024 * 1024  # how much of a file detection reads
_VERSION = re.compile(r'"format_version"\s*:\s*"(\d+)\.')


def is_plan_file(path: str) -> bool:
    """Whether the file looks like a Terraform plan, from its first :data:`HEAD` bytes
    (a ``format_version`` and ``planned_values`` or ``resource_changes``; the loader
    reports an unsupported version)."""
    data = read_head(path, HEAD)  # a regular file only, never blocking
    if data is None:
        return False
    head = data.decode("utf-8", "replace")
    match = _VERSION.search(head)
    return bool(match) and ('"planned_values"' in head or '"resource_changes"' in head)


def json_name(name: str) -> bool:
    """A ``.json`` file that is not Terraform's own JSON syntax (any case)."""
    lower = name.lower()
    return lower.endswith(".json") and not lower.endswith((".tf.json", ".tfvars.json", ".tofu.json"))


class PlanFormat(FileFormat):
    __slots__ = ()
    name = "terraform-plan"
    kind = "plan"
    description = "Terraform or OpenTofu plan (show -json)"
    label = "Terraform"
    patterns = ("*.json",)
    before = ("cloudformation-json",)

    def claims(self, name: str) -> bool:
        return json_name(name)

    def detect(self, path: str) -> bool:
        return is_plan_file(path)

    def syntax(self, path: str) -> Syntax | None:
        return JSON if path.lower().endswith(".json") else None

    def environment(self) -> Mapping[str, str]:
        return terraform_environment()

    def load(self, unit: Unit, options: Any) -> UnitResult | None:
        # start-up: the plan normaliser is imported only when a plan is loaded
        from iamlint.normalize.terraform.plan import load_plan

        path, display = unit.files[0]
        return load_plan(path, display, options)


FORMAT = PlanFormat()
