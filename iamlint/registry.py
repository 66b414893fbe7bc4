"""Plugin discovery: rules (``iamlint.rules``) and input formats (``iamlint.formats``),
built-ins included, through their entry-point groups.

Only installed distributions are consulted; nothing is ever imported from the code
being scanned. A plugin that fails to load, or declares an invalid or duplicate rule or
format, becomes one error entry naming it; the others still load.

Start-up (issue 7): the entry points come from an index in the user cache directory
(:mod:`iamlint.entrypoints`), read once for both groups; on any doubt, and whenever a
plugin fails to load or validate from the index, the normal scan runs (with its error
messages).

Deferred built-in rules (issue 17, a warm run): a run whose units the results cache
serves never calls a graph rule, and importing iamlint's 15 rule modules (with
:mod:`iamlint.plugin` and :mod:`iamlint.permissions` they import) was ~20 M instructions
of a ~410 M warm run over 100 modules. ``load_plugins(deferred=True)`` (``iamlint check``
with the cache on) makes each built-in rule (an ``iamlint.rules.*`` entry point) from its
*facts* -- code, name, summary, severity, stage, fixable, and its check's module and
name; not its doc, which :class:`DeferredRule` reads from the module -- recorded in
``rules-<environment>.index`` in the cache folder by an earlier run that imported them,
under :func:`iamlint.cache.code_fingerprint` (every code and data file of iamlint: any
edit, upgrade or other Python makes the facts stale; the rules are then imported and the
facts written again). Its check is a :class:`DeferredCheck`, which imports the rule's
module at its first call (the engine imports them all before checking a unit, in the
parent before a pool forks: :func:`load_deferred`) and has the identity the results
cache keys on (:func:`iamlint.results.rules_fingerprint`), the same as the check's own.
The facts file is JSON (nothing is unpickled or executed from it), read only when trusted
(:func:`iamlint.cachedir.read_trusted`), and not written when one of its texts would
need masking. Plugins' rules are always imported.
"""

from __future__ import annotations

import re
import sys
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from iamlint import entrypoints
from iamlint.cache import code_fingerprint
from iamlint.cachedir import cache_dir, read_sealed, write_sealed
from iamlint.formats.registry import FormatRegistry, formats_from_entries
from iamlint.model.findings import STAGES, Rule, Severity
from iamlint.model.masking import mask_text

GROUP = entrypoints.RULES
_CODE = re.compile(r"^[A-Z]{2,6}[0-9]{3,4}$")
_NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")


@dataclass(slots=True)
class Registry:
    """The installed rules and input formats, and the problems met loading them."""

    rules: list[Rule] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    formats: FormatRegistry = field(default_factory=FormatRegistry)

    def find(self, key: str) -> Rule | None:
        """A rule by code or name (case-insensitive)."""
        wanted = key.strip().lower()
        for rule in self.rules:
            if rule.code.lower() == wanted or rule.name == wanted:
                return rule
        return None


def load_plugins(deferred: bool = False) -> Registry:
    """The rules and input formats of the installed distributions (index first);
    ``deferred``: built-in rules from their recorded facts when current (see the module)."""
    key = _installation_key()
    if key is not None:
        indexed = entrypoints.read_index(key)
        if indexed is not None:
            registry = _load_indexed(indexed[GROUP], deferred)
            formats = formats_from_entries(indexed[entrypoints.FORMATS], strict=True)
            if registry is not None and formats is not None:
                registry.formats = formats
                return registry
    return _load_scanned(key, deferred)


load_rules = load_plugins  # the historical name: rules come with the input formats


def _installation_key() -> str | None:
    return entrypoints.installation_key()


def index_path() -> Path:
    return entrypoints.index_path()


