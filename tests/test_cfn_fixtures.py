"""CloudFormation fixtures: every template (marked or not) reports exactly its markers,
and each YAML fixture and its JSON twin give the same (code, logical id) findings."""

from __future__ import annotations

from pathlib import Path

import pytest

from iamlint.testing import check_fixture, lint

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "cloudformation"
TEMPLATES = sorted(p for p in FIXTURES.iterdir() if p.suffix in (".yaml", ".json"))
TWINS = sorted(p for p in TEMPLATES if p.suffix == ".yaml" and p.with_suffix(".json").exists())


def test_fixtures_exist_in_both_forms():
    assert len(TWINS) >= 6


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_template_reports_exactly_its_markers(path: Path):
    check_fixture(path)


@pytest.mark.parametrize("path", TWINS, ids=lambda p: p.stem)
def test_yaml_and_json_twins_agree(path: Path):
    def findings(template: Path) -> set[tuple[str, str, str]]:
        report = lint([template])
        assert report.errors == []
        return {(f.rule, f.resource, f.message) for f in report.findings}

    assert findings(path) == findings(path.with_suffix(".json"))
