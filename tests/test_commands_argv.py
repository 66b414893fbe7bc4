"""The fast path of ``iamlint check`` (iamlint/commands/argv.py, issue 17 item 3): its
table is generated from the click command and current; for any command line it gives
the parameters click gives, or leaves the command line to click; end to end, both
routes print the same bytes and exit codes, and every usage error is click's."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from iamlint.cli import check as click_check
from iamlint.cli import main as click_main
from iamlint.commands import argv
from iamlint.commands.check_options import NAMES, OPTIONS
from iamlint.commands.echo import echo

ROOT = Path(__file__).resolve().parent.parent


# -- the table ------------------------------------------------------------------------------

def test_the_table_is_current():
    """Fails when an option of the click command changed and tools/gen_check_options.py
    was not run (the fast path would read the old options)."""
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import gen_check_options
    finally:
        sys.path.remove(str(ROOT / "tools"))
    assert gen_check_options.TARGET.read_text(encoding="utf-8") == gen_check_options.table(), \
        "iamlint/commands/check_options.py is stale: run python tools/gen_check_options.py"


def test_the_table_covers_every_option_and_parses_most_itself():
    names = {name for param in click_check.params if isinstance(param, click.Option) for name in param.opts}
    assert names == set(NAMES)
    kinds = {kind for _, kind, _ in OPTIONS.values()}
    assert {"flag", "text", "choice", "int", "size", "path"} <= kinds
    assert "click" not in kinds  # every option of check is read by the fast path today


# -- the parser against click's --------------------------------------------------------------

def _click(args: list[str]) -> dict | None:
    """click's parameters for ``check ARGS`` (paths included), or None: a usage error or help."""
    parent = click.Context(click_main, info_name="iamlint", **click_main.context_settings)
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # -h prints the help
            return dict(click_check.make_context("check", list(args), parent=parent).params)
    except (click.exceptions.ClickException, click.exceptions.Exit):
        return None


def _fast(args: list[str]) -> dict | None:
    parsed = argv.parse(list(args))
    if parsed is None:
        return None
    paths, flags = parsed
    return {"paths": paths, **flags}


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    (tmp_path / "main.tf").write_text("")
    (tmp_path / "conf.toml").write_text("")
    (tmp_path / "folder").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


# Command lines the fast path must read itself (and read as click does).
FAST = [
    [],
    ["main.tf"],
    ["-q", "main.tf"],
    ["main.tf", "-q", "--format", "json", "folder"],  # options after paths
    ["--format=sarif", "--output-format", "github", "main.tf"],  # two names, the last wins
    ["-qj2", "main.tf"], ["-qj", "2"], ["-j0"], ["--jobs=3", "--jobs", "1"],
    ["-qo", "out.json", "--format", "json"], ["-oout.json"], ["-o=out.json"],
    ["--select", "IAM001,EC2001", "--select", "EC2", "--ignore=IAM002", "--extend-select", "ALL"],
    ["--var", "a=1", "--var-file", "x.tfvars", "--var=b=2", "--account", "acct.json", "--state", "s.json"],
    ["--config", "conf.toml", "--fail-on", "warning", "--partition", "aws-cn", "--max-instances", "5"],
    ["--max-file-size", "10MiB"], ["--max-file-size", "2000000"], ["--max-file-size=1.5k"],
    ["--fix", "--unsafe-fixes", "--extend-fixable", "EC2001", "--narrow-from", "conf.toml"],
    ["--diff", "--exit-zero", "--statistics", "--show-suppressed", "--color", "always", "--isolated", "--no-cache",
     "--debug", "--base", "HEAD", "--baseline", "b.json", "--write-baseline", "w.json", "--exclude", "x/**",
     "--extend-exclude", "y"],
    ["--", "main.tf", "folder"],
    ["-q", "-q", "--quiet"],
    ["--stdin-filename", "main.tf", "main.tf"],
    ["--exclude", "-q"],  # a value that looks like an option is a value
]

# Command lines click refuses (or answers with help): the fast path must leave them to click.
REFUSED = [
    ["-h"], ["--help"], ["main.tf", "--help"], ["-qh"], ["--version"], ["--formt", "json"], ["--form", "json"],
    ["--quiet=1"], ["-q=1"], ["--format"], ["-o"], ["-j"], ["-jx"], ["-j-1"], ["--jobs", "-1"], ["--max-instances", "0"],
    ["--format", "yaml"], ["--color", "ALWAYS"], ["--fail-on", "info"], ["--max-file-size", "0"],
    ["--max-file-size", "lots"], ["--config", "nothere.toml"], ["--config", "folder"], ["--narrow-from", "missing.json"],
    ["-o", "folder"], ["--var-file", "folder"], ["-x"], ["-", "--stdin-filename", "main.tf"],
]


