"""The tree-sitter HCL route: spans of tricky constructs (compared with the lark route),
character columns, located error messages, partial parses for editors, comments and
construct ranges, the route switch."""

from __future__ import annotations

import pytest

from hcl_tree_dump import dump
from iamlint.parsers.terraform import choice, hcl, syntax as s, treesitter
from iamlint.parsers.terraform.facts import scan_hcl

pytestmark = pytest.mark.skipif(not treesitter.available(), reason="tree-sitter / tree-sitter-hcl not installed")

# constructs whose spans follow the lark route's habits (see convert.py's docstring)
CONSTRUCTS = {
    "heredoc_tabs": "a = <<-EOT\n\t\tx\n\t\t  ${y}\n\tEOT\n",
    "heredoc_crlf": 'a = <<EOT\r\n{"a": 1}\r\nEOT\r\nb = 2\r\n',
    "heredoc_empty": "a = <<EOT\nEOT\nb = 1\n",
    "heredoc_at_eof": "a = <<EOT\nhello\nEOT",
    "heredoc_interpolation_over_lines": 'a = <<EOT\nx ${join(",",\n  [1, 2])} y\nEOT\n',
    "heredoc_closer_with_blanks": "a = <<-EOT\n  x\n  EOT   \nb = 1\n",
    "heredoc_in_call": "a = jsonencode(<<EOT\nx\nEOT\n)\n",
    "heredoc_directives": "a = <<EOT\n%{ for x in xs ~}\n${x}\n%{~ endfor }\n%{ if c }yes%{ else }no%{ endif }\nEOT\n",
    "heredoc_escapes": "a = <<EOT\n$$${x} %%{y} $${z}\nEOT\n",
    "unicode": 'a = "héllo ${x}" # ü\nb = { "ключ" = "значение", c = d }\n',
    "unicode_heredoc": "a = <<-EOT\n    é ${x}\n  EOT\n",
    "bom": '\ufeffa = 1\nb = "${c}"\n',
    "quoted_for": 'a = "%{ for k, v in m }${k}=${v},%{ endfor }"\n',
    "quoted_if_else": 'a = "%{ if a }x%{ else }y%{ endif }"\n',
    "quoted_escapes": 'a = "x $$${path.cwd} y"\nb = "100%${x} and %%{ if y }z"\nc = "$${a}${b}"\n',
    "string_escapes": 'a = "\\\\ \\n \\t \\" \\u00e9 \\U0001F600"\n',
    "splats": "a = x[*].y[0].z\nb = x.*.y\nc = x[*]\nd = x.*\ne = x[*].y[*].z\n",
    "provider_function": "a = provider::aws::arn_parse(x).region\n",
    "comments": "/* a */ a = 1 // b\n# c\nb = [ # d\n  1, /* e */\n  2,\n]\nc = { # f\n  x = 1 # g\n  y = 2\n}\n",
    "binary_op_trailing_lines": "a = x + y # c\n\n\n# d\nb = 1\nc = x ==\n  y\nd = (x\n  + y)\ne = x + y /* z */\nf = a\n",
    "binary_op_continued": "a = x + y\n  + z\nb = x\n  ? y\n  : z\n",
    "binary_op_at_eof": "a = x + y # c",
    "comments_between_operands": "b = (a &&\n  # c\n  b)\n",
    "conditional_chain": "a = x ? 1 : y ? 2 : z ? 3 : 4\nb = (x ? 1 : 2) ? 3 : 4\nc = x ? y ? 1 : 2 : 3\n",
    "conditional_with_operators": "a = x == 1 ? a + b : c - d\nb = 1\n",
    "objects": 'a = { a = 1, "b" = 2, (c) = 3, d.e = 4, "${f}" = 5 }\nb = {\n  a = 1\n  b = 2\n}\nc = {}\nd = []\n',
    "for_expressions": "a = { for k, v in m : k => v... if v != null }\nb = [for x in y : x]\nc = {for x in y : x => x}\n",
    "numbers": "a = 1.5\nc = -1\nd = -12\ne = 0.5e-3\nf = 007\ng = [-1.5, -1]\n",
    "blocks": 'a "b" "c" {\n  d {\n    e = 1\n  }\n  d {}\n}\nx y {}\nz { w = 1 }\n',
    "label_escapes": 'a "b\\"c" "d$${e}" {}\n',
    "unary": "a = !x\nb = -x.y\nc = !(x && y)\nd = - 1\n",
    "indexes": 'a = x.0.y\nb = x["k"]\nc = x[0][1]\n',
    "calls": "a = f(x...)\nb = f()\nc = f(1,\n  2,\n)\nd = f(\n  # c\n  x, # d\n  y\n)\n",
    "duplicate_attribute": "a = 1\na = 2\n",
    "every_operator": "a = 1 * 2 / 3 % 4 + 5 - 6 < 7 && 8 > 9 || 10 <= 11 == 12 >= 13 != 14\n",
    "nested_quotes": 'a = "${x ? "a${y}" : "b"}"\n',
    "carriage_return_in_string": 'a = "x\ry"\n',
    "literals": "a = true\nb = false\nc = null\nd = [true, null]\n",
    "deep_nesting": "a = " + "[" * 1200 + "]" * 1200 + "\n",
}


