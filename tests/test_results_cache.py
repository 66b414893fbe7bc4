"""The results cache (iamlint.results): a warm run reports exactly what a cold run
reports, and an input change re-checks exactly the units that depend on it."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

import iamlint.engine as engine
from iamlint import cache as cache_module
from iamlint.cache import UnitCache
from iamlint.cli import main
from iamlint.engine import Options, run
from iamlint.model.findings import Rule, Severity
from iamlint.registry import load_plugins
from iamlint.results import ResultCache, rules_fingerprint

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

ROLE = """
variable "action" {
  type = string
}

resource "aws_iam_role" "r" {
  name               = "r"
  assume_role_policy = jsonencode({Version = "2012-10-17", Statement = [{Effect = "Allow", Action = "sts:AssumeRole", Principal = {Service = "ec2.amazonaws.com"}}]})
}

resource "aws_iam_role_policy" "p" {
  role   = aws_iam_role.r.id
  policy = jsonencode({Version = "2012-10-17", Statement = [{Effect = "Allow", Action = var.action, Resource = "*"}]})
}

resource "aws_iam_instance_profile" "p" {
  role = aws_iam_role.r.name
}

output "profile" {
  value = aws_iam_instance_profile.p.name
}
"""

APP = """
variable "action" {
  type    = string
  default = "s3:GetObject"
}

module "role" {
  source = "../modules/role"
  action = var.action
}

resource "aws_instance" "web" {
  ami                  = "ami-123"
  iam_instance_profile = module.role.profile
}
"""

OTHER = """
resource "aws_iam_role" "r" {
  name               = "r"
  assume_role_policy = jsonencode({Version = "2012-10-17", Statement = [{Effect = "Allow", Action = "sts:AssumeRole", Principal = {Service = "ec2.amazonaws.com"}}]})
}

resource "aws_iam_role_policy" "p" {
  role   = aws_iam_role.r.id
  policy = jsonencode({Version = "2012-10-17", Statement = [{Effect = "Allow", Action = "ec2:*", Resource = "*"}]})
}

resource "aws_iam_instance_profile" "p" {
  role = aws_iam_role.r.name
}

