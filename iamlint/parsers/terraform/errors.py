"""The syntax error of every Terraform parser route, and the recursion allowance deeply
nested input needs. Lark-free: callers catch ``HclSyntaxError`` whichever route parsed
(tree-sitter or python-hcl2's lark), and a clean tree-sitter run never imports lark."""

from __future__ import annotations

import contextlib
import sys
import _thread  # threading's own lock, without importing threading (start-up)
from typing import Iterator


class HclSyntaxError(ValueError):
    """Bad HCL: a message and the 1-based line and character column it is about."""

    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(message)
        self.message, self.line, self.column = message, line, column


RECURSION_LIMIT = 12_000  # enough for ~1000 levels of nested expressions

_DEEP = {"users": 0, "previous": 0}
_DEEP_LOCK = _thread.allocate_lock()  # = threading.Lock()


@contextlib.contextmanager
def deep_recursion(limit: int = RECURSION_LIMIT) -> Iterator[None]:
    """Allow deeply nested input within the block (Python 3.11 keeps pure-Python calls
    off the C stack). The limit is process-wide: it is raised by the first user and
    restored when the last one (of any thread) leaves."""
    with _DEEP_LOCK:
        if _DEEP["users"] == 0:
            _DEEP["previous"] = sys.getrecursionlimit()
            if _DEEP["previous"] < limit:
                sys.setrecursionlimit(limit)
        _DEEP["users"] += 1
    try:
        yield
    finally:
        with _DEEP_LOCK:
            _DEEP["users"] -= 1
            if _DEEP["users"] == 0 and sys.getrecursionlimit() != _DEEP["previous"]:
                sys.setrecursionlimit(_DEEP["previous"])
