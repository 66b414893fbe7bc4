"""python-hcl2's LALR parser, with its table cache kept where iamlint can always write.

python-hcl2 caches the parser tables next to its own install; on a read-only
site-packages that cache is never written and every run pays ~2 s to rebuild the
tables. We build the same grammar (with hcl2's post-lexer) and keep the cache in the
user cache directory, written atomically so concurrent runs never read half a file.
"""

from __future__ import annotations

import functools
import os
import tempfile
from pathlib import Path

from iamlint import __version__


def cache_dir() -> Path:
    """``$IAMLINT_CACHE_DIR``, else ``$XDG_CACHE_HOME/iamlint``, else ``~/.cache/iamlint``."""
    explicit = os.environ.get("IAMLINT_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "iamlint"


@functools.lru_cache(maxsize=1)
def parser():  # -> lark.Lark
    import hcl2
    from hcl2.postlexer import PostLexer
    from lark import Lark

    grammar = Path(hcl2.__file__).resolve().parent / "hcl2.lark"
    options = dict(parser="lalr", propagate_positions=True, postlex=PostLexer())
    target = _cache_file(getattr(hcl2, "__version__", "unknown"))
    if target is None:
        return Lark(grammar.read_text(encoding="utf-8"), **options)
    if target.exists():
        return Lark(grammar.read_text(encoding="utf-8"), cache=str(target), **options)
    return _build_and_store(grammar, target, options)


def _cache_file(hcl2_version: str) -> Path | None:
    folder = cache_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    if not os.access(folder, os.W_OK):
        return None
    return folder / f"hcl2-{hcl2_version}-iamlint-{__version__}.lark"


def _build_and_store(grammar: Path, target: Path, options: dict):
    from lark import Lark

    fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".lark-", suffix=".tmp")
    os.close(fd)
    os.unlink(temporary)
    try:
        built = Lark(grammar.read_text(encoding="utf-8"), cache=temporary, **options)
        if os.path.exists(temporary):
            os.replace(temporary, target)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
    return built
