"""Find the files to check and group them into units (a Terraform module directory, a template).

Directories are walked in sorted order, skipping .git, .terraform, node_modules and
hidden folders. A single .tf file given on its own brings its whole module directory
(references across files must resolve) but only findings located in the given files
are reported: that is what a pre-commit hook passing file names needs.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

SKIP_DIRS = {".git", ".terraform", "node_modules", "__pycache__"}
TEMPLATE_SUFFIXES = (".yaml", ".yml", ".json", ".template")


@dataclass(slots=True)
class Unit:
    """Files that are evaluated together. ``files`` are (filesystem path, display path);
    ``only`` restricts reported findings to these display paths (None: report all)."""

    kind: str
    root: str
    files: list[tuple[str, str]] = field(default_factory=list)
    only: set[str] | None = None


def is_terraform(name: str) -> bool:
    return name.endswith(".tf") or name.endswith(".tf.json")


def is_template_candidate(name: str) -> bool:
    lower = name.lower()
    if lower.endswith(".tf.json") or lower.endswith(".tfvars.json"):
        return False
    return lower.endswith(TEMPLATE_SUFFIXES) or ".cfn." in lower


def discover(paths: list[str]) -> tuple[list[Unit], list[str]]:
    """Units to check, and the arguments that do not exist."""
    modules: dict[str, Unit] = {}
    templates: dict[str, Unit] = {}
    missing: list[str] = []
    for arg in paths:
        if os.path.isdir(arg):
            _walk(arg, modules, templates)
        elif os.path.isfile(arg):
            _single(arg, modules, templates)
        else:
            missing.append(arg)
    units = sorted(modules.values(), key=lambda u: u.root) + sorted(templates.values(), key=lambda u: u.root)
    return units, missing


def _walk(top: str, modules: dict[str, Unit], templates: dict[str, Unit]) -> None:
    for folder, dirs, names in os.walk(top):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
        tf = sorted(n for n in names if is_terraform(n))
        if tf:
            unit = modules.setdefault(_key(folder), Unit("terraform", folder))
            unit.only = None
            unit.files = [(os.path.join(folder, n), os.path.join(folder, n)) for n in tf]
        for name in sorted(names):
            if is_template_candidate(name):
                path = os.path.join(folder, name)
                templates.setdefault(_key(path), Unit(_template_kind(path), path, [(path, path)]))


def _single(arg: str, modules: dict[str, Unit], templates: dict[str, Unit]) -> None:
    name = os.path.basename(arg)
    if is_terraform(name) or name.endswith(".tfvars") or name.endswith(".tfvars.json"):
        folder = os.path.dirname(arg)
        key = _key(folder or ".")
        unit = modules.get(key)
        if unit is None:
            siblings = sorted(n for n in os.listdir(folder or ".") if is_terraform(n))
            unit = Unit("terraform", folder or ".", [(os.path.join(folder, n), os.path.join(folder, n)) for n in siblings], set())
            modules[key] = unit
        if unit.only is not None:
            unit.only.add(os.path.normpath(arg))
    elif is_template_candidate(name):
        templates.setdefault(_key(arg), Unit(_template_kind(arg), arg, [(arg, arg)]))


def _template_kind(path: str) -> str:
    """"plan" for a Terraform plan JSON (detected by content), else "cloudformation"."""
    if path.lower().endswith(".json"):
        from iamlint.normalize.terraform.plan import is_plan_file

        if is_plan_file(path):
            return "plan"
    return "cloudformation"


def _key(path: str) -> str:
    return os.path.realpath(path)
