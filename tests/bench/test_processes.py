"""Counting a process tree from /proc: checked against processes this test starts and ends itself."""

import os
import signal
import subprocess
import sys
import time

import pytest

from ganviz.bench.processes import has_proc, process_tree, rss_mb

pytestmark = pytest.mark.skipif(not has_proc(), reason="reads /proc (Linux)")

WITH_A_CHILD = (
    "import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']); "
    "time.sleep(60)"
)


def test_the_tree_holds_a_process_and_its_child_and_is_empty_once_the_process_has_gone():
    parent = subprocess.Popen([sys.executable, "-c", WITH_A_CHILD])
    try:
        deadline = time.monotonic() + 30
        while len(tree := process_tree(parent.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)  # the child starts a moment later
        assert tree[0] == parent.pid and len(tree) == 2
        assert rss_mb(tree) > rss_mb(tree[:1]) > 1.0
    finally:
        parent.kill()
        parent.wait()
    assert process_tree(parent.pid) == []
    os.kill(tree[1], signal.SIGKILL)  # the orphaned child
