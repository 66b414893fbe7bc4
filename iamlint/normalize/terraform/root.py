"""The root module of a Terraform unit: parse its files, set its input variables,
evaluate it and the modules it calls into one graph."""

from __future__ import annotations

import os
from typing import Any

from iamlint.model.units import UnitResult
from iamlint.model.values import Unknown, Value
from iamlint.normalize.terraform.config import ModuleConfig
from iamlint.normalize.terraform.data_sources import BUILDERS
from iamlint.normalize.terraform.files import parse_module
from iamlint.normalize.terraform.instances import DEFAULT_CAP
from iamlint.normalize.terraform.modules import Loader, instantiate
from iamlint.normalize.terraform.variables import root_variables
from iamlint.parsers.terraform.errors import deep_recursion
from iamlint.sources import real_path, repository_root


def load_root(directory: str, files: list[tuple[str, str]], options: Any, inputs: dict[str, Value] | Unknown | None = None,
              prefix: str = "") -> UnitResult:
    """``inputs``: variable values set as ``TF_VAR_*`` would (a Terragrunt unit's
    ``inputs``); ``prefix``: the start of every address (a Terragrunt unit's name)."""
    with deep_recursion():
        return _load_module(directory, files, options, inputs, prefix)


def _load_module(directory: str, files: list[tuple[str, str]], options: Any, inputs: dict[str, Value] | Unknown | None = None,
                 prefix: str = "") -> UnitResult:
    partition = getattr(options, "partition", "aws")
    loader = Loader(directory, partition, dict(BUILDERS), getattr(options, "max_instances", DEFAULT_CAP),
                    tuple(getattr(options, "read_roots", ())) or (repository_root(directory),))
    parsed = parse_module(files)
    loader.errors.extend(parsed.errors)
    loader.facts.update(parsed.facts)
    config = ModuleConfig.from_files(directory, parsed.trees)
    real = real_path(directory)
    loader.configs[real] = config
    root = loader.evaluator(config, prefix, (real,), ())
    undeclared: list[str] = []
    values, var_errors, var_files = root_variables(config, root, directory, options, undeclared, inputs)
    root.variables.update(values)
    loader.errors.extend(var_errors)
    graph = loader.graph
    instantiate(root, graph)
    shown = [display for _, display in files] + var_files
    shown += [f for f in loader.files if f not in shown]
    own = {path for path, _ in files}
    sources = [directory] + [p for p in var_files + loader.sources if p not in own]
    sources.append(os.path.join(directory, ".terraform", "modules", "modules.json"))
    facts = {path: loader.facts[path] for path in shown if path in loader.facts}
    loader.release()
    return UnitResult(graph, shown, loader.errors, sources=list(dict.fromkeys(sources)), undeclared_vars=undeclared,
                      facts=facts)
