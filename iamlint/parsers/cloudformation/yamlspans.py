"""CloudFormation YAML with source spans, on PyYAML's C loader.

The document is *composed* (not constructed) by ``CSafeLoader`` (the pure-Python
``SafeLoader`` where libyaml is missing), so no Python object is ever built from a tag;
the node tree is then converted to :class:`~iamlint.model.values.Known` values, each
with the 1-based span of its node. Short-form tags follow cfn-flip's semantics:
``!Ref`` and ``!Condition`` become ``{"Ref": ...}`` / ``{"Condition": ...}``, every other
local tag ``!X`` becomes ``{"Fn::X": ...}``, and a scalar ``!GetAtt a.b`` becomes
``{"Fn::GetAtt": ["a", "b"]}`` (split at the first dot).

Anchors and aliases share one converted value; the size the document would have once
aliases are expanded is computed first (linear in its distinct nodes) and a document
over :data:`MAX_EXPANDED_NODES` (a "billion laughs" alias bomb) or with a recursive
alias is refused. Duplicate mapping keys are an error at the second key.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from iamlint.model.span import Span
from iamlint.model.values import Known, SourceText
from iamlint.parsers.heap import without_gc

MAX_EXPANDED_NODES = 1_000_000
MAX_DEPTH = 150
_BASE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_TAG = "tag:yaml.org,2002:"
_SCALARS = SafeConstructor()
_UNCHANGED_TAGS = {"Ref": "Ref", "Condition": "Condition"}


class CfnLoader(_BASE_LOADER):  # type: ignore[misc, valid-type]
    """Composes CloudFormation YAML into a node tree (C loader where available)."""


class PureCfnLoader(yaml.SafeLoader):
    """The pure-Python composer, used where libyaml is missing (and by tests)."""


@dataclass(frozen=True, slots=True)
class FoldedText(Known):
    """A quoted string written over several lines: YAML folds its line breaks into
    spaces, so ``value`` cannot be mapped back to the file; ``raw`` is the text as
    written, starting at ``raw_line``/``raw_column`` (later lines keep their own
    columns). Not named line/column: readers of SourceText positions must not take it
    for one."""

    raw: str = ""
    raw_line: int = 1
    raw_column: int = 1

    def __repr__(self) -> str:
        return f"FoldedText({self.value!r})"


class YamlError(ValueError):
    """Invalid YAML or a refused document; ``line`` and ``column`` are 1-based."""

    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(f"{message} (line {line}, column {column})")
        self.message = message
        self.line = line
        self.column = column


def compose(text: str, loader_class: type = CfnLoader) -> Node | None:
    """The node tree of the single YAML document in ``text`` (None for an empty one)."""
    loader = loader_class(text)
    try:
        return loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        if exc.context_mark is not None and (exc.context or "").startswith("while scanning a simple key"):
            mark = exc.context_mark  # the key missing its ':' (the problem mark is a line later)
        message = ": ".join(part for part in (exc.context, exc.problem) if part)
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise YamlError(message or "invalid YAML", line, column) from None
    except RecursionError:
        raise YamlError("YAML nested too deeply", 1, 1) from None
    except yaml.YAMLError as exc:
        raise YamlError(str(exc).splitlines()[0] if str(exc) else "invalid YAML", 1, 1) from None
    finally:
        loader.dispose()


def load(text: str, file: str, loader_class: type = CfnLoader) -> Known:
    """Parse ``text`` into a value tree with spans; raises :class:`YamlError`."""
    with without_gc():
        return _load(text, file, loader_class)


def _load(text: str, file: str, loader_class: type) -> Known:
    root = compose(text, loader_class)
    if root is None:
        return Known(None, Span(file, 1, 1, 1, 1))
    if "&" in text:  # no anchor, no alias: nothing can expand
        _check_expansion(root)
    try:
        return _Converter(file, text).convert(root)
    except RecursionError:
        raise _error("YAML nested too deeply", root) from None


def _span(file: str, node: Node) -> Span:
    start, end = node.start_mark, node.end_mark
    return Span(file, start.line + 1, start.column + 1, end.line + 1, end.column + 1)


def _error(message: str, node: Node) -> YamlError:
    return YamlError(message, node.start_mark.line + 1, node.start_mark.column + 1)


def _check_expansion(root: Node) -> None:
    """Refuse recursive aliases, documents nested too deeply, and documents whose
    alias expansion is too large; linear in the number of distinct nodes."""
    sizes: dict[int, int] = {}
    active: set[int] = set()

    def size(node: Node, depth: int) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if isinstance(node, ScalarNode):
            return 1
        if key in active:
            raise _error("recursive YAML alias", node)
        if depth > MAX_DEPTH:
            raise _error(f"YAML nested more than {MAX_DEPTH} levels deep", node)
        active.add(key)
        total = 1
        for item in node.value:
            if isinstance(item, tuple):
                total += size(item[0], depth + 1) + size(item[1], depth + 1)
            else:
                total += size(item, depth + 1)
            if total > MAX_EXPANDED_NODES:
                message = f"YAML aliases expand to more than {MAX_EXPANDED_NODES:,} nodes (alias bomb)"
                raise _error(message, node)
        active.discard(key)
        sizes[key] = total
        return total

    size(root, 0)


class _Converter:
    """Node tree -> Known values; a node reached twice (an alias) yields the same value."""

    def __init__(self, file: str, text: str) -> None:
        self.file = file
        self.text = text
        self.lines: list[str] | None = None
        self.done: dict[int, Known] = {}

    def convert(self, node: Node) -> Known:
        key = id(node)
        value = self.done.get(key)
        if value is None:
            value = self._convert(node)
            self.done[key] = value
        return value

    def _convert(self, node: Node) -> Known:
        tag = node.tag or ""
        if tag.startswith("!") and len(tag) > 1:
            return self._short_form(tag[1:], node)
        if isinstance(node, ScalarNode):
            if node.tag == _TAG + "str":
                return self._text(node)
            return Known(self._scalar(node), _span(self.file, node))
        if isinstance(node, SequenceNode):
            self._plain_tag(tag, "seq", node)
            return Known([self.convert(item) for item in node.value], _span(self.file, node))
        self._plain_tag(tag, "map", node)
        return Known(self._mapping(cast(MappingNode, node)), _span(self.file, node))  # neither scalar nor sequence

    def _text(self, node: ScalarNode) -> Known:
        """A string; ``|`` blocks and multi-line quoted strings keep where their text
        sits in the file (for JSON policies and user data inside them)."""
        if node.style == "|":
            return self._literal_block(node)
        if node.style in ("'", '"') and node.start_mark.line != node.end_mark.line:
            return self._folded(node)
        if node.style == ">":
            return self._folded_block(node)
        return Known(node.value, _span(self.file, node))

    def _source_lines(self) -> list[str]:
        if self.lines is None:
            self.lines = self.text.splitlines()
        return self.lines

    def _folded(self, node: ScalarNode) -> Known:
        start, end = node.start_mark, node.end_mark
        lines = self._source_lines()[start.line : end.line + 1]
        if len(lines) != end.line - start.line + 1:
            return Known(node.value, _span(self.file, node))
        quote = lines[0].find(node.style, start.column)  # after a tag such as !Sub
        if quote < 0:
            return Known(node.value, _span(self.file, node))
        lines[-1] = lines[-1][: end.column - 1]
        lines[0] = lines[0][quote + 1 :]
        raw = "\n".join(lines)
        return FoldedText(node.value, _span(self.file, node), raw=raw, raw_line=start.line + 1, raw_column=quote + 2)

    def _folded_block(self, node: ScalarNode) -> Known:
        """A ``>`` block: its lines as written (the normaliser uses them only when they
        hold the same JSON as the folded value)."""
        lines = self._source_lines()
        first = node.start_mark.line + 1  # the line after the indicator
        end = node.end_mark.line + (1 if node.end_mark.column else 0)
        if first >= min(end, len(lines)):
            return Known(node.value, _span(self.file, node))
        raw = "\n".join(lines[first:end])
        return FoldedText(node.value, _span(self.file, node), raw=raw, raw_line=first + 1, raw_column=1)

    def _literal_block(self, node: ScalarNode) -> Known:
        """A ``|`` block keeps where its text starts (for JSON policies inside it)."""
        self._source_lines()
        assert self.lines is not None
        first = node.start_mark.line + 1  # 0-based index of the line after the indicator
        while first < len(self.lines) and not self.lines[first].strip():
            first += 1
        indent = 0
        if first < len(self.lines):
            indent = len(self.lines[first]) - len(self.lines[first].lstrip(" "))
        return SourceText(node.value, _span(self.file, node), line=first + 1, column=indent + 1, indent=indent)

    def _plain_tag(self, tag: str, expected: str, node: Node) -> None:
        if tag != _TAG + expected and tag not in ("!", ""):
            raise _error(f"unsupported YAML tag {tag!r}", node)

    def _scalar(self, node: ScalarNode) -> object:
        tag = node.tag
        if tag in (_TAG + "str", _TAG + "timestamp", "!", "", None):
            return node.value
        if tag == _TAG + "int":
            return _SCALARS.construct_yaml_int(node)
        if tag == _TAG + "float":
            return _SCALARS.construct_yaml_float(node)
        if tag == _TAG + "bool":
            return _SCALARS.construct_yaml_bool(node)
        if tag == _TAG + "null":
            return None
        raise _error(f"unsupported YAML tag {tag!r}", node)

    def _mapping(self, node: MappingNode) -> dict:
        items: dict = {}
        merged: dict = {}
        for key_node, value_node in node.value:
            if key_node.tag == _TAG + "merge":
                self._merge(value_node, merged)
                continue
            if not isinstance(key_node, ScalarNode):
                raise _error("a mapping key must be a scalar", key_node)
            key = self._key(key_node)
            if key in items:
                raise _error(f"duplicate key {key!r}", key_node)
            items[key] = self.convert(value_node)
        for key, value in merged.items():
            items.setdefault(key, value)
        return items

    def _key(self, node: ScalarNode) -> str:
        if node.tag in (_TAG + "int", _TAG + "float"):
            return str(self._scalar(node))
        return node.value

    def _merge(self, node: Node, merged: dict) -> None:
        sources = node.value if isinstance(node, SequenceNode) else [node]
        for source in sources:
            value = self.convert(source)
            if not isinstance(value.value, dict):
                raise _error("a merge key '<<' needs a mapping", source)
            for key, item in value.value.items():
                merged.setdefault(key, item)

    def _short_form(self, name: str, node: Node) -> Known:
        span = _span(self.file, node)
        function = _UNCHANGED_TAGS.get(name, "Fn::" + name)
        if function == "Fn::GetAtt" and isinstance(node, ScalarNode):
            head, _, tail = node.value.partition(".")
            parts = [Known(head, span)] + ([Known(tail, span)] if tail else [])
            return Known({function: Known(parts, span)}, span)
        if isinstance(node, ScalarNode):
            inner = self._text(node)
        elif isinstance(node, SequenceNode):
            inner = Known([self.convert(item) for item in node.value], span)
        else:
            inner = Known(self._mapping(cast(MappingNode, node)), span)  # neither scalar nor sequence
        return Known({function: inner}, span)
