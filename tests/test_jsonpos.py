"""JSON reader with spans: positions inside the file, shifted for embedded text."""

import pytest

from iamlint.parsers.jsonpos import JsonError, loads_with_spans, parse_document


def test_spans_of_nested_values():
    value = loads_with_spans('{\n  "a": [1, "x"],\n  "b": {"c": null}\n}', "f.json")
    items = value.value["a"].value
    assert (items[1].span.line, items[1].span.column, items[1].span.end_column) == (2, 12, 15)
    assert value.value["b"].value["c"].value is None
    assert (value.span.line, value.span.end_line) == (1, 4)


def test_embedded_text_is_shifted():
    value = loads_with_spans('{"a":\n"x"}', "main.tf", line=10, column=5, indent=4)
    assert (value.span.line, value.span.column) == (10, 5)
    assert (value.value["a"].span.line, value.value["a"].span.column) == (11, 5)


def test_crlf_and_bom():
    value = loads_with_spans('\ufeff{\r\n"a": 1\r\n}', "f.json")
    assert value.value["a"].span.line == 2


def test_duplicates_are_reported():
    _, duplicates = parse_document('{"a": 1,\n "a": 2}', "f.json")
    assert [(name, span.line) for name, span in duplicates] == [("a", 2)]


@pytest.mark.parametrize("text, line", [('{"a": }', 1), ('{\n"a": 1,\n}', 3), ('[1, 2', 1), ('{"a": 1} x', 1)])
def test_errors_are_located(text, line):
    with pytest.raises(JsonError) as caught:
        loads_with_spans(text, "f.json")
    assert caught.value.line == line


def test_deep_nesting_is_an_error_not_a_crash():
    with pytest.raises(JsonError):
        loads_with_spans("[" * 5000 + "]" * 5000, "f.json")
