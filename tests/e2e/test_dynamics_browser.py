"""The Dynamics page in a real browser: moving the η slider redraws the xy trajectories, and the
spectral-norm comparison trains and draws both decision surfaces."""

import numpy as np
import pytest
from e2e.waiting import slide_to, wait_for_app_run
from playwright.sync_api import Page, expect

from support.pages import plotly_array

pytestmark = pytest.mark.browser


def trajectories(page: Page) -> dict[str, np.ndarray]:
    """The xy-plane figure's paths as the browser holds them (gd.data): {method: (T+1, 2) array}."""
    data = page.locator(".st-key-dy_xy_plane .js-plotly-plot").evaluate(
        """gd => gd.data.filter(t => t.meta && t.meta.kind === "trajectory")
                 .map(t => [t.meta.method, t.x, t.y])"""
    )
    return {method: np.column_stack([plotly_array(x, float), plotly_array(y, float)]) for method, x, y in data}


def test_moving_eta_redraws_the_trajectories_and_training_draws_the_surfaces(open_app, screenshot):
    page = open_app("/dynamics", expect_text="Dynamics")
    expect(page.locator("[data-testid='stException']")).to_have_count(0)
    plot = page.locator(".st-key-dy_xy_plane .js-plotly-plot")
    expect(plot.locator(".scatterlayer .trace").first).to_be_attached()
    before = trajectories(page)
    assert set(before) == {"simultaneous", "alternating", "extragradient", "optimistic"}

    slider = page.get_by_role("slider", name="step size η")
    plane = page.locator(".st-key-dy_xy_plane")
    slide_to(page, slider, 0.15, lambda: plane.get_by_text("step η = 0.15").is_visible())  # 0.10 → 0.15
    after = trajectories(page)
    assert set(after) == set(before)
    for method in before:
        assert len(before[method]) > 10, method
        n = min(len(before[method]), len(after[method]))
        assert not np.allclose(after[method][:n], before[method][:n]), method
    # one simultaneous step from (1, 1) is (x − ηy, y + ηx)
    np.testing.assert_allclose(after["simultaneous"][1], [0.85, 1.15], rtol=1e-12)
    np.testing.assert_allclose(before["simultaneous"][1], [0.9, 1.1], rtol=1e-12)

    # the measured per-step factor and the closed form √(1+η²), both redrawn for η = 0.15
    expect(page.get_by_text(f"{np.sqrt(1 + 0.15**2):.9f}", exact=True)).to_have_count(2)

    # train the two small discriminators: both decision surfaces and all four numbers appear
    page.get_by_role("button", name="Train both discriminators").click()
    wait_for_app_run(page)
    surfaces = page.locator(".st-key-dy_sn_surfaces .js-plotly-plot")
    expect(surfaces.locator(".heatmaplayer image")).to_have_count(2)
    for label in ("Lipschitz estimate, without SN", "bound ∏σ(Wₗ), with SN"):
        expect(page.get_by_text(label, exact=True)).to_be_visible()
    expect(page.locator("[data-testid='stException']")).to_have_count(0)
    screenshot("dynamics.png")
