"""`python -m ganviz bench --sessions K` and `--soak MINUTES`: a class on one server, measured in real browsers.

`bench_sessions` starts the app, opens the 2D playground in K browser sessions (Chromium, one context each: K
students), presses Play in each and measures, over `seconds`, each session's iterations/s and frames/s, pages
left blank (no status line: the session lost its server), exceptions shown, the server's process tree and its
resident memory (before, at peak, after). Then it closes every tab without pausing and counts the server's
processes 30 s later. `bench_soak` plays one session for `minutes` and reports the server's memory and the
page's JavaScript heap (after garbage collection) every minute: the change from the start to the end and the
least-squares trend, which one sample landing on a transient moves little. Both send traffic to 127.0.0.1
only and stop by themselves.
"""

from __future__ import annotations

import math
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


def slope_per_10_minutes(samples: list[dict], key: str) -> float | None:
    """The least-squares slope of `key` over `samples` (each with its "minute"), in units per 10 minutes: a trend
    that one sample landing on a transient moves little. None for fewer than two distinct minutes."""
    xs, ys = [s["minute"] for s in samples], [s[key] for s in samples]
    if len(set(xs)) < 2:
        return None
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return 10 * sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)


def _changes(samples: list[dict], key: str) -> dict:
    """`key`'s change over the samples: the end vs the start, and the least-squares trend (per 10 minutes, and
    over the whole span as a share of the start)."""
    start, end = samples[0][key], samples[-1][key]
    slope = slope_per_10_minutes(samples, key)
    span = samples[-1]["minute"] - samples[0]["minute"]
    return {
        "change": end / start - 1 if start else None,
        "trend_mb_per_10_min": slope,
        "trend_change": slope * span / 10 / start if start and slope is not None else None,
    }


def bench_soak(minutes: float) -> dict:
    """One session plays the 2D playground for `minutes` after a first minute of play: the server's memory and
    the page's JS heap at the start (after that minute), every minute, and at the end; their change end vs
    start and their least-squares trend."""
    from playwright.sync_api import sync_playwright

    if not has_proc():
        raise RuntimeError("bench --soak reads the server's memory in /proc: run it on Linux")
    # the heap the page keeps: garbage collected first (exposed by --js-flags=--expose-gc), else a sample
    # lands anywhere between two collections; twice, a moment apart, as one collection leaves what the page's
    # work in progress still held (measured: ~6 MB more, and a wider spread)
    heap = """async () => {
      if (window.gc) { window.gc(); await new Promise((done) => setTimeout(done, 100)); window.gc(); }
      return performance.memory.usedJSHeapSize / 2**20;
    }"""
    with serving_app() as (base, server), sync_playwright() as pw:
        args = [*CHROMIUM_ARGS, "--enable-precise-memory-info", "--js-flags=--expose-gc"]
        browser = pw.chromium.launch(executable_path=find_chromium(), headless=True, args=args)
        _, page = _open_session(browser, base)
        page.get_by_role("button", name="Play").click()
        played = time.perf_counter()
        warmup = min(60.0, minutes * 60 / 4)  # the first minute fills the caches and the time-travel store

        def sample() -> dict:
            minute = (time.perf_counter() - played) / 60
            return {
                "minute": round(minute, 2),
                "server_rss_mb": rss_mb(process_tree(server.pid)),
                "js_heap_mb": page.evaluate(heap),
            }

        time.sleep(warmup)
        samples = [sample()]
        first_iteration, t0 = iteration_shown(page), time.perf_counter()
        for mark in [*range(1, math.ceil(minutes)), minutes]:  # every minute, then the end
            time.sleep(max(0.0, t0 + mark * 60 - time.perf_counter()))
            samples.append(sample())
        iterations = iteration_shown(page) - first_iteration
        seconds = time.perf_counter() - t0
        browser.close()
    start, end = samples[0], samples[-1]
    rss, js = _changes(samples, "server_rss_mb"), _changes(samples, "js_heap_mb")
    return {
        "benchmark": "soak",
        "minutes": minutes,
        "start": {k: start[k] for k in ("server_rss_mb", "js_heap_mb")},
        "end": {k: end[k] for k in ("server_rss_mb", "js_heap_mb")},
        "server_rss_change": rss["change"],
        "js_heap_change": js["change"],
        "server_rss_trend_mb_per_10_min": rss["trend_mb_per_10_min"],
        "server_rss_trend_change": rss["trend_change"],
        "js_heap_trend_mb_per_10_min": js["trend_mb_per_10_min"],
        "js_heap_trend_change": js["trend_change"],
        "iters_per_sec": iterations / seconds,
        "samples": samples,
    }
