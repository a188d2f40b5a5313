"""The Latent page in a real browser: quick-train a 2D run of its own, click two fakes to set the path, move
the truncation slider, push noise with FGSM, then find the run the 2D playground lends beside its own."""

import re

import numpy as np
import pytest
from e2e.waiting import RUN_TIMEOUT_MS, slide_to, wait_for_app_run, wait_until
from playwright.sync_api import Page, expect

from ganviz.latent.noise import TRUNCATION_PSIS

pytestmark = pytest.mark.browser

PSIS = list(TRUNCATION_PSIS)  # the ψ slider's options

SCREENS = {"1920x1080": (1920, 1080), "1366x768": (1366, 768)}  # the widest first: see `page`


@pytest.fixture
def page(browser) -> Page:
    """A page on the widest screen: Plotly lays a chart out anew when the window narrows, but a chart drawn
    narrow and then widened keeps legends where the narrow layout put them (over the axes)."""
    context = browser.new_context(viewport={"width": SCREENS["1920x1080"][0], "height": SCREENS["1920x1080"][1]})
    page = context.new_page()
    page.set_default_timeout(RUN_TIMEOUT_MS)
    yield page
    context.close()


def figure(page: Page, key: str) -> dict | None:
    """A static chart's traces (meta, x, y) and title as the browser draws them; None while it is being
    redrawn (a rerun briefly holds the old plot beside the new one: the newest drawn one counts)."""
    return page.locator(f".st-key-{key} .js-plotly-plot").evaluate_all(
        "els => { const gd = els.filter(e => e._fullData).pop(); return gd ? {data: gd._fullData.map(t => "
        "({meta: t.meta, x: Array.from(t.x || []), y: Array.from(t.y || [])})), "
        "title: gd.layout.title && gd.layout.title.text} : null; }"
    )


def trace(fig: dict, kind: str) -> dict:
    (found,) = [t for t in fig["data"] if (t.get("meta") or {}).get("kind") == kind]
    return found


def marked_at(page: Page, kind: str, xy) -> bool:
    """Whether the interpolation figure, once drawn, marks its `kind` ("start" or "end") at xy."""
    fig = figure(page, "lt_pick")
    return bool(fig) and np.allclose([trace(fig, kind)[c][0] for c in "xy"], xy)


def click_fake(page: Page, index: int) -> None:
    """Click fake #index where the browser drew it."""
    plot = page.locator(".st-key-lt_pick .js-plotly-plot").last
    plot.scroll_into_view_if_needed()
    x, y = plot.evaluate(
        """(gd, i) => {
            const t = gd._fullData.find(d => d.meta && d.meta.kind === "fake");
            const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
            return [xa._offset + xa.l2p(t.x[i]), ya._offset + ya.l2p(t.y[i])];
        }""",
        index,
    )
    box = plot.bounding_box()
    page.mouse.click(box["x"] + x, box["y"] + y)


def no_exception(page: Page) -> None:
    expect(page.locator("[data-testid='stException']")).to_have_count(0)


def test_quick_train_click_two_fakes_truncate_and_borrow_the_playgrounds_run(open_app, screenshot):
    page = open_app("/latent", expect_text="Latent")
    expect(page.get_by_text("none has been trained yet", exact=False)).to_be_visible()
    page.get_by_role("button", name=re.compile("Quick-train a 2D GAN")).click()
    page.get_by_text("Interpolation and arithmetic", exact=True).wait_for(timeout=90_000)
    wait_for_app_run(page)
    no_exception(page)
    expect(page.get_by_text(re.compile(r"quick-trained 2D GAN: ring8 · iteration 3,000")).first).to_be_visible()
    page.locator(".st-key-lt_pick .js-plotly-plot .scatterlayer .trace").first.wait_for()

    # two clicks on fakes: the first sets the path's start, the second its end. G piles most fakes onto the
    # modes, so click the two that stand farthest from any other (a click there can only mean that one).
    fakes = trace(figure(page, "lt_pick"), "fake")
    xy = np.column_stack([fakes["x"], fakes["y"]])
    gaps = np.sqrt(((xy[:, None] - xy[None]) ** 2).sum(-1)) + np.eye(len(xy)) * 1e9
    first, second = (int(i) for i in np.argsort(gaps.min(1))[-2:])
    for index, kind in ((first, "start"), (second, "end")):
        click_fake(page, index)
        wait_until(lambda index=index, kind=kind: marked_at(page, kind, xy[index]), timeout_s=30)
        wait_for_app_run(page)
    path = trace(figure(page, "lt_pick"), "path_spherical")
    assert np.allclose([path["x"][0], path["y"][0]], xy[first], atol=1e-4)  # G's path joins the two fakes
    assert np.allclose([path["x"][-1], path["y"][-1]], xy[second], atol=1e-4)
    assert page.get_by_label("start: fake #").input_value() == str(first)
    assert page.get_by_label("end: fake #").input_value() == str(second)

    # a smaller ψ draws other samples, and the sweep's ring moves along the curve
    before = trace(figure(page, "lt_truncated"), "truncated")
    slider = page.get_by_role("slider", name="ψ, the truncation threshold")
    psi_quarter = PSIS.index(0.25)  # a select slider's input holds the option's index
    slide_to(page, slider, psi_quarter, lambda: "ψ = 0.25" in (figure(page, "lt_truncated") or {}).get("title", ""))
    after = trace(figure(page, "lt_truncated"), "truncated")

    def spread(t):
        return float(np.std(t["x"]) + np.std(t["y"]))

    assert after["x"] != before["x"] and spread(after) < spread(before)  # truncated noise: samples closer together
    assert trace(figure(page, "lt_sweep"), "chosen")["x"] == ["0.25"]

    page.get_by_role("button", name=re.compile("toward “real”")).click()
    page.locator(".st-key-lt_fgsm_paths .js-plotly-plot").wait_for()
    wait_for_app_run(page)
    no_exception(page)
    for name, (width, height) in SCREENS.items():
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_timeout(1000)  # Plotly redraws its charts for the new width
        screenshot(f"latent-{name}.png")

    # the 2D playground lends its run: back on the Latent page it stands beside the quick-trained one
    page.get_by_role("link", name="2D playground").click()
    expect(page.get_by_role("heading", name="2D playground", exact=True)).to_be_visible()  # it ran, and lent its run
    wait_for_app_run(page)
    no_exception(page)
    page.get_by_role("link", name="Latent").click()
    expect(page.get_by_role("heading", name="Latent", exact=True)).to_be_visible()
    wait_for_app_run(page)
    choice = page.locator(".st-key-lt_source")
    expect(choice.get_by_text("quick-trained 2D GAN", exact=True)).to_be_visible()
    choice.get_by_text("2D playground", exact=True).click()
    wait_for_app_run(page)
    no_exception(page)
    expect(page.get_by_text(re.compile(r"^2D playground: ring8 · iteration")).first).to_be_visible()
    expect(page.get_by_text("Train it more on its page", exact=False)).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("more iterations"))).to_have_count(0)  # not ours to train
