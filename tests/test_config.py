"""Configuration files in a temporary repository change what is reported exactly as
docs/configuration.md says: discovery, precedence, every key, and the error messages."""

from __future__ import annotations

import json
import os
import re
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from iamlint.cli import main
from iamlint.config import KEYS, ConfigError, Settings, find_config, layer_from_table, read_file
from iamlint.model.findings import Severity
from iamlint.registry import load_rules

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

DOCS = Path(__file__).resolve().parent.parent / "docs" / "configuration.md"
REGISTRY = load_rules()

# EC2001 (error) on line 1 and EC2003 (warning: IMDSv1 allowed) for the same instance
BARE = 'resource "aws_instance" "bare" {\n  ami = "ami-1"\n}\n'


@pytest.fixture
def repo(tmp_path, monkeypatch):
    (tmp_path / ".git").mkdir()
    for folder in ("infra", "legacy", "modules/box"):
        (tmp_path / folder).mkdir(parents=True)
        (tmp_path / folder / "main.tf").write_text(BARE, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")


def check(*args: str) -> tuple[int, set[tuple[str, str, str]], str]:
    """Exit code, {(rule, directory, severity)}, stderr of ``iamlint check . --format json``."""
    result = CliRunner().invoke(main, ["check", *args, "--format", "json", "--no-cache"])
    if result.exit_code == 2 and not result.stdout.strip().startswith("{"):
        return 2, set(), result.stderr
    document = json.loads(result.stdout)
    found = {(f["rule"], os.path.dirname(os.path.relpath(f["path"])), f["severity"]) for f in document["findings"]}
    return result.exit_code, found, result.stderr


def rules_in(found, directory: str) -> set[str]:
    return {rule for rule, folder, _ in found if folder == directory}


def test_without_configuration_everything_is_reported(repo):
    code, found, _ = check(".")
    assert code == 1
    for folder in ("infra", "legacy", os.path.join("modules", "box")):
        assert rules_in(found, folder) == {"EC2001", "EC2003"}


def test_pyproject_table_applies_below_it(repo):
    write(repo / "pyproject.toml", '[project]\nname = "x"\n\n[tool.iamlint]\nignore = ["imdsv1-allowed"]\n')
    _, found, _ = check(".")
    assert {rule for rule, _, _ in found} == {"EC2001"}


def test_closest_file_wins_without_merging(repo):
    write(repo / "iamlint.toml", 'ignore = ["EC2003"]\n')
    write(repo / "infra" / ".iamlint.toml", 'select = ["EC2003"]\n')
    _, found, _ = check(".")
    assert rules_in(found, "infra") == {"EC2003"}
    assert rules_in(found, "legacy") == {"EC2001"}


def test_file_order_in_one_directory(repo):
    write(repo / "pyproject.toml", '[tool.iamlint]\nselect = ["EC2001"]\n')
    write(repo / "iamlint.toml", 'select = ["EC2003"]\n')
    assert find_config(str(repo / "infra")) == str(repo / "iamlint.toml")
    write(repo / ".iamlint.toml", 'select = ["EC2001"]\n')
    assert find_config(str(repo / "infra")) == str(repo / ".iamlint.toml")


def test_pyproject_without_table_is_skipped(repo):
    write(repo / "iamlint.toml", 'ignore = ["EC2003"]\n')
    write(repo / "infra" / "pyproject.toml", '[project]\nname = "x"\n')
    assert find_config(str(repo / "infra")) == str(repo / "iamlint.toml")


def test_discovery_stops_at_the_repository_root(repo, tmp_path_factory):
    assert find_config(str(repo / "infra")) is None


def test_select_by_prefix_and_extend_select(repo):
    write(repo / "iamlint.toml", 'select = ["IAM"]\nextend-select = ["instance-without-profile"]\n')
    _, found, _ = check(".")
    assert {rule for rule, _, _ in found} == {"EC2001"}


def test_severity_override_changes_severity_and_exit_code(repo):
    write(repo / "iamlint.toml", 'select = ["EC2001"]\n[severity]\ninstance-without-profile = "warning"\n')
    code, found, _ = check(".")
    assert code == 0 and {severity for _, _, severity in found} == {"warning"}


def test_fail_on_in_the_file_and_cli_wins(repo):
    write(repo / "iamlint.toml", 'select = ["EC2003"]\nfail-on = "warning"\n')
    assert check(".")[0] == 1
    assert check(".", "--fail-on", "error")[0] == 0


def test_exclude_and_extend_exclude(repo):
    write(repo / "iamlint.toml", 'exclude = ["legacy"]\nextend-exclude = ["modules/**"]\n')
    _, found, _ = check(".")
    assert {folder for _, folder, _ in found} == {"infra"}
    # explicitly passed files are excluded too (pre-commit passes file names)
    assert check("legacy/main.tf")[1] == set()


def test_per_file_ignores(repo):
    write(repo / "iamlint.toml", '[per-file-ignores]\n"modules/**/*.tf" = ["EC2001"]\n"legacy/main.tf" = ["ALL"]\n')
    _, found, _ = check(".")
    assert rules_in(found, os.path.join("modules", "box")) == {"EC2003"}
    assert rules_in(found, "legacy") == set()
    assert rules_in(found, "infra") == {"EC2001", "EC2003"}


def test_cli_select_beats_the_file(repo):
    write(repo / "iamlint.toml", 'ignore = ["EC2001"]\n')
    _, found, _ = check(".", "--select", "EC2001")
    assert {rule for rule, _, _ in found} == {"EC2001"}
    _, found, _ = check(".", "--extend-select", "EC2001")
    assert {rule for rule, _, _ in found} == {"EC2001", "EC2003"}


def test_config_option_and_isolated(repo):
    write(repo / "iamlint.toml", 'ignore = ["EC2001"]\n')
    write(repo / "ci" / "strict.toml", 'select = ["EC2001"]\n')
    assert {r for r, _, _ in check(".", "--config", "ci/strict.toml")[1]} == {"EC2001"}
    assert {r for r, _, _ in check(".", "--isolated")[1]} == {"EC2001", "EC2003"}


def test_partition_and_var_files_reach_the_unit_options(repo):
    write(repo / "infra" / "iamlint.toml", 'partition = "aws-cn"\nvar-files = ["prod.tfvars"]\n')
    from iamlint.engine import Options

    settings = Settings(REGISTRY)
    options = settings.unit_options(Options(var_files=["cli.tfvars"]), str(repo / "infra"))
    assert options.partition == "aws-cn"
    assert options.var_files == [str(repo / "infra" / "prod.tfvars"), "cli.tfvars"]
    assert settings.unit_options(Options(), str(repo / "legacy")).partition == "aws"


@pytest.mark.parametrize(
    "text, key, expected",
    [
        ('selct = ["EC2001"]\n', "selct", "did you mean 'select'"),
        ('plugins = ["my.module"]\n', "plugins", "unknown key"),
        ('select = ["EC9999"]\n', "select", "unknown rule 'EC9999'"),
        ('select = "EC2001"\nignore = 3\n', "ignore", "expected a list of rule codes"),
        ('[severity]\nEC2001 = "fatal"\n', "severity.EC2001", "expected error, warning or note"),
        ('[severity]\nnot-a-rule = "note"\n', "severity.not-a-rule", "unknown rule"),
        ('fail-on = "high"\n', "fail-on", "unknown severity"),
        ('partition = "mars"\n', "partition", "expected one of aws, aws-cn, aws-us-gov"),
        ('[per-file-ignores]\n"*.tf" = ["XX1"]\n', 'per-file-ignores."*.tf"', "unknown rule 'XX1'"),
    ],
)
def test_errors_name_file_key_and_expectation(repo, text, key, expected):
    """A bad configuration file of the tree is a located input error in the report (exit
    2); the paths it governs are checked with the defaults (issue 12 item 8)."""
    write(repo / "iamlint.toml", text)
    code, found, errors = check_report(".")
    assert code == 2
    (error,) = errors
    assert error["path"] == "iamlint.toml" and error["message"].startswith(f"{key}: "), error
    assert expected in error["message"], error
    line = len(text.splitlines())  # each case's offending key is on its last line
    assert error["line"] == line, error
    assert rules_in(found, "infra") == {"EC2001", "EC2003"}  # the defaults


def test_pyproject_keys_are_shown_with_their_table(repo):
    write(repo / "pyproject.toml", '[tool.iamlint]\nextend_select = ["EC2001"]\n')
    code, _, errors = check_report(".")
    (error,) = errors
    assert code == 2 and error["message"].startswith("tool.iamlint.extend_select: unknown key")
    assert "'extend-select'" in error["message"] and error["line"] == 2


def test_invalid_toml_is_a_configuration_error(repo):
    write(repo / "iamlint.toml", "select = [\n")
    code, found, errors = check_report(".")
    assert code == 2 and errors[0]["path"] == "iamlint.toml" and errors[0]["message"].startswith("invalid TOML")
    assert errors[0]["line"] == 2 and rules_in(found, "infra") == {"EC2001", "EC2003"}


def test_a_bad_nested_configuration_affects_its_own_folder_only(repo):
    """One unknown key in a nested file: its folder is checked with the defaults, every
    other folder with its own configuration, and the error is in the JSON report."""
    write(repo / "iamlint.toml", 'ignore = ["EC2003"]\n')
    write(repo / "legacy" / ".iamlint.toml", 'select = ["EC2001"]\nunknown-key = 1\n')
    code, found, errors = check_report(".")
    assert code == 2
    assert [(e["path"], e["line"]) for e in errors] == [(os.path.join("legacy", ".iamlint.toml"), 2)]
    assert rules_in(found, "infra") == {"EC2001"} and rules_in(found, "modules/box") == {"EC2001"}
    assert rules_in(found, "legacy") == {"EC2001", "EC2003"}  # defaults, not the root file's


def test_a_bad_command_line_configuration_is_still_a_usage_error(repo):
    write(repo / "custom.toml", "selct = 1\n")
    code, found, stderr = check("--config", "custom.toml", ".")
    assert code == 2 and found == set() and "selct: unknown key" in stderr


def check_report(*args: str) -> tuple[int, set[tuple[str, str, str]], list[dict]]:
    """Exit code, {(rule, directory, severity)} and the errors of the JSON report."""
    result = CliRunner().invoke(main, ["check", *args, "--format", "json", "--no-cache"])
    document = json.loads(result.stdout)
    found = {(f["rule"], os.path.dirname(os.path.relpath(f["path"])), f["severity"]) for f in document["findings"]}
    return result.exit_code, found, document["errors"]


def test_unknown_rule_on_the_command_line_is_a_usage_error(repo):
    result = CliRunner().invoke(main, ["check", ".", "--select", "EC9999"])
    assert result.exit_code == 2 and "unknown rule 'EC9999'" in result.output


# ---------------------------------------------------------------- the documentation

def _doc_blocks() -> list[str]:
    return re.findall(r"```toml\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.DOTALL)


def test_every_key_is_documented():
    text = DOCS.read_text(encoding="utf-8")
    for key in KEYS:
        assert f"`{key}`" in text, f"docs/configuration.md does not describe {key}"


def test_documented_examples_are_valid_configurations(tmp_path):
    blocks = _doc_blocks()
    assert blocks
    for block in blocks:
        document = tomllib.loads(block)
        table = document.get("tool", {}).get("iamlint", document)
        try:
            layer_from_table(REGISTRY, table, "docs/configuration.md", str(tmp_path))
        except ConfigError as exc:  # pragma: no cover - the message is the failure
            pytest.fail(f"documented example is invalid: {exc}\n{block}")


def test_read_file_returns_none_for_foreign_pyproject(tmp_path):
    write(tmp_path / "pyproject.toml", "[tool.black]\nline-length = 100\n")
    assert read_file(REGISTRY, str(tmp_path / "pyproject.toml")) is None


def test_combined_severity_defaults(repo):
    effective = Settings(REGISTRY).for_path(str(repo / "infra"))
    assert effective.fail_on is Severity.ERROR and effective.partition == "aws" and effective.config is None


@pytest.mark.parametrize(
    "pattern, path, matches",
    [
        ("legacy", "legacy/main.tf", True),
        ("legacy", "a/b/legacy/c/main.tf", True),
        ("legacy", "legacy-old/main.tf", False),
        ("*.yaml", "deep/er/t.yaml", True),
        ("modules/**/test_*.tf", "modules/a/b/test_x.tf", True),
        ("modules/**/test_*.tf", "modules/test_x.tf", True),
        ("modules/*.tf", "modules/a/b.tf", False),
        ("modules/a", "modules/a/b/c.tf", True),
        ("sub/main.tf", "other/sub/main.tf", False),
        ("**/{tests,docs}/*", "x/docs/a.tf", True),
        ("**/{tests,docs}/*", "x/src/a.tf", False),
        ("env-[!p]*", "env-dev/main.tf", True),
        ("env-[!p]*", "env-prod/main.tf", False),
        ("?.tf", "a.tf", True),
    ],
)
def test_glob_semantics_as_documented(tmp_path, pattern, path, matches):
    from iamlint.config import Glob

    assert Glob.compile(pattern, str(tmp_path)).matches(str(tmp_path / path)) is matches


def test_config_option_with_a_foreign_pyproject_is_an_error(repo):
    write(repo / "ci" / "pyproject.toml", "[tool.black]\nline-length = 100\n")
    code, _, stderr = check(".", "--config", "ci/pyproject.toml")
    assert code == 2 and "ci/pyproject.toml: tool.iamlint: no [tool.iamlint] table" in stderr