@pytest.mark.parametrize("args", FAST, ids=" ".join)
def test_the_fast_parser_reads_what_click_reads(workdir, args):
    expected = _click(args)
    assert expected is not None, "click accepts this command line"
    assert _fast(args) == expected


@pytest.mark.parametrize("args", REFUSED, ids=" ".join)
def test_what_click_refuses_is_left_to_click(workdir, args):
    assert _fast(args) is None


VALUES = ["main.tf", "folder", "conf.toml", "nothere", "json", "text", "sarif", "always", "never", "warning", "aws",
          "aws-cn", "2", "0", "-1", "x", "10MiB", "1k", "a=1", "=1", "", "IAM001,EC2001", "-", "--", "-q", "-j2"]
TOKENS = sorted(NAMES) + ["-h", "--help", "--version", "--", "-", "--nope", "-qj2", "-jq", "-qo", "-oq", "-j3q", "-qx"]


@st.composite
def command_lines(draw) -> list[str]:
    args: list[str] = []
    for _ in range(draw(st.integers(0, 8))):
        token = draw(st.sampled_from(TOKENS + VALUES))
        if token.startswith("--") and token in NAMES and draw(st.booleans()):
            token = f"{token}={draw(st.sampled_from(VALUES))}"
        args.append(token)
        if token in NAMES and draw(st.booleans()):
            args.append(draw(st.sampled_from(VALUES)))
    return args


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """The working folder of the generated command lines (main.tf, conf.toml, folder/)."""
    path = tmp_path_factory.mktemp("argv")
    (path / "main.tf").write_text("")
    (path / "conf.toml").write_text("")
    (path / "folder").mkdir()
    return path


@settings(max_examples=600, deadline=None)
@given(args=command_lines())
def test_any_command_line_is_read_as_click_reads_it_or_left_to_click(folder, args):
    """For any mix of every option, value forms, short options run together, repeats,
    ``--`` and paths: the fast parser's parameters are click's, or it defers."""
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        fast = _fast(args)
        if fast is not None:
            assert fast == _click(args), args
    finally:
        os.chdir(cwd)


# -- echo: click.echo's bytes -----------------------------------------------------------------

class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


class _Stream(io.TextIOWrapper):
    def __init__(self, tty: bool, encoding: str = "utf-8") -> None:
        super().__init__(io.BytesIO(), encoding=encoding, errors="strict", newline="")
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty

    def text(self) -> str:
        self.flush()
        return self.buffer.getvalue().decode("utf-8")  # type: ignore[attr-defined]


@pytest.mark.parametrize("encoding", ["utf-8", "ascii"])  # ascii: click writes UTF-8 to the buffer
@pytest.mark.parametrize("tty", [False, True])
@pytest.mark.parametrize("color", [None, True, False])
@pytest.mark.parametrize("nl", [True, False])
@pytest.mark.parametrize("err", [False, True])
@pytest.mark.parametrize("message", ["", "plain", "\033[1mbold\033[0m and \033[31mred\033[39m", "é ✓\n"])
def test_echo_writes_what_click_echo_writes(monkeypatch, encoding, tty, color, nl, err, message):
    written = []
    for writer in (click.echo, echo):
        stream = _Stream(tty, encoding)
        monkeypatch.setattr(sys, "stderr" if err else "stdout", stream)
        writer(message, nl=nl, err=err, color=color)
        written.append(stream.text())
    assert written[0] == written[1]


# -- end to end: both routes, byte for byte --------------------------------------------------------

# `python -m iamlint check` as the console script starts it; at the end (fast exit or not) it
# says on stderr whether click was imported.
RUN = r"""
import os, sys
real_exit = os._exit
me = os.getpid()
def mark():  # in this process only: forked pool workers end through os._exit too
    if os.getpid() == me:
        os.write(2, b"[click imported]" if "click" in sys.modules else b"[no click]")
def fast_exit(code):
    mark()
    real_exit(code)
os._exit = fast_exit
from iamlint.__main__ import main
sys.argv = ["iamlint", *sys.argv[1:]]
try:
    main()
finally:
    mark()
"""


def _run(args: list[str], cwd: Path, cache: Path, fast: bool) -> tuple[int, str, str, bool]:
    env = dict(os.environ, IAMLINT_CACHE_DIR=str(cache))
    env.pop("IAMLINT_NO_FAST_ARGV", None)
    if not fast:
        env["IAMLINT_NO_FAST_ARGV"] = "1"
    done = subprocess.run([sys.executable, "-c", RUN, "check", *args], capture_output=True, timeout=300, env=env, cwd=cwd)
    stderr = done.stderr.decode("utf-8", "replace")
    imported = stderr.endswith("[click imported]")
    assert imported or stderr.endswith("[no click]"), stderr
    return done.returncode, done.stdout.decode("utf-8", "replace"), stderr.rsplit("[", 1)[0], imported


