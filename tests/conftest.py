"""Shared fixtures: one torch thread, the MNIST folder, training slots of each test's own, and the markers' rules.

The fast tier, run on every change: `python -m pytest -m "not browser and not slow"`.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

from ganviz.live.turns import Turns

# Small models are dispatcher-bound: one thread is faster here and keeps runs reproducible.
torch.set_num_threads(1)

MNIST_ENV = "GANVIZ_TEST_MNIST_DIR"
DEFAULT_MNIST = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"
MNIST_FILE = "t10k-images-idx3-ubyte.gz"


MAX_TEST_PROCESSES = 4  # each runs its own app server and browser for the browser tests (~2 GB)


def pytest_xdist_auto_num_workers(config) -> int:
    """`-n auto` (pytest.ini): one test process per core, at most MAX_TEST_PROCESSES."""
    return max(1, min(os.cpu_count() or 1, MAX_TEST_PROCESSES))


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    """The folder with the official MNIST test split (the IDX files): $GANVIZ_TEST_MNIST_DIR, else the
    shared data folder beside the repository. Tests that need it are marked `needs_mnist` and are skipped,
    saying where they looked, where it is missing."""
    folder = Path(os.environ.get(MNIST_ENV) or DEFAULT_MNIST)
    if not (folder / MNIST_FILE).exists():
        pytest.skip(f"MNIST test split not found in {folder} (set {MNIST_ENV} to a folder with {MNIST_FILE})")
    return folder


@pytest.fixture(autouse=True)
def own_training_slots(monkeypatch):
    """Each test's playing runs get training slots of their own: a test never waits in line behind the runs an
    earlier test left playing (a server process has one queue: ganviz/live/turns.py)."""
    monkeypatch.setattr("ganviz.live.run.SERVER_TURNS", Turns(slots=64))


def pytest_collection_modifyitems(items):
    """A test that uses the `mnist_dir` fixture is a `needs_mnist` test, marked or not. The browser tests run one
    after another in one test process (`--dist loadgroup`, pytest.ini), beside the other tests: two of them at
    once, each with its server and browser, starve each other's clicks and frames."""
    for item in items:
        if "mnist_dir" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.needs_mnist)
        if item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.xdist_group("browser"))
