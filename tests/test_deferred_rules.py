"""Deferred built-in rules (issue 17, a warm run): ``load_plugins(deferred=True)`` makes
iamlint's own rules from the facts an earlier run recorded, and imports their modules
only when a unit is checked. The rules must be the same as imported ones (identity,
documentation, the results cache's key), stale or damaged facts must never be used, and
a run whose units the results cache serves must not import a rule module."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from dataclasses import fields

import pytest

from iamlint import registry as registry_module
from iamlint.cachedir import _seal
from iamlint.engine import check_suppressions
from iamlint.model.findings import Context, Rule
from iamlint.registry import DeferredCheck, DeferredRule, facts_path, load_deferred, load_plugins, read_facts
from iamlint.results import rules_fingerprint

ROLE_TF = textwrap.dedent('''\
    resource "aws_instance" "web" {
      ami                  = "ami-123"
      iam_instance_profile = aws_iam_instance_profile.web.name
    }

    resource "aws_iam_instance_profile" "web" {
      role = aws_iam_role.web.name
    }

    resource "aws_iam_role" "web" {
      assume_role_policy = jsonencode({
        Version = "2012-10-17"
        Statement = [{ Effect = "Allow", Principal = { Service = "ec2.amazonaws.com" }, Action = "sts:AssumeRole" }]
      })
    }

    resource "aws_iam_role_policy" "web" {
      role   = aws_iam_role.web.id
      policy = jsonencode({
        Version   = "2012-10-17"
        Statement = [{ Effect = "Allow", Action = "s3:*", Resource = "*" }]
      })
    }
    ''')


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("IAMLINT_CACHE_DIR", str(folder))
    return folder


def _deferred_registry():
    """A registry whose built-in rules come from the facts (written by a first load)."""
    load_plugins(deferred=True)  # imports the rules, records their facts
    assert facts_path().is_file()
    return load_plugins(deferred=True)


def test_deferred_rules_are_the_imported_ones(cache_dir):
    eager = load_plugins()
    deferred = _deferred_registry()
    assert [type(rule) for rule in deferred.rules] == [DeferredRule] * len(eager.rules)
    assert not deferred.errors and len(eager.rules) >= 15
    recorded = [f.name for f in fields(Rule) if f.name not in ("check", "doc")]  # a new field must be recorded too
    for made, real in zip(deferred.rules, eager.rules, strict=True):
        for name in recorded:
            assert getattr(made, name) == getattr(real, name), (real.code, name)
        assert isinstance(made.check, DeferredCheck)
        assert (made.check.__module__, made.check.__qualname__) == (real.check.__module__, real.check.__qualname__)
    # the results cache keys on the same identity, loaded or not
    assert rules_fingerprint(deferred.rules) == rules_fingerprint(eager.rules) is not None
    # the documentation comes from the module (SEC001's holds keys the facts could keep only masked)
    for made, real in zip(deferred.rules, eager.rules, strict=True):
        assert made.doc == real.doc and made.doc
    # reading the docs imported the modules: the identity is now the loaded checks', the same
    assert all(rule.check.rule is not None for rule in deferred.rules)
    assert rules_fingerprint(deferred.rules) == rules_fingerprint(eager.rules)


def test_a_deferred_check_imports_its_module_at_the_first_call(cache_dir):
    deferred = _deferred_registry()
    rule = next(rule for rule in deferred.rules if rule.code == "IAM002")
    check = rule.check
    assert check.rule is None
    load_deferred([rule])
    assert check.rule is not None and check.loaded is sys.modules[check.__module__].check
    assert check.rule.code == "IAM002"


def test_stale_damaged_or_foreign_facts_are_not_used(cache_dir, monkeypatch):
    _deferred_registry()
    path = facts_path()
    good = path.read_bytes()
    assert read_facts() is not None
    # another iamlint code (an edit, an upgrade, another Python): stale
    with monkeypatch.context() as patched:
        patched.setattr(registry_module, "code_fingerprint", lambda: "0" * 32)
        assert read_facts() is None
        registry = load_plugins(deferred=True)  # imports the rules, records the facts anew
        assert all(not isinstance(rule.check, DeferredCheck) for rule in registry.rules)
        assert all(type(rule) is DeferredRule for rule in load_plugins(deferred=True).rules)
    assert read_facts() is None  # recorded for the other code
    path.write_bytes(good)
    assert read_facts() is not None
    # damaged: a byte changed in the payload, a wrong type, a severity out of range
    magic, fingerprint, check, payload = good.split(b"\n", 3)
    head = magic + b"\n" + fingerprint + b"\n"
    path.write_bytes(head + check + b"\n" + payload.replace(b'"IAM002"', b'"IAM999"'))
    assert read_facts() is None
    document = json.loads(payload)
    for change in ({"severity": 7}, {"severity": True}, {"stage": "other"}, {"name": 3}):
        changed = {value: {**item, **change} for value, item in document.items()}
        data = json.dumps(changed, sort_keys=True).encode()
        path.write_bytes(head + _seal(data) + b"\n" + data)
        assert read_facts() is None, change
    changed = {value.replace("iamlint.rules.", "elsewhere."): item for value, item in document.items()}
    data = json.dumps(changed, sort_keys=True).encode()
    path.write_bytes(head + _seal(data) + b"\n" + data)
    assert read_facts() is None  # only iamlint's own rules are ever deferred
    # a facts file others can write is never trusted
    path.write_bytes(good)
    assert read_facts() is not None
    if hasattr(os, "geteuid"):
        os.chmod(path, 0o666)
        assert read_facts() is None


def test_without_deferred_the_rules_are_imported_and_no_facts_written(cache_dir):
    registry = load_plugins()
    assert not facts_path().exists()
    assert all(not isinstance(rule.check, DeferredCheck) for rule in registry.rules)


def test_a_rule_text_that_would_be_masked_records_no_facts(cache_dir, monkeypatch):
    real = load_plugins()
    secret = "AKIAZ7V4QGLKX3WMP2RT"
    changed = [(f"{rule.check.__module__}:RULE", Rule(rule.code, rule.name, f"{rule.summary} {secret}", rule.severity,
                                                      rule.check, stage=rule.stage, fixable=rule.fixable))
               for rule in real.rules]
    registry_module.write_facts(changed)
    assert not facts_path().exists()
    registry_module.write_facts([(f"{rule.check.__module__}:RULE", rule) for rule in real.rules])
    assert facts_path().is_file() and secret.encode() not in facts_path().read_bytes()


def test_built_in_suppression_rules_find_nothing_without_suppressions(cache_dir):
    """Why a deferred suppression-stage rule is not imported when there is no suppression."""
    eager = load_plugins()
    stage = [rule for rule in eager.rules if rule.stage == "suppressions"]
    assert len(stage) >= 3
    for rule in stage:
        assert list(rule.check((), Context())) == [], rule.code
    deferred = _deferred_registry()
    stage = [rule for rule in deferred.rules if rule.stage == "suppressions"]
    assert check_suppressions((), stage, lambda path: None, "aws", []) == []  # type: ignore[arg-type, return-value]
    assert all(rule.check.rule is None for rule in stage)  # not imported


SCRIPT = textwrap.dedent('''\
    import json, sys
    from iamlint.engine import run
    from iamlint.options import Options
    from iamlint.registry import load_plugins
    # fixes=False as text output has it (entries holding located fixes bring the fix model)
    report = run([sys.argv[1]], Options(fixes=False), registry=load_plugins(deferred=True))
    # what a served run does not need: the rules, the locator, the knowledge, the policy
    # links (imported where a unit is loaded or checked; the graph model itself comes with
    # entries whose findings hold a fix intent, as this module's IAM002 does)
    unused = ("iamlint.plugin", "iamlint.permissions", "iamlint.model.links", "iamlint.fingerprint",
              "iamlint.locate", "iamlint.knowledge")
    imported = sorted(m for m in sys.modules if m.startswith("iamlint.rules.") or m in unused)
    print(json.dumps({"findings": sorted([f.rule, f.line, f.message] for f in report.findings), "imported": imported}))
    ''')


def _run(module, cache_dir) -> dict:
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(module)], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "IAMLINT_CACHE_DIR": str(cache_dir)})
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_a_run_the_results_cache_serves_imports_no_rule_module_nor_graph_model(tmp_path, cache_dir):
    module = tmp_path / "module"
    module.mkdir()
    (module / "main.tf").write_text(ROLE_TF)
    cold = _run(module, cache_dir)  # imports the rules, records their facts, checks and stores the unit
    assert cold["findings"] and "iamlint.rules.wildcard_action" in cold["imported"]
    warm = _run(module, cache_dir)
    assert warm == {"findings": cold["findings"], "imported": []}
    # a changed file: the unit is checked again, by the rules imported then
    (module / "main.tf").write_text(ROLE_TF.replace('"s3:*"', '"ec2:*"'))
    changed = _run(module, cache_dir)
    assert "iamlint.rules.wildcard_action" in changed["imported"]
    assert any("ec2:*" in message for _, _, message in changed["findings"])
    assert changed["findings"] != cold["findings"]


def test_a_deferred_rule_travels_to_a_spawned_worker(cache_dir):
    """Without fork, options (their settings, with the registry) are pickled to the pool's
    workers: a deferred rule arrives whole, its check still callable."""
    import pickle

    deferred = _deferred_registry()
    rule = next(rule for rule in deferred.rules if rule.code == "SEC001")
    copy = pickle.loads(pickle.dumps(rule))
    assert type(copy) is DeferredRule and copy.doc == rule.doc
    assert [getattr(copy, f.name) for f in fields(Rule) if f.name not in ("check", "doc")] == \
        [getattr(rule, f.name) for f in fields(Rule) if f.name not in ("check", "doc")]
    assert isinstance(copy.check, DeferredCheck) and copy.check.load().code == "SEC001"


def test_a_served_run_without_fix_intents_imports_no_graph_model(tmp_path, cache_dir):
    """The graph model (model.graph, values, policy, fixes) is imported where a unit is
    loaded or checked, or when an entry's findings hold a fix intent: not otherwise."""
    module = tmp_path / "module"
    module.mkdir()
    (module / "main.tf").write_text('resource "aws_s3_bucket" "logs" {\n  bucket = "logs"\n}\n')
    script = SCRIPT.replace('unused = (', 'unused = ("iamlint.model.graph", "iamlint.model.values", '
                                          '"iamlint.model.policy", "iamlint.model.fixes", ')
    runs = []
    for _ in range(2):
        done = subprocess.run([sys.executable, "-c", script, str(module)], capture_output=True, text=True,
                              timeout=120, env={**os.environ, "IAMLINT_CACHE_DIR": str(cache_dir)})
        assert done.returncode == 0, done.stderr
        runs.append(json.loads(done.stdout))
    assert "iamlint.model.graph" in runs[0]["imported"]  # loaded and checked
    assert runs[1] == {"findings": runs[0]["findings"], "imported": []}