SAME_OUTPUT = [
    ["fixtures/terraform"],
    ["-q", "fixtures/cloudformation/insecure_compute.yaml"],
    ["--format", "json", "fixtures/rules/instance-without-profile"],
    ["--output-format=json", "--select", "IAM", "fixtures/terraform"],  # (sarif: a run id of time and chance)
    ["--statistics", "fixtures/"],
    ["--format", "github", "--fail-on", "note", "--exit-zero", "fixtures/cloudformation"],
    ["--diff", "fixtures/rules/imdsv1-allowed"],
    ["--color", "always", "fixtures/terraform"],
    ["--var", "name=x", "--var-file", "nothere.tfvars", "fixtures/terraform"],
    ["nothere.tf"],  # an input error, exit 2, from the body
]
USAGE_ERRORS = [
    (["--no-such-option", "fixtures/"], "No such option '--no-such-option'"),
    (["--format", "yaml", "fixtures/"], "Invalid value for '--format'"),
    (["--config", "nothere.toml", "fixtures/"], "'nothere.toml' does not exist"),
    (["--fix", "--diff", "fixtures/"], "--fix writes the fixes, --diff prints them: choose one"),
    (["--var", "bad", "fixtures/"], "expected NAME=VALUE, got 'bad'"),
    (["--statistics", "--format", "sarif", "fixtures/"], "--statistics prints text or json only"),
    (["--select", "NOPE1", "fixtures/"], "unknown rule 'NOPE1'"),
    (["--unsafe-fixes", "--fix", "--extend-fixable", "NOPE1", "fixtures/rules/imdsv1-allowed"], "unknown rule 'NOPE1'"),
    (["--narrow-from", "README.md", "--fix", "fixtures/rules/imdsv1-allowed"], "--narrow-from"),
    (["-", "fixtures/"], "add --stdin-filename PATH"),
    (["--jobs", "-1", "fixtures/"], "-1 is not in the range x>=0"),
]


@pytest.fixture
def checkout(tmp_path):
    """A copy of fixtures/ (--diff and --fix must not write into the checkout) and README.md."""
    import shutil

    shutil.copytree(ROOT / "fixtures", tmp_path / "fixtures", symlinks=True)
    shutil.copy(ROOT / "README.md", tmp_path / "README.md")
    return tmp_path


@pytest.mark.parametrize("args", SAME_OUTPUT, ids=" ".join)
def test_both_routes_print_the_same_bytes(checkout, tmp_path, args):
    fast = _run(args, checkout, tmp_path / "cache", fast=True)
    slow = _run(args, checkout, tmp_path / "cache", fast=False)
    assert (fast[3], slow[3]) == (False, True)  # the fast path did not import click; the other did
    assert fast[:3] == slow[:3]


@pytest.mark.parametrize(("args", "message"), USAGE_ERRORS, ids=lambda value: " ".join(value) if isinstance(value, list) else "")
def test_usage_errors_are_clicks_own(checkout, tmp_path, args, message):
    fast = _run(args, checkout, tmp_path / "cache", fast=True)
    slow = _run(args, checkout, tmp_path / "cache", fast=False)
    assert fast[:3] == slow[:3]
    code, stdout, stderr, imported = fast
    assert code == 2 and imported and stdout == ""
    assert stderr.startswith("Usage: ") and "Error: " in stderr and message in stderr, stderr


def test_an_output_file_and_a_fix_are_written_once_and_the_same(checkout, tmp_path):
    results = []
    for fast in (True, False):
        work = tmp_path / ("fast" if fast else "slow")
        import shutil

        shutil.copytree(checkout / "fixtures" / "rules" / "imdsv1-allowed", work)
        run = _run(["--fix", "--format", "json", "-o", "report.json", "."], work, tmp_path / "cache", fast=fast)
        files = {str(path.relative_to(work)): path.read_bytes() for path in sorted(work.rglob("*")) if path.is_file()}
        results.append((run[:3], json.dumps({k: v.decode("utf-8", "replace") for k, v in files.items()})))
    assert results[0] == results[1]


def test_a_refused_cache_folder_is_noted_once_before_a_usage_error(checkout, tmp_path):
    """The note of a cache folder others can write comes before the usage errors the body
    raises: the fast path leaves such a run to click, so the note is not printed twice."""
    cache = tmp_path / "shared-cache"
    cache.mkdir()
    cache.chmod(0o777)
    args = ["--var", "bad", "fixtures/terraform"]
    fast = _run(args, checkout, cache, fast=True)
    slow = _run(args, checkout, cache, fast=False)
    assert fast[:3] == slow[:3]
    code, _, stderr, _ = fast
    assert code == 2 and stderr.count("running without a cache") == 1 and "expected NAME=VALUE" in stderr
    assert stderr.index("running without a cache") < stderr.index("Usage: ")
