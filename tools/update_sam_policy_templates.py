#!/usr/bin/env python3
"""Rebuild ``iamlint/data/sam_policy_templates.json`` (maintainers only).

Input: the AWS SAM translator's policy template data,
``samtranslator/policy_templates_data/policy_templates.json`` of the PyPI package
``aws-sam-translator`` (Apache-2.0): the definitions the SAM transform expands
``Policies`` entries such as ``S3ReadPolicy: {BucketName: ...}`` from. iamlint expands
them offline (``iamlint/normalize/cloudformation/sam.py``); aws-sam-translator is *not* a
runtime dependency (it pulls in pydantic and boto3 for a 100 kB data file).

Either from an installed copy, or from a wheel fetched with pip's ordinary client::

    pip install -U aws-sam-translator && python tools/update_sam_policy_templates.py
    pip download --no-deps aws-sam-translator -d /tmp/sam && \\
        python tools/update_sam_policy_templates.py --wheel /tmp/sam/aws_sam_translator-*.whl

The output keeps the ``Templates`` as published (``Definition``, ``Parameters``,
``Description``) and records the translator version it came from, which error messages
quote ("policy templates of aws-sam-translator 1.115.0"), with one exception: actions that
iamlint's action catalogue does not know (``sqs:DeleteMessageBatch`` in
``SQSPollerPolicy``: batch calls are authorised by the single-message action) are left
out and listed under ``"unknown_actions"``. IAM ignores them in an ``Allow``, so nothing
granted changes, and a user of the template could not remove them (IAM005 would report
SAM's text, not theirs). Rebuild the action catalogue first when updating both.
"""

from __future__ import annotations

import argparse
import datetime
import json
import re
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "iamlint" / "data" / "sam_policy_templates.json"
MEMBER = "samtranslator/policy_templates_data/policy_templates.json"
_WHEEL_VERSION = re.compile(r"aws_sam_translator-([^-]+)-")


def from_wheel(path: Path) -> tuple[dict, str]:
    match = _WHEEL_VERSION.search(path.name)
    if match is None:
        raise SystemExit(f"{path}: not an aws_sam_translator wheel")
    with zipfile.ZipFile(path) as wheel:
        return json.loads(wheel.read(MEMBER)), match.group(1)


def from_installed() -> tuple[dict, str]:
    from importlib.metadata import PackageNotFoundError, version
    from importlib.resources import files

    try:
        installed = version("aws-sam-translator")
    except PackageNotFoundError:
        raise SystemExit("aws-sam-translator is not installed here (pip install aws-sam-translator, or --wheel)") from None
    text = files("samtranslator").joinpath("policy_templates_data/policy_templates.json").read_text(encoding="utf-8")
    return json.loads(text), installed


def known_actions(templates: dict) -> dict[str, list[str]]:
    """Drop the actions iamlint's catalogue does not know from each statement (in place);
    template name -> the actions dropped."""
    sys.path.insert(0, str(ROOT))
    from iamlint.knowledge import action_info

    dropped: dict[str, list[str]] = {}
    for name, template in templates.items():
        for statement in template["Definition"]["Statement"]:
            actions = statement.get("Action")
            if not isinstance(actions, list):
                continue
            unknown = [a for a in actions if isinstance(a, str) and "*" not in a and action_info(a) is None]
            if unknown and len(unknown) < len(actions):
                statement["Action"] = [a for a in actions if a not in unknown]
                dropped.setdefault(name, []).extend(unknown)
    return dropped


def build(data: dict, version: str) -> dict:
    templates = data.get("Templates")
    if not isinstance(templates, dict) or not templates:
        raise SystemExit("no Templates in the policy template data: has its layout changed?")
    for name, template in templates.items():
        if not isinstance(template.get("Definition"), dict) or "Statement" not in template["Definition"]:
            raise SystemExit(f"policy template {name} has no Definition with a Statement")
    dropped = known_actions(templates)
    return {
        "source": "aws-sam-translator",
        "version": version,
        "license": "Apache-2.0",
        "file": MEMBER,
        "unknown_actions": dropped,
        "Templates": dict(sorted(templates.items())),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheel", type=Path, help="an aws_sam_translator wheel (else the installed package)")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    data, version = from_wheel(args.wheel) if args.wheel else from_installed()
    result = build(data, version)
    args.output.write_text(json.dumps(result, indent=1, sort_keys=False) + "\n", encoding="utf-8")
    if args.output == OUTPUT:  # the sidecar iamlint --version reads (keeps the other entries)
        knowledge = OUTPUT.parent / "knowledge.json"
        current = json.loads(knowledge.read_text(encoding="utf-8")) if knowledge.exists() else {}
        current["sam_policy_templates"] = {"source": "aws-sam-translator", "version": version, "license": "Apache-2.0",
                                           "templates": len(result["Templates"]), "date": datetime.date.today().isoformat()}
        knowledge.write_text(json.dumps(current, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(f"{args.output}: {len(result['Templates'])} policy templates from aws-sam-translator {version}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
