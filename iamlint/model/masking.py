"""Secrets: the one place that knows what an AWS credential looks like and how it is masked.

Everything that leaves the process or reaches the disk passes through here:

* :func:`mask_text` -- a message (an input error, when its :class:`SourceError` is
  created; a finding, when its located record is created; the language server's
  diagnostics): access key ids anywhere (also cut ones, as a message quoting the start
  of a token shows them), secret access keys and session tokens written after their
  name, session tokens by their prefix;
* :func:`credentials` -- what SEC001 reports: access key ids in any string, secret
  access keys in a string named like one or written after their name, and both inside
  base64 text (user data);
* :func:`mask_object` -- a loaded unit before it is written to the unit cache: every
  string of the graph and of the parser facts. A string of a value that holds a
  credential becomes a :class:`MaskedText`: the masked text, which records what
  :func:`credentials` found in the original (kind, masked text, offsets), so SEC001
  reports the same finding at the same place with the same masked message from a warm
  cache as from the source.

Masked forms keep the length of the text (offsets, lines and columns do not move):
an access key id keeps its first and last four characters (``AKIA************MPLE``),
a secret or token its last four. Masking is idempotent: a masked text holds nothing
left to mask. AWS's documented example keys (``...EXAMPLE``, ``...EXAMPLEKEY``) are
public and kept in cached values, so SEC001 still calls them examples (its messages
mask them like any other).
"""

from __future__ import annotations

import dataclasses
import re
from typing import TYPE_CHECKING, Any, Iterator

from iamlint.model.span import Span

if TYPE_CHECKING:
    from iamlint.model.graph import Graph
    from iamlint.model.values import Encoded, Known, PartialText

ACCESS_KEY_ID = "access key id"
SECRET_ACCESS_KEY = "secret access key"
SESSION_TOKEN = "session token"

_PREFIXES = "(?:AKIA|ASIA|ABIA|ACCA)"
KEY_ID = re.compile(rf"(?<![A-Z0-9]){_PREFIXES}[A-Z2-7]{{16}}(?![A-Z0-9])")  # base32 body
SECRET = re.compile(r"[A-Za-z0-9/+]{40}")
SECRET_NAME = re.compile(r"secret[_\-. ]?(?:access[_\-. ]?)?key", re.IGNORECASE)
_AFTER_NAME = r"[\"']?(?:\s*[:=]\s*|\s+)[\"']?"
NAMED_SECRET = re.compile(
    rf"secret[_\-]?(?:access[_\-]?)?key{_AFTER_NAME}([A-Za-z0-9/+]{{40}})(?![A-Za-z0-9/+=])", re.IGNORECASE
)
# STS session tokens start with a few fixed base64 prefixes ("\x17\n\x06aws", "!\n\torigin"...)
TOKEN = re.compile(r"(?:FwoGZXIvYXdz|FQoGZXIvYXdz|IQoJb3JpZ2lu|AQoDYXdz)[A-Za-z0-9/+=]{16,}")
NAMED_TOKEN = re.compile(rf"session[_\-]?token{_AFTER_NAME}([A-Za-z0-9/+=]{{16,}})", re.IGNORECASE)
BASE64_TEXT = re.compile(r"[A-Za-z0-9+/\s]{60,}={0,2}\s*")

# messages: a key id cut short (a message quoting the start of a token), a secret cut short
_CUT_KEY_ID = re.compile(rf"{_PREFIXES}[A-Z2-7]{{4,16}}")
_CUT_SECRET = re.compile(rf"secret[_\-]?(?:access[_\-]?)?key{_AFTER_NAME}([A-Za-z0-9/+]{{8,40}})", re.IGNORECASE)

# what may hold something to mask, in a pickled unit (bytes), tested with substring
# searches (a few ms per MB; a regular expression scanning every position was ~60 ns a
# byte): a key id's prefix; the name of a secret key or a session token (as an attribute
# name or in a text); a session token's prefix; a run of 60 base64 characters (user data)
_KEY_PREFIXES = (b"AKIA", b"ASIA", b"ABIA", b"ACCA")
_TOKEN_PREFIXES = (b"FwoGZXIvYXdz", b"FQoGZXIvYXdz", b"IQoJb3JpZ2lu", b"AQoDYXdz")
_NAMES = re.compile(rb"secret[_\-. ]?(?:access[_\-. ]?)?key|session[_\-]?token")
_RUN = bytes(97 if (48 <= c <= 57 or 65 <= c <= 90 or 97 <= c <= 122 or c in (43, 47)) else 32 for c in range(256))
_LEFT_KEY_ID = re.compile(rb"(?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}")

