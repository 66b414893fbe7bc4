"""``echo``: what ``click.echo`` does for the text iamlint writes, without importing click
(start-up: click and what it imports are ~78 M instructions of a one-file run).

The same decisions as click.echo (8.x) for a ``str`` message: stdout, or stderr with
``err=True``; a newline unless ``nl=False``; ANSI styles stripped unless the stream is a
terminal (or ``color=True`` forces them; ``color=False`` strips them); always flushed.
A stream click would replace (no encoding or errors attribute, or an ASCII encoding: it
then writes through a UTF-8 wrapper of the binary buffer) is left to click.echo itself,
so that rare case too prints exactly what it printed before. tests/test_commands_argv.py
compares the two."""

from __future__ import annotations

import sys
from typing import Any


def echo(message: str = "", *, nl: bool = True, err: bool = False, color: bool | None = None) -> None:
    stream = sys.stderr if err else sys.stdout
    if stream is None:  # no standard stream attached (pythonw)
        return
    if not _plain(stream):
        import click  # a stream click re-encodes: let it do so, as before

        click.echo(message, nl=nl, err=err, color=color)
        return
    out = message + "\n" if nl else message
    if not out:
        stream.flush()
        return
    if "\033" in out and _strip(stream, color):
        import re  # start-up: only for a text that holds an escape sequence

        out = re.sub(r"\033\[[0-?]*[ -/]*[@-~]", "", out)  # click's _ansi_re
    stream.write(out)
    stream.flush()


def _plain(stream: Any) -> bool:
    """A text stream click writes to as it is (click._compat._force_correct_text_stream)."""
    encoding = getattr(stream, "encoding", None)
    if encoding is None or getattr(stream, "errors", None) is None:
        return False
    import codecs  # already imported by the interpreter's start-up

    try:
        return codecs.lookup(encoding).name != "ascii"
    except LookupError:
        return True


def _strip(stream: Any, color: bool | None) -> bool:
    """Whether click would strip ANSI codes (click._compat.should_strip_ansi)."""
    if color is not None:
        return not color
    if hasattr(stream, "color"):  # click's pager writer strips them itself
        return False
    try:
        terminal = bool(stream.isatty())
    except Exception:
        terminal = False
    return not terminal and not type(stream).__module__.startswith("ipykernel.")
