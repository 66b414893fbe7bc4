"""Lazy imports (issue 7, item 5): a run imports only what its inputs need.

Each case runs ``iamlint check`` in a fresh interpreter and looks at ``sys.modules``
and at what the IAM knowledge package has read (``iamlint.knowledge.loads()``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

SCRIPT = r"""
import json, sys
from click.testing import CliRunner
from iamlint.cli import main
result = CliRunner().invoke(main, ["check", *sys.argv[1:]])
import iamlint.knowledge as knowledge
roots = sorted({name.split(".")[0] for name in sys.modules})
print(json.dumps({"exit": result.exit_code, "output": result.output, "roots": roots, "loads": knowledge.loads()}))
"""

INSTANCE = """
resource "aws_instance" "web" {
  ami                  = "ami-123"
  iam_instance_profile = "web"
  metadata_options {
    http_tokens = "required"
  }
}
"""

MANAGED = INSTANCE + """
resource "aws_iam_role" "r" {
  name                = "web"
  assume_role_policy  = jsonencode({Statement = [{Effect = "Allow", Action = "sts:AssumeRole", Principal = {Service = "ec2.amazonaws.com"}}]})
  managed_policy_arns = ["arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"]
}
"""

TEMPLATE = """AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Instance:
    Type: AWS::EC2::Instance
    Properties:
      ImageId: ami-123
"""

YAML_MODULES = {"yaml", "cfn_flip", "cfn_tools"}
HCL_MODULES = {"tree_sitter", "tree_sitter_hcl"}  # the HCL parser (the default route)
LARK_MODULES = {"hcl2", "lark"}  # python-hcl2: the second opinion, only on text tree-sitter rejects


def _check(tmp_path, *args: str) -> dict:
    env = dict(os.environ, IAMLINT_CACHE_DIR=str(tmp_path / "cache"))
    done = subprocess.run([sys.executable, "-c", SCRIPT, *args], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["exit"] in (0, 1), report["output"]
    return report


@pytest.fixture
def tf(tmp_path):
    folder = tmp_path / "module"
    folder.mkdir()
    (folder / "main.tf").write_text(INSTANCE)
    return folder / "main.tf"


def test_a_tf_file_never_imports_yaml_support(tmp_path, tf):
    report = _check(tmp_path, "--no-cache", str(tf))
    assert HCL_MODULES <= set(report["roots"])  # it did parse HCL
    assert not YAML_MODULES & set(report["roots"])
    assert not LARK_MODULES & set(report["roots"])  # a clean file needs no second opinion


def test_a_template_never_imports_hcl_support(tmp_path):
    template = tmp_path / "stack.yaml"
    template.write_text(TEMPLATE)
    report = _check(tmp_path, "--no-cache", str(template))
    assert "Instance" in report["output"]  # it did read the template (EC2001 on the instance)
    assert not (HCL_MODULES | LARK_MODULES) & set(report["roots"])


def test_a_warm_cache_parses_nothing(tmp_path, tf):
    _check(tmp_path, str(tf))
    report = _check(tmp_path, str(tf))
    assert not (HCL_MODULES | LARK_MODULES | YAML_MODULES) & set(report["roots"])


def test_the_managed_policy_snapshot_loads_only_when_referenced(tmp_path, tf):
    report = _check(tmp_path, "--no-cache", str(tf))
    assert report["loads"]["snapshot"] == 0
    tf.write_text(MANAGED)
    report = _check(tmp_path, str(tf))
    assert report["loads"]["snapshot"] == 1
    # the enriched graph is cached: a warm run does not read the snapshot again
    report = _check(tmp_path, str(tf))
    assert report["loads"]["snapshot"] == 0


def test_the_language_server_is_not_imported_by_check(tmp_path, tf):
    report = _check(tmp_path, "--no-cache", str(tf))
    assert not {"pygls", "lsprotocol"} & set(report["roots"])


def _modules(report: dict) -> set[str]:
    return set(report["modules"])


SCRIPT_MODULES = SCRIPT.replace('"roots": roots,', '"roots": roots, "modules": sorted(sys.modules),')


def _check_modules(tmp_path, *args: str) -> set[str]:
    env = dict(os.environ, IAMLINT_CACHE_DIR=str(tmp_path / "cache"))
    done = subprocess.run([sys.executable, "-c", SCRIPT_MODULES, *args], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["exit"] in (0, 1), report["output"]
    return _modules(report)


# Modules a plain one-shot run (no configuration file, text output, no baseline) does
# not need: start-up time (issue 7).
NOT_FOR_A_PLAIN_RUN = {
    "iamlint.baseline",  # only --baseline / --write-baseline (and the sarif / gitlab reporters)
    "difflib",  # only to suggest a name for a misspelt key or action
    "tomllib",  # only when a configuration file is read
    # (traceback, imported only for --debug, is not checked: click.testing imports it)
    "iamlint.reporters.json_format",
    "iamlint.reporters.sarif",
    "iamlint.reporters.junit",
    "iamlint.reporters.gitlab",
    "iamlint.reporters.github",
}


def test_a_plain_run_imports_only_what_it_needs(tmp_path, tf):
    template = tmp_path / "stack.yaml"
    template.write_text(TEMPLATE)
    modules = _check_modules(tmp_path, "--no-cache", str(template))
    assert "iamlint.reporters.text" in modules  # it did report
    assert not NOT_FOR_A_PLAIN_RUN & modules
    modules = _check_modules(tmp_path, "--no-cache", str(tf))
    assert not NOT_FOR_A_PLAIN_RUN & modules


def test_a_second_run_takes_the_rules_from_the_entry_point_index(tmp_path, tf):
    _check_modules(tmp_path, "--no-cache", str(tf))  # writes the index
    modules = _check_modules(tmp_path, "--no-cache", str(tf))
    assert "importlib.metadata" not in modules
    assert {"iamlint.rules"} <= {name.rsplit(".", 1)[0] for name in modules}  # the rules were loaded


def test_baseline_and_other_formats_import_their_modules_when_asked(tmp_path, tf):
    modules = _check_modules(tmp_path, "--no-cache", "--format", "sarif", "--write-baseline", str(tmp_path / "b.json"), str(tf))
    assert {"iamlint.baseline", "iamlint.reporters.sarif"} <= modules
