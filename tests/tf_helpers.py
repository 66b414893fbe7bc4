"""Shared helpers of the tests/test_tf_*.py files: run the pipeline, list (code, file, line, address)."""

from __future__ import annotations

import os
from pathlib import Path

from iamlint.engine import Options, run

ROOT = Path(__file__).resolve().parent.parent
DEPTH = ROOT / "fixtures" / "terraform-depth"
PLAN = ROOT / "fixtures" / "plan"


# the least-privilege rules judge every action on "*" (s3:GetObject included, which these
# tests use as a harmless action); they have their own tests (test_least_privilege.py) and
# the fixtures' markers cover them
LEAST_PRIVILEGE = {"IAM006", "IAM007", "IAM008"}


def findings(path, **options) -> set[tuple[str, str, int, str]]:
    """(code, file name relative to the repo, line, resource address) of every finding of
    the rules other than IAM006-IAM008."""
    options.setdefault("ignore", set(LEAST_PRIVILEGE))
    report = run([str(path)], Options(cache=False, **options))
    return {(f.rule, _rel(f.path), f.line, f.resource) for f in report.findings}


def errors(path, **options) -> set[tuple[str, int, str]]:
    report = run([str(path)], Options(cache=False, **options))
    return {(_rel(e.path), e.line, e.message) for e in report.errors}


def _rel(path: str) -> str:
    absolute = os.path.abspath(path)
    try:
        return os.path.relpath(absolute, ROOT)
    except ValueError:
        return absolute


def write(folder: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return folder
