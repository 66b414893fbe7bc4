"""Fn::Sub / Fn::Join text: literal pieces and values joined into one string."""

from __future__ import annotations

import re
from typing import Callable

from iamlint.model.span import Span
from iamlint.model.values import HOLE, MAX_HOLES, Known, PartialText, Ref, Unknown, Value
from iamlint.normalize.cloudformation.values import DeployTime

SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")


def sub_pieces(template: str, lookup: Callable[[str], "str | Value"]) -> list:
    """Literal text (str) and (value, variable name) pairs of a Sub template."""
    pieces: list = []
    position = 0
    for match in SUB_VARIABLE.finditer(template):
        pieces.append(template[position : match.start()])
        value = lookup(match.group(1))
        pieces.append(value if isinstance(value, str) else (value, match.group(1).strip()))
        position = match.end()
    pieces.append(template[position:])
    return pieces


def flatten(pieces: list) -> list[str | Value]:
    """Sub pieces for concatenation: a resource attribute becomes ``${Name}``."""
    return [
        piece if isinstance(piece, str) else placeholder(piece[0], piece[1]) if isinstance(piece[0], Ref) else piece[0]
        for piece in pieces
    ]


def placeholder(ref: Ref, name: str) -> DeployTime:
    """A resource attribute inside a longer string: kept as ``${Name}`` like the
    deploy-time pseudo parameters (the rest of the string stays known)."""
    return DeployTime(ref.reason, ref.span, name=name)


def ref_text(ref: Ref) -> str:
    return ref.address if ref.attribute in ("name", "id") else f"{ref.address}.{ref.attribute}"


def concatenate(pieces: list[str | Value], span: Span, function: str) -> Value:
    """Join literal text and values into one Known string; deploy-time pseudo
    parameters and resource attributes stay as ``${AWS::...}`` / ``${Resource}``; any
    other unknown part makes it Unknown: a :class:`PartialText` located at ``span``
    (its known text is still judged: a key in user data), or a plain Unknown when no
    text is known."""
    text: list[str] = []
    holes: list[Unknown] = []
    for piece in pieces:
        if isinstance(piece, str):
            text.append(piece)
        elif isinstance(piece, DeployTime):
            text.append(piece.placeholder)
        elif isinstance(piece, Unknown):
            if len(holes) >= MAX_HOLES:
                return Unknown(f"{function}: {holes[0].reason}", span)
            holes.append(Unknown(f"{function}: {piece.reason}", span))
            text.append(chr(HOLE + len(holes) - 1) * 4)
        elif isinstance(piece.value, (str, int, float)) and not isinstance(piece.value, bool):
            text.append(str(piece.value))
        elif isinstance(piece.value, bool):
            text.append("true" if piece.value else "false")
        else:
            return Unknown(f"{function} of a value that is not a string", span)
    if holes:
        joined = "".join(text)
        if len(joined) == 4 * len(holes):
            return holes[0]
        return PartialText(holes[0].reason, span, text=joined, holes=tuple(holes), line=span.line,
                           column=span.column, indent=0, exact=False)
    return Known("".join(text), span)