resource "aws_instance" "web" {
  ami                  = "ami-123"
  iam_instance_profile = aws_iam_instance_profile.p.name
}
"""


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("IAMLINT_CACHE_DIR", str(folder))
    return folder


@pytest.fixture
def repo(tmp_path):
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)  # configuration lookup stops here
    for path, text in {"app/main.tf": APP, "modules/role/main.tf": ROLE, "other/main.tf": OTHER}.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    return root


@pytest.fixture
def checked(monkeypatch):
    """The roots of the units whose rules ran (not served by the results cache)."""
    roots: list[str] = []
    original = engine._checked

    def counting(unit, *args, **kwargs):
        roots.append(os.path.abspath(unit.root))
        return original(unit, *args, **kwargs)

    monkeypatch.setattr(engine, "_checked", counting)
    return roots


def _json(args: list[str], cwd: Path) -> dict:
    previous = os.getcwd()
    os.chdir(cwd)
    try:
        result = CliRunner().invoke(main, ["check", "--format", "json", "--jobs", "1", *args], catch_exceptions=False)
    finally:
        os.chdir(previous)
    assert result.exit_code in (0, 1, 2), result.output
    return json.loads(result.stdout)


def _warm_equals_cold(args: list[str], cwd: Path, checked: list[str] | None = None) -> tuple[dict, set[str]]:
    """Run with the cache (filled before) and without: the same JSON; and the units
    (folders relative to ``cwd``) the run with the cache checked again."""
    start = len(checked) if checked is not None else 0
    warm = _json(args, cwd)
    again = {os.path.relpath(root, cwd) for root in (checked or [])[start:]}
    cold = _json(["--no-cache", *args], cwd)
    assert warm == cold
    return warm, again


def _rules(report: dict) -> list[tuple[str, str]]:
    return sorted((f["rule"], f["path"]) for f in report["findings"])


def test_a_warm_run_of_the_fixtures_reports_what_a_cold_run_reports(cache_dir, checked):
    cwd = FIXTURES.parent
    cold = _json(["--no-cache", "fixtures"], cwd)
    assert not (cache_dir / "results").exists()  # --no-cache writes nothing
    first = _json(["fixtures"], cwd)
    stored = len(list((cache_dir / "results").glob("*.result")))
    assert stored > 50
    rechecked = len(checked)
    warm = _json(["fixtures"], cwd)
    assert warm == first == cold
    assert len(checked) - rechecked <= rechecked - stored  # only units never stored are checked again


def test_an_unchanged_repository_is_not_checked_again(cache_dir, repo, checked, monkeypatch):
    first = _json(["."], repo)
    assert sorted(os.path.relpath(root, repo) for root in checked) == ["app", "modules/role", "other"]
    graphs: list[str] = []
    original = UnitCache.get
    monkeypatch.setattr(UnitCache, "get", lambda self, unit, options: graphs.append(unit.root) or original(self, unit, options))
    assert _json(["."], repo) == first
    assert graphs == []  # no graph unpickled
    assert _warm_equals_cold(["."], repo, checked) == (first, set())


def test_editing_a_file_rechecks_its_unit_only(cache_dir, repo, checked):
    _json(["."], repo)
    other = repo / "other" / "main.tf"
    other.write_text(other.read_text().replace('"ec2:*"', '"ec2:DescribeInstances"'))
    report, again = _warm_equals_cold(["."], repo, checked)
    assert again == {"other"}
    assert ("IAM002", "other/main.tf") not in _rules(report)


def test_editing_a_child_module_rechecks_its_callers(cache_dir, repo, checked):
    before = _json(["."], repo)
    assert ("IAM002", "modules/role/main.tf") not in _rules(before)
    child = repo / "modules" / "role" / "main.tf"
    child.write_text(child.read_text().replace("Action = var.action", 'Action = ["s3:*", var.action]'))
    report, again = _warm_equals_cold(["."], repo, checked)
    assert again == {"app", "modules/role"}
    assert ("IAM002", "modules/role/main.tf") in _rules(report)


def test_a_variables_file_is_an_input_of_its_root(cache_dir, repo, checked):
    _json(["."], repo)
    (repo / "app" / "terraform.tfvars").write_text('action = "s3:*"\n')
    report, again = _warm_equals_cold(["."], repo, checked)
    assert again == {"app"}
    assert ("IAM002", "app/terraform.tfvars") in _rules(report)
    var_file = repo / "more.tfvars"
    var_file.write_text('action = "iam:*"\n')
    _json(["--var-file", str(var_file), "app"], repo)
    var_file.write_text('action = "s3:GetObject"\n')
    report, again = _warm_equals_cold(["--var-file", str(var_file), "app"], repo, checked)
    assert again == {"app"}
    assert ("IAM002", "app/terraform.tfvars") not in _rules(report)


def test_configuration_changes_are_seen(cache_dir, repo, checked):
    _json(["."], repo)
    config = repo / "other" / ".iamlint.toml"
    config.write_text('ignore = ["IAM002"]\n')
    report, again = _warm_equals_cold(["."], repo, checked)
    assert again == {"other"} and report["errors"] == []
    assert ("IAM002", "other/main.tf") not in _rules(report)
    config.write_text('select = ["IAM002"]\n')
    report, again = _warm_equals_cold(["."], repo, checked)
    assert again == {"other"}
    assert {rule for rule, path in _rules(report) if path == "other/main.tf"} == {"IAM002"}
    config.write_text('[severity]\nIAM002 = "note"\n')
    report, again = _warm_equals_cold(["."], repo, checked)
    assert again == {"other"}
    assert {f["severity"] for f in report["findings"] if f["rule"] == "IAM002"} == {"note"}


def test_settings_of_a_child_module_file_are_a_dependency_of_its_caller(cache_dir, repo, checked):
    """A finding of the app located in the child module's file: the child folder's
    configuration (per-file-ignores, exclude) decides whether it is reported. Only the
    configuration file's content changes (not a folder listing the unit read)."""
    child = repo / "modules" / "role" / "main.tf"
    child.write_text(child.read_text().replace("Action = var.action", 'Action = ["s3:*", var.action]'))
    config = repo / "modules" / "role" / ".iamlint.toml"
    config.write_text('[per-file-ignores]\n"other.tf" = ["IAM002"]\n')
    before = _json(["app"], repo)
    assert ("IAM002", "modules/role/main.tf") in _rules(before)
    config.write_text('[per-file-ignores]\n"main.tf" = ["IAM002"]\n')
    report, again = _warm_equals_cold(["app"], repo, checked)
    assert again == {"app"} and report["errors"] == []
    assert ("IAM002", "modules/role/main.tf") not in _rules(report)
    config.write_text('exclude = ["main.tf"]\n')
    report, again = _warm_equals_cold(["app"], repo, checked)
    assert again == {"app"} and report["errors"] == []


def test_per_file_ignores_of_a_unit_are_seen(cache_dir, repo, checked):
    config = repo / "other" / ".iamlint.toml"
    config.write_text('[per-file-ignores]\n"x.tf" = ["IAM002"]\n')
    _json(["."], repo)
    config.write_text('[per-file-ignores]\n"main.tf" = ["IAM002"]\n')
    report, again = _warm_equals_cold(["."], repo, checked)
    assert again == {"other"} and report["errors"] == []
    assert ("IAM002", "other/main.tf") not in _rules(report)


