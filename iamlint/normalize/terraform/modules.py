"""Module calls: find the child module's folder, evaluate it once per call and instance.

A local source (``./x``, ``../x``) is a folder relative to the calling module. Registry
and git sources are found through ``.terraform/modules/modules.json`` (written by
``terraform init``) in the root module; without it they stay Unknown. Every call, and
every count/for_each instance of a call, gets its own :class:`Evaluator` whose
addresses start with ``module.<name>[key].`` and whose spans stay in the module's own
files. Missing folders and module cycles are located errors.
"""

from __future__ import annotations

import os
from typing import Any, Callable

from iamlint.model.graph import Graph, Resource
from iamlint.model.span import Span
from iamlint.model.values import Known, Unknown, Value
from iamlint.normalize.terraform.config import ModuleConfig
from iamlint.normalize.terraform.data_sources import DATA_NODES
from iamlint.normalize.terraform.evaluate import Evaluator
from iamlint.normalize.terraform.files import module_files, parse_module, read_manifest
from iamlint.normalize.terraform.instances import DEFAULT_CAP, STAND_IN, Expansion, Instance
from iamlint.normalize.terraform.resources import build_node, evaluate_body
from iamlint.normalize.terraform.scope import DataBuilder
from iamlint.normalize.terraform.variables import convert
from iamlint.parsers.terraform.syntax import Block
from iamlint.sources import real_path

MAX_DEPTH = 40
META_ARGUMENTS = {"source", "version", "count", "for_each", "providers", "depends_on"}


class Loader:
    """State shared by every module instance of one root module."""

    def __init__(self, root: str, partition: str, builders: dict[str, DataBuilder],
                 max_instances: int = DEFAULT_CAP, read_roots: tuple[str, ...] = ()) -> None:
        self.root = root
        self.read_roots = read_roots  # file() / templatefile() read inside these folders only
        self.partition = partition
        self.builders = builders
        self.max_instances = max_instances
        self.errors: list = []
        self.reported: set[str] = set()
        self.evaluating: list[str] = []
        self.configs: dict[str, ModuleConfig] = {}
        self.files: list[str] = []
        self.facts: dict[str, Any] = {}  # display path -> the SourceFacts its parse gave
        self.sources: list[str] = []  # every other path read (for the cache): module files and folders, file()
        self.graph = Graph(partition=partition)
        self._manifest: dict[str, str] | None = None
        self.evaluators: list[Evaluator] = []  # every module instance's, until release()

    def evaluator(self, config: ModuleConfig, prefix: str, stack: tuple[str, ...], path: tuple[str, ...]) -> Evaluator:
        evaluator = Evaluator(config, {}, self.partition, prefix, self, stack, path)
        self.evaluators.append(evaluator)
        return evaluator

    def release(self) -> None:
        """Once the graph is built: drop what links module instances both ways (a parent's
        module calls and their children, whose input variables are closures over both), so
        that the evaluators are freed at once, by reference counting, rather than by a pass
        of the cyclic garbage collector examining them with everything they hold. The graph
        holds values only, never an evaluator."""
        for evaluator in self.evaluators:
            evaluator.lazy_variables.clear()
            evaluator.release_calls()
        self.evaluators.clear()

    def config_for(self, directory: str) -> ModuleConfig:
        key = real_path(directory)
        config = self.configs.get(key)
        if config is None:
            files = module_files(directory)
            self.sources.append(directory)
            self.sources.extend(path for path, _ in files)
            parsed = parse_module(files)
            self.errors.extend(parsed.errors)
            self.facts.update(parsed.facts)
            self.files.extend(display for _, display in files)
            config = ModuleConfig.from_files(directory, parsed.trees)
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
    """One ``module "name"`` block of a module instance, with its child instances
    (``reason`` says why there are none: no source, a missing folder, a cycle...)."""

    def __init__(self, loader: Loader, parent: Evaluator, name: str, block: Block) -> None:
        self.loader = loader
        self.parent = parent
        self.name = name
        self.block = block
        self.reason: str | None = None
        self.expansion = Expansion(())
        self.children: dict[Any, Evaluator] = {}  # instance key (None: uncounted, or the stand-in) -> evaluator
        self._open()

    def child(self, instance: Instance) -> Evaluator:
        return self.children[instance.key]

    def evaluators(self) -> list[Evaluator]:
        return list(self.children.values())

    def _fail(self, span: Span, reason: str) -> None:
        self.reason = reason
        self.parent.error(span, reason)

    def _open(self) -> None:
        parent, block, name = self.parent, self.block, self.name
        source_attr = block.body.attributes.get("source")
        if source_attr is None:
            return self._fail(block.span, f"module.{name} has no source")
        source = parent.eval(source_attr.expr)
        if not isinstance(source, Known) or not isinstance(source.value, str):
            return self._fail(source_attr.span, f"the source of module.{name} cannot be evaluated")
        path = parent.module_path + (name,)
        directory = self._directory(source.value, path, source_attr.span)
        if directory is None:
            return None
        real = real_path(directory)
        if real in parent.stack:
            chain = " -> ".join(os.path.relpath(p) for p in parent.stack[parent.stack.index(real):])
            return self._fail(source_attr.span, f"module cycle: module.{name} calls a module that is already "
                                                f"being evaluated ({chain} -> {os.path.relpath(real)})")
        if len(parent.stack) >= MAX_DEPTH:
            return self._fail(source_attr.span, f"module.{name}: modules nested more than {MAX_DEPTH} deep")
        config = self.loader.config_for(directory)
        self.expansion = parent.instances(block, f"module.{name}")
        _stand_in(self.loader.graph, f"{parent.prefix}module.{name}", self.expansion)
        for item in self.expansion.items:
            child = self.loader.evaluator(config, f"{parent.prefix}module.{name}{item.suffix}.", parent.stack + (real,), path)
            self._wire_variables(child, item.env)
            self.children[item.key] = child
        return None

    def _directory(self, source: str, path: tuple[str, ...], span: Span) -> str | None:
        parent = self.parent
        if source.startswith("./") or source.startswith("../") or source in (".", ".."):
            directory = os.path.normpath(os.path.join(parent.config.directory, source))
            if not os.path.isdir(directory):
                self._fail(span, f"module.{self.name}: source folder {source!r} not found ({directory})")
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


