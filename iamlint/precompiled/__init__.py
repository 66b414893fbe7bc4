"""Precompiled dataclass methods: start-up time (issue 17 item 3).

Creating a dataclass, Python's :mod:`dataclasses` writes the source text of the methods
it adds (``__init__``, ``__repr__``, ``__eq__``, ``__hash__``, a frozen class's
``__setattr__`` / ``__delattr__``), wrapped in a factory function ``__create_fn__``, and
compiles it with ``exec(text, module_globals, ns)``. iamlint's records are ~100 frozen,
slotted dataclasses, and those compilations were 65-90 ms of a ~200 ms one-file run.

``iamlint/precompiled/py3NN.py`` (written by ``tools/gen_dataclass_methods.py``, checked
in, compiled to a ``.pyc`` by Python's ordinary import like any module) holds, for every
text dataclasses execs for iamlint's own modules under that Python version, the factory
compiled from that exact text. :func:`install` makes the name ``exec`` in the
dataclasses module resolve to :func:`_exec`, which, for the source of a class of an
``iamlint.*`` module found in the table, does what ``exec`` of that text does -- define
``__create_fn__`` in ``ns``, a function whose globals are the class's module -- with the
code compiled from the same text (file name and line numbers set to those ``exec`` gives:
``<string>``, from line 1). Anything else -- another module's class, a text the table
lacks (a record changed since the table was written, another Python version's
dataclasses) -- is compiled as dataclasses compiles it: a stale table is slower, never
different (:data:`missed` names the iamlint modules it did not serve).
``dataclasses.fields``/``replace``/``asdict``, slots, frozen, eq, hash and repr are those
dataclasses makes; only the compilation is skipped (``tests/test_precompiled.py``
compares every entry with what ``exec`` builds and fails when the table is stale).

Nothing is installed when the running Python has no table, when ``dataclasses`` already
has a module-level ``exec`` (someone else hooks it), or when it compiles with
``from __future__ import annotations`` (its ``exec`` would then inherit that flag, which
the table's code was not compiled with).
"""

from __future__ import annotations

import builtins
import sys
from importlib import import_module
from types import CodeType, FunctionType, ModuleType
from typing import Any


class _Deferred(ModuleType):
    """Stands in for a module that :mod:`dataclasses` imports but a run rarely uses:
    the real module is imported at the first attribute asked of it (start-up: ``inspect``
    brings ``ast``, ``dis``, ``tokenize``, ``linecache``, ``enum`` ... ~20 M instructions,
    and dataclasses only calls ``inspect.signature`` for a class without a docstring;
    ``copy`` only serves ``asdict``/``astuple``)."""

    def __getattr__(self, name: str) -> Any:
        if sys.modules.get(self.__name__) is self:
            del sys.modules[self.__name__]
        real = import_module(self.__name__)
        vars(self).update(vars(real))  # later lookups find the real module's names directly
        return getattr(real, name)


def _import_dataclasses() -> ModuleType:
    """:mod:`dataclasses`, imported with :class:`_Deferred` stand-ins for the modules of
    :data:`DEFERRED` that nothing imported before it. The stand-ins live only in
    dataclasses' own namespace: ``sys.modules`` holds the real modules for every other
    importer (each stand-in is removed from it as soon as dataclasses is imported)."""
    if "dataclasses" in sys.modules:
        return sys.modules["dataclasses"]
    placed = {name: _Deferred(name) for name in DEFERRED if name not in sys.modules}
    sys.modules.update(placed)
    try:
        import dataclasses
    finally:
        for name, stand_in in placed.items():
            if sys.modules.get(name) is stand_in:
                del sys.modules[name]
    return dataclasses


# Python 3.12's dataclasses asks inspect for every class's annotations: no gain there
DEFERRED = ("inspect", "copy") if sys.version_info < (3, 12) else ("copy",)

_OURS = "iamlint."

# iamlint modules whose dataclass methods were compiled after all (not in the table): a stale table
missed: list[str] = []


def table_module() -> str:
    """The name of the table module for the running Python (``iamlint.precompiled.py311``)."""
    return f"{__name__}.py{sys.version_info[0]}{sys.version_info[1]}"


def load_table() -> dict[str, CodeType] | None:
    try:
        module = import_module(table_module())
    except ImportError:
        return None  # no table for this Python: dataclasses compiles as usual
    factories: dict[str, CodeType] = module.FACTORIES
    return factories


