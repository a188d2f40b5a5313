"""The 2D playground in a real browser: Play advances, Pause freezes, a live slider takes effect."""

import json
import re
import time

import pytest
from e2e.waiting import download, slide_to, wait_for_app_run, wait_until
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

STATUS = re.compile(r"iteration ([\d,]+) · D updates ([\d,]+) · G updates ([\d,]+)")


def counters(page: Page) -> tuple[int, int, int]:
    text = page.get_by_text(STATUS).first.inner_text()
    return tuple(int(g.replace(",", "")) for g in STATUS.search(text).groups())


def test_play_pause_and_a_live_slider(open_app, screenshot):
    page = open_app("/playground?seed=3", expect_text="2D playground")
    expect(page.locator("[data-testid='stException']")).to_have_count(0)
    assert counters(page)[0] == 0

    page.get_by_role("button", name="Play").click()
    wait_until(lambda: counters(page)[0] > 50, timeout_s=30)
    first = counters(page)
    wait_until(lambda: counters(page)[0] > first[0], timeout_s=30)  # still advancing: it is live, not one jump

    # Mid-run, move k_D from 1 to 3 with the keyboard on the slider: D must then step 3x per iteration.
    page.get_by_text("Optimisation", exact=True).click()
    slider = page.locator(".st-key-pg_w_d_steps input[type='range']")
    slide_to(page, slider, 3, lambda: "k_D : k_G = 3 : 1" in page.get_by_text(STATUS).first.inner_text())
    before = counters(page)
    wait_until(lambda: counters(page)[0] > before[0] + 30, timeout_s=30)
    after = counters(page)
    iterations, d_updates = after[0] - before[0], after[1] - before[1]
    # Both readings come from whole frames drawn after the change: every iteration between them had k_D = 3.
    assert d_updates == 3 * iterations and after[2] - before[2] == iterations, (before, after)

    # Zoom in mid-run with the mouse (a box drag): later frames must keep the zoom (the figure is
    # updated in place, and plotly.js keeps a user's zoom while layout.uirevision stays the same).
    plot = page.locator(".st-key-pg_main .js-plotly-plot")

    def zoom_in():
        box = page.locator(".st-key-pg_main .nsewdrag").first.bounding_box()
        page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] * 0.8, box["y"] + box["height"] * 0.2, steps=8)
        page.mouse.up()
        x = plot.evaluate("gd => gd.layout.xaxis.range")
        return x if 0 < x[1] - x[0] < 2 else None  # the ring's full view is ~6 wide

    # A redraw landing mid-drag can swallow the gesture, as it would a user's: they try again, so do we.
    zoomed = zoom_in() or zoom_in() or zoom_in()
    assert zoomed is not None, "three box-zoom drags did not zoom the main view"
    zoomed_at = counters(page)[0]
    wait_until(lambda: counters(page)[0] > zoomed_at + 20, timeout_s=30)
    title = plot.evaluate("gd => gd.layout.title.text")
    assert int(title.split()[1]) > zoomed_at  # a later frame has been drawn, and kept the zoom
    assert plot.evaluate("gd => gd.layout.xaxis.range") == pytest.approx(zoomed)

    page.get_by_role("button", name="Pause").click()
    wait_for_app_run(page)
    page.wait_for_timeout(800)
    frozen = counters(page)
    page.wait_for_timeout(2000)
    assert counters(page) == frozen
    assert frozen[0] > 0

    expect(page.locator(".st-key-pg_main .js-plotly-plot")).to_have_count(1)
    expect(page.locator("[data-testid='stException']")).to_have_count(0)
    screenshot("playground.png")


def test_your_own_data_drawn_or_pasted(open_app, screenshot):
    page = open_app("/playground", expect_text="2D playground")
    page.get_by_text("Your own data: upload a CSV or draw points").click()

    # Draw: a lasso square in the middle of the canvas selects cells, which become the data.
    canvas = page.locator(".st-key-pg_canvas .nsewdrag").first
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(cx - 50, cy - 50)
    page.mouse.down()
    for dx, dy in [(50, -50), (50, 50), (-50, 50), (-50, -50)]:
        page.mouse.move(cx + dx, cy + dy, steps=8)
    page.mouse.up()
    train = page.get_by_role("button", name=re.compile(r"Train on the [1-9]\d* selected cells"))
    expect(train).to_be_enabled()
    train.click()
    wait_for_app_run(page)
    wait_until(lambda: "dataset=custom" in page.url, timeout_s=30)
    assert counters(page) == (0, 0, 0)
    expect(page.locator("[data-testid='stException']")).to_have_count(0)

    # Paste: a bad value is reported on one line and the run is kept; good points start a new run.
    paste = page.get_by_label("…or paste the points (x,y per line)")
    if not paste.is_visible():
        page.get_by_text("Your own data: upload a CSV or draw points").click()
    paste.fill("x,y\n1,2\n3,oops\n" + "\n".join(f"{i},{i}" for i in range(12)))
    paste.press("Control+Enter")
    wait_for_app_run(page)
    page.get_by_role("button", name="Train on the pasted points").click()
    wait_for_app_run(page)
    expect(page.get_by_text(re.compile(r"Pasted points: line 3: 'oops' is not a number"))).to_be_visible()
    expect(page.locator("[data-testid='stException']")).to_have_count(0)
    screenshot("playground-own-data.png")


