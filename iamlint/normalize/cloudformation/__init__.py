"""CloudFormation and SAM templates -> the common resource graph.

:func:`load_template` is what the CloudFormation input formats call for every candidate
file (.yaml, .yml, .json, .template, *.cfn.*): files that are not templates give None,
silently.
"""

from __future__ import annotations

import re
from typing import Callable

from iamlint.model.units import SourceError, SourceFacts, UnitResult
from iamlint.model.graph import Graph, Node
from iamlint.model.span import Span
from iamlint.model.values import Known
from iamlint.normalize.cloudformation import sam
from iamlint.normalize.cloudformation.intrinsics import Evaluator
from iamlint.normalize.cloudformation.resources import Properties, build, inherit_launch_template_profiles
from iamlint.normalize.cloudformation.template import Template, declared_suppressions
from iamlint.normalize.cloudformation.values import NO_VALUE
from iamlint.parsers.cloudformation import (
    TemplateSyntaxError,
    is_json_text,
    is_template,
    looks_like_template,
    parse,
)
from iamlint.parsers.heap import without_gc
from iamlint.sources import decode, decode_lossy, overlay_text, read_bytes

__all__ = ["load_template", "graph_from_tree"]

_KEY_LOOKBACK = 40
SERVERLESS = "AWS::Serverless::"
_SURELY_TEMPLATE = re.compile(r"AWSTemplateFormatVersion|^[\"']?Resources[\"']?\s*:", re.MULTILINE)
_SURELY_JSON_TEMPLATE = re.compile(r"\"(?:AWSTemplateFormatVersion|Resources)\"\s*:")


Scan = Callable[[str, str], "SourceFacts | None"]
"""(text, display path) -> the comment facts of the file (its format's syntax)."""


def load_template(path: str, display: str, partition: str = "aws", scan: Scan | None = None) -> UnitResult | None:
    """The graph of the template at ``path`` (shown as ``display``), None when the file
    is not a CloudFormation/SAM template; unreadable or invalid templates give an
    empty graph and a located error. ``scan`` records the facts of the file's comments
    (its format's syntax; the template's Metadata suppressions are added to them)."""
    buffer = overlay_text(path)  # an editor's unsaved buffer (--stdin-filename)
    if buffer is not None:
        return load_text(buffer, display, partition, scan)
    data, error = read_bytes(path, display)  # a regular file only, capped
    if data is None:
        assert error is not None
        return UnitResult(Graph(partition=partition), files=[display], errors=[error])
    text, error = decode(data, display)  # UTF-8, or UTF-16/32 after a byte order mark
    if text is None:
        assert error is not None
        if not looks_like_template(decode_lossy(data)):
            return None
        return UnitResult(Graph(partition=partition), files=[display], errors=[error])
    return load_text(text, display, partition, scan)


def load_text(text: str, display: str, partition: str = "aws", scan: Scan | None = None) -> UnitResult | None:
    """Like :func:`load_template`, for a text already read."""
    if not looks_like_template(text):
        return None
    with without_gc():
        result = _load_text(text, display, partition)
    if result is not None:
        _add_facts(result, text, display, scan)
    return result


def _load_text(text: str, display: str, partition: str) -> UnitResult | None:
    try:
        tree = parse(text, display)
    except TemplateSyntaxError as exc:
        if not _surely_template(text):
            return None
        return _failed(display, partition, exc.line, exc.message, exc.column)
    if not is_template(tree):
        return None
    declared = declared_suppressions(tree)
    try:
        graph = graph_from_tree(tree, display, partition, text)
    except RecursionError:
        result = _failed(display, partition, 1, "the template is nested too deeply to evaluate")
    else:
        result = UnitResult(graph, files=[display])
    if declared:
        result.facts[display] = SourceFacts(display, declared=declared)
    return result


def _add_facts(result: UnitResult, text: str, display: str, scan: Scan | None) -> None:
    """The file's comment facts, with the Metadata suppressions found in the tree."""
    facts = scan(text, display) if scan is not None else None
    if facts is None:
        return
    declared = result.facts.get(display)
    if declared is not None:
        facts = facts._replace(declared=declared.declared)
    result.facts[display] = facts


def graph_from_tree(tree: Known, file: str, partition: str = "aws", text: str = "") -> Graph:
    """The graph of a parsed template (resources in template order); ``text`` is the
    template's source, used to start each resource's span at its logical id."""
    template = Template.from_tree(tree, file)
    evaluator = Evaluator(template, partition)
    graph = Graph(partition=partition)
    lines: list[str] | None = None
    nodes: list[Node] = []
    for logical_id, body in template.resources.items():
        kind = template.types.get(logical_id)
        if kind is None or not isinstance(body.value, dict):
            continue  # Fn::ForEach loops, malformed entries: resources known only at deploy time
        condition = body.value.get("Condition")
        if isinstance(condition, Known) and isinstance(condition.value, str):
            if evaluator.conditions.decide(condition.value) is False:
                continue
        if lines is None:
            lines = text.splitlines()
        span = _resource_span(lines, logical_id, body.span)
        raw = body.value.get("Properties")
        if kind.startswith(SERVERLESS):
            raw = sam.with_globals(kind, raw, tree, body.span)  # type: ignore[arg-type]
        value = evaluator.evaluate(raw, "Properties") if raw is not None else Known({}, body.span)
        properties = Properties(None if value is NO_VALUE else value, span)  # type: ignore[arg-type]
        nodes.extend(build(logical_id, kind, span, properties))
        if kind.startswith(SERVERLESS) and f"{logical_id}Role" not in template.resources:
            role = sam.implicit_role(logical_id, kind, span, raw, evaluator, lines)  # type: ignore[arg-type]
            if role is not None:
                nodes.append(role)
        construct = _construct_path(body.value.get("Metadata"))
        if construct:
            graph.constructs[logical_id] = construct
    for node in inherit_launch_template_profiles(nodes):
        graph.add(node)
    return graph


def _construct_path(metadata: object) -> str | None:
    """The AWS CDK construct path of a synthesised resource (``Metadata: aws:cdk:path``)."""
    if isinstance(metadata, Known) and isinstance(metadata.value, dict):
        path = metadata.value.get("aws:cdk:path")
        if isinstance(path, Known) and isinstance(path.value, str) and path.value:
            return path.value
    return None


def _failed(display: str, partition: str, line: int, message: str, column: int = 1) -> UnitResult:
    return UnitResult(Graph(partition=partition), files=[display], errors=[SourceError(display, line, message, column)])


def _surely_template(text: str) -> bool:
    if is_json_text(text) and _SURELY_JSON_TEMPLATE.search(text):
        return True
    return _SURELY_TEMPLATE.search(text) is not None


def _resource_span(lines: list[str], logical_id: str, body: Span) -> Span:
    """From the logical id key (found just before the body) to the end of the body."""
    last = min(body.line, len(lines))
    for number in range(last, max(0, last - _KEY_LOOKBACK), -1):
        text = lines[number - 1]
        if number == body.line:
            text = text[: body.column - 1]
        column = _key_column(text, logical_id)
        if column:
            return Span(body.file, number, column, body.end_line, body.end_column)
    return body


def _key_column(text: str, key: str) -> int:
    """1-based column of ``key`` written as a mapping key (maybe quoted) in ``text``."""
    position = text.rfind(key)
    while position >= 0:
        start, end = position, position + len(key)
        if start and text[start - 1] in "\"'":
            start -= 1
            end += 1
        before = text[start - 1] if start else " "
        if before in " \t{," and text[end:].lstrip().startswith(":"):
            return start + 1
        position = text.rfind(key, 0, position)
    return 0
