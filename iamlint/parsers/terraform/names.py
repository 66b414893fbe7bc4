"""Which file names form a Terraform or OpenTofu module (no imports: the input formats
read it at start-up, the evaluator when it lists a child module's folder).

OpenTofu reads ``.tofu`` and ``.tofu.json`` files besides ``.tf`` and ``.tf.json``; when
``x.tofu`` and ``x.tf`` (or ``x.tofu.json`` and ``x.tf.json``) sit in one folder, it
ignores the ``.tf`` one (OpenTofu docs, "Files and Directories": "if both main.tf and
main.tofu exist, OpenTofu loads main.tofu and ignores main.tf"), in the root module and
in every module it calls. Terraform ignores ``.tofu`` files.
"""

from __future__ import annotations

from typing import Iterable

TERRAFORM = (".tf", ".tf.json")
OPENTOFU = (".tofu", ".tofu.json")
_SHADOWS = {".tf": ".tofu", ".tf.json": ".tofu.json"}


def suffix(name: str) -> str:
    """The module-file suffix of ``name`` (``.tf.json`` before ``.tf``), or ""."""
    for candidate in (".tf.json", ".tofu.json", ".tf", ".tofu"):
        if name.endswith(candidate):
            return candidate
    return ""


def is_module_file(name: str) -> bool:
    """A file OpenTofu reads as part of a module (Terraform reads the ``.tf`` ones)."""
    return bool(suffix(name))


def is_json(name: str) -> bool:
    """A module file in JSON syntax (``.tf.json``, ``.tofu.json``)."""
    return name.endswith((".tf.json", ".tofu.json"))


def stem(name: str) -> str:
    """The name without its module-file suffix (``override`` for ``override.tofu``)."""
    found = suffix(name)
    return name[: -len(found)] if found else name


def has_tofu(names: Iterable[str]) -> bool:
    return any(name.endswith(OPENTOFU) for name in names)


def shadowed_by(name: str, names: set[str] | frozenset[str]) -> str | None:
    """The OpenTofu file of ``names`` that replaces the ``.tf`` / ``.tf.json`` file
    ``name`` (None: it is read)."""
    found = suffix(name)
    replacement = _SHADOWS.get(found)
    if replacement is None:
        return None
    other = name[: -len(found)] + replacement
    return other if other in names else None


def module_names(names: list[str]) -> list[str]:
    """The names of a folder that form its module, in the given order: every ``.tf``
    and ``.tf.json`` file when no OpenTofu file is there (Terraform's view); otherwise
    OpenTofu's, ``.tofu`` files replacing the ``.tf`` files of the same name."""
    files = [name for name in names if is_module_file(name)]
    if not has_tofu(files):
        return [name for name in files if name.endswith(TERRAFORM)]
    present = set(files)
    return [name for name in files if shadowed_by(name, present) is None]
