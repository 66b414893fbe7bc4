"""CloudFormation template parsing: spans, short-form tags, duplicates, encodings, aliases."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from iamlint.model.values import Known, SourceText, to_python
from iamlint.normalize.cloudformation import load_template, load_text
from iamlint.parsers.cloudformation import TemplateSyntaxError, is_template, looks_like_template, parse
from iamlint.parsers.cloudformation import yamlspans

TAGS = """\
Resources:
  Thing:
    Type: AWS::S3::Bucket
    Properties:
      A: !Ref Param
      B: !GetAtt Role.Arn
      C: !GetAtt [Role, Arn]
      D: !GetAtt Stack.Outputs.Name
      E: !Sub "arn:${AWS::Partition}:s3:::${Bucket}"
      F: !Sub ["${X}-y", {X: !Ref Param}]
      G: !Join ["-", [a, !Ref Param]]
      H: !If [Cond, yes-value, !Ref "AWS::NoValue"]
      I: !Select [0, !GetAZs ""]
      J: !Split [",", "a,b"]
      K: !FindInMap [Map, !Ref "AWS::Region", Key]
      L: !ImportValue exported
      M: !Base64 text
      N: !Cidr [10.0.0.0/16, 4, 8]
      O: !Condition Cond
      P: !Equals [a, b]
      Q: !And [!Condition A, !Or [!Condition B, !Not [!Condition C]]]
      R: !Transform {Name: AWS::Include, Parameters: {Location: s3://b/k}}
      S: !GetAZs
      T: [1, 2.5, true, null, "0755"]
"""


def value_at(tree: Known, *path: object) -> Known:
    for step in path:
        tree = tree.value[step]
    return tree


def test_short_form_tags_follow_cfn_flip_semantics():
    from cfn_tools import load_yaml

    expected = json.loads(json.dumps(load_yaml(TAGS)))
    assert to_python(parse(TAGS, "t.yaml")) == expected


def test_pure_python_fallback_gives_the_same_tree():
    fast = yamlspans.load(TAGS, "t.yaml")
    slow = yamlspans.load(TAGS, "t.yaml", yamlspans.PureCfnLoader)
    assert fast == slow


def test_every_value_keeps_a_one_based_span():
    tree = parse(TAGS, "t.yaml")
    ref = value_at(tree, "Resources", "Thing", "Properties", "A")
    assert (ref.span.file, ref.span.line, ref.span.column) == ("t.yaml", 5, 10)
    assert (ref.span.end_line, ref.span.end_column) == (5, 20)
    item = value_at(tree, "Resources", "Thing", "Properties", "T")
    assert [(v.span.line, v.span.column) for v in item.value] == [(24, 11), (24, 14), (24, 19), (24, 25), (24, 31)]
    assert to_python(item) == [1, 2.5, True, None, "0755"]


def test_dates_stay_text():
    tree = parse('AWSTemplateFormatVersion: 2010-09-09\nResources: {}\n', "t.yaml")
    assert value_at(tree, "AWSTemplateFormatVersion").value == "2010-09-09"


@pytest.mark.parametrize(
    "text, line",
    [
        ("Resources:\n  A:\n    Type: X\n  A:\n    Type: Y\n", 4),
        ("Resources:\n  A:\n    Type: X\n    Type: Y\n", 4),
        ('{\n  "Resources": {\n    "A": {"Type": "X"},\n    "A": {"Type": "Y"}\n  }\n}\n', 4),
    ],
)
def test_duplicate_keys_are_an_error_at_the_second_key(text: str, line: int):
    with pytest.raises(TemplateSyntaxError) as caught:
        parse(text, "t")
    assert caught.value.line == line
    assert "duplicate key 'A'" in caught.value.message or "duplicate key 'Type'" in caught.value.message


@pytest.mark.parametrize("json_text", [False, True])
def test_bom_and_crlf_keep_lines_and_columns(json_text: bool):
    if json_text:
        text = '\ufeff{\r\n  "Resources": {\r\n    "R": {"Type": "AWS::S3::Bucket"}\r\n  }\r\n}\r\n'
        expected = (3, 5)
    else:
        text = "\ufeffResources:\r\n  R:\r\n    Type: AWS::S3::Bucket\r\n"
        expected = (3, 11)
    tree = parse(text, "t")
    kind = value_at(tree, "Resources", "R", "Type")
    assert kind.value == "AWS::S3::Bucket"
    found = (kind.span.line, kind.span.column)
    assert found == expected if not json_text else found[0] == expected[0]


def test_whole_document_indentation():
    text = "    AWSTemplateFormatVersion: '2010-09-09'\n    Resources:\n      R:\n        Type: AWS::S3::Bucket\n"
    tree = parse(text, "t")
    assert value_at(tree, "Resources", "R", "Type").span.line == 4
    assert value_at(tree, "Resources", "R", "Type").span.column == 15


def test_anchors_aliases_and_merge_keys():
    text = (
        "Resources:\n"
        "  A:\n    Type: AWS::S3::Bucket\n    Properties: &props\n      Tags: [{Key: a, Value: b}]\n"
        "  B:\n    Type: AWS::S3::Bucket\n    Properties: *props\n"
        "  C:\n    Type: AWS::S3::Bucket\n    Properties:\n      <<: *props\n      Extra: 1\n"
    )
    tree = parse(text, "t")
    a, b, c = (value_at(tree, "Resources", name, "Properties") for name in "ABC")
    assert to_python(a) == to_python(b)
    assert to_python(c) == {"Tags": [{"Key": "a", "Value": "b"}], "Extra": 1}


def test_alias_bomb_is_refused_quickly():
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for level in range(1, 12):
        refs = ", ".join([f"*a{level - 1}"] * 10)
        lines.append(f"a{level}: &a{level} [{refs}]")
    text = "Resources: {}\n" + "\n".join(lines) + "\n"
    start = time.perf_counter()
    with pytest.raises(TemplateSyntaxError) as caught:
        parse(text, "bomb.yaml")
    assert time.perf_counter() - start < 1.0
    assert "alias" in caught.value.message and caught.value.line > 1


def test_recursive_alias_is_refused():
    with pytest.raises(TemplateSyntaxError) as caught:
        parse("Resources: &r [*r]\n", "t.yaml")
    assert "recursive" in caught.value.message


@pytest.mark.parametrize(
    "text",
    [
        "Resources: !!python/object/apply:os.system [echo hacked]\n",
        "Resources: !!binary aGVsbG8=\n",
    ],
)
def test_no_python_object_is_ever_built(text: str):
    with pytest.raises(TemplateSyntaxError) as caught:
        parse(text, "t.yaml")
    assert "unsupported YAML tag" in caught.value.message


def test_deep_nesting_is_an_error_not_a_crash():
    for text in ("Resources: " + "[" * 5000 + "]" * 5000, "Resources: " + "[" * 600 + "]" * 600):
        with pytest.raises(TemplateSyntaxError):
            parse(text, "t.yaml")


def test_yaml_errors_are_located():
    with pytest.raises(TemplateSyntaxError) as caught:
        parse("Resources:\n  A:\n    Type: [unclosed\n  B: 1\n", "t.yaml")
    assert caught.value.line >= 3 and caught.value.column >= 1


def test_a_key_missing_its_colon_is_reported_on_its_own_line():
    with pytest.raises(TemplateSyntaxError) as caught:
        parse("Resources:\n  A: 1\n  B:typo\n  C: 2\n", "t.yaml")
    assert (caught.value.line, caught.value.column) == (3, 3)


def test_json_spans():
    text = '{\n  "Resources": {\n    "R": {\n      "Type": "AWS::IAM::Role",\n      "Properties": {"RoleName": "web"}\n    }\n  }\n}\n'
    name = value_at(parse(text, "t.json"), "Resources", "R", "Properties", "RoleName")
    assert (name.value, name.span.line, name.span.column, name.span.end_column) == ("web", 5, 34, 39)


def test_yaml_flow_style_templates_starting_with_a_brace():
    tree = parse("{Resources: {R: {Type: !Sub 'AWS::S3::Bucket'}}}\n", "t.yaml")
    assert to_python(tree) == {"Resources": {"R": {"Type": {"Fn::Sub": "AWS::S3::Bucket"}}}}
    with pytest.raises(TemplateSyntaxError) as caught:
        parse('{"Resources": {"R": {"Type": "X"}}', "t.json")
    assert caught.value.message.startswith("invalid JSON")


def test_literal_blocks_know_where_their_text_starts():
    text = "Resources:\n  R:\n    Type: X\n    Properties:\n      Doc: |\n        {\"a\": 1}\n"
    doc = value_at(parse(text, "t.yaml"), "Resources", "R", "Properties", "Doc")
    assert isinstance(doc, SourceText)
    assert (doc.line, doc.column, doc.indent) == (6, 9, 8)


NOT_TEMPLATES = {
    "deployment.yaml": "apiVersion: apps/v1\nkind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n        - resources:\n            limits: {cpu: 1}\n",
    "package.json": '{"name": "x", "version": "1.0.0", "dependencies": {}}',
    "serverless.yml": "service: api\nprovider:\n  name: aws\nresources:\n  Resources:\n    Table:\n      Type: AWS::DynamoDB::Table\n",
    "workflow.yml": "on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo hi\n",
    "params.json": '[{"ParameterKey": "Resources", "ParameterValue": "x"}]',
    "broken-workflow.yml": "on: push\njobs: [unclosed\n",
    "broken-serverless.yml": "service: api\nresources:\n  Resources: [\n",
    "empty.yaml": "",
    "multi.yaml": "kind: A\nspec:\n  Resources: 1\n---\nkind: B\n",
}


@pytest.mark.parametrize("name", sorted(NOT_TEMPLATES))
def test_other_files_are_skipped_silently(name: str):
    assert load_text(NOT_TEMPLATES[name], name) is None


def test_templates_are_detected_by_content():
    assert is_template(parse("Resources:\n  R:\n    Type: AWS::S3::Bucket\n", "t"))
    assert is_template(parse("AWSTemplateFormatVersion: '2010-09-09'\n", "t"))
    assert not is_template(parse("Resources:\n  R:\n    Name: x\n", "t"))
    assert not looks_like_template("kind: Pod\nmetadata: {}\n")


def test_invalid_template_gives_a_located_error_and_an_empty_graph(tmp_path):
    path = tmp_path / "broken.template"
    path.write_text("AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  R:\n    Type: [x\n")
    result = load_template(str(path), "broken.template")
    assert result is not None and result.graph.nodes == [] and result.files == ["broken.template"]
    [error] = result.errors
    assert error.path == "broken.template" and error.line >= 4


def test_template_with_two_documents_is_an_error():
    result = load_text("Resources:\n  R:\n    Type: AWS::S3::Bucket\n---\nResources: {}\n", "two.yaml")
    assert result is not None and [e.line for e in result.errors] == [4]


def test_invalid_utf8_template_is_an_error(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"Resources:\n  R:\n    Type: AWS::S3::Bucket\n    Description: caf\xe9\n")
    result = load_template(str(path), "latin1.yaml")
    assert result is not None and [e.line for e in result.errors] == [4]


def test_importing_the_loader_does_not_import_hcl():
    code = (
        "import sys, iamlint.normalize.cloudformation\n"
        "bad = [m for m in ('hcl2', 'lark', 'cfn_flip', 'cfn_tools') if m in sys.modules]\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
