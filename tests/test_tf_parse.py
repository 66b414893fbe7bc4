"""Parser details Terraform accepts: heredoc closing markers with blanks, template directives."""

from __future__ import annotations

import pytest

from iamlint.parsers.terraform import syntax as s
from iamlint.parsers.terraform.hcl import HclSyntaxError, parse_hcl, parse_template


def test_heredoc_closing_marker_may_carry_trailing_blanks():
    parsed = parse_hcl('a = <<EOF\n{"x": 1}\nEOF  \nb = "after"\n', "t.tf")
    assert set(parsed.body.attributes) == {"a", "b"}
    assert parsed.body.attributes["b"].span.line == 4


def test_template_directives_and_strip_markers():
    template = parse_template('%{ for x in xs ~}\n${x}\n%{~ endfor }', "t.tpl")
    (loop,) = template.parts
    assert isinstance(loop, s.TemplateFor) and loop.value_var == "x"


@pytest.mark.parametrize("text, line", [("a\n%{ if x }\nb", 2), ("a ${ b", 1), ("%{ endfor }", 1)])
def test_template_errors_are_located(text, line):
    with pytest.raises(HclSyntaxError) as error:
        parse_template(text, "t.tpl")
    assert error.value.line == line
