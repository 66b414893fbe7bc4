"""The input format registry (iamlint.formats): who claims which file, ordering and
validation, formats that shadow others' files or own a whole tree, per-file syntaxes,
the parser-layer facts (comments and construct ranges) suppressions read, edit
conventions, the unit cache key, and the post-suppression stage of rules."""

from __future__ import annotations

import dataclasses
import json
import os
import textwrap
from pathlib import Path

import pytest

from iamlint.discovery import discover
from iamlint.engine import Options, run
from iamlint.formats import (
    HCL,
    JSON,
    YAML,
    DirectoryFormat,
    FileFormat,
    FolderClaim,
    FormatError,
    FormatRegistry,
    Unit,
    UnitResult,
    load_formats,
)
from iamlint.model.graph import Graph
from iamlint.parsers.indented import scan_yaml
from iamlint.parsers.terraform.facts import scan_hcl
from iamlint.plugin import Finding, Rule, Severity
from iamlint.registry import _validate, load_plugins

FORMATS = load_formats()
PLAN = json.dumps({"format_version": "1.2", "planned_values": {}})
TEMPLATE = json.dumps({"AWSTemplateFormatVersion": "2010-09-09", "Resources": {}})


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")


def _units(units: list[Unit], root: Path) -> list[tuple[str, str, list[str]]]:
    return [(u.format.name, os.path.relpath(u.root, root), [os.path.basename(d) for _, d in u.files]) for u in units]


# -- the built-in formats ---------------------------------------------------------------


def test_the_built_in_formats_are_registered_through_entry_points():
    names = [fmt.name for fmt in FORMATS]
    assert sorted(names) == ["aws-account", "cdk-assembly", "cloudformation-json", "cloudformation-yaml", "opentofu",
                             "terraform", "terraform-plan", "terragrunt"]
    assert names.index("terraform-plan") < names.index("cloudformation-json")  # its 'before'
    assert names.index("aws-account") < names.index("terraform-plan")  # its 'before'
    assert names.index("terragrunt") < names.index("opentofu") < names.index("terraform")
    assert names.index("cdk-assembly") < min(names.index("terraform-plan"), names.index("aws-account"))  # its whole tree first
    assert not FORMATS.errors


def test_each_file_goes_to_the_format_that_claims_it(tmp_path):
    _write(tmp_path, {
        "m/main.tf": "", "m/extra.tf.json": "{}", "m/prod.tfvars": "", "m/prod.tfvars.json": "{}",
        "m/UPPER.TF.JSON": "{}", "t/a.yaml": "x: 1\n", "t/b.yml": "", "t/c.template": "", "t/d.cfn.txt": "",
        "t/plan.json": PLAN, "t/stack.json": TEMPLATE, "t/notes.md": "",
    })
    units, _ = discover([str(tmp_path)], FORMATS)
    assert _units(units, tmp_path) == [
        ("terraform", "m", ["extra.tf.json", "main.tf"]),
        ("cloudformation-yaml", "t/a.yaml", ["a.yaml"]),
        ("cloudformation-yaml", "t/b.yml", ["b.yml"]),
        ("cloudformation-yaml", "t/c.template", ["c.template"]),
        ("cloudformation-yaml", "t/d.cfn.txt", ["d.cfn.txt"]),
        ("terraform-plan", "t/plan.json", ["plan.json"]),
        ("cloudformation-json", "t/stack.json", ["stack.json"]),
    ]
    assert [u.kind for u in units] == ["terraform"] + ["cloudformation"] * 4 + ["plan", "cloudformation"]


def test_a_file_named_alone_brings_its_folder_unit(tmp_path):
    _write(tmp_path, {"m/a.tf": "", "m/b.tf": "", "m/prod.tfvars": ""})
    units, _ = discover([str(tmp_path / "m" / "prod.tfvars"), str(tmp_path / "m" / "a.tf")], FORMATS)
    [unit] = units
    assert [os.path.basename(d) for _, d in unit.files] == ["a.tf", "b.tf"]
    assert unit.only == {os.path.normpath(tmp_path / "m" / "prod.tfvars"), os.path.normpath(tmp_path / "m" / "a.tf")}
    units, _ = discover([str(tmp_path / "m" / "a.tf"), str(tmp_path / "m")], FORMATS)
    assert units[0].only is None  # the folder itself was given: everything is reported


