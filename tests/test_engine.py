"""Engine, discovery, registry and locator: the plumbing between layers."""

from __future__ import annotations

import json
import os
from pathlib import Path

from click.testing import CliRunner

import iamlint.plugin
from iamlint.cli import main
from iamlint.discovery import discover
from iamlint.engine import Options, run
from iamlint.locate import locate
from iamlint.model.findings import Finding, Rule, Severity
from iamlint.model.graph import Compute
from iamlint.model.span import Span
from iamlint.model.values import Known
from iamlint.registry import Registry

INSTANCE = 'resource "aws_instance" "bare" {\n  ami = "ami-1"\n}\n'


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_discovery_groups_modules_and_skips_hidden_and_vendored(tmp_path):
    _write(tmp_path, {
        "a/main.tf": INSTANCE, "a/iam.tf": "", "b/main.tf": INSTANCE,
        ".hidden/main.tf": INSTANCE, "a/.terraform/modules/x/main.tf": INSTANCE,
        "node_modules/x/main.tf": INSTANCE, "t/template.yaml": "x: 1\n", "t/notes.md": "",
    })
    units, missing = discover([str(tmp_path), str(tmp_path / "nope")])
    kinds = [(u.kind, os.path.relpath(u.root, tmp_path)) for u in units]
    assert kinds == [("terraform", "a"), ("terraform", "b"), ("cloudformation", "t/template.yaml")]
    assert [os.path.basename(d) for _, d in units[0].files] == ["iam.tf", "main.tf"]
    assert missing == [str(tmp_path / "nope")]


def test_single_file_loads_module_but_reports_only_that_file(tmp_path):
    _write(tmp_path, {"m/a.tf": INSTANCE, "m/b.tf": INSTANCE.replace("bare", "other")})
    report = run([str(tmp_path / "m" / "a.tf")], Options(select={"EC2001"}))
    assert (report.files, report.loaded) == (1, 1)  # the file given, and the rest of its module
    assert {f.resource for f in report.findings} == {"aws_instance.bare"}


def test_paths_are_shown_as_found_under_the_argument(tmp_path, monkeypatch):
    _write(tmp_path, {"infra/main.tf": INSTANCE})
    monkeypatch.chdir(tmp_path)
    report = run(["infra"], Options(select={"EC2001"}))
    assert [f.path for f in report.findings] == [os.path.join("infra", "main.tf")]


def _rule(check) -> Rule:
    return Rule("TST001", "test-rule", "a test rule", Severity.WARNING, check)


def test_a_rule_that_raises_becomes_one_error_and_others_still_run(tmp_path):
    _write(tmp_path, {"main.tf": INSTANCE})

    def broken(graph, ctx):
        raise RuntimeError("boom")

    def works(graph, ctx):
        for node in graph.of_type(iamlint.plugin.Compute):
            yield Finding(node, (), "found")

    registry = Registry([_rule(broken), Rule("TST002", "works", "ok", Severity.NOTE, works)])
    report = run([str(tmp_path)], Options(), registry)
    assert [f.rule for f in report.findings] == ["TST002"]
    assert len(report.errors) == 1 and "TST001" in report.errors[0].message and "boom" in report.errors[0].message


def test_locator_walks_fields_indices_and_keys():
    span = Span("f.tf", 1, 1, 9, 2)
    inner = Span("f.tf", 4, 7, 4, 12)
    node = Compute("aws_instance.x", "aws_instance", span, {"tags": Known({"Name": Known("x", inner)}, span)},
                   profile=Known(None, Span("f.tf", 2, 3, 2, 20)))
    assert locate(node, ("profile",)).line == 2
    assert locate(node, ("attributes", "tags", "Name")) == inner
    assert locate(node, ("attributes", "missing", 3)) == span  # a path that does not exist stops at the node


def test_cli_exit_codes_and_json_contract(tmp_path):
    _write(tmp_path, {"ok/main.tf": "", "bad/main.tf": INSTANCE, "broken/main.tf": "resource {\n"})
    runner = CliRunner()
    assert runner.invoke(main, ["check", str(tmp_path / "ok")]).exit_code == 0
    findings = runner.invoke(main, ["check", "--format", "json", str(tmp_path / "bad")])
    assert findings.exit_code == 1
    document = json.loads(findings.output)
    assert set(document) == {"version", "findings", "errors", "summary"}
    assert set(document["findings"][0]) == {"rule", "name", "severity", "message", "path", "line", "column",
                                            "end_line", "end_column", "resource", "related", "fix"}
    assert document["findings"][0]["rule"] == "EC2001"
    # EC2001's fix (a new profile and role) is offered, marked editor-only
    assert set(document["findings"][0]["fix"]) == {"applicability", "message", "edits"}
    assert document["findings"][0]["fix"]["applicability"] == "editor"
    # a missing attribute: located at the block's header line, the block kept as related
    finding = document["findings"][0]
    assert (finding["line"], finding["column"], finding["end_line"], finding["end_column"]) == (1, 1, 1, 31)
    assert finding["related"] == [{"label": "resource", "resource": "aws_instance.bare", "path": finding["path"],
                                   "line": 1, "column": 1}]
    assert runner.invoke(main, ["check", str(tmp_path / "broken")]).exit_code == 2
    assert runner.invoke(main, ["check", "--fail-on", "nonsense", str(tmp_path)]).exit_code == 2
    # errors are reported after everything else, and findings still appear
    mixed = runner.invoke(main, ["check", str(tmp_path)])
    assert mixed.exit_code == 2 and "EC2001" in mixed.output and "broken" in mixed.output


def test_colour_follows_no_color_and_force_color():
    from iamlint.commands.check import use_color

    class Tty:
        def isatty(self):
            return True

    assert use_color("auto", Tty()) in (True, False)
    assert use_color("never", Tty()) is False
    assert use_color("always", object()) is True
    env = os.environ.copy()
    try:
        os.environ.pop("FORCE_COLOR", None)
        os.environ["NO_COLOR"] = "1"
        assert use_color("auto", Tty()) is False
        del os.environ["NO_COLOR"]
        os.environ["FORCE_COLOR"] = "1"
        assert use_color("auto", object()) is True
    finally:
        os.environ.clear()
        os.environ.update(env)


def test_public_api_is_exactly_all():
    public = sorted(name for name in dir(iamlint.plugin) if not name.startswith("_") and name != "annotations")
    assert sorted(iamlint.plugin.__all__) == public
    assert iamlint.plugin.__all__ == sorted(iamlint.plugin.__all__)


def test_a_module_called_from_two_roots_counts_its_files_once(tmp_path):
    _write(tmp_path, {
        "modules/web/main.tf": INSTANCE,
        "a/main.tf": 'module "web" {\n  source = "../modules/web"\n}\n',
        "b/main.tf": 'module "web" {\n  source = "../modules/web"\n}\n',
    })
    report = run([str(tmp_path / "a"), str(tmp_path / "b"), str(tmp_path / "modules")], Options(select={"EC2001"}))
    assert report.files == 3
    # the same finding reached from two roots (same place, address and message) is reported once
    assert sorted(f.resource for f in report.findings) == ["aws_instance.bare", "module.web.aws_instance.bare"]
