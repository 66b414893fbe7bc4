"""The ``iamlint`` command (console script and ``python -m iamlint``).

``iamlint lsp`` starts the language server straight away, and ``iamlint check ...`` runs
on the fast path (:mod:`iamlint.commands.argv`: the command line read from a table
generated from the click command) whenever that path is certain of its arguments: neither
imports click (start-up: click and what it imports are ~78 M instructions, building the
command's options more). Everything else -- help, version, other commands, any argument
the fast path is not certain of, any usage error -- is the click command line
(:mod:`iamlint.cli`), given the unchanged arguments.
"""

from __future__ import annotations

import atexit
import os
import sys


def main() -> None:
    if sys.argv[1:] == ["lsp"]:
        from iamlint.lsp import main as lsp  # the language server, without click

        sys.exit(lsp())
    if sys.argv[1:2] == ["check"]:
        from iamlint.commands.argv import main as check  # the fast path: returns when click must read the arguments

        try:
            check(sys.argv[2:])
        except SystemExit as exit:
            leave(exit)
            raise
    from iamlint.commands import import_frozen

    cli = import_frozen("iamlint.cli").main  # start-up: click, only for the command line
    try:
        cli()
    except SystemExit as exit:
        leave(exit)
        raise


def leave(exit: SystemExit) -> None:
    """End the process at once when nothing is left to do: the interpreter's teardown
    (freeing every module, class and object one by one) took ~15-25 ms of a one-file run.

    Only when no other thread runs, no exit handler is registered (a pool, a temporary
    folder, logging: the normal exit then runs them) and no profiler or tracer is set
    (``python -m cProfile -m iamlint`` writes its figures after ``main`` returns), and once stdout and stderr are
    flushed; every file iamlint writes is closed by then (``with`` blocks). Returns, for a
    normal exit, when any of that does not hold or a flush fails (a closed pipe: Python
    then reports it as usual)."""
    code = exit.code
    if code is not None and not isinstance(code, int):
        return  # a message to print: Python's own exit does it
    threading = sys.modules.get("threading")
    if threading is not None and threading.active_count() != 1:
        return
    if sys.getprofile() is not None or sys.gettrace() is not None:
        return  # a profiler, a debugger or a coverage tool writes its results after main() returns
    callbacks = getattr(atexit, "_ncallbacks", None)
    if callbacks is None or callbacks() != 0:
        return
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        return
    os._exit(code or 0)


if __name__ == "__main__":
    main()
