"""Terraform: the .tf / .tf.json files of one root module (and the modules it calls) -> one graph.

The entry point is :func:`load_module` (a plan JSON file: ``plan.load_plan``). The rest of
the package, in the order data flows: ``files`` (list, read, parse), ``config`` (index a
module's blocks), ``variables`` (root variables) and ``types``, ``modules`` (module calls,
one evaluator per instance), ``scope`` + ``instances`` (a module instance's named values
and count/for_each), ``evaluate`` (expressions), ``references``, ``operators``,
``functions/``, ``data_sources`` + ``policy_document``, ``resources`` (blocks -> nodes).
"""

from __future__ import annotations

import os
from typing import Any

from iamlint.normalize.base import UnitResult
from iamlint.normalize.terraform.config import ModuleConfig
from iamlint.normalize.terraform.data_sources import BUILDERS
from iamlint.normalize.terraform.files import parse_files
from iamlint.normalize.terraform.modules import Loader, instantiate
from iamlint.normalize.terraform.variables import root_variables

__all__ = ["load_module"]


def load_module(directory: str, files: list[tuple[str, str]], options: Any) -> UnitResult:
    # start-up: hcl.py loads lark and hcl2; this module is imported before any parse is needed
    from iamlint.parsers.terraform.hcl import deep_recursion

    with deep_recursion():
        return _load_module(directory, files, options)


def _load_module(directory: str, files: list[tuple[str, str]], options: Any) -> UnitResult:
    partition = getattr(options, "partition", "aws")
    loader = Loader(directory, partition, dict(BUILDERS))
    parsed, errors = parse_files(files)
    loader.errors.extend(errors)
    config = ModuleConfig.from_files(directory, parsed)
    loader.configs[os.path.realpath(directory)] = config
    root = loader.evaluator(config, "", (os.path.realpath(directory),), ())
    values, var_errors, var_files = root_variables(config, root, directory, options)
    root.variables.update(values)
    loader.errors.extend(var_errors)
    graph = loader.graph
    instantiate(root, graph)
    shown = [display for _, display in files] + var_files
    shown += [f for f in loader.files if f not in shown]
    own = {path for path, _ in files}
    sources = [directory] + [p for p in var_files + loader.sources if p not in own]
    sources.append(os.path.join(directory, ".terraform", "modules", "modules.json"))
    return UnitResult(graph, shown, loader.errors, sources=list(dict.fromkeys(sources)))
