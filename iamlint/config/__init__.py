"""Configuration files: ``[tool.iamlint]`` in pyproject.toml, ``iamlint.toml``, ``.iamlint.toml``.

For every checked path the closest configuration file found walking up from its
directory applies (in one directory ``.iamlint.toml`` beats ``iamlint.toml`` beats
``pyproject.toml``; a pyproject.toml without ``[tool.iamlint]`` is skipped; the walk
stops at a directory holding ``.git``). ``--config FILE`` applies one file to every
path, ``--isolated`` ignores them all. Command-line flags are a last layer on top.

A file only selects and tunes rules that installed packages provide: no key can name
Python to import, so checking an untrusted pull request with its own configuration is safe.
"""

from iamlint.config.layers import (
    CONFIG_NAMES,
    KEYS,
    PARTITIONS,
    RULES_EXPECTED,
    ConfigError,
    Glob,
    Layer,
    find_config,
    layer_from_table,
    read_file,
    rule_codes,
)
from iamlint.config.settings import Effective, Settings, combine

__all__ = [
    "CONFIG_NAMES",
    "KEYS",
    "PARTITIONS",
    "RULES_EXPECTED",
    "ConfigError",
    "Effective",
    "Glob",
    "Layer",
    "Settings",
    "combine",
    "find_config",
    "layer_from_table",
    "read_file",
    "rule_codes",
]
