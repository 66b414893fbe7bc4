"""iamlint.digests: the same digests as hashlib's (start-up: hashlib is not imported on
the one-file path, tests/test_lazy_imports.py)."""

from __future__ import annotations

import hashlib

import pytest

from iamlint import digests

TEXTS = [b"", b"x", b"iamlint" * 1000, bytes(range(256)) * 3]


@pytest.mark.parametrize("data", TEXTS)
def test_the_same_digests_as_hashlib(data):
    assert digests.sha256(data).hexdigest() == hashlib.sha256(data).hexdigest()
    for size in (8, 16, 20, 64):
        assert digests.blake2b(data, digest_size=size).hexdigest() == hashlib.blake2b(data, digest_size=size).hexdigest()
    incremental = digests.blake2b(digest_size=16)
    incremental.update(data)
    incremental.update(b"more")
    assert incremental.hexdigest() == hashlib.blake2b(data + b"more", digest_size=16).hexdigest()
