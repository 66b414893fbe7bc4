"""A hostile or odd repository never hangs a run, blows up its memory or reads outside
the repository (issue 12 items 3, 4, 5, 8-10). Each case runs the real command line in a
subprocess with a timeout: the run must end within seconds with the JSON contract on
stdout, the good files checked, and a located error or a note for the bad input."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from iamlint import sources
from iamlint.engine import Options, run

INSTANCE = 'resource "aws_instance" "w" {\n  ami = "ami-1"\n}\n'
TEMPLATE = 'AWSTemplateFormatVersion: "2010-09-09"\nResources:\n  Web:\n    Type: AWS::EC2::Instance\n    Properties:\n      ImageId: ami-1\n'
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

posix = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs and /dev/zero are POSIX")


def check(cwd: Path, *args: str, timeout: int = 60) -> tuple[int, dict, str]:
    """Exit code, JSON report and stderr of ``iamlint check --format json ARGS``."""
    done = subprocess.run([sys.executable, "-m", "iamlint", "check", "--format", "json", "--no-cache", *args],
                          cwd=cwd, capture_output=True, text=True, timeout=timeout)
    return done.returncode, json.loads(done.stdout), done.stderr


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def found(report: dict) -> set[tuple[str, str]]:
    return {(f["rule"], f["path"]) for f in report["findings"]}


def errors(report: dict) -> dict[str, dict]:
    return {e["path"]: e for e in report["errors"]}


# -- item 4: only regular files are opened ------------------------------------------------


@posix
def test_a_fifo_and_a_symlink_to_dev_zero_named_main_tf_are_skipped_with_a_note(tmp_path):
    write(tmp_path, {"ok/main.tf": INSTANCE, "fifo/other.tf": INSTANCE, "outside.tf": INSTANCE})
    os.mkfifo(tmp_path / "fifo" / "main.tf")
    (tmp_path / "link").mkdir()
    (tmp_path / "link" / "main.tf").symlink_to("/dev/zero")
    (tmp_path / "ok" / "escape.tf").symlink_to(tmp_path / "outside.tf")
    (tmp_path / "fifo" / "t.yaml").symlink_to(tmp_path / "fifo" / "main.tf")  # inside, to a FIFO
    code, report, stderr = check(tmp_path, "ok", "fifo", "link")
    # never a silent green: "link" holds nothing that can be checked (its one file is skipped), an input error
    assert code == 2 and [(e["path"], e["message"].split(";")[0]) for e in report["errors"]] == [
        ("link", "no Terraform, OpenTofu or CloudFormation files found under link")]
    assert found(report) >= {("EC2001", "ok/main.tf"), ("EC2001", "fifo/other.tf")}
    assert "iamlint: note: fifo/main.tf: skipped: a FIFO, not a regular file" in stderr
    assert "iamlint: note: fifo/t.yaml: skipped: a FIFO, not a regular file" in stderr
    assert "iamlint: note: link/main.tf: not followed: a symlink to a path outside the folders being checked" in stderr
    assert "iamlint: note: ok/escape.tf: not followed" in stderr  # leaves the folders checked (ok, fifo, link)


@posix
def test_files_named_on_the_command_line_skip_special_siblings(tmp_path):
    """pre-commit passes file names: the named file's folder is loaded, minus a FIFO."""
    write(tmp_path, {"m/other.tf": INSTANCE})
    os.mkfifo(tmp_path / "m" / "main.tf")
    code, report, stderr = check(tmp_path, "m/other.tf")
    assert code == 1 and found(report) == {("EC2001", "m/other.tf"), ("EC2003", "m/other.tf")}
    assert "note: m/main.tf: skipped: a FIFO" in stderr
    code, report, stderr = check(tmp_path, "m/main.tf")
    assert code == 0 and report["findings"] == [] and "note: m/main.tf: skipped: a FIFO" in stderr


@posix
def test_var_files_and_file_reads_never_block(tmp_path):
    write(tmp_path, {
        ".git/HEAD": "",
        "m/main.tf": INSTANCE + 'resource "aws_instance" "u" {\n  ami       = "ami-1"\n'
                                '  user_data = file("${path.module}/script.sh")\n}\n',
        "m/.iamlint.toml": 'var-files = ["prod.tfvars", "zero.tfvars"]\n',
    })
    os.mkfifo(tmp_path / "m" / "prod.tfvars")
    os.mkfifo(tmp_path / "m" / "script.sh")
    (tmp_path / "m" / "zero.tfvars").symlink_to("/dev/zero")  # inside the repository, leading out
    code, report, _ = check(tmp_path, "m")
    assert code == 2 and ("EC2001", "m/main.tf") in found(report)
    (error,) = report["errors"]
    assert error["path"] == "m/.iamlint.toml" and error["line"] == 1 and "'zero.tfvars' is outside the repository" in error["message"]
    (tmp_path / "m" / "zero.tfvars").unlink()
    (tmp_path / "m" / ".iamlint.toml").write_text('var-files = ["prod.tfvars"]\n')
    code, report, _ = check(tmp_path, "m")
    assert code == 2 and ("EC2001", "m/main.tf") in found(report)
    assert [(e["path"].endswith("m/prod.tfvars"), e["message"]) for e in report["errors"]] == [
        (True, "not read: a FIFO, not a regular file")]
    code, report, _ = check(tmp_path, "--var-file", "/dev/zero", "--isolated", "m")  # the user's own flag
    assert code == 2 and [e["message"] for e in report["errors"]] == ["not read: a character device, not a regular file"]


