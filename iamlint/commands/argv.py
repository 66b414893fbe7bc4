"""The fast path of ``iamlint check`` (start-up: importing click and building the
command's ~35 options is ~80 M instructions of a ~500 M one-file run).

:func:`parse` reads the command's arguments the way click's parser does, driven by the
table generated from the click command (:mod:`iamlint.commands.check_options`,
tools/gen_check_options.py), and gives the parameters click would give -- or None
whenever it is not certain, and then the unchanged command line goes to click, which
prints every help text and usage error exactly as it always did. None for: ``-h`` /
``--help`` and any name not in the table (``--version``, a misspelt or abbreviated
option), an option of a kind the table leaves to click, a flag given a value
(``--quiet=1``), a missing value, a value click would refuse (a choice, an integer or
its range, a size, a path check: existence, file or folder, access), a path starting
with ``-`` (``-`` is standard input).

:func:`main` also leaves to click, before anything is written or read: standard input
(``-`` or --stdin-filename: the buffer can be read once only), shell completion
(``_..._COMPLETE`` variables), Windows (click expands wildcards there), a cache folder
that is refused (its note is printed before the usage errors the body may raise), and
every usage error of :func:`iamlint.commands.check.check` -- all of which it raises
before anything is written. ``IAMLINT_NO_FAST_ARGV=1`` turns the fast path off (a switch
for tests and debugging: both routes must print the same).
"""

from __future__ import annotations

import os
import sys
from typing import Any

from iamlint.commands.check_options import ARGUMENT, DEFAULTS, NAMES, OPTIONS


def main(args: list[str]) -> None:
    """Run ``iamlint check`` with ``args`` (after ``check``) when the fast path is certain
    of them (it then ends with ``sys.exit``); return when click must take over."""
    if os.environ.get("IAMLINT_NO_FAST_ARGV") or os.name == "nt" or _completion():
        return
    parsed = parse(args)
    if parsed is None:
        return
    paths, flags = parsed
    if "-" in paths or flags["stdin_filename"] is not None:
        return
    from iamlint.commands import import_frozen

    command: Any = import_frozen("iamlint.commands.check")
    from iamlint.cachedir import refusal  # (imported by the command already)

    try:
        command.check_flags(flags)
    except command.UsageError:
        return
    if refusal() is not None:
        return
    try:
        command.check(paths, flags, command.var_order(args))
    except command.UsageError:
        return
    except (EOFError, KeyboardInterrupt):  # as click's main: a blank line (closes the ^C echo), then Aborted!
        _stderr("\n")
        _stderr("Aborted!\n")
        sys.exit(1)
    except OSError as exc:  # as click's main: a closed pipe ends the run quietly, exit 1
        import errno

        if exc.errno != errno.EPIPE:
            raise
        sys.stdout = _PacifyFlush(sys.stdout)  # type: ignore[assignment]
        sys.stderr = _PacifyFlush(sys.stderr)  # type: ignore[assignment]
        sys.exit(1)
    sys.exit(0)  # the body returned (click's ctx.exit())


def parse(args: list[str]) -> tuple[tuple[str, ...], dict[str, Any]] | None:
    """(paths, the other parameters) as click's parser gives them for ``check``'s
    arguments, or None when click must read them (see the module's docstring)."""
    given: dict[str, list[str | bool]] = {}
    positional: list[str] = []
    rest = list(args)
    while rest:
        arg = rest.pop(0)
        if arg == "--":
            positional.extend(rest)
            break
        if arg[:1] != "-" or len(arg) == 1:
            positional.append(arg)
            continue
        if arg[:2] == "--":
            name, equals, value = arg.partition("=")
            if not _option(name, value if equals else None, rest, given):
                return None
            continue
        for at in range(1, len(arg)):  # -qj2: short options run together; a value takes the rest
            name = "-" + arg[at]
            if NAMES.get(name) is not None and OPTIONS[NAMES[name]][1] != "flag" and at + 1 < len(arg):
                rest.insert(0, arg[at + 1:])
                if not _option(name, None, rest, given):
                    return None
                break
            if not _option(name, None, rest, given):
                return None
    flags = dict(DEFAULTS)
    for dest, values in given.items():
        multiple, kind, detail = OPTIONS[dest]
        converted = [_convert(kind, detail, value) for value in (values if multiple else values[-1:])]  # click: the last one
        if any(value is _REFUSED for value in converted):
            return None
        flags[dest] = tuple(converted) if multiple else converted[-1]
    name, kind, detail = ARGUMENT
    paths = tuple(_convert(kind, detail, path) for path in positional)
    if kind == "click" or any(path is _REFUSED for path in paths):
        return None
    del flags[name]
    return paths, flags  # type: ignore[return-value]


def _option(name: str, value: str | None, rest: list[str], given: dict[str, list[str | bool]]) -> bool:
    """Record one option (``value``: the text after ``=``); False when click must decide."""
    dest = NAMES.get(name)
    if dest is None:
        return False
    kind = OPTIONS[dest][1]
    if kind == "click":
        return False
    if kind == "flag":
        if value is not None:
            return False  # "Option '--quiet' does not take a value."
        given.setdefault(dest, []).append(True)
        return True
    if value is None:
        if not rest:
            return False  # "Option '--format' requires an argument."
        value = rest.pop(0)
    given.setdefault(dest, []).append(value)
    return True


_REFUSED = object()


def _convert(kind: str, detail: Any, value: Any) -> Any:
    """The value click's parameter type gives, or _REFUSED where click would fail."""
    if kind in ("flag", "text"):
        return value
    if kind == "choice":
        return value if value in detail else _REFUSED
    if kind == "int":
        try:
            number = int(value)
        except ValueError:
            return _REFUSED
        low, high = detail
        return _REFUSED if (low is not None and number < low) or (high is not None and number > high) else number
    if kind == "size":
        from iamlint.commands.check import parse_size

        try:
            return parse_size(value)
        except ValueError:
            return _REFUSED
    if kind == "path":
        return value if _path_ok(value, *detail) else _REFUSED
    return _REFUSED


def _path_ok(value: str, exists: bool, file_okay: bool, dir_okay: bool, readable: bool, writable: bool,
             executable: bool) -> bool:
    """click.Path's checks (click.types.Path.convert), without its messages."""
    import stat

    if value.startswith("-"):
        return False
    try:
        mode = os.stat(value).st_mode
    except OSError:
        return not exists
    except Exception:  # an embedded NUL: whatever click does with it, it does it
        return False
    return not ((not file_okay and stat.S_ISREG(mode)) or (not dir_okay and stat.S_ISDIR(mode))
                or (readable and not os.access(value, os.R_OK)) or (writable and not os.access(value, os.W_OK))
                or (executable and not os.access(value, os.X_OK)))


def _completion() -> bool:
    """Shell completion asked (click's ``_<PROG>_COMPLETE`` variable)."""
    return any(name.startswith("_") and name.endswith("_COMPLETE") for name in os.environ)


def _stderr(text: str) -> None:
    sys.stderr.write(text)
    sys.stderr.flush()


class _PacifyFlush:
    """click's _PacifyFlushWrapper: after a closed pipe, flushing it again is no error."""

    def __init__(self, wrapped: Any) -> None:
        self.wrapped = wrapped

    def flush(self) -> None:
        try:
            self.wrapped.flush()
        except OSError as exc:
            import errno

            if exc.errno != errno.EPIPE:
                raise

    def __getattr__(self, attr: str) -> Any:
        return getattr(self.wrapped, attr)
