"""The course in a real browser: predict, play to the checkpoint, read the reveal, one click for the "now try";
screenshots at projector sizes."""

import pytest
from e2e.waiting import click_until
from playwright.sync_api import expect

from ganviz.course import CHAPTERS

pytestmark = pytest.mark.browser

SIZES = {"1366x768": (1366, 768)}  # the smaller projector; the layout tests shoot the course at 1920x1080 too
CHAPTER = next(i for i, c in enumerate(CHAPTERS) if c.slug == "saturating-loss")  # a checkpoint at 500: quick


@pytest.mark.parametrize("size", SIZES)
def test_a_chapter_from_prediction_to_now_try(size, open_app, screenshot):
    chapter = CHAPTERS[CHAPTER]
    width, height = SIZES[size]
    page = open_app(
        f"/course?chapter={CHAPTER + 1}", expect_text=f"Chapter {CHAPTER + 1} of {len(CHAPTERS)}: {chapter.title}"
    )
    page.set_viewport_size({"width": width, "height": height})
    expect(page.get_by_role("button", name="Play")).to_have_count(0)  # a prediction first
    play = page.get_by_role("button", name="Play")
    click_until(page, page.get_by_text(chapter.choices[-1].text, exact=True), play.is_visible)
    play.click()
    reveal = page.get_by_text("Measured on your run:")
    reveal.wait_for(state="visible", timeout=120_000)  # paused at the checkpoint, read there
    assert f"iterations 451–{chapter.steps}" in reveal.inner_text()
    expect(page.get_by_role("button", name="Play")).to_be_disabled()
    screenshot(f"course-reveal-{size}.png")
    now_try = page.get_by_role("button", name=f"Now try: {chapter.now_try.label}")
    label_cut = "(button) => [button, ...button.querySelectorAll('*')].some((e) => e.scrollWidth > e.clientWidth + 1)"
    assert not now_try.evaluate(label_cut)  # the variation is read whole, not cut short with an ellipsis
    now_try.click()
    page.get_by_text(f"Now try: {chapter.now_try.label}.", exact=False).last.wait_for(state="visible", timeout=120_000)
    expect(page.locator("[data-testid='stException']")).to_have_count(0)
    screenshot(f"course-now-try-{size}.png")
