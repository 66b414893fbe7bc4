"""Where a value a fix would change is defined, and whether changing it there is safe.

A value of a resource is often not written in the resource: a Terraform variable's
default, a local, a module input written by the caller, a ``.tfvars`` entry, a
CloudFormation parameter's ``Default``. Its span says where it is written; changing it
there changes every other place that uses the same definition, so a fix edits a
definition only when the definition is used once. Otherwise there is no fix, and the
reason says where the value comes from and how often it is used.
"""

from __future__ import annotations

import os
import re
from typing import Callable, NamedTuple

from iamlint.fixes.edit import Refused
from iamlint.fixes.text import current_text
from iamlint.fixes.tree import MAP, SCALAR, Entry, TNode

TERRAFORM_SUFFIXES = (".tf", ".tf.json", ".tofu", ".tofu.json")


class Definition(NamedTuple):
    """What the edited place is: ``kind`` (``variable``, ``local``, ``module input``,
    ``tfvars``, ``parameter``) and its name, for the fix's title."""

    kind: str
    name: str

    def describe(self) -> str:
        return f"{self.kind} {self.name!r}"


Comments = Callable[[str, str], list[tuple[int, int]]]
"""(text, path) -> (start, end) offsets of its comments."""


def terraform(tree: TNode, offset: int, path: str, comments: Comments) -> Definition | None:
    """The definition holding ``offset`` in a Terraform file, if it is one (None: the
    place belongs to the resource itself or to something that is no definition);
    raises :class:`Refused` when it is a definition used more than once, or a place
    that cannot be changed for one resource alone."""
    top = _containing(tree.entries, offset)
    if top is None:
        return None
    folder = os.path.dirname(path) or "."
    if path.endswith((".tfvars", ".tfvars.json")):
        return _used_once(Definition("variable", top.key), "var", top.key, folder, comments, f"{os.path.basename(path)}")
    kind, _, name = top.key.partition(".")
    if kind == "variable":
        return _used_once(Definition("variable", name), "var", name, folder, comments, "its default")
    inner = _containing(top.value.entries, offset) if top.value.kind == MAP else None
    if kind == "locals" and inner is not None:
        return _used_once(Definition("local", inner.key), "local", inner.key, folder, comments, "locals")
    if kind == "module" and inner is not None:
        child = _module_folder(top.value, folder)
        if child is None:
            raise Refused(f"the value is the input {inner.key!r} of module {name!r}, whose source is not a local folder")
        return _used_once(Definition("module input", f"{name}.{inner.key}"), "var", inner.key, child, comments,
                          f"module {name!r}")
    if kind == "data":
        return _used_once(Definition("data source", name), "data", name, folder, comments, f"data {name!r}")
    if kind == "resource":
        raise Refused(f"the value comes from {name}, another resource block")
    raise Refused(f"the value comes from a {kind} block")


def _containing(entries: list[Entry], offset: int) -> Entry | None:
    return next((e for e in entries if e.start <= offset < max(e.end, e.start + 1)), None)


def _module_folder(block: TNode, folder: str) -> str | None:
    source = block.get("source")
    if source is None or source.value.kind != SCALAR or not isinstance(source.value.value, str):
        return None
    text = source.value.value
    if not text.startswith(("./", "../")):
        return None
    return os.path.normpath(os.path.join(folder, text))


def _used_once(definition: Definition, prefix: str, name: str, folder: str, comments: Comments, where: str) -> Definition:
    uses = count_uses(folder, prefix, name, comments)
    if uses != 1:
        said = "never used" if uses == 0 else f"used in {uses} places"
        raise Refused(f"the value is set by {definition.describe()} ({where}), {said} in {folder}: "
                      "changing it would change every use")
    return definition


def count_uses(folder: str, prefix: str, name: str, comments: Comments) -> int:
    """How often ``prefix.name`` (``var.tokens``, ``local.t``) is referred to in the
    Terraform files of ``folder``, comments left out."""
    pattern = re.compile(rf"(?<![\w.]){prefix}\s*\.\s*{re.escape(name)}(?![\w-])")
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return 0
    total = 0
    for file in names:
        if not file.endswith(TERRAFORM_SUFFIXES):
            continue
        path = os.path.join(folder, file)
        text = current_text(path)
        if text is None:
            continue
        for start, end in sorted(comments(text, path), reverse=True):
            text = text[:start] + " " * (end - start) + text[end:]
        total += len(pattern.findall(text))
    return total


def read_file_once(path: str, user: str, comments: Comments) -> None:
    """A value written in a file Terraform reads (``file("policy.json")``): editable when
    the module of ``user`` names that file once."""
    folder = os.path.dirname(user) or "."
    name = os.path.basename(path)
    pattern = re.compile(rf"(?<![\w.-]){re.escape(name)}(?![\w.-])")
    total = 0
    for file in sorted(os.listdir(folder)) if os.path.isdir(folder) else ():
        if file.endswith(TERRAFORM_SUFFIXES):
            text = current_text(os.path.join(folder, file)) or ""
            total += len(pattern.findall(text))
    if total != 1:
        said = "not named" if total == 0 else f"named {total} times"
        raise Refused(f"the value is written in {name}, {said} in the Terraform files of {folder}: "
                      "changing it would change every use")


# ------------------------------------------------------------------ CloudFormation

def parameter_of(node: TNode) -> str | None:
    """The parameter a ``!Ref P`` / ``{"Ref": "P"}`` names."""
    if node.kind == SCALAR and node.tag == "!Ref" and isinstance(node.value, str):
        return node.value
    if node.kind == MAP and len(node.entries) == 1 and node.entries[0].key == "Ref":
        inner = node.entries[0].value
        return inner.value if inner.kind == SCALAR and isinstance(inner.value, str) else None
    return None


def parameter_default(root: TNode, name: str, new: object) -> TNode:
    """The ``Default`` of template parameter ``name``, when the parameter is used once
    and the new value is among its ``AllowedValues`` (if any); else :class:`Refused`."""
    parameters = root.get("Parameters")
    declared = parameters.value.get(name) if parameters is not None and parameters.value.kind == MAP else None
    if declared is None or declared.value.kind != MAP:
        raise Refused(f"the value comes from {name!r}, which is not a parameter of the template")
    default = declared.value.get("Default")
    if default is None or default.value.kind != SCALAR:
        raise Refused(f"the value comes from parameter {name!r}, which has no literal Default")
    allowed = declared.value.get("AllowedValues")
    if allowed is not None and not any(i.kind == SCALAR and i.value == new for i in allowed.value.items):
        raise Refused(f"the AllowedValues of parameter {name!r} do not include {new!r}")
    uses = _parameter_uses(root, name)
    if uses != 1:
        raise Refused(f"the value is set by parameter {name!r}, used in {uses} places in the template: "
                      "changing its Default would change every use")
    return default.value


def _parameter_uses(root: TNode, name: str) -> int:
    total = 0
    token = "${" + name + "}"
    for node, _ in root.walk():
        if parameter_of(node) == name:
            total += 1
        elif node.kind == SCALAR and isinstance(node.value, str) and token in node.value:
            total += node.value.count(token)
    return total
