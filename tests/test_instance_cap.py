"""Issue 12 item 7: count / for_each expansion is linear, and at most --max-instances
instances of a block are judged one by one; the rest are judged together as one
``[*]`` stand-in whose findings are reported once, saying how many instances share them.
(The figures are measured by benchmarks/bench_expansion.py, not here.)"""

from __future__ import annotations

from click.testing import CliRunner
import json

from tf_helpers import write

from iamlint.cli import main
from iamlint.engine import Options, run
from iamlint.normalize.terraform import load_module
from iamlint.options import MAX_INSTANCES

COUNTED = '''\
resource "aws_instance" "web" {
  count         = 100000
  ami           = "ami-123"
  instance_type = "t3.micro"
}
'''

KEYED = '''\
locals {
  names = toset([for i in range(%d) : "k${i}"])
}
resource "aws_iam_role" "r" {
  for_each           = local.names
  name               = "role-${each.key}"
  assume_role_policy = jsonencode({Version = "2012-10-17", Statement = [{Effect = "Allow", Action = "sts:AssumeRole", Principal = {Service = "ec2.amazonaws.com"}}]})
}
resource "aws_iam_instance_profile" "p" {
  for_each = local.names
  role     = aws_iam_role.r[each.key].name
}
resource "aws_instance" "web" {
  for_each             = local.names
  ami                  = "ami-123"
  instance_type        = "t3.micro"
  iam_instance_profile = aws_iam_instance_profile.p[each.key].name
  metadata_options {
    http_tokens = "required"
  }
}
'''


def _report(folder, **options):
    return run([str(folder)], Options(cache=False, jobs=1, **options))


def test_count_100000_judges_the_cap_and_reports_the_rest_once(tmp_path):
    write(tmp_path, {"main.tf": COUNTED})
    report = _report(tmp_path, select={"EC2001"})
    assert report.errors == []
    assert report.resources == MAX_INSTANCES + 1
    assert len(report.findings) == MAX_INSTANCES + 1
    one_by_one = {f.resource for f in report.findings if "[*]" not in f.resource}
    assert one_by_one == {f"aws_instance.web[{i}]" for i in range(MAX_INSTANCES)}
    [rest] = [f for f in report.findings if f.resource == "aws_instance.web[*]"]
    assert (rest.rule, rest.line, rest.column) == ("EC2001", 1, 1)
    assert "and 99,000 more instances of aws_instance.web[*]" in rest.message
    assert "beyond the first 1,000 judged one by one" in rest.message


def test_the_cap_is_an_option_in_the_cache_key():
    assert Options().cache_key()["max_instances"] == MAX_INSTANCES
    assert Options(max_instances=5).cache_key() != Options().cache_key()


def test_for_each_stand_in_follows_the_stand_in_of_the_same_keys(tmp_path):
    """The issue's shape: instance, profile and role over the same keys. The stand-in
    instance's ``[each.key]`` selects the profile's stand-in, which selects the role's:
    nothing is reported, no "cannot verify" either."""
    write(tmp_path, {"main.tf": KEYED % 50})
    report = _report(tmp_path, max_instances=10)
    assert report.errors == [] and report.findings == []
    assert report.resources == 3 * 11


def test_stand_in_that_selects_keys_the_target_lacks_cannot_be_verified(tmp_path):
    """The profile has fewer keys than the instances: which profile the instances beyond
    the cap use is not one stand-in's, so the stand-in is "cannot verify", never a guess."""
    text = (KEYED % 50).replace("resource \"aws_iam_instance_profile\" \"p\" {\n  for_each = local.names",
                                "resource \"aws_iam_instance_profile\" \"p\" {\n  for_each = toset([for i in range(40) : \"k${i}\"])")
    write(tmp_path, {"main.tf": text})
    report = _report(tmp_path, max_instances=10)
    assert report.errors == []
    found = {(f.rule, f.resource) for f in report.findings}
    assert found == {("EC2002", "aws_instance.web[*]")}


