"""Every registered rule has its fixture folder, and the whole pipeline reports exactly
the folder's markers.

The folder of a rule is ``fixtures/rules/<rule name>/``. It holds, for each format the
rule applies to, a ``bad`` file that exercises the rule (each offending line marked with
``# expect: CODE``, or listed in the ``.json.expect`` sidecar for JSON) and a ``good``
file showing the corrected shape, which must expect no finding of that rule. Other files
(a shared ``profile.tf``, a template read with ``file()``) may sit next to them: the
folder is one Terraform module, and every file in it is checked.

The rules come from the registry (installed entry points), not from a list kept here,
so a rule added without its folder fails these tests, naming the folder to create.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from iamlint.registry import load_rules
from iamlint.testing import check_directory, expected_findings

ROOT = Path(__file__).resolve().parent.parent
RULES_DIR = ROOT / "fixtures" / "rules"
STEMS = ("bad", "good")


@dataclass(frozen=True)
class Format:
    """A format every rule's folder covers, unless the rule is exempt from it."""

    label: str
    suffix: str
    sidecar: bool  # expectations in <file>.expect (the format has no comments)


FORMATS = (
    Format("Terraform", ".tf", sidecar=False),
    Format("CloudFormation YAML", ".yaml", sidecar=False),
    Format("CloudFormation JSON", ".json", sidecar=True),
)

EXEMPT: dict[tuple[str, str], str] = {}
"""(rule name, format suffix) -> why the rule cannot apply to that format, e.g.
``("provider-credentials", ".yaml"): "a Terraform provider block has no CloudFormation
counterpart"``. Today every rule applies to Terraform and to both CloudFormation
syntaxes (the SUP rules use resource Metadata in JSON), so the list is empty; a rule
that truly applies to fewer formats adds its entry here, with the reason."""

REGISTRY = load_rules()
RULES = REGISTRY.rules


def _id(rule) -> str:
    return f"{rule.code}-{rule.name}"


def rule_folder(rule, root: Path = RULES_DIR) -> Path:
    return root / rule.name


def required_files(rule, exempt: dict[tuple[str, str], str] = EXEMPT) -> list[str]:
    """The file names the folder of ``rule`` must hold."""
    names = []
    for fmt in FORMATS:
        if (rule.name, fmt.suffix) in exempt:
            continue
        for stem in STEMS:
            names.append(stem + fmt.suffix)
            if fmt.sidecar:
                names.append(stem + fmt.suffix + ".expect")
    return names


def folder_problems(rule, folder: Path, exempt: dict[tuple[str, str], str] = EXEMPT) -> list[str]:
    """What is missing or wrong in the fixture folder of ``rule`` (empty: complete)."""
    required = required_files(rule, exempt)
    if not folder.is_dir():
        return [
            f"rule {rule.code} ({rule.name}) has no fixture folder: create {_shown(folder)}/ "
            f"with {', '.join(required)}"
        ]
    problems = [
        f"rule {rule.code} ({rule.name}): {_shown(folder / name)} is missing"
        for name in required
        if not (folder / name).is_file()
    ]
    for name in required:
        path = folder / name
        if name.endswith(".expect") or not path.is_file():
            continue
        codes = {code for code, _ in expected_findings(path) or set()}
        if name.startswith("bad") and rule.code not in codes:
            problems.append(
                f"rule {rule.code} ({rule.name}): {_shown(path)} expects no {rule.code} finding; "
                "a bad file marks the lines the rule must report"
            )
        if name.startswith("good") and rule.code in codes:
            problems.append(
                f"rule {rule.code} ({rule.name}): {_shown(path)} expects {rule.code}; "
                "a good file shows the corrected shape and gets none of its rule's findings"
            )
    return problems


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


# ---------------------------------------------------------------- the real folders


def test_the_registry_loads_rules():
    assert REGISTRY.errors == []
    assert len(RULES) >= 12


@pytest.mark.parametrize("rule", RULES, ids=_id)
def test_rule_has_a_complete_fixture_folder(rule):
    problems = folder_problems(rule, rule_folder(rule))
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("rule", RULES, ids=_id)
def test_rule_fixture_folder_reports_exactly_its_markers(rule):
    folder = rule_folder(rule)
    if not folder.is_dir():
        pytest.fail(folder_problems(rule, folder)[0])
    check_directory(folder)


def test_every_fixture_folder_belongs_to_a_registered_rule():
    names = {rule.name for rule in RULES}
    orphans = sorted(p.name for p in RULES_DIR.iterdir() if p.is_dir() and p.name not in names)
    assert not orphans, f"fixtures/rules/ folders named after no registered rule (renamed or removed?): {orphans}"


