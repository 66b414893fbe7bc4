"""``iamlint check --fix`` end to end (issue 16): each fix applied to fixtures in every
format it supports, the whole file compared with a golden file, the folder linted again
(the fixed findings are gone, no new finding), and a second ``--fix`` changes nothing.

Golden files live in tests/data/fixes/golden/<case>/ (only the files a case changes);
regenerate them with ``IAMLINT_UPDATE_GOLDEN=1 python -m pytest tests/test_fixes.py`` and
review the diff before committing.
"""

from __future__ import annotations

import codecs
import collections
import hashlib
import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from iamlint.autofix import fix as run_fixes
from iamlint.cli import main
from iamlint.engine import Options
from iamlint.fixes import Selection
from iamlint.model.findings import Severity
from iamlint.model.fixes import SAFE, Edit, Fix
from iamlint.registry import load_plugins
from iamlint.report import LocatedFinding, Report

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "fixes"
GOLDEN = DATA / "golden"
UPDATE = os.environ.get("IAMLINT_UPDATE_GOLDEN") == "1"


@dataclass(frozen=True)
class Case:
    name: str
    source: str  # a folder, relative to the checkout
    flags: tuple[str, ...]
    rules: tuple[str, ...]  # the rules whose fixable findings must be gone
    transform: str = ""  # "crlf": every line break written \r\n; "bom": a UTF-8 byte order mark
    # rules whose new findings are the expected consequence of an unsafe fix: a misspelt
    # action made real is now granted, so the rules about what a policy grants see it
    consequences: tuple[str, ...] = ()
    lint: tuple[str, ...] = ()  # options of every run of the case (--narrow-from FILE)

    def __str__(self) -> str:
        return self.name


UNSAFE = ("--unsafe-fixes",)
CASES = [
    Case("ec2003", "fixtures/rules/imdsv1-allowed", ("--select", "EC2003"), ("EC2003",)),
    Case("sup001", "fixtures/rules/unused-suppression", (), ("SUP001",)),
    Case("iam005", "fixtures/rules/unknown-action", (*UNSAFE, "--select", "IAM005"), ("IAM005",),
         consequences=("IAM004", "IAM007")),
    Case("iam001", "fixtures/rules/trust-not-ec2-only", (*UNSAFE, "--select", "IAM001"), ("IAM001",)),
    Case("ec2001", "fixtures/rules/instance-without-profile",
         (*UNSAFE, "--extend-fixable", "EC2001", "--select", "EC2001"), ("EC2001",)),
    Case("iam002", "fixtures/rules/wildcard-action", (*UNSAFE, "--select", "IAM002"), ("IAM002",),
         consequences=("IAM004", "IAM006", "IAM007", "IAM008"), lint=("--narrow-from", str(DATA / "evidence.json"))),
    Case("iam007", "tests/data/fixes/inputs/unscoped", (*UNSAFE, "--select", "IAM007"), ("IAM007",),
         lint=("--narrow-from", str(DATA / "evidence.json"))),
    Case("yaml-comments", "tests/data/fixes/inputs/yaml-comments", UNSAFE, ("EC2003", "IAM001", "IAM005", "SUP001")),
    Case("yaml-bom", "tests/data/fixes/inputs/yaml-comments", UNSAFE, ("EC2003", "IAM001", "IAM005", "SUP001"), "bom"),
    Case("yaml-crlf", "tests/data/fixes/inputs/yaml-comments", UNSAFE, ("EC2003", "IAM001", "IAM005", "SUP001"), "crlf"),
    Case("crlf", "tests/data/fixes/inputs/crlf", UNSAFE, ("EC2003", "IAM001", "IAM005", "SUP001"), "crlf",
         consequences=("IAM008",)),
    Case("defined-once", "tests/data/fixes/inputs/defined-once", (), ("EC2003",)),
    Case("defined-twice", "tests/data/fixes/inputs/defined-twice", (), ()),
]


def _transform(data: bytes, how: str) -> bytes:
    if how == "crlf":
        return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    if how == "bom":
        return codecs.BOM_UTF8 + data
    return data


