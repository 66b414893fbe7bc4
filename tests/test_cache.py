"""The content-hash cache of loaded units (iamlint.cache): hits, invalidation, safety."""

from __future__ import annotations

import os
import pickle
import shutil
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from iamlint import cache as cache_module
from iamlint import cachedir
from iamlint.cache import MAGIC, UnitCache, clear
from iamlint.cli import main
from iamlint.discovery import discover
from iamlint.engine import Options, load_unit, run
from iamlint.model.units import UnitResult

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

MODULE = {
    "iam.tf": """
resource "aws_iam_role" "r" {
  name               = "r"
  assume_role_policy = jsonencode({Version = "2012-10-17", Statement = [{Effect = "Allow", Action = "sts:AssumeRole", Principal = {Service = "ec2.amazonaws.com"}}]})
}

resource "aws_iam_role_policy" "p" {
  role   = aws_iam_role.r.id
  policy = jsonencode({Version = "2012-10-17", Statement = [{Effect = "Allow", Action = "s3:GetObject", Resource = "*"}]})
}

resource "aws_iam_instance_profile" "p" {
  role = aws_iam_role.r.name
}
""",
    "main.tf": """
resource "aws_instance" "web" {
  ami                  = "ami-123"
  iam_instance_profile = aws_iam_instance_profile.p.name
}
""",
}


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("IAMLINT_CACHE_DIR", str(folder))
    return folder


@pytest.fixture
def module(tmp_path):
    folder = tmp_path / "mod"
    folder.mkdir()
    for name, text in MODULE.items():
        (folder / name).write_text(text)
    return folder


def _snapshot(report):
    return (
        [(f.rule, f.path, f.line, f.column, f.end_line, f.end_column, f.message, f.related) for f in report.findings],
        [(e.path, e.line, e.message) for e in report.errors],
        report.files,
        report.resources,
    )


def _entries(cache_dir: Path) -> list[Path]:
    return sorted((cache_dir / "units").glob("*.entry"))


def test_second_run_is_served_from_the_cache_with_the_same_report(cache_dir, module, monkeypatch):
    first = run([str(module)], Options(jobs=1))
    assert len(_entries(cache_dir)) == 1
    calls = []
    import iamlint.engine as engine

    original = engine.load_unit
    monkeypatch.setattr(engine, "load_unit", lambda *a: calls.append(a) or original(*a))
    second = run([str(module)], Options(jobs=1))
    assert calls == []  # nothing parsed again
    assert _snapshot(second) == _snapshot(first)


def test_editing_a_file_invalidates_its_unit(cache_dir, module):
    run([str(module)], Options(jobs=1))
    before = run([str(module)], Options(jobs=1))
    assert not [f for f in before.findings if f.rule == "IAM002"]
    iam = module / "iam.tf"
    iam.write_text(iam.read_text().replace('"s3:GetObject"', '"s3:*"'))
    after = run([str(module)], Options(jobs=1))
    assert [f for f in after.findings if f.rule == "IAM002"], "a stale graph was reused"
    assert _snapshot(after) == _snapshot(run([str(module)], Options(jobs=1, cache=False)))


def test_options_that_change_evaluation_are_part_of_the_key(cache_dir, module):
    run([str(module)], Options(jobs=1, partition="aws"))
    run([str(module)], Options(jobs=1, partition="aws-cn"))
    assert len(_entries(cache_dir)) == 2
    run([str(module)], Options(jobs=1, partition="aws", select={"IAM002"}))  # rule selection is not
    assert len(_entries(cache_dir)) == 2


def test_no_cache_reads_and_writes_nothing(cache_dir, module):
    run([str(module)], Options(jobs=1, cache=False))
    assert _entries(cache_dir) == []


def _unit(module):
    units, _ = discover([str(module)])
    return units[0]


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: b"",
        lambda data: data[: len(data) // 2],  # truncated
        lambda data: b"garbage" + data,
        lambda data: data[:-10] + b"0123456789",  # payload altered, header intact
        lambda data: data.replace(b'"format":1', b'"format":99'),
    ],
    ids=["empty", "truncated", "no-magic", "payload-altered", "other-format"],
)
def test_corrupt_entries_are_ignored_and_rewritten(cache_dir, module, damage):
    good = run([str(module)], Options(jobs=1))
    (entry,) = _entries(cache_dir)
    entry.write_bytes(damage(entry.read_bytes()))
    shutil.rmtree(cache_dir / "results")  # the unit's results would serve it without its entry
    cache = UnitCache()
    assert cache.get(_unit(module), Options()) is None
    again = run([str(module)], Options(jobs=1))
    assert _snapshot(again) == _snapshot(good)
    assert UnitCache().get(_unit(module), Options()) is not None  # rewritten


