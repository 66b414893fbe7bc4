"""iamlint's language server (``iamlint lsp``, stdio; needs the extra ``iamlint[lsp]``).

Diagnostics are pushed on open, on save and (debounced) as you type, for every open
file of the module that changed. See :mod:`iamlint.lsp.server` and docs/editors.md.
Importing this package is cheap (the server, pygls and the engine load in :func:`main`).
"""

from __future__ import annotations

import sys

EXIT_ERROR = 2


def serve() -> None:
    """Run the server on stdin/stdout until the client says exit."""
    from iamlint.lsp.server import build_server  # start-up: pygls and the engine, only to serve

    build_server().start_io()


def main() -> int:
    """``iamlint lsp``: serve, or say what is missing (exit code 2)."""
    try:
        import iamlint.lsp.server  # noqa: F401  (pygls: an optional dependency)
    except ImportError as exc:
        print(f"iamlint: the language server needs pygls 2.x: pip install 'iamlint[lsp]' ({exc})", file=sys.stderr)
        return EXIT_ERROR
    serve()
    return 0
