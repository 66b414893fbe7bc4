"""Secrets never kept (issue 12 item 2): one masking function (iamlint.model.masking) for
everything that leaves the process or reaches the disk -- error messages, finding
messages, every output format, the unit cache -- while SEC001 still reports the same
findings from a warm cache as from the source."""

from __future__ import annotations

import base64
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from iamlint import engine
from iamlint.engine import Options, run
from iamlint.model.masking import MaskedText, credentials, mask_object, mask_string, mask_text
from iamlint.model.span import Span
from iamlint.model.units import SourceError
from iamlint.model.values import Known
from iamlint.reporters import FORMATS

BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def planted() -> tuple[str, str, str]:
    """A fresh access key id, secret access key and session token for this test run."""
    rng = random.Random()
    key = "AKIA" + "".join(rng.choice(BASE32) for _ in range(16))
    secret = "".join(rng.choice(BASE64) for _ in range(37)) + "a/Z"
    token = "FwoGZXIvYXdz" + "".join(rng.choice(BASE64) for _ in range(180))
    return key, secret, token


def pieces(key: str, secret: str, token: str) -> list[str]:
    """What must appear nowhere: each credential and a middle part of it."""
    return [key, key[4:16], secret, secret[8:32], token, token[40:100]]


def repository(root: Path, key: str, secret: str, token: str) -> None:
    user_data = base64.b64encode(f"#!/bin/sh\naws configure set aws_access_key_id {key}\n".encode()).decode()
    files = {
        "tf/main.tf": f"""# the ci user's key {key}, do not commit
provider "aws" {{
  region     = "eu-west-1"
  access_key = "{key}"
  secret_key = "{secret}"
  token      = "{token}"
}}

resource "aws_instance" "web" {{
  ami           = "ami-123"
  instance_type = "t3.micro"
  user_data     = <<-EOT
    #!/bin/bash
    export AWS_ACCESS_KEY_ID={key}
    export AWS_SECRET_ACCESS_KEY={secret}
    export AWS_SESSION_TOKEN={token}
  EOT
}}
""",
        "cfn/template.yaml": f"""AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Web:
    Type: AWS::EC2::Instance
    Properties:
      ImageId: ami-1
      # rotate {key} soon
      UserData: {user_data}
      Tags:
        - Key: secret_access_key
          Value: {secret}
""",
        "cfn/tagged.yaml": f"""AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Web:
    Type: AWS::EC2::Instance
    Properties:
      UserData: !<tag:yaml.org,2002:{key}> x
""",
        "broken/main.tf": f"""resource "aws_instance" "x" {{
  vpc_security_group_ids = [1 {key}]
}}
""",
    }
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def cli(args: list[str], cache: Path, cwd: Path) -> subprocess.CompletedProcess:
    environment = {**os.environ, "IAMLINT_CACHE_DIR": str(cache)}
    return subprocess.run([sys.executable, "-m", "iamlint", *args], cwd=cwd, env=environment,
                          capture_output=True, text=True, timeout=120)


def test_no_output_format_and_no_cache_file_holds_a_planted_credential(tmp_path):
    key, secret, token = planted()
    repository(tmp_path / "repo", key, secret, token)
    cache = tmp_path / "cache"
    cold = cli(["check", "--format", "json", "repo"], cache, tmp_path)
    warm = cli(["check", "--format", "json", "repo"], cache, tmp_path)
    assert cold.returncode == warm.returncode == 2, cold.stderr  # the broken file and the tag are input errors
    assert cold.stdout == warm.stdout  # SEC001 from the cache: same findings, places, messages
    report = json.loads(cold.stdout)
    found = {(f["path"], f["line"]) for f in report["findings"] if f["rule"] == "SEC001"}
    assert {("repo/tf/main.tf", 4), ("repo/tf/main.tf", 5), ("repo/tf/main.tf", 14), ("repo/tf/main.tf", 15),
            ("repo/cfn/template.yaml", 8), ("repo/cfn/template.yaml", 11)} <= found
    errors = {error["path"]: error for error in report["errors"]}
    assert errors["repo/cfn/tagged.yaml"]["line"] == 6 and "unsupported YAML tag" in errors["repo/cfn/tagged.yaml"]["message"]
    assert errors["repo/broken/main.tf"]["line"] == 2 and key[:4] + "*" in errors["repo/broken/main.tf"]["message"]
    outputs = [cold.stdout, cold.stderr, warm.stdout, warm.stderr]
    for name in FORMATS:
        for _ in range(2):  # from the cache now
            result = cli(["check", "--format", name, "repo"], cache, tmp_path)
            assert result.returncode == 2 and result.stdout
            outputs += [result.stdout, result.stderr]
    stored = [path.read_bytes() for path in cache.rglob("*") if path.is_file()]
    assert any(path.suffix == ".entry" for path in cache.rglob("*"))
    for piece in pieces(key, secret, token):
        assert not any(piece in text for text in outputs), piece
        assert not any(piece.encode() in data for data in stored), piece


