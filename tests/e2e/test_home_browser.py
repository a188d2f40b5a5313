"""The home page in a real browser: renders, draws the dataset gallery, raises nothing."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

TITLE = "ganviz — see why GANs are hard"


def test_home_renders_in_a_browser(open_app, screenshot):
    page = open_app("/", expect_text=TITLE)

    expect(page.get_by_role("heading", name=TITLE)).to_be_visible()
    expect(page.get_by_role("heading", name="Losses you can train with")).to_be_visible()
    expect(page.get_by_role("heading", name="Datasets")).to_be_visible()

    chart = page.locator("[data-testid='stPlotlyChart'] .js-plotly-plot")
    expect(chart).to_have_count(1)
    chart.scroll_into_view_if_needed()
    expect(chart.locator(".main-svg").first).to_be_visible()
    expect(chart.locator(".scatterlayer .trace").first).to_be_attached()
    expect(page.locator(".katex").first).to_be_visible()

    expect(page.locator("[data-testid='stException']")).to_have_count(0)
    screenshot("home.png")
