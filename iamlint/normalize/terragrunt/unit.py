"""A Terragrunt unit -> one graph: the module its ``terraform { source }`` names (the
unit's own folder when there is none), evaluated by the Terraform root-module loader
with the unit's ``inputs`` as its variables and every address starting with the unit's
name (``terragrunt[live/prod/app].``), so that findings locate in the module's files and
say which unit they come from.

The unit's own ``.tf`` files join the module's (Terragrunt copies the unit's folder
over the module it downloads). Sources: a local path (``../../modules//app``: go-getter's ``//`` marks the folder
inside the copied tree) is read where it is, inside the repository checked; any other
(git, registry, http, s3...) is read from the copy Terragrunt already downloaded into the
unit's ``.terragrunt-cache`` (``<hash>/<hash>/<subfolder>``, the newest first). A remote
source with no copy, or a source that cannot be evaluated, is one ``terragrunt.source``
node holding an Unknown with the reason (EC2002 reports it as "cannot verify"): nothing
of the unit can be judged. A local source that is not a folder (or lies outside the
repository checked) is a located input error, as a Terraform module's is."""

from __future__ import annotations

import os
import re
from typing import Any, NamedTuple

from iamlint.model.graph import Graph, Resource
from iamlint.model.span import Span
from iamlint.model.units import SourceError, UnitResult
from iamlint.model.values import Known, Unknown, Value
from iamlint.normalize.terragrunt.config import CONFIG, UnitConfig, read_unit, shown
from iamlint.normalize.terraform.files import module_files
from iamlint.normalize.terraform.root import load_root
from iamlint.sources import inside, repository_root

SOURCE_NODE = "terragrunt.source"
CACHE = ".terragrunt-cache"
_REMOTE = re.compile(r"^([a-z0-9]+::|[a-z][a-z0-9+.-]*://|git@|github\.com/|bitbucket\.org/)", re.IGNORECASE)


def unit_name(directory: str) -> str:
    return f"terragrunt[{(os.path.normpath(directory)).replace(os.sep, '/')}]"


def load_unit(directory: str, options: Any) -> UnitResult | None:
    """The graph of the unit in ``directory``; None when its configuration names no
    module and its folder holds none (a parent configuration other units include)."""
    path = os.path.join(directory, CONFIG)
    roots = tuple(getattr(options, "read_roots", ())) or (repository_root(directory),)
    config = read_unit(path, roots, getattr(options, "partition", "aws"))
    name = unit_name(directory)
    own = module_files(directory)
    if not config.readable or (config.source is None and not own):
        if config.errors:
            return UnitResult(Graph(partition=getattr(options, "partition", "aws")), config.files, config.errors,
                              sources=[directory, *config.files])
        return None
    module, reason = _module(directory, config, roots)
    if module is None and reason is not None and reason.local:  # a broken configuration: an input error
        span = config.source_span or Span.point(os.path.join(directory, CONFIG), 1)
        config.errors.append(SourceError(span.file, span.line, reason.text, span.column))
        return _unavailable(directory, name, config, None, options)
    if module is None:
        return _unavailable(directory, name, config, reason.text if reason else "the module cannot be found", options)
    files = own if module == directory else _with_own(module_files(module), own)
    inputs, errors = _inputs(config)
    result = load_root(module, files, options, inputs, f"{name}.")
    result.errors[:0] = config.errors + errors
    result.files[:0] = [f for f in config.files if f not in result.files]
    # for the unit cache: the configuration files, the module's files (not the unit's own
    # when a source names them) and the downloaded copies a remote source is read from
    cache = os.path.join(directory, CACHE)
    copies = [cache] if module.startswith(cache + os.sep) else []
    result.sources = list(dict.fromkeys([directory, *config.files, *copies, module, *(p for p, _ in files),
                                         *result.sources]))
    return result