def _copy(case: Case, target: Path) -> Path:
    folder = target / "repo" / case.name
    shutil.copytree(ROOT / case.source, folder, ignore=shutil.ignore_patterns("*.expect"))
    (target / "repo" / ".git").mkdir()  # the repository root (Terraform file() reads stay inside)
    for path in folder.rglob("*"):
        if path.is_file():
            path.write_bytes(_transform(path.read_bytes(), case.transform))
    return folder


def invoke(*args: str):
    return CliRunner().invoke(main, ["check", "--no-cache", *args])


def _findings(folder: Path, *flags: str) -> list[dict]:
    result = invoke("--format", "json", *flags, str(folder))
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)["findings"]


def _key(finding: dict) -> tuple:
    return (finding["rule"], finding["resource"], finding["message"])


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("case", CASES, ids=str)
def test_fix_matches_golden_and_relints_clean(case, tmp_path, monkeypatch):
    folder = _copy(case, tmp_path)
    monkeypatch.chdir(tmp_path / "repo")
    before_files = _snapshot(folder)
    before = _findings(folder, *case.lint)
    fixable = [f for f in before if f["rule"] in case.rules and f.get("fix", {}).get("edits")]

    result = invoke("--fix", *case.flags, *case.lint, str(folder))
    assert result.exit_code in (0, 1), result.output
    after_files = _snapshot(folder)

    golden = GOLDEN / case.name
    changed = {name for name in after_files if after_files[name] != before_files[name]}
    if UPDATE:
        shutil.rmtree(golden, ignore_errors=True)
        for name in changed:
            (golden / name).parent.mkdir(parents=True, exist_ok=True)
            (golden / name).write_bytes(after_files[name].replace(b"\r\n", b"\n").removeprefix(codecs.BOM_UTF8))
    expected = {name: _transform((golden / name).read_bytes(), case.transform) if (golden / name).exists()
                else before_files[name] for name in before_files}
    for name in expected:
        assert after_files[name] == expected[name], f"{case.name}/{name} differs from its golden file"
    assert bool(changed) == bool(fixable), "a fix offered was not applied, or a file changed without one"

    # linted again: the fixable findings are gone, nothing new appeared
    after = _findings(folder, *case.lint)
    left = [f for f in after if f["rule"] in case.rules and f.get("fix", {}).get("edits")]
    assert not left, f"fixable findings left: {left}"
    new = collections.Counter(map(_key, after)) - collections.Counter(map(_key, before))
    assert all(rule in case.consequences for rule, _, _ in new), f"new findings after fixing: {list(new)}"
    assert not [key for key in new if key[0] in case.rules], f"new findings after fixing: {list(new)}"
    if case.transform == "crlf":
        assert all(b"\n" not in data.replace(b"\r\n", b"") for data in after_files.values())

    # a second --fix changes nothing
    again = invoke("--fix", *case.flags, *case.lint, str(folder))
    assert "fixed 0 findings in 0 files" in again.stderr
    assert _snapshot(folder) == after_files


def test_defined_twice_says_why_there_is_no_fix(tmp_path, monkeypatch):
    folder = _copy(CASES[-1], tmp_path)
    monkeypatch.chdir(tmp_path / "repo")
    ec2003 = [f for f in _findings(folder) if f["rule"] == "EC2003"]
    assert ec2003 and all(f["fix"]["edits"] == [] for f in ec2003)
    assert all("local 'tokens'" in f["fix"]["reason"] and "2 places" in f["fix"]["reason"] for f in ec2003)
    result = invoke("--fix", str(folder))
    notes = [line for line in result.stderr.splitlines() if "no automatic fix" in line]
    assert len(notes) == 2 and all("local 'tokens'" in line and "EC2003" in line for line in notes)


def _hashes(folder: Path) -> dict[str, str]:
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.skipif(shutil.which("git") is None, reason="git apply --check needs git")
def test_diff_on_fixtures_is_a_patch_git_accepts_and_writes_nothing(monkeypatch):
    monkeypatch.chdir(ROOT)
    before = _hashes(ROOT / "fixtures")
    result = invoke("--diff", "--unsafe-fixes", "--extend-fixable", "EC2001", "fixtures/")
    assert _hashes(ROOT / "fixtures") == before, "--diff wrote a file"
    assert result.exit_code == 2  # fixtures/ has files with errors on purpose; the patch is printed anyway
    assert "still reported" not in result.stderr and "not applied" not in result.stderr  # every fix does its job
    patch = result.stdout_bytes  # as written (.stdout would turn \r\n into \n)
    assert patch.count(b"diff --git a/fixtures/") >= 15
    check = subprocess.run(["git", "apply", "--check", "-"], input=patch, cwd=ROOT, capture_output=True)
    assert check.returncode == 0, check.stderr.decode()


