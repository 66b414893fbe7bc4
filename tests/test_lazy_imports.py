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


def _check_modules(tmp_path, *args: str, cwd=None) -> set[str]:
    env = dict(os.environ, IAMLINT_CACHE_DIR=str(tmp_path / "cache"))
    done = subprocess.run([sys.executable, "-c", SCRIPT_MODULES, *args], env=env, capture_output=True, text=True,
                          timeout=120, cwd=cwd)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["exit"] in (0, 1), report["output"]
    return _modules(report)


# Modules a plain one-shot run (no configuration file, text output, no baseline) does
# not need: start-up time (issue 7).
NOT_FOR_A_PLAIN_RUN = {
    "iamlint.baseline",  # only --baseline / --write-baseline (and the sarif / gitlab reporters)
    "iamlint.change.git", "iamlint.change.compare",  # only --base
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


# -- the one-file and one-template paths (issue 17 item 3): heavy imports must not creep back --

# Never needed by `iamlint check` on one .tf file or one template (cold cache, text output).
NEVER_FOR_ONE_FILE = {
    "multiprocessing", "concurrent.futures", "asyncio",  # a pool only above a work size; no threads
    "importlib.metadata", "email", "zipfile",  # the entry-point index is fresh: no distribution scan
    "pygls", "lsprotocol",  # the language server
    "lark", "hcl2",  # python-hcl2: only a second opinion on text tree-sitter rejects
    "iamlint.parsers.terraform.hcl", "iamlint.parsers.terraform.grammar",
    "iamlint.access", "iamlint.baseline", "tomllib",
    "hashlib", "_hashlib",  # OpenSSL's bindings: BLAKE2 and SHA-256 come from iamlint.digests
    "click", "uuid", "platform", "gettext",  # `iamlint check` reads its arguments without click (commands/argv.py)
    "inspect", "threading", "signal", "weakref",  # _thread, _signal and _weakref serve what iamlint uses of them
}
ONLY_FOR_TERRAFORM = {"tree_sitter", "tree_sitter_hcl", "iamlint.normalize.terraform.root",
                      "iamlint.parsers.terraform.treesitter"}
ONLY_FOR_TEMPLATES = {"yaml", "cfn_flip", "cfn_tools", "iamlint.normalize.cloudformation"}


# `python -m iamlint check ARGS` as the console script runs it (not through click's test
# runner, which imports click): the modules present when it ends (its fast exit, or a normal one).
COMMAND = r"""
import json, os, sys
def report():
    with open(os.environ["IAMLINT_TEST_MODULES"], "w") as handle:
        json.dump(sorted(sys.modules), handle)
real_exit = os._exit
def fast_exit(code):
    report()
    real_exit(code)
os._exit = fast_exit
sys.argv = ["iamlint", "check", *sys.argv[1:]]
from iamlint.__main__ import main
try:
    main()
finally:
    report()
"""


def _command_modules(tmp_path, *args: str) -> set[str]:
    out = tmp_path / "modules.json"
    env = dict(os.environ, IAMLINT_CACHE_DIR=str(tmp_path / "cache"), IAMLINT_TEST_MODULES=str(out))
    env.pop("IAMLINT_NO_FAST_ARGV", None)
    done = subprocess.run([sys.executable, "-c", COMMAND, *args], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode in (0, 1), done.stderr
    return set(json.loads(out.read_text()))


def test_one_file_and_one_template_import_only_what_they_use(tmp_path, tf):
    template = tmp_path / "stack.yaml"
    template.write_text(TEMPLATE)
    _command_modules(tmp_path, "--no-cache", str(tf))  # writes the entry-point index
    tf_modules = _command_modules(tmp_path, str(tf))
    template_modules = _command_modules(tmp_path, str(template))
    assert "iamlint.normalize.terraform.root" in tf_modules and "yaml" in template_modules  # both did their work
    for modules, foreign in ((tf_modules, ONLY_FOR_TEMPLATES), (template_modules, ONLY_FOR_TERRAFORM)):
        roots = {name.split(".")[0] for name in modules}
        unexpected = {name for name in NEVER_FOR_ONE_FILE | foreign if name in modules or name in roots}
        assert not unexpected, f"imported on a one-file run: {sorted(unexpected)}"


LSP_SCRIPT = r"""
import json, sys
import iamlint.lsp
iamlint.lsp.serve = lambda: None  # started, not served: what did starting it import?
sys.argv = ["iamlint", "lsp"]
from iamlint.__main__ import main
try:
    main()
except SystemExit as exit:
    code = exit.code
print(json.dumps({"exit": code, "click": "click" in sys.modules, "server": "iamlint.lsp.server" in sys.modules}))
"""


def test_the_language_server_starts_without_the_command_line(tmp_path):
    pytest.importorskip("pygls", reason="the language server needs the lsp extra")
    done = subprocess.run([sys.executable, "-c", LSP_SCRIPT], capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, IAMLINT_CACHE_DIR=str(tmp_path / "cache")))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {"exit": 0, "click": False, "server": True}


def test_every_way_of_starting_iamlint_shares_one_entry_point_index(tmp_path, tf):
    """`python -c`, `python -m iamlint` and the console script put different folders first
    on sys.path; none holds a distribution, so the index written by one serves the others."""
    _check_modules(tmp_path, "--no-cache", str(tf), cwd=tmp_path)  # python -c: writes the index
    env = dict(os.environ, IAMLINT_CACHE_DIR=str(tmp_path / "cache"))
    script = os.path.join(os.path.dirname(sys.executable), "iamlint")  # the console script: its folder first
    if not os.path.isfile(script):
        pytest.skip(f"no console script beside {sys.executable} (iamlint is not installed in this environment)")
    done = subprocess.run([sys.executable, "-X", "importtime", script, "check", "--no-cache", str(tf)],
                          capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path)
    assert done.returncode in (0, 1), done.stderr[-2000:]
    imported = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    assert "iamlint.plugin" in imported  # it did load the rules (their API)
    assert "importlib.metadata" not in imported


# Helpers a one-file run does not use, imported only where they serve: difflib (suggesting
# the name a misspelt managed policy ARN, key or action meant), glob (Terraform's
# fileset), base64 (Terraform's base64 functions; base64 text in masked messages).
# Checked in a real `python -m iamlint check` (-X importtime lists every import
# statement), not under click.testing, which imports glob itself.
NEVER_FOR_A_MANAGED_POLICY = {"difflib", "glob"}
TEMPLATE_MANAGED = TEMPLATE + """  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: {Statement: [{Effect: Allow, Action: "sts:AssumeRole", Principal: {Service: ec2.amazonaws.com}}]}
      ManagedPolicyArns: [arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore]
"""


def _imported(tmp_path, *args: str) -> set[str]:
    env = dict(os.environ, IAMLINT_CACHE_DIR=str(tmp_path / "cache"))
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "iamlint", "check", "--no-cache", *args],
                          capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path)
    assert done.returncode in (0, 1), done.stderr[-2000:]
    return {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}