@pytest.mark.parametrize("name", sorted(CONSTRUCTS))
def test_construct_parses_like_the_lark_route(name):
    text = CONSTRUCTS[name]
    with hcl.deep_recursion():
        assert dump(treesitter.parse_hcl(text, "t.tf", second_opinion=False)) == dump(hcl.parse_hcl(text, "t.tf"))


def test_columns_count_characters_not_bytes():
    parsed = treesitter.parse_hcl('a = "héllo ${x}"\n', "t.tf")
    template = parsed.body.attributes["a"].expr
    variable = template.parts[1]
    assert (variable.span.line, variable.span.column, variable.span.end_column) == (1, 14, 15)  # bytes: 15
    assert template.span.end_column == 17


def test_parse_expression_and_template_are_placed_like_the_lark_route():
    for text, line, column in (("a.b[0] + 1", 3, 7), ("f(\n  x)", 2, 5), ("x ? y : z", 1, 1)):
        expected = dump(hcl.parse_expression(text, "t.tf", line, column))
        assert dump(treesitter.parse_expression(text, "t.tf", line, column)) == expected
    template = '%{ for x in xs ~}\n${x.name}\n%{~ endfor }'
    assert dump(treesitter.parse_template(template, "t.tpl", 4, 3)) == dump(hcl.parse_template(template, "t.tpl", 4, 3))


@pytest.mark.parametrize("text, line, column", [("a\n%{ if x }\nb", 2, 1), ("a ${ b", 1, 3), ("%{ endfor }", 1, 3)])
def test_template_errors_are_located(text, line, column):
    with pytest.raises(hcl.HclSyntaxError) as error:
        treesitter.parse_template(text, "t.tpl")
    assert (error.value.line, error.value.column) == (line, column)


# -- errors ------------------------------------------------------------------------

ERRORS = [
    # (text, line, column, message): better than the lark route's where tree-sitter knows more
    ('resource "a" "b" {\n  x = 1\n\nresource "c" "d" {\n  y = 2\n}\n', 7, 1,
     "expected '}' to close the block resource \"a\" \"b\" opened at 1:18"),
    ('resource "a" "b" {\n  x = 1\n  y = {\n    z = 1\n}\n', 6, 1,
     "expected '}' to close the block resource \"a\" \"b\" opened at 1:18"),
    ("x = [1, 2\ny = 3\n", 2, 1, "expected ']' to close the list opened at 1:5"),
    ("x = f(1, 2\ny = 1\n", 2, 1, "expected ')' to close the function call opened at 1:5"),
    ('x = "abc\ny = 1\n', 1, 5, "this string is never closed: expected '\"' before the end of its line"),
    ('resource "a" "b" {\n  x = \n  y = 2\n}\n', 2, 6, "expected the value of 'x' after '=' on the same line"),
    ("x = <<EOT\nabc\n", 1, 5,
     "heredoc <<EOT is never closed: the closing line must hold only 'EOT' (optionally indented, nothing after it)"),
    ('x "y" {\n  p = <<POLICY\n{}\nPOLICY }\n}\n', 2, 7,
     "heredoc <<POLICY is never closed: the closing line must hold only 'POLICY' (optionally indented, nothing after it)"),
]


@pytest.mark.parametrize("text, line, column, message", ERRORS, ids=[e[3][:40] for e in ERRORS])
def test_syntax_errors_are_located_and_named(text, line, column, message):
    with pytest.raises(hcl.HclSyntaxError) as caught:
        treesitter.parse_hcl(text, "bad.tf")
    assert (caught.value.line, caught.value.column, caught.value.message) == (line, column, message)