Hit = tuple[str, str, int, int]
"""kind, matched text, start, end (offsets in the string; 0 and its length for a key
found inside base64 text)."""


class MaskedText(str):
    """A string whose credentials were masked; ``hits`` records what
    :func:`credentials` found in the original: (kind, masked text, start, end, named),
    ``named`` when the hit needs the string's name to be a secret's."""

    hits: tuple[tuple[str, str, int, int, bool], ...]

    def __new__(cls, text: str, hits: tuple[tuple[str, str, int, int, bool], ...] = ()) -> MaskedText:
        self = super().__new__(cls, text)
        self.hits = hits
        return self

    def __reduce__(self) -> tuple[type[MaskedText], tuple[str, tuple[Any, ...]]]:
        return (MaskedText, (str(self), self.hits))


def is_example(text: str) -> bool:
    """AWS's documented example keys (public: ``AKIAIOSFODNN7EXAMPLE``...)."""
    return text.endswith("EXAMPLE") or text.endswith("EXAMPLEKEY")


def mask_credential(text: str, kind: str) -> str:
    """The masked form of one credential: an access key id keeps its first and last
    four characters, a secret or token its last four (nothing of a short one)."""
    if kind == ACCESS_KEY_ID:
        if len(text) >= 20:
            return text[:4] + "*" * (len(text) - 8) + text[-4:]
        return text[:4] + "*" * (len(text) - 4)
    if len(text) < 20:
        return "*" * len(text)
    return "*" * (len(text) - 4) + text[-4:]


# -- what SEC001 reports ------------------------------------------------------------------


def credentials(text: str, name: str = "") -> Iterator[Hit]:
    """Access key ids and secret access keys in ``text`` (a string value named ``name``:
    its attribute or key), in order. A :class:`MaskedText` gives what was found in its
    original, then anything its masking left."""
    recorded = getattr(text, "hits", None)
    if recorded is None:
        for kind, found, start, end, _, _ in _found(text, name):
            yield kind, found, start, end
        return
    given: set[Hit] = set()
    for kind, found, start, end, named in recorded:
        if not named or SECRET_NAME.search(name):
            given.add((kind, found, start, end))
            yield kind, found, start, end
    for kind, found, start, end, _, _ in _found(str(text), name):
        if (kind, found, start, end) not in given:
            yield kind, found, start, end


def _found(text: str, name: str) -> Iterator[tuple[str, str, int, int, bool, bool]]:
    """(kind, text, start, end, named: needs the name, inside: found in the decoded base64)."""
    for match in KEY_ID.finditer(text):
        yield ACCESS_KEY_ID, match.group(), match.start(), match.end(), False, False
    stripped = text.strip()
    if SECRET_NAME.search(name) and SECRET.fullmatch(stripped) and _looks_random(stripped):
        start = text.index(stripped)
        yield SECRET_ACCESS_KEY, stripped, start, start + len(stripped), True, False
    for match in NAMED_SECRET.finditer(text):
        if _looks_random(match.group(1)):
            yield SECRET_ACCESS_KEY, match.group(1), match.start(1), match.end(1), False, False
    decoded = _decoded(text)
    if decoded is not None:
        for kind, found, _, _, _, _ in _found(decoded, ""):
            yield kind, found, 0, len(text), False, True


def _looks_random(text: str) -> bool:
    return any(c.islower() for c in text) and any(c.isupper() for c in text) and any(c in "0123456789/+" for c in text)