class _Boom:
    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def _forge(cache: UnitCache, unit, options, marker: Path) -> None:
    """A well-formed entry whose payload runs code when unpickled."""
    payload = pickle.dumps(_Boom(str(marker)))
    real = UnitResult(graph=None)
    cache.put(unit, options, real, payload=payload)


def test_entries_in_a_folder_others_can_write_are_never_unpickled(cache_dir, module, tmp_path):
    if not hasattr(os, "geteuid"):
        pytest.skip("POSIX permissions only")
    unit, options = _unit(module), Options()
    marker = tmp_path / "unpickled"
    cache = UnitCache()
    _forge(cache, unit, options, marker)
    os.chmod(cache.directory, 0o777)
    assert UnitCache().get(unit, options) is None
    assert not marker.exists()
    os.chmod(cache.directory, 0o755)
    UnitCache().get(unit, options)  # our own folder: trusted (this is what the check guards)
    assert marker.exists()


def test_a_change_in_an_extra_source_invalidates(cache_dir, module, tmp_path):
    extra = tmp_path / "child" / "main.tf"
    extra.parent.mkdir()
    extra.write_text("# child module\n")
    unit, options = _unit(module), Options()
    result = load_unit(unit, options)
    result.sources = [str(extra), str(extra.parent)]
    UnitCache().put(unit, options, result)
    assert UnitCache().get(unit, options) is not None
    extra.write_text("# child module, edited\n")
    assert UnitCache().get(unit, options) is None
    UnitCache().put(unit, options, result)
    assert UnitCache().get(unit, options) is not None
    (extra.parent / "new.tf").write_text("")  # a new file in a directory the unit listed
    assert UnitCache().get(unit, options) is None


def test_the_folder_stays_bounded_least_recently_used_first(cache_dir, tmp_path):
    cache = UnitCache(limit=0)
    options = Options()
    units = []
    for index in range(5):
        folder = tmp_path / f"m{index}"
        folder.mkdir()
        (folder / "main.tf").write_text(MODULE["main.tf"])
        unit = _unit(folder)
        units.append(unit)
        cache.put(unit, options, load_unit(unit, options))
    entries = _entries(cache_dir)
    assert len(entries) == 5
    size = entries[0].stat().st_size
    for age, entry in enumerate(sorted(entries)):
        os.utime(entry, (1000 + age, 1000 + age))
    newest = sorted(entries)[-2:]
    cache.limit = size * 2 + 10
    cache.prune()
    assert _entries(cache_dir) == newest


