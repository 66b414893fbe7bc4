"""The rule pages docs/rules/<CODE>.md are generated from the rules' docstrings and kept
current: this test fails when one is stale (run `python tools/gen_rule_docs.py`)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from iamlint.registry import load_rules
from iamlint.reporters import links
from iamlint.reporters.rule_docs import built_in

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tools.gen_rule_docs import stale_pages  # noqa: E402  (the generator lives in tools/)


def test_the_rule_pages_are_current():
    done = subprocess.run([sys.executable, "tools/gen_rule_docs.py", "--check"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_stale_missing_or_extra_page_is_named(tmp_path):
    target = tmp_path / "rules"
    shutil.copytree(ROOT / "docs" / "rules", target)
    assert stale_pages(target)[1] == []
    (target / "IAM002.md").write_text("old text\n", encoding="utf-8")
    (target / "EC2001.md").unlink()
    (target / "IAM999.md").write_text("a rule that is gone\n", encoding="utf-8")
    assert sorted(stale_pages(target)[1]) == ["EC2001.md", "IAM002.md", "IAM999.md"]


def test_every_built_in_rule_has_a_page_with_its_documentation():
    rules = built_in(load_rules().rules)
    assert len(rules) >= 15
    for rule in rules:
        page = (ROOT / "docs" / "rules" / f"{rule.code}.md").read_text(encoding="utf-8")
        assert page.splitlines()[2] == f"# {rule.code} {rule.name}"
        assert "## What it checks" in page and "## How to fix" in page


def test_rule_urls_come_from_the_project_urls_and_can_be_overridden(monkeypatch):
    monkeypatch.delenv(links.ENVIRONMENT, raising=False)
    assert links.rule_url("EC2001") == "https://github.com/iamlint/iamlint/blob/main/docs/rules/EC2001.md"
    assert (ROOT / "docs" / "rules" / "EC2001.md").is_file()  # the page the URL names, in this repository
    monkeypatch.setenv(links.ENVIRONMENT, "https://docs.example.com/iamlint/")
    assert links.rule_url("EC2001") == "https://docs.example.com/iamlint/rules/EC2001.md"
    monkeypatch.setenv(links.ENVIRONMENT, "https://wiki.example.com/{code}-{name}")
    assert links.rule_url("EC2001", "instance-without-profile") == "https://wiki.example.com/EC2001-instance-without-profile"
