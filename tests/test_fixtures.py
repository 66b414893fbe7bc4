"""The whole pipeline over fixtures/: exactly the expected (code, line) pairs, file by file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from iamlint.testing import check_directory, check_fixture, expected_findings, fixture_files, lint

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
TERRAFORM = FIXTURES / "terraform"


def _ids(path: Path) -> str:
    return str(path.relative_to(FIXTURES))


def _module_dirs(root: Path) -> list[Path]:
    dirs = []
    for folder, subdirs, names in os.walk(root):
        subdirs.sort()
        if any(name.endswith(".tf") for name in names):
            dirs.append(Path(folder))
    return sorted(dirs)


def _unmarked(directory: Path) -> bool:
    return all(expected_findings(directory / name) is None for name in os.listdir(directory))


MARKED = fixture_files(FIXTURES)
UNMARKED_MODULES = [d for d in _module_dirs(TERRAFORM) if _unmarked(d)]


def test_there_are_fixtures_both_ways():
    assert len(MARKED) >= 5 and len(UNMARKED_MODULES) >= 3


@pytest.mark.parametrize("path", MARKED, ids=_ids)
def test_fixture_reports_exactly_its_markers(path: Path):
    check_fixture(path)


@pytest.mark.parametrize("directory", [d for d in _module_dirs(TERRAFORM) if not _unmarked(d)], ids=_ids)
def test_unmarked_files_of_marked_modules_have_no_findings(directory: Path):
    check_directory(directory)


@pytest.mark.parametrize("directory", UNMARKED_MODULES, ids=_ids)
def test_secure_module_has_no_findings(directory: Path):
    report = lint([directory])
    assert report.files > 0
    assert [(f.rule, f.path, f.line, f.message) for f in report.findings] == []
    assert [(e.path, e.line, e.message) for e in report.errors] == []


def test_markers_are_line_exact(tmp_path: Path):
    """The harness must fail when a marker sits one line off (so the fixtures mean something)."""
    (tmp_path / "main.tf").write_text(
        'resource "aws_instance" "web" {\n'
        '  ami = "ami-0c55b159cbfafe1f0" # expect: EC2001\n'
        "}\n"
    )
    with pytest.raises(AssertionError, match="EC2001 line 1"):
        check_fixture(tmp_path / "main.tf")
