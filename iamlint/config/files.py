"""Reading one configuration file (``[tool.iamlint]`` of pyproject.toml, ``iamlint.toml``,
``.iamlint.toml``) into a :class:`~iamlint.config.layers.Layer`, and finding the file
that applies to a directory. A key can only select and tune installed rules: nothing in a
file names Python to import."""

from __future__ import annotations

import os
import sys
from typing import Any

from iamlint.config.layers import CONFIG_NAMES, PARTITIONS, RULES_EXPECTED, ConfigError, Glob, Layer, rule_codes
from iamlint.model.findings import Severity

# tomllib and difflib are imported only when a configuration file is read / a key is
# misspelt: most runs read no file, and start-up time counts for one-shot runs (issue 7)


def _expect_list(path: str, key: str, value: Any, what: str) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError(path, key, f"expected a list of {what}, got {_kind(value)}")
    return value


def _kind(value: Any) -> str:
    return {dict: "a table", list: "a list", str: "a string", bool: "a boolean", int: "an integer"}.get(
        type(value), type(value).__name__
    )


def _rules(registry, path: str, key: str, value: Any) -> frozenset[str]:
    try:
        return rule_codes(registry, _expect_list(path, key, value, RULES_EXPECTED))
    except KeyError as exc:
        raise ConfigError(path, key, f"unknown rule {exc.args[0]!r} (expected {RULES_EXPECTED})") from None


def _severity(path: str, key: str, value: Any) -> Severity:
    try:
        return Severity.parse(value) if isinstance(value, str) else Severity.parse(repr(value))
    except ValueError:
        raise ConfigError(path, key, f"unknown severity {value!r} (expected error, warning or note)") from None


def _globs(path: str, key: str, value: Any, root: str) -> tuple[Glob, ...]:
    return tuple(Glob.compile(p, root) for p in _expect_list(path, key, value, "glob patterns"))


def _read_severity(registry, path, key, value) -> dict[str, Severity]:
    if not isinstance(value, dict):
        raise ConfigError(path, key, f"expected a table of rule = severity, got {_kind(value)}")
    result: dict[str, Severity] = {}
    for rule_key, level in value.items():
        for code in _rules(registry, path, f"{key}.{rule_key}", [rule_key]):
            result[code] = _severity(path, f"{key}.{rule_key}", level)
    return result


def _read_per_file(registry, path, key, value, root) -> tuple[tuple[Glob, frozenset[str]], ...]:
    if not isinstance(value, dict):
        raise ConfigError(path, key, f"expected a table of glob = [rules], got {_kind(value)}")
    return tuple(
        (Glob.compile(pattern, root), _rules(registry, path, f'{key}."{pattern}"', codes))
        for pattern, codes in value.items()
    )


def _read_partition(path, key, value) -> str:
    if value not in PARTITIONS:
        raise ConfigError(path, key, f"unknown partition {value!r} (expected one of {', '.join(PARTITIONS)})")
    return value


def _read_var_files(path, key, value, root) -> tuple[str, ...]:
    return tuple(os.path.normpath(os.path.join(root, v)) for v in _expect_list(path, key, value, "file paths"))


_READERS = {
    "select": lambda reg, p, k, v, root: {"select": _rules(reg, p, k, v)},
    "extend-select": lambda reg, p, k, v, root: {"extend_select": _rules(reg, p, k, v)},
    "ignore": lambda reg, p, k, v, root: {"ignore": _rules(reg, p, k, v)},
    "severity": lambda reg, p, k, v, root: {"severity": _read_severity(reg, p, k, v)},
    "exclude": lambda reg, p, k, v, root: {"exclude": _globs(p, k, v, root)},
    "extend-exclude": lambda reg, p, k, v, root: {"extend_exclude": _globs(p, k, v, root)},
    "per-file-ignores": lambda reg, p, k, v, root: {"per_file_ignores": _read_per_file(reg, p, k, v, root)},
    "fail-on": lambda reg, p, k, v, root: {"fail_on": _severity(p, k, v)},
    "partition": lambda reg, p, k, v, root: {"partition": _read_partition(p, k, v)},
    "var-files": lambda reg, p, k, v, root: {"var_files": _read_var_files(p, k, v, root)},
}
KEYS = tuple(_READERS)


def layer_from_table(registry, table: dict, origin: str, root: str, prefix: str = "") -> Layer:
    """A :class:`Layer` from a parsed table; ``prefix`` is how keys are shown (``tool.iamlint.``)."""
    values: dict[str, Any] = {}
    for key, value in table.items():
        reader = _READERS.get(key)
        if reader is None:
            import difflib  # start-up: only to suggest the key a misspelt one meant

            close = difflib.get_close_matches(key.replace("_", "-"), KEYS, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ConfigError(origin, prefix + key, f"unknown key (expected one of: {', '.join(KEYS)}){hint}")
        values.update(reader(registry, origin, prefix + key, value, root))
    return Layer(origin, root, **values)


def read_file(registry, path: str) -> Layer | None:
    """The layer of one configuration file; None for a pyproject.toml without [tool.iamlint]."""
    # start-up: a TOML parser only when a configuration file is read (most runs read none)
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    try:
        with open(path, "rb") as handle:
            document = tomllib.load(handle)
    except OSError as exc:
        raise ConfigError(path, "", f"cannot read the configuration file: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(path, "", f"invalid TOML: {exc}") from None
    root = os.path.dirname(os.path.abspath(path))
    if os.path.basename(path) == "pyproject.toml":
        table = document.get("tool", {}).get("iamlint")
        if table is None:
            return None
        if not isinstance(table, dict):
            raise ConfigError(path, "tool.iamlint", f"expected a table, got {_kind(table)}")
        return layer_from_table(registry, table, path, root, "tool.iamlint.")
    return layer_from_table(registry, document, path, root)


def find_config(directory: str) -> str | None:
    """The closest configuration file at or above ``directory`` (None when there is none)."""
    current = os.path.abspath(directory)
    while True:
        for name in CONFIG_NAMES:
            candidate = os.path.join(current, name)
            if os.path.isfile(candidate) and (name != "pyproject.toml" or _has_tool_table(candidate)):
                return candidate
        parent = os.path.dirname(current)
        if parent == current or os.path.exists(os.path.join(current, ".git")):
            return None
        current = parent


def _has_tool_table(path: str) -> bool:
    try:
        with open(path, "rb") as handle:
            return b"tool.iamlint" in handle.read()
    except OSError:
        return False