@pytest.mark.parametrize("text", ["x = 1 @ 2\n", "x = 1 +\ny = 2\n", 'resource "a" "b" {\n  x == 1\n}\n',
                                  'x = "${a"\ny = 1\n', "x = 1\n}\ny = 2\n"])
def test_other_errors_keep_the_lark_routes_message(text):
    """Where tree-sitter's recovery only says 'unexpected ...', today's message stays."""
    with pytest.raises(hcl.HclSyntaxError) as lark_error:
        hcl.parse_hcl(text, "bad.tf")
    with pytest.raises(hcl.HclSyntaxError) as caught:
        treesitter.parse_hcl(text, "bad.tf")
    assert (caught.value.line, caught.value.column, caught.value.message) == (
        lark_error.value.line, lark_error.value.column, lark_error.value.message)


def test_a_bare_object_is_not_a_file():
    with pytest.raises(hcl.HclSyntaxError) as caught:
        treesitter.parse_hcl('{\n  a = 1\n}\n', "bad.tf", second_opinion=False)
    assert (caught.value.line, caught.value.column, caught.value.message) == (
        1, 1, "expected attributes and blocks, found an object")


def test_two_attributes_on_one_line_are_an_error_for_tree_sitter_alone():
    with pytest.raises(hcl.HclSyntaxError) as caught:
        treesitter.parse_hcl('resource "a" "b" {\n  x = 1 y = 2\n}\n', "bad.tf", second_opinion=False)
    assert (caught.value.line, caught.value.column) == (2, 9)
    assert "newline" in caught.value.message


def test_partial_parse_keeps_the_blocks_that_parse():
    text = ('resource "aws_iam_role" "r" {\n  name = "x"\n  assume_role_policy = jsonencode({\n'
            '    Statement = [{ Action = "sts:AssumeRole"\n  })\n}\n\n'
            'resource "aws_instance" "i" {\n  ami = "x"\n}\nlocals {\n  a = 1\n}\n')
    with pytest.raises(hcl.HclSyntaxError):
        treesitter.parse_hcl(text, "buffer.tf")
    parsed, issues = treesitter.parse_hcl_partial(text, "buffer.tf")
    assert [(b.type, b.labels) for b in parsed.body.blocks] == [("resource", ["aws_instance", "i"]), ("locals", [])]
    instance = parsed.body.blocks[0]
    assert (instance.span.line, instance.span.end_line) == (8, 10)
    assert issues and all(issue.line <= 6 for issue in issues)


def test_partial_parse_without_second_opinion_never_runs_python_hcl2(monkeypatch):
    def refuse():
        raise AssertionError("python-hcl2 was asked")

    monkeypatch.setattr(treesitter, "_lark", refuse)
    parsed, issues = treesitter.parse_hcl_partial('a = 1e3\nb = [1,\nresource "x" "y" {}\n', "t.tf",
                                                  second_opinion=False)
    assert issues and list(parsed.body.attributes) == []


def test_partial_parse_of_a_clean_file_is_the_whole_file():
    text = CONSTRUCTS["blocks"]
    parsed, issues = treesitter.parse_hcl_partial(text, "t.tf")
    assert issues == []
    assert dump(parsed) == dump(treesitter.parse_hcl(text, "t.tf"))


# -- facts (comments, construct ranges, declared names) --------------------------------

def test_facts_come_from_the_parse_and_equal_the_text_scan():
    text = ('# iamlint:ignore IAM002 -- reason\nresource "aws_iam_role" "r" { // é\n  name = "x # not a comment"\n'
            '  policy = <<EOT\n{ # not a comment\nEOT\n  /* block\n  comment */\n  x = [\n    1,\n  ]\n'
            '  inline_policy {\n    name = "p"\n  }\n}\nmodule "m" {\n}\n')
    parsed, facts = treesitter.parse_hcl_with_facts(text, "t.tf")
    assert dump(parsed) == dump(treesitter.parse_hcl(text, "t.tf"))
    assert [(c.line, c.column, c.text, c.own_line) for c in facts.comments] == [
        (1, 1, "# iamlint:ignore IAM002 -- reason", True),
        (2, 31, "// é", False),
        (7, 3, "/* block", True),
    ]
    assert facts.end_of(2) == 15 and facts.end_of(4) == 6 and facts.end_of(9) == 11 and facts.end_of(12) == 14
    assert facts.end_of(5) == 0 and facts.end_of(7) == 0  # a heredoc's text, a comment
    assert facts.names == ((2, "aws_iam_role.r"), (16, "module.m"))
    assert facts == scan_hcl(text, "t.tf")
    with pytest.raises(hcl.HclSyntaxError):
        treesitter.parse_hcl_with_facts('resource "a" "b" {\n', "t.tf")