def test_exemptions_name_a_registered_rule_a_format_and_a_reason():
    names = {rule.name for rule in RULES}
    suffixes = {fmt.suffix for fmt in FORMATS}
    for (name, suffix), reason in EXEMPT.items():
        assert name in names, f"exemption for {name!r}, which is not a registered rule"
        assert suffix in suffixes, f"exemption of {name} from {suffix!r}, which is not a fixture format"
        assert reason.strip(), f"exemption of {name} from {suffix} gives no reason"
        stale = [n for n in (f"bad{suffix}", f"good{suffix}") if (RULES_DIR / name / n).exists()]
        assert not stale, f"{name} is exempt from {suffix} but has {stale}: drop the exemption"


# ---------------------------------------------------------------- the walker itself


@dataclass(frozen=True)
class ToyRule:
    code: str = "TOY001"
    name: str = "toy-rule"


def _complete_folder(root: Path, rule: ToyRule) -> Path:
    folder = root / rule.name
    folder.mkdir()
    for fmt in FORMATS:
        for stem in STEMS:
            marker = f"{rule.code}" if stem == "bad" else ""
            if fmt.sidecar:
                (folder / f"{stem}{fmt.suffix}").write_text("{}\n")
                (folder / f"{stem}{fmt.suffix}.expect").write_text(f"{marker} 1\n" if marker else "")
            else:
                (folder / f"{stem}{fmt.suffix}").write_text(f"x = 1 # expect: {marker}\n" if marker else "x = 1\n")
    return folder


def test_a_rule_without_a_folder_is_named_with_the_folder_to_create(tmp_path: Path):
    rule = ToyRule()
    [problem] = folder_problems(rule, rule_folder(rule, tmp_path))
    assert "TOY001 (toy-rule) has no fixture folder" in problem
    assert f"create {tmp_path / 'toy-rule'}/" in problem
    assert "bad.tf, good.tf, bad.yaml, good.yaml, bad.json, bad.json.expect, good.json, good.json.expect" in problem


def test_a_complete_folder_has_no_problems(tmp_path: Path):
    rule = ToyRule()
    assert folder_problems(rule, _complete_folder(tmp_path, rule)) == []


def test_a_missing_file_or_sidecar_is_reported(tmp_path: Path):
    rule = ToyRule()
    folder = _complete_folder(tmp_path, rule)
    (folder / "good.yaml").unlink()
    (folder / "bad.json.expect").unlink()
    problems = "\n".join(folder_problems(rule, folder))
    assert "good.yaml is missing" in problems and "bad.json.expect is missing" in problems


def test_a_bad_file_without_markers_of_its_rule_is_reported(tmp_path: Path):
    rule = ToyRule()
    folder = _complete_folder(tmp_path, rule)
    (folder / "bad.tf").write_text("x = 1 # expect: OTHER001\n")
    (folder / "bad.json.expect").write_text("")
    problems = folder_problems(rule, folder)
    assert len(problems) == 2
    assert all("expects no TOY001 finding" in p for p in problems)


def test_a_good_file_expecting_its_rule_is_reported(tmp_path: Path):
    rule = ToyRule()
    folder = _complete_folder(tmp_path, rule)
    (folder / "good.yaml").write_text("x: 1 # expect: TOY001\n")
    [problem] = folder_problems(rule, folder)
    assert "good.yaml expects TOY001" in problem


def test_an_exempt_format_is_not_required(tmp_path: Path):
    rule = ToyRule()
    folder = _complete_folder(tmp_path, rule)
    for name in ("bad.json", "bad.json.expect", "good.json", "good.json.expect"):
        (folder / name).unlink()
    assert folder_problems(rule, folder) != []
    assert folder_problems(rule, folder, exempt={("toy-rule", ".json"): "no JSON form"}) == []


def _without_first_marker(path: Path, code: str) -> None:
    lines = path.read_text().splitlines(keepends=True)
    index = next(i for i, line in enumerate(lines) if f"# expect: {code}" in line)
    lines[index] = lines[index].split("# expect:")[0].rstrip() + "\n"
    path.write_text("".join(lines))


def test_a_removed_marker_fails_the_folder(tmp_path: Path):
    """A real folder with one marker removed: the finding is then unexpected."""
    rule = REGISTRY.find("EC2001")
    folder = tmp_path / rule.name
    shutil.copytree(rule_folder(rule), folder)
    _without_first_marker(folder / "bad.tf", rule.code)
    with pytest.raises(AssertionError, match="reported but not expected:\n  EC2001 line"):
        check_directory(folder)


def test_a_rule_that_stops_firing_fails_the_folder(tmp_path: Path):
    """A real folder whose bad case is fixed but whose marker stays: the finding is then
    missing (the same failure as a rule that no longer reports it)."""
    rule = REGISTRY.find("IAM002")
    folder = tmp_path / rule.name
    shutil.copytree(rule_folder(rule), folder)
    marked = "Action: ec2:* # expect: IAM002"
    text = (folder / "bad.yaml").read_text()
    assert marked in text, "the fixture changed: pick another marked line for this test"
    (folder / "bad.yaml").write_text(text.replace(marked, "Action: ec2:DescribeInstances # expect: IAM002"))
    with pytest.raises(AssertionError, match="expected but not reported:\n  IAM002 line"):
        check_directory(folder)
