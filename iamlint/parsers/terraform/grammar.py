"""python-hcl2's LALR parser, with its tables kept where iamlint can always write.

python-hcl2 caches the parser tables next to its own install; on a read-only
site-packages that cache is never written and every run pays ~2 s to rebuild the
tables. We build the same grammar (with hcl2's post-lexer) and keep the built parser in
the user cache directory, pickled (:func:`iamlint.cachedir.store_snapshot`: written
atomically into the private cache folder, its owner, permissions and digest checked
before it is unpickled). lark's own table cache (``cache=``) is not used: lark unpickles
that file without any such check. When the cache folder cannot be used (read-only, or
refused as not private), the tables are built in each process that parses HCL.
"""

from __future__ import annotations

import functools
import importlib
import sys
import types
from pathlib import Path
from typing import Any

import hcl2
import lark
from hcl2.postlexer import PostLexer
from lark import Lark
from lark.parsers.lalr_analysis import Action

from iamlint import __version__
from iamlint.cachedir import load_snapshot, store_snapshot


@functools.lru_cache(maxsize=1)
def parser() -> Lark:
    # fastest: the built parser object, pickled (a few times quicker than lark's cache)
    key = (f"hcl2-{getattr(hcl2, '__version__', 'unknown')}-lark-{lark.__version__}-iamlint-{__version__}"
           f"-py{sys.version_info[0]}.{sys.version_info[1]}")
    built = load_snapshot("hcl2-parser", key)
    if isinstance(built, Lark):
        return built
    grammar = Path(hcl2.__file__).resolve().parent / "hcl2.lark"
    built = Lark(grammar.read_text(encoding="utf-8"), parser="lalr", propagate_positions=True, postlex=PostLexer())
    store_snapshot("hcl2-parser", key, built, _reducers())
    return built


def _module(module: types.ModuleType) -> tuple:
    return importlib.import_module, (module.__name__,)


def _action(action: Any) -> tuple:
    return getattr, (importlib.import_module("lark.parsers.lalr_analysis"), action.name)


def _reducers() -> dict:
    """Pickling a Lark parser: modules by name; the parser compares actions by identity
    (``action is Shift``), so Shift/Reduce must come back as lark's own singletons."""

    return {types.ModuleType: _module, Action: _action}