def test_command_line_rule_selection_and_files_mode(cache_dir, repo):
    _json(["."], repo)
    _warm_equals_cold(["--select", "IAM002", "."], repo)
    _warm_equals_cold(["--ignore", "EC2003", "."], repo)
    _warm_equals_cold(["--partition", "aws-cn", "."], repo)
    _warm_equals_cold(["app/main.tf"], repo)
    _warm_equals_cold(["modules/role/main.tf"], repo)


def test_a_plugin_rule_edit_invalidates(tmp_path, monkeypatch):
    package = tmp_path / "plugin_for_results"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "rule.py").write_text("def check(graph, context):\n    return []\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(cache_module, "_PACKAGES", {})
    from plugin_for_results import rule as plugin_rule  # type: ignore[import-not-found]

    made = Rule("ZZZ001", "zzz", "test", Severity.NOTE, plugin_rule.check)
    before = rules_fingerprint([made])
    assert before is not None
    stat = os.stat(package / "rule.py")
    (package / "rule.py").write_text("def check(graph, context):\n    return []  # edited\n")
    os.utime(package / "rule.py", ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    monkeypatch.setattr(cache_module, "_PACKAGES", {})
    assert rules_fingerprint([made]) not in (None, before)
    sys.modules.pop("plugin_for_results.rule", None)
    sys.modules.pop("plugin_for_results", None)


def test_rules_whose_state_the_key_cannot_see_turn_the_cache_off():
    registry = load_plugins()
    assert rules_fingerprint(registry.rules) is not None
    state = {"calls": 0}

    def closure(graph, context):
        state["calls"] += 1
        return []

    made = Rule("ZZZ002", "zzz-closure", "test", Severity.NOTE, closure)
    assert rules_fingerprint([*registry.rules, made]) is None
    callable_object = Rule("ZZZ003", "zzz-object", "test", Severity.NOTE, type("C", (), {"__call__": lambda s, g, c: []})())
    assert rules_fingerprint([callable_object]) is None
    assert not ResultCache(None, registry.rules).enabled  # not a Settings object: off


def _no_findings(graph, context):
    return []


def test_the_plugin_set_is_part_of_the_key(cache_dir, repo, checked):
    """The same rule codes (so the same selection), another check function."""
    registry = load_plugins()
    first = run([str(repo)], Options(jobs=1), registry)
    assert [f for f in first.findings if f.rule == "IAM002"]
    checked.clear()
    swapped = [dataclasses.replace(r, check=_no_findings) if r.code == "IAM002" else r for r in registry.rules]
    report = run([str(repo)], Options(jobs=1), type(registry)(rules=swapped, formats=registry.formats))
    assert len(checked) == 3
    assert not [f for f in report.findings if f.rule == "IAM002"]


def test_corrupt_results_are_ignored_and_rewritten(cache_dir, repo, checked):
    first = _json(["."], repo)
    entries = sorted((cache_dir / "results").glob("*.result"))
    assert len(entries) == 3
    entries[0].write_bytes(entries[0].read_bytes()[:-10] + b"0123456789")
    entries[1].write_bytes(b"garbage")
    checked.clear()
    assert _json(["."], repo) == first
    assert len(checked) == 2
    checked.clear()
    assert _json(["."], repo) == first
    assert checked == []  # rewritten


def test_context_and_no_cache_leave_the_results_cache_alone(cache_dir, repo, tmp_path):
    runner = CliRunner()
    runner.invoke(main, ["check", "--no-cache", str(repo)])
    assert not list(cache_dir.rglob("*.result"))
    account = tmp_path / "account.json"
    account.write_text(json.dumps({"Roles": []}))
    runner.invoke(main, ["check", "--account", str(account), str(repo)])
    assert not list(cache_dir.rglob("*.result"))
    runner.invoke(main, ["check", str(repo)])
    assert len(list(cache_dir.rglob("*.result"))) == 3
    assert runner.invoke(main, ["cache", "clear"]).exit_code == 0
    assert not list(cache_dir.rglob("*.result"))


def test_a_pool_run_stores_results_for_the_next_run(cache_dir, repo, checked, monkeypatch):
    import iamlint.parallel as parallel

    monkeypatch.setattr(parallel, "POOL_MIN_BYTES", 0)
    cold = run([str(repo)], Options(jobs=2, cache=False))
    run([str(repo)], Options(jobs=2))
    checked.clear()
    warm = run([str(repo)], Options(jobs=2))
    assert checked == []
    assert [f.sort_key for f in warm.findings] == [f.sort_key for f in cold.findings]


def test_masked_entries_hold_no_key(cache_dir, tmp_path):
    folder = tmp_path / "secret"
    folder.mkdir()
    (folder / "main.tf").write_text(textwrap.dedent("""
        resource "aws_instance" "web" {
          ami       = "ami-123"
          user_data = "export AWS_ACCESS_KEY_ID=AKIAQWERTYUIOPASDFGH AWS_SECRET_ACCESS_KEY=abcdefghijABCDEFGHIJ0123456789abcdefghij"
        }
    """))
    cold = run([str(folder)], Options(jobs=1, cache=False))
    run([str(folder)], Options(jobs=1))
    warm = run([str(folder)], Options(jobs=1))
    assert [f.sort_key for f in warm.findings] == [f.sort_key for f in cold.findings]
    assert any(f.rule == "SEC001" for f in warm.findings)
    entries = list(cache_dir.rglob("*.result"))
    assert len(entries) == 1  # cached, masked
    for entry in entries:
        data = entry.read_bytes()
        assert b"AKIAQWERTYUIOPASDFGH" not in data and b"abcdefghijABCDEFGHIJ0123456789abcdefghij" not in data
    shutil.rmtree(cache_dir)


def test_a_format_plugin_edit_changes_the_unit_key(tmp_path, monkeypatch):
    from iamlint.cache import unit_key
    from iamlint.model.units import Unit

    package = tmp_path / "format_for_results"
    package.mkdir()
    source = package / "__init__.py"
    source.write_text("class Fmt:\n    name = 'fmt'\n\n    def environment(self):\n        return {}\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(cache_module, "_PACKAGES", {})
    import format_for_results  # type: ignore[import-not-found]

    unit = Unit("fmt", str(tmp_path), [], format=format_for_results.Fmt())  # type: ignore[arg-type]
    before = unit_key(unit, Options())
    stat = os.stat(source)
    source.write_text(source.read_text() + "# edited\n")
    os.utime(source, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    monkeypatch.setattr(cache_module, "_PACKAGES", {})
    assert unit_key(unit, Options()) != before
    sys.modules.pop("format_for_results", None)


@pytest.mark.parametrize("jobs", [1, 2])
def test_fixes_are_located_as_units_are_checked_and_kept_in_the_results(cache_dir, tmp_path, monkeypatch, jobs):
    """A run that shows fixes (JSON) locates each finding's fix as its unit is checked (in
    the pool worker that checks it), and the results entry keeps it: the next run locates
    nothing and reports the same; a run that shows none (text) gets none from those entries,
    and a JSON run served entries a text run stored locates their fixes at the end."""
    import iamlint.parallel as parallel
    from iamlint.fixes.plan import Planner

    monkeypatch.setattr(parallel, "POOL_MIN_BYTES", 0)
    folder = tmp_path / "imds"
    for i in range(3):
        (folder / f"m{i}").mkdir(parents=True)
        (folder / f"m{i}" / "main.tf").write_text(
            f'resource "aws_instance" "web{i}" {{\n  ami = "ami-1"\n  iam_instance_profile = "p"\n'
            f'  metadata_options {{\n    http_tokens = "optional"\n  }}\n}}\n')
    planned: list[object] = []
    real = Planner.plan
    monkeypatch.setattr(Planner, "plan", lambda self, intent: planned.append(intent) or real(self, intent))

    def fixes(report):
        return [(f.rule, f.path, f.line, f.intent, f.fix) for f in report.findings]

    cold = run([str(folder)], Options(jobs=jobs, cache=False, fixes=True))
    located = [item for item in fixes(cold) if item[4] is not None]
    assert len(located) == 3 and all(item[3] is None for item in located)
    planned.clear()
    first = run([str(folder)], Options(jobs=jobs, fixes=True))
    assert fixes(first) == fixes(cold)
    assert len(planned) == (3 if jobs == 1 else 0)  # in the workers (their calls are not seen here)
    planned.clear()
    hits: list[object] = []
    lookup = ResultCache.lookup
    monkeypatch.setattr(ResultCache, "lookup", lambda self, *a, **k: hits.append(lookup(self, *a, **k)) or hits[-1])
    warm = run([str(folder)], Options(jobs=jobs, fixes=True))
    assert fixes(warm) == fixes(cold) and planned == []
    assert len(hits) == 3 and all(hit is not None for hit in hits)  # served, with their fixes
    hits.clear()
    text = run([str(folder)], Options(jobs=jobs, fixes=False))
    assert len(hits) == 3 and all(hit is not None for hit in hits)
    assert [item[:3] for item in fixes(text)] == [item[:3] for item in fixes(cold)]
    assert all(item[3] is None and item[4] is None for item in fixes(text))
    monkeypatch.setenv("IAMLINT_CACHE_DIR", str(tmp_path / "other"))
    run([str(folder)], Options(jobs=jobs, fixes=False))  # entries without located fixes
    planned.clear()
    hits.clear()
    served = run([str(folder)], Options(jobs=jobs, fixes=True))
    assert fixes(served) == fixes(cold) and len(planned) == 3
    assert len(hits) == 3 and all(hit is not None for hit in hits)
