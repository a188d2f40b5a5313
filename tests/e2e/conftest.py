"""Real-browser fixtures: a headless Streamlit server for the session and a headless Chromium.

Chromium comes from the system (GANVIZ_CHROMIUM, else `chromium` on PATH, else /usr/bin/chromium);
a missing browser is a failure with the fix, never a skip.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

import pytest
from e2e.waiting import RUN_TIMEOUT_MS, wait_for_app_run
from playwright.sync_api import Page, expect, sync_playwright

from ganviz.bench import browser as browser_bench
from ganviz.bench.browser import CHROMIUM_ARGS, find_chromium

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
# An expectation waits as long as a script run may take (Playwright's own default is 5 s): the tests share the
# cores with their servers and browsers, and with each other (one test process per core)
expect.set_options(timeout=RUN_TIMEOUT_MS)


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def of_this_worker(path: Path) -> Path:
    """`path` with the pytest-xdist worker's name added (streamlit-gw1.log): test processes running side by side
    never share a server log or a cache folder. Unchanged when the tests run in one process, or named already."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker or path.stem.endswith(f"-{worker}"):
        return path
    return path.with_name(f"{path.stem}-{worker}{path.suffix}")


@contextmanager
def serving_app(log_path: Path):
    """A freshly started app (ganviz.bench.browser.serving_app) whose downloads and digit-classifier cache go to
    a throwaway folder beside its log; a server that does not start fails the test with its log's tail. The log
    and the folder are this test process's own (of_this_worker)."""
    log_path = of_this_worker(log_path)
    cache = of_this_worker(log_path.parent / "cache")
    try:
        with browser_bench.serving_app(log_path, env={"GANVIZ_CACHE_DIR": str(cache)}) as app:
            yield app
    except browser_bench.AppDidNotStart as e:
        pytest.fail(str(e), pytrace=False)


@pytest.fixture(scope="session")
def app_url(artifacts: Path):
    """One server for the test session; its log is test-artifacts/streamlit.log."""
    with serving_app(artifacts / "streamlit.log") as (base, _):
        yield base


def chromium_path() -> str:
    """The Chromium to drive (see find_chromium); a missing one fails the test with the fix."""
    try:
        return find_chromium()
    except RuntimeError as e:
        pytest.fail(str(e), pytrace=False)


@pytest.fixture(scope="session")
def browser():
    executable = chromium_path()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser) -> Page:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(RUN_TIMEOUT_MS)
    yield page
    context.close()


@pytest.fixture
def open_app(page: Page, app_url: str):
    """`open_app(path, expect_text=...)`: load a page of the app, wait for the script run to finish
    and for `expect_text` to be on screen; returns the playwright Page."""

    def _open(path: str = "/", *, expect_text: str) -> Page:
        page.goto(app_url + path, wait_until="domcontentloaded")
        page.locator("[data-testid='stAppViewContainer']").wait_for(state="attached")
        wait_for_app_run(page)
        page.get_by_text(expect_text, exact=True).first.wait_for(state="visible")
        return page

    return _open


@pytest.fixture
def screenshot(page: Page, artifacts: Path):
    """`screenshot(name)`: save the whole page to test-artifacts/<name>; returns the path.

    Streamlit scrolls inside its main container, not the document, so Playwright's full_page
    option sees only the viewport: grow the viewport to the content's height first."""

    def _shoot(name: str) -> Path:
        size = page.viewport_size or {"width": 1400, "height": 900}
        height = page.evaluate(
            """() => Math.max(...["[data-testid='stMain']", "[data-testid='stAppViewContainer']"]
                .map(s => document.querySelector(s)).filter(Boolean).map(e => e.scrollHeight),
                document.documentElement.scrollHeight)"""
        )
        page.set_viewport_size({"width": size["width"], "height": max(size["height"], int(height))})
        page.wait_for_timeout(500)  # let Plotly and the layout settle at the new size
        path = artifacts / name
        page.screenshot(path=str(path), full_page=True)
        page.set_viewport_size(size)
        return path

    return _shoot
