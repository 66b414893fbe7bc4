"""Test-wide settings: the tests never write into the user's own iamlint cache."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(autouse=True, scope="session")
def _private_cache_dir(tmp_path_factory):
    """Point iamlint's cache (parser tables, unit cache) at a folder of this test session.
    Tests that exercise the cache set their own folder on top of this one."""
    previous = os.environ.get("IAMLINT_CACHE_DIR")
    os.environ["IAMLINT_CACHE_DIR"] = str(tmp_path_factory.mktemp("iamlint-cache"))
    yield
    if previous is None:
        os.environ.pop("IAMLINT_CACHE_DIR", None)
    else:
        os.environ["IAMLINT_CACHE_DIR"] = previous
