"""Module calls: find the child module's folder, evaluate it once per call and instance.

A local source (``./x``, ``../x``) is a folder relative to the calling module. Registry
and git sources are found through ``.terraform/modules/modules.json`` (written by
``terraform init``) in the root module; without it they stay Unknown. Every call, and
every count/for_each instance of a call, gets its own :class:`Evaluator` whose
addresses start with ``module.<name>[key].`` and whose spans stay in the module's own
files. Missing folders and module cycles are located errors.
"""

from __future__ import annotations

import json
import os
from typing import Callable

from iamlint.model.graph import Graph
from iamlint.model.span import Span
from iamlint.model.values import Known, Unknown, Value
from iamlint.normalize.terraform.config import ModuleConfig
from iamlint.normalize.terraform.evaluate import Evaluator, Instance
from iamlint.parsers.terraform.syntax import Block

MAX_DEPTH = 40
META_ARGUMENTS = {"source", "version", "count", "for_each", "providers", "depends_on"}


class Loader:
    """State shared by every module instance of one root module."""

    def __init__(self, root: str, partition: str, builders: dict) -> None:
        self.root = root
        self.partition = partition
        self.builders = builders
        self.errors: list = []
        self.reported: set[str] = set()
        self.evaluating: list[str] = []
        self.configs: dict[str, ModuleConfig] = {}
        self.files: list[str] = []
        self.sources: list[str] = []  # every other path read (for the cache): module files and folders, file()
        self.graph = Graph(partition=partition)
        self._manifest: dict[str, str] | None = None

    def evaluator(self, config: ModuleConfig, prefix: str, stack: tuple[str, ...], path: tuple[str, ...]) -> Evaluator:
        evaluator = Evaluator(config, {}, self.partition, prefix, self, stack)
        evaluator._evaluating = self.evaluating
        evaluator.root_directory = self.root
        evaluator.module_path = path  # type: ignore[attr-defined]
        evaluator.data_builders.update(self.builders)
        return evaluator

    def config_for(self, directory: str) -> ModuleConfig:
        key = os.path.realpath(directory)
        config = self.configs.get(key)
        if config is None:
            from iamlint.normalize.terraform import module_files, parse_files

            files = module_files(directory)
            self.sources.append(directory)
            self.sources.extend(path for path, _ in files)
            parsed, errors = parse_files(files)
            self.errors.extend(errors)
            self.files.extend(display for _, display in files)
            config = ModuleConfig.from_files(directory, parsed)
            self.configs[key] = config
        return config

    def manifest(self) -> dict[str, str]:
        """``.terraform/modules/modules.json``: module key ("web.child") -> folder."""
        if self._manifest is None:
            self._manifest = read_manifest(self.root)
        return self._manifest

    def call(self, parent: Evaluator, name: str, block: Block) -> "ModuleCall":
        return ModuleCall(self, parent, name, block)


class ModuleCall:
    """One ``module "name"`` block of a module instance, with its child instances."""

    def __init__(self, loader: Loader, parent: Evaluator, name: str, block: Block) -> None:
        self.loader = loader
        self.parent = parent
        self.name = name
        self.block = block
        self.counted = "count" in block.body.attributes or "for_each" in block.body.attributes
        self.reason: str | None = None
        self.children: list[tuple[str, object, Evaluator]] = []
        self._open()

    def _open(self) -> None:
        parent, block, name = self.parent, self.block, self.name
        source_attr = block.body.attributes.get("source")
        if source_attr is None:
            self.reason = f"module.{name} has no source"
            parent.error(block.span, self.reason)
            return
        source = parent.eval(source_attr.expr)
        if not isinstance(source, Known) or not isinstance(source.value, str):
            self.reason = f"the source of module.{name} cannot be evaluated"
            parent.error(source_attr.span, self.reason)
            return
        path = getattr(parent, "module_path", ()) + (name,)
        directory = self._directory(source.value, path, source_attr.span)
        if directory is None:
            return
        real = os.path.realpath(directory)
        if real in parent.stack:
            chain = " -> ".join(os.path.relpath(p) for p in parent.stack[parent.stack.index(real):]) + " -> " + os.path.relpath(real)
            self.reason = f"module cycle: module.{name} calls a module that is already being evaluated ({chain})"
            parent.error(source_attr.span, self.reason)
            return
        if len(parent.stack) >= MAX_DEPTH:
            self.reason = f"module.{name}: modules nested more than {MAX_DEPTH} deep"
            parent.error(source_attr.span, self.reason)
            return
        config = self.loader.config_for(directory)
        instances: list[Instance] | Unknown = parent.instances(block, f"module.{name}")
        if isinstance(instances, Unknown):
            instances = [("", None, Evaluator.unknown_instance_env(instances, block))]
        for suffix, key, env in instances:
            child = self.loader.evaluator(config, f"{parent.prefix}module.{name}{suffix}.", parent.stack + (real,), path)
            self._wire_variables(child, env)
            self.children.append((suffix, key, child))

    def _directory(self, source: str, path: tuple[str, ...], span: Span) -> str | None:
        parent = self.parent
        if source.startswith("./") or source.startswith("../") or source in (".", ".."):
            directory = os.path.normpath(os.path.join(parent.config.directory, source))
            if not os.path.isdir(directory):
                self.reason = f"module.{self.name}: source folder {source!r} not found ({directory})"
                parent.error(span, self.reason)
                return None
            return directory
        found = self.loader.manifest().get(".".join(path))
        if found is not None and os.path.isdir(found):
            return found
        self.reason = (f"module.{self.name} comes from {source!r}, which is not downloaded "
                       "(run terraform init so that .terraform/modules holds it)")
        return None

    def _wire_variables(self, child: Evaluator, env: dict) -> None:
        parent, attrs = self.parent, self.block.body.attributes
        for var_name, var_block in child.config.variables.items():
            given = attrs.get(var_name) if var_name not in META_ARGUMENTS else None
            if given is not None:
                child.lazy_variables[var_name] = _input(parent, child, var_name, var_block, given.expr, env)
            else:
                child.lazy_variables[var_name] = _default(child, var_name, var_block, self.name)

    def evaluators(self) -> list[Evaluator]:
        return [child for _, _, child in self.children]

    def reference(self, steps: list, env: dict, span: Span) -> Value:
        """``module.<name>...``: an output of the (right instance of the) call."""
        if self.reason is not None:
            return Unknown(self.reason, span)
        parent = self.parent
        if self.counted and self.children and self.children[0][1] is not None:
            if steps and steps[0][0] == "index":
                key = parent.eval(steps[0][1], env)
                if not isinstance(key, Known):
                    return Unknown(f"which instance of module.{self.name} is meant cannot be evaluated", span)
                for _, instance_key, child in self.children:
                    if instance_key == key.value or (isinstance(key.value, float) and instance_key == int(key.value)):
                        return self._output(child, steps[1:], env, span)
                return Unknown(f"module.{self.name} has no instance {key.value!r}", span)
            objects = [(k, c.outputs_object(span)) for _, k, c in self.children]
            if "count" in self.block.body.attributes:
                whole: Value = Known([o for _, o in objects], span)
            else:
                whole = Known({str(k): o for k, o in objects}, span)
            return parent._apply(whole, steps, env, span)
        if self.counted and steps and steps[0][0] == "index":
            steps = steps[1:]
        if not self.children:
            if self.counted:
                return Known([], span)
            return Unknown(f"module.{self.name} has no instance", span)
        return self._output(self.children[0][2], steps, env, span)

    def _output(self, child: Evaluator, steps: list, env: dict, span: Span) -> Value:
        if steps and steps[0][0] == "attr":
            return self.parent._apply(child.output(steps[0][1], span), steps[1:], env, span)
        return self.parent._apply(child.outputs_object(span), steps, env, span)


