"""The Dynamics page's figures and the numbers printed beside them, against closed forms."""

from __future__ import annotations

import numpy as np
import pytest

from ganviz.figures import dynamics, spectral
from ganviz.figures.style import SURFACE_SCALE
from ganviz.theory.dynamics import g_loss_curves, xy_trajectory
from ganviz.theory.lipschitz import LipschitzEstimate, SpectralComparison, power_iteration_run

START = (1.0, 1.0)


def traces(fig, kind):
    return [t for t in fig.data if (t.meta or {}).get("kind") == kind]


def trace(fig, kind):
    (found,) = traces(fig, kind)
    return found


# --- the numbers ----------------------------------------------------------------------------------


def test_radius_factors_by_hand():
    np.testing.assert_allclose(dynamics.radius_factors(np.array([[3.0, 4.0], [6.0, 8.0], [0.0, 5.0]])), [2.0, 0.5])


@pytest.mark.parametrize("eta, steps", [(0.1, 1000), (0.7, 300), (1.0, 1000)])
def test_the_simultaneous_radius_factor_shown_is_the_closed_form(eta, steps):
    # simultaneous GDA on xy is z ← (1 + iη) z in complex form: |1 + iη| = √(1+η²) each step
    factors = dynamics.radius_factors(xy_trajectory("simultaneous", eta, steps, START))
    assert factors.shape == (steps,)
    np.testing.assert_allclose(factors, abs(1 + 1j * eta), rtol=1e-9)
    assert factors.mean() == pytest.approx(np.sqrt(1 + eta**2), rel=1e-9)  # what the page prints


def test_invariant_drift_by_hand():
    # I = x² + y² + ηxy: (1, 0) → 1 and (0, 2) → 4 with η = 0.5, a relative drift of 3
    assert dynamics.invariant_drift(np.array([[1.0, 0.0], [0.0, 2.0]]), 0.5) == pytest.approx(3.0)
    assert dynamics.invariant_drift(np.array([[0.0, 0.0], [0.0, 0.1]]), 0.5) == pytest.approx(0.01)  # I₀ = 0: absolute


@pytest.mark.parametrize("eta", [0.1, 0.5, 0.9])
def test_alternating_gda_keeps_the_invariant_over_1000_steps_and_simultaneous_does_not(eta):
    assert dynamics.invariant_drift(xy_trajectory("alternating", eta, 1000, START), eta) < 1e-9
    assert dynamics.invariant_drift(xy_trajectory("simultaneous", eta, 1000, START), eta) > 1.0


def test_flat_intervals_by_hand_and_on_the_two_losses():
    s = np.linspace(0.0, 1.0, 11)
    assert dynamics.flat_intervals(s, np.array([0, 0, 1, 1, 0, 1, 1, 1, 0, 0, 0.0]), 0.5) == [
        (0.0, 0.1),
        (0.4, 0.4),
        (0.8, 1.0),
    ]
    assert dynamics.flat_intervals(s, np.ones(11), 0.5) == []
    s = np.linspace(0.001, 0.999, 999)
    curves = g_loss_curves(s)
    # |−s| < 0.05 ⇔ s < 0.05; |s − 1| < 0.05 ⇔ s > 0.95, to one grid step (0.001: the grid
    # point at 0.95 lands on either side of the threshold by rounding)
    (sat,) = dynamics.flat_intervals(s, curves["saturating_grad"], 0.05)
    (ns,) = dynamics.flat_intervals(s, curves["nonsaturating_grad"], 0.05)
    assert sat == (pytest.approx(0.001), pytest.approx(0.05, abs=1.01e-3))
    assert ns == (pytest.approx(0.95, abs=1.01e-3), pytest.approx(0.999))


# --- the xy figures -------------------------------------------------------------------------------


def _paths(eta=0.1, steps=200):
    return {m: xy_trajectory(m, eta, steps, START) for m in ("simultaneous", "alternating", "extragradient")}


def test_xy_plane_draws_each_path_the_start_and_the_equilibrium():
    paths = _paths()
    fig = dynamics.xy_plane_figure(paths, 0.1)
    drawn = {t.meta["method"]: t for t in traces(fig, "trajectory")}
    assert list(drawn) == list(paths)
    for method, path in paths.items():  # these stay in view: drawn whole
        np.testing.assert_allclose(drawn[method].x, path[:, 0])
        np.testing.assert_allclose(drawn[method].y, path[:, 1])
    assert (trace(fig, "equilibrium").x, trace(fig, "equilibrium").y) == ((0.0,), (0.0,))
    assert (trace(fig, "start").x, trace(fig, "start").y) == ((1.0,), (1.0,))
    assert fig.layout.yaxis.scaleanchor == "x"
    assert "η = 0.1" in fig.layout.title.text


def test_a_diverging_path_is_cut_where_it_leaves_the_view():
    paths = _paths(eta=0.5, steps=500)  # simultaneous grows by 1.118 per step: ~1e24 after 500
    fig = dynamics.xy_plane_figure(paths, 0.5)
    half = fig.layout.xaxis.range[1]
    assert fig.layout.xaxis.range == (-half, half) and half <= 1.08 * dynamics.VIEW_RADII * np.sqrt(2) + 1e-12
    sim = next(t for t in traces(fig, "trajectory") if t.meta["method"] == "simultaneous")
    xy = np.column_stack([sim.x, sim.y])
    assert len(xy) < 501
    assert np.abs(xy[-1]).max() > 2 * half and np.abs(xy[:-1]).max() <= 2 * half  # reaches past the edge, then stops
    np.testing.assert_allclose(xy, paths["simultaneous"][: len(xy)])


