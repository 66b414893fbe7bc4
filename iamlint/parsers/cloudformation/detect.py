"""Is this file a CloudFormation/SAM template? Decided by content, never by extension."""

from __future__ import annotations

import re

from iamlint.model.values import Known

_MARKERS = re.compile(r"AWSTemplateFormatVersion|(?:^|[\s{,\"'])Resources[\"']?\s*:", re.MULTILINE)


def looks_like_template(text: str) -> bool:
    """Cheap text test: could the file be a template? (False means: certainly not.)"""
    return _MARKERS.search(text) is not None


def is_template(tree: Known) -> bool:
    """A mapping with AWSTemplateFormatVersion, or a Resources mapping whose entries
    have a Type (an empty Resources mapping counts too)."""
    top = tree.value
    if not isinstance(top, dict):
        return False
    if "AWSTemplateFormatVersion" in top:
        return True
    resources = top.get("Resources")
    if not isinstance(resources, Known) or not isinstance(resources.value, dict):
        return False
    entries = resources.value.values()
    return not entries or any(_has_type(entry) for entry in entries)


def _has_type(entry: object) -> bool:
    return isinstance(entry, Known) and isinstance(entry.value, dict) and "Type" in entry.value
