"""Training belongs to its session: a closed tab's worker process exits and the server's processes are back to
what they were before Play; stopping the server ends every worker."""

import signal
import time

import pytest
from e2e.conftest import serving_app
from e2e.waiting import wait_for_app_run

from ganviz.bench.processes import has_proc, process_tree
from ganviz.training.worker import IDLE_S, STOP_TIMEOUT_S

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not has_proc(), reason="counts the server's processes in /proc (Linux)"),
]

CLOSED_TAB_S = 30  # the promise: a closed tab's worker has exited this long after


def play_the_playground(browser, base: str):
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    page.goto(base + "/playground", wait_until="domcontentloaded")
    wait_for_app_run(page)
    page.get_by_role("button", name="Play").click()
    page.get_by_role("button", name="Pause").wait_for()
    return page


def wait_for_processes(server_pid: int, count: int, seconds: float) -> list[int]:
    deadline = time.monotonic() + seconds
    while len(tree := process_tree(server_pid)) != count and time.monotonic() < deadline:
        time.sleep(0.5)
    return tree


def test_a_closed_tab_leaves_no_training_process(browser, artifacts):
    assert IDLE_S + STOP_TIMEOUT_S < CLOSED_TAB_S  # idle, then at most this long sending its last frames
    with serving_app(artifacts / "sessions.log") as (base, server):
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        page.goto(base + "/playground", wait_until="domcontentloaded")
        wait_for_app_run(page)
        page.close()
        before_play = len(process_tree(server.pid))  # with what the page started for Play (see prepare_workers)
        page = play_the_playground(browser, base)
        playing = wait_for_processes(server.pid, before_play + 1, 30)
        assert len(playing) == before_play + 1  # one worker trains
        page.close()
        after = wait_for_processes(server.pid, before_play, CLOSED_TAB_S)
        assert len(after) == before_play, (before_play, after)


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_stopping_the_server_ends_every_worker(stop, browser, artifacts):
    with serving_app(artifacts / "sessions.log") as (base, server):
        page = play_the_playground(browser, base)
        processes = process_tree(server.pid)
        assert len(processes) >= 2
        server.send_signal(stop)
        server.wait(timeout=20)
        page.close()
        deadline = time.monotonic() + CLOSED_TAB_S  # the bound a closed tab's worker has too
        while (left := [p for p in processes if process_tree(p)]) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert left == []
