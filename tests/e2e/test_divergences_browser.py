"""The Divergences page in a real browser: moving θ redraws the densities and the curves' marker,
Train D draws a trained D, and Play runs the JS-vs-W1 duel."""

import re

import pytest
from e2e.waiting import slide_to, wait_for_app_run, wait_until
from playwright.sync_api import Page, expect

from support.pages import plotly_array

pytestmark = pytest.mark.browser

DUEL_STATUS = re.compile(r"left · Minimax \(saturating\)\*?\*?: iteration ([\d,]+)")


def figure(page: Page, key: str) -> dict:
    """A figure's data and layout as the browser holds them."""
    return page.locator(f".st-key-{key} .js-plotly-plot").evaluate(
        "gd => ({data: gd.data.map(t => ({meta: t.meta, x: t.x, y: t.y})), layout: {shapes: gd.layout.shapes, "
        "title: gd.layout.title && gd.layout.title.text}})"
    )


def trace(fig: dict, kind: str) -> dict:
    (found,) = [t for t in fig["data"] if (t.get("meta") or {}).get("kind") == kind]
    return found


def duel_iteration(page: Page) -> int:
    text = page.locator(".stMarkdown", has_text=DUEL_STATUS).first.inner_text()
    return int(re.search(r"iteration ([\d,]+)", text).group(1).replace(",", ""))


def test_theta_slider_train_d_and_the_duel(open_app, screenshot):
    page = open_app("/divergences", expect_text="Divergences")
    expect(page.locator("[data-testid='stException']")).to_have_count(0)
    curves = page.locator(".st-key-dv_curves .js-plotly-plot")
    expect(curves.locator(".scatterlayer .trace").first).to_be_attached()
    before = figure(page, "dv_curves")
    q_before = plotly_array(trace(figure(page, "dv_densities"), "q")["x"], float)
    assert before["layout"]["shapes"][0]["x0"] == 0.5

    slider = page.get_by_role("slider", name="θ, the shift of q")
    slide_to(page, slider, 0.7, lambda: abs(figure(page, "dv_curves")["layout"]["shapes"][0]["x0"] - 0.7) < 1e-9)
    q_after = plotly_array(trace(figure(page, "dv_densities"), "q")["x"], float)
    assert 1.7 in q_after and 1.7 not in q_before  # q = U[0.7, 1.7] now
    expect(page.get_by_text("0.7000", exact=True).first).to_be_visible()  # W1 = |θ|

    page.get_by_role("button", name="Train D").click()
    wait_until(lambda: "after 0 steps" not in figure(page, "dv_fit_figure")["layout"]["title"])
    page.get_by_role("button", name="Pause").first.click()
    wait_for_app_run(page)
    fit = trace(figure(page, "dv_fit_figure"), "d_fit")
    x, d = plotly_array(fit["x"], float), plotly_array(fit["y"], float)
    assert d[(x > 0.1) & (x < 0.6)].mean() > 0.6  # D leans to "real" where only p lives

    page.get_by_role("button", name="Play").click()
    wait_until(lambda: page.locator(".stMarkdown", has_text=DUEL_STATUS).count() > 0 and duel_iteration(page) >= 40)
    page.get_by_role("button", name="Pause").click()
    wait_for_app_run(page)
    charts = figure(page, "dv_duel_charts")
    thetas = {
        t["meta"]["side"]: plotly_array(t["y"], float)
        for t in charts["data"]
        if (t.get("meta") or {}).get("kind") == "theta"
    }
    minimax, wgan = thetas["left · Minimax (saturating)"], thetas["right · WGAN-GP (gradient penalty)"]
    assert len(minimax) >= 40 and minimax[-1] > 2.5  # stuck near θ₀ = 3: no gradient
    assert wgan[-1] < minimax[-1] - 0.5  # the critic keeps pulling G toward the data
    expect(page.locator("[data-testid='stException']")).to_have_count(0)
    screenshot("divergences.png")