def test_radius_figure_is_log_and_its_closed_form_matches_the_iterates():
    paths = _paths(eta=0.3, steps=400)
    fig = dynamics.xy_radius_figure(paths, 0.3)
    assert fig.layout.yaxis.type == "log"
    sim = next(t for t in traces(fig, "radius") if t.meta["method"] == "simultaneous")
    np.testing.assert_allclose(sim.y, np.linalg.norm(paths["simultaneous"], axis=1))
    np.testing.assert_allclose(trace(fig, "radius_closed_form").y, sim.y, rtol=1e-9)
    assert not traces(dynamics.xy_radius_figure({"alternating": paths["alternating"]}, 0.3), "radius_closed_form")


def test_xy_figures_need_a_path():
    with pytest.raises(ValueError):
        dynamics.xy_plane_figure({}, 0.1)
    with pytest.raises(ValueError):
        dynamics.xy_radius_figure({}, 0.1)


# --- the loss figure ------------------------------------------------------------------------------


def test_g_loss_figure_marks_the_slider_value_on_all_four_curves():
    fig = dynamics.g_loss_figure(0.3)
    expected = g_loss_curves(np.array([0.3]))
    for key in ("saturating", "nonsaturating", "saturating_grad", "nonsaturating_grad"):
        marker = trace(fig, f"{key}_marker")
        assert marker.x == (0.3,)
        assert marker.y[0] == pytest.approx(expected[key][0])
        curve = trace(fig, key)
        np.testing.assert_allclose(curve.y, g_loss_curves(np.asarray(curve.x))[key])
    assert trace(fig, "saturating_grad").xaxis == "x2"  # gradients on the right panel
    assert trace(fig, "saturating_grad_marker").y[0] == pytest.approx(-0.3)


def test_g_loss_figure_shades_where_each_gradient_is_flat():
    bands = sorted((s.x0, s.x1) for s in dynamics.g_loss_figure(0.5, threshold=0.1).layout.shapes if s.type == "rect")
    # each loss's flat interval (s < 0.1, s > 0.9, to one grid step), once on each panel
    assert len(bands) == 4
    for lo, hi in bands[:2]:
        assert (lo, hi) == (pytest.approx(0.001), pytest.approx(0.1, abs=1.01e-3))
    for lo, hi in bands[2:]:
        assert (lo, hi) == (pytest.approx(0.9, abs=1.01e-3), pytest.approx(0.999))


@pytest.mark.parametrize("marker", [0.0, 1.0, -0.2])
def test_g_loss_figure_rejects_a_marker_outside_0_1(marker):
    with pytest.raises(ValueError, match="between 0 and 1"):
        dynamics.g_loss_figure(marker)


# --- the spectral-norm figures --------------------------------------------------------------------


def test_power_iteration_figure_shows_the_estimates_the_svd_line_and_the_rate():
    run = power_iteration_run(16, 16, steps=30, seed=0)
    fig = spectral.power_iteration_figure(run)
    np.testing.assert_allclose(trace(fig, "estimate").y, run.estimates)
    assert trace(fig, "svd").y == (run.sigma_max, run.sigma_max)
    np.testing.assert_allclose(trace(fig, "error").y, (run.sigma_max - run.estimates) / run.sigma_max, rtol=1e-9)
    rate = np.asarray(trace(fig, "rate").y)
    np.testing.assert_allclose(rate[1:] / rate[:-1], run.gap_ratio**4, rtol=1e-9)
    assert rate[-1] == pytest.approx(run.relative_errors[-1])  # through the last error, still ~1e-6 here
    # run to convergence: the line goes through the last error that rounding has not yet swamped
    long_run = power_iteration_run(16, 16, steps=200, seed=0)
    errors = long_run.relative_errors
    k = np.flatnonzero(errors > spectral.RATE_ANCHOR_ERROR)[-1]
    assert 20 < k < 199
    assert trace(spectral.power_iteration_figure(long_run), "rate").y[k] == pytest.approx(errors[k])
    assert fig.layout.yaxis2.type == "log"
    assert not traces(spectral.power_iteration_figure(power_iteration_run(1, 5, steps=3)), "rate")


def _comparison(grid=6) -> SpectralComparison:
    g = np.linspace(-2.0, 2.0, grid)
    rng = np.random.default_rng(0)

    def est(spectral):
        return LipschitzEstimate(spectral, rng.uniform(size=(grid, grid)), 0.8, 0.7, (1.0, 1.02), 1.02, 0.9)

    return SpectralComparison(
        "ring8",
        10,
        0,
        rng.normal(size=(5, 2)),
        rng.normal(size=(7, 2)),
        g,
        g,
        (-2.0, 2.0, -2.0, 2.0),
        est(False),
        est(True),
    )


def test_spectral_surfaces_figure_draws_both_surfaces_on_one_scale_with_the_points():
    c = _comparison()
    fig = spectral.spectral_surfaces_figure(c)
    surfaces = {t.meta["net"]: t for t in traces(fig, "surface")}
    assert set(surfaces) == {"plain", "spectral"}
    for net, est in (("plain", c.plain), ("spectral", c.spectral)):
        np.testing.assert_allclose(surfaces[net].z, est.surface, rtol=1e-6)  # float32 on the wire
        assert (surfaces[net].zmin, surfaces[net].zmax) == (0, 1)
    assert [list(s) for s in surfaces["plain"].colorscale] == [list(s) for s in SURFACE_SCALE]
    assert surfaces["spectral"].xaxis == "x2"
    assert [len(t.x) for t in traces(fig, "real")] == [5, 5] and [len(t.x) for t in traces(fig, "fake")] == [7, 7]
    titles = [a.text for a in fig.layout.annotations]
    assert titles[0].startswith("without spectral norm") and titles[1].startswith("with spectral norm")
    assert "1.02" in titles[1]
