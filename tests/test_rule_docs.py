"""Rule documentation and registration: the house template, entry points, imports, and
the Bad/Good examples of every rule executed through the pipeline."""

from __future__ import annotations

import ast
import re
import sys
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from iamlint.registry import GROUP, load_rules
from iamlint.testing import lint

RULES_DIR = Path(__file__).resolve().parent.parent / "iamlint" / "rules"
SECTIONS = ["What it checks", "Why it matters", "Bad", "Good", "How to fix", "References"]
OPTIONAL = ["Options", "Limitations"]
REGISTRY = load_rules()
RULES = REGISTRY.rules
RULE_MODULES = sorted(p.stem for p in RULES_DIR.glob("*.py") if p.stem != "__init__")
FENCE = re.compile(r"```(\w+)\n(.*?)```", re.DOTALL)
SUFFIX = {"hcl": "main.tf", "terraform": "main.tf", "yaml": "template.yaml", "json": "template.json"}


def _headings(doc: str) -> list[str]:
    return [m.group(1).strip() for m in re.finditer(r"^## (.+)$", doc, re.MULTILINE)]


def _section(doc: str, name: str) -> str:
    match = re.search(rf"^## {re.escape(name)}\n(.*?)(?=^## |\Z)", doc, re.MULTILINE | re.DOTALL)
    return match.group(1) if match else ""


def test_rules_load_without_errors():
    assert REGISTRY.errors == []
    assert {"EC2001", "EC2002", "IAM001", "IAM002"} <= {rule.code for rule in RULES}


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_doc_follows_the_house_template(rule):
    headings = _headings(rule.doc)
    assert headings[: len(SECTIONS)] == SECTIONS, f"{rule.code}: headings {headings}"
    extra = headings[len(SECTIONS):]
    assert all(h in OPTIONAL for h in extra), f"{rule.code}: unexpected sections {extra}"
    assert extra == [h for h in OPTIONAL if h in extra], f"{rule.code}: optional sections out of order"
    assert rule.doc.strip().splitlines()[0], "the first line is the rule's one-line description"
    assert rule.summary and "\n" not in rule.summary


FIX_LINES = {"safe": "Fix: safe.", "unsafe": "Fix: unsafe.", "editor": "Fix: unsafe, editor only.",
             "evidence": "Fix: unsafe, with evidence only."}


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_how_to_fix_says_whether_iamlint_fixes_it(rule):
    """A rule that proposes fixes says so, and how sure they are, in "How to fix"; the
    others do not claim one."""
    section = _section(rule.doc, "How to fix")
    if rule.fixable:
        assert FIX_LINES[rule.fixable] in section, f"{rule.code}: no {FIX_LINES[rule.fixable]!r} in How to fix"
    else:
        assert "Fix: " not in section


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_bad_and_good_show_terraform_and_cloudformation(rule):
    for name in ("Bad", "Good"):
        languages = {lang for lang, _ in FENCE.findall(_section(rule.doc, name))}
        assert {"hcl"} <= languages and languages & {"yaml", "json"}, f"{rule.code} {name}: {languages}"


def _examples() -> list:
    cases = []
    for rule in RULES:
        for name, fires in (("Bad", True), ("Good", False)):
            for index, (lang, code) in enumerate(FENCE.findall(_section(rule.doc, name))):
                if lang in SUFFIX:
                    cases.append(pytest.param(rule.code, lang, code, fires, id=f"{rule.code}-{name}-{lang}-{index}"))
    return cases


@pytest.mark.parametrize("code, lang, text, fires", _examples())
def test_doc_examples_run_through_the_pipeline(tmp_path, code, lang, text, fires):
    (tmp_path / SUFFIX[lang]).write_text(text, encoding="utf-8")
    report = lint([tmp_path])
    assert report.errors == [], [(e.path, e.line, e.message) for e in report.errors]
    found = [f for f in report.findings if f.rule == code]
    if fires:
        assert found, f"the Bad example of {code} ({lang}) does not fire it"
    else:
        assert not found, f"the Good example of {code} ({lang}) fires it: {[f.message for f in found]}"


def test_every_rule_module_is_registered_as_an_entry_point():
    declared = {ep.value.split(":")[0] for ep in entry_points(group=GROUP)}
    missing = [m for m in RULE_MODULES if f"iamlint.rules.{m}" not in declared]
    assert not missing, f"not in the {GROUP} entry-point group (pyproject.toml, then reinstall): {missing}"
    for ep in entry_points(group=GROUP):
        if ep.value.startswith("iamlint.rules."):
            assert ep.value.endswith(":RULE") and ep.load().code == ep.name


@pytest.mark.parametrize("module", RULE_MODULES)
def test_rule_modules_import_only_the_plugin_api(module):
    tree = ast.parse((RULES_DIR / f"{module}.py").read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            names = [node.module or ""]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        for name in names:
            top = name.split(".")[0]
            allowed = name in ("iamlint.plugin", "__future__") or (top in sys.stdlib_module_names and top != "iamlint")
            assert allowed, f"iamlint/rules/{module}.py imports {name} (only iamlint.plugin and the standard library)"
    assert "RULE" in {t.id for n in tree.body if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)}


@pytest.mark.parametrize("module", RULE_MODULES)
def test_doc_is_the_module_docstring(module):
    import importlib

    loaded = importlib.import_module(f"iamlint.rules.{module}")
    assert loaded.RULE.doc == loaded.__doc__
