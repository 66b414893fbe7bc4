"""The architecture contracts of pyproject.toml ([tool.importlinter]), checked by
import-linter: layers, rules through the plugin API only, no import cycles. Each check
runs ``lint-imports`` in a fresh interpreter, as a developer or CI would.

The contract must be able to fail: the last tests copy the package, add an upward
import, a cycle, or a rule importing the model directly, and see the check fail."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import importlinter  # noqa: F401 -- in the test extra: the check must not silently vanish
import pytest

ROOT = Path(__file__).resolve().parent.parent
CONTRACTS = ["layers", "rules-use-the-plugin-api", "no-cycles", "no-cycles-terraform-evaluator"]
RUNNER = "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"


def lint_imports(root: Path, *contracts: str) -> subprocess.CompletedProcess:
    args = [sys.executable, "-c", RUNNER, "--no-cache", "--no-logo", str(root / "pyproject.toml")]
    for contract in contracts:
        args += ["--contract", contract]
    # the package found first on sys.path is the one under `root` (a copy in some tests)
    env = {"PYTHONPATH": str(root), "PATH": "", "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run(args, cwd=root, env=env, capture_output=True, text=True, timeout=300)


def test_the_import_contracts_are_kept():
    done = lint_imports(ROOT, *CONTRACTS)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"Contracts: {len(CONTRACTS)} kept, 0 broken." in done.stdout


@pytest.fixture
def copy(tmp_path) -> Path:
    """The package, its pyproject.toml and the contract types, in a scratch folder."""
    shutil.copytree(ROOT / "iamlint", tmp_path / "iamlint", ignore=shutil.ignore_patterns("__pycache__", "data"))
    shutil.copytree(ROOT / "tools", tmp_path / "tools", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def _append(path: Path, line: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + "\n" + line + "\n", encoding="utf-8")


def test_the_copy_is_checked_and_kept(copy):
    done = lint_imports(copy, *CONTRACTS)
    assert done.returncode == 0, done.stdout + done.stderr


def test_an_upward_import_breaks_the_layers(copy):
    _append(copy / "iamlint" / "model" / "span.py", "from iamlint.engine import run  # upward: model -> engine")
    done = lint_imports(copy, "layers")
    assert done.returncode == 1, done.stdout
    assert "iamlint.model.span -> iamlint.engine" in done.stdout


def test_a_parser_importing_the_rules_breaks_the_layers(copy):
    _append(copy / "iamlint" / "parsers" / "jsonpos.py", "import iamlint.rules.wildcard_action  # upward")
    done = lint_imports(copy, "layers")
    assert done.returncode == 1, done.stdout


def test_a_package_init_cycle_breaks_the_no_cycles_contract(copy):
    _append(copy / "iamlint" / "knowledge" / "catalog.py", "from iamlint.knowledge import DATA_DIR as _again")
    done = lint_imports(copy, "no-cycles")
    assert done.returncode == 1, done.stdout
    assert "iamlint.knowledge.catalog -> iamlint.knowledge" in done.stdout


def test_a_rule_importing_the_model_breaks_the_plugin_contract(copy):
    _append(copy / "iamlint" / "rules" / "wildcard_action.py", "from iamlint.model.graph import Role as _Role")
    done = lint_imports(copy, "rules-use-the-plugin-api")
    assert done.returncode == 1, done.stdout


def test_a_new_module_outside_the_layers_breaks_the_contract(copy):
    (copy / "iamlint" / "stray.py").write_text('"""Not placed in any layer."""\n', encoding="utf-8")
    done = lint_imports(copy, "layers")
    assert done.returncode == 1, done.stdout
    assert "stray" in done.stdout
