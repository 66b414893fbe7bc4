"""Write the rule pages docs/rules/<CODE>.md and docs/rules/README.md from the rules'
docstrings (the pages SARIF's helpUri and the language server link to).

    python tools/gen_rule_docs.py          # rewrite the pages
    python tools/gen_rule_docs.py --check  # exit 1 when a page is stale (tests/test_rule_pages.py)
"""

from __future__ import annotations

import sys
from pathlib import Path

from iamlint.registry import load_rules
from iamlint.reporters.rule_docs import built_in, pages

TARGET = Path(__file__).resolve().parents[1] / "docs" / "rules"


def stale_pages(target: Path = TARGET) -> tuple[dict[str, str], list[str]]:
    """(the pages as they should be, names of pages that differ, are missing or are extra)."""
    wanted = pages(built_in(load_rules().rules))
    stale = [name for name, text in wanted.items()
             if not (target / name).is_file() or (target / name).read_text(encoding="utf-8") != text]
    stale += sorted(p.name for p in target.glob("*.md") if p.name not in wanted)
    return wanted, stale


def main(argv: list[str]) -> int:
    wanted, stale = stale_pages()
    if "--check" in argv:
        for name in stale:
            print(f"docs/rules/{name} is stale: run python tools/gen_rule_docs.py")
        return 1 if stale else 0
    TARGET.mkdir(parents=True, exist_ok=True)
    for name in stale:
        path = TARGET / name
        if name in wanted:
            path.write_text(wanted[name], encoding="utf-8", newline="\n")
        else:
            path.unlink()
        print(f"wrote docs/rules/{name}" if name in wanted else f"removed docs/rules/{name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
