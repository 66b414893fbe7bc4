"""Reading source files, with an optional overlay of unsaved texts.

An editor that lints an unsaved buffer (``iamlint check --stdin-filename main.tf``)
passes its text through :func:`overlay`; every reader (Terraform, CloudFormation,
suppression comments) goes through :func:`read_source`, so the buffer replaces the file
of that name while its siblings are still read from disk.
"""

from __future__ import annotations

import contextlib
import os
from contextvars import ContextVar
from typing import Iterator, Mapping

from iamlint.model.units import SourceError

# a context variable: a language-server thread linting one module never sees another's buffers
_OVERLAY: ContextVar[Mapping[str, str]] = ContextVar("iamlint_overlay", default={})  # noqa: B039 -- replaced, never mutated


def _key(path: str) -> str:
    return os.path.normcase(os.path.realpath(path))


@contextlib.contextmanager
def overlay(texts: Mapping[str, str]) -> Iterator[None]:
    """Within the block, reading a path of ``texts`` returns the given text instead of
    the file (paths compared after realpath; nested overlays add to the outer one)."""
    token = _OVERLAY.set({**_OVERLAY.get(), **{_key(path): text for path, text in texts.items()}})
    try:
        yield
    finally:
        _OVERLAY.reset(token)


def active() -> bool:
    """Whether an overlay is installed (work must then stay in this process)."""
    return bool(_OVERLAY.get())


def overlaid(path: str) -> bool:
    """Whether ``path`` is replaced by an overlay text (it may not exist on disk)."""
    buffers = _OVERLAY.get()
    return bool(buffers) and _key(path) in buffers


def overlay_text(path: str) -> str | None:
    """The overlay text replacing ``path``, or None (read the file)."""
    buffers = _OVERLAY.get()
    text = buffers.get(_key(path)) if buffers else None
    return None if text is None else text.removeprefix("\ufeff")


def read_source(path: str, display: str | None = None) -> tuple[str | None, SourceError | None]:
    """A source file as text (UTF-8, BOM tolerated), or a located error naming ``display``."""
    display = display or path
    text = overlay_text(path)
    if text is not None:
        return text, None
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        return None, SourceError(display, 0, f"cannot read: {exc.strerror}")
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return None, SourceError(display, line, "not valid UTF-8")
