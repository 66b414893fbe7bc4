"""sources.real_path (issue 17 item 4: a run asked the file system about the same folders
tens of thousands of times): within a run it is os.path.realpath, resolving each folder
once; every shape of path gives what os.path.realpath gives."""

from __future__ import annotations

import os

import pytest

from iamlint import engine
from iamlint.sources import real_path, real_paths

pytestmark = pytest.mark.skipif(os.sep != "/", reason="symlinks and POSIX paths")


@pytest.fixture()
def tree(tmp_path, monkeypatch):
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "main.tf").write_text("")
    (tmp_path / "x.tf").write_text("")
    (tmp_path / "linked").symlink_to(tmp_path / "a")  # a folder reached through a symlink
    (tmp_path / "a" / "b" / "file_link.tf").symlink_to("../../x.tf")  # the last component a symlink
    (tmp_path / "a" / "dangling.tf").symlink_to(tmp_path / "nowhere.tf")
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    monkeypatch.chdir(tmp_path / "a")
    return tmp_path


def _shapes(root) -> list[str]:
    r = str(root)
    return [
        f"{r}/a/b/main.tf", f"{r}/linked/b/main.tf", f"{r}/linked/b/file_link.tf", f"{r}/a/b/file_link.tf",
        f"{r}/a/dangling.tf", f"{r}/a/missing.tf", f"{r}/missing/dir/x.tf", f"{r}/loop", f"{r}/loop/x",
        f"{r}/a/../x.tf", f"{r}/linked/../x.tf", f"{r}/a/./b/main.tf", f"{r}//a/b/main.tf", f"{r}/a/b/",
        f"{r}/a/b/.", f"{r}/a/b/..", f"{r}/linked", f"{r}/linked/", "/", "/tmp", r,
        "b/main.tf", "b/file_link.tf", "../linked/b/main.tf", "../x.tf", ".", "..", "b", "b/", "./b/main.tf",
        "missing.tf", "dangling.tf",
    ]


def test_every_shape_of_path_resolves_as_realpath_does(tree):
    expected = [os.path.realpath(path) for path in _shapes(tree)]
    with real_paths():
        assert [real_path(path) for path in _shapes(tree)] == expected
        assert [real_path(path) for path in _shapes(tree)] == expected  # the folders remembered
    assert [real_path(path) for path in _shapes(tree)] == expected  # outside a run


def test_a_symlink_changed_between_two_runs_is_seen(tree):
    path = str(tree / "switch" / "b" / "main.tf")
    (tree / "other" / "b").mkdir(parents=True)
    (tree / "other" / "b" / "main.tf").write_text("")
    (tree / "switch").symlink_to(tree / "a")
    with real_paths():
        assert real_path(path) == str(tree.resolve() / "a" / "b" / "main.tf")
    (tree / "switch").unlink()
    (tree / "switch").symlink_to(tree / "other")
    with real_paths():
        assert real_path(path) == str(tree.resolve() / "other" / "b" / "main.tf")


def test_nested_runs_share_the_outer_folders_and_leave_them(tree, monkeypatch):
    import iamlint.sources as sources

    with real_paths():
        real_path(str(tree / "a" / "b" / "main.tf"))
        outer = sources._REAL_FOLDERS
        with real_paths():
            assert sources._REAL_FOLDERS is outer
        assert sources._REAL_FOLDERS is outer
    assert sources._REAL_FOLDERS is None


def test_a_run_resolves_within_its_block(tree, monkeypatch):
    seen = []

    def spy(*args, **kwargs):
        import iamlint.sources as sources

        seen.append(sources._REAL_FOLDERS is not None)
        raise RuntimeError("stop")

    monkeypatch.setattr(engine, "_run", spy)
    with pytest.raises(RuntimeError):
        engine.run([str(tree)])
    assert seen == [True]
