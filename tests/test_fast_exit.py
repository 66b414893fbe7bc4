"""The command's start and end (iamlint/__main__.py, issue 17 item 3): a one-shot run
leaves without the interpreter's teardown, and nothing it wrote or had still to run is
lost by that: reports, output files, exit codes, exit handlers and threads."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

BAD = 'resource "aws_instance" "web" {\n  ami = "ami-1"\n}\n'  # EC2001: no instance profile
GOOD = """resource "aws_instance" "web" {
  ami                  = "ami-1"
  iam_instance_profile = "web"
  metadata_options {
    http_tokens = "required"
  }
}
"""

# `iamlint check` started as the console script starts it; os._exit says when it ends the process.
RUN = r"""
import os, sys
real_exit = os._exit
def fast_exit(code):
    os.write(2, b"[fast exit]\n")
    real_exit(code)
os._exit = fast_exit
{extra}
from iamlint.__main__ import main
sys.argv = ["iamlint", *sys.argv[1:]]
main()
"""


def _run(tmp_path, *args: str, extra: str = "", stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, IAMLINT_CACHE_DIR=str(tmp_path / "cache"))
    return subprocess.run([sys.executable, "-c", RUN.format(extra=extra), *args], capture_output=True, text=True,
                          timeout=120, env=env, cwd=tmp_path, input=stdin)


@pytest.fixture
def files(tmp_path):
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "main.tf").write_text(BAD)
    (tmp_path / "good").mkdir()
    (tmp_path / "good" / "main.tf").write_text(GOOD)
    return tmp_path


def test_a_run_leaves_without_teardown_and_keeps_its_report_and_exit_code(files):
    done = _run(files, "check", "--no-cache", "bad/main.tf")
    assert done.returncode == 1
    assert "bad/main.tf:1:1: error EC2001" in done.stdout and done.stdout.endswith("2 findings (1 error, 1 warning, 0 notes) in 1 file.\n")
    assert "[fast exit]" in done.stderr  # the fast exit was taken
    done = _run(files, "check", "--no-cache", "good/main.tf")
    assert (done.returncode, "[fast exit]" in done.stderr) == (0, True)
    assert done.stdout.endswith("1 finding (0 errors, 0 warnings, 1 note) in 1 file.\n")  # a note: exit 0


def test_an_output_file_is_complete(files):
    done = _run(files, "check", "--no-cache", "--format", "json", "-o", "report.json", "bad/main.tf")
    assert done.returncode == 1 and "[fast exit]" in done.stderr
    text = (files / "report.json").read_text()
    assert text.rstrip().endswith("}") and '"EC2001"' in text
    reference = _run(files, "check", "--no-cache", "--format", "json", "bad/main.tf", extra="import atexit; atexit.register(int)")
    assert "[fast exit]" not in reference.stderr  # the normal exit (an exit handler is registered)
    assert reference.stdout == text


def test_errors_and_usage_keep_their_exit_codes(files):
    missing = _run(files, "check", "--no-cache", "nothere.tf")
    assert missing.returncode == 2 and "nothere.tf" in missing.stderr + missing.stdout
    usage = _run(files, "check", "--no-such-option")
    assert usage.returncode == 2 and "No such option" in usage.stderr
    version = _run(files, "--version")
    assert version.returncode == 0 and "version" in version.stdout


def test_exit_handlers_and_threads_still_run(files):
    handler = _run(files, "check", "--no-cache", "bad/main.tf", extra="import atexit; atexit.register(print, '[handler ran]')")
    assert handler.returncode == 1 and "[handler ran]" in handler.stdout
    thread = ("import threading, time\n"
              "threading.Thread(target=lambda: (time.sleep(0.3), print('[thread done]', flush=True))).start()")
    threaded = _run(files, "check", "--no-cache", "bad/main.tf", extra=thread)
    assert threaded.returncode == 1 and "[thread done]" in threaded.stdout


def test_a_message_exit_is_left_to_python(files):
    extra = ("import iamlint.cli, iamlint.commands.argv\niamlint.cli.main = lambda: sys.exit('stopped: a message')\n"
             "iamlint.commands.argv.main = lambda args: sys.exit('stopped: a message')")
    for command in ("check", "rules"):  # the fast path of check, the click command line
        done = _run(files, command, extra=extra)
        assert done.returncode == 1 and "stopped: a message" in done.stderr and "[fast exit]" not in done.stderr


def test_a_profiler_or_tracer_gets_its_figures(files):
    """Under a profiler (``python -m cProfile -m iamlint``), a debugger or a coverage tool,
    the normal exit: they write their results after main() returns."""
    profiled = _run(files, "check", "--no-cache", "bad/main.tf", extra="sys.setprofile(lambda *args: None)")
    assert profiled.returncode == 1 and "[fast exit]" not in profiled.stderr
    traced = _run(files, "check", "--no-cache", "bad/main.tf", extra="sys.settrace(lambda *args: None)")
    assert traced.returncode == 1 and "[fast exit]" not in traced.stderr
    out = files / "run.prof"
    env = dict(os.environ, IAMLINT_CACHE_DIR=str(files / "cache"))
    done = subprocess.run([sys.executable, "-m", "cProfile", "-o", str(out), "-m", "iamlint", "check", "--no-cache",
                           "bad/main.tf"], capture_output=True, text=True, timeout=120, env=env, cwd=files)
    assert out.is_file() and out.stat().st_size > 0, done.stderr