# -- item 5: every read is capped -----------------------------------------------------------


def test_the_size_cap_is_10_mib_by_default_and_set_from_the_command_line_only(tmp_path):
    assert sources.DEFAULT_MAX_BYTES == sources.max_bytes() == 10 * 1024 * 1024
    write(tmp_path, {"m/main.tf": INSTANCE, "m/big.tf": "# padding\n" * 20_000, "n/main.tf": INSTANCE})
    code, report, _ = check(tmp_path, "--max-file-size", "100KiB", "m", "n")
    assert code == 2 and found(report) >= {("EC2001", "m/main.tf"), ("EC2001", "n/main.tf")}
    (error,) = report["errors"]
    assert error["path"] == "m/big.tf" and "over the 100.0 KiB limit" in error["message"] and "--max-file-size" in error["message"]
    assert check(tmp_path, "m")[0] == 1  # under the default
    write(tmp_path, {"m/.iamlint.toml": "max-file-size = 1\n"})  # a repository cannot raise or lower it
    code, report, _ = check(tmp_path, "m")
    assert code == 2 and "max-file-size: unknown key" in report["errors"][0]["message"]


def test_var_files_of_the_size_of_a_disk_are_refused_without_reading(tmp_path):
    big = tmp_path / "m" / "huge.tfvars"
    write(tmp_path, {"m/main.tf": INSTANCE})
    with open(big, "wb") as handle:  # a sparse 20 GB file: reading it would take the memory
        handle.truncate(20 * 1024**3)
    code, report, _ = check(tmp_path, "--var-file", str(big), "m")
    assert code == 2 and ("EC2001", "m/main.tf") in found(report)
    assert "20480.0 MiB is over the 10.0 MiB limit" in report["errors"][0]["message"]


# -- Terraform's file functions read inside the repository only ------------------------------

POLICY_FROM_FILE = """resource "aws_iam_policy" "p" {
  name   = "p"
  policy = file("%s")
}
resource "aws_iam_policy" "listed" {
  name   = "listed"
  policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "s3:GetObject",
                        Resource = [for f in fileset("%s", "*.json") : "arn:aws:s3:::b/${f}"] }] })
}
"""
WILDCARD = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}'


@pytest.mark.parametrize("git", [True, False], ids=["git-repository", "no-git"])
def test_file_functions_read_inside_the_repository_only(tmp_path, git):
    # outside: a policy (IAM002 if it were read) and a folder to list, beside the repository
    write(tmp_path, {"outside/policy.json": WILDCARD, "repo/inside/policy.json": WILDCARD})
    if git:
        (tmp_path / "repo" / ".git").mkdir()
    for where in ("../../outside", str(tmp_path / "outside")):
        write(tmp_path, {"repo/m/main.tf": POLICY_FROM_FILE % (f"{where}/policy.json", where)})
        _, report, _ = check(tmp_path / "repo", "m")
        # the outside policy was never read: no finding located in it or naming what it grants
        assert not [f for f in report["findings"] if f["rule"] == "IAM002" or "outside" in f["path"]]
    write(tmp_path, {"repo/m/main.tf": POLICY_FROM_FILE % ("../inside/policy.json", "../inside")})
    _, report, _ = check(tmp_path / "repo", "m") if git else check(tmp_path, "repo")
    assert ("IAM002", "repo/inside/policy.json" if not git else "inside/policy.json") in found(report)


# -- item 3: a repository's configuration reads inside the repository only -------------------


@pytest.mark.parametrize("git", [True, False], ids=["git-repository", "no-git"])
def test_configuration_paths_stay_in_the_repository(tmp_path, git):
    write(tmp_path, {"repo/m/main.tf": INSTANCE, "secret.tfvars": 'x = "outside"\n'})
    if git:
        (tmp_path / "repo" / ".git").mkdir()
    for given in ("/etc/shadow", "../../secret.tfvars", str(tmp_path / "secret.tfvars")):
        write(tmp_path, {"repo/m/.iamlint.toml": f"# read outside\nvar-files = [{json.dumps(given)}]\n"})
        code, report, _ = check(tmp_path / "repo", "m")
        assert code == 2 and ("EC2001", "m/main.tf") in found(report)  # checked, with the defaults
        (error,) = report["errors"]
        assert (error["path"], error["line"]) == ("m/.iamlint.toml", 2), error
        assert error["message"].startswith(f"var-files: {given!r} is outside the repository"), error
    write(tmp_path, {"repo/m/.iamlint.toml": 'var-files = ["vars/prod.tfvars"]\n', "repo/m/vars/prod.tfvars": 'x = 1\n'})
    assert check(tmp_path / "repo", "m")[1]["errors"] == []


