"""iamlint's language server (``iamlint lsp``, stdio; needs the extra ``iamlint[lsp]``).

Diagnostics are pushed on open, on save and (debounced) as you type, for every open
file of the module that changed. See :mod:`iamlint.lsp.server` and docs/editors.md.
"""

from __future__ import annotations

from iamlint.lsp.server import build_server


def serve() -> None:
    """Run the server on stdin/stdout until the client says exit."""
    build_server().start_io()
