"""Settings layers: the records (a layer is one configuration file, or the command line;
path globs; rule selections resolved against the installed rules), and reading one
configuration file (``[tool.iamlint]`` of pyproject.toml, ``iamlint.toml``,
``.iamlint.toml``) into a layer, or finding the file that applies to a directory. A key
can only select and tune installed rules: nothing in a file names Python to import."""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from iamlint.config.globs import GlobMatcher
from iamlint.model.findings import Severity
from iamlint.sources import inside, read_bytes

CONFIG_NAMES = (".iamlint.toml", "iamlint.toml", "pyproject.toml")
PARTITIONS = ("aws", "aws-cn", "aws-us-gov")
RULES_EXPECTED = "rule codes or names (see `iamlint rules`), code prefixes or ALL"


class ConfigError(Exception):
    """A configuration problem: the file, the key and what was expected (``line``: where
    the key is written, 0 when unknown)."""

    def __init__(self, path: str, key: str, message: str, line: int = 0) -> None:
        super().__init__(f"{path}: {key}: {message}" if key else f"{path}: {message}")
        self.path, self.key, self.message, self.line = path, key, message, line

    @property
    def detail(self) -> str:
        """The message with its key, without the path (for a located error)."""
        return f"{self.key}: {self.message}" if self.key else self.message


@dataclass(frozen=True, slots=True)
class Glob:
    """A path pattern relative to ``root``: ``*`` ``?`` ``[..]`` ``{a,b}`` within a path
    component, ``**`` across components. A pattern without ``/`` matches any one
    component (a file or directory name anywhere below ``root``); one with ``/`` the path
    or one of its leading folders. Matching takes linear time (:mod:`iamlint.config.globs`)."""

    pattern: str
    root: str
    matcher: GlobMatcher = field(compare=False)

    @classmethod
    def compile(cls, pattern: str, root: str) -> Glob:
        return cls(pattern, root, GlobMatcher(pattern.strip("/")))

    def matches(self, path: str) -> bool:
        relative = os.path.relpath(os.path.abspath(path), self.root).replace(os.sep, "/")
        if relative.startswith("../"):
            relative = os.path.abspath(path).replace(os.sep, "/").lstrip("/")
        if "/" not in self.pattern.strip("/"):
            return any(self.matcher.full(part) for part in relative.split("/"))
        return self.matcher.prefix(relative)


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
    accepted_managed_policies: tuple[str, ...] | None = None
    max_instances: int | None = None


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


def _read_var_files(path, key, value, root, confine: str | None = None) -> tuple[str, ...]:
    files = tuple(os.path.normpath(os.path.join(root, v)) for v in _expect_list(path, key, value, "file paths"))
    for given, file in zip(_expect_list(path, key, value, "file paths"), files, strict=True):
        if confine is not None and not inside(file, confine):
            raise ConfigError(path, key, f"{given!r} is outside the repository ({confine}): a configuration file "
                                         "found in the scanned tree may name files inside it only")
    return files