def test_count_index_beyond_the_cap_selects_the_stand_in(tmp_path):
    write(tmp_path, {"main.tf": '''\
resource "aws_iam_role" "r" {
  name               = "r"
  assume_role_policy = jsonencode({Statement = [{Effect = "Allow", Action = "sts:AssumeRole", Principal = {Service = "ec2.amazonaws.com"}}]})
}
resource "aws_iam_instance_profile" "p" {
  count = 30
  role  = aws_iam_role.r.name
}
resource "aws_instance" "web" {
  count                = 20
  ami                  = "ami-1"
  iam_instance_profile = aws_iam_instance_profile.p[count.index].name
  metadata_options {
    http_tokens = "required"
  }
}
resource "aws_instance" "named" {
  ami                  = "ami-1"
  iam_instance_profile = aws_iam_instance_profile.p[25].name
  metadata_options {
    http_tokens = "required"
  }
}
resource "aws_instance" "missing" {
  ami                  = "ami-1"
  iam_instance_profile = aws_iam_instance_profile.p[35].name
  metadata_options {
    http_tokens = "required"
  }
}
'''})
    report = _report(tmp_path, max_instances=5)
    # web[*] (indexes 5-19) uses p[*] (5-29), named uses p[25], which p[*] stands for
    assert report.errors == []
    assert [(f.rule, f.resource, f.line, f.column) for f in report.findings] == [("EC2002", "aws_instance.missing", 26, 26)]
    assert "has no instance [35]" in report.findings[0].message


def test_module_instances_beyond_the_cap(tmp_path):
    write(tmp_path, {
        "main.tf": 'module "app" {\n  source = "./app"\n  count  = 7\n}\n',
        "app/main.tf": 'resource "aws_instance" "web" {\n  ami = "ami-1"\n}\n',
    })
    report = _report(tmp_path, max_instances=2, select={"EC2001"})
    assert report.errors == []
    assert sorted(f.resource for f in report.findings if f.resource.startswith("module.")) == [
        "module.app[*].aws_instance.web", "module.app[0].aws_instance.web", "module.app[1].aws_instance.web"]
    [rest] = [f for f in report.findings if "[*]" in f.resource]
    assert "and 5 more instances of module.app[*], beyond the first 2 judged one by one" in rest.message
    assert (rest.line, rest.column) == (1, 1) and rest.path.endswith("app/main.tf")


def test_whole_reference_to_a_capped_block_is_unknown_and_a_splat_lists_the_stand_in(tmp_path):
    write(tmp_path, {"main.tf": '''\
resource "aws_iam_role" "r" {
  count = 5
  name  = "r${count.index}"
}
locals {
  whole = aws_iam_role.r
  names = aws_iam_role.r[*].name
}
'''})
    result = load_module(str(tmp_path), [(str(tmp_path / "main.tf"),) * 2], Options(max_instances=2))
    assert result.errors == []
    assert [n.address for n in result.graph.nodes] == ["aws_iam_role.r[0]", "aws_iam_role.r[1]", "aws_iam_role.r[*]"]
    assert result.graph.stand_ins == {"aws_iam_role.r[*]": (3, 2)}
    # the stand-in's own attributes: count.index is unknown there, never one of the keys
    name = result.graph.by_address("aws_iam_role.r[*]").attributes["name"]
    assert "judged together" in name.reason


def test_max_instances_from_configuration_and_command_line(tmp_path):
    write(tmp_path, {"main.tf": COUNTED.replace("100000", "10"), ".iamlint.toml": "max-instances = 3\nselect = [\"EC2001\"]\n"})

    def resources(*args):
        result = CliRunner().invoke(main, ["check", "--no-cache", "--format", "json", *args, str(tmp_path)])
        assert result.exit_code == 1, result.output
        return sorted(f["resource"] for f in json.loads(result.output)["findings"])

    assert resources() == ["aws_instance.web[*]", "aws_instance.web[0]", "aws_instance.web[1]", "aws_instance.web[2]"]
    assert resources("--max-instances", "1") == ["aws_instance.web[*]", "aws_instance.web[0]"]
    assert len(resources("--max-instances", "10")) == 10


def test_bad_max_instances_in_configuration_is_a_configuration_error(tmp_path):
    write(tmp_path, {"main.tf": COUNTED, ".iamlint.toml": "max-instances = 0\n"})
    result = CliRunner().invoke(main, ["check", "--no-cache", str(tmp_path)])
    assert result.exit_code == 2 and "max-instances" in result.output and "positive integer" in result.output