def test_diff_exit_codes(tmp_path, monkeypatch):
    folder = _copy(CASES[0], tmp_path)
    monkeypatch.chdir(tmp_path / "repo")
    result = invoke("--diff", "--select", "EC2003", str(folder))
    assert result.exit_code == 1 and result.stdout.startswith("diff --git ")
    assert "would change" in result.stderr
    assert invoke("--fix", "--select", "EC2003", str(folder)).exit_code == 0  # nothing left
    result = invoke("--diff", "--select", "EC2003", str(folder))
    assert result.exit_code == 0 and result.stdout == ""


def test_unsafe_fixes_need_the_flag(tmp_path, monkeypatch):
    folder = _copy(CASES[2], tmp_path)  # IAM005: unsafe
    monkeypatch.chdir(tmp_path / "repo")
    before = _snapshot(folder)
    result = invoke("--fix", "--select", "IAM005", str(folder))
    assert _snapshot(folder) == before
    assert "more fixes available with --unsafe-fixes" in result.stderr


def test_editor_fixes_need_extend_fixable(tmp_path, monkeypatch):
    folder = _copy(CASES[4], tmp_path)  # EC2001: editor only
    monkeypatch.chdir(tmp_path / "repo")
    before = _snapshot(folder)
    invoke("--fix", "--unsafe-fixes", "--select", "EC2001", str(folder))
    assert _snapshot(folder) == before


def test_fix_and_diff_exclude_each_other():
    result = invoke("--fix", "--diff", ".")
    assert result.exit_code == 2 and "choose one" in result.output


def test_a_fix_that_breaks_the_file_is_not_applied(tmp_path):
    """A fix whose edit would leave the file unparsable: reported, the file untouched."""
    target = tmp_path / "main.tf"
    target.write_text('resource "aws_instance" "a" {\n  ami = "x"\n}\n', encoding="utf-8")
    broken = Fix(SAFE, "break it", (Edit(str(target), 2, 9, 2, 12, '"x'),))
    finding = LocatedFinding("EC2003", "imdsv1-allowed", Severity.WARNING, "m", str(target), 2, 3, 2, 12,
                             "aws_instance.a", identity="i", fix=broken)

    def runner(paths, options, registry):
        return Report(findings=[finding])

    outcome = run_fixes([str(tmp_path)], Options(), load_plugins(), Selection(), runner)
    assert not outcome.changed and not outcome.applied
    assert len([p for p in outcome.problems if "not applied" in p and "unparsable" in p]) == 1  # reported once
    assert target.read_text(encoding="utf-8").count('"x"') == 1


