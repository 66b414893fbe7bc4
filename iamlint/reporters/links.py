"""Where iamlint's documentation is published: each rule's page (``docs/rules/<CODE>.md``,
generated from the rule's docstring by ``tools/gen_rule_docs.py``) under the
``Documentation`` URL of the package metadata (``[project.urls]`` in pyproject.toml).

``IAMLINT_DOCS_URL`` overrides it (a mirror, an internal fork): a base URL (the rule
page is ``<base>/rules/<CODE>.md``) or a template holding ``{code}`` (and ``{name}``).
SARIF's ``helpUri`` / ``informationUri`` and the language server's ``codeDescription``
come from here.
"""

from __future__ import annotations

import functools
import os

ENVIRONMENT = "IAMLINT_DOCS_URL"
HOMEPAGE = "https://github.com/iamlint/iamlint"
DOCUMENTATION = HOMEPAGE + "/blob/main/docs"
"""Used when the package metadata cannot be read (the values of pyproject.toml)."""


@functools.lru_cache(maxsize=1)
def _project_urls() -> dict[str, str]:
    """``[project.urls]`` of the installed package (importlib.metadata: only the SARIF
    reporter and the language server ask, so a plain run never imports it)."""
    try:
        from importlib.metadata import PackageNotFoundError, metadata
    except ImportError:  # pragma: no cover - the standard library has it since 3.8
        return {}
    try:
        entries = metadata("iamlint").get_all("Project-URL") or []
    except PackageNotFoundError:
        return {}
    urls = {}
    for entry in entries:
        label, _, url = entry.partition(",")
        urls[label.strip().lower()] = url.strip()
    return urls


def documentation() -> str:
    """The documentation base URL (no trailing slash)."""
    override = os.environ.get(ENVIRONMENT, "").strip()
    if override and "{code}" not in override:
        return override.rstrip("/")
    return _project_urls().get("documentation", DOCUMENTATION).rstrip("/")


def information_uri() -> str:
    """The tool's home page (SARIF ``tool.driver.informationUri``)."""
    return _project_urls().get("homepage", HOMEPAGE)


def rule_url(code: str, name: str = "") -> str:
    """The page documenting rule ``code``."""
    override = os.environ.get(ENVIRONMENT, "").strip()
    if "{code}" in override:
        return override.replace("{code}", code).replace("{name}", name)
    return f"{documentation()}/rules/{code}.md"
