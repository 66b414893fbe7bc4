"""The facts the tree-sitter route takes from its parse (comments, the last line of each
construct, declared names: what suppressions read) equal the text scanner's, file by
file, on every .tf file of fixtures/ and ../shared/corpus -- except where the scanner,
which reads one line at a time, is wrong; each such file is listed with the reason.

The corpus part skips when ../shared/corpus is absent (it is not part of the repository).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from iamlint.parsers.terraform import treesitter
from iamlint.parsers.terraform.errors import HclSyntaxError
from iamlint.parsers.terraform.facts import scan_hcl

pytestmark = pytest.mark.skipif(not treesitter.available(), reason="tree-sitter / tree-sitter-hcl not installed")

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"

# file -> why the facts differ (the test fails when a difference appears or goes away)
EXPLAINED = {
    # a heredoc inside an interpolation of a quoted string spanning lines (`"${base64encode(<<EOF`
    # ... `EOF` `)}"`): the scanner ends the string at the end of its first line and counts the
    # heredoc's `)` as code, so it ends the resource at line 192; it ends at line 201
    "aws-samples__terraform-aws-windows-workloads-on-aws/modules/ecs-ec2-windows/main.tf":
        "line 160: the resource ends at 201 (the scanner: 192)",
}


def _differences(folder: Path) -> tuple[int, dict[str, str]]:
    differences = {}
    files = sorted(p for p in folder.rglob("*.tf") if p.is_file())
    for path in files:
        text = path.read_text(encoding="utf-8", errors="surrogateescape")
        name = str(path.relative_to(folder))
        try:
            _, facts = treesitter.parse_hcl_with_facts(text, name)
        except HclSyntaxError:
            continue  # no tree: the format scans the text
        if facts is None:
            continue  # python-hcl2's tree (the second opinion): the format scans the text
        expected = scan_hcl(text, name)
        if facts.comments != expected.comments or facts.names != expected.names:
            differences[name] = "comments or names differ"
        elif facts.ends != expected.ends:
            line = next(i for i, (a, b) in enumerate(zip(expected.ends, facts.ends, strict=False), 1) if a != b)
            differences[name] = f"line {line}: the resource ends at {facts.ends[line - 1]} (the scanner: {expected.ends[line - 1]})"
    return len(files), differences


def test_fixture_facts_equal_the_scan():
    count, differences = _differences(ROOT / "fixtures")
    assert count > 40
    assert differences == {}


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"the real-world corpus is absent ({CORPUS})")
def test_corpus_facts_equal_the_scan_but_where_the_scan_is_wrong():
    count, differences = _differences(CORPUS)
    assert count > 2000
    assert differences == EXPLAINED
