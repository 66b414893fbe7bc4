"""File functions: ``file`` and ``templatefile`` read relative to the root module (as
Terraform runs there) and keep the lines of the file they read; ``fileset`` globs.
An unsaved editor buffer wins over the file on disk; every path read is recorded for the
cache."""

from __future__ import annotations

import glob
import os
from dataclasses import replace
from typing import Any

from iamlint.model.span import Span
from iamlint.model.values import Known, PartialText, SourceText, Unknown, Value
from iamlint.normalize.terraform.functions.lift import Function, known_args, pure
from iamlint.sources import inside, read_source


def _read(evaluator: Any, arg: Value, name: str, span: Span) -> tuple[str, str] | Unknown:
    if not isinstance(arg, Known) or not isinstance(arg.value, str):
        reason = arg.reason if isinstance(arg, Unknown) else "the path is not a string"
        return Unknown(f"{name}(): {reason}", span)
    path = arg.value
    if not os.path.isabs(path) and not os.path.exists(path):
        # Terraform runs in the root module folder: relative paths start there
        path = os.path.normpath(os.path.join(evaluator.root_directory, path))
    loader = getattr(evaluator, "loader", None)
    refused = _outside(loader, path, name, arg.value, span)
    if refused is not None:
        return refused
    if loader is not None:
        loader.sources.append(path)
    # an unsaved editor buffer wins over the file; a regular file only, capped (iamlint.sources)
    text, error = read_source(path)
    if text is None:
        problem = error.message.removeprefix("cannot read: ") if error is not None else "not read"
        return Unknown(f"{name}(): cannot read {arg.value}: {problem}", span)
    return path, text


def _outside(loader: Any, path: str, name: str, given: str, span: Span) -> Unknown | None:
    """An Unknown when ``path`` lies outside the repositories checked: a repository under
    review may not make iamlint read (or list) the machine's other files."""
    roots = getattr(loader, "read_roots", ())
    if roots and not any(inside(path, root) for root in roots):
        return Unknown(f"{name}(): {given} is outside the repository checked ({', '.join(roots)}): not read", span)
    return None


def _file(evaluator: Any, args: list[Value], span: Span) -> Value:
    (arg,) = args
    read = _read(evaluator, arg, "file", span)
    if isinstance(read, Unknown):
        return read
    path, text = read
    end = text.count("\n") + 1
    return SourceText(text, Span(path, 1, 1, end, 1), 1, 1, 0)


def _templatefile(evaluator: Any, args: list[Value], span: Span) -> Value:
    # start-up: the template parser, needed only when a template is rendered
    from iamlint.parsers.terraform.choice import parse_template
    from iamlint.parsers.terraform.errors import HclSyntaxError

    arg, variables = args
    read = _read(evaluator, arg, "templatefile", span)
    if isinstance(read, Unknown):
        return read
    path, text = read
    if isinstance(variables, Unknown):
        return Unknown(f"templatefile(): {variables.reason}", span)
    if not isinstance(variables.value, dict):
        raise ValueError("the variables of templatefile() are not a map")
    try:
        template = parse_template(text, path, 1, 1, 0)
    except HclSyntaxError as exc:
        evaluator.error(Span(path, exc.line, exc.column, exc.line, exc.column + 1), f"template syntax error: {exc.message}")
        return Unknown(f"templatefile(): {path} has a syntax error", span)
    scope = dict(variables.value)
    rendered = evaluator.eval(template, scope)
    if isinstance(rendered, PartialText):  # its known text, in the template file, is still judged
        return replace(rendered, reason=f"templatefile(): {rendered.reason}")
    if isinstance(rendered, Unknown):
        return Unknown(f"templatefile(): {rendered.reason}", span)
    if isinstance(rendered, SourceText):
        return rendered
    if isinstance(rendered, Known) and isinstance(rendered.value, str):
        if rendered.value.count("\n") == text.count("\n"):
            end = text.count("\n") + 1
            return SourceText(rendered.value, Span(path, 1, 1, end, 1), 1, 1, 0)
        return Known(rendered.value, span)
    return rendered


def _fileset(evaluator: Any, args: list[Value], span: Span) -> Value:
    """fileset(path, pattern): the files under ``path`` matching the glob, sorted,
    relative to ``path`` (``**`` matches across folders)."""
    values = known_args(args, span, "fileset")
    if isinstance(values, Unknown):
        return values
    base, pattern = values
    if not os.path.isabs(base) and not os.path.isdir(base):
        base = os.path.normpath(os.path.join(evaluator.root_directory, base))
    loader = getattr(evaluator, "loader", None)
    refused = _outside(loader, base, "fileset", values[0], span)
    if refused is not None:
        return refused
    if loader is not None:
        loader.sources.append(base)
    found = sorted(os.path.relpath(path, base).replace(os.sep, "/")
                   for path in glob.glob(os.path.join(base, pattern), recursive=True) if os.path.isfile(path))
    return Known([Known(name, span) for name in found[:100_000]], span)



FUNCTIONS: dict[str, Function] = {
    "file": _file,
    "templatefile": _templatefile,
    "fileexists": pure("fileexists", os.path.isfile),
    "fileset": _fileset,
    "basename": pure("basename", os.path.basename),
    "dirname": pure("dirname", os.path.dirname),
    "abspath": pure("abspath", os.path.abspath),
}
