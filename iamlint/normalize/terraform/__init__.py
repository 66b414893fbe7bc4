"""Terraform: the .tf / .tf.json files of one root module (and the modules it calls) -> one graph.

The entry point is :func:`load_module` (a plan JSON file: ``plan.load_plan``). The rest of
the package, in the order data flows: ``root`` (the unit), ``files`` (list, read, parse), ``config`` (index a
module's blocks), ``variables`` (root variables) and ``types``, ``modules`` (module calls,
one evaluator per instance), ``scope`` + ``instances`` (a module instance's named values
and count/for_each), ``evaluate`` (expressions), ``references``, ``operators``,
``functions/``, ``data_sources`` + ``policy_document``, ``resources`` (blocks -> nodes).
"""

from __future__ import annotations

from typing import Any

from iamlint.model.units import UnitResult

__all__ = ["load_module"]


def load_module(directory: str, files: list[tuple[str, str]], options: Any) -> UnitResult:
    """The graph of the Terraform root module in ``directory`` (``files``: its files as
    (path, display path)) and the modules it calls."""
    # start-up: importing this package (plan-file detection, plan units) must not load the
    # evaluator and the HCL parser (lark, hcl2); a Terraform unit loads them here
    from iamlint.normalize.terraform.root import load_root

    return load_root(directory, files, options)
