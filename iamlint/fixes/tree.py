"""A small structural view of a file for editing: mappings, lists and scalars with the
offsets where each is written, whatever the syntax (YAML, JSON, HCL).

The parsers build values for evaluation; editing needs something else -- where each
key starts, whether a mapping is written in block or flow style, where its last entry
ends -- so each syntax is read again here, from the text being edited (which may already
hold earlier fixes). Styles: ``yaml`` (block) / ``yaml-flow``, ``json``, ``hcl-body`` (a
block's body: attributes and nested blocks), ``hcl`` (an expression: object, tuple,
literal). ``other`` nodes (a function call, a conditional, a heredoc) are not edited,
but the nodes inside them are reachable (``children``).
"""

from __future__ import annotations

import json
import re
from json.decoder import scanstring  # type: ignore[attr-defined]  # public, not in typeshed
from typing import Any, Iterator

from iamlint.fixes.text import Positions

MAP, LIST, SCALAR, OTHER = "map", "list", "scalar", "other"


class Entry:
    """One key of a mapping: its text, where the key starts and ends, its value."""

    __slots__ = ("key", "start", "key_end", "value")

    def __init__(self, key: str, start: int, key_end: int, value: TNode) -> None:
        self.key, self.start, self.key_end, self.value = key, start, key_end, value

    @property
    def end(self) -> int:
        return self.value.content_end


class TNode:
    """A value as written: ``kind`` (map, list, scalar, other), ``style`` (see the
    module), ``start``/``end`` offsets (for a block-style YAML container, ``end`` is
    where its last content ends), its entries or items, and for scalars their ``value``
    and ``quote`` (``"``, ``'`` or empty). ``open``/``close`` are the offsets of the
    brackets of a flow container or an HCL block (``close`` at the bracket itself)."""

    __slots__ = ("kind", "style", "start", "end", "entries", "items", "value", "quote", "open", "close", "tag", "children")

    def __init__(self, kind: str, style: str, start: int, end: int) -> None:
        self.kind, self.style, self.start, self.end = kind, style, start, end
        self.entries: list[Entry] = []
        self.items: list[TNode] = []
        self.value: Any = None
        self.quote = ""
        self.open = -1
        self.close = -1
        self.tag = ""
        self.children: list[TNode] = []

    @property
    def content_end(self) -> int:
        return self.end

    def get(self, key: str) -> Entry | None:
        return next((e for e in self.entries if e.key == key), None)

    def walk(self) -> Iterator[tuple[TNode, list[TNode]]]:
        """Every node below and including this one, with its ancestors (outermost first)."""
        stack: list[tuple[TNode, list[TNode]]] = [(self, [])]
        while stack:
            node, parents = stack.pop()
            yield node, parents
            inner = parents + [node]
            for child in [*(e.value for e in node.entries), *node.items, *node.children]:
                stack.append((child, inner))

    def __repr__(self) -> str:
        return f"TNode({self.kind}, {self.style}, {self.start}-{self.end})"


# ---------------------------------------------------------------------------- JSON

_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?")
_BLANK = re.compile(r"[ \t\r\n]*")


class JsonTreeError(ValueError):
    pass


def json_tree(text: str, start: int = 0, end: int | None = None) -> TNode:
    """The tree of the JSON value in ``text[start:end]`` (offsets are ``text``'s)."""
    reader = _JsonReader(text, end if end is not None else len(text))
    node, pos = reader.value(reader.skip(start), 0)
    if reader.skip(pos) != reader.end:
        raise JsonTreeError("extra data after the JSON value")
    return node


