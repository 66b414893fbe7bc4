"""Terraform HCL parsed with tree-sitter-hcl (a compiled C parser) into iamlint's syntax tree.

Same contract as the lark route (:mod:`iamlint.parsers.terraform.hcl`): ``parse_hcl``,
``parse_expression`` and ``parse_template`` give the same :mod:`syntax` trees with the
same spans (tests/test_treesitter_equivalence.py compares every .tf file of fixtures/
and the corpus) and raise the same ``HclSyntaxError`` (message, line, column). Also:

* :func:`parse_hcl_partial` never raises on a syntax error: it returns the top-level
  blocks and attributes that parsed cleanly and the list of errors (an editor linting a
  buffer being typed);
* :func:`parse_hcl_with_facts` gives the tree and the file's
  :class:`~iamlint.model.units.SourceFacts` (comments, construct ranges, declared
  names: what suppressions read) from one parse (:mod:`.facts`).

**Second opinion.** When tree-sitter-hcl finds an error, python-hcl2's lark parser is
asked too (when installed): if it accepts the text, its tree is used, so a file is
reported broken only when both parsers reject it, and then with tree-sitter's located
message. tree-sitter-hcl rejects a few things Terraform or python-hcl2 accept (``1e3``
without a decimal point; ``\\"`` inside a directive, which python-hcl2 accepts), and
python-hcl2 rejects a few things Terraform accepts that tree-sitter reads (``${~ x ~}``
in a quoted string, a newline right after ``${``); the equivalence test lists them.

:func:`available` says whether the wheels are importable (they are optional: without
them iamlint keeps the python-hcl2/lark route; see ``iamlint.parsers.terraform.choice``).
"""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING

from iamlint.model.span import Span
from iamlint.parsers.terraform import syntax as s
from iamlint.parsers.terraform.treesitter import diagnose
from iamlint.parsers.terraform.treesitter.convert import Converter
from iamlint.parsers.terraform.treesitter.errors import ParseFailure, ParseIssue
from iamlint.parsers.terraform.treesitter.runtime import _encode, _language, _parser
from iamlint.parsers.terraform.errors import HclSyntaxError, deep_recursion
from iamlint.parsers.terraform.templates import parse_template as _scan_template

if TYPE_CHECKING:
    from tree_sitter import Tree

    from iamlint.model.units import SourceFacts

__all__ = ["available", "parse_hcl", "parse_hcl_partial", "parse_hcl_with_facts", "parse_expression",
           "parse_template", "ParseIssue"]

TOO_DEEP = "expression nested too deeply"
# More brackets open at once than this is TOO_DEEP, found before parsing: deeper input took
# seconds and hundreds of MB to be rejected (tree-sitter's tree, the conversion up to
# Python's recursion limit, python-hcl2's second opinion). 1200 levels parse; the evaluator
# is tested at 500 (tests/test_tf_robustness.py).
MAX_NESTING = 2000
_KEEP_BRACKETS = bytes(byte for byte in range(256) if byte not in b"([{}])")
_BRACKET = re.compile(rb"[(\[{}\])]")


def available() -> bool:
    """True when tree-sitter and tree-sitter-hcl can be imported and loaded."""
    try:
        _language()
    except Exception:  # ImportError, or a grammar ABI the installed tree-sitter cannot load
        return False
    return True


def warm_up() -> None:
    """Load the language and this thread's parser (and the facts module)."""
    _parser()
    import iamlint.parsers.terraform.treesitter.facts  # noqa: F401


def _converted(convert, node, converter: Converter):
    """``convert(node)``; input nested deeper than Python's default recursion limit is
    retried under the lark route's raised limit, then reported at its deepest node."""
    try:
        return convert(node)
    except RecursionError:
        pass
    try:
        with deep_recursion():
            return convert(node)
    except RecursionError:
        line, column = diagnose.deepest(node, converter)
        raise ParseFailure(TOO_DEEP, line, column) from None


def _lark():
    """The lark route's module, or None where python-hcl2 is not installed."""
    try:
        from iamlint.parsers.terraform import hcl
    except ImportError:
        return None
    return hcl


def _tree(data: bytes, path: str, second_opinion: bool = True) -> tuple[Tree, Converter, list[ParseIssue]]:
    tree = _parser().parse(data)
    converter = Converter(path, data, functools.partial(_parse_expression, second_opinion=second_opinion))
    return tree, converter, diagnose.issues(tree.root_node, converter)


