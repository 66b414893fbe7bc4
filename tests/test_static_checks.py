"""The static checks of pyproject.toml, run as a developer or CI would: mypy ([tool.mypy]:
strict for the seams, default mode elsewhere) and ruff ([tool.ruff]), both with 0 findings.

Each check runs in a fresh interpreter with its cache in a scratch folder (a clean clone
has none, and the checkout is never written to). The checks must be able to fail: the
last tests break a copy of the package, or a scratch file, and see them fail."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import mypy  # noqa: F401 -- in the test extra: the check must not silently vanish
import pytest
import ruff  # noqa: F401 -- idem

ROOT = Path(__file__).resolve().parent.parent
LINTED = ["iamlint", "tests", "tools", "benchmarks"]


@pytest.fixture(scope="module")
def mypy_cache(tmp_path_factory) -> Path:
    """One mypy cache for this module's runs: the copy reuses what the checkout's run cached."""
    return tmp_path_factory.mktemp("mypy-cache")


def run_mypy(root: Path, cache: Path) -> subprocess.CompletedProcess:
    # the files and settings come from root/pyproject.toml ([tool.mypy] files = ["iamlint"])
    args = [sys.executable, "-m", "mypy", "--cache-dir", str(cache), "--no-color-output", "--no-error-summary"]
    return subprocess.run(args, cwd=root, capture_output=True, text=True, timeout=600)


def run_ruff(root: Path, *paths: str) -> subprocess.CompletedProcess:
    args = [sys.executable, "-m", "ruff", "check", "--no-cache", "--output-format", "concise", *paths]
    return subprocess.run(args, cwd=root, capture_output=True, text=True, timeout=300)


def test_mypy_reports_no_error(mypy_cache):
    done = run_mypy(ROOT, mypy_cache)
    assert done.returncode == 0, "mypy found errors:\n" + done.stdout + done.stderr
    assert done.stdout == "", done.stdout


def test_ruff_reports_no_finding():
    done = run_ruff(ROOT, *LINTED)
    assert done.returncode == 0, "ruff found problems:\n" + done.stdout + done.stderr


def test_mypy_is_strict_for_the_seams_and_default_elsewhere(tmp_path, mypy_cache):
    shutil.copytree(ROOT / "iamlint", tmp_path / "iamlint", ignore=shutil.ignore_patterns("__pycache__", "data"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    untyped = "\n\ndef _untyped(value):\n    return value\n"
    for module in ("model/span.py", "formats/base.py", "plugin.py", "registry.py", "discovery.py"):
        path = tmp_path / "iamlint" / module
        path.write_text(path.read_text(encoding="utf-8") + untyped, encoding="utf-8")
    engine = tmp_path / "iamlint" / "engine.py"
    engine.write_text(engine.read_text(encoding="utf-8") + '\n\nWRONG: int = "not an int"\n', encoding="utf-8")
    done = run_mypy(tmp_path, mypy_cache)
    assert done.returncode == 1, done.stdout + done.stderr
    flagged = {line.split(":")[0] for line in done.stdout.splitlines() if "missing a type annotation" in line}
    # strict (disallow_untyped_defs) for the seams only; discovery is checked in default mode
    assert flagged == {"iamlint/model/span.py", "iamlint/formats/base.py", "iamlint/plugin.py", "iamlint/registry.py"}
    assert "iamlint/engine.py" in done.stdout and "[assignment]" in done.stdout, done.stdout


def test_ruff_finds_what_the_rule_set_covers(tmp_path):
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    (tmp_path / "bad.py").write_text(
        "import os\n\n\ndef f(items=[]):\n    return {x: 0 for x in items}\n", encoding="utf-8")
    done = run_ruff(tmp_path, "bad.py")
    assert done.returncode == 1, done.stdout + done.stderr
    for code in ("F401", "B006", "C420"):  # unused import, mutable default, dict.fromkeys
        assert code in done.stdout, done.stdout