def _load_indexed(entries: list[tuple[str, str]], deferred: bool = False) -> Registry | None:
    """The registry from the indexed entry points; None when anything is not as the
    normal path would accept it without a message (then the normal path runs)."""
    registry = Registry()
    seen: set[str] = set()
    facts = read_facts() if deferred and any(_built_in(value) for _, value in entries) else None
    loaded: list[tuple[str, Rule]] = []
    for name, value in entries:
        rule = facts.get(value) if facts is not None else None
        if rule is None:
            try:
                rule = entrypoints.resolve(value)
            except Exception:
                return None
        if _validate(rule, name) is not None or rule.code in seen or rule.name in seen:
            return None
        seen.update((rule.code, rule.name))
        registry.rules.append(rule)
        loaded.append((value, rule))
    registry.rules.sort(key=lambda r: r.code)
    if deferred and facts is None:
        write_facts(loaded)
    return registry


def _load_scanned(key: str | None, deferred: bool = False) -> Registry:
    found = entrypoints.scan_and_index(key)
    registry = Registry()
    seen: dict[str, Any] = {}  # rule code / name -> the entry point that provided it
    # origins (distribution name and version) are read only for messages: reading a
    # distribution's metadata parses its METADATA file, a cost on every run otherwise
    loaded: list[tuple[str, Rule]] = []
    for entry in found[GROUP]:
        try:
            rule = entry.load()
        except Exception as exc:  # a broken plugin must not stop the others
            registry.errors.append(f"rule plugin {entry.name} ({entrypoints.origin(entry)}) failed to load: {exc!r}")
            continue
        problem = _validate(rule, entry.name) or _duplicate(rule, seen)
        if problem is not None:
            registry.errors.append(f"rule plugin {entry.name} ({entrypoints.origin(entry)}): {problem}")
            continue
        seen[rule.code] = seen[rule.name] = entry
        registry.rules.append(rule)
        loaded.append((entry.value, rule))
    if deferred:
        write_facts(loaded)
    registry.rules.sort(key=lambda r: r.code)
    formats = formats_from_entries(found[entrypoints.FORMATS], strict=False)
    assert formats is not None  # not strict: problems become errors
    registry.formats = formats
    registry.errors.extend(formats.errors)
    return registry


def _duplicate(rule: Rule, seen: dict[str, Any]) -> str | None:
    for key in (rule.code, rule.name):
        if key in seen:
            return f"duplicate rule {key} (already provided by {entrypoints.origin(seen[key])})"
    return None


def _validate(rule: object, entry_name: str) -> str | None:
    if not isinstance(rule, Rule):
        return "is not an iamlint.plugin.Rule"
    if not _CODE.match(rule.code):
        return f"invalid code {rule.code!r} (expected letters then digits, e.g. EC2001)"
    if rule.code != entry_name:
        return f"entry point name {entry_name!r} differs from the rule code {rule.code!r}"
    if not _NAME.match(rule.name):
        return f"invalid name {rule.name!r} (expected kebab-case)"
    if not isinstance(rule.severity, Severity) or not callable(rule.check):
        return "invalid severity or check"
    if rule.stage not in STAGES:
        return f"unknown stage {rule.stage!r} (expected one of: {', '.join(STAGES)})"
    return None


# -- deferred built-in rules (see the module) ----------------------------------------------

_FACTS_MAGIC = b"iamlint-rule-facts\n"
_BUILT_IN = "iamlint.rules."
_TEXTS = ("code", "name", "summary", "stage", "fixable", "module", "qualname")
_DOC = Rule.__dict__["doc"]  # the slot of Rule.doc