def parse_hcl(text: str, path: str, second_opinion: bool = True) -> s.HclFile:
    """Parse a whole .tf file. Raises ``HclSyntaxError`` with a line on bad input.
    ``second_opinion=False`` skips python-hcl2 (tests compare the parsers alone)."""
    return _parse_file(text, path, _encode(text), second_opinion)[0]


def parse_hcl_with_facts(text: str, path: str) -> tuple[s.HclFile, SourceFacts | None]:
    """``parse_hcl`` and the file's facts from one tree-sitter parse (same errors as
    ``parse_hcl``). The facts are None when tree-sitter's tree holds an error that
    python-hcl2 accepted (the caller scans the text: a recovered tree is not the file)."""
    data = _encode(text)
    parsed, converter = _parse_file(text, path, data, True)
    if converter is None:
        return parsed, None
    from iamlint.parsers.terraform.treesitter.facts import tree_facts

    body = text[1:] if text.startswith("\ufeff") else text
    return parsed, tree_facts(data, body, path, converter.strings, converter.heredoc_rows)


def _parse_file(text: str, path: str, data: bytes, second_opinion: bool) -> tuple[s.HclFile, Converter | None]:
    """The file's tree and the converter that built it (None: python-hcl2's tree, taken
    as the second opinion on text tree-sitter rejected)."""
    _check_nesting(data)
    tree, converter, issues = _tree(data, path, second_opinion)
    if not issues:
        try:
            parsed = s.HclFile(path, _converted(converter.body, _body(tree.root_node), converter))
        except ParseFailure as failure:
            if failure.issue.message == TOO_DEEP:
                # final: python-hcl2 would only fail later, after seconds and hundreds of MB
                raise failure.issue.to_exception() from None
            issues = [failure.issue]
        issues = issues or converter.issues
        if not issues:
            return parsed, converter
    if second_opinion:
        accepted, lark_issue = _lark_file(text, path)
        if accepted is not None:
            return accepted, None
        issues = _merge_issues(issues, lark_issue)
    raise issues[0].to_exception()


def _check_nesting(data: bytes) -> None:
    """Raise TOO_DEEP at the bracket that opens level ``MAX_NESTING + 1`` (brackets in
    strings count too: only text with thousands of unclosed ones is affected)."""
    brackets = data.translate(None, _KEEP_BRACKETS)
    if len(brackets) - len(brackets.translate(None, b"([{")) <= MAX_NESTING:
        return  # fewer openers than the limit: cannot be deeper (the common case, all in C)
    depth = 0
    for match in _BRACKET.finditer(data):
        depth += 1 if match.group() in b"([{" else -1
        if depth > MAX_NESTING:
            offset = match.start()
            line = data.count(b"\n", 0, offset) + 1
            column = len(data[data.rfind(b"\n", 0, offset) + 1 : offset].decode("utf-8", "replace")) + 1
            raise ParseFailure(TOO_DEEP, line, column).issue.to_exception()


def _lark_file(text: str, path: str) -> tuple[s.HclFile | None, ParseIssue | None]:
    """The lark route's tree, or its error (both None where python-hcl2 is missing)."""
    hcl = _lark()
    if hcl is None:
        return None, None
    try:
        return hcl.parse_hcl(text, path), None
    except HclSyntaxError as exc:
        return None, ParseIssue(exc.message, exc.line, exc.column)


def _merge_issues(issues: list[ParseIssue], lark_issue: ParseIssue | None) -> list[ParseIssue]:
    """The first error is tree-sitter's when it is precise (an unclosed construct named
    with where it opened, a missing value), else the lark route's message (never worse
    than before); the other precise errors follow."""
    if lark_issue is None or issues[0].precise:
        return issues
    return [lark_issue] + [issue for issue in issues[1:] if issue.precise and issue.line != lark_issue.line]