def test_concurrent_writers_never_leave_a_broken_entry(cache_dir, module):
    unit, options = _unit(module), Options()
    result = load_unit(unit, options)
    problems = []

    def writer():
        cache = UnitCache()
        for _ in range(30):
            cache.put(unit, options, result)

    def reader():
        cache = UnitCache()
        for _ in range(60):
            got = cache.get(unit, options)
            if cache.rejected:
                problems.append("rejected a half-written entry")
                return
            if got is not None and len(got.graph.nodes) != len(result.graph.nodes):
                problems.append("wrong entry")

    threads = [threading.Thread(target=writer) for _ in range(3)] + [threading.Thread(target=reader) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert problems == []
    assert not list((cache_dir / "units").glob(".tmp-*"))


def test_every_fixture_unit_pickles_to_an_equal_report(cache_dir, tmp_path):
    assert FIXTURES.is_dir(), "the fixtures ship with the repository"
    copy = tmp_path / "fixtures"
    shutil.copytree(FIXTURES, copy)
    fresh = run([str(copy)], Options(jobs=1, cache=False))
    run([str(copy)], Options(jobs=1))
    cached = UnitCache()
    served = run([str(copy)], Options(jobs=1))
    assert _snapshot(served) == _snapshot(fresh)
    units, _ = discover([str(copy)])
    stored = sum(1 for unit in units if cached.get(unit, Options()) is not None)
    assert stored >= len([u for u in units if u.kind == "terraform"])


def test_cli_no_cache_and_cache_clear(cache_dir, module):
    runner = CliRunner()
    runner.invoke(main, ["check", "--no-cache", str(module)])
    assert _entries(cache_dir) == []
    runner.invoke(main, ["check", str(module)])
    assert len(_entries(cache_dir)) == 1
    result = runner.invoke(main, ["cache", "clear"])
    assert result.exit_code == 0, result.output
    assert "removed" in result.output
    assert _entries(cache_dir) == []


def test_clear_only_removes_cache_files(tmp_path):
    (tmp_path / "units").mkdir()
    (tmp_path / "units" / "x.entry").write_bytes(MAGIC)
    (tmp_path / "keep.txt").write_text("mine")
    assert clear(tmp_path) == 1
    assert (tmp_path / "keep.txt").exists()


def test_code_fingerprint_changes_with_the_code(monkeypatch, tmp_path):
    package = tmp_path / "iamlint"
    package.mkdir()
    (package / "cache.py").write_text("# a\n")
    (package / "engine.py").write_text("# b\n")
    monkeypatch.setattr(cache_module, "__file__", str(package / "cache.py"))
    cache_module.code_fingerprint.cache_clear()
    try:
        first = cache_module.code_fingerprint()
        (package / "engine.py").write_text("# b, edited\n")
        cache_module.code_fingerprint.cache_clear()
        assert cache_module.code_fingerprint() != first
    finally:
        cache_module.code_fingerprint.cache_clear()



def _walked(package: str) -> list[str]:
    """What the fingerprint covered when it was an os.walk with relpath (its old form)."""
    lines = []
    for folder, dirs, names in os.walk(package):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(names):
            if name.endswith(".py") or os.path.basename(folder) == "data":
                try:
                    stat = os.stat(os.path.join(folder, name))
                except OSError:
                    continue
                relative = os.path.relpath(os.path.join(folder, name), package)
                lines.append(f"{relative}|{stat.st_size}|{stat.st_mtime_ns}\n")
    return lines


def test_the_code_files_are_those_a_walk_finds(tmp_path):
    package = tmp_path / "iamlint"
    (package / "model").mkdir(parents=True)
    (package / "knowledge" / "data" / "deeper").mkdir(parents=True)
    (package / "__pycache__").mkdir()
    (package / "__init__.py").write_text("")
    (package / "model" / "graph.py").write_text("x = 1\n")
    (package / "model" / "notes.txt").write_text("not code")
    (package / "knowledge" / "data" / "actions.bin").write_bytes(b"\0")
    (package / "knowledge" / "data" / "deeper" / "x.json").write_text("{}")  # not directly in data/
    (package / "knowledge" / "data" / "deeper" / "y.py").write_text("")
    (package / "__pycache__" / "z.py").write_text("")
    (package / "a_link.py").symlink_to(package / "model" / "graph.py")
    (package / "dangling.py").symlink_to(package / "missing.py")
    (package / "linked").symlink_to(package / "model")  # a link to a folder is not followed
    found = cache_module._code_files(str(package), "", False)
    assert found == _walked(str(package))
    assert [line.split("|")[0] for line in found] == [
        "__init__.py", "a_link.py", "knowledge/data/actions.bin", "knowledge/data/deeper/y.py", "model/graph.py"]
    # and for the installed package itself
    installed = str(Path(cache_module.__file__).resolve().parent)
    assert cache_module._code_files(installed, "", False) == _walked(installed)


# -- the HCL parser tables (issue 7, item 1) ---------------------------------------------

_PARSE_SCRIPT = r"""
import json, sys
import lark.lark
builds = []
original = lark.lark.load_grammar
def counting(*args, **kwargs):
    builds.append(1)
    return original(*args, **kwargs)
lark.lark.load_grammar = counting
import hcl2
from iamlint.parsers.terraform.hcl import parse_hcl
tree = parse_hcl('resource "aws_iam_role" "r" {\n  name = "r"\n}\n', "x.tf")
print(json.dumps({"hcl2": hcl2.__file__, "builds": len(builds), "blocks": len(tree.body.blocks)}))
"""


def _parse_in_subprocess(site: Path, cache: Path) -> dict:
    import json
    import subprocess
    import sys

    env = dict(os.environ, PYTHONPATH=str(site), IAMLINT_CACHE_DIR=str(cache))
    # -B: Python's own byte code is not iamlint's doing (root writes __pycache__ into the
    # read-only copy; only what iamlint writes there is under test)
    done = subprocess.run([sys.executable, "-B", "-c", _PARSE_SCRIPT], env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def _listing(folder: Path) -> dict:
    return {str(p.relative_to(folder)): p.stat().st_mtime_ns for p in folder.rglob("*")}


def test_parser_tables_are_built_once_even_with_a_read_only_site_packages(tmp_path):
    import hcl2

    site = tmp_path / "site-packages"
    shutil.copytree(Path(hcl2.__file__).resolve().parent, site / "hcl2", ignore=shutil.ignore_patterns("__pycache__", "*.pickle", "*.cache"))
    for path in [site, *site.rglob("*")]:
        path.chmod(0o555 if path.is_dir() else 0o444)
    before = _listing(site)
    cache = tmp_path / "cache"
    try:
        first = _parse_in_subprocess(site, cache)
        assert first["hcl2"].startswith(str(site))  # the read-only copy was the one used
        assert first["builds"] == 1 and first["blocks"] == 1
        second = _parse_in_subprocess(site, cache)
        assert second["builds"] == 0, "the parser tables were rebuilt on the second run"
        assert second["blocks"] == 1
        # without the pickled parser the tables are built again (lark's own table cache,
        # which lark unpickles unchecked, is never used nor written), then kept again
        (cache / "hcl2-parser.snapshot").unlink()
        assert _parse_in_subprocess(site, cache)["builds"] == 1
        assert _parse_in_subprocess(site, cache)["builds"] == 0
        assert not list(cache.glob("*.lark"))
        # a corrupt snapshot is ignored (never unpickled: its digest does not match): rebuilt
        snapshot = cache / "hcl2-parser.snapshot"
        data = snapshot.read_bytes()
        snapshot.write_bytes(data[: len(data) // 2] + b"x" * 100)
        third = _parse_in_subprocess(site, cache)
        assert third["builds"] == 1 and third["blocks"] == 1
        assert _listing(site) == before  # nothing written next to hcl2
    finally:
        for path in [site, *site.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)


def test_snapshots_are_checked_before_unpickling(tmp_path, monkeypatch):
    monkeypatch.setenv("IAMLINT_CACHE_DIR", str(tmp_path))
    assert cachedir.store_snapshot("thing", "k1", {"a": 1})
    assert cachedir.load_snapshot("thing", "k1") == {"a": 1}
    assert cachedir.load_snapshot("thing", "k2") is None  # another key
    path = tmp_path / "thing.snapshot"
    path.write_bytes(path.read_bytes()[:-3] + b"zzz")
    assert cachedir.load_snapshot("thing", "k1") is None


def test_a_configuration_file_change_that_changes_evaluation_is_a_miss(cache_dir, module):
    """The key holds the per-unit options (configuration applied): a var file named by
    the configuration, and its content, count. (Through the CLI, which reads them.)"""
    import json

    def rules() -> list[str]:
        result = CliRunner().invoke(main, ["check", "--format", "json", "--jobs", "1", str(module)])
        return sorted(f["rule"] for f in json.loads(result.output)["findings"])

    (module / "variables.tf").write_text('variable "action" {\n  default = "s3:GetObject"\n}\n')
    iam = module / "iam.tf"
    iam.write_text(iam.read_text().replace('Action = "s3:GetObject"', "Action = var.action"))
    (module / "prod.tfvars").write_text('action = "s3:*"\n')
    assert "IAM002" not in rules()
    (module / ".iamlint.toml").write_text('var-files = ["prod.tfvars"]\n')
    assert "IAM002" in rules(), "the configured var file was ignored (stale entry?)"
    (module / "prod.tfvars").write_text('action = "s3:GetObject"\n')
    assert "IAM002" not in rules(), "an edit of the var file was not seen"
    assert len(_entries(cache_dir)) >= 2


def test_terraform_environment_is_part_of_the_key(cache_dir, module, monkeypatch):
    from iamlint.cache import unit_key
    from iamlint.discovery import discover

    (unit,), _ = discover([str(module)])
    monkeypatch.delenv("TF_WORKSPACE", raising=False)
    before = unit_key(unit, Options())
    monkeypatch.setenv("TF_VAR_instance_type", "t3.large")
    assert unit_key(unit, Options()) != before
    monkeypatch.delenv("TF_VAR_instance_type")
    monkeypatch.setenv("TF_WORKSPACE", "prod")
    assert unit_key(unit, Options()) != before


def test_a_run_reads_each_formats_environment_a_bounded_number_of_times(cache_dir, tmp_path, monkeypatch):
    """The formats' environments are read once per run by each cache (not once per key:
    a key was computed ~5 times per unit, and a Terraform environment walks os.environ)."""
    from iamlint.formats.terraform import TerraformFormat

    for i in range(6):
        (tmp_path / "repo" / f"m{i}").mkdir(parents=True)
        (tmp_path / "repo" / f"m{i}" / "main.tf").write_text('resource "aws_instance" "web" {\n  ami = "ami-1"\n}\n')
    calls = []
    original = TerraformFormat.environment

    def spy(self):
        calls.append(1)
        return original(self)

    monkeypatch.setattr(TerraformFormat, "environment", spy)
    report = run([str(tmp_path / "repo")], Options(jobs=1))
    assert len({f.path for f in report.findings}) == 6
    assert 1 <= len(calls) <= 2  # the unit cache's and the results cache's


def _modules(repo: Path, count: int) -> None:
    """``count`` one-file modules m0, m1... under ``repo``."""
    for i in range(count):
        (repo / f"m{i}").mkdir(parents=True)
        (repo / f"m{i}" / "main.tf").write_text('resource "aws_instance" "web" {\n  ami = "ami-1"\n}\n')


def test_a_run_computes_each_units_key_once(cache_dir, tmp_path, monkeypatch):
    """Both caches ask for a unit's key several times in a run (lookups, store, the
    digests recorded): it is computed once per unit (the same key), and again for a unit
    whose files or options changed."""
    from iamlint.cache import Keys, unit_key
    from iamlint.formats.terraform import FORMAT as TERRAFORM
    from iamlint.model.units import Unit

    _modules(tmp_path / "repo", 4)
    computed = []
    original = cache_module._unit_key

    def spy(unit, options_key, environments):
        computed.append(unit.root)
        return original(unit, options_key, environments)

    monkeypatch.setattr(cache_module, "_unit_key", spy)
    cold = run([str(tmp_path / "repo")], Options(jobs=1))
    assert len(computed) == 4 == len(set(computed))
    computed.clear()
    warm = run([str(tmp_path / "repo")], Options(jobs=1))
    assert len(computed) == 4 and _snapshot(warm) == _snapshot(cold)

    keys = Keys()
    unit = Unit("terraform", str(tmp_path / "repo" / "m0"), [(str(tmp_path / "repo" / "m0" / "main.tf"), "main.tf")],
                format=TERRAFORM)
    first = keys(unit, Options())
    assert keys(unit, Options()) == first == unit_key(unit, Options())
    assert keys(unit, Options(partition="aws-cn")) == unit_key(unit, Options(partition="aws-cn")) != first
    unit.files.append((str(tmp_path / "repo" / "m0" / "extra.tf"), "extra.tf"))
    assert keys(unit, Options()) == unit_key(unit, Options()) != first


def test_lookups_in_an_empty_cache_folder_read_nothing(cache_dir, tmp_path, monkeypatch):
    """The folder is listed once: a cold run opens no entry (nor computes keys) to learn
    that it is missing; a warm run reads them; an entry this cache wrote is found."""
    _modules(tmp_path / "repo", 3)
    opened = []
    original = UnitCache._read_valid

    def spy(self, path, key):
        opened.append(path.name)
        return original(self, path, key)

    monkeypatch.setattr(UnitCache, "_read_valid", spy)
    cold = run([str(tmp_path / "repo")], Options(jobs=1))
    assert opened == []
    warm = run([str(tmp_path / "repo")], Options(jobs=1))
    assert len(opened) == 3 and all(name.endswith(".result") for name in opened)  # the results entries
    assert _snapshot(warm) == _snapshot(cold)

    (unit,), _ = discover([str(tmp_path / "repo" / "m0")])
    cache = UnitCache(cache_dir / "other")
    assert cache.get(unit, Options()) is None
    cache.put(unit, Options(), load_unit(unit, Options()))
    assert cache.get(unit, Options()) is not None
