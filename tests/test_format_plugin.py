"""A third-party input format, from outside the package: a tiny ``.ec2list`` format
(one EC2 instance per line) in a distribution installed into a scratch site folder,
registered only through the ``iamlint.formats`` entry-point group. With no other change
iamlint discovers its files, loads them (in worker processes too), applies its ``#``
suppressions, reports its findings at their lines and its input errors -- and the same
format added with the public ``FormatRegistry.register`` API gives the same report."""

from __future__ import annotations

import dataclasses
import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from iamlint.engine import Options, run
from iamlint.formats import FormatError, FormatRegistry, load_formats
from iamlint.registry import load_plugins

TOY = '''
"""A toy input format: one EC2 instance per line, ``instance NAME [profile P] [imdsv2]``."""

import re

from iamlint.formats import FileFormat, SourceError, UnitResult, line_syntax
from iamlint.plugin import Compute, Graph, Known, Span

_LINE = re.compile(r"^instance\\s+(\\S+)(?:\\s+profile\\s+(\\S+))?(\\s+imdsv2)?\\s*(?:#.*)?$")
SYNTAX = line_syntax("ec2list", ("#",))


class Ec2List(FileFormat):
    __slots__ = ()
    name = "ec2list"
    kind = "ec2list"
    description = "EC2 instances, one per line (a test plugin)"

    def claims(self, name):
        return name.endswith(".ec2list")

    def syntax(self, path):
        return SYNTAX if path.endswith(".ec2list") else None

    def load(self, unit, options):
        path, display = unit.files[0]
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
        graph, errors = Graph(partition=options.partition), []
        for number, line in enumerate(text.splitlines(), start=1):
            stripped = line.strip()
            if not stripped or stripped.startswith("#"):
                continue
            match = _LINE.match(stripped)
            if match is None:
                column = len(line) - len(line.lstrip()) + 1
                errors.append(SourceError(display, number, "expected: instance NAME [profile P] [imdsv2]", column))
                continue
            name, profile, imdsv2 = match.groups()
            span = Span(display, number, 1, number, len(line) + 1)
            graph.add(Compute(f"ec2list.{name}", "aws_instance", span, profile=Known(profile, span) if profile else None,
                              http_tokens=Known("required", span) if imdsv2 else None))
        return self.facts(UnitResult(graph, [display], errors), lambda p: text if p == display else None)


FORMAT = Ec2List()
'''

FLEET = """\
# the build farm, one instance per line
instance web profile web-profile imdsv2
# iamlint:ignore EC2001 -- build box without AWS access
instance build imdsv2
instance bare imdsv2  # iamlint:ignore EC2001
instance naked imdsv2
bogus line
"""

SELECT = ["--select", "EC2001,SUP001,SUP002,SUP003"]


@pytest.fixture
def site(tmp_path) -> Path:
    """A scratch site folder holding the toy distribution (module + dist-info)."""
    folder = tmp_path / "site"
    folder.mkdir()
    (folder / "toy_ec2list.py").write_text(TOY, encoding="utf-8")
    info = folder / "toy_ec2list-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: toy-ec2list\nVersion: 1.0\n", encoding="utf-8")
    (info / "entry_points.txt").write_text("[iamlint.formats]\nec2list = toy_ec2list:FORMAT\n", encoding="utf-8")
    return folder


@pytest.fixture
def fleet(tmp_path) -> Path:
    folder = tmp_path / "fleet"
    folder.mkdir()
    (folder / "farm.ec2list").write_text(FLEET, encoding="utf-8")
    return folder


def _check(site: Path, cache: Path, *args: str) -> tuple[int, dict]:
    env = dict(os.environ, PYTHONPATH=str(site), IAMLINT_CACHE_DIR=str(cache))
    command = [sys.executable, "-m", "iamlint", "check", "--format", "json", *args]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert done.stdout, done.stderr
    return done.returncode, json.loads(done.stdout)


def _found(report: dict) -> list[tuple]:
    return sorted((f["rule"], os.path.basename(f["path"]), f["line"], f["column"], f["resource"]) for f in report["findings"])