def test_a_configuration_given_on_the_command_line_is_trusted(tmp_path):
    write(tmp_path, {"repo/m/main.tf": 'variable "ami" {}\nresource "aws_instance" "w" {\n  ami = var.ami\n}\n',
                     "mine/custom.toml": f'var-files = [{json.dumps(str(tmp_path / "mine" / "vars.tfvars"))}]\n',
                     "mine/vars.tfvars": 'ami = "ami-1"\n'})
    code, report, _ = check(tmp_path / "repo", "--config", str(tmp_path / "mine" / "custom.toml"), "m")
    assert code == 1 and report["errors"] == []


# -- item 9: nothing skipped without a word ---------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32", "utf-8-sig"])
def test_templates_with_a_byte_order_mark_are_read(tmp_path, encoding):
    data = TEMPLATE.encode(encoding)
    if encoding == "utf-16-be":
        data = b"\xfe\xff" + data
    (tmp_path / "t.yaml").write_bytes(data)
    code, report, _ = check(tmp_path, "t.yaml")
    assert code == 1 and {(f["rule"], f["line"]) for f in report["findings"]} >= {("EC2001", 3)}


def test_undecodable_text_is_a_located_error(tmp_path):
    (tmp_path / "t.yaml").write_bytes(b"\xff\xfe" + TEMPLATE.encode("utf-16-le") + b"\x00\xd8\x41\x00")  # a lone surrogate
    (tmp_path / "u.yaml").write_bytes(TEMPLATE.encode() + b"      Bad: \xff\n")
    (tmp_path / "main.tf").write_bytes(INSTANCE.encode() + b"# \xc3\x28\n")
    code, report, _ = check(tmp_path, ".")
    assert code == 2
    assert {(e["path"], e["line"], e["message"]) for e in report["errors"]} == {
        ("t.yaml", 7, "not valid UTF-16"), ("u.yaml", 7, "not valid UTF-8"), ("main.tf", 4, "not valid UTF-8")}


def test_a_folder_that_cannot_be_listed_and_a_file_that_cannot_be_read_are_input_errors(tmp_path, monkeypatch):
    """(Simulated: the tests may run as root, who can read any folder.)"""
    write(tmp_path, {"ok/main.tf": INSTANCE, "locked/main.tf": INSTANCE, "closed/main.tf": INSTANCE,
                     "closed/t.yaml": TEMPLATE})
    real_scandir, real_open = os.scandir, os.open
    locked, closed = str(tmp_path / "locked"), (str(tmp_path / "closed" / "main.tf"), str(tmp_path / "closed" / "t.yaml"))

    def scandir(path="."):
        if os.path.abspath(path) == locked:
            raise PermissionError(13, "Permission denied", path)
        return real_scandir(path)

    def open_(path, *args, **kwargs):
        if os.path.abspath(path) in closed:
            raise PermissionError(13, "Permission denied", path)
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "scandir", scandir)
    monkeypatch.setattr(os, "open", open_)
    report = run([str(tmp_path)], Options(cache=False, jobs=1))
    assert sorted((e.path, e.message) for e in report.errors) == [
        (closed[0], "cannot read: Permission denied"), (closed[1], "cannot read: Permission denied"),
        (locked, "cannot read the folder: Permission denied")]
    assert {f.path for f in report.findings} == {str(tmp_path / "ok" / "main.tf")}


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root reads any folder: chmod cannot lock it")
def test_an_unreadable_folder_and_file_are_input_errors(tmp_path):  # pragma: no cover - not as root
    write(tmp_path, {"ok/main.tf": INSTANCE, "locked/main.tf": INSTANCE, "closed/main.tf": INSTANCE})
    (tmp_path / "locked").chmod(0)
    (tmp_path / "closed" / "main.tf").chmod(0)
    try:
        code, report, _ = check(tmp_path, ".")
    finally:
        (tmp_path / "locked").chmod(0o755)
        (tmp_path / "closed" / "main.tf").chmod(0o644)
    assert code == 2 and set(errors(report)) == {"locked", "closed/main.tf"}


# -- item 10: one path spelling --------------------------------------------------------------


def test_paths_are_spelt_the_same_whether_a_folder_or_its_files_are_named(tmp_path):
    shutil.copytree(FIXTURES / "terraform-depth", tmp_path / "depth")
    root = tmp_path / "depth"
    _, by_folder, _ = check(root, ".")
    paths = {item["path"] for item in by_folder["findings"] + by_folder["errors"]}
    assert paths and not any(path.startswith("./") for path in paths)
    messages = [(e["path"], e["line"], e["message"]) for e in by_folder["errors"]]
    assert len(messages) == len(set(messages))
    cycles = [e for e in by_folder["errors"] if "module cycle" in e["message"]]
    assert len(cycles) == 2 and len({e["path"] for e in cycles}) == 2  # once each, one spelling
    named = sorted({path for path in paths if path.endswith(".tf")})
    _, by_files, _ = check(root, *[f"./{path}" for path in named])
    assert {f["path"] for f in by_files["findings"]} <= paths
    assert {(f["rule"], f["path"], f["line"]) for f in by_files["findings"]} <= {
        (f["rule"], f["path"], f["line"]) for f in by_folder["findings"]}