def _decoded(text: str) -> str | None:
    if not BASE64_TEXT.fullmatch(text):
        return None
    import base64  # start-up: only for a run of base64 text (user data), rare in a plain run
    import binascii

    try:
        return base64.b64decode("".join(text.split()), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None


# -- messages -----------------------------------------------------------------------------


def mask_text(text: str) -> str:
    """``text`` with every credential masked (a message: an error, a finding, a log
    line). Same length; idempotent."""
    if not text or not _may_hold(text):
        return text
    text = _CUT_KEY_ID.sub(lambda m: mask_credential(m.group(), ACCESS_KEY_ID), text)
    text = _sub_group(_CUT_SECRET, text, SECRET_ACCESS_KEY, random=True)
    text = _sub_group(NAMED_TOKEN, text, SESSION_TOKEN)
    return TOKEN.sub(lambda m: mask_credential(m.group(), SESSION_TOKEN), text)


def _may_hold(text: str) -> bool:
    lower = text.lower()
    return ("secret" in lower or "token" in lower or "AKIA" in text or "ASIA" in text or "ABIA" in text
            or "ACCA" in text or "FwoG" in text or "FQoG" in text or "IQoJ" in text or "AQoD" in text)


def _sub_group(pattern: re.Pattern[str], text: str, kind: str, random: bool = False) -> str:
    def replace(match: re.Match[str]) -> str:
        value = match.group(1)
        if random and not _looks_random(value):
            return match.group()
        start = match.start(1) - match.start()
        return match.group()[:start] + mask_credential(value, kind)

    return pattern.sub(replace, text)


def _mask_plain(text: str) -> str:
    """A string that is not a value (an address, a reason, a comment): full key ids,
    named secrets and tokens (no cut forms: nothing here was shortened)."""
    if not _may_hold(text):
        return text
    text = KEY_ID.sub(lambda m: m.group() if is_example(m.group()) else mask_credential(m.group(), ACCESS_KEY_ID), text)
    text = _sub_group(NAMED_SECRET, text, SECRET_ACCESS_KEY, random=True)
    text = _sub_group(NAMED_TOKEN, text, SESSION_TOKEN)
    return TOKEN.sub(lambda m: mask_credential(m.group(), SESSION_TOKEN), text)


# -- values -------------------------------------------------------------------------------


def mask_string(text: str, name: str = "") -> str:
    """A string value named ``name``, masked: the same string when it holds nothing to
    mask, else a :class:`MaskedText` recording what :func:`credentials` found."""
    if isinstance(text, MaskedText):
        return text
    hits = list(_found(text, name))
    masked = text
    for kind, found, start, end, _, inside in hits:
        if not inside and not is_example(found):
            masked = masked[:start] + mask_credential(found, kind) + masked[end:]
    if any(inside for *_, inside in hits):
        masked = _reencoded(text)
    masked = TOKEN.sub(lambda m: mask_credential(m.group(), SESSION_TOKEN), _sub_group(NAMED_TOKEN, masked, SESSION_TOKEN))
    if not hits and masked == text:
        return text
    recorded = tuple((kind, found if is_example(found) else mask_credential(found, kind), start, end, named)
                     for kind, found, start, end, named, _ in hits)
    return MaskedText(masked, recorded)


def _reencoded(text: str) -> str:
    """Base64 text whose decoded content is masked, with the original's layout (line
    breaks) kept: masking keeps the decoded length, so the encoding has as many characters."""
    decoded = _decoded(text)
    assert decoded is not None
    import base64  # start-up: see _decoded

    encoded = base64.b64encode(str(mask_string(decoded)).encode("utf-8")).decode("ascii")
    if len(encoded) != sum(1 for c in text if not c.isspace()):  # cannot happen: same length
        return "*" * len(text)
    characters = iter(encoded)
    return "".join(c if c.isspace() else next(characters) for c in text)


def may_hold_secrets(payload: bytes) -> bool:
    """Whether a pickled unit may hold something to mask (a cheap test on the bytes)."""
    if any(prefix in payload for prefix in _KEY_PREFIXES + _TOKEN_PREFIXES):
        return True
    lower = payload.lower()
    if (b"secret" in lower or b"session" in lower) and _NAMES.search(lower):
        return True
    return b"a" * 60 in payload.translate(_RUN)  # base64 text: user data


def holds_key_id(payload: bytes) -> bool:
    """Whether bytes still hold an access key id (other than AWS's documented examples)."""
    return any(not is_example(match.group().decode("ascii")) for match in _LEFT_KEY_ID.finditer(payload))


def mask_object(obj: Any) -> Any:
    """``obj`` (a loaded unit, a graph, a node, a value...) with every string masked, as a
    copy that shares what did not change (``obj`` itself when nothing changed).
    Strings of values are masked by :func:`mask_string` under their name -- the
    attribute or key holding them, or for a ``{Name: n, Value: v}`` pair the pair's
    name, as SEC001 names them -- every other string (addresses, reasons, comments) by
    the same patterns without names."""
    _import_model()
    return _Masker().any(obj, "")


def _import_model() -> None:
    """The graph model's types, into this module's names, at the first masking of an
    object (start-up: a run the results cache serves masks only texts and never imports
    model.graph and model.values)."""
    global Graph, Encoded, Known, PartialText
    from iamlint.model.graph import Graph
    from iamlint.model.values import Encoded, Known, PartialText


class _Masker:
    def __init__(self) -> None:
        self.memo: dict[int, Any] = {}

    def any(self, obj: Any, name: str) -> Any:
        if obj is None or isinstance(obj, (bool, int, float, bytes, Span)):
            return obj
        if isinstance(obj, str):
            return _mask_plain(obj)
        key = id(obj)
        if key in self.memo:
            return self.memo[key]
        result = self._any(obj, name)
        self.memo[key] = result
        return result

    def _any(self, obj: Any, name: str) -> Any:
        if isinstance(obj, Known):
            return self.known(obj, name)
        if isinstance(obj, PartialText):  # its known text under its name, as SEC001 reads it
            return self.partial(obj, name)
        if isinstance(obj, Encoded):
            data = self.any(obj.data, name)
            return obj if data is obj.data else Encoded(data)
        if isinstance(obj, Graph):
            nodes = self.sequence(obj.nodes, "")
            return obj if nodes is obj.nodes else Graph(nodes, obj.partition, constructs=obj.constructs)
        if isinstance(obj, (list, tuple)) and not hasattr(obj, "_fields"):
            return self.sequence(obj, name)
        if isinstance(obj, dict):
            return self.mapping(obj)
        if hasattr(obj, "_fields"):  # a named tuple (source facts, comments)
            changes = {f: self.any(getattr(obj, f), f) for f in obj._fields}
            changed = {f: v for f, v in changes.items() if v is not getattr(obj, f)}
            return obj._replace(**changed) if changed else obj
        if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
            return self.record(obj)
        return obj

    def known(self, value: Known, name: str) -> Known:
        inner = value.value
        if isinstance(inner, str):
            new: Any = mask_string(inner, name)
        elif isinstance(inner, list):
            new = self.sequence(inner, name)
        elif isinstance(inner, dict):
            label = _pair_name(inner)
            new = {}
            changed = False
            for key, item in inner.items():
                child = label if label and key.lower() == "value" else key
                masked_key, masked_item = _mask_plain(key), self.any(item, child)
                changed = changed or masked_key is not key or masked_item is not item
                new[masked_key] = masked_item
            if not changed:
                new = inner
        elif isinstance(inner, Encoded):
            new = self.any(inner, name)
        else:
            new = inner
        condition = getattr(value, "condition", None)
        masked_condition = _mask_plain(condition) if isinstance(condition, str) else condition
        if new is inner and masked_condition is condition:
            return value
        changes: dict[str, Any] = {"value": new}
        if masked_condition is not condition:
            changes["condition"] = masked_condition
        return dataclasses.replace(value, **changes)

    def partial(self, value: PartialText, name: str) -> PartialText:
        text, reason = mask_string(value.text, name), _mask_plain(value.reason)
        if text is value.text and reason is value.reason:
            return value
        return dataclasses.replace(value, text=text, reason=reason)

    def sequence(self, items: Any, name: str) -> Any:
        new = [self.any(item, name) for item in items]
        if all(a is b for a, b in zip(new, items, strict=True)):
            return items
        return type(items)(new) if isinstance(items, tuple) else new

    def mapping(self, items: dict[str, Any]) -> dict[str, Any]:
        new = {}
        changed = False
        for key, item in items.items():
            masked_key = _mask_plain(key) if isinstance(key, str) else key
            masked_item = self.any(item, key if isinstance(key, str) else "")
            changed = changed or masked_key is not key or masked_item is not item
            new[masked_key] = masked_item
        return new if changed else items

    def record(self, obj: Any) -> Any:
        changes = {}
        for field in dataclasses.fields(obj):
            current = getattr(obj, field.name)
            masked = self.any(current, field.name)
            if masked is not current:
                changes[field.name] = masked
        if not changes:
            return obj
        if not all(field.init for field in dataclasses.fields(obj) if field.name in changes):
            return obj  # pragma: no cover -- no such record in the model
        return dataclasses.replace(obj, **changes)


def _pair_name(mapping: dict[str, Any]) -> str | None:
    """The name of a {Name: ..., Value: ...} pair (environment variables, tags)."""
    for key in ("Name", "name", "Key", "key"):
        item = mapping.get(key)
        if isinstance(item, Known) and isinstance(item.value, str):
            return item.value
    return None
