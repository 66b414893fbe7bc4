"""One way of selecting an instance (instances.Expansion.select / whole) for resources,
data sources and module calls alike: an index names one instance (a key that names none
is an Unknown saying so, written as an address suffix); a counted block without an index
is all of them (a list for count, a map for for_each); a splat lists them; when the keys
cannot be evaluated the one stand-in instance serves an index or a splat, and anything
else is Unknown (its length is not known)."""

from __future__ import annotations

from tf_helpers import write

from iamlint.engine import Options
from iamlint.model.values import Encoded, Known, Ref, Unknown

MAIN = '''
variable "n" {}
variable "k" {}
resource "aws_iam_role" "c" {
  count = 2
  name  = "c${count.index}"
}
resource "aws_iam_role" "u" {
  count = var.n
  name  = "u"
}
data "aws_iam_policy_document" "d" {
  for_each = toset(["a", "b"])
  statement {
    actions   = ["s3:${each.key}"]
    resources = ["*"]
  }
}
data "aws_iam_policy_document" "du" {
  count = var.n
  statement {
    actions   = ["s3:x"]
    resources = ["*"]
  }
}
module "m" {
  source = "./m"
  count  = 2
}
module "mu" {
  source = "./m"
  count  = var.n
}
module "mf" {
  source   = "./m"
  for_each = {}
}
resource "aws_s3_bucket" "probe" {
  res_index      = aws_iam_role.c[1]
  res_float      = aws_iam_role.c[1.0]
  res_fraction   = aws_iam_role.c[1.5]
  res_missing    = aws_iam_role.c[5]
  res_bool       = aws_iam_role.c[true]
  res_unknown    = aws_iam_role.u[0]
  res_unknown_k  = aws_iam_role.u[var.k]
  res_whole_u    = aws_iam_role.u
  res_splat_u    = aws_iam_role.u[*].arn
  data_missing   = data.aws_iam_policy_document.d["z"]
  data_key       = data.aws_iam_policy_document.d["b"].json
  data_whole     = data.aws_iam_policy_document.d
  data_splat     = data.aws_iam_policy_document.d[*].json
  data_unknown   = data.aws_iam_policy_document.du[0].json
  data_whole_u   = data.aws_iam_policy_document.du
  data_splat_u   = data.aws_iam_policy_document.du[*].json
  mod_index      = module.m[1].arn
  mod_missing    = module.m[7]
  mod_whole      = module.m
  mod_unknown    = module.mu[0].arn
  mod_whole_u    = module.mu
  mod_splat_u    = module.mu[*].arn
  mod_empty      = module.mf
  mod_empty_key  = module.mf["x"]
}
'''


def _probe(tmp_path) -> dict:
    write(tmp_path, {"main.tf": MAIN, "m/main.tf": 'output "arn" { value = "x" }\n'})
    from iamlint.normalize.terraform import load_module

    result = load_module(str(tmp_path), [(str(tmp_path / "main.tf"),) * 2], Options(cache=False))
    assert result.errors == []
    return result.graph.by_address("aws_s3_bucket.probe").attributes


def test_resources(tmp_path):
    values = _probe(tmp_path)
    assert isinstance(values["res_index"], Ref) and values["res_index"].address == "aws_iam_role.c[1]"
    assert values["res_float"].address == "aws_iam_role.c[1]"
    assert values["res_fraction"] == Unknown("aws_iam_role.c has no instance [1.5]", values["res_fraction"].span)
    assert values["res_missing"].reason == "aws_iam_role.c has no instance [5]"
    assert isinstance(values["res_bool"], Ref) and "which instance of aws_iam_role.c" in values["res_bool"].reason
    # unknown count: an index names the one stand-in node as the reference wrote it
    assert values["res_unknown"].address == "aws_iam_role.u[0]"
    assert isinstance(values["res_unknown_k"], Ref) and values["res_unknown_k"].address == "aws_iam_role.u"
    assert "count cannot be evaluated" in values["res_unknown_k"].reason
    assert type(values["res_whole_u"]) is Unknown and "count cannot be evaluated" in values["res_whole_u"].reason
    (arn,) = values["res_splat_u"].value
    assert isinstance(arn, Ref) and (arn.address, arn.attribute) == ("aws_iam_role.u", "arn")


def test_data_sources(tmp_path):
    values = _probe(tmp_path)
    assert values["data_missing"].reason == 'data.aws_iam_policy_document.d has no instance ["z"]'
    assert isinstance(values["data_key"].value, Encoded)
    assert sorted(values["data_whole"].value) == ["a", "b"]  # for_each: a map by key
    assert [isinstance(item.value, Encoded) for item in values["data_splat"].value] == [True, True]
    assert isinstance(values["data_unknown"].value, Encoded)
    assert type(values["data_whole_u"]) is Unknown  # how many instances is not known
    assert [isinstance(item.value, Encoded) for item in values["data_splat_u"].value] == [True]


def test_module_calls(tmp_path):
    values = _probe(tmp_path)
    assert isinstance(values["mod_index"], Known) and values["mod_index"].value == "x"
    assert values["mod_missing"].reason == "module.m has no instance [7]"
    assert [item.value["arn"].value for item in values["mod_whole"].value] == ["x", "x"]  # count: a list
    assert values["mod_unknown"].value == "x"
    assert type(values["mod_whole_u"]) is Unknown
    assert [item.value for item in values["mod_splat_u"].value] == ["x"]
    assert values["mod_empty"].value == {}  # for_each over nothing: an empty map
    assert values["mod_empty_key"].reason == 'module.mf has no instance ["x"]'
