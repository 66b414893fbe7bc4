"""Where the shipped knowledge files live, and their sidecar metadata."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent.parent / "data"


@lru_cache(maxsize=1)
def metadata() -> dict:
    """Sources, versions, dates and counts of the shipped data (the sidecar file only)."""
    try:
        return json.loads((DATA_DIR / "knowledge.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
