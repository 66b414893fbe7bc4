"""The tree-sitter runtime: the HCL language, one parser per thread, the text encoding."""

from __future__ import annotations

import _thread  # threading's own primitives, without importing threading (start-up)
import functools

_LOCAL = _thread._local()  # = threading.local()


@functools.lru_cache(maxsize=1)
def _language():
    import tree_sitter
    import tree_sitter_hcl

    return tree_sitter.Language(tree_sitter_hcl.language())


def _parser():
    """One parser per thread (a tree-sitter parser must not be shared across threads)."""
    parser = getattr(_LOCAL, "parser", None)
    if parser is None:
        import tree_sitter

        parser = _LOCAL.parser = tree_sitter.Parser(_language())
    return parser


def _encode(text: str) -> bytes:
    # like the lark route: no BOM, and a final newline (a heredoc may close at EOF)
    if text.startswith("\ufeff"):
        text = text[1:]
    return (text + "\n").encode("utf-8", "surrogatepass")
