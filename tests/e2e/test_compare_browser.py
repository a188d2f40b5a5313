"""The Compare page in a real browser: two runs play side by side with their views zoomed together,
Pause freezes both, and changing one setting of run B restarts the race with the difference shown."""

import re

import pytest
from e2e.waiting import choose, slide_to, wait_for_app_run, wait_until
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

SMALL = "g_width=16&d_width=16&g_depth=2&d_depth=2&batch_size=32"
STATUS = re.compile(r"iteration ([\d,]+) · (\d) runs")
VIEW = ".st-key-cp_main .js-plotly-plot"


def iteration(page: Page) -> int:
    return int(STATUS.search(page.get_by_text(STATUS).first.inner_text()).group(1).replace(",", ""))


def panel_titles(page: Page) -> list[str]:
    return page.locator(VIEW).evaluate("gd => gd.layout.annotations.map(a => a.text)")


def zoom_panel(page: Page, index: int):
    """A box-zoom drag inside panel `index`; returns every panel's x range after it, or None if the drag
    was swallowed by a redraw (as a user would, the test tries again)."""
    box = page.locator(f"{VIEW} .nsewdrag").nth(index).bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.45, box["y"] + box["height"] * 0.45)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.75, box["y"] + box["height"] * 0.2, steps=8)
    page.mouse.up()
    ranges = page.locator(VIEW).evaluate("gd => [gd.layout.xaxis.range, gd.layout.xaxis2.range]")
    return ranges if 0 < ranges[1][1] - ranges[1][0] < 2.5 else None  # the ring's full view is ~6 wide


def test_two_runs_race_side_by_side_and_a_change_restarts_them(open_app, screenshot):
    page = open_app(f"/compare?runs=2&{SMALL}&B.loss=hinge", expect_text="Compare runs")
    expect(page.locator("[data-testid='stException']")).to_have_count(0)
    assert iteration(page) == 0
    assert panel_titles(page)[1].startswith("<b style='color:#e6550d'>B: loss hinge</b>")

    page.get_by_role("button", name="Play").click()
    wait_until(lambda: iteration(page) > 60, timeout_s=60)
    first = iteration(page)
    wait_until(lambda: iteration(page) > first, timeout_s=30)  # live: it keeps advancing
    titles = panel_titles(page)
    numbers = [int(re.search(r"iteration ([\d,]+)", t).group(1).replace(",", "")) for t in titles]
    assert numbers[0] == numbers[1] > 0  # both runs at the same iteration, drawn from one frame

    # Zoom into run B's panel: run A's panel follows (their axes match).
    ranges = zoom_panel(page, 1) or zoom_panel(page, 1) or zoom_panel(page, 1)
    assert ranges is not None, "three box-zoom drags did not zoom run B's panel"
    assert ranges[0] == pytest.approx(ranges[1])
    zoomed_at = iteration(page)
    wait_until(lambda: iteration(page) > zoomed_at + 20, timeout_s=30)
    assert page.locator(VIEW).evaluate("gd => gd.layout.xaxis.range") == pytest.approx(ranges[0])  # kept

    page.get_by_role("button", name="Pause").click()
    wait_for_app_run(page)
    page.wait_for_timeout(800)
    frozen = iteration(page)
    page.wait_for_timeout(2000)
    assert iteration(page) == frozen > 0
    screenshot("compare-playing.png")

    # Change one thing in run B: its D steps, 1 -> 3. The race starts over with the difference in view.
    pick = page.locator(".st-key-cp_pick_1 input")
    pick.click()
    pick.fill("d steps")  # the list of settings is long: type to filter it, as a user would
    page.get_by_role("option", name="d steps (optimisation)").click()
    wait_for_app_run(page)
    slider = page.locator("[class*='st-key-cp_value_'][class*='_1_d_steps'] input[type='range']")
    slide_to(page, slider, 3, lambda: slider.input_value() == "3")
    page.get_by_role("button", name="Apply to run B").click()
    wait_for_app_run(page)
    wait_until(lambda: "B.d_steps=3" in page.url, timeout_s=30)
    assert iteration(page) == 0
    wait_until(lambda: "d_steps 3" in panel_titles(page)[1], timeout_s=30)
    expect(page.get_by_text("Highlighted: the settings where the runs differ.")).to_be_visible()
    expect(page.locator("[data-testid='stException']")).to_have_count(0)
    screenshot("compare-changed.png")


def test_adding_and_removing_runs(open_app):
    page = open_app(f"/compare?runs=2&{SMALL}&B.loss=hinge", expect_text="Compare runs")
    choose(page, "cp_add", "a copy of run B")
    expect(page.locator(".st-key-cp_add input")).to_have_value("a copy of run B")
    page.get_by_role("button", name="Add the run").click()
    wait_for_app_run(page)
    wait_until(lambda: "runs=3" in page.url, timeout_s=30)
    assert STATUS.search(page.get_by_text(STATUS).first.inner_text()).group(2) == "3"
    wait_until(lambda: len(panel_titles(page)) == 3, timeout_s=30)
    assert panel_titles(page)[2].startswith("<b style='color:#17becf'>C: loss hinge</b>")
    page.get_by_role("button", name="Remove run A").click()
    wait_for_app_run(page)
    wait_until(lambda: "runs=2" in page.url, timeout_s=30)
    assert "loss=hinge" in page.url and "B.loss" not in page.url  # B (hinge) is run A now, C is run B
    expect(page.locator("[data-testid='stException']")).to_have_count(0)


def test_a_diverging_run_pauses_the_race_until_the_others_go_on(open_app, screenshot):
    exploding = "B.optimizer_d=sgd&B.optimizer_g=sgd&B.lr_d=10&B.lr_g=10&B.r1_weight=0&B.ema=0&B.loss=least-squares"
    page = open_app(f"/compare?runs=2&{SMALL}&{exploding}", expect_text="Compare runs")
    page.get_by_role("button", name="Play").click()
    error = page.get_by_text(re.compile(r"Run B diverged at iteration \d+"))
    error.wait_for(timeout=60_000)
    wait_for_app_run(page)
    expect(page.get_by_role("button", name="Play")).to_be_disabled()  # the race waits for a decision
    stopped_at = iteration(page)
    page.wait_for_timeout(1500)
    assert iteration(page) == stopped_at
    screenshot("compare-diverged.png")
    page.get_by_role("button", name="Continue the other runs without run B").click()
    wait_for_app_run(page)
    expect(page.get_by_role("button", name="Play")).to_be_enabled()
    page.get_by_role("button", name="Play").click()
    wait_until(lambda: iteration(page) > stopped_at + 20, timeout_s=60)
    page.get_by_role("button", name="Pause").click()
    wait_for_app_run(page)
    titles = panel_titles(page)
    assert "diverged at iteration" in titles[1] and "diverged" not in titles[0]
    expect(page.locator("[data-testid='stException']")).to_have_count(0)
