"""Image data without the network: a URL opener that always fails, and a fixture that isolates a test's downloads."""

from __future__ import annotations

from urllib.error import URLError

import pytest

from ganviz.data import mnist
from ganviz.data.images import clear_image_cache


def unreachable(url, timeout=None):
    """A stand-in for `urlopen` on a machine without a network."""
    raise URLError("network is unreachable (test)")


@pytest.fixture
def offline_images(monkeypatch, tmp_path):
    """No network, a private download cache (tmp_path / "cache"), no user MNIST folder, and nothing remembered
    between tests."""
    monkeypatch.setenv("GANVIZ_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("GANVIZ_MNIST_DIR", raising=False)
    monkeypatch.setattr(mnist, "urlopen", unreachable)
    clear_image_cache()
    yield
    clear_image_cache()