class _JsonReader:
    def __init__(self, text: str, end: int) -> None:
        self.text, self.end = text, end

    def skip(self, pos: int) -> int:
        match = _BLANK.match(self.text, pos, self.end)
        return match.end() if match else pos

    def value(self, pos: int, depth: int) -> tuple[TNode, int]:
        if depth > 400:
            raise JsonTreeError("nested too deeply")
        char = self.text[pos : pos + 1] if pos < self.end else ""
        if char == "{":
            return self.obj(pos, depth)
        if char == "[":
            return self.array(pos, depth)
        if char == '"':
            return self.string(pos)
        for word, value in (("true", True), ("false", False), ("null", None)):
            if self.text.startswith(word, pos):
                return self.scalar(pos, pos + len(word), value), pos + len(word)
        match = _NUMBER.match(self.text, pos, self.end)
        if match and match.end() > pos:
            return self.scalar(pos, match.end(), json.loads(match.group())), match.end()
        raise JsonTreeError(f"unexpected {char!r} at offset {pos}")

    def scalar(self, start: int, end: int, value: Any, quote: str = "") -> TNode:
        node = TNode(SCALAR, "json", start, end)
        node.value, node.quote = value, quote
        return node

    def string(self, pos: int) -> tuple[TNode, int]:
        try:
            value, end = scanstring(self.text, pos + 1, True)
        except ValueError as exc:
            raise JsonTreeError(str(exc)) from None
        return self.scalar(pos, end, value, '"'), end

    def obj(self, start: int, depth: int) -> tuple[TNode, int]:
        node = TNode(MAP, "json", start, start)
        node.open = start
        pos = self.skip(start + 1)
        while self.text[pos : pos + 1] != "}":
            if self.text[pos : pos + 1] != '"':
                raise JsonTreeError(f"expected a key at offset {pos}")
            key, pos = self.string(pos)
            pos = self.skip(pos)
            if self.text[pos : pos + 1] != ":":
                raise JsonTreeError(f"expected ':' at offset {pos}")
            value, pos = self.value(self.skip(pos + 1), depth + 1)
            node.entries.append(Entry(key.value, key.start, key.end, value))
            pos = self.skip(pos)
            if self.text[pos : pos + 1] == ",":
                pos = self.skip(pos + 1)
            elif self.text[pos : pos + 1] != "}":
                raise JsonTreeError(f"expected ',' or '}}' at offset {pos}")
        node.close, node.end = pos, pos + 1
        return node, pos + 1

    def array(self, start: int, depth: int) -> tuple[TNode, int]:
        node = TNode(LIST, "json", start, start)
        node.open = start
        pos = self.skip(start + 1)
        while self.text[pos : pos + 1] != "]":
            item, pos = self.value(pos, depth + 1)
            node.items.append(item)
            pos = self.skip(pos)
            if self.text[pos : pos + 1] == ",":
                pos = self.skip(pos + 1)
            elif self.text[pos : pos + 1] != "]":
                raise JsonTreeError(f"expected ',' or ']' at offset {pos}")
        node.close, node.end = pos, pos + 1
        return node, pos + 1


# ---------------------------------------------------------------------------- YAML

def yaml_tree(text: str) -> TNode | None:
    """The tree of a YAML document (None when it is empty). Raises ValueError when the
    text is not YAML. Nothing is constructed: tags are kept as written (``!Ref``)."""
    # start-up: PyYAML's composer only when a YAML file is edited
    from iamlint.parsers.cloudformation.yamlspans import compose, without_gc

    with without_gc():
        root = compose(text)
        return None if root is None else _YamlBuilder(Positions(text)).node(root)


class _YamlBuilder:
    def __init__(self, positions: Positions) -> None:
        self.positions = positions

    def offset(self, mark: Any) -> int:
        return mark.index  # PyYAML counts characters of the text as given (line breaks as written)

    def node(self, raw: Any) -> TNode:
        kind = type(raw).__name__
        flow = bool(getattr(raw, "flow_style", False))
        style = "yaml-flow" if flow else "yaml"
        start, end = self.offset(raw.start_mark), self.offset(raw.end_mark)
        if kind == "MappingNode":
            node = TNode(MAP, style, start, end)
            for key, value in raw.value:
                key_start, key_end = self.offset(key.start_mark), self.offset(key.end_mark)
                node.entries.append(Entry(str(key.value), key_start, key_end, self.node(value)))
        elif kind == "SequenceNode":
            node = TNode(LIST, style, start, end)
            node.items = [self.node(item) for item in raw.value]
        else:
            node = TNode(SCALAR, style, start, end)
            node.value = raw.value
            node.quote = raw.style if raw.style in ("'", '"') else ("|" if raw.style in ("|", ">") else "")
        node.tag = raw.tag if isinstance(raw.tag, str) and raw.tag.startswith("!") and not raw.tag.startswith("!!") else ""
        if kind in ("MappingNode", "SequenceNode"):
            if flow:
                node.open, node.close = start, end - 1
            else:  # a block container ends where its last content ends (not at the next token)
                node.end = max([start, *(e.value.end for e in node.entries), *(i.end for i in node.items)])
        return node


# ---------------------------------------------------------------------------- HCL

