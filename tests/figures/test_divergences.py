"""Figure builders of the Divergences page: the step outlines they draw are the exact densities."""

import numpy as np
import pytest

from ganviz.figures.divergences import (
    densities_figure,
    divergence_curves_figure,
    duel_figure,
    optimal_d_outline,
    step_outline,
)
from ganviz.theory.divergences import LECTURE_MU, LECTURE_NU, LOG2, UNIT_INTERVAL, divergence_curves
from support.pages import plotly_array


def _area(x, y) -> float:
    return float(np.trapezoid(y, x))


@pytest.mark.parametrize("m", [LECTURE_MU, LECTURE_NU, UNIT_INTERVAL])
def test_step_outline_is_the_density_and_encloses_mass_one(m):
    x, y = step_outline(m, -1.0, 12.0)
    assert (x[0], y[0], x[-1], y[-1]) == (-1.0, 0.0, 12.0, 0.0)
    assert np.all(np.diff(x) >= 0)
    assert _area(x, y) == pytest.approx(1.0, abs=1e-12)
    mids = 0.5 * (x[1:-1:2] + x[2:-1:2])  # the middle of each horizontal run
    np.testing.assert_allclose(y[1:-1:2], m.density(mids))


def test_step_outline_clips_to_the_view():
    x, y = step_outline(LECTURE_MU, 0.0, 5.0)  # cuts off the ½·1[9, 10] piece
    assert x.max() == 5.0 and _area(x, y) == pytest.approx(0.5, abs=1e-12)


def test_optimal_d_outline_is_p_over_p_plus_q_with_gaps_where_neither_lives():
    q = LECTURE_NU.shifted(-4.0)  # ½·1[1, 3]
    x, d = optimal_d_outline(LECTURE_MU, q, 0.0, 11.0)
    at = dict(zip(np.round(0.5 * (x[::2] + x[1::2]), 6), d[::2]))
    assert at[1.5] == pytest.approx(0.25 / 0.75)  # both: ¼ against ½
    assert at[2.5] == 0.0 and at[3.5] == 1.0  # only q, only p
    assert np.isnan(at[6.5])  # neither: D* means nothing there


def test_densities_figure_traces_and_probability_axis():
    fig = densities_figure(
        LECTURE_MU,
        LECTURE_NU,
        (0.0, 11.0),
        title="t",
        show_d_star=True,
        d_fit=(np.array([0.0, 1.0]), np.array([0.2, 0.7])),
    ).to_dict()
    kinds = [t["meta"]["kind"] for t in fig["data"]]
    assert kinds == ["p", "q", "half", "d_star", "d_fit"]
    assert fig["layout"]["yaxis2"]["range"] == [-0.03, 1.03]
    assert (
        densities_figure(LECTURE_MU, LECTURE_NU, (0.0, 11.0), title="t").to_dict()["layout"].get("yaxis2") is None
    )  # no D axis without a D to draw


def test_divergence_curves_figure_marks_theta_and_gaps_the_jump():
    t = np.linspace(-1, 1, 5)
    fig = divergence_curves_figure(
        {"theta": t, "js": np.where(t == 0, 0.0, LOG2), "w1": np.abs(t)}, 0.5, title="t", js_at_zero=True
    ).to_dict()
    (js,) = [tr for tr in fig["data"] if tr["meta"]["kind"] == "js"]
    assert np.isnan(plotly_array(js["y"], float)[2])
    assert fig["layout"]["shapes"][0]["x0"] == 0.5


def test_duel_figure_has_four_panels_and_each_sides_estimate():
    curves = divergence_curves(UNIT_INTERVAL, UNIT_INTERVAL, [3.0, 2.0, 1.0])
    history = {
        "iteration": np.arange(1, 4.0),
        "theta": curves["theta"],
        "js": curves["js"],
        "w1": curves["w1"],
        "d_estimate": np.array([0.6, 0.65, 0.69]),
        "g_grad": np.array([0.1, 0.0, 0.01]),
    }
    fig = duel_figure([history, history], ["a", "b"], ["js", "w1"]).to_dict()
    by_kind = {}
    for tr in fig["data"]:
        by_kind.setdefault(tr["meta"]["kind"], []).append(tr["meta"]["side"])
    assert by_kind == {
        "theta": ["a", "b"],
        "js": ["a", "b"],
        "w1": ["a", "b"],
        "g_grad": ["a", "b"],
        "js_estimate": ["a"],
        "w1_estimate": ["b"],
    }
    (grad,) = [tr for tr in fig["data"] if tr["meta"] == {"kind": "g_grad", "side": "a"}]
    assert plotly_array(grad["y"], float).min() == 1e-12  # a zero gradient stays on the log axis