def _with_own(files: list[tuple[str, str]], own: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The module's files with the unit's own beside them: Terragrunt copies the unit's
    folder over the downloaded module (a file of the same name is the unit's)."""
    mine = {os.path.basename(path) for path, _ in own}
    return [pair for pair in files if os.path.basename(pair[0]) not in mine] + own


def _inputs(config: UnitConfig) -> tuple[dict[str, Value] | Unknown | None, list[SourceError]]:
    inputs = config.inputs
    if inputs is None or isinstance(inputs, Unknown):
        return inputs, []
    if isinstance(inputs.value, dict):
        return dict(inputs.value), []
    span = inputs.span
    return None, [SourceError(span.file, span.line, "inputs must be an object", span.column)]


class Missing(NamedTuple):
    """Why a unit's module cannot be read; ``local``: a local path that is wrong (an
    input error), else a source that cannot be known here (EC2002)."""

    text: str
    local: bool = False


def _module(directory: str, config: UnitConfig, roots: tuple[str, ...]) -> tuple[str | None, Missing | None]:
    """The module's folder, or why there is none."""
    source = config.source
    if source is None:
        return directory, None
    if not isinstance(source, Known) or not isinstance(source.value, str):
        why = source.reason if isinstance(source, Unknown) else "it is not a string"
        return None, Missing(f"its terraform source cannot be evaluated ({why})")
    text = source.value
    if not _REMOTE.match(text):
        folder = shown(os.path.join(os.path.abspath(directory), text.split("?")[0].replace("//", "/")), directory)
        if not any(inside(folder, root) for root in roots):
            return None, Missing(f"the terraform source {text!r} is outside the repository checked: not read", True)
        if not os.path.isdir(folder):
            return None, Missing(f"the terraform source {text!r} is not a folder ({folder})", True)
        return folder, None
    copy = _downloaded(directory, text)
    if copy is not None:
        return copy, None
    return None, Missing(f"its terraform source {text!r} is not downloaded (run terragrunt init so that "
                         f"{CACHE} holds a copy)")


def _downloaded(directory: str, source: str) -> str | None:
    """The newest copy of a remote source in the unit's ``.terragrunt-cache``."""
    subfolder = _subfolder(source)
    cache = os.path.join(directory, CACHE)
    candidates: list[tuple[float, str]] = []
    for first in _folders(cache):
        for second in _folders(first):
            folder = os.path.normpath(os.path.join(second, subfolder)) if subfolder else second
            if inside(folder, second) and module_files(folder):
                candidates.append((os.stat(folder).st_mtime, folder))
    return max(candidates)[1] if candidates else None


def _folders(path: str) -> list[str]:
    try:
        with os.scandir(path) as listing:
            return sorted(entry.path for entry in listing if entry.is_dir(follow_symlinks=False))
    except OSError:
        return []


def _subfolder(source: str) -> str:
    """go-getter's ``//subfolder`` of a remote source (``git::https://h/r.git//modules/app?ref=v1``)."""
    text = source.split("?", 1)[0]
    text = re.sub(r"^[a-z0-9]+::", "", text, flags=re.IGNORECASE)
    if "://" in text:
        text = text.split("://", 1)[1]
    return text.split("//", 1)[1] if "//" in text else ""


def _unavailable(directory: str, name: str, config: UnitConfig, reason: str | None, options: Any) -> UnitResult:
    """A unit whose module cannot be read: one node saying why (EC2002); none when the
    reason is already an input error (``reason`` None)."""
    span = config.source_span or Span.point(os.path.join(directory, CONFIG), 1)
    graph = Graph(partition=getattr(options, "partition", "aws"))
    if reason is not None:
        attributes: dict[str, Value] = {"source": Unknown(reason, span), "unit": Known(name, span)}
        graph.add(Resource(f"{name}.terraform.source", SOURCE_NODE, span, attributes))
    return UnitResult(graph, list(config.files), list(config.errors), sources=[directory, *config.files])