def test_sarif_fixes_validate_and_apply_as_the_golden_file(tmp_path, monkeypatch):
    """SARIF ``fixes`` (artifactChanges, replacements) validate against the 2.1.0 schema,
    and applying the replacements of the safe fixes gives the file --fix writes."""
    jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is in the test extra")
    schema = json.loads((ROOT / "tests" / "data" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    folder = _copy(CASES[0], tmp_path)
    monkeypatch.chdir(tmp_path / "repo")
    result = invoke("--format", "sarif", "--select", "EC2003", str(folder))
    document = json.loads(result.stdout)
    errors = list(jsonschema.validators.validator_for(schema)(schema).iter_errors(document))
    assert not errors, [e.message for e in errors[:5]]
    replacements = []
    for item in document["runs"][0]["results"]:
        for fix in item.get("fixes", ()):
            assert fix["properties"]["applicability"] == "safe" and fix["description"]["text"]
            for change in fix["artifactChanges"]:
                if change["artifactLocation"]["uri"].endswith("bad.tf"):
                    replacements += change["replacements"]
    assert len(replacements) >= 5
    text = (folder / "bad.tf").read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)

    def offset(line: int, column: int) -> int:
        return sum(len(x) for x in lines[: line - 1]) + column - 1

    spans = sorted(((offset(r["deletedRegion"]["startLine"], r["deletedRegion"]["startColumn"]),
                     offset(r["deletedRegion"]["endLine"], r["deletedRegion"]["endColumn"]),
                     r["insertedContent"]["text"]) for r in replacements), reverse=True)
    for start, end, new in spans:
        text = text[:start] + new + text[end:]
    assert text == (GOLDEN / "ec2003" / "bad.tf").read_text(encoding="utf-8")


def test_wildcards_get_no_fix_without_evidence(tmp_path, monkeypatch):
    folder = _copy(CASES[5], tmp_path)
    monkeypatch.chdir(tmp_path / "repo")
    iam002 = [f for f in _findings(folder) if f["rule"] == "IAM002"]
    assert iam002 and all("fix" not in f for f in iam002)
    with_evidence = [f for f in _findings(folder, *CASES[5].lint) if f["rule"] == "IAM002"]
    assert sum(1 for f in with_evidence if f.get("fix", {}).get("edits")) >= 5


def test_evidence_formats(tmp_path):
    from iamlint.fixes.evidence import EvidenceError, used_actions

    iamlive = tmp_path / "iamlive.json"
    iamlive.write_text(json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["s3:GetObject", "S3:getobject", "s3:*"], "Resource": "*"},
        {"Effect": "Deny", "Action": "iam:PassRole", "Resource": "*"}]}), encoding="utf-8")
    assert used_actions(str(iamlive)) == ("s3:GetObject",)
    analyzer = tmp_path / "analyzer.json"
    document = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"}]}
    analyzer.write_text(json.dumps({"generatedPolicyResult": {"generatedPolicies": [{"policy": json.dumps(document)}]}}),
                        encoding="utf-8")
    assert used_actions(str(analyzer)) == ("sqs:SendMessage",)
    empty = tmp_path / "empty.json"
    empty.write_text("{}", encoding="utf-8")
    with pytest.raises(EvidenceError, match="no allowed action"):
        used_actions(str(empty))
    result = invoke("--narrow-from", str(empty), str(tmp_path))
    assert result.exit_code == 2 and "--narrow-from" in result.output and "empty.json" in result.output


def test_fixes_are_located_only_when_shown(tmp_path, monkeypatch):
    """The text output shows no fix: the files are not read again to locate them; the
    JSON output locates each finding's fix once."""
    from iamlint.fixes.plan import Planner

    folder = _copy(CASES[0], tmp_path)
    monkeypatch.chdir(tmp_path / "repo")
    calls = []
    real = Planner.plan
    monkeypatch.setattr(Planner, "plan", lambda self, intent: calls.append(intent) or real(self, intent))
    assert "EC2003" in invoke("--select", "EC2003", str(folder)).stdout
    assert calls == []
    shown = invoke("--format", "json", "--select", "EC2003", str(folder)).stdout
    assert "EC2003" in shown and '"fix"' in shown
    assert len(calls) == shown.count('"rule": "EC2003"') > 0