def as_exec_would(code: CodeType) -> CodeType:
    """A factory's code from the table module as ``exec`` of its text compiles it: file
    ``<string>``, lines counted from 1 (its method's code too; the factories hold no
    deeper code objects, which tests/test_precompiled.py checks for every entry)."""
    shift = code.co_firstlineno - 1
    consts = list(code.co_consts)
    for index, const in enumerate(consts):
        if type(const) is CodeType:
            consts[index] = const.replace(co_filename="<string>", co_firstlineno=const.co_firstlineno - shift)
    return code.replace(co_filename="<string>", co_firstlineno=1, co_consts=tuple(consts))


def precompiled(table: dict[str, CodeType], source: object, globals: object) -> FunctionType | None:
    """The ``__create_fn__`` that ``exec(source, globals, ns)`` would define, from the
    table; None when the table does not serve it (not an iamlint module, not in the table)."""
    if type(source) is not str or type(globals) is not dict or "__builtins__" not in globals:
        return None
    name = globals.get("__name__")
    if type(name) is not str or not name.startswith(_OURS):
        return None
    code = table.get(source)
    if code is None:
        return None
    return FunctionType(as_exec_would(code), globals)


def install() -> bool:
    """Serve iamlint's dataclass methods from the table; True when installed."""
    namespace = vars(_import_dataclasses())
    if "exec" in namespace:
        return False  # someone else hooks it
    if "annotations" in namespace:  # bound by `from __future__ import annotations`, which its exec would inherit
        return False
    table = load_table()
    if not table:
        return False

    def _exec(source: Any, globals: Any = None, locals: Any = None, /) -> None:
        if type(locals) is dict:
            function = precompiled(table, source, globals)
            if function is not None:
                locals["__create_fn__"] = function  # what running the text's one `def` does
                return
            if type(globals) is dict and str(globals.get("__name__")).startswith(_OURS):
                missed.append(globals["__name__"])
        if globals is None:  # exec() without namespaces runs in its caller's
            caller = sys._getframe(1)
            globals, locals = caller.f_globals, caller.f_locals
        if isinstance(source, str):  # compiled as in dataclasses, not with this module's `from __future__` flags
            source = compile(source, "<string>", "exec", dont_inherit=True)
        builtins.exec(source, globals, locals)

    namespace["exec"] = _exec
    return True


# -- regular expressions ------------------------------------------------------------------


def patterns_module() -> str:
    """The name of the pattern table for the running Python (``iamlint.precompiled.re311``)."""
    return f"{__name__}.re{sys.version_info[0]}{sys.version_info[1]}"


def install_patterns() -> int:
    """Put the compiled patterns of the table (``re3NN.py``, written by
    ``tools/gen_regex_table.py``) in the cache of :mod:`re`; the number put there.

    ``re.compile(pattern, flags)`` and the module-level ``re.match`` & co. first look
    ``(type, pattern, flags)`` up in ``re._cache``; only on a miss do they run Python's
    pattern parser and code generator (pure Python: 12-30 ms of a one-file run for ~80
    patterns) and hand the result to ``_sre.compile``. The table holds that result for
    the constant patterns iamlint and its libraries compile; the same ``_sre.compile``
    call builds each pattern object here, without parsing. A pattern the table lacks
    (changed, another library version) is compiled as usual: a stale table is slower,
    never different (tests/test_precompiled_patterns.py compares every entry with a
    fresh compilation). Nothing is put there unless the table was written by this
    Python version for this regular expression engine (``_sre.MAGIC``, ``CODESIZE``)
    and ``re`` keeps the cache this relies on (a dict, with room for the table)."""
    try:
        table = import_module(patterns_module())
    except ImportError:
        return 0
    import re

    import _sre  # type: ignore[import-not-found]  # the engine of re (its MAGIC, CODESIZE, compile)

    cache = getattr(re, "_cache", None)
    entries = table.PATTERNS
    if (table.VERSION != tuple(sys.version_info[:2]) or table.MAGIC != _sre.MAGIC or table.CODESIZE != _sre.CODESIZE
            or type(cache) is not dict or len(cache) + len(entries) > getattr(re, "_MAXCACHE", 0)):
        return 0
    count = 0
    for entry in entries:
        key = (str, entry[0], entry[1])
        if key not in cache:
            cache[key] = built(entry, _sre.compile)
            count += 1
    return count


def built(entry: tuple, build: Any = None) -> Any:
    """The pattern object of a table entry (``_sre.compile`` of its parts)."""
    if build is None:
        import _sre  # type: ignore[import-not-found]

        build = _sre.compile
    pattern, _flags, final, code, groups, groupindex, indexgroup, _module = entry
    return build(pattern, final, list(code), groups, dict(groupindex), indexgroup)
