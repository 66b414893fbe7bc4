"""The entry-point index of the rule registry (issue 7, start-up time).

The index only spares the scan of installed distributions: the rules must be the same
as a scan finds, a change to the installation must invalidate it, and a corrupt,
foreign or tampered index must never be trusted."""

from __future__ import annotations

import importlib
import os
import sys

import pytest

from iamlint import registry as registry_module
from iamlint.registry import index_path, load_rules

PLUGIN = '''
from iamlint.plugin import Rule, Severity

def check(graph, ctx):
    return iter(())

RULE = Rule(code="ZZ9001", name="test-plugin-rule", summary="a test plugin", severity=Severity.NOTE, check=check, doc="doc")
'''


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("IAMLINT_CACHE_DIR", str(folder))
    return folder


def _codes(registry) -> list[str]:
    return [rule.code for rule in registry.rules]


def _scan_count(monkeypatch) -> list[int]:
    """Counts the real scans (the normal path) load_rules makes."""
    calls = [0]
    real = registry_module._load_scanned

    def counting(key, *args):
        calls[0] += 1
        return real(key, *args)

    monkeypatch.setattr(registry_module, "_load_scanned", counting)
    return calls


def _install_plugin(site, monkeypatch, name: str = "zzplugin", version: str = "1.0") -> None:
    """A distribution (dist-info with an entry point) and its module in a folder on sys.path."""
    (site / "zz_plugin_rules.py").write_text(PLUGIN)
    info = site / f"{name}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    (info / "entry_points.txt").write_text("[iamlint.rules]\nZZ9001 = zz_plugin_rules:RULE\n")
    importlib.invalidate_caches()


def test_the_index_gives_the_same_rules_and_is_used(cache_dir, monkeypatch):
    scans = _scan_count(monkeypatch)
    first = load_rules()
    assert scans[0] == 1 and (index_path()).is_file()
    second = load_rules()
    assert scans[0] == 1  # served from the index
    assert _codes(first) == _codes(second) and len(first.rules) >= 10
    assert [r.name for r in first.rules] == [r.name for r in second.rules]
    assert not first.errors and not second.errors


def test_installing_and_removing_a_distribution_invalidates_the_index(cache_dir, tmp_path, monkeypatch):
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    load_rules()
    assert "ZZ9001" not in _codes(load_rules())
    _install_plugin(site, monkeypatch)
    assert "ZZ9001" in _codes(load_rules())  # the new distribution is seen at once
    scans = _scan_count(monkeypatch)
    assert "ZZ9001" in _codes(load_rules()) and scans[0] == 0  # and then indexed
    for path in sorted((site / "zzplugin-1.0.dist-info").iterdir()):
        path.unlink()
    (site / "zzplugin-1.0.dist-info").rmdir()
    assert "ZZ9001" not in _codes(load_rules())
    sys.modules.pop("zz_plugin_rules", None)


def test_an_upgrade_in_place_invalidates_the_index(cache_dir, tmp_path, monkeypatch):
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    _install_plugin(site, monkeypatch)
    assert "ZZ9001" in _codes(load_rules())
    # the entry point is removed from the same dist-info folder (same name)
    eps = site / "zzplugin-1.0.dist-info" / "entry_points.txt"
    eps.write_text("[iamlint.rules]\n")
    os.utime(eps, ns=(1, 1))  # even with an older mtime: size and ctime differ
    assert "ZZ9001" not in _codes(load_rules())
    sys.modules.pop("zz_plugin_rules", None)


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[:-5],  # truncated
        lambda data: data.replace(b"iamlint-rules-index", b"something-else-xxxx"),  # foreign
        lambda data: data[:-3] + b"]]]",  # payload changed: digest mismatch
        lambda data: b"",
        lambda data: os.urandom(64),
    ],
)
def test_a_damaged_index_is_never_trusted(cache_dir, monkeypatch, damage):
    expected = _codes(load_rules())
    path = index_path()
    path.write_bytes(damage(path.read_bytes()))
    scans = _scan_count(monkeypatch)
    assert _codes(load_rules()) == expected
    assert scans[0] == 1  # it scanned instead (and rewrote the index)
    assert _codes(load_rules()) == expected and scans[0] == 1


def test_a_consistent_but_forged_index_cannot_add_a_rule_that_fails_validation(cache_dir, monkeypatch):
    """An index with a valid digest naming something that is not a rule: the scan decides."""
    import hashlib
    import json

    expected = _codes(load_rules())
    key = registry_module._installation_key()
    payload = json.dumps([["ZZ0001", "os:path"]]).encode()
    data = (
        b"iamlint-rules-index\n"
        + hashlib.blake2b(key.encode(), digest_size=16).hexdigest().encode()
        + b"\n"
        + hashlib.blake2b(payload, digest_size=16).hexdigest().encode()
        + b"\n"
        + payload
    )
    (index_path()).write_bytes(data)
    registry = load_rules()
    assert _codes(registry) == expected and not registry.errors


@pytest.mark.skipif(not hasattr(os, "geteuid"), reason="ownership checks are POSIX only")
def test_an_index_writable_by_others_is_not_trusted(cache_dir, monkeypatch):
    load_rules()
    os.chmod(index_path(), 0o666)
    scans = _scan_count(monkeypatch)
    load_rules()
    assert scans[0] == 1


def test_an_unwritable_cache_folder_still_loads_the_rules(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("IAMLINT_CACHE_DIR", str(blocker / "cache"))
    registry = load_rules()
    assert len(registry.rules) >= 10 and not registry.errors


def test_a_meta_path_finder_with_distributions_disables_the_index(cache_dir, monkeypatch):
    class Finder:
        def find_spec(self, *args, **kwargs):
            return None

        def find_distributions(self, *args, **kwargs):
            return iter(())

    monkeypatch.setattr(sys, "meta_path", [Finder(), *sys.meta_path])
    scans = _scan_count(monkeypatch)
    load_rules()
    load_rules()
    assert scans[0] == 2 and not (index_path()).exists()


def test_cache_clear_removes_the_index(cache_dir):
    from iamlint.cache import clear

    load_rules()
    assert (index_path()).is_file()
    clear()
    assert not (index_path()).exists()
