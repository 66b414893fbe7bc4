"""The example third-party rule package (examples/iamlint-plugin-example) installs with
pip, its rule shows up in `iamlint rules`, fires through `iamlint check`, and its own
tests (written with iamlint.testing) pass. The package is installed into a temporary
directory, never into the running environment."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "iamlint-plugin-example"


def _pip_install(source: Path, target: Path) -> subprocess.CompletedProcess:
    base = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--disable-pip-version-check", "--target", str(target)]
    offline = subprocess.run([*base, "--no-build-isolation", str(source)], capture_output=True, text=True)
    if offline.returncode == 0:
        return offline
    return subprocess.run([*base, str(source)], capture_output=True, text=True)  # fetches setuptools to build


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("plugin")
    source = work / "src"
    shutil.copytree(EXAMPLE, source, ignore=shutil.ignore_patterns("build", "*.egg-info", ".pytest_cache", "__pycache__"))
    target = work / "site"
    result = _pip_install(source, target)
    if result.returncode != 0:
        if importlib.util.find_spec("setuptools") is not None:  # it could build: the example is broken
            pytest.fail(f"the example plugin does not build: {result.stderr[-500:]}")
        pytest.skip(f"setuptools is not installed, so pip cannot build the example plugin: {result.stderr[-500:]}")
    return target


def _run(args: list[str], site: Path | None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, NO_COLOR="1")
    env.pop("PYTHONPATH", None)
    if site is not None:
        env["PYTHONPATH"] = str(site)
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=300)


def test_rule_is_listed_only_when_installed(site):
    listed = _run(["-m", "iamlint", "rules"], site)
    assert listed.returncode == 0, listed.stderr
    assert any(line.split()[:3] == ["EXA001", "instance-role-without-boundary", "warning"] for line in listed.stdout.splitlines())
    assert listed.stderr == ""  # no plugin load error
    if importlib.util.find_spec("iamlint_plugin_example") is None:  # CI may also install it in the environment
        assert "EXA001" not in _run(["-m", "iamlint", "rules"], None).stdout


def test_rule_is_explained(site):
    result = _run(["-m", "iamlint", "rules", "--explain", "instance-role-without-boundary"], site)
    assert result.returncode == 0 and "## What it checks" in result.stdout


def test_rule_fires_through_the_cli(site):
    fixtures = EXAMPLE / "tests" / "fixtures"
    result = _run(["-m", "iamlint", "check", str(fixtures), "--select", "EXA001", "--format", "json", "--no-cache", "--isolated"], site)
    assert result.returncode == 0, result.stderr  # a warning does not fail by default
    found = {(Path(f["path"]).name, f["line"], f["rule"]) for f in json.loads(result.stdout)["findings"]}
    assert found == {("main.tf", 11, "EXA001"), ("template.yaml", 3, "EXA001")}
    sarif = _run(["-m", "iamlint", "check", str(fixtures), "--select", "EXA001", "--format", "sarif", "--no-cache", "--isolated"], site)
    rules = json.loads(sarif.stdout)["runs"][0]["tool"]["driver"]["rules"]
    assert "EXA001" in {r["id"] for r in rules}


def test_the_plugins_own_tests_pass(site, tmp_path):
    tests = tmp_path / "tests"
    shutil.copytree(EXAMPLE / "tests", tests)
    result = _run(["-m", "pytest", "-q", "-p", "no:cacheprovider", str(tests)], site, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 passed" in result.stdout
