"""Terraform plan JSON (``terraform show -json plan.out``) -> the same graph.

Detected by content: ``format_version`` with major version 1 and ``planned_values`` or
``resource_changes`` (:func:`is_plan_text`). Resources come from ``planned_values``
(child modules recursively), whose values are all known; leaves that
``resource_changes[].change.after_unknown`` marks become Unknown ("known only after
apply"), linked to the resource they reference when the ``configuration`` section names
one. Resources being deleted are ignored; data sources are not graph nodes.

Locations: the plan carries no source positions. When the Terraform sources sit beside
the plan (the plan's folder holds the root module; child modules are found through the
configuration's module calls: local sources, or ``.terraform/modules/modules.json``),
each resource is matched to its block by module path plus address (never by
``type.name`` alone, which collides across modules) and every value is reported at the
line of the attribute (or nested block) that sets it. Otherwise findings are reported
on the plan file, at the line of the value inside it, with the resource address.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any

from iamlint.model.graph import Graph, Resource
from iamlint.model.values import Encoded, Known, Ref, Unknown, Value, from_python, respan, to_python
from iamlint.model.units import SourceError, UnitResult
from iamlint.normalize.terraform.config import ModuleConfig
from iamlint.normalize.terraform.files import module_files, parse_files, read_manifest, read_text
from iamlint.normalize.terraform.resources import BUILDERS
from iamlint.parsers.jsonpos import JsonError, loads_with_spans
from iamlint.parsers.terraform.syntax import Block, Body

_VERSION = re.compile(r'"format_version"\s*:\s*"(\d+)\.')
_DELETE_ONLY = (["delete"],)
_INSTANCE = re.compile(r"\[[^\]]*\]")
HEAD = 4 * 1024 * 1024


def is_plan_text(text: str) -> bool:
    """Whether JSON text looks like a Terraform plan (read from its first bytes)."""
    match = _VERSION.search(text[:HEAD])
    return match is not None and match.group(1) == "1" and ('"planned_values"' in text or '"resource_changes"' in text)


def load_plan(path: str, display: str, options: Any) -> UnitResult:
    partition = getattr(options, "partition", "aws")
    graph = Graph(partition=partition)
    text, error = read_text(path, display)
    if error is not None:
        return UnitResult(graph, [display], [error])
    try:
        data = loads_with_spans(text, display)  # type: ignore[arg-type]  # text whenever there is no error
    except JsonError as exc:
        return UnitResult(graph, [display], [SourceError(display, exc.line, f"invalid JSON: {exc.message}", exc.column)])
    top = data.value if isinstance(data.value, dict) else {}
    version = _text(top.get("format_version"))
    if version is None or version.split(".")[0] != "1":
        return UnitResult(graph, [display], [SourceError(
            display, data.span.line, f"unsupported plan format_version {version!r} (iamlint reads 1.x)")])
    changes = _changes(top.get("resource_changes"))
    configuration = _plain(top.get("configuration")) or {}
    sources = _Sources(os.path.dirname(path) or ".", configuration)
    errors: list[SourceError] = []
    planned = top.get("planned_values")
    root = planned.value.get("root_module") if isinstance(planned, Known) and isinstance(planned.value, dict) else None
    for resource in _resources(root):
        node = _node(resource, changes, sources, display)
        if node is not None:
            graph.add(node)
    errors.extend(sources.errors)
    return UnitResult(graph, [display], errors, sources=sources.read)


def _resources(module: Value | None):
    stack = [module]
    while stack:
        current = stack.pop()
        if not isinstance(current, Known) or not isinstance(current.value, dict):
            continue
        yield from _list(current.value.get("resources"))
        stack.extend(reversed(_list(current.value.get("child_modules"))))


def _changes(value: Value | None) -> dict[str, dict]:
    result: dict[str, dict] = {}
    for item in _list(value):
        if not isinstance(item, Known) or not isinstance(item.value, dict):
            continue
        address = _text(item.value.get("address"))
        change = _plain(item.value.get("change")) or {}
        if address and not item.value.get("deposed"):
            result[address] = change
    return result


def _node(resource: Value, changes: dict[str, dict], sources: "_Sources", display: str):
    if not isinstance(resource, Known) or not isinstance(resource.value, dict):
        return None
    body = resource.value
    if _text(body.get("mode")) != "managed":
        return None
    address = _text(body.get("address"))
    type_ = _text(body.get("type"))
    if not address or not type_:
        return None
    change = changes.get(address, {})
    if change.get("actions") == ["delete"]:
        return None
    values_value = body.get("values")
    values: dict[str, Value] = {}
    if isinstance(values_value, Known) and isinstance(values_value.value, dict):
        values = dict(values_value.value)
    span = resource.span
    module_path = _module_path(address)
    local_address = address[len(module_path) + 1:] if module_path else address
    config = sources.config_resource(module_path, local_address)
    block = sources.block(module_path, _INSTANCE.sub("", local_address))
    after_unknown = change.get("after_unknown")
    unknown = after_unknown if isinstance(after_unknown, dict) else {}
    for name, marker in unknown.items():
        reason = f"{address}.{name} is known only after apply"
        ref = _reference(config, name, module_path)
        at = values[name].span if name in values else span
        if marker is True:
            values[name] = Ref(reason, at, ref, "") if ref else Unknown(reason, at)
        elif name in values:
            values[name] = _mark(values[name], marker, reason)
    values = {name: _decode_policies(value) for name, value in values.items()}
    if block is not None:
        values = {name: _respan_attribute(value, name, block.body) for name, value in values.items()}
        span = block.span
    builder = BUILDERS.get(type_)
    if builder is None:
        return Resource(address, type_, span, values)
    return builder(address, type_, span, values)


def _mark(value: Value, marker: Any, reason: str) -> Value:
    """Apply an ``after_unknown`` structure: ``true`` leaves become Unknown."""
    if marker is True:
        return Unknown(reason, value.span)
    if not isinstance(value, Known):
        return value
    if isinstance(marker, dict) and isinstance(value.value, dict):
        return Known({k: _mark(v, marker.get(k), reason) for k, v in value.value.items()}
                     | {k: Unknown(reason, value.span) for k, m in marker.items() if m is True and k not in value.value},
                     value.span)
    if isinstance(marker, list) and isinstance(value.value, list):
        items = list(value.value)
        for index, inner in enumerate(marker):
            if index < len(items):
                items[index] = _mark(items[index], inner, reason)
            elif inner is True:
                items.append(Unknown(reason, value.span))
        return Known(items, value.span)
    return value


def _decode_policies(value: Value) -> Value:
    """JSON policy text inside the plan (a string in a string) -> its structure, every
    part at the span of the string (escapes make finer positions meaningless)."""
    if isinstance(value, Known):
        inner = value.value
        if isinstance(inner, str) and inner.lstrip().startswith("{") and "Statement" in inner:
            try:
                data = json.loads(inner)
            except ValueError:
                return value
            return Known(Encoded(from_python(data, value.span)), value.span)
        if isinstance(inner, list):
            return Known([_decode_policies(item) for item in inner], value.span)
        if isinstance(inner, dict):
            return Known({k: _decode_policies(v) for k, v in inner.items()}, value.span)
    return value


def _respan_attribute(value: Value, name: str, body: Body) -> Value:
    """Move a plan value to the line of the .tf attribute or nested block that sets it."""
    attribute = body.attributes.get(name)
    if attribute is not None:
        return respan(value, attribute.span, unknowns=True)
    blocks = body.blocks_of(name) or [b for b in body.blocks if b.type == "dynamic" and b.labels[:1] == [name]]
    if blocks and isinstance(value, Known) and isinstance(value.value, list):
        items: list[Value] = []
        for index, item in enumerate(value.value):
            block = blocks[min(index, len(blocks) - 1)]
            inner = block.body if block.type != "dynamic" else (block.body.first_block("content") or block).body
            if isinstance(item, Known) and isinstance(item.value, dict):
                items.append(Known({k: _respan_attribute(v, k, inner) for k, v in item.value.items()}, block.span))
            else:
                items.append(respan(item, block.span, unknowns=True))
        return Known(items, blocks[0].span)
    return value


def _reference(config: dict | None, name: str, module_path: str) -> str | None:
    """The resource an unknown attribute refers to, from the configuration's references."""
    if not config:
        return None
    expression = (config.get("expressions") or {}).get(name)
    if not isinstance(expression, dict):
        return None
    for reference in expression.get("references") or []:
        if not isinstance(reference, str):
            continue
        parts = reference.split(".")
        if parts[0] in ("var", "local", "data", "module", "each", "count", "path", "self", "terraform") or len(parts) < 2:
            continue
        address = ".".join(parts[:2])
        prefix = module_path + "." if module_path else ""
        return prefix + address
    return None


