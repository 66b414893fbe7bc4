"""The options of a run (library and command line alike), and which of them a unit's
cached result depends on (:meth:`Options.cache_key`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from iamlint.model.findings import Severity
from iamlint.model.units import Unit

MAX_INSTANCES = 1000  # count/for_each instances of one block judged one by one (--max-instances)


@dataclass(slots=True)
class Options:
    """The settings of one run that loading and checking read (command line and configuration)."""

    partition: str = "aws"
    select: set[str] | None = None
    ignore: set[str] = field(default_factory=set)
    severity: dict[str, Severity] = field(default_factory=dict)
    variables: dict[str, str] = field(default_factory=dict)
    var_files: list[str] = field(default_factory=list)
    # --var / --var-file in command-line order, as ("var", "NAME=VALUE") / ("file", PATH);
    # when set, Terraform variables apply in this order (Terraform interleaves them)
    var_order: list[tuple[str, str]] = field(default_factory=list)
    jobs: int | None = None  # processes for loading units; None: CPU count (iamlint.parallel)
    cache: bool = True  # content-hash cache of loaded units (iamlint.cache)
    settings: Any = None  # iamlint.config.Settings: configuration files + command-line layer
    accepted_managed_policies: tuple[str, ...] = ()  # rules only (IAM006-IAM008): not part of a unit's identity
    # --narrow-from: the actions a workload was seen using (rules only: IAM002/IAM007 fixes);
    # None: no evidence given
    used_actions: tuple[str, ...] | None = None
    # locate the fixes findings propose (iamlint.fixes: re-reads the files they edit);
    # False when nothing shows them (check's text, github, junit... output): dropped
    fixes: bool = True
    max_file_size: int | None = None  # no file larger is read (iamlint.sources; None: its default, 10 MiB)
    # count/for_each instances of one block judged one by one; the rest are judged together
    # as one stand-in (Terraform; changes the graph, so part of cache_key)
    max_instances: int = MAX_INSTANCES
    # the folders Terraform's file() / templatefile() may read in (the repositories of the
    # paths checked: iamlint.sources.repository_root); empty: the root module's repository.
    # Not in cache_key: in a git repository it is the repository's top whatever the paths
    # given; outside one, a cached unit may keep what a wider run was allowed to read
    read_roots: tuple[str, ...] = ()
    # --account FILE: account snapshots used as context for code (names the code references
    # but does not define); applied after loading, so not part of cache_key
    account: tuple[str, ...] = ()
    state: tuple[str, ...] = ()  # --state FILE: Terraform states as context, the same way

    def for_unit(self, unit: Unit) -> Options:
        """The options of one unit: its closest configuration file, then the command line."""
        return self if self.settings is None else self.settings.unit_options(self, unit.root)

    def cache_key(self) -> dict[str, Any]:
        """What a loaded unit depends on, as JSON-able data: the options that change the
        graph (partition, Terraform variables and var files, in order, the instance cap). Rule selection,
        severities and run settings are not in it: they apply after loading. Call it on
        the options of the unit (:meth:`for_unit`), whose configuration is resolved."""
        return {
            "partition": self.partition,
            "variables": sorted([str(name), str(value)] for name, value in self.variables.items()),
            "var_files": [str(path) for path in self.var_files],
            "var_order": [[str(kind), str(value)] for kind, value in self.var_order],
            **({"max_file_size": self.max_file_size} if self.max_file_size is not None else {}),
            "max_instances": int(self.max_instances),
        }
