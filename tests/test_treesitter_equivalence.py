"""The tree-sitter route gives the lark route's syntax trees, node by node (classes,
values, spans), on every .tf file of fixtures/ and ../shared/corpus; every construct where
the two parsers differ is listed below with a minimal reproduction and which one is right.

The corpus part skips when ../shared/corpus is absent (it is not part of the repository).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from hcl_tree_dump import dump, first_difference
from iamlint.parsers.terraform import hcl, syntax as s, treesitter

pytestmark = pytest.mark.skipif(not treesitter.available(), reason="tree-sitter / tree-sitter-hcl not installed")

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"


def _outcome(parse, text: str, path: str):
    """The dumped tree, or ("error",) when the parser rejects the text (the messages of
    the two routes differ on purpose: see test_treesitter_parse.py)."""
    try:
        return dump(parse(text, path))
    except hcl.HclSyntaxError:
        return ("error",)


def _tree_sitter_alone(text: str, path: str) -> s.HclFile:
    return treesitter.parse_hcl(text, path, second_opinion=False)


def _compare(folder: Path) -> tuple[int, dict[str, str]]:
    """(files compared, {file: first difference}) between the routes, for tree-sitter
    alone and for the route as shipped (with python-hcl2's second opinion)."""
    differences = {}
    files = sorted(p for p in folder.rglob("*.tf") if p.is_file())
    with hcl.deep_recursion():
        for path in files:
            text = path.read_text(encoding="utf-8", errors="surrogateescape")
            name = str(path.relative_to(folder))
            expected = _outcome(hcl.parse_hcl, text, name)
            alone = _outcome(_tree_sitter_alone, text, name)
            if alone != expected:
                differences[name] = "tree-sitter alone: " + str(first_difference(expected, alone))
            shipped = _outcome(treesitter.parse_hcl, text, name) if alone == ("error",) else alone
            if shipped != expected:
                differences[name] = "as shipped: " + str(first_difference(expected, shipped))
    return len(files), differences


def test_every_fixture_file_parses_to_the_same_tree():
    count, differences = _compare(ROOT / "fixtures")
    assert count > 40
    assert differences == {}


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"the real-world corpus is absent ({CORPUS})")
def test_every_corpus_file_parses_to_the_same_tree():
    count, differences = _compare(CORPUS)
    assert count > 2000
    assert differences == {}


# Constructs whose trees differ, each with the parser that is right per Terraform. The
# test fails when a difference disappears or changes, so the table stays true.
# outcome: "same" (the lark route's tree, node by node), "tree" (parses), "error" (the
# parser rejects the text), or a callable checking the tree.


def _literal(value):
    return lambda tree: isinstance(tree.body.attributes["a"].expr, s.Literal) and tree.body.attributes["a"].expr.value == value


def _parts(parts):
    return lambda tree: tree.body.attributes["a"].expr.parts == parts


def _heredoc_part(kind):
    return lambda tree: isinstance(tree.body.attributes["a"].expr.parts[0], kind)


def _heredoc_text(text):
    return lambda tree: tree.body.attributes["a"].expr.parts == [text]


def _object_keys(keys):
    return lambda tree: [key.value for key, _ in tree.body.attributes["a"].expr.items] == keys


def _interpolated(name):
    return lambda tree: tree.body.attributes["a"].expr.parts[0].name == name


def _binary(tree) -> bool:
    return isinstance(tree.body.attributes["a"].expr, s.BinaryOp)


def _strip_interpolation(tree) -> bool:
    parts = tree.body.attributes["a"].expr.parts
    return parts[0] == "x " and isinstance(parts[1], s.Variable) and parts[2] == " z"


