"""Switching pages in the sidebar and back keeps a page's settings (Streamlit drops the values of
widgets a run does not draw; the router keeps them)."""

import pytest
from e2e.waiting import slide_to, wait_for_app_run
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_playground_settings_survive_a_trip_to_another_page(open_app):
    page = open_app("/playground", expect_text="2D playground")
    page.get_by_text("Optimisation", exact=True).click()
    slider = page.locator(".st-key-pg_w_d_steps input[type='range']")
    slide_to(page, slider, 2, lambda: slider.input_value() == "2")  # k_D 1 -> 2

    page.get_by_role("link", name="Divergences").click()
    wait_for_app_run(page)
    expect(page.get_by_role("heading", name="Divergences", exact=True)).to_be_visible()
    page.get_by_role("link", name="2D playground").click()
    wait_for_app_run(page)
    expect(page.get_by_role("heading", name="2D playground", exact=True)).to_be_visible()
    expect(page.locator("[data-testid='stException']")).to_have_count(0)
    page.get_by_text("Optimisation", exact=True).click()
    expect(page.locator(".st-key-pg_w_d_steps input[type='range']")).to_have_value("2")
