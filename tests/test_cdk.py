"""AWS CDK cloud assemblies (iamlint/formats/cdk.py): the stacks of cdk.out (and of its
nested stage assemblies) go through the CloudFormation path, once each, asset folders
are never read, and every finding names its construct path (JSON, SARIF, text)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from iamlint.discovery import discover
from iamlint.engine import Options, run
from iamlint.formats import load_formats
from iamlint.reporters import get_formatter

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "cdk"
BAD = FIXTURES / "bad" / "cdk.out"
FORMATS = load_formats()
INSTANCE = {"Type": "AWS::EC2::Instance", "Properties": {"ImageId": "ami-1", "MetadataOptions": {"HttpTokens": "required"}}}


def _run(paths, cache: bool = False):
    return run([str(p) for p in paths], Options(cache=cache, jobs=1))


def _assembly(folder: Path, stacks: dict[str, dict], metadata: dict | None = None, extra: dict | None = None) -> Path:
    """A cloud assembly: one stack artifact per template, with optional manifest metadata."""
    folder.mkdir(parents=True, exist_ok=True)
    artifacts: dict = {}
    for name, resources in stacks.items():
        (folder / f"{name}.template.json").write_text(json.dumps({"Resources": resources}, indent=1))
        artifacts[name] = {"type": "aws:cloudformation:stack", "properties": {"templateFile": f"{name}.template.json"},
                           "metadata": (metadata or {}).get(name, {})}
    artifacts.update(extra or {})
    (folder / "manifest.json").write_text(json.dumps({"version": "36.0.0", "artifacts": artifacts}))
    return folder


def _where(report):
    return sorted((os.path.relpath(f.path, FIXTURES), f.rule, f.line, f.column, f.construct) for f in report.findings)


def test_an_instance_without_profile_in_cdk_out_is_ec2001_with_its_construct_path():
    report = _run([FIXTURES / "bad"])
    assert _where(report) == [
        ("bad/cdk.out/App.template.json", "EC2001", 133, 3, "App/Bastion/Resource"),  # from the manifest's logicalId entries
        ("bad/cdk.out/App.template.json", "IAM002", 82, 18, "App/Worker/InstanceRole/DefaultPolicy/Resource"),
        # a CDK grant helper's kms:ReEncrypt* is reported like any partial wildcard
        ("bad/cdk.out/App.template.json", "IAM004", 71, 9, "App/Worker/InstanceRole/DefaultPolicy/Resource"),
        # a stage's nested assembly, construct from the resource's aws:cdk:path metadata
        ("bad/cdk.out/assembly-Prod/ProdWebA1B2C3D4.template.json", "EC2001", 3, 3, "Prod/Web/Server/Resource"),
    ]
    assert report.errors == []
    assert report.files == 2  # the two stack templates: asset folders, tree.json, asset manifests are not read


def test_the_construct_path_is_in_json_sarif_and_text():
    report = _run([BAD])
    bastion = next(f for f in report.findings if f.resource == "Bastion4F5E2D11")
    document = json.loads(get_formatter("json")(report))
    entry = next(f for f in document["findings"] if f["resource"] == "Bastion4F5E2D11")
    assert entry["construct"] == "App/Bastion/Resource"
    sarif = json.loads(get_formatter("sarif")(report, root=str(FIXTURES)))
    results = [r for r in sarif["runs"][0]["results"] if r["locations"][0]["physicalLocation"]["region"]["startLine"] == bastion.line]
    logical = results[0]["locations"][0]["logicalLocations"]
    assert {"fullyQualifiedName": "Bastion4F5E2D11", "kind": "resource"} in logical
    assert {"name": "Resource", "fullyQualifiedName": "App/Bastion/Resource", "kind": "object"} in logical
    text = get_formatter("text")(report)
    assert "EC2001 [instance-without-profile] Bastion4F5E2D11 has no instance profile" in text
    assert "(construct App/Bastion/Resource)" in text


def test_findings_without_a_construct_keep_the_json_output_unchanged(tmp_path):
    (tmp_path / "t.json").write_text(json.dumps({"Resources": {"Web": INSTANCE}}))
    document = json.loads(get_formatter("json")(_run([tmp_path])))
    assert [f["rule"] for f in document["findings"]] == ["EC2001"] and "construct" not in document["findings"][0]


def test_each_template_is_judged_once_however_it_is_named(tmp_path):
    shutil.copytree(FIXTURES / "bad", tmp_path / "bad")
    out = tmp_path / "bad" / "cdk.out"
    alone = _where(_run([tmp_path]))
    assert _where(_run([tmp_path, out, out / "App.template.json", out / "assembly-Prod"])) == alone
    assert len(alone) == 4


def test_a_template_named_alone_is_the_assemblys_and_keeps_the_manifest_construct_paths():
    unit = next(fmt.claim_file(str(BAD / "App.template.json")) for fmt in FORMATS if fmt.claim_file(str(BAD / "App.template.json")))
    assert unit.format.name == "cdk-assembly"
    report = _run([BAD / "App.template.json"])
    assert [(f.rule, f.construct) for f in report.findings if f.rule == "EC2001"] == [("EC2001", "App/Bastion/Resource")]


def test_asset_folders_are_never_walked():
    units, _ = discover([str(BAD)], FORMATS)
    assert sorted(os.path.relpath(u.root, BAD) for u in units) == [
        "App.template.json", os.path.join("assembly-Prod", "ProdWebA1B2C3D4.template.json")]
    assert all(u.format.name == "cdk-assembly" for u in units)
    # the asset's template alone is an ordinary template (what the walk skipped is real)
    assert sorted(f.rule for f in _run([BAD / "asset.3b1c9e0f"]).findings) == ["EC2001", "EC2003"]


def test_metadata_wins_over_the_manifest_and_nested_stack_templates_are_checked(tmp_path):
    resources = {"Web": {**INSTANCE, "Metadata": {"aws:cdk:path": "S/FromMetadata/Resource"}}}
    _assembly(tmp_path / "cdk.out", {"S": resources},
              {"S": {"/S/FromManifest/Resource": [{"type": "aws:cdk:logicalId", "data": "Web"}]}})
    (tmp_path / "cdk.out" / "SNestedStackDb1234.nested.template.json").write_text(json.dumps({"Resources": {
        "Db": {**INSTANCE, "Metadata": {"aws:cdk:path": "S/Db/Resource"}}}}))
    report = _run([tmp_path])
    assert sorted((os.path.basename(f.path), f.rule, f.construct) for f in report.findings) == [
        ("S.template.json", "EC2001", "S/FromMetadata/Resource"),
        ("SNestedStackDb1234.nested.template.json", "EC2001", "S/Db/Resource"),
    ]


def test_a_manifest_that_is_not_an_assemblys_leaves_the_folder_to_the_other_formats(tmp_path):
    (tmp_path / "manifest.json").write_text(json.dumps({"name": "web app", "icons": []}))
    (tmp_path / "stack.template.json").write_text(json.dumps({"Resources": {"Web": INSTANCE}}))
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "t.yaml").write_text("Resources:\n  Web:\n    Type: AWS::EC2::Instance\n")
    units, _ = discover([str(tmp_path)], FORMATS)
    assert sorted((os.path.relpath(u.root, tmp_path), u.format.name) for u in units) == [
        ("manifest.json", "cloudformation-json"),  # a candidate, not a template: skipped when loaded
        ("stack.template.json", "cloudformation-json"), (os.path.join("sub", "t.yaml"), "cloudformation-yaml")]
    assert sorted((os.path.basename(f.path), f.rule) for f in _run([tmp_path]).findings) == [
        ("stack.template.json", "EC2001"), ("t.yaml", "EC2001"), ("t.yaml", "EC2003")]


def test_a_manifest_cannot_lead_outside_its_assembly(tmp_path):
    (tmp_path / "outside.template.json").write_text(json.dumps({"Resources": {"Web": INSTANCE}}))
    out = _assembly(tmp_path / "app" / "cdk.out", {}, extra={
        "Escape": {"type": "aws:cloudformation:stack", "properties": {"templateFile": "../../outside.template.json"}},
        "Abs": {"type": "aws:cloudformation:stack", "properties": {"templateFile": str(tmp_path / "outside.template.json")}},
        "Up": {"type": "cdk:cloud-assembly", "properties": {"directoryName": ".."}},
        "Self": {"type": "cdk:cloud-assembly", "properties": {"directoryName": "."}},
    })
    units, _ = discover([str(out)], FORMATS)
    assert units == []


def test_a_stack_whose_template_is_missing_is_a_located_error(tmp_path):
    out = _assembly(tmp_path / "cdk.out", {})
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["artifacts"]["Gone"] = {"type": "aws:cloudformation:stack", "properties": {"templateFile": "Gone.template.json"}}
    (out / "manifest.json").write_text(json.dumps(manifest))
    report = _run([tmp_path])
    assert [os.path.basename(e.path) for e in report.errors] == ["Gone.template.json"]
    assert "No such file" in report.errors[0].message


def test_a_warm_cache_keeps_the_construct_paths(tmp_path, monkeypatch):
    monkeypatch.setenv("IAMLINT_CACHE_DIR", str(tmp_path / "cache"))
    cold = _where(_run([FIXTURES / "bad"], cache=True))
    warm = _where(_run([FIXTURES / "bad"], cache=True))
    assert warm == cold and all(entry[4] for entry in warm)


def test_no_fix_is_proposed_on_a_synthesised_template(tmp_path):
    """cdk synth rewrites cdk.out: the fix belongs in the CDK code the construct path names
    (the same instance in a plain template gets the editor fix)."""
    report = _run([BAD])
    assert [(f.rule, f.fix) for f in report.findings if f.rule == "EC2001"] == [("EC2001", None), ("EC2001", None)]
    shutil.copy(BAD / "App.template.json", tmp_path / "App.template.json")
    plain = [f for f in _run([tmp_path]).findings if f.rule == "EC2001"]
    assert len(plain) == 1 and plain[0].fix is not None
