"""The pages at common screen sizes: everything fits the width, every formula fits its column, a live page's
main view is on screen, and a screenshot of each is kept in test-artifacts/ to look at."""

import pytest
from e2e.waiting import wait_for_app_run, wait_until
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

FORMULAS_CUT_OFF = """() => [...document.querySelectorAll(".katex-display")].filter((formula) => {
    const room = formula.closest("[data-testid='stElementContainer']").getBoundingClientRect();
    return [...formula.querySelectorAll(".katex-html .base")].some((part) => {
        const drawn = part.getBoundingClientRect();
        return drawn.left < room.left - 1 || drawn.right > room.right + 1;
    });
}).map((formula) => formula.textContent.slice(0, 40))"""
SIZES = {"1920x1080": (1920, 1080), "1366x768": (1366, 768)}
PAGES = {  # page -> (path, its title, the key of its main view); the playground has the projector test below
    "digits": ("/mnist?dataset=digits", "Digits", "mn_main"),
    "compare": ("/compare", "Compare runs", "cp_main"),
}


IN_VIEW = """(selector) => [...document.querySelectorAll(selector)].map((e) => {
    const b = e.getBoundingClientRect();
    return {top: b.top, bottom: b.bottom, left: b.left, right: b.right, width: b.width, height: b.height};
})"""


def boxes(page, selector: str) -> list[dict]:
    """The on-screen boxes of the elements matching `selector`, in viewport pixels."""
    return page.evaluate(IN_VIEW, selector)


def assert_fits_the_width(page, width: int) -> None:
    """No sideways scrolling, every formula whole in its column, and no error on the page. Plotly redraws its
    charts for a new window size a moment after the resize: wait for that."""
    main_width = "() => document.querySelector(\"[data-testid='stMain']\").scrollWidth"
    try:
        wait_until(lambda: page.evaluate(main_width) <= width, timeout_s=10)
    except AssertionError:
        raise AssertionError(f"the page is {page.evaluate(main_width)} px wide in a {width} px window") from None
    cut = page.evaluate(FORMULAS_CUT_OFF)
    assert cut == [], cut
    expect(page.locator("[data-testid='stException']")).to_have_count(0)


def fully_in_view(box: dict, width: int, height: int) -> bool:
    return box["top"] >= 0 and box["left"] >= 0 and box["bottom"] <= height and box["right"] <= width


def test_the_playground_fits_a_projector_while_playing(open_app, screenshot):
    """One screen, no scrolling, at each size: D's surface whole with a side of at least 45 % of the window's
    height, Play/Pause, and at least one chart panel whole."""
    page = open_app("/playground?seed=1", expect_text="2D playground")
    page.get_by_role("button", name="Play").click()
    wait_until(lambda: page.get_by_role("button", name="Pause").is_visible(), timeout_s=30)
    for size, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_timeout(3000)  # a few frames at the new size
        (surface,) = boxes(page, ".st-key-pg_main .nsewdrag")
        assert fully_in_view(surface, width, height), (size, surface)
        assert min(surface["width"], surface["height"]) >= 0.45 * height, (size, surface)
        (pause,) = boxes(page, ".st-key-pg_play button")
        assert fully_in_view(pause, width, height), (size, pause)
        panels = boxes(page, ".st-key-pg_charts .nsewdrag")
        assert any(fully_in_view(p, width, height) for p in panels), (size, panels)
        assert_fits_the_width(page, width)
        screenshot(f"playground-playing-{size}.png")
    page.get_by_role("button", name="Pause").click()


@pytest.mark.parametrize("name", PAGES)
def test_a_live_page_fits_the_screen(name, open_app, screenshot):
    path, title, main = PAGES[name]
    page = open_app(path, expect_text=title)
    for _ in range(3):  # a few iterations, so the curves have something to draw
        page.get_by_role("button", name="Step", exact=True).click()
        wait_for_app_run(page)
    for size, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        wait_for_app_run(page)
        view = page.locator(f".st-key-{main} .js-plotly-plot")
        expect(view).to_have_count(1)
        box = view.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width, (size, box)  # the main view is not cut off
        page.evaluate("() => document.querySelector(\"[data-testid='stMain']\").scrollTo(0, 0)")
        (shown,) = boxes(page, f".st-key-{main} .js-plotly-plot")
        (play,) = boxes(page, f".st-key-{main.split('_')[0]}_play button")
        assert fully_in_view(shown, width, height) and fully_in_view(play, width, height), (size, shown, play)
        assert_fits_the_width(page, width)
        screenshot(f"{name}-{size}.png")


EXPLAINER_PAGES = {  # page -> (path, its title)
    "home": ("/", "ganviz — see why GANs are hard"),
    "divergences": ("/divergences", "Divergences"),
    "dynamics": ("/dynamics", "Dynamics"),
    "course": ("/course?chapter=1", "Chapter 1 of 9: The game, and D's surface"),
}


@pytest.mark.parametrize("name", EXPLAINER_PAGES)
def test_an_explainer_page_fits_the_screen(name, open_app, screenshot):
    path, title = EXPLAINER_PAGES[name]
    page = open_app(path, expect_text=title)
    for size, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        wait_for_app_run(page)
        expect(page.locator(".js-plotly-plot").first).to_be_visible()
        assert_fits_the_width(page, width)
        screenshot(f"{name}-{size}.png")
