"""Reading source files, with an optional overlay of unsaved texts.

An editor that lints an unsaved buffer (``iamlint check --stdin-filename main.tf``)
passes its text through :func:`overlay`; every reader (Terraform, CloudFormation,
suppression comments) goes through :func:`read_source`, so the buffer replaces the file
of that name while its siblings are still read from disk.
"""

from __future__ import annotations

import contextlib
import os
from typing import Iterator

from iamlint.normalize.base import SourceError

_OVERLAY: dict[str, str] = {}


def _key(path: str) -> str:
    return os.path.normcase(os.path.realpath(path))


@contextlib.contextmanager
def overlay(texts: dict[str, str]) -> Iterator[None]:
    """Within the block, reading a path of ``texts`` returns the given text instead of the file."""
    saved = dict(_OVERLAY)
    _OVERLAY.update({_key(path): text for path, text in texts.items()})
    try:
        yield
    finally:
        _OVERLAY.clear()
        _OVERLAY.update(saved)


def overlaid(path: str) -> bool:
    """Whether ``path`` is replaced by an overlay text (it may not exist on disk)."""
    return bool(_OVERLAY) and _key(path) in _OVERLAY


def overlay_text(path: str) -> str | None:
    """The overlay text replacing ``path``, or None (read the file)."""
    if not _OVERLAY:
        return None
    text = _OVERLAY.get(_key(path))
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
