"""For tests that start worker processes: the test runner's own __main__ module, whatever ran before.

multiprocessing's forkserver and spawn start methods re-import the parent's `__main__` module in every child.
Streamlit's AppTest leaves the page script it ran there, so after a page test each worker would run that page
on its way up (slow, and it fails when the page does). The fixture puts the runner's module back for the test.
"""

from __future__ import annotations

import sys

import pytest

RUNNER_MAIN = sys.modules["__main__"]  # taken when the test folders' conftest files load: before any test ran


@pytest.fixture(autouse=True)
def runner_main_module(monkeypatch):
    monkeypatch.setitem(sys.modules, "__main__", RUNNER_MAIN)
