"""The plugin's rule, tested with iamlint's exported harness (iamlint.testing): the
expected findings are the ``# expect: EXA001`` markers in tests/fixtures/."""

from __future__ import annotations

from pathlib import Path

import pytest

from iamlint.testing import check_fixture, fixture_files

FIXTURES = Path(__file__).parent / "fixtures"


def test_the_rule_is_registered():
    from iamlint.registry import load_rules

    registry = load_rules()
    assert registry.find("EXA001") is not None, registry.errors
    assert registry.find("instance-role-without-boundary").code == "EXA001"


@pytest.mark.parametrize("path", fixture_files(FIXTURES), ids=lambda p: p.name)
def test_fixture(path):
    # Only this plugin's rule runs: iamlint's built-in rules are not this package's
    # business and may change between iamlint versions.
    check_fixture(path, rules=["EXA001"])
