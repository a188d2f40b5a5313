"""`python -m ganviz bench --sessions K` and `--soak MINUTES`: a class on one server, measured in real browsers.

`bench_sessions` starts the app, opens the 2D playground in K browser sessions (Chromium, one context each: K
students), presses Play in each and measures, over `seconds`, each session's iterations/s and frames/s, pages
left blank (no status line: the session lost its server), exceptions shown, the server's process tree and its
resident memory (before, at peak, after). Then it closes every tab without pausing and counts the server's
processes 30 s later. `bench_soak` plays one session for `minutes` and reports the server's memory and the
page's JavaScript heap (after a garbage collection) at the start and the end. Both send traffic to 127.0.0.1
only and stop by themselves.
"""

from __future__ import annotations

import threading
import time

from ganviz.bench.browser import (
    CHROMIUM_ARGS,
    COUNT_REDRAWS,
    MAIN_VIEW_ROLE,
    STATUS,
    find_chromium,
    iteration_shown,
    serving_app,
)
from ganviz.bench.processes import has_proc, process_tree, rss_mb
from ganviz.live.turns import max_training

AFTER_CLOSE_S = 30.0  # the promise: a closed tab's worker has gone this long after
PAGE = "/playground"


class _MemoryWatch:
    """The server's process tree and its resident memory, sampled twice a second on a thread: the peak."""

    def __init__(self, pid: int):
        self.pid, self.peak_mb, self.peak_processes = pid, 0.0, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def now(self) -> tuple[int, float]:
        tree = process_tree(self.pid)
        return len(tree), rss_mb(tree)

    def _watch(self) -> None:
        while not self._stop.wait(0.5):
            processes, mb = self.now()
            self.peak_mb, self.peak_processes = max(self.peak_mb, mb), max(self.peak_processes, processes)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def _open_session(browser, base: str):
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    page = context.new_page()
    page.goto(f"{base}{PAGE}", wait_until="domcontentloaded")
    page.get_by_text(STATUS).first.wait_for(timeout=120_000)
    return context, page


def _reading(page) -> tuple[int, int, int]:
    """(redraws of the main view, the iteration shown, exceptions shown); -1 for a page that shows no status."""
    try:
        shown = iteration_shown(page, timeout_ms=2_000)
    except Exception:  # a blank page: no status line to read
        shown = -1
    return page.evaluate(COUNT_REDRAWS, MAIN_VIEW_ROLE), shown, page.locator("[data-testid='stException']").count()


def bench_sessions(sessions: int, seconds: float = 20.0, warmup: float = 10.0) -> dict:
    """K sessions playing the 2D playground on one fresh server (see the module's docstring)."""
    from playwright.sync_api import sync_playwright

    if not has_proc():
        raise RuntimeError("bench --sessions counts the server's processes in /proc: run it on Linux")
    with serving_app() as (base, server), sync_playwright() as pw, _MemoryWatch(server.pid) as memory:
        browser = pw.chromium.launch(executable_path=find_chromium(), headless=True, args=CHROMIUM_ARGS)
        opened = [_open_session(browser, base) for _ in range(sessions)]
        processes_before, mb_before = memory.now()
        for _, page in opened:
            page.get_by_role("button", name="Play").click()
        time.sleep(warmup)
        start, t0 = [_reading(page) for _, page in opened], time.perf_counter()
        time.sleep(seconds)
        end, t1 = [_reading(page) for _, page in opened], time.perf_counter()
        for context, _ in opened:
            context.close()
        closed = time.perf_counter()
        browser.close()
        time.sleep(max(0.0, closed + AFTER_CLOSE_S - time.perf_counter()))
        processes_after, mb_after = memory.now()
    elapsed = t1 - t0
    per_session = [
        {
            "iters_per_sec": (b[1] - a[1]) / elapsed if min(a[1], b[1]) >= 0 else 0.0,
            "frames_per_sec": (b[0] - a[0]) / elapsed,
            "blank": b[1] < 0,
            "exceptions": b[2],
        }
        for a, b in zip(start, end)
    ]
    return {
        "benchmark": "sessions",
        "sessions": sessions,
        "training_slots": max_training(),
        "seconds": elapsed,
        "per_session": per_session,
        "total_iters_per_sec": sum(s["iters_per_sec"] for s in per_session),
        "blank_pages": sum(s["blank"] for s in per_session),
        "exceptions": sum(s["exceptions"] for s in per_session),
        "server_rss_mb": {"before_play": mb_before, "peak": memory.peak_mb, "after_close": mb_after},
        "server_processes": {
            "before_play": processes_before,
            "peak": memory.peak_processes,
            f"{AFTER_CLOSE_S:g}_s_after_close": processes_after,
        },
    }


def bench_soak(minutes: float) -> dict:
    """One session plays the 2D playground for `minutes`: the server's memory and the page's JS heap, start
    (after a minute of play) and end."""
    from playwright.sync_api import sync_playwright

    if not has_proc():
        raise RuntimeError("bench --soak reads the server's memory in /proc: run it on Linux")
    # the heap the page keeps: garbage collected first (exposed by --js-flags=--expose-gc), else a sample
    # lands anywhere between two collections
    heap = "() => { if (window.gc) { window.gc(); } return performance.memory.usedJSHeapSize / 2**20; }"
    with serving_app() as (base, server), sync_playwright() as pw:
        args = [*CHROMIUM_ARGS, "--enable-precise-memory-info", "--js-flags=--expose-gc"]
        browser = pw.chromium.launch(executable_path=find_chromium(), headless=True, args=args)
        _, page = _open_session(browser, base)
        page.get_by_role("button", name="Play").click()
        time.sleep(min(60.0, minutes * 60 / 4))  # the first minute fills the caches and the time-travel store
        start = {"server_rss_mb": rss_mb(process_tree(server.pid)), "js_heap_mb": page.evaluate(heap)}
        first_iteration, t0 = iteration_shown(page), time.perf_counter()
        time.sleep(max(0.0, minutes * 60 - (time.perf_counter() - t0)))
        end = {"server_rss_mb": rss_mb(process_tree(server.pid)), "js_heap_mb": page.evaluate(heap)}
        iterations = iteration_shown(page) - first_iteration
        seconds = time.perf_counter() - t0
        browser.close()
    return {
        "benchmark": "soak",
        "minutes": minutes,
        "start": start,
        "end": end,
        "server_rss_change": end["server_rss_mb"] / start["server_rss_mb"] - 1,
        "js_heap_change": (end["js_heap_mb"] / start["js_heap_mb"] - 1) if start["js_heap_mb"] else None,
        "iters_per_sec": iterations / seconds,
    }