def main_title(page: Page) -> str:
    return page.locator(".st-key-pg_main .js-plotly-plot").evaluate("gd => gd.layout.title.text")


def click(page: Page, name: str) -> None:
    page.get_by_role("button", name=name, exact=True).click()
    wait_for_app_run(page)


def test_steps_reset_speed_slow_motion_time_travel_and_downloads(open_app, screenshot):
    page = open_app("/playground?seed=1&g_width=16&d_width=16&lr_d=50&hide=bogus", expect_text="2D playground")
    expect(page.get_by_text(re.compile(r"Link: lr_d: 50 is outside .* using 10"))).to_be_visible()
    expect(page.get_by_text(re.compile(r"Link: hide: 'bogus' is not a control"))).to_be_visible()
    assert "lr_d=10.0" in page.url and "hide" not in page.url  # the address bar holds what is used
    page.get_by_text("Optimisation", exact=True).click()
    lr = page.locator(".st-key-pg_w_lr_d input[type='range']")
    lr.focus()
    lr.press("Home")  # the smallest learning rate: a calm run
    wait_for_app_run(page)

    click(page, "Step")
    assert counters(page) == (1, 1, 1)
    click(page, "Step D")
    click(page, "Step G")
    assert counters(page) == (1, 2, 2)
    click(page, "Reset")
    assert counters(page) == (0, 0, 0)

    # One iteration per frame: Play advances by about one iteration a frame (≈ 4 a second), not hundreds.
    speed = page.locator(".st-key-pg_speed input[type='range']")
    speed.focus()
    speed.press("Home")
    wait_for_app_run(page)
    expect(speed).to_have_attribute("aria-valuetext", "1 iteration / frame")
    click(page, "Play")
    wait_until(lambda: counters(page)[0] >= 3, timeout_s=30)
    first, start = counters(page)[0], time.monotonic()
    page.wait_for_timeout(2000)
    gained = counters(page)[0] - first
    click(page, "Pause")
    assert 1 <= gained <= (time.monotonic() - start) / 0.23 + 2, gained  # at most one per frame
    speed.focus()
    speed.press("End")  # back to full speed
    wait_for_app_run(page)

    # Slow motion: one iteration, stage by stage.
    before = counters(page)[0]
    page.get_by_text("slow motion", exact=True).click()
    wait_for_app_run(page)
    expect(page.get_by_role("button", name="Play")).to_be_disabled()
    click(page, "Next iteration, stage by stage")
    expect(page.get_by_text(re.compile(r"Stage 1 of 8 — "))).to_be_visible()
    click(page, "Next stage")
    expect(page.get_by_text(re.compile(r"Stage 2 of 8 — "))).to_be_visible()
    assert counters(page)[0] == before + 1
    screenshot("playground-slow-motion.png")
    page.get_by_text("slow motion", exact=True).click()
    wait_for_app_run(page)

    # Time travel: step twice more, look back, resume from there.
    click(page, "Step")
    click(page, "Step")
    now = counters(page)[0]
    page.get_by_text("Time travel: scrub back through the run").click()
    travel = page.get_by_role("slider", name="recorded iteration")
    travel.focus()
    travel.press("Home")
    wait_for_app_run(page)
    wait_until(lambda: main_title(page).startswith("iteration 0 "), timeout_s=15)
    assert counters(page)[0] == now  # looking back does not change the run
    click(page, "Resume training from iteration 0")
    assert counters(page) == (0, 0, 0)

    # Downloads: the settings as JSON (the run's own), the metrics as CSV.
    page.get_by_text("Download and upload").click()
    settings = json.loads(download(page, "config (JSON)").read_text())
    assert (settings["seed"], settings["g_width"], settings["lr_d"]) == (1, 16, 1e-6)
    assert download(page, "metrics (CSV)").read_text().startswith("iteration,")
    expect(page.locator("[data-testid='stException']")).to_have_count(0)


def test_a_lesson_loads_its_setup_and_says_what_to_watch(open_app):
    page = open_app("/playground", expect_text="2D playground")
    picker = page.locator(".st-key-pg_lesson input")
    picker.click()
    page.get_by_role("option", name="Mode collapse", exact=True).click()
    wait_for_app_run(page)
    wait_until(lambda: "lesson=mode-collapse" in page.url, timeout_s=30)
    expect(page.get_by_text("Promise:", exact=False).first).to_be_visible()
    assert counters(page) == (0, 0, 0)
    page.get_by_text("Optimisation", exact=True).click()
    expect(page.locator(".st-key-pg_w_lr_d input[type='range']")).to_have_attribute("aria-valuetext", "0.0001")
