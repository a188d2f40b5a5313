"""AppTest of the Divergences page (the page file directly): exact numbers, D* against a trained D,
the live duel."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from ganviz.theory import divergences
from ganviz.theory.divergences import LECTURE_MU, LECTURE_NU, LOG2
from ganviz.theory.optimal_d import DiscriminatorFit
from support.pages import live_figures, open_page, plotly_array

PAGE = str(Path(__file__).resolve().parents[2] / "pages" / "divergences.py")
STEPS_PER_FRAME = 100


def metric(at, label: str) -> float:
    (found,) = [m.value for m in at.metric if m.label == label]
    return float(found)


def static_figures(at) -> dict[str, dict]:
    return {c.key: json.loads(c.proto.spec) for c in at.get("plotly_chart") if c.key}


def traces(fig: dict, kind: str) -> list[dict]:
    return [t for t in fig["data"] if (t.get("meta") or {}).get("kind") == kind]


@pytest.fixture
def page():
    return open_page(PAGE, {})


def test_page_shows_each_section_with_exact_numbers(page):
    assert [t.value for t in page.title] == ["Divergences"]
    assert [h.value for h in page.header] == [
        "Parallel lines: JS cannot tell near from far",
        "Two distributions on a line",
        "The optimal discriminator",
        "Live: JS against Wasserstein",
    ]
    # default: U[0, 1] against U[0.5, 1.5]; JS = min(|θ|, 1)·log 2 and W1 = |θ|
    assert metric(page, "JS (nats), exact") == pytest.approx(0.5 * LOG2, abs=5e-5)
    assert metric(page, "W₁, exact") == pytest.approx(0.5, abs=5e-5)
    # 20,000 samples each: histogram JS within 0.02, sample W1 within 0.02 (≈ 3 standard errors)
    assert metric(page, "JS from samples") == pytest.approx(0.5 * LOG2, abs=0.02)
    assert metric(page, "W₁ from samples") == pytest.approx(0.5, abs=0.02)
    assert metric(page, "V(D*, G), exact") == pytest.approx(metric(page, "2·JS − 2·log 2"), abs=1e-4)


def test_parallel_lines_jump_at_zero(page):
    page.slider(key="dv_lines_theta").set_value(0.0).run()
    assert (metric(page, "JS (nats)"), metric(page, "W₁")) == (0.0, 0.0)
    page.slider(key="dv_lines_theta").set_value(-2.0).run()
    assert metric(page, "JS (nats)") == pytest.approx(LOG2, abs=5e-5)
    assert metric(page, "W₁") == pytest.approx(2.0)
    fig = static_figures(page)["dv_lines_curves"]
    (js,) = traces(fig, "js")
    t, values = plotly_array(js["x"]), plotly_array(js["y"], dtype=float)
    assert np.isnan(values[t == 0]).all() and np.allclose(values[t != 0], LOG2)  # a gap, not a dip
    assert traces(fig, "js_zero")[0]["y"] == [0.0]


def test_lecture_example_curve_and_shift(page):
    page.radio(key="dv_example").set_value("lecture-002").run()
    page.slider(key="dv_theta_lecture-002_8").set_value(-4.0).run()
    moved = LECTURE_NU.shifted(-4.0)
    assert metric(page, "JS (nats), exact") == pytest.approx(divergences.js_divergence(LECTURE_MU, moved), abs=5e-5)
    assert metric(page, "W₁, exact") == pytest.approx(divergences.wasserstein1(LECTURE_MU, moved), abs=5e-5)
    fig = static_figures(page)["dv_curves"]
    (w1,) = traces(fig, "w1")
    t, values = plotly_array(w1["x"]), plotly_array(w1["y"], dtype=float)
    expected = divergences.divergence_curves(LECTURE_MU, LECTURE_NU, t[::40])["w1"]
    np.testing.assert_allclose(values[::40], expected, atol=1e-12)
    assert fig["layout"]["shapes"][0]["x0"] == -4.0  # the current θ is marked
    (q,) = traces(static_figures(page)["dv_densities"], "q")
    assert plotly_array(q["x"]).min() <= 1.0 and 3.0 in list(plotly_array(q["x"]))  # μ′ now on [1, 3]


def test_own_mixtures_bad_text_keeps_the_last_good_pair(page):
    page.radio(key="dv_example").set_value("your own").run()
    page.text_input(key="dv_p_text").input("1 0 1").run()
    page.text_input(key="dv_q_text").input("1 0 1").run()
    key = [s.key for s in page.slider if s.key and s.key.startswith("dv_theta_your own")][0]
    page.slider(key=key).set_value(0.0).run()
    assert metric(page, "JS (nats), exact") == 0.0
    page.text_input(key="dv_p_text").input("1 2 1").run()  # start > end
    assert not page.exception
    assert any("start < end" in e.value and "last valid p" in e.value for e in page.error)
    assert metric(page, "JS (nats), exact") == 0.0  # still p = U[0, 1]
    page.text_input(key="dv_p_text").input("1 5 6").run()
    assert not page.error
    assert metric(page, "JS (nats), exact") == pytest.approx(LOG2, abs=5e-5)


@pytest.mark.slow  # trains D for four frames: several seconds
def test_training_d_approaches_d_star(page, monkeypatch):
    # each playing frame trains a fixed number of steps instead of for a time budget: the same on any machine
    def fixed_frame(fit, seconds, chunk=25):
        fit.step(STEPS_PER_FRAME)
        return STEPS_PER_FRAME

    monkeypatch.setattr(DiscriminatorFit, "run_for", fixed_frame)
    before = live_figures(page)["dv_fit_figure"]
    assert len(traces(before, "d_star")) == 1 and len(traces(before, "d_fit")) == 1
    assert "after 0 steps" in before["layout"]["title"]["text"]
    page.button(key="dv_fit_play").click().run()  # AppTest runs the fragment once per script run
    gap_1 = metric(page, "mean |D − D*|")
    for _ in range(3):
        page.run()
    assert not page.exception
    assert f"after {4 * STEPS_PER_FRAME} steps" in live_figures(page)["dv_fit_figure"]["layout"]["title"]["text"]
    exact = metric(page, "V(D*, G), exact")
    assert metric(page, "V(D, G), trained D") <= exact + 2e-3  # D* is the maximiser
    final = metric(page, "mean |D − D*|")
    assert final < 0.1 and final < gap_1, (gap_1, final)
    (fit,) = traces(live_figures(page)["dv_fit_figure"], "d_fit")
    x, d = plotly_array(fit["x"], dtype=float), plotly_array(fit["y"], dtype=float)
    # U[0,1] against U[0.5,1.5]: D* = 1 on [0, 0.5), ½ on (0.5, 1), 0 on (1, 1.5]
    assert d[(x > 0.1) & (x < 0.4)].mean() > 0.8 and d[(x > 1.1) & (x < 1.4)].mean() < 0.2
    page.button(key="dv_fit_reset").click().run()
    # a fresh D, which trains on at once because Play is still on
    assert page.session_state.dv_fit_playing
    assert f"after {STEPS_PER_FRAME} steps" in live_figures(page)["dv_fit_figure"]["layout"]["title"]["text"]


def test_duel_plays_and_a_setting_change_starts_over(page):
    assert any("press Play" in m.value for m in page.markdown)
    page.button(key="dv_duel_play").click().run()
    page.run()
    assert not page.exception
    charts = live_figures(page)["dv_duel_charts"]
    sides = {t["meta"]["side"] for t in traces(charts, "theta")}
    assert sides == {"left · Minimax (saturating)", "right · WGAN-GP (gradient penalty)"}
    assert len(traces(charts, "js_estimate")) == 1 and len(traces(charts, "w1_estimate")) == 1
    for t in traces(charts, "w1"):  # the exact W1 of U[0,1] against U[θ, 1+θ] is |θ|
        theta = plotly_array(
            next(s for s in traces(charts, "theta") if s["meta"] == {**t["meta"], "kind": "theta"})["y"], dtype=float
        )
        np.testing.assert_allclose(plotly_array(t["y"], dtype=float), np.abs(theta), atol=1e-6)
    assert any("iteration" in m.value and "θ =" in m.value for m in page.markdown)
    page.button(key="dv_duel_play").click().run()  # pause
    assert not page.session_state.dv_duel_playing
    page.selectbox(key="dv_left_loss").set_value("nonsaturating").run()
    # a new duel from θ₀
    assert any("left · Non-saturating**: θ = 3, press Play" in m.value for m in page.markdown)
