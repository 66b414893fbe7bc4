"""AWS CDK cloud assemblies (``cdk synth`` output, ``cdk.out/``): one unit per stack template.

A folder holding a ``manifest.json`` that is a cloud assembly manifest (``version`` and an
``artifacts`` mapping) is the assembly's, whole: its stacks (artifacts of type
``aws:cloudformation:stack``: their ``templateFile``) and the nested stack templates CDK
writes beside them (``*.nested.template.json``) are loaded through the CloudFormation
path, the nested assemblies of CDK stages (artifacts of type ``cdk:cloud-assembly``: their
``directoryName``) are read the same way, and nothing else is walked (asset folders,
``tree.json``, asset manifests): the walk is pruned there and every file of the folder is
taken, so no template is judged twice (once here, once as a plain JSON template).

Every finding names the construct path of its resource (``Stack/Bucket/Resource``): the
resource's ``aws:cdk:path`` metadata, read for any template by the CloudFormation
normaliser, else the stack's ``aws:cdk:logicalId`` entries in the manifest (a synthesis
with path metadata turned off).
"""

from __future__ import annotations

import json
import os
from typing import Any, Sequence

from iamlint.formats.base import JSON as JSON_SYNTAX
from iamlint.formats.base import FileFormat, FolderClaim, Syntax
from iamlint.model.units import Unit, UnitResult
from iamlint.sources import read_bytes

MANIFEST = "manifest.json"
STACK = "aws:cloudformation:stack"
NESTED_ASSEMBLY = "cdk:cloud-assembly"
NESTED_TEMPLATE = ".nested.template.json"
_MAX_DEPTH = 8  # stages inside stages: deeper nesting is not followed


def read_manifest(folder: str) -> dict[str, Any] | None:
    """The cloud assembly manifest of ``folder`` (None: none, or not an assembly's)."""
    data, _ = read_bytes(os.path.join(folder, MANIFEST))  # a regular file only, capped
    if data is None:
        return None
    try:
        manifest = json.loads(data)
    except ValueError:
        return None
    if isinstance(manifest, dict) and "version" in manifest and isinstance(manifest.get("artifacts"), dict):
        return manifest
    return None


def _artifacts(manifest: dict[str, Any], kind: str) -> list[tuple[str, dict[str, Any]]]:
    return [(name, artifact) for name, artifact in manifest["artifacts"].items()
            if isinstance(artifact, dict) and artifact.get("type") == kind]


def _property(artifact: dict[str, Any], key: str) -> str | None:
    properties = artifact.get("properties")
    value = properties.get(key) if isinstance(properties, dict) else None
    return value if isinstance(value, str) and value else None


def _inside(folder: str, relative: str) -> str | None:
    """``folder/relative`` when it stays inside ``folder`` (a manifest is input: it must
    not lead the walk anywhere else)."""
    path = os.path.normpath(os.path.join(folder, relative))
    if os.path.isabs(relative) or os.path.relpath(path, folder).startswith(os.pardir):
        return None
    return path


def templates(folder: str, manifest: dict[str, Any], names: Sequence[str], depth: int = 0) -> list[str]:
    """The stack templates of an assembly and of its nested assemblies, in order."""
    found: list[str] = []
    for _, artifact in _artifacts(manifest, STACK):
        template = _property(artifact, "templateFile")
        path = _inside(folder, template) if template else None
        if path is not None and path not in found:
            found.append(path)
    found += [os.path.join(folder, name) for name in names
              if name.endswith(NESTED_TEMPLATE) and os.path.join(folder, name) not in found]
    if depth >= _MAX_DEPTH:
        return found
    for _, artifact in _artifacts(manifest, NESTED_ASSEMBLY):
        directory = _property(artifact, "directoryName")
        inner = _inside(folder, directory) if directory else None
        if inner is None or inner == folder or not os.path.isdir(inner):
            continue
        nested = read_manifest(inner)
        if nested is not None:
            found += templates(inner, nested, sorted(os.listdir(inner)), depth + 1)
    return found


def construct_paths(folder: str, template: str) -> dict[str, str]:
    """Logical id -> construct path, from the ``aws:cdk:logicalId`` metadata entries of
    the stack artifact whose template is ``template`` (empty when there is none)."""
    manifest = read_manifest(folder)
    if manifest is None:
        return {}
    paths: dict[str, str] = {}
    for _, artifact in _artifacts(manifest, STACK):
        if _property(artifact, "templateFile") != template:
            continue
        metadata = artifact.get("metadata")
        for path, entries in (metadata.items() if isinstance(metadata, dict) else ()):
            for entry in entries if isinstance(entries, list) else ():
                if isinstance(entry, dict) and entry.get("type") == "aws:cdk:logicalId" and isinstance(entry.get("data"), str):
                    paths.setdefault(entry["data"], path.lstrip("/"))
    return paths


class CdkAssembly(FileFormat):
    __slots__ = ()
    name = "cdk-assembly"
    kind = "cloudformation"
    description = "AWS CDK cloud assembly (cdk.out: manifest.json and its stack templates)"
    before = ("aws-account", "terraform-plan", "cloudformation-json", "cloudformation-yaml")

    def claims(self, name: str) -> bool:
        return name == MANIFEST or name.endswith(".template.json")

    def member(self, name: str) -> bool:
        return False  # by its name alone, a template is a plain CloudFormation template

    def claim(self, folder: str, names: Sequence[str]) -> FolderClaim:
        if MANIFEST not in names:
            return FolderClaim()
        manifest = read_manifest(folder)
        if manifest is None:
            return FolderClaim()
        units = tuple(self.unit(path) for path in templates(folder, manifest, names))
        return FolderClaim(units, frozenset(names), prune=True)

    def claim_file(self, path: str) -> Unit | None:
        """A template named on its own that belongs to an assembly (its folder's
        manifest lists it, or it is a nested stack template there)."""
        folder, name = os.path.split(path)
        if not name.endswith(".template.json") or not os.path.isfile(os.path.join(folder or ".", MANIFEST)):
            return None
        manifest = read_manifest(folder or ".")
        if manifest is None:
            return None
        listed = {os.path.normpath(p) for p in templates(folder or ".", manifest, [name])}
        return self.unit(path) if os.path.normpath(os.path.join(folder or ".", name)) in listed else None

    def syntax(self, path: str) -> Syntax | None:
        return JSON_SYNTAX if path.lower().endswith(".json") else None

    def load(self, unit: Unit, options: Any) -> UnitResult | None:
        # start-up: the CloudFormation normaliser is imported only when a template is loaded
        from iamlint.normalize.cloudformation import load_template

        path, display = unit.files[0]
        result = load_template(path, display, options.partition, None)
        if result is None:
            return None
        folder = os.path.dirname(path) or "."
        result.sources.append(os.path.join(folder, MANIFEST))  # the construct paths read from it
        for logical_id, construct in construct_paths(folder, os.path.basename(path)).items():
            result.graph.constructs.setdefault(logical_id, construct)
        return result

    def warm_up(self) -> None:
        import iamlint.normalize.cloudformation  # noqa: F401 -- before forking workers, not at start-up


FORMAT = CdkAssembly()