def _input(parent: Evaluator, child: Evaluator, name: str, block: Block, expr, env: dict) -> Callable[[], Value]:
    def evaluate() -> Value:
        value = parent.eval(expr, env)
        if isinstance(value, Known) and value.value is None and "default" in block.body.attributes:
            nullable = block.body.attributes.get("nullable")
            flag = child.eval(nullable.expr) if nullable is not None else None
            if isinstance(flag, Known) and flag.value is False:
                return convert(child.eval(block.body.attributes["default"].expr), block, child)
        return convert(value, block, child)

    return evaluate


def _default(child: Evaluator, name: str, block: Block, call: str) -> Callable[[], Value]:
    def evaluate() -> Value:
        default = block.body.attributes.get("default")
        if default is not None:
            return convert(child.eval(default.expr), block, child)
        return Unknown(f"var.{name} is not set by module.{call} and has no default", block.span)

    return evaluate


def _stand_in(graph: Graph, address: str, expansion: Expansion) -> None:
    """Record how many instances the ``[*]`` stand-in of ``address`` stands for."""
    if expansion.beyond is not None:
        graph.stand_ins[address + STAND_IN] = (len(expansion.beyond.keys), len(expansion.items) - 1)


def instantiate(evaluator: Evaluator, graph: Graph) -> None:
    """Add the nodes of one module instance and, recursively, of its module calls."""
    config = evaluator.config
    for address, block in config.resources.items():
        expansion = evaluator.instances(block, address)
        _stand_in(graph, evaluator.prefix + address, expansion)
        for item in expansion.items:
            graph.add(build_node(evaluator, evaluator.prefix + address + item.suffix, block, item.env))
    for address, block in config.data.items():
        if block.labels and block.labels[0] in DATA_NODES:
            expansion = evaluator.instances(block, f"data.{address}")
            for item in expansion.items:
                node_address = f"{evaluator.prefix}data.{address}{item.suffix}"
                graph.add(Resource(node_address, f"data.{block.labels[0]}", block.span,
                                   evaluate_body(evaluator, block.body, block.span, item.env)))
    for block in config.providers:
        if block.labels and block.labels[0] == "aws":
            values = evaluate_body(evaluator, block.body, block.span)
            alias = values.get("alias")
            suffix = f".{alias.value}" if isinstance(alias, Known) and isinstance(alias.value, str) else ""
            graph.add(Resource(f"{evaluator.prefix}provider.aws{suffix}", "provider.aws", block.span, values))
    for name in config.modules:
        call = evaluator.module_call(name)
        if not isinstance(call, ModuleCall):
            continue  # None: the call cannot be made
        for child in call.evaluators():
            instantiate(child, graph)
    # Terraform evaluates every local and output: their cycles are errors even when unused
    for name, attribute in config.locals.items():
        evaluator.local(name, attribute.span)
    for name, block in config.outputs.items():
        evaluator.output(name, block.span)