def test_a_managed_policy_on_the_one_file_paths_imports_no_unused_helper(tmp_path, tf):
    tf.write_text(MANAGED)
    template = tmp_path / "stack.yaml"
    template.write_text(TEMPLATE_MANAGED)
    _imported(tmp_path, str(tf))  # writes the entry-point index
    tf_imported = _imported(tmp_path, str(tf))
    template_imported = _imported(tmp_path, str(template))
    for imported in (tf_imported, template_imported):
        assert "iamlint.knowledge.managed" in imported  # it did look the managed policy up
        assert not NEVER_FOR_A_MANAGED_POLICY & imported
    assert "base64" not in tf_imported  # (PyYAML imports it for a template)


def test_the_names_of_one_interpreter_share_one_entry_point_index(tmp_path, tf):
    """A console script starts `bin/python3` (its shebang), `python -m iamlint` often
    `bin/python`: the same interpreter under two names, one index."""
    folder = os.path.dirname(sys.executable)
    names = [os.path.join(folder, name) for name in ("python", "python3")]
    if not all(os.path.isfile(name) for name in names) or len({os.path.realpath(name) for name in names}) != 1:
        pytest.skip(f"{folder} has no python and python3 naming one interpreter")
    env = dict(os.environ, IAMLINT_CACHE_DIR=str(tmp_path / "cache"))
    imported = []
    for name in names:  # the first writes the index, the second must use it
        done = subprocess.run([name, "-X", "importtime", "-m", "iamlint", "check", "--no-cache", str(tf)],
                              capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path)
        assert done.returncode in (0, 1), done.stderr[-2000:]
        imported.append({line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")})
    assert "importlib.metadata" in imported[0] and "iamlint.plugin" in imported[1]
    assert "importlib.metadata" not in imported[1]
