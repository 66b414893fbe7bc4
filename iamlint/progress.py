"""Progress of a long run, on a terminal: units done of total, the folder being read,
the time elapsed, on one line of stderr that is erased before the report is written.

Shown only when a run is still going after :data:`DELAY` seconds, and only when stderr
is a terminal, not in CI (``CI`` set, as every CI service does), not with ``--quiet``,
not with ``TERM=dumb``, and not when ``IAMLINT_NO_PROGRESS`` is set (an opt-out in the
style of ``NO_COLOR``). The line is drawn by click's progress bar (click is the command
line's library already: nothing more to install), at most ten times a second; until it
shows, a unit costs two clock reads and a lock. click is imported when the line first
shows: the one-shot fast path (:mod:`iamlint.commands.argv`) never loads it otherwise,
and a run that shows progress has run for a second already.
"""

from __future__ import annotations

import os
import time
from typing import Any, TextIO

DELAY = 1.0  # seconds before anything is shown: short runs never show progress
REDRAW = 0.1  # seconds between two redraws at most
ERASE = "\r\033[K\033[?25h"  # back to the start of the line, clear it, show the cursor (the bar hides it)


def wanted(stream: Any, quiet: bool = False) -> bool:
    """Whether a run writing to ``stream`` may show progress at all."""
    if quiet or os.environ.get("CI") or os.environ.get("IAMLINT_NO_PROGRESS") or os.environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except (OSError, ValueError):  # a closed or detached stream
        return False


class Progress:
    """Receives the engine's events (:func:`iamlint.parallel.load_units`): ``begin``
    with the number of units, ``reading`` when a unit starts loading in this process,
    ``done`` when a unit is loaded (or was in the cache); ``close`` at the end."""

    def __init__(self, stream: TextIO, delay: float = DELAY) -> None:
        self.stream = stream
        self.started = time.monotonic()
        self.total = 0
        self.count = 0
        self.folder = ""
        self.bar: Any = None
        self.drawn = 0.0
        self.closed = False
        self.due = False  # the delay is over
        import threading  # only for a run on a terminal (start-up of the others)

        self.lock = threading.Lock()
        self.timer = threading.Timer(delay, self._show)
        self.timer.daemon = True
        self.timer.start()

    def begin(self, total: int) -> None:
        self.total = total
        if self.due:
            self._show()

    def reading(self, unit: Any) -> None:
        self.folder = str(getattr(unit, "root", unit))
        if self.bar is not None:
            self._draw()

    def done(self, unit: Any) -> None:
        self.count += 1
        if self.bar is not None:
            self._draw()

    def close(self) -> None:
        self.timer.cancel()
        with self.lock:
            self.closed = True
            if self.bar is not None:
                self._write(ERASE)

    # -- drawing ---------------------------------------------------------------------------
    def _show(self) -> None:
        """After the delay (timer thread): draw the first line, if the run goes on."""
        with self.lock:
            self.due = True
            if self.closed or not self.total or self.bar is not None:
                return
            import click  # the bar's library (already imported on the click route)

            self.bar = click.progressbar(length=self.total, label="iamlint", file=self.stream, show_eta=False,
                                         show_percent=False, show_pos=True, width=20,
                                         item_show_func=self._describe)
            self._render()

    def _draw(self) -> None:
        now = time.monotonic()
        if now - self.drawn < REDRAW and self.count < self.total:
            return
        with self.lock:
            if not self.closed:
                self._render()

    def _render(self) -> None:
        self.drawn = time.monotonic()
        self.bar.pos = min(self.count, self.total)
        self.bar.current_item = self.folder
        try:
            self.bar.render_progress()
        except (OSError, ValueError):  # the terminal went away: stop drawing
            self.closed = True

    def _describe(self, folder: str | None) -> str:
        elapsed = f"{time.monotonic() - self.started:.0f} s"
        room = max(10, _columns(self.stream) - 50)
        shown = folder or ""
        if len(shown) > room:
            shown = "..." + shown[-(room - 3):]
        return f"{shown}  {elapsed}"

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):
            pass


def _columns(stream: TextIO) -> int:
    try:
        return os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, OSError, ValueError):
        return 80


def for_stream(stream: TextIO, quiet: bool = False) -> Progress | None:
    """A progress line on ``stream`` when one is wanted there (see :func:`wanted`)."""
    return Progress(stream) if wanted(stream, quiet) else None
