"""The plugin's rule, tested with iamlint's exported harness (iamlint.testing): the
expected findings are the ``# expect: EXA001`` markers in tests/fixtures/."""

from __future__ import annotations

from pathlib import Path

import pytest

from iamlint.testing import actual_findings, expected_findings, fixture_files, lint

FIXTURES = Path(__file__).parent / "fixtures"
OURS = {"EXA001"}


def test_the_rule_is_registered():
    from iamlint.registry import load_rules

    registry = load_rules()
    assert registry.find("EXA001") is not None, registry.errors
    assert registry.find("instance-role-without-boundary").code == "EXA001"


@pytest.mark.parametrize("path", fixture_files(FIXTURES), ids=lambda p: p.name)
def test_fixture(path):
    # Only this plugin's findings are compared: iamlint's built-in rules (which also
    # run) are not this package's business and may change between iamlint versions.
    report = lint([path.parent])
    actual = {pair for pair in actual_findings(report, path) if pair[0] in OURS}
    assert actual == expected_findings(path)
