"""HCL text -> python-hcl2's lark parse tree, with located syntax errors."""

from __future__ import annotations

import re

from lark import Tree
from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedInput

from iamlint.parsers.terraform.errors import RECURSION_LIMIT, HclSyntaxError, deep_recursion
from iamlint.parsers.terraform.grammar import parser

__all__ = ["RECURSION_LIMIT", "HclSyntaxError", "deep_recursion", "deepest", "heredoc_closers", "parse_tree"]


_HEREDOC_OPENER = re.compile(r"<<-?([A-Za-z_][\w-]*)[ \t]*\r?\n")


def heredoc_closers(text: str) -> str:
    """Terraform ends a heredoc at a line holding the marker with any surrounding
    whitespace (hclsyntax trims the line); python-hcl2's grammar allows none after it.
    Trailing blanks of such lines are dropped (lines and columns do not move)."""
    if "<<" not in text:
        return text
    markers = set(_HEREDOC_OPENER.findall(text))
    if not markers:
        return text
    closer = re.compile(r"^([ \t]*(?:" + "|".join(re.escape(m) for m in markers) + r"))[ \t]+$", re.M)
    return closer.sub(r"\1", text)


def deepest(tree: Tree) -> tuple[int, int]:
    """Line and column of the deepest node of a parse tree (found without recursion)."""
    best, where = -1, (1, 1)
    stack = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > best and not node.meta.empty:
            best, where = depth, (node.meta.line, node.meta.column)
        stack.extend((child, depth + 1) for child in node.children if isinstance(child, Tree))
    return where


def parse_tree(text: str) -> Tree:
    try:
        return parser().parse(text + "\n")
    except UnexpectedInput as exc:
        raise HclSyntaxError(_describe(exc), exc.line if exc.line > 0 else 1, max(exc.column, 1)) from None
    except LarkError as exc:
        raise HclSyntaxError(str(exc).splitlines()[0], 1, 1) from None
    except RecursionError:
        raise HclSyntaxError("expression nested too deeply", 1, 1) from None


def _describe(exc: UnexpectedInput) -> str:
    if isinstance(exc, UnexpectedCharacters):
        return f"unexpected character {exc.char!r}"
    token = getattr(exc, "token", None)
    if token is not None:
        if token.type == "$END":
            return "unexpected end of file"
        value = str(token).split("\n", 1)[0][:40]
        if value.startswith("<<"):
            marker = value.lstrip("<-").strip()
            return (f"heredoc {value.strip()} is never closed: the closing line must hold only "
                    f"{marker!r} (optionally indented, nothing after it)")
        return f"unexpected {token.type.lower()} {value!r}"
    return "syntax error"
