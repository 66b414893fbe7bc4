"""Building large acyclic trees without the cyclic garbage collector's passes."""

from __future__ import annotations

import contextlib
import gc
from typing import Iterator


@contextlib.contextmanager
def without_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while building a large acyclic tree: its
    passes over the growing heap cost more than the parse itself (4x on 1 MB of YAML;
    half the CPU of loading a 28 MB account snapshot). Reference counting still frees
    what is dropped (a skipped part of a snapshot, decoded and thrown away)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
