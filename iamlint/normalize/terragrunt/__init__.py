"""Terragrunt units: a folder's ``terragrunt.hcl`` (and the parents it includes) names a
Terraform module and its inputs; the module is evaluated by the Terraform normaliser.
``config`` reads and evaluates the configuration, ``unit`` finds the module and loads it.
"""

from __future__ import annotations

from typing import Any

from iamlint.model.units import UnitResult

__all__ = ["load_unit"]


def load_unit(directory: str, options: Any) -> UnitResult | None:
    """The graph of the Terragrunt unit in ``directory`` (None: a parent configuration
    that names no module)."""
    # start-up: the evaluator and the HCL parser load only when a unit is loaded
    from iamlint.normalize.terragrunt.unit import load_unit as load

    return load(directory, options)
