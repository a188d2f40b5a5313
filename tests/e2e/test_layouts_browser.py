"""The pages at common screen sizes: everything fits the width, every formula fits its column, a live page's
main view and a curve are on screen while playing, and a screenshot of each is kept in test-artifacts/ to look at."""

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
PLOTS_OVERLAPPED = """() => [...document.querySelectorAll(".ganviz-plot")].filter((plot) => {
    const drawing = plot.querySelector(".main-svg");
    return drawing && plot.getBoundingClientRect().height + 1 < drawing.getBoundingClientRect().height;
}).map((plot) => plot.closest("[class*='st-key-']").className)"""
SIZES = {"1920x1080": (1920, 1080), "1366x768": (1366, 768)}
LIVE_PAGES = {  # page -> (path, its title, its widgets' prefix)
    "playground": ("/playground?seed=1", "2D playground", "pg"),
    "digits": ("/mnist?dataset=digits", "Digits", "mn"),
    "compare": ("/compare", "Compare runs", "cp"),
}
NO_CURVE_IN_VIEW = {("compare", "1366x768")}  # see test_a_live_page_fits_a_projector_while_playing


IN_VIEW = """(selector) => [...document.querySelectorAll(selector)].map((e) => {
    const b = e.getBoundingClientRect();
    return {top: b.top, bottom: b.bottom, left: b.left, right: b.right, width: b.width, height: b.height};
})"""


def boxes(page, selector: str) -> list[dict]:
    """The on-screen boxes of the elements matching `selector`, in viewport pixels."""
    return page.evaluate(IN_VIEW, selector)


def assert_fits_the_width(page, width: int) -> None:
    """No sideways scrolling, every formula whole in its column, every live plot's box as tall as its drawing (else
    what follows the plot overlaps it), and no error on the page. Plotly redraws its charts for a new window size
    a moment after the resize: wait for that."""
    main_width = "() => document.querySelector(\"[data-testid='stMain']\").scrollWidth"
    try:
        wait_until(lambda: page.evaluate(main_width) <= width, timeout_s=10)
    except AssertionError:
        raise AssertionError(f"the page is {page.evaluate(main_width)} px wide in a {width} px window") from None
    cut = page.evaluate(FORMULAS_CUT_OFF)
    assert cut == [], cut
    overlapped = page.evaluate(PLOTS_OVERLAPPED)
    assert overlapped == [], overlapped
    expect(page.locator("[data-testid='stException']")).to_have_count(0)


def fully_in_view(box: dict, width: int, height: int) -> bool:
    return box["top"] >= 0 and box["left"] >= 0 and box["bottom"] <= height and box["right"] <= width


def assert_one_screen(page, prefix: str, size: str, curve: bool = True) -> None:
    """No scrolling needed: the main view whole, each of its panels (D's surface, the sample grid, a run's panel)
    with a side of at least 45 % of the window's height, Play/Pause, and (with `curve`) at least one curve whole."""
    width, height = SIZES[size]
    views = boxes(page, f".st-key-{prefix}_main .nsewdrag")
    assert views and all(fully_in_view(v, width, height) for v in views), (size, views)
    assert all(min(v["width"], v["height"]) >= 0.45 * height for v in views), (size, views)
    (play,) = boxes(page, f".st-key-{prefix}_play button")
    assert fully_in_view(play, width, height), (size, play)
    if curve:
        panels = boxes(page, f".st-key-{prefix}_charts .nsewdrag")
        assert any(fully_in_view(p, width, height) for p in panels), (size, panels)


def play_at_each_size(page, name: str, prefix: str, screenshot, curve_at=lambda size: True) -> None:
    page.get_by_role("button", name="Play").click()
    wait_until(lambda: page.get_by_role("button", name="Pause").is_visible(), timeout_s=60)
    for size, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_timeout(2000)  # a few frames at the new size
        try:
            assert_one_screen(page, prefix, size, curve=curve_at(size))
            assert_fits_the_width(page, width)
        finally:  # after the checks: a whole-page screenshot resizes the window for a moment
            screenshot(f"{name}-playing-{size}.png")
    page.get_by_role("button", name="Pause").click()


@pytest.mark.parametrize("name", LIVE_PAGES)
def test_a_live_page_fits_a_projector_while_playing(name, open_app, screenshot):
    """The playground's D surface, the digits page's sample grid and the compare page's two panels, each beside
    its curves. With the sidebar open at 1366×768 the compare page shows its two panels and Play, and its curves
    under them (beside them they would be too narrow to read); presenter mode, below, shows all of it."""
    path, title, prefix = LIVE_PAGES[name]
    page = open_app(path, expect_text=title)
    play_at_each_size(page, name, prefix, screenshot, curve_at=lambda size: (name, size) not in NO_CURVE_IN_VIEW)


def sidebar_folded(page) -> bool:
    box = page.locator("[data-testid='stSidebar']").bounding_box()
    return box is None or box["x"] + box["width"] <= 0


def test_presenter_mode_folds_the_sidebar_enlarges_the_text_and_fits_the_race(open_app, screenshot):
    page = open_app("/compare?present=1", expect_text="Compare runs")
    wait_until(lambda: sidebar_folded(page), timeout_s=15)
    assert page.evaluate("() => getComputedStyle(document.documentElement).fontSize") == "18px"
    play_at_each_size(page, "compare-presenting", "cp", screenshot)
    assert "present=1" in page.url  # the page's own link keeps it


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