def test_syntax_of_any_file_by_its_name():
    assert [FORMATS.syntax_for(p) for p in ("a.tf", "b.TFVARS", "c.hcl", "d.tofu")] == [HCL] * 4
    assert [FORMATS.syntax_for(p) for p in ("a.yaml", "b.yml", "c.template")] == [YAML] * 3
    assert [FORMATS.syntax_for(p) for p in ("a.json", "b.tf.json", "c.tfvars.json")] == [JSON] * 3
    assert FORMATS.syntax_for("policy.tpl") is None and not JSON.has_comments


# -- the protocol expresses the formats to come -------------------------------------------


class ShadowingFormat(DirectoryFormat):
    """Like OpenTofu: x.tofu replaces x.tf of the same folder; one unit of both."""

    __slots__ = ()
    name = "shadowing"
    kind = "terraform"
    before = ("terraform",)

    def unit_file(self, name: str) -> bool:
        return name.endswith((".tf", ".tofu"))

    def claim(self, folder, names):
        if not any(name.endswith(".tofu") for name in names):
            return FolderClaim()
        tofu = {name[: -len(".tofu")] for name in names if name.endswith(".tofu")}
        files = [n for n in names if n.endswith(".tofu") or (n.endswith(".tf") and n[: -len(".tf")] not in tofu)]
        unit = Unit(self.kind, folder, [(os.path.join(folder, n),) * 2 for n in files], format=self)
        return FolderClaim((unit,), frozenset(n for n in names if self.unit_file(n)))


class AssemblyFormat(FileFormat):
    """Like a CDK cloud assembly: a folder with a manifest is one unit, nothing below it."""

    __slots__ = ()
    name = "assembly"
    kind = "assembly"
    before = ("cloudformation-json", "terraform-plan")

    def claims(self, name: str) -> bool:
        return name == "manifest.json"

    def claim(self, folder, names):
        if "manifest.json" not in names:
            return FolderClaim()
        unit = Unit(self.kind, folder, [(os.path.join(folder, n),) * 2 for n in names], format=self)
        return FolderClaim((unit,), frozenset(names), prune=True)


def test_a_format_can_shadow_another_formats_files(tmp_path):
    _write(tmp_path, {"a/main.tf": "", "a/main.tofu": "", "a/iam.tf": "", "b/main.tf": ""})
    formats = FormatRegistry([*(f for f in FORMATS if f.name != "opentofu"), ShadowingFormat()])  # the built-in does it too
    units, _ = discover([str(tmp_path)], formats)
    assert _units(units, tmp_path) == [("shadowing", "a", ["iam.tf", "main.tofu"]), ("terraform", "b", ["main.tf"])]


def test_a_format_can_own_a_whole_tree(tmp_path):
    _write(tmp_path, {"cdk.out/manifest.json": "{}", "cdk.out/Stack.template.json": TEMPLATE,
                      "cdk.out/asset.1/inner.yaml": "Resources: {}\n", "other/stack.json": TEMPLATE})
    formats = FormatRegistry([*FORMATS, AssemblyFormat()])
    assert [f.name for f in formats].index("assembly") < [f.name for f in formats].index("cloudformation-json")
    units, _ = discover([str(tmp_path)], formats)
    assert _units(units, tmp_path) == [
        ("assembly", "cdk.out", ["Stack.template.json", "manifest.json"]),
        ("cloudformation-json", "other/stack.json", ["stack.json"]),
    ]


