"""Source files as the loaders see them: the disk, overlaid with unsaved editor buffers.

The language server (and ``--stdin-filename``) lint text that is not on disk yet. They
install an overlay for the duration of a run; every loader reads its inputs through
:func:`read_bytes`, so an open buffer wins over the file it shadows, and the
content-hash cache (:mod:`iamlint.cache`) hashes the same bytes the loader parsed.

The overlay is a context variable: a thread of the language server linting one module
never sees another thread's buffers.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Iterator, Mapping

_OVERLAY: ContextVar[Mapping[str, bytes] | None] = ContextVar("iamlint_overlay", default=None)


def _key(path: str) -> str:
    return os.path.normcase(os.path.realpath(path))


def read_bytes(path: str) -> bytes:
    """The bytes of ``path``: the overlaid buffer when there is one, else the file
    (raises OSError like ``open`` when it cannot be read)."""
    overlay = _OVERLAY.get()
    if overlay:
        data = overlay.get(_key(path))
        if data is not None:
            return data
    with open(path, "rb") as handle:
        return handle.read()


def active() -> bool:
    """Whether an overlay is installed (work must then stay in this process)."""
    return bool(_OVERLAY.get())


def overlaid_paths() -> set[str]:
    """The (real, normalised) paths the current overlay shadows."""
    return set(_OVERLAY.get() or ())


@contextmanager
def overlay(buffers: Mapping[str, str | bytes]) -> Iterator[None]:
    """Within the block, ``read_bytes(path)`` returns ``buffers[path]`` (text is
    encoded as UTF-8). Paths are compared after ``realpath``."""
    mapping = {_key(path): text.encode("utf-8") if isinstance(text, str) else bytes(text) for path, text in buffers.items()}
    token = _OVERLAY.set(mapping)
    try:
        yield
    finally:
        _OVERLAY.reset(token)