def test_diff_masks_credentials_near_a_fix(tmp_path, monkeypatch):
    key = "AKIA" + "IOSFODNN7EXAMPLE"
    (tmp_path / ".git").mkdir()
    (tmp_path / "main.tf").write_text(f'''resource "aws_instance" "a" {{
  ami                  = "ami-1"
  iam_instance_profile = "p"
  metadata_options {{
    # old key {key}
    http_tokens = "optional"
  }}
}}
''', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = invoke("--diff", "--select", "EC2003", "main.tf")
    assert '+    http_tokens = "required"' in result.stdout
    assert key not in result.stdout and "AKIA" in result.stdout


def test_clashing_fixes_are_applied_in_later_rounds(tmp_path, monkeypatch):
    """EC2003 (add metadata_options) and EC2001 (attach a new profile) both insert after
    the last attribute: one waits for the next round, then both are applied."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "main.tf").write_text('resource "aws_instance" "a" {\n  ami = "ami-1"\n}\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = invoke("--fix", "--unsafe-fixes", "--extend-fixable", "EC2001", "--format", "json", "main.tf")
    assert "fixed 2 findings in 1 file" in result.stderr
    assert not {f["rule"] for f in json.loads(result.stdout)["findings"]} & {"EC2001", "EC2003"}
    text = (tmp_path / "main.tf").read_text(encoding="utf-8")
    assert "iam_instance_profile = aws_iam_instance_profile.a.name" in text and 'http_tokens = "required"' in text


@pytest.mark.skipif(shutil.which("git") is None, reason="git apply needs git")
@pytest.mark.parametrize("case", [c for c in CASES if c.transform], ids=str)
def test_diff_applied_by_git_gives_the_golden_file(case, tmp_path, monkeypatch):
    """--diff of a CRLF or byte-order-marked file: git applies it, and the result is the
    file --fix writes."""
    folder = _copy(case, tmp_path)
    repo = tmp_path / "repo"
    monkeypatch.chdir(repo)
    patch = invoke("--diff", *case.flags, *case.lint, case.name).stdout_bytes  # .stdout would turn \r\n into \n
    subprocess.run(["git", "init", "-q", "--template=", "."], cwd=repo, check=True, capture_output=True)
    applied = subprocess.run(["git", "apply", "-"], input=patch, cwd=repo, capture_output=True)
    assert applied.returncode == 0, applied.stderr.decode()
    for path in (GOLDEN / case.name).rglob("*"):
        if path.is_file():
            expected = _transform(path.read_bytes(), case.transform)
            assert (folder / path.relative_to(GOLDEN / case.name)).read_bytes() == expected


def test_write_is_atomic_keeps_the_mode_and_refuses_a_file_changed_meanwhile(tmp_path):
    from iamlint.autofix import write
    from iamlint.fixes.text import original

    target = tmp_path / "main.tf"
    target.write_bytes(codecs.BOM_UTF8 + b'a = "x"\r\n')
    target.chmod(0o640)
    kept, problem = original(str(target))
    assert kept is not None and problem is None and kept.text == 'a = "x"\r\n'
    assert write({str(target): (kept, 'a = "y"\r\n')}) == []
    assert target.read_bytes() == codecs.BOM_UTF8 + b'a = "y"\r\n'
    assert target.stat().st_mode & 0o777 == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["main.tf"]  # no temporary file left
    # the file changed after it was read: not overwritten
    problems = write({str(target): (kept, 'a = "z"\r\n')})
    assert problems and "changed on disk" in problems[0]
    assert target.read_bytes() == codecs.BOM_UTF8 + b'a = "y"\r\n'


def test_no_fix_edits_an_account_snapshot_or_a_plan(tmp_path, monkeypatch):
    """Context (--account) and generated files (a plan) are not code: their findings carry
    no fix, and --diff leaves them alone."""
    from test_account_context import _code, _snapshot

    code = _code(tmp_path)
    snapshot, text = _snapshot(tmp_path / "account")
    monkeypatch.chdir(tmp_path)
    with_context = _findings(code, "--account", str(snapshot))
    assert any(f["rule"] == "IAM001" for f in with_context)  # the snapshot role's trust, reported at the code
    assert all("fix" not in f for f in with_context if f["rule"] == "IAM001")
    alone = _findings(snapshot.parent)
    assert alone and all("fix" not in f for f in alone)
    result = invoke("--diff", "--unsafe-fixes", "--account", str(snapshot), str(code))
    assert "account.json" not in result.stdout and snapshot.read_text() == text + "\n"
    plan = [f for f in _findings(ROOT / "fixtures" / "plan") if f["rule"] in ("EC2003", "IAM001", "IAM005")]
    assert plan and all("fix" not in f for f in plan)


def test_a_statement_is_not_rewritten_over_a_reference(monkeypatch):
    """IAM001's rewrite would cut the statement off from a variable or local: no fix, and
    the reason names it."""
    monkeypatch.chdir(ROOT)
    iam001 = [f for f in _findings(ROOT / "fixtures" / "terraform" / "split_module") if f["rule"] == "IAM001"]
    assert iam001 and all(f["fix"]["edits"] == [] and "local.principal_services" in f["fix"]["reason"] for f in iam001)