def test_a_warm_run_serves_every_unit_from_the_masked_cache(tmp_path, monkeypatch):
    key, secret, token = planted()
    repository(tmp_path / "repo", key, secret, token)
    monkeypatch.setenv("IAMLINT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    cold = run(["repo"], Options(cache=True, jobs=1))

    def never(unit, options):
        raise AssertionError(f"{unit.root} was loaded again")

    monkeypatch.setattr(engine, "load_unit", never)
    warm = run(["repo"], Options(cache=True, jobs=1))
    assert [e for e in warm.errors if "was loaded again" in e.message] == []
    assert warm.findings == cold.findings and warm.errors == cold.errors
    assert any(f.rule == "SEC001" for f in warm.findings)


def test_mask_text_masks_keys_even_cut_short_and_named_secrets_and_tokens():
    key, secret, token = planted()
    assert mask_text(f"unsupported YAML tag '!{key}'") == f"unsupported YAML tag '!{key[:4]}{'*' * 12}{key[-4:]}'"
    cut = mask_text(f"unexpected string '\"export AWS_ACCESS_KEY_ID={key[:14]}'")
    assert key[4:14] not in cut and cut.endswith("AKIA" + "*" * 10 + "'")
    assert secret[:36] not in mask_text(f"aws_secret_access_key = {secret}")
    assert token[20:] not in mask_text(f"AWS_SESSION_TOKEN={token}") and token[20:] not in mask_text(f"x {token} y")
    for text in (f"a {key} b", f"secret_key: {secret}", f"token {token}"):
        once = mask_text(text)
        assert len(once) == len(text) and mask_text(once) == once  # same length, idempotent
    assert mask_text("nothing here, aws_iam_role.web") == "nothing here, aws_iam_role.web"


def test_error_records_mask_their_message_when_created():
    key, _, _ = planted()
    error = SourceError("a.yaml", 3, f"unsupported YAML tag '{key}'")
    assert key not in error.message and key[:4] in error.message and error.line == 3


def test_a_masked_value_gives_sec001_the_same_hits_as_the_original():
    key, secret, _ = planted()
    script = f"#!/bin/sh\nexport AWS_ACCESS_KEY_ID={key}\nexport AWS_SECRET_ACCESS_KEY={secret}\n"
    cases = [
        (script, "user_data"),
        (secret, "secret_key"),  # a secret only by its name
        (secret, "description"),  # not a secret by name: nothing found, nothing masked
        (base64.b64encode(script.encode()).decode(), "UserData"),
        ("\n".join(base64.encodebytes(script.encode()).decode().split("\n")), "UserData"),
        ("AKIAIOSFODNN7EXAMPLE in the docs", "description"),
    ]
    for text, name in cases:
        masked = mask_string(text, name)
        assert len(masked) == len(text) and masked.count("\n") == text.count("\n")
        assert list(credentials(masked, name)) == [
            (kind, found if found.endswith("EXAMPLE") else _masked(found, kind), start, end)
            for kind, found, start, end in credentials(text, name)
        ]
        if name == "description" and "EXAMPLE" not in text:
            assert masked is text
        else:
            assert key not in masked and secret not in masked
    # the name decides for a secret alone: a masked value seen under another name gives nothing
    assert list(credentials(mask_string(secret, "secret_key"), "description")) == []


def _masked(text: str, kind: str) -> str:
    return text[:4] + "*" * 12 + text[-4:] if kind == "access key id" else "*" * 36 + text[-4:]


def test_mask_object_keeps_what_holds_no_secret_and_shares_values():
    key, _, _ = planted()
    span = Span("a.tf", 1, 1, 1, 2)
    clean = Known({"ami": Known("ami-1", span)}, span)
    assert mask_object(clean) is clean
    shared = Known(f"id {key}", span)
    masked = mask_object(Known([shared, shared], span))
    first, second = masked.value
    assert first is second and isinstance(first.value, MaskedText) and key not in first.value


def test_no_plugin_index_is_written_with_a_credential(tmp_path, monkeypatch):
    from iamlint import cachedir, entrypoints

    key, _, _ = planted()
    monkeypatch.setenv("IAMLINT_CACHE_DIR", str(tmp_path / "cache"))
    entrypoints.write_index("k", {entrypoints.RULES: [("X001", "plugin:RULE")], entrypoints.FORMATS: []})
    assert entrypoints.read_index("k") is not None  # an ordinary index is written
    cachedir.clear(tmp_path / "cache")
    entrypoints.write_index("k", {entrypoints.RULES: [(key, "plugin:RULE")], entrypoints.FORMATS: []})
    assert entrypoints.read_index("k") is None
    assert not any(key[4:16].encode() in p.read_bytes() for p in (tmp_path / "cache").rglob("*") if p.is_file())


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_every_reporter_masks_a_key_in_a_finding_or_error(name):
    from iamlint.model.findings import Severity
    from iamlint.reporters import get_formatter
    from iamlint.report import LocatedFinding, Report

    key, _, _ = planted()
    finding = LocatedFinding("X001", "x", Severity.ERROR, f"saw {key}", "a.tf", 1, 1, 1, 2, f"r[\"{key}\"]")
    report = Report(findings=[finding], errors=[SourceError("b.tf", 2, f"bad {key}")])
    text = get_formatter(name)(report, color=False, quiet=False, rules=[], show_suppressed=False)
    assert key[4:16] not in text and "AKIA" in text


def test_the_byte_test_before_masking_sees_every_kind_of_credential():
    import pickle

    from iamlint.model.masking import may_hold_secrets

    key, secret, token = planted()
    span = Span("a.tf", 1, 1, 1, 2)
    script = f"#!/bin/sh\nexport AWS_ACCESS_KEY_ID={key}\n" * 3
    for value in ({"x": f"id {key}"}, {"secret_access_key": secret}, {"env": f"aws_secret_access_key={secret}"},
                  {"t": token}, {"u": base64.encodebytes(script.encode()).decode()}):
        data = pickle.dumps(Known({k: Known(v, span) for k, v in value.items()}, span))
        assert may_hold_secrets(data), value
    clean = {"ami": "ami-123", "role": "arn:aws:iam::123456789012:role/web", "note": "secretsmanager:GetSecretValue"}
    assert not may_hold_secrets(pickle.dumps(Known({k: Known(v, span) for k, v in clean.items()}, span)))
