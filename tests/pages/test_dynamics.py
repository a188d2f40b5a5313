"""AppTest of the Dynamics page (the page file directly): the xy game, the two G losses, spectral norm."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from support.pages import open_page, plotly_array

PAGE = str(Path(__file__).resolve().parents[2] / "pages" / "dynamics.py")
SN_LAG = 0.1  # spectral norm's bound may sit a little above 1 (see test_lipschitz.SN_LAG)


def figures(at) -> dict[str, dict]:
    """The page's Plotly figures by their layout.uirevision (each figure has its own)."""
    specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    return {s["layout"]["uirevision"]: s for s in specs}


def traces(fig: dict, kind: str) -> list[dict]:
    return [t for t in fig["data"] if t.get("meta", {}).get("kind") == kind]


def metric(at, label: str) -> str:
    (found,) = [m.value for m in at.metric if m.label == label]
    return found


@pytest.fixture(scope="module")
def page():
    return open_page(PAGE, {})


def test_page_draws_every_section_with_its_formulas(page):
    assert [t.value for t in page.title] == ["Dynamics"]
    assert [h.value for h in page.header] == [
        "The xy game",
        "Saturating vs non-saturating generator loss",
        "Spectral normalisation",
    ]
    assert len(page.latex) >= 6
    figs = figures(page)
    assert set(figs) == {"xy-plane", "xy-radius", "g-loss", "power-iteration"}  # no surfaces before training
    methods = [t["meta"]["method"] for t in traces(figs["xy-plane"], "trajectory")]
    assert methods == ["simultaneous", "alternating", "extragradient", "optimistic"]
    (eq,) = traces(figs["xy-plane"], "equilibrium")
    assert (eq["x"], eq["y"]) == ([0.0], [0.0])
    assert figs["xy-radius"]["layout"]["yaxis"]["type"] == "log"
    assert len(traces(figs["g-loss"], "saturating_grad")) == 1
    assert any("Train both discriminators" in i.value for i in page.info)


def test_the_radius_factor_and_the_invariant_are_shown(page):
    assert (
        metric(page, "simultaneous: measured ‖zₜ₊₁‖ / ‖zₜ‖")
        == metric(page, "closed form √(1+η²)")
        == f"{np.sqrt(1.01):.9f}"
    )
    assert float(metric(page, "alternating: largest drift of x² + y² + ηxy")) < 1e-12


def test_moving_eta_changes_the_trajectories_and_the_numbers():
    at = open_page(PAGE, {})
    before = {t["meta"]["method"]: plotly_array(t["x"], float) for t in traces(figures(at)["xy-plane"], "trajectory")}
    at.slider(key="dy_eta").set_value(0.3).run()
    assert not at.exception
    after = {t["meta"]["method"]: plotly_array(t["x"], float) for t in traces(figures(at)["xy-plane"], "trajectory")}
    assert before.keys() == after.keys()
    for method in before:
        n = min(len(before[method]), len(after[method]))
        assert not np.allclose(before[method][:n], after[method][:n]), method
    assert metric(at, "closed form √(1+η²)") == f"{np.sqrt(1.09):.9f}"
    assert metric(at, "simultaneous: measured ‖zₜ₊₁‖ / ‖zₜ‖") == f"{np.sqrt(1.09):.9f}"
    assert "η = 0.3" in figures(at)["xy-plane"]["layout"]["title"]["text"]


def test_methods_and_steps_follow_their_widgets():
    at = open_page(PAGE, {})
    at.multiselect(key="dy_methods").set_value(["consensus"]).run()
    at.slider(key="dy_steps").set_value(50).run()
    (radius,) = traces(figures(at)["xy-radius"], "radius")
    assert radius["meta"]["method"] == "consensus" and len(plotly_array(radius["x"], float)) == 51
    assert not at.slider(key="dy_gamma").disabled
    at.multiselect(key="dy_methods").set_value([]).run()
    assert "xy-plane" not in figures(at)
    assert any("Pick at least one method" in i.value for i in at.info)
    assert at.slider(key="dy_gamma").disabled


def test_the_d_of_g_slider_moves_the_markers_and_the_metrics():
    at = open_page(PAGE, {})
    at.slider(key="dy_dgz").set_value(0.8).run()
    (marker,) = traces(figures(at)["g-loss"], "nonsaturating_grad_marker")
    assert marker["x"] == [0.8] and plotly_array(marker["y"], float)[0] == pytest.approx(-0.2)
    assert metric(at, "its gradient −D(G(z))") == "-0.8000"
    assert metric(at, "non-saturating loss −log D(G(z))") == f"{-np.log(0.8):.4f}"


def test_power_iteration_reaches_the_svd_value_on_the_chart():
    at = open_page(PAGE, {})
    at.slider(key="dy_power_steps").set_value(200).run()
    fig = figures(at)["power-iteration"]
    (estimate,) = traces(fig, "estimate")
    (svd,) = traces(fig, "svd")
    estimates, sigma = plotly_array(estimate["y"], float), plotly_array(svd["y"], float)[0]
    assert len(estimates) == 200
    assert abs(estimates[-1] - sigma) < 1e-6
    assert abs(estimates[0] - sigma) > 1e-3  # the first steps are visibly off: the curve means something
    at.number_input(key="dy_rows").set_value(5).run()
    assert "5×16" in figures(at)["power-iteration"]["layout"]["annotations"][0]["text"]


def test_training_shows_both_lipschitz_metrics_and_the_surfaces():
    at = open_page(PAGE, {})
    at.button(key="dy_train").click().run()
    assert not at.exception
    plain = float(metric(at, "Lipschitz estimate, without SN"))
    plain_bound = float(metric(at, "bound ∏σ(Wₗ), without SN"))
    sn = float(metric(at, "Lipschitz estimate, with SN"))
    sn_bound = float(metric(at, "bound ∏σ(Wₗ), with SN"))
    assert sn <= sn_bound <= 1.0 + SN_LAG
    assert plain <= plain_bound and plain_bound > 1.0 + SN_LAG
    surfaces = traces(figures(at)["spectral-surfaces"], "surface")
    assert [s["meta"]["net"] for s in surfaces] == ["plain", "spectral"]

    # other settings: no stale result; the old settings come back from the session without training
    at.number_input(key="dy_sn_seed").set_value(1).run()
    assert "spectral-surfaces" not in figures(at)
    assert any("settings changed" in i.value for i in at.info)
    at.number_input(key="dy_sn_seed").set_value(0).run()
    assert float(metric(at, "bound ∏σ(Wₗ), with SN")) == sn_bound
    assert len(at.session_state["dy_sn_results"]) == 1
