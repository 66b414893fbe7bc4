"""The ``iamlint`` command (console script and ``python -m iamlint``).

``iamlint lsp`` starts the language server straight away: it does not import the
click command line (start-up: click alone is ~15-30 ms, the modules ``check`` needs
more). Everything else is the click command line (:mod:`iamlint.cli`).
"""

from __future__ import annotations

import sys


def main() -> None:
    if sys.argv[1:] == ["lsp"]:
        from iamlint.lsp import main as lsp  # the language server, without click

        sys.exit(lsp())
    from iamlint.cli import main as cli  # start-up: click, only for the command line

    cli()


if __name__ == "__main__":
    main()