def test_facts_of_text_python_hcl2_accepts_come_from_the_scan():
    # tree-sitter-hcl rejects 1e3, python-hcl2 accepts it: its tree, and no facts from the parse
    parsed, facts = treesitter.parse_hcl_with_facts("a = 1e3 # n\n", "t.tf")
    assert facts is None and parsed.body.attributes["a"].expr.value == 1000
    parsed, facts = choice.parse_hcl_with_facts("a = 1e3 # n\n", "t.tf")
    assert facts == scan_hcl("a = 1e3 # n\n", "t.tf")


# -- the switch -------------------------------------------------------------------------

def test_route_switch(monkeypatch):
    monkeypatch.delenv(choice.ENV, raising=False)
    assert choice.hcl_route() is hcl if choice.DEFAULT == "lark" else treesitter
    monkeypatch.setenv(choice.ENV, "treesitter")
    assert choice.hcl_route() is treesitter
    monkeypatch.setenv(choice.ENV, "lark")
    assert choice.hcl_route() is hcl
    monkeypatch.setenv(choice.ENV, "fast")
    with pytest.raises(ValueError, match="IAMLINT_HCL_PARSER"):
        choice.hcl_route()


def test_route_falls_back_to_lark_without_the_wheels(monkeypatch):
    monkeypatch.setenv(choice.ENV, "treesitter")
    monkeypatch.setattr(treesitter, "available", lambda: False)
    assert choice.hcl_route() is hcl


def test_syntax_errors_are_the_lark_routes_class():
    with pytest.raises(hcl.HclSyntaxError):
        treesitter.parse_expression("(", "t.tf", 1, 1)
    assert isinstance(treesitter.parse_expression("a", "t.tf", 1, 1), s.Variable)


def test_without_python_hcl2_tree_sitters_own_error_is_raised(monkeypatch):
    monkeypatch.setattr(treesitter, "_lark", lambda: None)
    with pytest.raises(hcl.HclSyntaxError) as caught:
        treesitter.parse_hcl("a = 1e3\n", "t.tf")
    assert caught.value.line == 1
    assert dump(treesitter.parse_hcl("a = 1.5e3\n", "t.tf")) == dump(hcl.parse_hcl("a = 1.5e3\n", "t.tf"))


# -- input nested far too deeply: rejected before parsing ------------------------------------

@pytest.mark.parametrize("text, where", [
    ("a = 1\nb = " + "[" * 200_000 + "1" + "]" * 200_000 + "\n", (2, 4 + treesitter.MAX_NESTING + 1)),
    ("b = " + "{a = " * 100_000 + "\n", (1, 5 + 5 * treesitter.MAX_NESTING)),  # never closed either
])
def test_far_too_deep_input_is_rejected_before_parsing(monkeypatch, text, where):
    """No tree-sitter tree, no conversion, no python-hcl2 second opinion: it took seconds
    and hundreds of MB to reject such input (the benchmark measures it now)."""
    monkeypatch.setattr(treesitter, "_parser", lambda: pytest.fail("parsed"))
    monkeypatch.setattr(treesitter, "_lark", lambda: pytest.fail("asked python-hcl2"))
    with pytest.raises(hcl.HclSyntaxError) as caught:
        choice.parse_hcl(text, "t.tf")
    assert (caught.value.message, (caught.value.line, caught.value.column)) == ("expression nested too deeply", where)
    _, issues = treesitter.parse_hcl_partial(text, "t.tf")  # an editor buffer: the same error
    assert [(i.message, i.line, i.column) for i in issues] == [("expression nested too deeply", *where)]


def test_nesting_up_to_the_limit_parses():
    depth = treesitter.MAX_NESTING
    text = "a = " + "[" * depth + "1" + "]" * depth + "\n"
    with hcl.deep_recursion():
        assert dump(treesitter.parse_hcl(text, "t.tf", second_opinion=False)) == dump(hcl.parse_hcl(text, "t.tf"))
