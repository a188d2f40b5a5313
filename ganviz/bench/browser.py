"""`python -m ganviz bench --live`: frames/s and iterations/s of a live page in a real browser.

Starts the app headless, opens a live page (the 2D playground unless told otherwise) in headless Chromium
(Playwright, a test dependency), presses Play, and for `seconds` counts redraws of the page's main view and
reads the iteration counter of its status line; then compares with the headless benchmark of the default
2D config on the same machine. Every live page draws its main view with the role "main-view", and the
browser counts that role's redraws in `window.__ganvizRedraws` (pages/_plotly_live.py): the count does not
depend on the page's layout.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from ganviz.bench.train import bench_train_2d
from ganviz.config import GANConfig

ROOT = Path(__file__).resolve().parents[2]  # the repository: app.py is run from here


STATUS = re.compile(r"iteration ([\d,]+) ·")


CHROMIUM_ARGS = [
    "--no-sandbox",  # required when running as root (containers, CI)
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


MAIN_VIEW_ROLE = "main-view"  # the role live pages give their main view
COUNT_REDRAWS = "role => (window.__ganvizRedraws || {})[role] || 0"  # redraws of that role so far


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def app_command(port: int) -> list[str]:
    """`streamlit run app.py` headless on 127.0.0.1:port, run from the repository root (ROOT)."""
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        "app.py",
        "--server.headless=true",
        f"--server.port={port}",
        "--server.address=127.0.0.1",
        "--browser.gatherUsageStats=false",
        "--server.fileWatcherType=none",
    ]


def healthy(base: str) -> bool:
    """Whether the app at `base` answers its health check with "ok"."""
    try:
        with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as response:
            return response.status == 200 and response.read().decode().strip() == "ok"
    except OSError:  # URLError is an OSError
        return False


def find_chromium() -> str:
    """GANVIZ_CHROMIUM if set (it must then be valid), else `chromium` on PATH, else /usr/bin/chromium.
    Raises RuntimeError with a one-line instruction when there is none."""
    override = os.environ.get("GANVIZ_CHROMIUM")
    if override:
        if os.path.isfile(override) and os.access(override, os.X_OK):
            return override
        raise RuntimeError(f"GANVIZ_CHROMIUM={override!r} is not an executable file; point it at Chromium or unset it")
    for candidate in (shutil.which("chromium"), "/usr/bin/chromium"):
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    raise RuntimeError("Chromium not found: install Chromium, e.g. apt-get install -y chromium, or set GANVIZ_CHROMIUM")


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


class AppDidNotStart(RuntimeError):
    """The app did not answer its health check in time (the message holds its log's tail)."""


@contextmanager
def serving_app(log_path: Path | None = None, env: dict | None = None, startup_s: float = 60.0):
    """`streamlit run app.py` headless on a free port of 127.0.0.1, freshly started, its output to `log_path`
    (default: discarded); yields (its base URL, its process), then stops it. AppDidNotStart, with the log's
    tail, when it does not answer its health check within `startup_s`."""
    port, log = free_port(), open(log_path, "w") if log_path else subprocess.DEVNULL
    try:
        proc = subprocess.Popen(
            app_command(port), cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})}
        )
    finally:
        if log_path:
            log.close()
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + startup_s
        while not healthy(base):
            if proc.poll() is not None or time.monotonic() > deadline:
                tail = _tail(log_path) if log_path else "(no log kept)"
                raise AppDidNotStart(f"the app did not answer {base}/_stcore/health within {startup_s:g} s:\n{tail}")
            time.sleep(0.25)
        yield base, proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def iteration_shown(page, timeout_ms: float = 60_000) -> int:
    """The iteration a live page's status line shows."""
    status = page.get_by_text(STATUS).first
    return int(STATUS.search(status.inner_text(timeout=timeout_ms)).group(1).replace(",", ""))


def bench_live(seconds: float = 20.0, warmup: float = 5.0, page_path: str = "/playground") -> dict:
    """Play the live page at `page_path` for `warmup` + `seconds` and measure its frames and iterations per
    second over the last `seconds`."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise RuntimeError("the live benchmark drives a browser: pip install -r requirements-dev.txt") from None
    # headless speed before and after the live part: this machine's speed drifts over minutes
    headless = [bench_train_2d(GANConfig(), seconds=5.0)]
    with serving_app() as (base, _), sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=find_chromium(), headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(f"{base}{page_path}", wait_until="domcontentloaded")
        page.get_by_text(STATUS).first.wait_for(timeout=60_000)
        page.get_by_role("button", name="Play").click()
        time.sleep(warmup)
        frames0, it0, t0 = page.evaluate(COUNT_REDRAWS, MAIN_VIEW_ROLE), iteration_shown(page), time.perf_counter()
        time.sleep(seconds)
        frames1, it1, t1 = page.evaluate(COUNT_REDRAWS, MAIN_VIEW_ROLE), iteration_shown(page), time.perf_counter()
        page.get_by_role("button", name="Pause").click()
        browser.close()
    headless.append(bench_train_2d(GANConfig(), seconds=5.0))
    headless_speed = sum(h["iters_per_sec"] for h in headless) / len(headless)
    live = (it1 - it0) / (t1 - t0)
    if frames1 == frames0:
        raise RuntimeError(f"no redraw of the main view of {page_path} was counted: is it a live page?")
    return {
        "benchmark": "live-2d",
        "page": page_path,
        "frames_per_sec": (frames1 - frames0) / (t1 - t0),
        "live_iters_per_sec": live,
        "headless_iters_per_sec": headless_speed,
        "headless_before_and_after": [h["iters_per_sec"] for h in headless],
        "live_vs_headless": live / headless_speed,
        "seconds": t1 - t0,
        "config": headless[0]["config"],
        "device": headless[0]["device"],
        "torch": headless[0]["torch"],
    }