def _read_max_instances(path, key, value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(path, key, f"expected a positive integer, got {value!r}")
    return value


def _read_managed_policies(path, key, value) -> tuple[str, ...]:
    """Names (or ARNs) of AWS managed policies, each known to the shipped snapshot."""
    from iamlint.knowledge.managed import snapshot  # only when the key is used (reads the data files)

    names = []
    known = snapshot().names
    for item in _expect_list(path, key, value, "AWS managed policy names"):
        name = item.strip().rsplit("/", 1)[-1]
        if name not in known:
            import difflib  # only for a suggestion

            close = difflib.get_close_matches(name, known, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ConfigError(path, key, f"unknown AWS managed policy {item!r} (expected names or ARNs of "
                                         f"AWS managed policies, e.g. 'AmazonSSMManagedInstanceCore'){hint}")
        names.append(name)
    return tuple(names)


_READERS: dict[str, Callable[..., dict[str, Any]]] = {
    "select": lambda reg, p, k, v, root: {"select": _rules(reg, p, k, v)},
    "extend-select": lambda reg, p, k, v, root: {"extend_select": _rules(reg, p, k, v)},
    "ignore": lambda reg, p, k, v, root: {"ignore": _rules(reg, p, k, v)},
    "severity": lambda reg, p, k, v, root: {"severity": _read_severity(reg, p, k, v)},
    "exclude": lambda reg, p, k, v, root: {"exclude": _globs(p, k, v, root)},
    "extend-exclude": lambda reg, p, k, v, root: {"extend_exclude": _globs(p, k, v, root)},
    "per-file-ignores": lambda reg, p, k, v, root: {"per_file_ignores": _read_per_file(reg, p, k, v, root)},
    "fail-on": lambda reg, p, k, v, root: {"fail_on": _severity(p, k, v)},
    "partition": lambda reg, p, k, v, root: {"partition": _read_partition(p, k, v)},
    "var-files": lambda reg, p, k, v, root, confine=None: {"var_files": _read_var_files(p, k, v, root, confine)},
    "accepted-managed-policies": lambda reg, p, k, v, root: {"accepted_managed_policies": _read_managed_policies(p, k, v)},
    "max-instances": lambda reg, p, k, v, root: {"max_instances": _read_max_instances(p, k, v)},
}
KEYS = tuple(_READERS)


def layer_from_table(registry, table: dict, origin: str, root: str, prefix: str = "", confine: str | None = None) -> Layer:
    """A :class:`Layer` from a parsed table; ``prefix`` is how keys are shown
    (``tool.iamlint.``); ``confine``: the folder the files it names must be inside
    (None: anywhere, for a file the user named with ``--config``)."""
    values: dict[str, Any] = {}
    for key, value in table.items():
        reader = _READERS.get(key)
        if reader is None:
            import difflib  # start-up: only to suggest the key a misspelt one meant

            close = difflib.get_close_matches(key.replace("_", "-"), KEYS, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ConfigError(origin, prefix + key, f"unknown key (expected one of: {', '.join(KEYS)}){hint}")
        if key == "var-files":
            values.update(reader(registry, origin, prefix + key, value, root, confine))
        else:
            values.update(reader(registry, origin, prefix + key, value, root))
    return Layer(origin, root, **values)


def read_file(registry, path: str, confine: str | None = None) -> Layer | None:
    """The layer of one configuration file; None for a pyproject.toml without
    [tool.iamlint]. ``confine``: the folder the files it names must be inside (a file
    found in the scanned tree); raises :class:`ConfigError` (with the key's line)."""
    # start-up: a TOML parser only when a configuration file is read (most runs read none)
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    data, error = read_bytes(path)  # a regular file only, capped
    if data is None:
        raise ConfigError(path, "", f"cannot read the configuration file: {error.message if error else path}")
    try:
        text = data.decode("utf-8")
        document = tomllib.loads(text)
    except UnicodeDecodeError:
        raise ConfigError(path, "", "not valid UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        where = _TOML_LINE.search(str(exc))
        line = int(where.group(1)) if where else text.count("\n") + 1  # "(at end of document)"
        raise ConfigError(path, "", f"invalid TOML: {exc}", line) from None
    root = os.path.dirname(os.path.abspath(path))
    try:
        if os.path.basename(path) == "pyproject.toml":
            table = document.get("tool", {}).get("iamlint")
            if table is None:
                return None
            if not isinstance(table, dict):
                raise ConfigError(path, "tool.iamlint", f"expected a table, got {_kind(table)}")
            return layer_from_table(registry, table, path, root, "tool.iamlint.", confine)
        return layer_from_table(registry, document, path, root, "", confine)
    except ConfigError as exc:
        if not exc.line:
            exc.line = line_of(text, exc.key)
        raise


_TOML_LINE = re.compile(r"\(at line (\d+)")


def line_of(text: str, key: str) -> int:
    """The line where the last part of a dotted ``key`` is written (0: not found)."""
    parts = [part.strip('"') for part in re.findall(r'"[^"]*"|[^.]+', key)]
    for part in reversed(parts):
        written = re.compile(r"^\s*(?:\[[^\]]*)?[\"']?" + re.escape(part) + r"[\"']?\s*[=\].]", re.MULTILINE)
        match = written.search(text)
        if match:
            return text.count("\n", 0, match.start()) + 1
    return 0


def find_config(directory: str, known: dict[str, str | None] | None = None) -> str | None:
    """The closest configuration file at or above ``directory`` (None when there is none).
    ``known``: answers for folders already walked (filled in on the way: folders of one
    tree share their parents' answer)."""
    current = os.path.abspath(directory)
    walked: list[str] = []
    found: str | None = None
    while True:
        if known is not None and current in known:
            found = known[current]
            break
        walked.append(current)
        found = config_in(current)
        if found is not None:
            break
        parent = os.path.dirname(current)
        if parent == current or os.path.exists(os.path.join(current, ".git")):
            break
        current = parent
    if known is not None:
        known.update(dict.fromkeys(walked, found))
    return found


def config_in(folder: str) -> str | None:
    """The configuration file of ``folder`` itself, if it has one."""
    for name in CONFIG_NAMES:
        candidate = os.path.join(folder, name)
        if os.path.isfile(candidate) and (name != "pyproject.toml" or _has_tool_table(candidate)):
            return candidate
    return None


def _has_tool_table(path: str) -> bool:
    data, _ = read_bytes(path)  # a regular file only, capped
    return data is not None and b"tool.iamlint" in data
