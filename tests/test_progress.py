"""The progress line (iamlint.progress): on a terminal only, after a delay, never in CI,
with --quiet or IAMLINT_NO_PROGRESS; erased before the report. The command runs in a
child process whose stderr is a pseudo-terminal (the delay set to 0 there)."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest

from iamlint import progress

pty = pytest.importorskip("pty", reason="pseudo-terminals are a POSIX feature")

MODULE = 'resource "aws_instance" "web{i}" {{\n  ami = "ami-1"\n  metadata_options {{\n    http_tokens = "required"\n  }}\n}}\n'

RUN = """
import sys
import iamlint.progress as progress
progress.Progress.__init__.__defaults__ = (0.0,)  # no delay: show at once
from iamlint.__main__ import main
sys.argv = ["iamlint", "check", "--jobs", "1", "--no-cache", *sys.argv[1:]]
main()
"""


@pytest.fixture
def repository(tmp_path):
    for i in range(12):
        (tmp_path / "repo" / f"m{i:02d}").mkdir(parents=True)
        (tmp_path / "repo" / f"m{i:02d}" / "main.tf").write_text(MODULE.format(i=i))
    return tmp_path / "repo"


def _stderr(tmp_path, args, terminal=True, **env):
    environment = {k: v for k, v in os.environ.items() if k not in ("CI", "IAMLINT_NO_PROGRESS")}
    environment.update({"IAMLINT_CACHE_DIR": str(tmp_path / "cache"), "TERM": "xterm", **env})
    if not terminal:
        done = subprocess.run([sys.executable, "-c", RUN, *args], capture_output=True, env=environment, timeout=120)
        return done.stderr.decode()
    master, slave = pty.openpty()
    child = subprocess.Popen([sys.executable, "-c", RUN, *args], stdout=subprocess.DEVNULL, stderr=slave, env=environment)
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the child closed its end
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    assert child.wait(timeout=120) in (0, 1)
    return b"".join(chunks).decode("utf-8", "replace")


def test_a_terminal_shows_units_folder_and_elapsed_then_erases_the_line(tmp_path, repository):
    shown = _stderr(tmp_path, [str(repository)])
    assert "12/12" in shown and "m11" in shown  # units done of total, the folder being read
    assert " s" in shown.rsplit("12/12", 1)[1]  # the time elapsed
    assert shown.endswith(progress.ERASE)  # nothing is left over the report


@pytest.mark.parametrize("case", ["pipe", "ci", "quiet", "opt-out", "dumb terminal"])
def test_no_progress_off_a_terminal_in_ci_when_quiet_or_opted_out(tmp_path, repository, case):
    args = ["-q", str(repository)] if case == "quiet" else [str(repository)]
    env = {"ci": {"CI": "true"}, "opt-out": {"IAMLINT_NO_PROGRESS": "1"}, "dumb terminal": {"TERM": "dumb"}}.get(case, {})
    shown = _stderr(tmp_path, args, terminal=case != "pipe", **env)
    assert "/12" not in shown and "\r" not in shown and "\033" not in shown


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_run_shorter_than_the_delay_shows_nothing():
    stream = _Terminal()
    line = progress.Progress(stream, delay=60)
    line.begin(3)
    for unit in ("a", "b", "c"):
        line.reading(unit)
        line.done(unit)
    line.close()
    assert stream.getvalue() == ""


def test_wanted_only_on_a_terminal(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("IAMLINT_NO_PROGRESS", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    assert progress.wanted(_Terminal()) and not progress.wanted(io.StringIO())
    assert not progress.wanted(_Terminal(), quiet=True)
    monkeypatch.setenv("CI", "1")
    assert not progress.wanted(_Terminal())

