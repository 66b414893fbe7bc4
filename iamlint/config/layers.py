"""Configuration records: a settings layer (one configuration file, or the command line),
path globs, and rule selections resolved against the installed rules."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any, Iterable

from iamlint.model.findings import Severity

CONFIG_NAMES = (".iamlint.toml", "iamlint.toml", "pyproject.toml")
PARTITIONS = ("aws", "aws-cn", "aws-us-gov")
RULES_EXPECTED = "rule codes or names (see `iamlint rules`), code prefixes or ALL"


class ConfigError(Exception):
    """A configuration problem: the file, the key and what was expected."""

    def __init__(self, path: str, key: str, message: str) -> None:
        super().__init__(f"{path}: {key}: {message}" if key else f"{path}: {message}")
        self.path, self.key, self.message = path, key, message


@dataclass(frozen=True, slots=True)
class Glob:
    """A path pattern relative to ``root``: ``*`` ``?`` ``[..]`` ``{a,b}`` within a path
    component, ``**`` across components. A pattern without ``/`` matches any one
    component (a file or directory name anywhere below ``root``)."""

    pattern: str
    root: str
    regex: re.Pattern = field(compare=False)

    @classmethod
    def compile(cls, pattern: str, root: str) -> Glob:
        return cls(pattern, root, re.compile(_translate(pattern.strip("/")) + r"\Z"))

    def matches(self, path: str) -> bool:
        relative = os.path.relpath(os.path.abspath(path), self.root).replace(os.sep, "/")
        if relative.startswith("../"):
            relative = os.path.abspath(path).replace(os.sep, "/").lstrip("/")
        parts = relative.split("/")
        if "/" not in self.pattern.strip("/"):
            return any(self.regex.match(part) for part in parts)
        return any(self.regex.match("/".join(parts[: i + 1])) for i in range(len(parts)))


def _translate(pattern: str) -> str:
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] in "*?":
            out.append("[^/]*" if pattern[i] == "*" else "[^/]")
            i += 1
        elif pattern[i] in "[{" and pattern.find("]}"["[{".index(pattern[i])], i + 1) > i:
            end = pattern.find("]}"["[{".index(pattern[i])], i + 1)
            body = pattern[i + 1 : end]
            if pattern[i] == "[":
                out.append("[" + ("^" + body[1:] if body.startswith("!") else body) + "]")
            else:
                out.append("(?:" + "|".join(_translate(alt) for alt in body.split(",")) + ")")
            i = end + 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return "".join(out)


@dataclass(frozen=True, slots=True)
class Layer:
    """One source of settings (a configuration file or the command line); None = not set."""

    origin: str
    root: str
    select: frozenset[str] | None = None
    extend_select: frozenset[str] = frozenset()
    ignore: frozenset[str] = frozenset()
    severity: dict[str, Severity] = field(default_factory=dict)
    exclude: tuple[Glob, ...] | None = None
    extend_exclude: tuple[Glob, ...] = ()
    per_file_ignores: tuple[tuple[Glob, frozenset[str]], ...] = ()
    fail_on: Severity | None = None
    partition: str | None = None
    var_files: tuple[str, ...] = ()


def rule_codes(registry: Any, values: Iterable[str]) -> frozenset[str]:
    """Rule codes for codes, names (any case), code prefixes (``IAM``) or ``ALL``;
    raises KeyError naming the first value that matches no rule."""
    codes: set[str] = set()
    for value in values:
        key = value.strip()
        if key.upper() == "ALL":
            codes.update(rule.code for rule in registry.rules)
            continue
        rule = registry.find(key)
        if rule is not None:
            codes.add(rule.code)
            continue
        prefixed = {rule.code for rule in registry.rules if rule.code.startswith(key.upper()) and key[:1].isalpha()}
        if not prefixed:
            raise KeyError(key)
        codes.update(prefixed)
    return frozenset(codes)