def _input(parent: Evaluator, child: Evaluator, name: str, block: Block, expr, env: dict) -> Callable[[], Value]:
    from iamlint.normalize.terraform.variables import convert

    def evaluate() -> Value:
        value = parent.eval(expr, env)
        if isinstance(value, Known) and value.value is None and "default" in block.body.attributes:
            nullable = block.body.attributes.get("nullable")
            if nullable is not None and isinstance(child.eval(nullable.expr), Known) and child.eval(nullable.expr).value is False:
                return convert(child.eval(block.body.attributes["default"].expr), block, child)
        return convert(value, block, child)

    return evaluate


def _default(child: Evaluator, name: str, block: Block, call: str) -> Callable[[], Value]:
    from iamlint.normalize.terraform.variables import convert

    def evaluate() -> Value:
        default = block.body.attributes.get("default")
        if default is not None:
            return convert(child.eval(default.expr), block, child)
        return Unknown(f"var.{name} is not set by module.{call} and has no default", block.span)

    return evaluate


def instantiate(evaluator: Evaluator, graph: Graph) -> None:
    """Add the nodes of one module instance and, recursively, of its module calls."""
    from iamlint.normalize.terraform.resources import build_node

    config = evaluator.config
    for address, block in config.resources.items():
        instances = evaluator.instances(block, address)
        if isinstance(instances, Unknown):
            env = Evaluator.unknown_instance_env(instances, block)
            graph.add(build_node(evaluator, evaluator.prefix + address, block, env))
            continue
        for suffix, _key, env in instances:
            graph.add(build_node(evaluator, evaluator.prefix + address + suffix, block, env))
    for block in config.providers:
        if block.labels and block.labels[0] == "aws":
            from iamlint.model.graph import Resource
            from iamlint.normalize.terraform.resources import evaluate_body

            values = evaluate_body(evaluator, block.body, block.span)
            alias = values.get("alias")
            suffix = f".{alias.value}" if isinstance(alias, Known) and isinstance(alias.value, str) else ""
            graph.add(Resource(f"{evaluator.prefix}provider.aws{suffix}", "provider.aws", block.span, values))
    for name in config.modules:
        call = evaluator.module_call(name)
        if call is None:
            continue
        for child in call.evaluators():
            instantiate(child, graph)
    # Terraform evaluates every local and output: their cycles are errors even when unused
    for name, attribute in config.locals.items():
        evaluator.local(name, attribute.span)
    for name, block in config.outputs.items():
        evaluator.output(name, block.span)


def read_manifest(root: str) -> dict[str, str]:
    """``.terraform/modules/modules.json`` under ``root`` (written by ``terraform init``):
    module key ("web.child") -> folder; empty when there is none or it cannot be read."""
    path = os.path.join(root, ".terraform", "modules", "modules.json")
    try:
        with open(path, encoding="utf-8") as handle:
            entries = json.load(handle).get("Modules") or []
    except (OSError, ValueError, AttributeError):
        return {}
    return {
        entry["Key"]: os.path.normpath(os.path.join(root, entry["Dir"]))
        for entry in entries
        if isinstance(entry, dict) and isinstance(entry.get("Key"), str) and entry["Key"]
        and isinstance(entry.get("Dir"), str)
    }
