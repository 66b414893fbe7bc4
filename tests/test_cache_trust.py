"""No code from the cache folder (issue 12 item 1): nothing is unpickled or imported from
a file iamlint did not write into a private folder. A cache folder others can write is
refused with a note, and the run goes on without any cache.

The planted payloads only create a marker file. Each test first shows that the crafted
files *would* run (the same files in a private folder, where they are trusted), so a
broken trust check makes the test fail."""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from iamlint import cachedir

pytestmark = pytest.mark.skipif(not hasattr(os, "geteuid"), reason="owners and permission bits are POSIX")

TEMPLATE = """resource "aws_instance" "web" {
  ami = "ami-123"
}
"""
PLANTED_MODULE = """from pathlib import Path
Path({marker!r}).write_text("imported from the plugin index")
RULE = None
"""


class Payload:
    """Unpickling it creates the marker file."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self):
        return (Path.write_text, (Path(self.marker), "unpickled"))


def _cli(args: list[str], cache: Path, cwd: Path, plant: Path) -> subprocess.CompletedProcess:
    environment = {**os.environ, "IAMLINT_CACHE_DIR": str(cache), "PYTHONPATH": str(plant), "IAMLINT_HCL_PARSER": "lark"}
    return subprocess.run([sys.executable, "-m", "iamlint", *args], cwd=cwd, env=environment, capture_output=True,
                          text=True, timeout=120)


def _digest(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=16).hexdigest().encode()


def _craft_unit_entries(cache: Path, marker: Path) -> int:
    """Every unit entry keeps its header (key, source digests) with a payload that runs."""
    count = 0
    for entry in (cache / "units").glob("*.entry"):
        data = entry.read_bytes()
        magic, header, _ = data.split(b"\n", 2)
        payload = pickle.dumps(Payload(marker))
        fields = json.loads(header)
        fields["payload"] = _digest(payload).decode()
        entry.write_bytes(magic + b"\n" + json.dumps(fields, separators=(",", ":")).encode() + b"\n" + payload)
        count += 1
    return count


def _craft_result_entries(cache: Path, marker: Path) -> int:
    """Every results entry (iamlint.results) keeps its header with a payload that runs."""
    count = 0
    for entry in (cache / "results").glob("*.result"):
        data = entry.read_bytes()
        magic, header, _ = data.split(b"\n", 2)
        payload = pickle.dumps(Payload(marker))
        fields = json.loads(header)
        fields["payload"] = _digest(payload).decode()
        entry.write_bytes(magic + b"\n" + json.dumps(fields, separators=(",", ":")).encode() + b"\n" + payload)
        count += 1
    return count


def _craft_snapshot(cache: Path, marker: Path) -> None:
    snapshot = cache / "hcl2-parser.snapshot"
    magic, key, _ = snapshot.read_bytes().split(b"\n", 2)
    payload = pickle.dumps(Payload(marker))
    snapshot.write_bytes(magic + b"\n" + key + b"\n" + _digest(payload) + b"\n" + payload)


def _craft_index(cache: Path) -> None:
    (index,) = cache.glob("plugins-*.index")
    magic, key, _, payload = index.read_bytes().split(b"\n", 3)
    document = json.loads(payload)
    document["iamlint.rules"] = sorted(document["iamlint.rules"] + [["ZZZ999", "iamlint_planted:RULE"]])
    payload = json.dumps(document).encode()
    index.write_bytes(magic + b"\n" + key + b"\n" + _digest(payload) + b"\n" + payload)


def _craft_lark_tables(cache: Path, marker: Path) -> None:
    """The file lark's own table cache used to be read from (a line, then a pickle)."""
    import hcl2

    from iamlint import __version__

    name = f"hcl2-{getattr(hcl2, '__version__', 'unknown')}-iamlint-{__version__}.lark"
    (cache / name).write_bytes(b"0" * 64 + b"\n" + pickle.dumps(Payload(marker)))


def _world_writable(folder: Path) -> None:
    for path in [folder, *folder.rglob("*")]:
        path.chmod(0o777 if path.is_dir() else 0o666)


@pytest.fixture
def setting(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "main.tf").write_text(TEMPLATE)
    plant = tmp_path / "plant"
    plant.mkdir()
    marker = tmp_path / "marker"
    (plant / "iamlint_planted.py").write_text(PLANTED_MODULE.format(marker=str(marker)))
    return tmp_path, repo, plant, marker


def test_a_crafted_cache_runs_nothing_from_a_folder_others_can_write(setting):
    root, _repo, plant, marker = setting
    private = root / "private"
    first = _cli(["check", "--format", "json", "repo"], private, root, plant)  # genuine files
    assert first.returncode == 1, first.stderr
    entry, snapshot, lark = (root / "entry-ran", root / "snapshot-ran", root / "lark-ran")
    result = root / "result-ran"
    assert _craft_unit_entries(private, entry) == 1
    assert _craft_result_entries(private, result) == 1
    _craft_snapshot(private, snapshot)
    _craft_index(private)  # imports iamlint_planted, which writes `marker`
    _craft_lark_tables(private, lark)
    evil = root / "evil"
    shutil.copytree(private, evil)
    _world_writable(evil)

    # the control: in the private folder the crafted files are trusted, and run
    _cli(["check", "--format", "json", "repo"], private, root, plant)
    _cli(["check", "--format", "json", "--no-cache", "repo"], private, root, plant)
    ran = [path.exists() for path in (entry, result, snapshot, marker)]
    assert all(ran), f"a crafted file would not run: the test proves nothing {ran}"
    for path in (entry, result, snapshot, marker):
        path.unlink()

    for extra in ([], ["--no-cache"]):
        completed = _cli(["check", "--format", "json", *extra, "repo"], evil, root, plant)
        ran = [path.name for path in (entry, result, snapshot, lark, marker) if path.exists()]
        assert ran == [], f"code from the cache folder ran ({extra})"
        assert completed.returncode == 1, completed.stderr
        report = json.loads(completed.stdout)  # the JSON contract, the good file checked
        assert {f["rule"] for f in report["findings"]} >= {"EC2001"} and report["errors"] == []
        assert "note:" in completed.stderr and str(evil) in completed.stderr and "written by others" in completed.stderr
    # nothing was written there either
    for pattern in ("*.entry", "*.result"):
        assert sorted(p.name for p in evil.rglob(pattern)) == sorted(p.name for p in private.rglob(pattern))