def test_invalid_formats_and_impossible_orders_are_refused():
    with pytest.raises(FormatError, match="not an input format"):
        FormatRegistry([object()])  # type: ignore[list-item]

    class Bad(AssemblyFormat):
        __slots__ = ()
        name = "Not Kebab"

    with pytest.raises(FormatError, match="invalid name"):
        FormatRegistry([Bad()])

    class First(AssemblyFormat):
        __slots__ = ()
        name = "first"
        before = ("second",)

    class Second(AssemblyFormat):
        __slots__ = ()
        name = "second"
        before = ("first",)

    with pytest.raises(FormatError, match="cycle"):
        FormatRegistry([First(), Second()])


def test_editors_find_the_unit_of_an_open_file(tmp_path):
    from iamlint.lsp.server import targets, unit_of

    _write(tmp_path, {"m/main.tf": "", "m/prod.tfvars": "", "m/README.md": "", "m/sub/x.tf": ""})
    real = os.path.realpath(tmp_path / "m")
    assert unit_of(str(tmp_path / "m" / "prod.tfvars"), FORMATS) == ("terraform", real)
    assert [os.path.basename(p) for p in targets("terraform", real, FORMATS)] == ["main.tf", "prod.tfvars"]


# -- parser-layer facts -------------------------------------------------------------------


def test_hcl_facts_know_strings_heredocs_and_block_comments():
    text = textwrap.dedent('''\
        # a comment
        resource "aws_iam_role_policy" "p" {
          name   = "not # a comment, { not a brace" // a comment
          url    = "http://example.com/${"}"}" # after an interpolation
          policy = <<EOF
        # not a comment: heredoc text {
        EOF
          /* a block comment { */
        }
        module "app" {
          source = "./app"
        }
        ''')
    facts = scan_hcl(text, "main.tf")
    assert [(c.line, c.column, c.text, c.own_line) for c in facts.comments] == [
        (1, 1, "# a comment", True),
        (3, 45, "// a comment", False),
        (4, 40, "# after an interpolation", False),
        (8, 3, "/* a block comment { */", True),
    ]
    assert facts.end_of(2) == 9 and facts.end_of(5) == 7 and facts.end_of(10) == 12
    assert facts.end_of(1) == 0 and facts.end_of(6) == 0 and facts.next_construct(1) == 2
    assert facts.names == ((2, "aws_iam_role_policy.p"), (10, "module.app"))


def test_yaml_facts_know_quotes_and_block_scalars():
    text = textwrap.dedent('''\
        Resources:
          # iamlint:ignore EC2001 -- build box
          Build:
            Type: AWS::EC2::Instance # trailing
            Properties:
              Tag: "a # in quotes"
              Other: it's # a comment after an apostrophe
              Multi: 'two
                lines # still quoted'
              UserData: |
                # script text, not a comment
              After: x
        ''')
    facts = scan_yaml(text, "t.yaml")
    assert [(c.line, c.text) for c in facts.comments] == [
        (2, "# iamlint:ignore EC2001 -- build box"), (4, "# trailing"), (7, "# a comment after an apostrophe")]
    assert facts.end_of(3) == 12 and facts.end_of(10) == 10 and facts.end_of(2) == 0


def test_edit_conventions_of_each_syntax():
    assert HCL.edits.newline("a\r\nb\r\n") == "\r\n" and YAML.edits.newline("a\nb") == "\n"
    assert HCL.edits.comment_above('    ami = "x"', "iamlint:ignore EC2001 -- r") == "    # iamlint:ignore EC2001 -- r\n"
    assert JSON.edits.comment_above("  {", "x") is None


# -- the unit cache key -------------------------------------------------------------------


def test_options_name_what_their_cache_key_holds():
    base = Options().cache_key()
    for change in ({"select": {"EC2001"}}, {"ignore": {"IAM002"}}, {"jobs": 4}, {"cache": False},
                   {"severity": {"EC2001": Severity.NOTE}}):
        assert Options(**change).cache_key() == base, change
    for change in ({"partition": "aws-cn"}, {"variables": {"a": "1"}}, {"var_files": ["x.tfvars"]},
                   {"var_order": [("var", "a=1")]}):
        assert Options(**change).cache_key() != base, change