def parse_hcl_partial(text: str, path: str, second_opinion: bool = True) -> tuple[s.HclFile, list[ParseIssue]]:
    """Parse a file that may hold syntax errors: the top-level blocks and attributes
    that hold no error, and every error (an empty list when ``parse_hcl`` would not
    raise). Never raises ``HclSyntaxError``. ``second_opinion=False`` never runs
    python-hcl2 (an editor on every keystroke: tree-sitter's messages, no lark cost)."""
    data = _encode(text)
    try:
        _check_nesting(data)
    except HclSyntaxError as exc:
        return s.HclFile(path, s.Body()), [ParseIssue(exc.message, exc.line, exc.column)]
    tree, converter, issues = _tree(data, path, second_opinion)
    if issues and second_opinion:
        accepted, lark_issue = _lark_file(text, path)
        if accepted is not None:
            return accepted, []
        issues = _merge_issues(issues, lark_issue)
    node = _body(tree.root_node)
    children = node.named_children if node is not None else []
    constructs = [c for c in children if c.type in ("attribute", "block")]
    bad = _error_rows(tree.root_node.named_children + children, constructs, issues, converter)
    body = s.Body()
    for child in constructs:
        first, last = child.start_point[0], child.end_point[0]
        if child.has_error or any(start <= last and first <= end for start, end in bad):
            continue
        try:
            if child.type == "attribute":
                attribute = _converted(converter.attribute, child, converter)
                body.attributes[attribute.name] = attribute
            else:
                body.blocks.append(_converted(converter.block, child, converter))
        except ParseFailure as failure:
            issues.append(failure.issue)
    if converter.issues:
        issues = sorted(issues + converter.issues, key=lambda issue: (issue.line, issue.column))
        accepted, _ = _lark_file(text, path) if second_opinion else (None, None)
        if accepted is not None:
            return accepted, []
    return s.HclFile(path, body), issues


def _error_rows(nodes: list, constructs: list, issues: list[ParseIssue], converter: Converter) -> list[tuple[int, int]]:
    """Row ranges touched by an error. A clean construct sharing a row with one may have
    been cut short (tree-sitter reads ``a = 1e3`` as ``a = 1`` and a broken ``e3 ...``),
    so it is left out too; so are two constructs on one row (recorded as an issue)."""
    bad = [(issue.line - 1, issue.line - 1) for issue in issues]
    broken = [c for c in constructs if c.has_error] + [c for c in nodes if c.type == "ERROR"]
    bad += [(c.start_point[0], c.end_point[0]) for c in broken]
    previous_row = -1
    for child in constructs:
        if child.start_point[0] == previous_row:
            bad.append((previous_row, previous_row))
        previous_row = converter.own_line(child, previous_row)
    return bad


def _body(root):
    for child in root.named_children:
        if child.type == "body":
            return child
    return None


def parse_expression(text: str, path: str, line: int, column: int) -> s.Expr:
    """Parse one expression found at (line, column) of ``path`` (heredoc interpolations,
    variable values). Raises ``HclSyntaxError``."""
    try:
        return _parse_expression(text, path, line, column)
    except ParseFailure as failure:
        raise failure.issue.to_exception() from None


def _parse_expression(text: str, path: str, line: int, column: int, second_opinion: bool = True) -> s.Expr:
    data = _encode("_=" + text)
    tree = _parser().parse(data)
    converter = Converter(path, data, functools.partial(_parse_expression, second_opinion=second_opinion),
                          line - 1, column - 3)
    converter.check_lines = False
    issues = diagnose.issues(tree.root_node, converter)
    body = _body(tree.root_node)
    attribute = next((c for c in body.named_children if c.type == "attribute"), None) if body else None
    if issues or attribute is None:
        if second_opinion and (hcl := _lark()) is not None:
            try:
                return hcl.parse_expression(text, path, line, column)
            except HclSyntaxError:
                pass
        issue = issues[0] if issues else ParseIssue("expected an expression", 1, 1)
        raise ParseFailure(issue.message, issue.line, issue.column)
    expression = attribute.named_children[-1]
    try:
        return _converted(lambda node: converter.expression(node)[0], expression, converter)
    except ParseFailure as failure:
        issue = failure.issue
        if issue.message == TOO_DEEP:  # where the lark route says it
            raise ParseFailure(issue.message, issue.line + line - 1, issue.column) from None
        raise


def parse_template(content: str, path: str, line: int = 1, column: int = 1, indent: int = 0,
                   span: Span | None = None) -> s.Template:
    """Parse template text (a heredoc body, a ``templatefile`` file) found at (line,
    column) of ``path``. Raises ``HclSyntaxError`` with a line."""
    try:
        return _scan_template(content, path, line, column, indent, span, _parse_expression)
    except ParseFailure as failure:
        raise failure.issue.to_exception() from None
