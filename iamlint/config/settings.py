"""Settings per checked path: the closest configuration file, then the command line.

For every checked path the closest configuration file found walking up from its
directory applies (in one directory ``.iamlint.toml`` beats ``iamlint.toml`` beats
``pyproject.toml``; a pyproject.toml without ``[tool.iamlint]`` is skipped; the walk
stops at a directory holding ``.git``). ``--config FILE`` applies one file to every
path, ``--isolated`` ignores them all. Command-line flags are a last layer on top.

A configuration file found in the scanned tree is data of that tree: the files it names
(``var-files``) must be inside its repository (:func:`~iamlint.sources.repository_root`),
and a file that cannot be read or holds a bad key or value is a located input error
(:attr:`Settings.errors`, reported with the other input errors) while the paths it
governs are checked with the defaults; the rest of the tree is not affected. Only the
file given with ``--config`` stops the run when it is bad (a usage error)."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from typing import Iterable

from iamlint.config.layers import (
    RULES_EXPECTED, ConfigError, Glob, Layer, find_config, read_file, rule_codes,
)
from iamlint.model.findings import Severity
from iamlint.model.units import SourceError
from iamlint.sources import repository_root


@dataclass(frozen=True, slots=True)
class Effective:
    """The settings that apply to one directory: its configuration file, then the command line."""

    config: str | None
    enabled: frozenset[str]
    severity: dict[str, Severity]
    excludes: tuple[Glob, ...]
    per_file_ignores: tuple[tuple[Glob, frozenset[str]], ...]
    fail_on: Severity
    partition: str
    var_files: tuple[str, ...]
    accepted_managed_policies: tuple[str, ...] = ()
    max_instances: int | None = None  # None: the library's Options decide

    def excluded(self, path: str) -> bool:
        return any(glob.matches(path) for glob in self.excludes)

    def ignored(self, path: str) -> frozenset[str]:
        """Rule codes that per-file-ignores switches off for ``path``."""
        codes: set[str] = set()
        for glob, rules in self.per_file_ignores:
            if glob.matches(path):
                codes |= rules
        return frozenset(codes)

    def enables(self, code: str, path: str) -> bool:
        return code in self.enabled and code not in self.ignored(path)


def combine(layers: list[Layer], all_codes: Iterable[str]) -> Effective:
    """Later layers win: ``select`` replaces the enabled set, ``extend-select`` adds,
    ``ignore`` removes; the other keys are replaced when set (lists of globs and
    var-files accumulate, see docs/configuration.md)."""
    enabled = set(all_codes)
    severity: dict[str, Severity] = {}
    exclude: tuple[Glob, ...] = ()
    extend: tuple[Glob, ...] = ()
    per_file: tuple[tuple[Glob, frozenset[str]], ...] = ()
    fail_on, partition = Severity.ERROR, "aws"
    var_files: tuple[str, ...] = ()
    accepted: tuple[str, ...] = ()
    max_instances: int | None = None
    for layer in layers:
        if layer.select is not None:
            enabled = set(layer.select)
        enabled = (enabled | layer.extend_select) - layer.ignore
        severity.update(layer.severity)
        exclude = layer.exclude if layer.exclude is not None else exclude
        extend += layer.extend_exclude
        per_file += layer.per_file_ignores
        fail_on = layer.fail_on or fail_on
        partition = layer.partition or partition
        var_files += layer.var_files
        if layer.accepted_managed_policies is not None:
            accepted = layer.accepted_managed_policies
        max_instances = layer.max_instances or max_instances
    config = next((layer.origin for layer in reversed(layers) if layer.origin != "command line"), None)
    return Effective(config, frozenset(enabled), severity, exclude + extend, per_file, fail_on, partition, var_files,
                     accepted, max_instances)


class Settings:
    """Finds and caches the configuration of every checked path.

    ``cli`` is the command-line layer; ``config_file`` (``--config``) replaces discovery;
    ``isolated`` ignores every configuration file; ``roots`` are the paths given on the
    command line (where a configuration file outside any git repository may name files).
    ``errors`` collects the problems of the configuration files found (located)."""

    def __init__(self, registry, cli: Layer | None = None, config_file: str | None = None, isolated: bool = False,
                 roots: list[str] | None = None):
        self.registry = registry
        self.cli = cli or Layer("command line", os.getcwd())
        self.isolated = isolated
        self.roots = list(roots or ())
        self.errors: list[SourceError] = []
        self._codes = [rule.code for rule in registry.rules]
        self._fixed: Layer | None = None
        if config_file is not None and not isolated:
            self._fixed = read_file(registry, config_file)
            if self._fixed is None:
                raise ConfigError(config_file, "tool.iamlint", "no [tool.iamlint] table (expected iamlint settings in it)")
        self._files: dict[str, Layer | None] = {}
        self._directories: dict[str, Effective] = {}
        self._folders: dict[str, str] = {}  # path -> folder() of it
        self._found: dict[str, str | None] = {}  # folder -> its closest configuration file

    def for_directory(self, directory: str) -> Effective:
        key = os.path.abspath(directory)
        effective = self._directories.get(key)
        if effective is None:
            layers = [layer for layer in (self._file_layer(key), self.cli) if layer is not None]
            effective = self._directories[key] = combine(layers, self._codes)
        return effective

    def for_path(self, path: str) -> Effective:
        """Settings for a file (its directory's) or a directory."""
        return self.for_directory(self.folder(path))

    def for_file(self, path: str) -> Effective:
        """Settings for a file known to be one (a unit's file): its directory's, without
        asking the file system whether it is a folder."""
        folder = self._folders.get(path)
        if folder is None:
            folder = self._folders[path] = os.path.dirname(os.path.abspath(path))
        return self.for_directory(folder)

    def folder(self, path: str) -> str:
        """The (absolute) folder whose settings apply to ``path``: a directory's own, a
        file's directory. Each path is looked at once (a unit's files are asked about by
        the suppressions, the results cache, the rules)."""
        folder = self._folders.get(path)
        if folder is None:
            absolute = os.path.abspath(path)
            folder = self._folders[path] = absolute if os.path.isdir(path) else os.path.dirname(absolute)
        return folder

    def _file_layer(self, directory: str) -> Layer | None:
        if self.isolated:
            return None
        if self._fixed is not None:
            return self._fixed
        found = find_config(directory, self._found)
        if found is None:
            return None
        if found not in self._files:
            try:
                self._files[found] = read_file(self.registry, found, confine=repository_root(found, self.roots))
            except ConfigError as exc:  # one bad file: its paths get the defaults, the run goes on
                self._files[found] = None
                self.errors.append(SourceError(_shown(found), exc.line, exc.detail))
        return self._files[found]

    # ------------------------------------------------ what the engine asks

    @classmethod
    def from_options(cls, registry, options) -> Settings:
        """No configuration files: only what ``options`` says (library use, tests)."""
        try:
            select = rule_codes(registry, options.select) if options.select is not None else None
            ignore = rule_codes(registry, options.ignore)
        except KeyError as exc:
            raise ValueError(f"unknown rule {exc.args[0]!r} in Options (expected {RULES_EXPECTED})") from None
        severity = {}
        for key, level in options.severity.items():
            rule = registry.find(key)
            severity[rule.code if rule else key] = level
        cli = Layer("command line", os.getcwd(), select=select, ignore=ignore, severity=severity, partition=options.partition)
        return cls(registry, cli, isolated=True)

    def unit_options(self, options, root: str):
        """``options`` for the unit at ``root``: rules, severities, partition and var-files
        of its configuration (command-line var-files come last, so they win)."""
        effective = self.for_path(root)
        return dataclasses.replace(
            options,
            select=set(effective.enabled),
            ignore=set(),
            severity=dict(effective.severity),
            partition=effective.partition,
            var_files=[*effective.var_files, *options.var_files],
            accepted_managed_policies=effective.accepted_managed_policies,
            max_instances=effective.max_instances or options.max_instances,
        )

    def excluded_unit(self, files: Iterable[str]) -> bool:
        """A unit is skipped when every one of its files is excluded."""
        return all(self.for_file(path).excluded(path) for path in files)

    def reported(self, code: str, path: str) -> bool:
        """Whether a finding of ``code`` located in ``path`` is reported (exclude, per-file-ignores)."""
        effective = self.for_path(path)
        return not effective.excluded(path) and code not in effective.ignored(path)

    def fail_on(self, path: str) -> Severity:
        return self.for_path(path).fail_on

    def __getstate__(self) -> dict:
        # worker processes only read the caches filled before loading started
        return {**self.__dict__, "registry": None}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)


def _shown(path: str) -> str:
    """A path as the report shows it: relative to the working folder when below it."""
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative
