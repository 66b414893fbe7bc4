"""Precompiled records and patterns, deferred imports: start-up time (issue 17 item 3).

Records. iamlint's ~100 records are frozen, slotted dataclasses. Creating one, Python's
:mod:`dataclasses` makes a Field per annotation (matching each against ClassVar, InitVar
and KW_ONLY: a regular expression and a namespace lookup), writes the source text of the
methods it adds (``__init__``, ``__repr__``, ``__eq__``, ``__hash__``, a frozen class's
``__setattr__`` / ``__delattr__``), each wrapped in a factory function ``__create_fn__``,
compiles it with ``exec``, and builds the class again with ``__slots__``. The compilations
alone were 65-90 ms of a ~200 ms one-file run, the rest about 0.3 ms a class.

``iamlint/precompiled/py3NN.py`` (written by ``tools/gen_dataclass_methods.py``, checked
in, compiled to a ``.pyc`` by Python's ordinary import like any module) holds, for every
record, the factory of each of its methods compiled from the exact text dataclasses writes
under that Python version, and the record's signature: everything that processing depends
on (the decorator's flags, every field and how its default is given, the fields of its
dataclass bases, a ``__post_init__``, the methods the class writes itself).
:func:`install` puts :func:`serve_records`' ``_process_class`` in place of dataclasses'
own: a class of an ``iamlint.*`` module whose signature is the one recorded is made by
:func:`replay`, with dataclasses' own functions and objects (Field, _DataclassParams,
_recursive_repr, _set_new_attribute, _add_slots ...) in dataclasses' order, only without
matching the annotations and writing and compiling the texts (a method's code says where
it was compiled: the line of py3NN.py holding its text, where ``exec`` says ``<string>``,
line 1); every other class -- another
module's, a record changed since the table was written -- is made by dataclasses itself:
a stale table is slower, never different (:data:`missed` names the iamlint modules it did
not serve). The table also holds the checksums (:func:`dataclasses_fingerprint`, of the
code of the dataclasses functions the replay mirrors or calls) of the dataclasses it
serves: the one it was generated with and those the generator's ``ACCEPTED`` lists, each
after ``tests/test_precompiled.py`` passed under it (3.11.7, 3.11.2); under any other
dataclasses it serves nothing. That test describes every record made both ways and
compares them attribute by attribute, and fails when the table is stale.

Nothing is installed when the running Python has no table, or when ``dataclasses``
already has a module-level ``exec`` or another ``_process_class`` (someone else hooks it:
the generator, the tests).

Patterns. :func:`install_patterns` puts the compiled constant regular expressions of
``re3NN.py`` (``tools/gen_regex_table.py``) in ``re``'s cache.

Deferred. :func:`import_pathlib` imports pathlib without ``urllib.parse`` (and
``ipaddress``) until ``Path.as_uri`` is called; :func:`defer_named_tuple_annotations`
keeps the field annotations of iamlint's NamedTuple records as text until they are
evaluated (tests/test_startup_deferrals.py).
"""

from __future__ import annotations

import builtins
import functools
import sys
from importlib import import_module
from types import CodeType, FunctionType, MemberDescriptorType, ModuleType
from typing import Any


class _Deferred(ModuleType):
    """Stands in for a module that another imports at start-up but a run rarely uses: the
    real module is imported at the first attribute asked of it, except for the names of
    :attr:`functions`, each handed out as a function that imports the real module at its
    first call (for ``from module import function``). Start-up: dataclasses imports
    ``inspect`` (which brings ``ast``, ``dis``, ``tokenize``, ``linecache`` ... ~20 M
    instructions) only to call ``inspect.signature`` for a class without a docstring, and
    ``copy`` only for ``asdict``/``astuple``; pathlib imports ``urllib.parse`` (which brings
    ``ipaddress``, ~11 M instructions) only for ``Path.as_uri``."""

    def __init__(self, name: str, functions: frozenset[str] = frozenset()) -> None:
        super().__init__(name)
        self.functions = functions

    def __getattr__(self, name: str) -> Any:
        if name in self.functions:
            return _deferred_function(self.__name__, name)
        if name == "__path__":  # asked by `from module import name`; none of these modules is a package
            raise AttributeError(name)
        if sys.modules.get(self.__name__) is self:
            del sys.modules[self.__name__]
        real = import_module(self.__name__)
        vars(self).update(vars(real))  # later lookups find the real module's names directly
        return getattr(real, name)


def _deferred_function(module: str, name: str) -> Any:
    def deferred(*args: Any, **kwargs: Any) -> Any:
        return getattr(import_module(module), name)(*args, **kwargs)

    deferred.__name__ = deferred.__qualname__ = name
    deferred.__doc__ = f"{module}.{name}, imported at the first call"
    return deferred


def _import_with_stand_ins(target: str, deferred: dict[str, frozenset[str]]) -> ModuleType:
    """The module ``target``, imported with :class:`_Deferred` stand-ins for the modules of
    ``deferred`` (name -> the functions handed out lazily) that nothing imported before it.
    The stand-ins live only in ``target``'s namespace: ``sys.modules`` holds the real
    modules for every other importer (each stand-in is removed from it as soon as
    ``target`` is imported)."""
    if target in sys.modules:
        return sys.modules[target]
    placed = {name: _Deferred(name, functions) for name, functions in deferred.items() if name not in sys.modules}
    sys.modules.update(placed)
    try:
        module = import_module(target)
    finally:
        for name, stand_in in placed.items():
            if sys.modules.get(name) is stand_in:
                del sys.modules[name]
    return module


def _import_dataclasses() -> ModuleType:
    """:mod:`dataclasses`, with stand-ins for :data:`DEFERRED`."""
    return _import_with_stand_ins("dataclasses", {name: frozenset() for name in DEFERRED})


def import_pathlib() -> ModuleType:
    """:mod:`pathlib`, with a stand-in for ``urllib.parse`` (Python 3.11 and 3.12 import
    it for ``quote_from_bytes``, called by ``Path.as_uri`` only; 3.13 imports it there)."""
    return _import_with_stand_ins("pathlib", {"urllib.parse": frozenset({"quote_from_bytes"})})


def defer_named_tuple_annotations() -> bool:
    """Create the field annotations of iamlint's ``typing.NamedTuple`` records without
    compiling them; True when installed.

    Under ``from __future__ import annotations`` every field annotation is a string, and
    ``typing.NamedTuple`` makes each a ``ForwardRef``, whose constructor compiles it
    (``compile(text, '<string>', 'eval')``, ~0.2 M instructions each, 84 of them on the
    one-file path: ~5 % of the run). Nothing in a run evaluates those annotations. While
    ``typing._make_nmtuple`` makes a record of an ``iamlint.*`` module, the name
    ``compile`` in typing's namespace hands the text back instead of its code: the
    ForwardRef keeps the text as ``__forward_code__``, and ``eval`` of a text is ``eval``
    of its code compiled, so ``typing.get_type_hints`` evaluates it as before (an
    annotation that is not an expression would raise SyntaxError there, not when the
    class is made; mypy and the tests check every one). Any other module's annotations,
    and anything else typing compiles, are compiled as usual."""
    typing = sys.modules.get("typing") or import_module("typing")
    namespace = vars(typing)
    original: Any = namespace.get("_make_nmtuple")
    if "compile" in namespace or getattr(original, "__module__", None) != "typing":
        return False  # another typing, or someone else hooks it
    making = [0]  # iamlint records being made (re-entrant)

    def _make_nmtuple(name: Any, types: Any, module: Any, defaults: Any = ()) -> Any:
        if not (type(module) is str and module.startswith("iamlint.")):
            return original(name, types, module, defaults)
        making[0] += 1
        try:
            return original(name, types, module, defaults)
        finally:
            making[0] -= 1

    def compile(source: Any, filename: Any, mode: Any, *args: Any, **kwargs: Any) -> Any:
        if making[0] and type(source) is str and filename == "<string>" and mode == "eval" and not args and not kwargs:
            return source
        return builtins.compile(source, filename, mode, *args, **kwargs)

    namespace["_make_nmtuple"] = _make_nmtuple
    namespace["compile"] = compile
    return True


# Python 3.12's dataclasses asks inspect for every class's annotations: no gain there
DEFERRED = ("inspect", "copy") if sys.version_info < (3, 12) else ("copy",)

# iamlint modules with a record dataclasses made itself (not in the table): a stale table
missed: list[str] = []


def table_module() -> str:
    """The name of the table module for the running Python (``iamlint.precompiled.py311``)."""
    return f"{__name__}.py{sys.version_info[0]}{sys.version_info[1]}"


def install() -> bool:
    """Make iamlint's records from the table (:func:`serve_records`); True when installed."""
    namespace = vars(_import_dataclasses())
    if "exec" in namespace or getattr(namespace.get("_process_class"), "__module__", None) != "dataclasses":
        return False  # someone else hooks it
    try:
        table = import_module(table_module())
    except ImportError:
        return False  # no table for this Python: dataclasses makes every record
    return serve_records(namespace, table)


# -- whole records (Python 3.11) -------------------------------------------------------------
#
# With the factories precompiled, what was left of a record's creation was dataclasses'
# own processing: a Field per annotation found by matching it against ClassVar, InitVar and
# KW_ONLY (a regular expression and a namespace lookup each), the text of every method
# built and looked up, each factory rebuilt "as exec would" -- about 0.3 ms a class, some
# 20 ms of a one-file run. The table's RECORDS says, for each of iamlint's records, what
# that processing depends on (its signature: the decorator's flags, every annotation and
# how its default is given, a __post_init__, the methods the class writes itself) and which
# text each method came from. When the signature of a class being decorated is the one
# recorded, :func:`replay` makes the class with the same dataclasses functions and objects
# (Field, _DataclassParams, _recursive_repr, _set_new_attribute, _add_slots ...), in the
# same order, only without matching the annotations and writing the texts; anything else
# goes to dataclasses' own `_process_class`. The table holds the checksums of the
# dataclasses code it serves (:func:`dataclasses_fingerprint`): any other dataclasses is
# served nothing. tests/test_precompiled.py compares every record made both ways.

# what the replay mirrors or calls: a change to any of these (another patch release) turns
# it off until the tests pass under that dataclasses and the generator accepts its checksum
_MIRRORED = ("_process_class", "_get_field", "field", "Field", "_DataclassParams", "_init_fn", "_field_init",
             "_field_assign", "_init_param", "_fields_in_init_order", "_repr_fn", "_recursive_repr",
             "_frozen_get_del_attr", "_cmp_fn", "_hash_fn", "_hash_add", "_hash_set_none", "_hash_exception",
             "_tuple_str", "_create_fn", "_set_qualname", "_set_new_attribute", "_add_slots", "_get_slots",
             "_is_type", "_is_classvar", "_is_initvar", "_is_kw_only", "_dataclass_getstate", "_dataclass_setstate",
             "dataclass")

# the methods dataclasses adds for order=True and frozen=True (a class writing one of these itself: it raises)
_ORDER = ("__lt__", "__le__", "__gt__", "__ge__")
_FROZEN = ("__setattr__", "__delattr__")
# methods a class may write itself, which dataclasses then leaves alone
_OWN = ("__init__", "__repr__", "__eq__", *_ORDER, *_FROZEN, "__match_args__", "__getstate__", "__setstate__")

# records made by replay (a count, for tests)
replayed: list[str] = []

# the checksum of dataclasses' own code, taken before the replay was put in place (None: not looked at)
checksum: int | None = None


def _code_digest(code: CodeType, crc: int) -> int:
    import zlib

    crc = zlib.crc32(code.co_code, crc)
    crc = zlib.crc32("\0".join((*code.co_names, "|", *code.co_varnames)).encode(), crc)
    for const in code.co_consts:
        if type(const) is CodeType:
            crc = _code_digest(const, crc)
        elif type(const) is frozenset:
            crc = zlib.crc32(repr(sorted(map(repr, const))).encode(), crc)
        else:
            crc = zlib.crc32(repr(const).encode(), crc)
    return crc


def dataclasses_fingerprint(dataclasses: ModuleType) -> int:
    """A checksum of the code of the dataclasses functions :func:`replay` mirrors (0 when
    one is missing)."""
    crc = 0
    for name in _MIRRORED:
        item = getattr(dataclasses, name, None)
        if isinstance(item, type):
            item = vars(item).get("__init__")
        code = getattr(item, "__code__", None)
        if type(code) is not CodeType:
            return 0
        crc = _code_digest(code, crc)
    return crc


def _base_fields(cls: type) -> tuple[dict[str, Any], bool, bool]:
    """The fields of the dataclass bases of ``cls`` as dataclasses gathers them (reverse
    MRO, a later base's field replacing an earlier one in place); whether there is one,
    and whether one is frozen."""
    fields: dict[str, Any] = {}
    bases = frozen = False
    for base in cls.__mro__[-1:0:-1]:
        base_fields = getattr(base, "__dataclass_fields__", None)
        if base_fields is not None:
            bases = True
            for field in base_fields.values():
                fields[field.name] = field
            if base.__dataclass_params__.frozen:  # type: ignore[attr-defined]
                frozen = True
    return fields, bases, frozen


def _described(name: str, annotation: Any, kind: str, field: Any, kw_only: bool, missing: Any) -> tuple:
    """A Field as the signature holds it: what the methods' texts depend on."""
    return (name, annotation, kind, field.default is not missing, field.default_factory is not missing, field.init,
            field.repr, field.hash, field.compare, kw_only if field.kw_only is missing else field.kw_only)


def record_signature(dataclasses: ModuleType, cls: type, params: tuple) -> tuple | None:
    """What dataclasses' processing of ``cls`` with the decorator's ``params`` depends on;
    None for a class :func:`replay` does not make (a ClassVar, InitVar or KW_ONLY
    annotation, no docstring, its own __slots__, a case where dataclasses raises)."""
    _init, _repr, eq, order, unsafe_hash, frozen, _match_args, kw_only, slots, weakref_slot = params
    own = cls.__dict__
    if "__slots__" in own or not cls.__doc__ or (weakref_slot and not slots) or (order and not eq):
        return None
    module = sys.modules.get(cls.__module__)
    if module is None:
        return None
    init_var, kw_marker = dataclasses.InitVar, dataclasses.KW_ONLY
    class_var = getattr(sys.modules.get("typing"), "ClassVar", init_var)
    for value in vars(module).values():  # an alias of a marker would make an annotation one of them
        if value is init_var or value is kw_marker or value is class_var:
            return None
    missing, field_type = dataclasses.MISSING, dataclasses.Field
    inherited, bases, frozen_base = _base_fields(cls)
    if bases and frozen_base != bool(frozen):
        return None  # dataclasses refuses to mix frozen and not
    described = {name: _described(name, field.type, field._field_type.name, field, kw_only, missing)
                 for name, field in inherited.items()}
    annotations = own.get("__annotations__", {})
    for name, annotation in annotations.items():
        if type(annotation) is not str or "ClassVar" in annotation or "InitVar" in annotation or "KW_ONLY" in annotation:
            return None
        default = getattr(cls, name, missing)
        if isinstance(default, field_type):
            described[name] = _described(name, annotation, "_FIELD", default, kw_only, missing)
            continue
        if isinstance(default, MemberDescriptorType):
            default = missing
        if default is not missing and default.__class__.__hash__ is None:
            return None  # dataclasses refuses a mutable default
        described[name] = (name, annotation, default is not missing)
    for name, value in own.items():
        if isinstance(value, field_type) and name not in annotations:
            return None
    written = tuple(name for name in _OWN if name in own)
    if (order and any(name in written for name in _ORDER)) or (frozen and any(name in written for name in _FROZEN)):
        return None  # dataclasses raises
    class_hash = own.get("__hash__", missing)
    explicit_hash = not (class_hash is missing or (class_hash is None and "__eq__" in own))
    if unsafe_hash and explicit_hash:
        return None
    return (params, tuple(described.values()), bases, hasattr(cls, "__post_init__"), written, explicit_hash)


def _argument(dataclasses: ModuleType, name: str, fields: dict[str, Any], cls: type) -> Any:
    """The value dataclasses passes a factory for its parameter ``name``."""
    if name.startswith("_type_"):
        return fields[name[6:]].type
    if name.startswith("_dflt_"):
        field = fields[name[6:]]
        return field.default_factory if field.default_factory is not dataclasses.MISSING else field.default
    if name == "cls":
        return cls
    return _constants(dataclasses)[name]


@functools.lru_cache(maxsize=1)
def _constants(dataclasses: ModuleType) -> dict[str, Any]:
    return {"MISSING": dataclasses.MISSING, "_HAS_DEFAULT_FACTORY": dataclasses._HAS_DEFAULT_FACTORY,
            "__dataclass_builtins_object__": object, "_return_type": None,
            "FrozenInstanceError": dataclasses.FrozenInstanceError}


