"""CloudFormation and SAM templates, one unit per file: YAML (``.yaml``, ``.yml``,
``.template``, ``*.cfn.*``) and JSON (``.json``). A candidate that turns out not to be a
template (no ``Resources`` / ``AWSTemplateFormatVersion``) is skipped silently. Both
read the text as JSON or YAML by its first character; they differ in comment syntax
(YAML ``#``; JSON none: suppressions go in the resource's ``Metadata``)."""

from __future__ import annotations

import os
from typing import Any

from iamlint.formats.plan import json_name
from iamlint.formats.base import JSON as JSON_SYNTAX
from iamlint.formats.base import YAML as YAML_SYNTAX
from iamlint.formats.base import FileFormat, Syntax
from iamlint.model.units import Unit, UnitResult

_YAML_SUFFIXES = (".yaml", ".yml", ".template")


class _Template(FileFormat):
    __slots__ = ()
    kind = "cloudformation"

    def load(self, unit: Unit, options: Any) -> UnitResult | None:
        # start-up: PyYAML and the CloudFormation normaliser are imported only when a template is loaded
        from iamlint.normalize.cloudformation import load_template

        path, display = unit.files[0]
        syntax = self.syntax(display)
        scan = syntax.facts if syntax is not None and syntax.scan is not None else None
        return load_template(path, display, options.partition, scan)

    def warm_up(self) -> None:
        import iamlint.normalize.cloudformation  # noqa: F401 -- before forking workers, not at start-up


class CloudFormationYaml(_Template):
    __slots__ = ()
    name = "cloudformation-yaml"
    description = "CloudFormation or SAM template"
    label = "CloudFormation"
    patterns = ("*.yaml", "*.yml", "*.template", "*.cfn.*")

    def claims(self, name: str) -> bool:
        lower = name.lower()
        if lower.endswith((".tf.json", ".tfvars.json", ".tofu.json", ".json")):
            return False
        return lower.endswith(_YAML_SUFFIXES) or ".cfn." in lower

    def syntax(self, path: str) -> Syntax | None:
        return YAML_SYNTAX if os.path.splitext(path)[1].lower() in _YAML_SUFFIXES else None


class CloudFormationJson(_Template):
    __slots__ = ()
    name = "cloudformation-json"
    description = "CloudFormation or SAM template"
    label = "CloudFormation"
    patterns = ("*.json",)

    def claims(self, name: str) -> bool:
        return json_name(name)

    def syntax(self, path: str) -> Syntax | None:
        return JSON_SYNTAX if path.lower().endswith(".json") else None


YAML = CloudFormationYaml()
JSON = CloudFormationJson()