DIFFERENCES = [
    # (reproduction, lark route, tree-sitter alone, as shipped, who is right and why)
    ("a = 1e3\n", _literal(1000.0), "error", "same",
     "Terraform accepts an exponent without a fraction; tree-sitter-hcl 1.2 does not: the "
     "second opinion (python-hcl2) parses the file"),
    ('a = "\\x"\n', _parts(["\\x"]), "error", "same",
     "Terraform rejects the escape \\x (tree-sitter is right); python-hcl2 keeps it as "
     "text, and the second opinion keeps today's leniency"),
    ('a = "%{ if x == \\"y\\" }z%{ endif }"\n', "tree", "error", "same",
     "an escaped quote inside a directive: Terraform rejects it (tree-sitter is right), "
     "python-hcl2 has a rule for it; the second opinion keeps today's leniency"),
    ('a = "x ${~ y ~} z"\n', "error", _strip_interpolation, _strip_interpolation,
     "strip markers in a quoted string's interpolation: Terraform accepts them, "
     "python-hcl2 rejects the file (its bug): the tree-sitter route parses it"),
    ("a = <<EOT\n${\n  x\n}\nEOT\n", _heredoc_part(s.Unsupported), _heredoc_part(s.Variable),
     _heredoc_part(s.Variable),
     "a newline right after ${ in a heredoc: Terraform accepts it; the lark route cannot "
     "parse the interpolation (Unsupported, so 'cannot verify'), tree-sitter reads it"),
    ("a = 3-1.5\n", "error", _binary, _binary,
     "python-hcl2 lexes -1.5 as one number after 3 and rejects the file (its bug); "
     "Terraform and tree-sitter read a subtraction"),
    ("a = {\n  k /* c */ = 1\n}\n", "error", _object_keys(["k"]), _object_keys(["k"]),
     "a comment between a key and '=': Terraform reads comments as blanks, python-hcl2 "
     "rejects the file (its bug); the tree-sitter route parses it"),
    ('a = "${ü}"\n', "error", _interpolated("ü"), _interpolated("ü"),
     "an identifier with a non-ASCII letter: HCL identifiers are Unicode (ID_Start, "
     "ID_Continue), python-hcl2's are ASCII (its bug); the tree-sitter route parses it"),
    ("a = { for = 1 }\n", "tree", "error", "same",
     "hclsyntax reads `{ for` as the start of a for expression and rejects this (tree-sitter "
     "agrees); python-hcl2 takes `for` as a key, and the second opinion keeps that"),
    ("a = <<EOT\nEOF  \nEOT\nb = <<EOF\nx\nEOF\n", _heredoc_text("EOF\n"), _heredoc_text("EOF  \n"),
     _heredoc_text("EOF  \n"),
     "the lark route drops trailing blanks from every line holding only some heredoc's "
     "marker (so that python-hcl2 accepts an indented closer with blanks), also inside "
     "another heredoc's text; tree-sitter keeps the text as written, as Terraform does"),
]


def _check(outcome, tree, error, reference, label):
    if outcome == "error":
        assert error is not None, f"{label}: expected a syntax error, got a tree"
    elif outcome in ("same", "tree"):
        assert error is None, f"{label}: expected a tree, got {error}"
        if outcome == "same":
            assert dump(tree) == reference, f"{label}: differs from the lark route"
    else:
        assert error is None, f"{label}: expected a tree, got {error}"
        assert outcome(tree), f"{label}: unexpected tree {dump(tree)}"


def _run(parse, text):
    try:
        return parse(text, "t.tf"), None
    except hcl.HclSyntaxError as exc:
        return None, exc


@pytest.mark.parametrize("text, lark, alone, shipped, why", DIFFERENCES, ids=[d[0].split("\n")[0] for d in DIFFERENCES])
def test_explained_differences_are_still_there(text, lark, alone, shipped, why):
    lark_tree, lark_error = _run(hcl.parse_hcl, text)
    _check(lark, lark_tree, lark_error, None, "lark route")
    reference = dump(lark_tree) if lark_tree is not None else None
    alone_tree, alone_error = _run(_tree_sitter_alone, text)
    assert dump(alone_tree) != reference or (alone_error is not None) != (lark_error is not None)
    _check(alone, alone_tree, alone_error, reference, "tree-sitter alone")
    shipped_tree, shipped_error = _run(treesitter.parse_hcl, text)
    _check(shipped, shipped_tree, shipped_error, reference, "as shipped")