def replay(dataclasses: ModuleType, cls: type, params: tuple, methods: dict[str, CodeType]) -> type:
    """``dataclasses._process_class(cls, *params)`` for a class whose signature is the one
    recorded with ``methods`` (method name -> the factory compiled from the text dataclasses
    writes for it)."""
    init, repr, eq, order, unsafe_hash, frozen, match_args, kw_only, slots, weakref_slot = params
    missing, field_type = dataclasses.MISSING, dataclasses.Field
    globals = sys.modules[cls.__module__].__dict__
    cls.__dataclass_params__ = dataclasses._DataclassParams(init, repr, eq, order, unsafe_hash, frozen)  # type: ignore[attr-defined]
    fields, _bases, _frozen_base = _base_fields(cls)
    own: list[Any] = []
    for name, annotation in cls.__dict__.get("__annotations__", {}).items():  # noqa: RUF063 (as dataclasses reads them)
        default = getattr(cls, name, missing)
        if isinstance(default, field_type):
            field = default
        else:
            if isinstance(default, MemberDescriptorType):
                default = missing
            field = dataclasses.field(default=default)
        field.name = name
        field.type = annotation
        field._field_type = dataclasses._FIELD
        if field.kw_only is missing:
            field.kw_only = kw_only
        own.append(field)
    for field in own:
        fields[field.name] = field
        if isinstance(getattr(cls, field.name, None), field_type):
            if field.default is missing:
                delattr(cls, field.name)
            else:
                setattr(cls, field.name, field.default)
    cls.__dataclass_fields__ = fields  # type: ignore[attr-defined]
    class_hash = cls.__dict__.get("__hash__", missing)
    explicit_hash = not (class_hash is missing or (class_hash is None and "__eq__" in cls.__dict__))
    real, init_var = dataclasses._FIELD, dataclasses._FIELD_INITVAR
    field_list = [field for field in fields.values() if field._field_type is real]
    standard, _keywords = dataclasses._fields_in_init_order(
        [field for field in fields.values() if field._field_type is real or field._field_type is init_var])

    def method(name: str) -> Any:
        code = methods[name]
        factory = FunctionType(code, globals)
        return factory(**{parameter: _argument(dataclasses, parameter, fields, cls)
                          for parameter in code.co_varnames[:code.co_argcount]})

    set_new = dataclasses._set_new_attribute
    if init:
        set_new(cls, "__init__", method("__init__"))
    if repr:
        set_new(cls, "__repr__", dataclasses._recursive_repr(method("__repr__")))
    if eq:
        set_new(cls, "__eq__", method("__eq__"))
    if order:
        for name in _ORDER:
            set_new(cls, name, method(name))
    if frozen:
        for name in _FROZEN:
            set_new(cls, name, method(name))
    action = dataclasses._hash_action[bool(unsafe_hash), bool(eq), bool(frozen), explicit_hash]
    if action is dataclasses._hash_add:
        cls.__hash__ = dataclasses._set_qualname(cls, method("__hash__"))  # type: ignore[method-assign]
    elif action is not None:
        cls.__hash__ = action(cls, field_list, globals)  # type: ignore[method-assign]
    if match_args:
        set_new(cls, "__match_args__", tuple(field.name for field in standard))
    if slots:
        cls = dataclasses._add_slots(cls, frozen, weakref_slot)
    dataclasses.abc.update_abstractmethods(cls)
    replayed.append(cls.__qualname__)
    return cls


def serve_records(namespace: dict[str, Any], table: ModuleType) -> bool:
    """Make iamlint's records by :func:`replay` where the table's RECORDS serves them;
    True when installed (the table has RECORDS, written against this dataclasses code)."""
    records = getattr(table, "RECORDS", None)
    dataclasses = sys.modules.get("dataclasses")
    if not records or dataclasses is None or vars(dataclasses) is not namespace:
        return False
    global checksum
    fingerprint = checksum = dataclasses_fingerprint(dataclasses)
    accepted = getattr(table, "DATACLASSES", None)
    if not fingerprint or type(accepted) is not frozenset or fingerprint not in accepted:
        return False  # another dataclasses' code (or one without a function the replay mirrors)
    original = namespace["_process_class"]

    def _process_class(cls: type, *params: Any) -> type:
        module = cls.__module__
        entry = records.get((module, cls.__qualname__))
        if entry is not None and entry[0] == record_signature(dataclasses, cls, params):
            return replay(dataclasses, cls, params, entry[1])
        if type(module) is str and module.startswith("iamlint."):
            missed.append(module)
        return original(cls, *params)

    namespace["_process_class"] = _process_class
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
        key = (type(entry[0]), entry[0], entry[1])  # (a text or a bytes pattern)
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
