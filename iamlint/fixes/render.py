"""Values written in a syntax's own notation: a scalar in the quoting of the place it goes
to, a mapping or a list as an HCL block, an HCL object, JSON, YAML block or flow.

Values are plain data: strings, numbers, booleans, None, lists and dicts of those, and
:class:`Raw` text written as is (a Terraform reference, a YAML ``!Ref X``). ``indent`` is
the indentation of the line the value starts on, ``unit`` one more level, ``nl`` the
file's line break.
"""

from __future__ import annotations

import json
import re
from typing import Any

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*$")
_YAML_PLAIN = re.compile(r"[A-Za-z0-9_./][A-Za-z0-9_./:*?@-]*$")
_YAML_WORDS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "~"}
_DATE = re.compile(r"\d{4}-\d\d?-\d\d?")


class Raw(str):
    """Text written as is: an expression (``aws_iam_instance_profile.web.name``), a tag
    (``!Ref WebProfile``)."""


def scalar(value: Any, syntax: str, quote: str = '"') -> str:
    """A scalar as written in ``syntax`` (``json``, ``hcl``, ``yaml``), in the quoting
    ``quote`` where the syntax has a choice (YAML: ``"``, ``'`` or plain ``""``)."""
    if isinstance(value, Raw):
        return str(value)
    if not isinstance(value, str):
        return json.dumps(value)
    if syntax == "hcl":
        return json.dumps(value).replace("${", "$${").replace("%{", "%%{")
    if syntax == "yaml":
        if quote == "'":
            return "'" + value.replace("'", "''") + "'"
        if quote == "" and plain_yaml(value):
            return value
    return json.dumps(value, ensure_ascii=False)


def plain_yaml(value: str) -> bool:
    """Whether a string can be written as a plain YAML scalar and read back as itself."""
    return (bool(_YAML_PLAIN.match(value)) and value.lower() not in _YAML_WORDS and not _number_like(value)
            and not _DATE.match(value))


def _number_like(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return value.startswith(("0x", "0o"))
    return True


def hcl_key(key: str) -> str:
    return key if _IDENTIFIER.match(key) else json.dumps(key)


def inline(value: Any, syntax: str, quote: str = '"') -> str:
    """A value on one line: ``{ Service = "ec2.amazonaws.com" }`` (HCL), ``{"Service":
    "ec2.amazonaws.com"}`` (JSON), ``{Service: ec2.amazonaws.com}`` (YAML flow)."""
    if isinstance(value, dict):
        if syntax == "hcl":
            return "{ " + ", ".join(f"{hcl_key(k)} = {inline(v, syntax, quote)}" for k, v in value.items()) + " }"
        if syntax == "yaml":
            return "{" + ", ".join(f"{scalar(k, syntax, '')}: {inline(v, syntax, quote)}" for k, v in value.items()) + "}"
        return "{" + ", ".join(f"{json.dumps(k)}: {inline(v, syntax, quote)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(inline(v, syntax, quote) for v in value) + "]"
    return scalar(value, syntax, quote)


def _spread(value: Any, syntax: str = "yaml") -> bool:
    """Whether a value is written over several lines: a mapping (in JSON, all but an
    intrinsic function of one argument: ``{"Ref": "X"}``, ``{"Fn::GetAtt": [...]}`` stay on
    one line, as CloudFormation templates write them), a list of those."""
    if isinstance(value, dict):
        if syntax == "json":
            intrinsic = len(value) == 1 and next(iter(value)).startswith(("Ref", "Fn::"))
            return not intrinsic or any(_spread(v, syntax) for v in value.values())
        return bool(value)
    return isinstance(value, list) and any(_spread(item, syntax) if syntax == "json" else isinstance(item, dict)
                                           for item in value)


def entry(key: str, value: Any, style: str, indent: str, unit: str, nl: str, quote: str = "") -> str:
    """One entry of a mapping, starting at ``indent`` (the indentation itself excluded),
    without a separator after it: ``http_tokens = "required"`` / ``metadata_options {...}``
    (an HCL body), ``Key = value`` (an HCL object), ``"Key": value`` (JSON), ``Key: value``
    (YAML block or flow). Mappings become nested blocks, objects or block mappings
    spread over lines, as do lists of mappings; other lists stay on one line."""
    if style == "hcl-body":
        if isinstance(value, dict):
            inner = indent + unit
            lines = [f"{inner}{entry(k, v, style, inner, unit, nl)}" for k, v in value.items()]
            return f"{key} {{{nl}" + nl.join(lines) + f"{nl}{indent}}}"
        return f"{key} = {spread(value, 'hcl', indent, unit, nl)}"
    if style == "hcl":
        return f"{hcl_key(key)} = {spread(value, 'hcl', indent, unit, nl)}"
    if style == "json":
        return f"{json.dumps(key)}: {spread(value, 'json', indent, unit, nl)}"
    if style == "yaml" and _spread(value):
        return f"{scalar(key, 'yaml', '')}:{nl}{indent}{unit}" + spread(value, "yaml", indent + unit, unit, nl, quote)
    return f"{scalar(key, 'yaml', '')}: {inline(value, 'yaml', quote)}"


def spread(value: Any, syntax: str, indent: str, unit: str, nl: str, quote: str = '"') -> str:
    """A value starting where it is written (after ``key =``, ``"key":``, or, in YAML, at
    ``indent`` on its own line): mappings and lists of mappings over several lines."""
    if not _spread(value, syntax):
        return inline(value, syntax, quote if syntax == "yaml" else '"')
    inner = indent + unit
    if syntax == "yaml":
        if isinstance(value, dict):
            return (nl + indent).join(entry(k, v, "yaml", indent, unit, nl, quote) for k, v in value.items())
        items = []
        for item in value:  # "- " then the item's lines, two columns in
            items.append("- " + spread(item, "yaml", indent + "  ", unit, nl, quote))
        return (nl + indent).join(items)
    style = "hcl" if syntax == "hcl" else "json"
    if isinstance(value, dict):
        lines = [f"{inner}{entry(k, v, style, inner, unit, nl)}" for k, v in value.items()]
        return "{" + nl + ("," + nl if syntax == "json" else nl).join(lines) + f"{nl}{indent}}}"
    lines = [f"{inner}{spread(item, syntax, inner, unit, nl)}" for item in value]
    return "[" + nl + ("," + nl).join(lines) + f"{nl}{indent}]"