# -- the post-suppression stage -------------------------------------------------------------


def _stage_check(suppressions, context):
    for item in suppressions:
        if item.reason and "TODO" in item.reason:
            yield Finding(item, (), f"suppression of {', '.join(item.keys)} has a TODO reason")


STAGE_RULE = Rule("ZZS001", "todo-suppression", "a suppression whose reason is a TODO", Severity.NOTE, _stage_check,
                  doc="doc", stage="suppressions")


def test_a_plugin_rule_of_the_suppressions_stage_sees_every_suppression(tmp_path):
    _write(tmp_path, {"main.tf": '# iamlint:ignore EC2001 -- TODO\nresource "aws_instance" "x" {\n  ami = "a"\n}\n'})
    registry = load_plugins()
    registry = dataclasses.replace(registry, rules=[*registry.rules, STAGE_RULE])
    report = run([str(tmp_path)], Options(cache=False, jobs=1, select={"EC2001", "ZZS001"}), registry)
    assert [(f.rule, f.line, f.column, f.end_column) for f in report.findings] == [("ZZS001", 1, 1, 32)]
    assert [s.finding.rule for s in report.suppressed] == ["EC2001"]


def test_rules_of_an_unknown_stage_are_refused():
    assert "unknown stage" in _validate(dataclasses.replace(STAGE_RULE, stage="later"), "ZZS001")
    assert _validate(STAGE_RULE, "ZZS001") is None


def test_a_graph_rule_is_never_given_the_suppressions(tmp_path):
    seen = []
    rule = Rule("ZZG001", "graph-rule", "x", Severity.NOTE, lambda graph, ctx: seen.append(graph) or [], doc="d")
    _write(tmp_path, {"main.tf": 'resource "aws_instance" "x" {\n  ami = "a"\n}\n'})
    run([str(tmp_path)], Options(cache=False, jobs=1), dataclasses.replace(load_plugins(), rules=[rule]))
    assert len(seen) == 1 and isinstance(seen[0], Graph)


def test_a_format_may_return_no_unit_result(tmp_path):
    class Nothing(FileFormat):
        __slots__ = ()
        name = "nothing"
        kind = "nothing"

        def claims(self, name: str) -> bool:
            return name.endswith(".nothing")

        def load(self, unit: Unit, options) -> UnitResult | None:
            return None

    _write(tmp_path, {"a.nothing": ""})
    formats = FormatRegistry([*FORMATS, Nothing()])
    report = run([str(tmp_path)], Options(cache=False, jobs=1), dataclasses.replace(load_plugins(), formats=formats))
    assert report.files == 0
    # never a silent green: the file is counted as skipped, and the folder checked nothing
    assert [(os.path.basename(e.path), e.message) for e in report.skipped] == [("a.nothing", "skipped: its content is not a nothing")]
    assert [e.message.split(";")[0] for e in report.errors] == [f"no Terraform, OpenTofu or CloudFormation files found under {tmp_path}"]


def test_only_real_comments_suppress():
    from iamlint.suppressions import comment_suppressions

    hcl = textwrap.dedent('''\
        resource "aws_instance" "x" {
          user_data = <<EOF
        # iamlint:ignore SEC001 -- shell text inside a heredoc
        EOF
          tags = { note = "# iamlint:ignore EC2001 -- inside a string" }
        }
        ''')
    assert comment_suppressions("main.tf", hcl) == []
    yaml = textwrap.dedent('''\
        Resources:
          X:
            Properties:
              UserData: |
                # iamlint:ignore SEC001 -- a script line
              Description: "# iamlint:ignore EC2001 -- quoted"
        ''')
    assert comment_suppressions("t.yaml", yaml) == []
    assert [s.line for s in comment_suppressions("t.yaml", "# iamlint:ignore EC2001 -- r\nA: 1\n")] == [1]
