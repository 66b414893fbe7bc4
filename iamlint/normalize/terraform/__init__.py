"""Terraform: the .tf / .tf.json files of one root module (and the modules it calls) -> one graph."""

from __future__ import annotations

import os

from iamlint.model.values import Known, Unknown, Value
from iamlint.normalize.base import SourceError, UnitResult
from iamlint.normalize.terraform import policy_document
from iamlint.normalize.terraform.config import ModuleConfig
from iamlint.normalize.terraform.evaluate import Evaluator
from iamlint.parsers.terraform.syntax import HclFile


def read_text(path: str, display: str) -> tuple[str | None, SourceError | None]:
    """A source file as text (UTF-8, BOM tolerated), or a located error (honours the
    unsaved-buffer overlay of :mod:`iamlint.sources`)."""
    from iamlint.sources import read_source

    return read_source(path, display)


def module_files(directory: str) -> list[tuple[str, str]]:
    """The Terraform files of a module folder (sorted), as (path, display path)."""
    try:
        names = sorted(os.listdir(directory))
    except OSError:
        return []
    return [(os.path.join(directory, n), os.path.join(directory, n)) for n in names
            if (n.endswith(".tf") or n.endswith(".tf.json")) and os.path.isfile(os.path.join(directory, n))]


_PARSED: dict[tuple, tuple[HclFile | None, SourceError | None]] = {}
_PARSED_MAX = 4096


def parse_files(files: list[tuple[str, str]]) -> tuple[list[HclFile], list[SourceError]]:
    """Parse .tf / .tf.json files. A file already parsed in this process, unchanged on
    disk (same size and modification time), is not parsed again: linting a repository
    whose examples all call the same module parses that module once."""
    parsed: list[HclFile] = []
    errors: list[SourceError] = []
    for path, display in files:
        if not path.endswith(".tf") and not path.endswith(".tf.json"):
            continue
        hcl, error = _parse_one(path, display)
        if error is not None:
            errors.append(error)
        elif hcl is not None:
            parsed.append(hcl)
    return parsed, errors


def _parse_one(path: str, display: str) -> tuple[HclFile | None, SourceError | None]:
    from iamlint.sources import active

    key = None
    if not active():  # an editor buffer may shadow the file: never cached
        try:
            stat = os.stat(path)
            key = (os.path.realpath(path), display, stat.st_size, stat.st_mtime_ns)
        except OSError:
            key = None
    if key is not None and key in _PARSED:
        return _PARSED[key]
    result = _parse_uncached(path, display)
    if key is not None:
        if len(_PARSED) >= _PARSED_MAX:
            _PARSED.clear()
        _PARSED[key] = result
    return result


def _parse_uncached(path: str, display: str) -> tuple[HclFile | None, SourceError | None]:
    from iamlint.parsers.terraform.hcl import HclSyntaxError, parse_hcl
    from iamlint.parsers.terraform.json_syntax import parse_tf_json

    text, error = read_text(path, display)
    if error is not None:
        return None, error
    try:
        return (parse_tf_json(text, display) if path.endswith(".tf.json") else parse_hcl(text, display)), None
    except HclSyntaxError as exc:
        return None, SourceError(display, exc.line, f"syntax error: {exc.message}", exc.column)


def data_builders() -> dict:
    return {
        "aws_iam_policy_document": policy_document.build,
        "aws_partition": _partition_data,
        "aws_iam_policy": policy_document.managed_policy,
        "aws_service_principal": _service_principal,
    }


def load_module(directory: str, files: list[tuple[str, str]], options) -> UnitResult:
    from iamlint.parsers.terraform.hcl import deep_recursion

    with deep_recursion():
        return _load_module(directory, files, options)


def _load_module(directory: str, files: list[tuple[str, str]], options) -> UnitResult:
    from iamlint.normalize.terraform.modules import Loader, instantiate
    from iamlint.normalize.terraform.variables import root_variables

    partition = getattr(options, "partition", "aws")
    loader = Loader(directory, partition, data_builders())
    parsed, errors = parse_files(files)
    loader.errors.extend(errors)
    config = ModuleConfig.from_files(directory, parsed)
    loader.configs[os.path.realpath(directory)] = config
    root = loader.evaluator(config, "", (os.path.realpath(directory),), ())
    values, var_errors, var_files = root_variables(config, root, directory, options)
    root.variables.update(values)
    loader.errors.extend(var_errors)
    graph = loader.graph
    instantiate(root, graph)
    shown = [display for _, display in files] + var_files
    shown += [f for f in loader.files if f not in shown]
    own = {path for path, _ in files}
    sources = [directory] + [p for p in var_files + loader.sources if p not in own]
    sources.append(os.path.join(directory, ".terraform", "modules", "modules.json"))
    return UnitResult(graph, shown, loader.errors, sources=list(dict.fromkeys(sources)))


_PARTITIONS = {
    "aws": ("amazonaws.com", "aws"),
    "aws-cn": ("amazonaws.com.cn", "aws-cn"),
    "aws-us-gov": ("amazonaws.com", "aws-us-gov"),
}


def _partition_data(evaluator: Evaluator, block, address: str, attribute: str, span, env=None) -> Value:
    dns_suffix, partition = _PARTITIONS.get(evaluator.partition, _PARTITIONS["aws"])
    if attribute in ("partition", "id"):
        return Known(partition, span)
    if attribute == "dns_suffix":
        return Known(dns_suffix, span)
    if attribute == "reverse_dns_prefix":
        return Known(".".join(reversed(dns_suffix.split("."))), span)
    return Unknown(f"data.{address}.{attribute} is not evaluated", span)


_partition_data.attributes = ("partition", "id", "dns_suffix", "reverse_dns_prefix")  # type: ignore[attr-defined]


def _service_principal(evaluator: Evaluator, block, address: str, attribute: str, span, env=None) -> Value:
    """``data "aws_service_principal"``: ``name`` is ``<service_name>.<dns suffix>`` (the
    provider's rule for the partition assumed; ``region`` is not needed for it)."""
    attrs = block.body.attributes
    service = evaluator.eval(attrs["service_name"].expr, env or {}) if "service_name" in attrs else None
    if not isinstance(service, Known) or not isinstance(service.value, str):
        return Unknown(f"data.{address}.{attribute}: the service name cannot be evaluated", span)
    dns_suffix, _ = _PARTITIONS.get(evaluator.partition, _PARTITIONS["aws"])
    if attribute in ("name", "id"):
        return Known(f"{service.value}.{dns_suffix}", service.span)
    if attribute == "suffix":
        return Known(dns_suffix, service.span)
    return Unknown(f"data.{address}.{attribute} is not evaluated", span)


_service_principal.attributes = ("name", "id", "suffix")  # type: ignore[attr-defined]
