"""Results cache: what checking an unchanged unit gave, so that a warm run neither
unpickles its graph nor runs the rules on it again (as ruff caches each file's
diagnostics).

One entry per unit (``results/`` in the cache directory, :mod:`iamlint.cachedir`) holds a
:class:`Checked` record: everything the rest of the run takes from a unit once its rules
have run -- its located findings (with their fixes located, or with the rules' fix
intents when the run that checked it did not show fixes), the findings outside the
files given, input and load errors, the files it read, the suppression facts of its
files and the module prefixes its nodes live under, its node addresses (a plan's
de-duplication), its resource count and the ``--var`` names it does not declare.

Validity. An entry is used only when all of this still holds:

* its *key*: the unit's own cache key (:func:`iamlint.cache.unit_key`: kind, format,
  root, files, the options that change evaluation, the format's environment, iamlint's
  version and the fingerprint of its code and bundled knowledge data), the unit's
  files-mode restriction (``only``), the options rules read (rules enabled for the unit,
  severities, partition, accepted managed policies, ``--narrow-from`` actions) and the
  *plugin set* (:func:`rules_fingerprint`: every installed rule's code, name, stage,
  severity and check function, and for a rule outside iamlint the size and mtime of
  every file of its top-level package, so an edit of an editable plugin is seen);
* the *sources*: a digest of every file the unit read (own files, var files, child
  modules, tfvars, directory listings), exactly those the unit cache recorded when it
  loaded or served the unit, plus the files the findings point to; checked against the
  bytes on disk (or an editor buffer) before use;
* the *settings*: for every path whose configuration the check consulted (the unit's
  files, for exclusion from suppression scope; every finding's path, for
  ``exclude`` / ``per-file-ignores``), a digest of the effective settings there
  (:func:`settings_digest`), computed again from the configuration files of this run.

Not used (never read nor written) with ``--no-cache``, with ``--account`` / ``--state``
(their context is attached after loading), for units holding an unsaved editor buffer,
when a rule's check is not a plain module-level function (a closure, a bound method, a
callable object: state the key cannot see) or its package's files cannot be listed (a
zip, a namespace package), when a configuration object other than
:class:`~iamlint.config.Settings` is given, or when a rule failed on the unit. Trust is
the unit cache's: a private ``0700`` folder of the user, files checked (owner, mode,
regular file) before anything is unpickled, payload digest, every string masked
before writing (:func:`iamlint.cache.masked_payload`), atomic writes, bounded by
``IAMLINT_CACHE_MAX_MB`` (least recently used entries go), emptied by
``iamlint cache clear``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from iamlint import __version__
from iamlint.cache import Keys, UnitCache, digest_source, masked_payload, max_bytes, package_fingerprint
from iamlint.cachedir import RESULTS_SUBDIR, RESULT_SUFFIX, cache_dir
from iamlint.config import Effective, Settings
from iamlint.digests import blake2b
from iamlint.model.units import SourceError, SourceFacts, Unit
from iamlint.registry import DeferredCheck, module_function
from iamlint.report import LocatedFinding

__all__ = ["Checked", "ResultCache", "rules_fingerprint", "settings_digest"]

FORMAT = 1
MAGIC = b"iamlint-result-cache\n"


@dataclass(slots=True)
class Checked:
    """What the run takes from one unit once its graph rules have run (see the module).
    Sequences rather than sets, so that masking (:func:`iamlint.model.masking.mask_object`)
    walks every string."""

    files: list[str]
    sources: list[str]
    errors: list[SourceError]
    located: list[LocatedFinding]
    outside: list[LocatedFinding]
    facts: dict[str, SourceFacts]
    prefixes: dict[str, tuple[str, ...]]
    addresses: tuple[str, ...]
    resources: int
    undeclared: list[str]
    # not stored: what the check consulted, for the entry's header
    consulted: list[str] = field(default_factory=list)
    failed: bool = False  # a rule raised on this unit: never cached


# -- what an entry depends on ------------------------------------------------------------

def settings_digest(effective: Effective) -> str:
    """A digest of the effective settings of one path (every field: rules enabled,
    severities, excludes, per-file-ignores, ...)."""
    data = [
        effective.config,
        sorted(effective.enabled),
        sorted((code, str(level)) for code, level in effective.severity.items()),
        [(glob.pattern, glob.root) for glob in effective.excludes],
        [(glob.pattern, glob.root, sorted(codes)) for glob, codes in effective.per_file_ignores],
        str(effective.fail_on),
        effective.partition,
        list(effective.var_files),
        list(effective.accepted_managed_policies),
        effective.max_instances,
    ]
    return blake2b(json.dumps(data).encode(), digest_size=16).hexdigest()


def rules_fingerprint(rules: Iterable[Any]) -> str | None:
    """The identity of the installed rules, or None when one of them cannot be
    identified (then nothing is cached: its results could change unseen)."""
    items = []
    for rule in rules:
        check = _check_identity(rule.check)
        if check is None:
            return None
        items.append([rule.code, rule.name, rule.stage, str(rule.severity), getattr(rule, "fixable", ""), *check])
    return blake2b(json.dumps(items).encode(), digest_size=16).hexdigest()


def _check_identity(check: Callable[..., Any]) -> list[str] | None:
    """Module, name and code files of a plain module-level function; None for anything
    else (a closure, a bound method, a callable object, a function replaced in its
    module since the rule was made: their behaviour depends on state not in the key)."""
    if isinstance(check, DeferredCheck):  # a built-in rule not imported yet: its check's own identity
        if check.rule is None:
            recorded = package_fingerprint(check.__module__)
            return None if recorded is None else [check.__module__, check.__qualname__, recorded]
        check = check.loaded
    if not module_function(check):
        return None
    files = package_fingerprint(check.__module__)
    return None if files is None else [check.__module__, check.__qualname__, files]


# -- the cache ----------------------------------------------------------------------------

class ResultCache(UnitCache):
    """Get and put :class:`Checked` records; ``enabled=False`` (or a run it does not
    serve, see the module) makes every call a no-op."""

    suffix = RESULT_SUFFIX
    magic = MAGIC

    def __init__(self, settings: Any, rules: Iterable[Any], enabled: bool = True,
                 directory: str | os.PathLike[str] | None = None, limit: int | None = None,
                 keys: Keys | None = None) -> None:
        fingerprint = rules_fingerprint(rules) if enabled else None
        usable = enabled and fingerprint is not None and isinstance(settings, Settings)
        folder = Path(directory) if directory is not None else cache_dir() / RESULTS_SUBDIR
        super().__init__(folder, enabled=usable, limit=max_bytes() if limit is None else limit, keys=keys)
        self.settings = settings
        self.rules = fingerprint
        self._digests: dict[str, str] = {}  # path -> settings digest, for this run
        self._effective: dict[int, tuple[Effective, str]] = {}  # the same, by settings object
        self._sources: dict[str, str] = {}  # path -> digest of its content, for this run

    def key(self, unit: Unit, options: Any) -> str:
        """The entry's name: the unit's cache key and what rules read (see the module)."""
        identity = {
            "format": FORMAT,
            "unit": self.keys(unit, options),  # unit_key, once per unit in a run
            "rules": self.rules,
            "only": sorted(unit.only) if unit.only is not None else None,
            "select": sorted(options.select) if options.select is not None else None,
            "ignore": sorted(options.ignore),
            "severity": sorted([code, str(level)] for code, level in options.severity.items()),
            "partition": options.partition,
            "accepted": list(options.accepted_managed_policies),
            "used_actions": list(options.used_actions) if options.used_actions is not None else None,
        }
        return blake2b(json.dumps(identity, sort_keys=True).encode(), digest_size=20).hexdigest()

    def digest(self, path: str) -> str:
        """:func:`iamlint.cache.digest_source` of ``path``, once per run (the files of a
        child module many roots call are read once)."""
        digest = self._sources.get(path)
        if digest is None:
            digest = self._sources[path] = digest_source(path)
        return digest

    def setting(self, folder: str) -> str:
        """The digest of the effective settings of ``folder`` in this run."""
        digest = self._digests.get(folder)
        if digest is None:
            effective = self.settings.for_directory(folder)  # one object per directory (Settings keeps them)
            known = self._effective.get(id(effective))
            if known is None:
                known = self._effective[id(effective)] = (effective, settings_digest(effective))
            digest = self._digests[folder] = known[1]
        return digest

    # -- lookup ---------------------------------------------------------------------------
    def lookup(self, unit: Unit, options: Any) -> Checked | None:
        """The stored record of ``unit`` when nothing it depends on changed, else None."""
        if not self.enabled:
            return None
        if self._empty():  # no key to compute
            self.misses += 1
            return None
        record: Checked | None = self._entry(self.key(unit, options))
        return record

    def _accepts(self, value: Any) -> bool:
        return isinstance(value, Checked)

    def _valid_header(self, header: dict[str, Any], key: str) -> bool:
        return (header.get("format") == FORMAT and header.get("version") == __version__ and header.get("key") == key
                and isinstance(header.get("sources"), list) and isinstance(header.get("settings"), list))

    def _current(self, header: dict[str, Any]) -> bool:
        """Every source and every consulted setting as recorded."""
        for source, digest in header["sources"]:
            if self.digest(source) != digest:
                return False
        return all(self.setting(path) == digest for path, digest in header["settings"])

    # -- store ----------------------------------------------------------------------------
    def store(self, unit: Unit, options: Any, record: Checked, sources: list[list[str]] | None,
              payload: bytes | None = None) -> None:
        """Store ``record``; ``sources``: the digests the unit cache recorded for the unit
        (None: the unit was not cached, nor are its results); ``payload``: the record
        already pickled without its ``consulted`` paths (a pool worker sends those bytes)."""
        if not self.enabled or sources is None or record.failed:
            return
        consulted, record.consulted = record.consulted, []
        payload = masked_payload(record, payload)
        if payload is None:
            return
        sources = [list(pair) for pair in sources]
        known = {source for source, _ in sources}
        for finding in (*record.located, *record.outside):  # the files findings point to (block headers)
            for where in (finding.path, *(link.span.file for link in finding.related)):
                if where not in known:
                    known.add(where)
                    sources.append([where, digest_source(where)])
        key = self.key(unit, options)
        header = {
            "format": FORMAT,
            "version": __version__,
            "key": key,
            "root": unit.root,
            "sources": sources,
            "settings": [[folder, self.setting(folder)] for folder in dict.fromkeys(map(self.settings.folder, consulted))],
            "payload": blake2b(payload, digest_size=16).hexdigest(),
        }
        data = MAGIC + json.dumps(header, separators=(",", ":")).encode() + b"\n" + payload
        self._write(self.directory / (key + self.suffix), data)
