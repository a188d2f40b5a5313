"""The Digits page in a real browser: Play trains, the sample grid changes, Pause freezes it."""

import re

import pytest
from e2e.waiting import choose, download, wait_for_app_run, wait_until
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

STATUS = re.compile(r"iteration ([\d,]+) · D updates")


def iteration(page) -> int:
    return int(STATUS.search(page.get_by_text(STATUS).first.inner_text()).group(1).replace(",", ""))


def grid(page):
    """The sample grid's title and pixels, as the browser holds them."""
    return page.locator(".st-key-mn_main .js-plotly-plot").evaluate(
        "gd => [gd.layout.title.text, JSON.stringify(gd.data[0].z)]"
    )


def test_play_changes_the_sample_grid_and_pause_freezes_it(open_app, screenshot):
    page = open_app("/mnist?dataset=digits&digits=0137", expect_text="Digits")
    page.get_by_text(STATUS).first.wait_for(timeout=120_000)
    expect(page.locator("[data-testid='stException']")).to_have_count(0)
    wait_until(lambda: page.locator(".st-key-mn_main .js-plotly-plot").count() == 1, timeout_s=90)
    title0, pixels0 = grid(page)
    assert title0.startswith("iteration 0")

    page.get_by_role("button", name="Play").click()
    wait_until(lambda: iteration(page) > 200, timeout_s=90)
    title1, pixels1 = grid(page)
    assert title1 != title0 and len(pixels1) > 100 and pixels1 != pixels0  # a newer grid: G's digits changed

    page.get_by_role("button", name="Pause").click()
    wait_for_app_run(page)
    page.wait_for_timeout(1500)
    frozen = (iteration(page), grid(page)[0])
    page.wait_for_timeout(2500)
    assert (iteration(page), grid(page)[0]) == frozen and frozen[0] > 200
    expect(page.locator("[data-testid='stException']")).to_have_count(0)
    screenshot("digits.png")


def test_step_reset_time_travel_lesson_and_the_samples_picture(open_app):
    page = open_app("/mnist?dataset=digits&batch_size=16", expect_text="Digits")
    page.get_by_text(STATUS).first.wait_for(timeout=120_000)
    for _ in range(2):
        page.get_by_role("button", name="Step", exact=True).click()
        wait_for_app_run(page)
    assert iteration(page) == 2 and grid(page)[0].startswith("iteration 2:")
    page.get_by_text("Time travel: scrub back through the sample grid").click()
    travel = page.get_by_role("slider", name="recorded iteration")
    travel.focus()
    travel.press("Home")
    wait_for_app_run(page)
    wait_until(lambda: grid(page)[0].startswith("iteration 0:"), timeout_s=15)
    assert iteration(page) == 2  # looking back does not change the run

    page.get_by_text("Download and upload").click()
    assert download(page, "samples (PNG)").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    page.get_by_role("button", name="Reset", exact=True).click()
    wait_for_app_run(page)
    assert iteration(page) == 0

    choose(page, "mn_lesson", "Conditional GAN: pick the digit")
    wait_until(lambda: "lesson=digits-conditional" in page.url, timeout_s=60)
    wait_until(
        lambda: (
            page.locator(".st-key-mn_main .js-plotly-plot").evaluate("gd => (gd.layout.yaxis.ticktext || []).length")
            == 10
        ),
        timeout_s=60,
    )  # a row per digit asked for
    expect(page.get_by_text("Conditional GAN: pick the digit", exact=False).first).to_be_visible()
    expect(page.locator("[data-testid='stException']")).to_have_count(0)
