"""The snapshot reader's fast paths (one match per member / plain string item, positions
by a cursor) give exactly what the careful paths and a line table give, errors included."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from iamlint.model.span import LineCursor, LineIndex, Span
from iamlint.normalize.account import load_snapshot
from iamlint.parsers.jsonpos import loads_with_spans
from iamlint.parsers.jsonscan import Text

SETTINGS = settings(max_examples=200, derandomize=True, deadline=None, database=None)
SPACE = st.text(alphabet=" \t\r\n", max_size=3)


@SETTINGS
@given(st.text(alphabet="ab\n\r", max_size=40),
       st.lists(st.tuples(st.integers(0, 40), st.integers(0, 40), st.booleans()), max_size=20))
def test_the_cursor_agrees_with_the_line_table_in_any_order(text, asked):
    table, cursor = LineIndex(text), LineCursor(text)
    for a, b, whole in asked:
        start, end = sorted((a % (len(text) + 1), b % (len(text) + 1)))
        if whole:
            assert cursor.span("f", start, end) == Span("f", *table.position(start), *table.position(end))
        else:
            assert cursor.position(end) == table.position(end)


@SETTINGS
@given(st.lists(st.tuples(SPACE, st.text(max_size=6), SPACE), max_size=6), SPACE)
def test_an_items_list_is_read_as_the_span_keeping_parser_reads_it(items, last):
    """Plain strings take the fast path; escapes, quotes, control characters and unicode
    the careful one; either way every element is at the span jsonpos gives it."""
    inner = ",".join(f"{before}{json.dumps(value, ensure_ascii=False)}{after}" for before, value, after in items)
    text = f'{{"Action": [{inner}{last}]}}'
    reference = loads_with_spans(text, "f").value["Action"]
    found, end = Text(text, "f").items(text.index("["))
    assert end == len(text) - 1
    assert found.span == reference.span
    assert [(k.value, k.span) for k in found.value] == [(k.value, k.span) for k in reference.value]


def test_odd_property_names_take_the_careful_path(tmp_path):
    names = {"Role\\u004eame": "RoleName", "Arn": "Arn"}  # an escaped name is still RoleName
    text = '{"RoleDetailList": [{' + ", ".join(f'"{k}" :\r\n "{v}-x"' for k, v in names.items()) + "}]}"
    path = tmp_path / "account.json"
    path.write_text(text)
    result = load_snapshot([(str(path), "account.json")], "aws")
    assert not result.errors
    (role,) = result.graph.nodes
    assert role.address == "Arn-x" and role.name.value == "RoleName-x"
    assert (role.name.span.line, role.name.span.column) == (2, 2)  # after the "\r\n "


ROLE = '{"RoleDetailList": [{"RoleName": "a", "RolePolicyList": [{"PolicyDocument": {"Statement": [{"Action": '


@pytest.mark.parametrize(("text", "line", "column", "message"), [
    ('{"RoleDetailList": [{"RoleName": "a",}]}', 1, 38, "expected a quoted property name"),
    ('{"RoleDetailList": [{"RoleName" "a"}]}', 1, 33, "expected ':'"),
    ('{"RoleDetailList": [{"RoleName": "a"]}', 1, 37, "expected ',' or '}'"),
    ('{"RoleDetailList": [{"RoleName": "a"}}', 1, 38, "expected ',' or ']'"),
    (ROLE + '["s3:a"\n "s3:b"]}]}}]}]}', 2, 2, "expected ',' or ']'"),
    (ROLE + '["s3:a",\n ]}]}}]}]}', 2, 2, "Expecting value"),
    ('{"RoleDetailList": [{"Role\x01Name": "a"}]}', 1, 27, "Invalid control character at"),
    ('{"RoleDetailList": [{"RoleName": "a', 1, 34, "Unterminated string starting at"),
])
def test_errors_are_located_as_before(tmp_path, text, line, column, message):
    path = tmp_path / "account.json"
    path.write_text(text)
    (error,) = load_snapshot([(str(path), "account.json")], "aws").errors
    assert (error.path, error.line, error.column, error.message) == ("account.json", line, column,
                                                                     f"invalid JSON: {message}")
