"""Reporters: a Report -> text in one output format. They know nothing of HCL or YAML."""

from __future__ import annotations

import importlib
from typing import Callable


Formatter = Callable[..., str]


def get_formatter(name: str) -> Formatter:
    """The ``render(report, **options) -> str`` function of an output format."""
    module = importlib.import_module(f"iamlint.reporters.{FORMATS[name]}")
    return module.render


FORMATS = {
    "text": "text",
    "json": "json_format",
    "sarif": "sarif",
    "github": "github",
    "junit": "junit",
    "gitlab": "gitlab",
}
MACHINE_FORMATS = {"json", "sarif", "junit", "gitlab"}
"""Formats that are never coloured and whose summary line goes to stderr."""
