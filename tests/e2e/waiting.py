"""Waiting for the app in a real browser: for a script run to finish, or for any condition.

Imported by the browser tests as `from e2e.waiting import ...` (tests/ is on the import path; a test file's
`from conftest import ...` would find tests/conftest.py instead of this folder's).
"""

from __future__ import annotations

import time
from pathlib import Path

from playwright.sync_api import Page
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

RUN_TIMEOUT_MS = 60_000


def wait_for_app_run(page: Page, timeout_ms: int = RUN_TIMEOUT_MS) -> None:
    """Wait until the app is connected and its script run finished, as Streamlit's own e2e suite
    does: `data-test-script-state` goes initial -> running -> notRunning on the stApp element."""
    page.wait_for_timeout(200)  # let debounced widget events reach the server
    page.locator("[data-testid='stApp'][data-test-connection-state='CONNECTED']").wait_for(
        state="attached", timeout=timeout_ms
    )
    page.locator("[data-testid='stApp'][data-test-script-state='notRunning']").wait_for(
        state="attached", timeout=timeout_ms
    )


def wait_until(predicate, timeout_s: float = 60.0, poll_s: float = 0.25):
    """Poll `predicate` until it returns something truthy and return that; fail after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while not (value := predicate()):
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(poll_s)
    return value


def choose(page: Page, key: str, option: str, attempts: int = 3) -> None:
    """Pick `option` in the select box with key `key`, as a user would: open its list, click the option. A
    rerun landing meanwhile closes the list: then open it again."""
    box = page.locator(f".st-key-{key} input")
    for attempt in range(attempts):
        try:
            box.evaluate("e => e.scrollIntoView({block: 'center'})")  # room for the list below it
            box.click()
            box.press("ArrowDown")  # a click focuses the box; the arrow key opens its list
            page.get_by_role("option", name=option, exact=True).click(timeout=5_000)
            break
        except PlaywrightTimeoutError:
            if attempt == attempts - 1:
                raise
    wait_for_app_run(page)


def until_it_takes(page: Page, act, done, attempts: int = 3, failure: str = "the page did not follow") -> None:
    """`act(attempt)`, wait for the script run, and again until `done()` holds: a click or a key press landing
    while a rerun redraws the page can be lost."""
    for attempt in range(attempts):
        act(attempt)
        wait_for_app_run(page)
        try:
            wait_until(done, timeout_s=15)
            return
        except AssertionError:
            continue
    assert done(), failure


def slide_to(page: Page, slider, value: float, done, attempts: int = 3) -> None:
    """Move `slider` (an input of type range) to `value` (what the input holds: a select slider's is the option's
    index) with the arrow keys, as a user would, and wait until `done()` holds. A press that was lost is pressed
    again from where the slider stands; a value shown in the browser that never reached the server is sent anew
    (away and back)."""
    step = float(slider.get_attribute("step") or 1)

    def presses() -> int:  # right if positive
        return round((value - float(slider.input_value())) / step)

    def press(attempt: int) -> None:
        slider.focus()
        if attempt and presses() == 0:
            at_min = float(slider.input_value()) <= float(slider.get_attribute("min"))
            slider.press("ArrowRight" if at_min else "ArrowLeft")
            wait_for_app_run(page)
        n = presses()
        for _ in range(abs(n)):
            slider.press("ArrowRight" if n > 0 else "ArrowLeft")

    until_it_takes(page, press, done, attempts, f"the slider did not reach {value}, or the page did not follow")


def click_until(page: Page, target, done, attempts: int = 3) -> None:
    """Click `target` until `done()` holds (clicking a choice again that did land changes nothing)."""
    until_it_takes(page, lambda attempt: target.click(), done, attempts, "the page did not follow the click")


def download(page: Page, button_name: str, attempts: int = 3) -> Path:
    """Click the download button named `button_name` and return where the browser saved its file. A click landing
    while a rerun redraws the button can be lost: then click again."""

    def click_and_save() -> Path:
        with page.expect_download(timeout=15_000) as started:
            page.get_by_role("button", name=button_name).click()
        return Path(started.value.path())

    for _ in range(attempts - 1):
        try:
            return click_and_save()
        except PlaywrightTimeoutError:
            wait_for_app_run(page)
    return click_and_save()
