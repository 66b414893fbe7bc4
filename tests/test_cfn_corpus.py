"""The real-world corpus (../shared/corpus): every CloudFormation/SAM file loads without a
crash, other YAML is skipped silently, and the YAML/JSON twins of
aws-cloudformation-templates give the same findings."""

from __future__ import annotations

import collections
import os
import time
from pathlib import Path

import pytest

from iamlint.model.values import to_python
from iamlint.normalize.cloudformation import load_template
from iamlint.parsers.cloudformation import parse

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus"
FORMATS = ("cloudformation-yaml", "cloudformation-json", "sam", "other-yaml")
UNPARSABLE = {  # path -> the line of the mistake (a key missing its ':'; text after a quoted scalar)
    "aws-samples__serverless-patterns/apigw-custom-domain-edge/template.yaml": 34,
    "aws-samples__serverless-patterns/rds-sns-event-notification/template.yaml": 3,
}
TWINS_REPO = "aws-cloudformation__aws-cloudformation-templates/"

pytestmark = pytest.mark.skipif(not (CORPUS / "INDEX.tsv").is_file(), reason=f"corpus not found at {CORPUS}")


def _index() -> list[tuple[str, str]]:
    with open(CORPUS / "INDEX.tsv", encoding="utf-8") as handle:
        rows = [line.rstrip("\n").split("\t") for line in handle][1:]
    return [(row[0], row[1]) for row in rows if row[1] in FORMATS]


def test_every_template_loads_and_other_yaml_is_skipped():
    start = time.perf_counter()
    outcome: dict[str, list[str]] = collections.defaultdict(list)
    for path, kind in _index():
        result = load_template(str(CORPUS / path), path)
        if result is None:
            outcome["skipped:" + kind].append(path)
        elif result.errors:
            [error] = result.errors
            assert error.path == path and error.line >= 1 and error.message
            assert result.graph.nodes == []
            outcome["error"].append(path)
            if path in UNPARSABLE:
                assert error.line == UNPARSABLE[path], error
            else:  # valid YAML that CloudFormation rejects
                assert error.message.startswith("duplicate key"), (path, error)
        else:
            outcome["graph"].append(path)
    elapsed = time.perf_counter() - start
    assert not outcome["skipped:cloudformation-yaml"] + outcome["skipped:cloudformation-json"] + outcome["skipped:sam"]
    assert len(outcome["skipped:other-yaml"]) == sum(1 for _, kind in _index() if kind == "other-yaml")
    assert set(UNPARSABLE) <= set(outcome["error"])
    assert len(outcome["graph"]) > 1600
    assert elapsed < 30, f"loading the corpus took {elapsed:.1f} s"


def _twins() -> list[tuple[str, str]]:
    stems: dict[str, list[str]] = collections.defaultdict(list)
    for path, _ in _index():
        if path.startswith(TWINS_REPO):
            stems[os.path.splitext(path)[0]].append(path)
    pairs = [tuple(sorted(paths, key=lambda p: not p.endswith(".json"))) for paths in stems.values() if len(paths) == 2]
    return sorted(pairs)  # type: ignore[arg-type]


def _resource_types(path: str) -> dict[str, str]:
    tree = to_python(parse((CORPUS / path).read_text(encoding="utf-8-sig"), path))
    resources = tree.get("Resources", {})
    return {name: str(body.get("Type")) if isinstance(body, dict) else "?" for name, body in resources.items()}


def test_yaml_and_json_twins_give_the_same_findings():
    from iamlint.engine import Options, run

    pairs = _twins()
    assert len(pairs) == 138
    differing: list[str] = []
    for json_path, yaml_path in pairs:
        found = []
        for path in (json_path, yaml_path):
            report = run([str(CORPUS / path)], Options())
            assert report.errors == [], path
            found.append({(f.rule, f.resource) for f in report.findings})
        shared = set(_resource_types(json_path).items()) & set(_resource_types(yaml_path).items())
        if len(shared) != len(_resource_types(json_path)) or len(shared) != len(_resource_types(yaml_path)):
            # the twins declare different resources (e.g. a launch configuration in the
            # JSON, a launch template in the YAML): compare the resources they share
            differing.append(json_path)
            names = {name for name, _ in shared}
            found = [{f for f in side if f[1] in names} for side in found]
        assert found[0] == found[1], (json_path, found[0] ^ found[1])
    assert len(pairs) - len(differing) >= 120, differing  # most twins declare the very same resources
