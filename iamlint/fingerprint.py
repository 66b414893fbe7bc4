"""Finding identities that survive edits: one fingerprint for SARIF, the baseline file,
GitLab Code Quality, ``check --base`` and the language server.

A finding is identified by

* its rule;
* where it lives: the module directory (Terraform: a resource may move to another file
  of the same module) or the template file (CloudFormation), relative to a root;
* the resource address (``module.app.aws_iam_role.web``) or logical id;
* its logical position inside that resource: the attribute path the rule reported,
  with every list index replaced by what the item *is* -- an inline policy by its name,
  a policy statement by its ``Sid``, else by its content (normalised: spans, layout,
  key order and the single-item list / scalar choice left out), else by its index
  among the statements with the same content; an action or resource by its text.

Never a line number, a column or the message text: inserting lines above a finding,
reindenting or reformatting a statement, moving a block to another file of its module or
rewording a message keeps the fingerprint; two statements of one policy get two.

:func:`identity` runs where the rule's (node, attribute path) is still known (the
engine, when it locates a finding) and returns a digest, so no value of the code (a
secret, say) is ever kept in clear; :func:`fingerprint` adds the rule, place and
resource.
"""

from __future__ import annotations

import dataclasses
import json
import os
from typing import Any

from iamlint.digests import sha256
from iamlint.model.graph import InlinePolicy
from iamlint.model.policy import Principal, Statement
from iamlint.model.masking import mask_object, mask_text
from iamlint.model.values import Encoded, Known, Ref, Unknown

VERSION = "iamlint/v2"
"""The key of the fingerprint in SARIF ``partialFingerprints`` (and its scheme's name)."""

TERRAFORM_SUFFIXES = (".tf", ".tf.json", ".tofu", ".tofu.json", ".tfvars", ".tfvars.json")


def identity(node: Any, path: tuple) -> str:
    """A digest of the logical position of ``path`` inside ``node`` (see the module doc)."""
    parts = [_step_key(current, step) for current, step in _walk(node, path)]
    return _digest("/".join(parts))


def described(parts: tuple[str, ...], message: str) -> str:
    """An identity from ``parts`` and the finding's message, for findings the logical
    path cannot tell apart: those about an inline suppression (the rule keys it names;
    these messages hold no positions), or located by the rule inside one value (two
    hardcoded keys in one user data text; their messages show them masked)."""
    return _digest("/".join(parts) + "/" + message)


def location_key(path: str, root: str) -> str:
    """The module directory (Terraform) or the file (templates) of ``path``, relative to
    ``root`` with forward slashes."""
    absolute = os.path.abspath(path)
    if absolute.endswith(TERRAFORM_SUFFIXES):
        absolute = os.path.dirname(absolute)
    return os.path.relpath(absolute, os.path.abspath(root)).replace(os.sep, "/")


def fingerprint(rule: str, path: str, resource: str, identity: str, root: str = ".") -> str:
    """The fingerprint of a finding (hex SHA-256): rule, place relative to ``root``,
    resource and logical identity."""
    parts = (VERSION, rule, location_key(path, root), resource, identity)
    return sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


# ---------------------------------------------------------------- the logical path


def _walk(node: Any, path: tuple) -> list[tuple[Any, Any]]:
    """(container, step) pairs along ``path`` (stops where a step does not exist, as the
    locator does)."""
    pairs = []
    current = node
    for step in path:
        container = _unwrap(current)
        pairs.append((container, step))
        current = _child(container, step)
        if current is None:
            break
    return pairs


def _unwrap(current: Any) -> Any:
    if isinstance(current, Known):
        inner = current.value
        if isinstance(inner, Encoded):
            return _unwrap(inner.data)
        if isinstance(inner, (list, dict)):
            return inner
    return current


def _child(container: Any, step: Any) -> Any:
    if isinstance(container, dict):
        return container.get(step)
    if isinstance(container, (list, tuple)):
        return container[step] if isinstance(step, int) and -len(container) <= step < len(container) else None
    if isinstance(step, str):
        return getattr(container, step, None)
    return None


def _step_key(container: Any, step: Any) -> str:
    if not (isinstance(step, int) and isinstance(container, (list, tuple))):
        return str(step)
    if not -len(container) <= step < len(container):
        return f"[{step}]"
    step %= len(container)
    item = container[step]
    if isinstance(item, Statement):
        sid = item.sid.value if isinstance(item.sid, Known) else None
        if isinstance(sid, str) and sid.strip():  # masked: a cached unit holds it masked (cold = warm)
            return f"[sid={mask_text(sid.strip())}]"
    if isinstance(item, InlinePolicy):
        name = item.name.value if isinstance(item.name, Known) else None
        if isinstance(name, str) and name:
            return f"[name={mask_text(name)}]"
    content = _content(item)
    same = sum(1 for earlier in container[:step] if _content(earlier) == content)
    return f"[{_digest(content)[:16]}#{same}]"


_CONTENTS: dict[int, tuple[Any, str]] = {}
_CONTENTS_MAX = 4096


def _content(item: Any) -> str:
    """The normalised content of a list item, memoised by identity (siblings are compared
    for every finding in a policy; the entry holds the item, so its id is not reused)."""
    found = _CONTENTS.get(id(item))
    if found is not None and found[0] is item:
        return found[1]
    if len(_CONTENTS) >= _CONTENTS_MAX:
        _CONTENTS.clear()
    # masked first: a cached unit holds its credentials masked, so the content (and the
    # identity) must be the same whether the unit was loaded now or read from the cache
    text = json.dumps(_plain(mask_object(item)), sort_keys=True, separators=(",", ":"), default=str)
    _CONTENTS[id(item)] = (item, text)
    return text


def _plain(value: Any) -> Any:
    """``value`` without spans, layout or formatting choices."""
    if isinstance(value, Ref):
        return {"ref": f"{value.address}.{value.attribute}"}
    if isinstance(value, Unknown):
        return {"unknown": True}
    if isinstance(value, Known):
        return _plain(value.value)
    if isinstance(value, Encoded):
        return _plain(value.data)
    if isinstance(value, (list, tuple)):
        items = [_plain(item) for item in value]
        return items[0] if len(items) == 1 else items  # "s3:*" and ["s3:*"] are the same
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, Principal):
        return {"principal": value.kind, "value": _plain(value.value)}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)
                if f.name != "span" and f.compare}
    return value


def _digest(text: str) -> str:
    return sha256(text.encode("utf-8")).hexdigest()[:32]