class DeferredCheck:
    """The check of a built-in rule made from its facts: imports the rule's module at the
    first call, then calls its check. ``__module__`` and ``__qualname__`` are the check's
    own; the results cache keys on them (:func:`iamlint.results.rules_fingerprint`) as on
    the check's, or on the check itself once it is loaded."""

    def __init__(self, value: str, module: str, qualname: str) -> None:
        self.value = value
        self.__module__ = module
        self.__qualname__ = qualname
        self.__name__ = qualname.rpartition(".")[2]
        self.rule: Rule | None = None  # the rule its module defines, once imported

    def load(self) -> Rule:
        """The rule its module defines (imported the first time); raises when that rule
        is not the one its facts describe (they are keyed by iamlint's code: not expected)."""
        if self.rule is None:
            rule = entrypoints.resolve(self.value)
            check = getattr(rule, "check", None)
            if (not isinstance(rule, Rule) or getattr(check, "__module__", None) != self.__module__
                    or getattr(check, "__qualname__", None) != self.__qualname__):
                raise RuntimeError(f"rule {self.value} is not the one its recorded facts describe")
            self.rule = rule
        return self.rule

    @property
    def loaded(self) -> Any:
        """The rule's own check once its module is imported, else None."""
        return None if self.rule is None else self.rule.check

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.load().check(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<deferred check {self.__module__}.{self.__qualname__}>"


class DeferredRule(Rule):
    """A built-in rule made from its facts (see the module). Its documentation -- long,
    and for SEC001 holding the example keys the rule reports, which the facts file could
    only keep masked -- is read from its module, imported at the first read."""

    __slots__ = ()

    @property
    def doc(self) -> str:
        check = self.check
        assert isinstance(check, DeferredCheck)
        return check.load().doc

    @doc.setter
    def doc(self, value: str) -> None:  # (the dataclass's __init__)
        _DOC.__set__(self, value)


def module_function(check: Any) -> bool:
    """Whether ``check`` is a plain module-level function: no closure, and still what its
    module holds under its name (what the results cache keys on and rule facts record)."""
    if not isinstance(check, types.FunctionType) or check.__closure__:
        return False
    return getattr(sys.modules.get(check.__module__), check.__qualname__, None) is check


def deferred(check: Any) -> bool:
    """Whether ``check`` is a built-in rule's check whose module is not imported yet."""
    return isinstance(check, DeferredCheck) and check.rule is None


def load_deferred(rules: Iterable[Rule]) -> None:
    """Import the modules of the deferred checks of ``rules`` (before units are checked:
    a pool's workers then inherit them instead of each importing them)."""
    for rule in rules:
        if isinstance(rule.check, DeferredCheck):
            rule.check.load()


def facts_path() -> Path:
    """The rule facts of this Python environment (beside its entry-point index)."""
    return cache_dir() / entrypoints.index_path().name.replace("plugins-", "rules-", 1)


def _built_in(value: str) -> bool:
    return value.startswith(_BUILT_IN)


def read_facts() -> dict[str, Rule] | None:
    """The built-in rules recorded under the current code fingerprint, by entry-point
    value; None when missing, stale, damaged or not trusted."""
    document = read_sealed(facts_path(), _FACTS_MAGIC, code_fingerprint().encode())
    try:
        rules = {value: _rule(value, item) for value, item in document.items()}
    except (ValueError, TypeError, AttributeError, KeyError):
        return None
    return rules if all(rule is not None for rule in rules.values()) else None  # type: ignore[return-value]


def _rule(value: str, item: dict[str, Any]) -> Rule | None:
    if not _built_in(value) or not all(isinstance(item[name], str) for name in _TEXTS):
        return None
    severity = item["severity"]
    if item["stage"] not in STAGES or type(severity) is not int or severity not in {int(s) for s in Severity}:
        return None
    return DeferredRule(item["code"], item["name"], item["summary"], Severity(severity),
                        DeferredCheck(value, item["module"], item["qualname"]), stage=item["stage"],
                        fixable=item["fixable"])


def write_facts(loaded: list[tuple[str, Rule]]) -> None:
    """Record the facts of the built-in rules among ``loaded`` (entry-point value, rule)
    under the current code fingerprint; nothing when one of them is not a plain
    module-level check or holds a text masking would change (what is written is
    masked: such a text could not be given back as it is). Docs are not recorded."""
    document: dict[str, dict[str, Any]] = {}
    for value, rule in loaded:
        if not _built_in(value):
            continue
        check = rule.check
        if not module_function(check):
            return
        item = {"code": rule.code, "name": rule.name, "summary": rule.summary, "severity": int(rule.severity),
                "stage": rule.stage, "fixable": rule.fixable, "module": check.__module__,
                "qualname": check.__qualname__}
        if any(isinstance(text, str) and mask_text(text) != text for text in item.values()):
            return
        document[value] = item
    if not document:
        return
    write_sealed(facts_path(), _FACTS_MAGIC, code_fingerprint().encode(), document, prefix=".rules-")