def test_the_lark_table_file_is_never_read_even_from_a_private_folder(setting):
    root, _repo, plant, marker = setting
    cache = root / "cache"
    cache.mkdir(mode=0o700)
    _craft_lark_tables(cache, marker)
    for extra in ([], ["--no-cache"]):
        result = _cli(["check", "--format", "json", *extra, "repo"], cache, root, plant)
        assert result.returncode == 1 and not marker.exists(), result.stderr
    assert (cache / "hcl2-parser.snapshot").exists()  # the parser was built and kept: lark's file was not read


def test_a_cache_folder_of_another_user_is_refused(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    folder.mkdir(mode=0o700)
    real_stat = os.stat

    def foreign(path, *args, **kwargs):
        result = real_stat(path, *args, **kwargs)
        if os.path.abspath(path) == str(folder):
            values = list(result)
            values[stat.ST_UID] = result.st_uid + 1
            return os.stat_result(values)
        return result

    monkeypatch.setattr(os, "stat", foreign)
    cachedir.forget()
    try:
        assert cachedir.private_dir(folder) is None
        assert "belongs to another user" in (cachedir.refusal(folder) or "")
    finally:
        cachedir.forget()


def test_the_cache_folder_and_its_files_are_private(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "main.tf").write_text(TEMPLATE)
    cache = tmp_path / "deep" / "cache"
    result = _cli(["check", "repo"], cache, tmp_path, tmp_path)
    assert result.returncode == 1, result.stderr
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700
    assert stat.S_IMODE((cache / "units").stat().st_mode) == 0o700
    files = [path for path in cache.rglob("*") if path.is_file() and path.name != ".pruned"]
    assert files and all(stat.S_IMODE(path.stat().st_mode) == 0o600 for path in files), files


def test_an_atomic_write_makes_a_new_private_file_and_leaves_nothing_behind(tmp_path, monkeypatch):
    """``write_atomic``: the entry is 0600, written through a new file of a random name in
    the same folder (a name taken -- a file or a planted symbolic link -- is never opened,
    another name is drawn), no temporary file is left, even when the write fails, and
    False when the folder is not private."""
    cachedir.forget()
    folder = tmp_path / "cache" / "units"
    monkeypatch.setenv("IAMLINT_CACHE_DIR", str(tmp_path / "cache"))
    victim = tmp_path / "victim"
    victim.write_text("untouched")
    draws = iter([b"\x01" * 16, b"\x01" * 16, b"\x02" * 16, b"\x03" * 16])
    monkeypatch.setattr(cachedir.os, "urandom", lambda n: next(draws))
    folder.mkdir(parents=True, mode=0o700)
    taken = folder / f".tmp-{'01' * 16}.entry"
    taken.symlink_to(victim)
    assert cachedir.write_atomic(folder / "a.entry", b"payload", suffix=".entry")
    assert (folder / "a.entry").read_bytes() == b"payload"
    assert stat.S_IMODE((folder / "a.entry").stat().st_mode) == 0o600
    assert victim.read_text() == "untouched" and taken.is_symlink()  # the planted link was not followed
    assert sorted(path.name for path in folder.iterdir()) == sorted([taken.name, "a.entry"])

    def fails(*args):
        raise OSError("no space left on device")

    monkeypatch.setattr(cachedir.os, "replace", fails)
    assert not cachedir.write_atomic(folder / "b.entry", b"payload", suffix=".entry")
    assert sorted(path.name for path in folder.iterdir()) == sorted([taken.name, "a.entry"])  # cleaned up
    monkeypatch.undo()

    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    monkeypatch.setenv("IAMLINT_CACHE_DIR", str(shared))
    try:
        assert not cachedir.write_atomic(shared / "units" / "c.entry", b"payload")
        assert not (shared / "units" / "c.entry").exists()
    finally:
        cachedir.forget()


def test_cache_writes_do_not_import_tempfile(tmp_path):
    """A run that writes cache entries does not import tempfile (random, shutil, bz2, lzma:
    ~5 ms of start-up on a one-file run)."""
    (tmp_path / "main.tf").write_text(TEMPLATE)
    code = ("import sys, iamlint.engine as e; e.run([sys.argv[1]], e.Options(jobs=1)); "
            "print(sorted(m for m in ('tempfile', 'random', 'shutil') if m in sys.modules))")
    env = dict(os.environ, IAMLINT_CACHE_DIR=str(tmp_path / "cache"))
    for _ in range(2):  # the first run writes the entry-point index (its scan imports them)
        shutil.rmtree(tmp_path / "cache" / "units", ignore_errors=True)
        shutil.rmtree(tmp_path / "cache" / "results", ignore_errors=True)
        done = subprocess.run([sys.executable, "-c", code, str(tmp_path / "main.tf")], capture_output=True, text=True,
                              env=env, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
    assert list((tmp_path / "cache" / "units").glob("*.entry"))  # it wrote an entry
    assert done.stdout.strip() == "[]"