def test_an_installed_format_is_discovered_loaded_suppressed_and_reported(site, fleet, tmp_path):
    status, report = _check(site, tmp_path / "cache", *SELECT, str(fleet))
    assert _found(report) == [
        ("EC2001", "farm.ec2list", 6, 1, "ec2list.naked"),
        ("SUP002", "farm.ec2list", 5, 23, ""),  # the trailing suppression has no reason
    ]
    assert [(e["line"], e["message"]) for e in report["errors"]] == [(7, "expected: instance NAME [profile P] [imdsv2]")]
    assert status == 2 and report["summary"]["files"] == 1 and report["summary"]["resources"] == 4
    # served from the unit cache the second time: the same report
    assert _check(site, tmp_path / "cache", *SELECT, str(fleet)) == (status, report)


def test_without_the_distribution_the_files_are_not_read(fleet, tmp_path):
    # never a silent green: the folder holds nothing the installed formats read, an input error
    status, report = _check(tmp_path / "empty-site", tmp_path / "cache", *SELECT, str(fleet))
    assert status == 2 and report["findings"] == [] and report["summary"]["files"] == 0
    [error] = report["errors"]
    assert error["path"] == str(fleet) and error["message"].startswith(f"no Terraform, OpenTofu or CloudFormation files found under {fleet}")


def test_the_format_travels_to_worker_processes(site, tmp_path):
    folder = tmp_path / "many"
    folder.mkdir()
    for index in range(10):
        (folder / f"farm{index}.ec2list").write_text(FLEET.replace("naked", f"naked{index}"), encoding="utf-8")
    serial = _check(site, tmp_path / "cache1", "--jobs", "1", "--no-cache", *SELECT, str(folder))
    pooled = _check(site, tmp_path / "cache2", "--jobs", "2", "--no-cache", *SELECT, str(folder))
    assert pooled == serial and len(serial[1]["findings"]) == 20


def test_a_broken_format_plugin_is_one_error_and_the_rest_still_runs(site, fleet, tmp_path):
    (site / "toy_ec2list-1.0.dist-info" / "entry_points.txt").write_text(
        "[iamlint.formats]\nec2list = toy_ec2list:NOT_THERE\n", encoding="utf-8")
    (fleet / "main.tf").write_text('resource "aws_instance" "x" {\n  ami = "ami-1"\n}\n', encoding="utf-8")
    _status, report = _check(site, tmp_path / "cache", *SELECT, str(fleet))
    assert [f["resource"] for f in report["findings"]] == ["aws_instance.x"]
    [error] = report["errors"]
    assert error["path"] == "<plugins>" and "format plugin ec2list (toy-ec2list 1.0)" in error["message"]


def test_the_register_api_gives_the_same_report(site, fleet, tmp_path, monkeypatch):
    _, expected = _check(site, tmp_path / "cache", *SELECT, str(fleet))
    plain = tmp_path / "plain"  # the module alone, not an installed distribution
    plain.mkdir()
    (plain / "toy_ec2list.py").write_text(TOY, encoding="utf-8")
    monkeypatch.syspath_prepend(str(plain))
    monkeypatch.delitem(sys.modules, "toy_ec2list", raising=False)
    toy = importlib.import_module("toy_ec2list")
    assert load_formats().get("ec2list") is None
    formats = FormatRegistry(load_formats())
    formats.register(toy.FORMAT)
    registry = dataclasses.replace(load_plugins(), formats=formats)
    report = run([str(fleet)], Options(cache=False, jobs=1, select={"EC2001", "SUP001", "SUP002", "SUP003"}), registry)
    found = sorted((f.rule, os.path.basename(f.path), f.line, f.column, f.resource) for f in report.findings)
    assert found == _found(expected)
    assert [(e.line, e.message) for e in report.errors] == [(e["line"], e["message"]) for e in expected["errors"]]
    with pytest.raises(FormatError, match="duplicate format name 'ec2list'"):
        formats.register(toy.FORMAT)
