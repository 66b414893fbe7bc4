"""Terraform: the .tf files of one module directory -> one graph."""

from __future__ import annotations

from iamlint.model.graph import Graph, Resource
from iamlint.model.values import Known, Unknown, Value
from iamlint.normalize.base import SourceError, UnitResult
from iamlint.normalize.terraform import policy_document
from iamlint.normalize.terraform.config import ModuleConfig
from iamlint.normalize.terraform.evaluate import Evaluator
from iamlint.normalize.terraform.resources import build_node, evaluate_body
from iamlint.parsers.terraform.syntax import HclFile


def read_text(path: str, display: str) -> tuple[str | None, SourceError | None]:
    """A source file as text (UTF-8, BOM tolerated), or a located error (honours the
    unsaved-buffer overlay of :mod:`iamlint.sources`)."""
    from iamlint.sources import read_source

    return read_source(path, display)


def parse_files(files: list[tuple[str, str]]) -> tuple[list[HclFile], list[SourceError]]:
    from iamlint.parsers.terraform.hcl import HclSyntaxError, parse_hcl

    parsed: list[HclFile] = []
    errors: list[SourceError] = []
    for path, display in files:
        if not path.endswith(".tf"):
            continue
        text, error = read_text(path, display)
        if error is not None:
            errors.append(error)
            continue
        try:
            parsed.append(parse_hcl(text, display))
        except HclSyntaxError as exc:
            errors.append(SourceError(display, exc.line, f"syntax error: {exc.message}", exc.column))
    return parsed, errors


def variable_values(config: ModuleConfig, evaluator: Evaluator) -> dict[str, Value]:
    values: dict[str, Value] = {}
    for name, block in config.variables.items():
        default = block.body.attributes.get("default")
        if default is not None:
            values[name] = evaluator.eval(default.expr)
        else:
            values[name] = Unknown(f"var.{name} has no value (no default)", block.span)
    return values


def load_module(directory: str, files: list[tuple[str, str]], options) -> UnitResult:
    parsed, errors = parse_files(files)
    config = ModuleConfig.from_files(directory, parsed)
    partition = getattr(options, "partition", "aws")
    evaluator = Evaluator(config, {}, partition)
    evaluator.data_builders["aws_iam_policy_document"] = policy_document.build
    evaluator.data_builders["aws_partition"] = _partition_data
    evaluator.variables.update(variable_values(config, evaluator))
    graph = Graph(partition=partition)
    for address, block in config.resources.items():
        graph.add(build_node(evaluator, address, block))
    for block in config.providers:
        if block.labels and block.labels[0] == "aws":
            values = evaluate_body(evaluator, block.body, block.span)
            alias = values.get("alias")
            suffix = f".{alias.value}" if isinstance(alias, Known) and isinstance(alias.value, str) else ""
            graph.add(Resource(f"provider.aws{suffix}", "provider.aws", block.span, values))
    return UnitResult(graph, [display for _, display in files], errors)


_PARTITIONS = {
    "aws": ("amazonaws.com", "aws"),
    "aws-cn": ("amazonaws.com.cn", "aws-cn"),
    "aws-us-gov": ("amazonaws.com", "aws-us-gov"),
}


def _partition_data(evaluator: Evaluator, block, address: str, attribute: str, span) -> Value:
    dns_suffix, partition = _PARTITIONS.get(evaluator.partition, _PARTITIONS["aws"])
    if attribute == "partition":
        return Known(partition, span)
    if attribute == "dns_suffix":
        return Known(dns_suffix, span)
    if attribute == "reverse_dns_prefix":
        return Known(".".join(reversed(dns_suffix.split("."))), span)
    return Unknown(f"data.{address}.{attribute} is not evaluated", span)