def _module_path(address: str) -> str:
    """``module.a["x"].module.b.aws_iam_role.r[0]`` -> ``module.a["x"].module.b``."""
    parts = re.findall(r'module\.[^.\[]+(?:\[[^\]]*\])?\.', address)
    prefix = ""
    for part in parts:
        if address.startswith(prefix + part):
            prefix += part
        else:
            break
    return prefix[:-1]


class _Sources:
    """The .tf sources beside the plan, per module path, parsed on demand."""

    def __init__(self, root: str, configuration: dict) -> None:
        self.root = root
        self.configuration = configuration
        self.errors: list[SourceError] = []
        self.read: list[str] = [root]
        self._configs: dict[str, Any] = {}

    def _calls(self, module_path: str) -> tuple[dict | None, list[str]]:
        """The configuration module of a module path and the call names leading to it."""
        names = re.findall(r"module\.([^.\[]+)", module_path)
        module = self.configuration.get("root_module") if isinstance(self.configuration, dict) else None
        for name in names:
            if not isinstance(module, dict):
                return None, names
            call = (module.get("module_calls") or {}).get(name)
            module = call.get("module") if isinstance(call, dict) else None
        return module if isinstance(module, dict) else None, names

    def config_resource(self, module_path: str, local_address: str) -> dict | None:
        module, _ = self._calls(module_path)
        if module is None:
            return None
        target = _INSTANCE.sub("", local_address)
        for resource in module.get("resources") or []:
            if isinstance(resource, dict) and resource.get("address") == target:
                return resource
        return None

    def directory(self, module_path: str) -> str | None:
        names = re.findall(r"module\.([^.\[]+)", module_path)
        directory = self.root
        module = self.configuration.get("root_module") if isinstance(self.configuration, dict) else None
        for index, name in enumerate(names):
            call = (module.get("module_calls") or {}).get(name) if isinstance(module, dict) else None
            source = (call.get("source") or call.get("resolved_source")) if isinstance(call, dict) else None
            if isinstance(source, str) and (source.startswith("./") or source.startswith("../")):
                directory = os.path.normpath(os.path.join(directory, source))
            else:
                found = read_manifest(self.root).get(".".join(names[: index + 1]))
                if found is None:
                    return None
                directory = found
            module = call.get("module") if isinstance(call, dict) else None
        return directory

    def block(self, module_path: str, local_address: str) -> Block | None:
        key = re.sub(r"\[[^\]]*\]", "", module_path)
        if key not in self._configs:
            self._configs[key] = self._load(self.directory(module_path))
        config = self._configs[key]
        if config is None:
            return None
        return config.resources.get(local_address)

    def _load(self, directory: str | None):
        if directory is None or not os.path.isdir(directory):
            return None
        files = module_files(directory)
        if not files:
            return None
        self.read.append(directory)
        self.read.extend(path for path, _ in files)
        parsed, errors = parse_files(files)
        self.errors.extend(errors)
        return ModuleConfig.from_files(directory, parsed)


def _list(value: Value | None) -> list[Value]:
    if isinstance(value, Known) and isinstance(value.value, list):
        return value.value
    return []


def _text(value: Value | None) -> str | None:
    if isinstance(value, Known) and isinstance(value.value, str):
        return value.value
    return None


def _plain(value: Value | None) -> Any:
    if value is None:
        return None
    try:
        return to_python(value)
    except ValueError:
        return None
