"""One download and classifier cache for the whole test session: the digit classifier that judges image runs is
trained once (a few seconds) and then loaded by every test that evaluates digits."""

from __future__ import annotations

import atexit
import functools
import shutil
import tempfile
from pathlib import Path

import pytest


@functools.cache
def session_cache_dir() -> Path:
    """A temporary folder for this test session, removed at its end. (A plain function rather than a session
    fixture: fixtures imported into several conftest files would be several fixtures, each with its own folder.)"""
    path = Path(tempfile.mkdtemp(prefix="ganviz-test-cache-"))
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


@pytest.fixture
def shared_cache(monkeypatch) -> Path:
    """GANVIZ_CACHE_DIR set to the session's cache folder for this test."""
    monkeypatch.setenv("GANVIZ_CACHE_DIR", str(session_cache_dir()))
    return session_cache_dir()
