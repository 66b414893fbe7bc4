"""Unified diffs of fixed files, as ``git apply`` reads them: ``a/`` and ``b/`` paths
relative to the working directory, line breaks as written (``\\r\\n`` kept), and the
``\\ No newline at end of file`` marker where a side does not end with a line break."""

from __future__ import annotations

import difflib
import os

NO_NEWLINE = "\\ No newline at end of file\n"


def unified(path: str, before: str, after: str, context: int = 3) -> str:
    """The diff turning ``before`` into ``after`` (the texts as written, with any byte
    order mark), or "" when they are equal."""
    if before == after:
        return ""
    name = _relative(path)
    old, new = _lines(before), _lines(after)
    lines = difflib.unified_diff(old, new, f"a/{name}", f"b/{name}", n=context)
    out = [f"diff --git a/{name} b/{name}\n"]
    for line in lines:
        if line.startswith(("---", "+++")):
            out.append(line.rstrip("\n") + "\n")
        elif line.endswith("\n"):
            out.append(line)
        else:  # the last line of a side has no line break
            out.append(line + "\n" + NO_NEWLINE)
    return "".join(out)


def _lines(text: str) -> list[str]:
    """Lines split at ``\n`` only, as git does (a form feed or ``\u2028`` is text)."""
    parts = text.split("\n")
    lines = [part + "\n" for part in parts[:-1]]
    return lines + [parts[-1]] if parts[-1] else lines


def _relative(path: str) -> str:
    relative = os.path.relpath(os.path.abspath(path))
    if relative.startswith(".."):
        relative = os.path.abspath(path).lstrip("/")
    return relative.replace(os.sep, "/")