def hcl_tree(text: str, path: str) -> TNode:
    """The tree of an HCL file: a body whose entries are its blocks (key: the block type
    and labels, ``resource.aws_instance.web``) and attributes. Raises ValueError (the
    parser's HclSyntaxError) when the text does not parse."""
    # start-up: the HCL parser only when a .tf file is edited
    from iamlint.parsers.terraform.choice import hcl_route

    parsed = hcl_route().parse_hcl(text, path)
    positions = Positions(text)
    root = TNode(MAP, "hcl-body", 0, len(text))
    _HclBuilder(text, positions).body(root, parsed.body, top=True)
    return root


class _HclBuilder:
    def __init__(self, text: str, positions: Positions) -> None:
        self.text, self.positions = text, positions

    def span(self, span: Any) -> tuple[int, int]:
        return self.positions.offset(span.line, span.column), self.positions.offset(span.end_line, span.end_column)

    def body(self, node: TNode, body: Any, top: bool = False) -> None:
        entries = []
        for attribute in body.attributes.values():
            start, _ = self.span(attribute.span)
            entries.append(Entry(attribute.name, start, start + len(attribute.name), self.expr(attribute.expr)))
        for block in body.blocks:
            start, end = self.span(block.span)
            inner = TNode(MAP, "hcl-body", start, end)
            inner.open = self.text.find("{", start, end)
            inner.close = end - 1
            self.body(inner, block.body)
            key = ".".join([block.type, *block.labels]) if top else block.type
            entries.append(Entry(key, start, start + len(block.type), inner))
        node.entries = sorted(entries, key=lambda e: e.start)

    def expr(self, expr: Any) -> TNode:
        start, end = self.span(expr.span)
        kind = type(expr).__name__
        if kind == "ObjectExpr":
            node = TNode(MAP, "hcl", start, end)
            node.open, node.close = start, end - 1
            for key, value in expr.items:
                key_start, key_end = self.span(key.span)
                node.entries.append(Entry(_hcl_key(key), key_start, key_end, self.expr(value)))
            return node
        if kind == "TupleExpr":
            node = TNode(LIST, "hcl", start, end)
            node.open, node.close = start, end - 1
            node.items = [self.expr(item) for item in expr.items]
            return node
        if kind == "Literal" or (kind == "Template" and expr.static and not expr.heredoc):
            node = TNode(SCALAR, "hcl", start, end)
            node.value = expr.value if kind == "Literal" else "".join(expr.parts)
            node.quote = '"' if kind == "Template" else ""
            return node
        node = TNode(OTHER, "hcl", start, end)
        if kind == "Template" and expr.heredoc:
            node.children = self.heredoc_json(start, end)
        for name in ("args", "items"):
            node.children += [self.expr(item) for item in getattr(expr, name, None) or () if hasattr(item, "span")]
        for name in ("cond", "then", "otherwise", "source"):
            inner = getattr(expr, name, None)
            if inner is not None and hasattr(inner, "span") and kind != "Template":
                node.children.append(self.expr(inner))
        return node

    def heredoc_json(self, start: int, end: int) -> list[TNode]:
        """A JSON document written in a heredoc (a policy), as a JSON tree at its offsets."""
        body = self.text.find("\n", start, end) + 1
        closing = self.text.rfind("\n", body, end)
        if body <= 0 or closing < body:
            return []
        try:
            return [json_tree(self.text, body, closing)]
        except JsonTreeError:
            return []


def _hcl_key(key: Any) -> str:
    kind = type(key).__name__
    if kind == "Variable":
        return str(key.name)
    if kind == "Template" and key.static:
        return "".join(key.parts)
    if kind == "Literal":
        return str(key.value)
    return ""


def tree_of(syntax: str, text: str, path: str) -> TNode | None:
    """The tree of ``text`` written in ``syntax`` (``hcl``, ``yaml``, ``json``); None for
    a syntax that is not edited. Raises ValueError when the text does not parse."""
    if syntax == "hcl":
        return hcl_tree(text, path)
    if syntax == "yaml":
        return yaml_tree(text)
    if syntax == "json":
        return json_tree(text)
    return None


def at(root: TNode, offset: int) -> tuple[TNode, list[TNode]] | None:
    """The node written at ``offset`` with its ancestors: the innermost value starting
    there, else the value of the entry whose key starts there (a template resource,
    located at its logical id)."""
    value: tuple[TNode, list[TNode]] | None = None
    keyed: tuple[TNode, list[TNode]] | None = None
    for node, parents in root.walk():
        if node.start == offset and node is not root and (value is None or len(parents) > len(value[1])):
            value = (node, parents)
        for entry in node.entries:
            if entry.start == offset and keyed is None:
                keyed = (entry.value, [*parents, node])
    return value or keyed
