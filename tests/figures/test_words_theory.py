"""Figures in words on the theory pages (Divergences, Dynamics): the sentences checked against closed forms and
numpy computed here, not against the module's own output."""

import re
from types import SimpleNamespace

import numpy as np
import pytest

from ganviz.figures import words_theory
from ganviz.figures.dynamics import FLAT_GRADIENT, flat_intervals
from ganviz.theory.divergences import LECTURE_MU, LECTURE_NU, UNIT_INTERVAL, Mixture1D, divergence_curves
from ganviz.theory.dynamics import g_loss_curves

LOG2 = float(np.log(2))


def numbers_after(text: str, words: str) -> float:
    return float(re.search(re.escape(words) + r" (-?[\d.]+)", text)[1])


@pytest.mark.parametrize("theta", [2.0, -0.5, 3.0])
def test_the_parallel_lines_are_log_2_apart_in_js_and_theta_apart_in_w1(theta):
    text = words_theory.describe_parallel_lines(theta)
    assert "do not overlap" in text and "JS is log 2 ≈ 0.69 (flat: no gradient)" in text
    assert numbers_after(text, "W1 is") == abs(theta) and f"(its slope is {np.sign(theta):.1f})" in text
    assert words_theory.describe_parallel_lines(0.0).startswith("At θ = 0 the two lines coincide: JS and W1 are both 0")


def test_two_disjoint_intervals_are_log_2_apart_and_w1_is_their_distance():
    curves = divergence_curves(UNIT_INTERVAL, UNIT_INTERVAL, np.linspace(-4, 4, 401))
    text = words_theory.describe_shift(UNIT_INTERVAL, UNIT_INTERVAL, 2.0, curves)
    # U[0, 1] against U[2, 3]: no overlap, JS = log 2 and flat, W1 = the shift, with slope 1
    assert text.startswith("At a shift of 2.0 the two distributions do not overlap: JS is log 2 ≈ 0.69 (flat")
    assert "W1 is 2.0 (its slope is 1.0)" in text
    # JS = min(|θ|, 1)·log 2 for U[0, 1] against itself moved by θ: flat beyond |θ| = 1, W1 = |θ| smallest at 0
    assert "JS is flat at log 2 for θ ≤ -1.0 and θ ≥ 1.0." in text and "W1 is smallest, 0, at θ = 0." in text


def test_overlapping_intervals_say_js_and_its_slope_from_the_closed_form():
    curves = divergence_curves(UNIT_INTERVAL, UNIT_INTERVAL, np.linspace(-4, 4, 401))
    text = words_theory.describe_shift(UNIT_INTERVAL, UNIT_INTERVAL, 0.5, curves)
    assert "the two distributions overlap" in text
    assert numbers_after(text, "JS is") == pytest.approx(0.5 * LOG2, abs=0.005)  # θ·log 2
    assert numbers_after(text, "its slope is") == pytest.approx(LOG2, abs=0.005)  # d/dθ of θ·log 2
    same = words_theory.describe_shift(UNIT_INTERVAL, UNIT_INTERVAL, 0.0, curves)
    assert "are the same: JS is 0" in same and "W1 is 0" in same


def test_two_point_masses_are_their_distance_apart_in_w1():
    point = Mixture1D(((1.0, 0.0, 1e-6),))  # a point mass at 0, near enough
    thetas = np.linspace(-5, 5, 101)
    text = words_theory.describe_shift(point, point, 3.0, divergence_curves(point, point, thetas))
    assert "do not overlap" in text and numbers_after(text, "W1 is") == 3.0


def d_star_numpy(p: Mixture1D, q: Mixture1D, x: np.ndarray) -> np.ndarray:
    pv, qv = p.density(x), q.density(x)
    return np.where(pv + qv > 0, pv / np.maximum(pv + qv, 1e-300), np.nan)


def test_the_optimal_d_is_said_where_it_is_one_half_and_zero():
    q = UNIT_INTERVAL.shifted(0.5)
    text = words_theory.describe_optimal_d(UNIT_INTERVAL, q, 400, 0.03)
    x = np.array([0.25, 0.75, 1.25])  # one point inside each stretch
    assert list(d_star_numpy(UNIT_INTERVAL, q, x)) == [1.0, 0.5, 0.0]
    assert "D* is 1 (only data) for x from 0 to 0.5" in text
    assert "0.5 (the densities are equal) for x from 0.5 to 1.0" in text
    assert "0 (only fakes) for x from 1.0 to 1.5" in text
    assert "After 400 steps the trained D is on average 0.03 from D*." in text
    assert "has not trained yet" in words_theory.describe_optimal_d(UNIT_INTERVAL, q, 0, 0.3)


def test_the_lecture_pair_has_d_star_one_on_mu_and_zero_on_mu_prime():
    text = words_theory.describe_optimal_d(LECTURE_MU, LECTURE_NU, 0, 0.0)
    assert "1 (only data) for x from 1.0 to 2.0, 3.0 to 4.0 and 9.0 to 10" in text
    assert "0 (only fakes) for x from 5.0 to 7.0" in text and "0.5" not in text


def test_the_duel_says_where_each_theta_went_and_a_dead_gradient():
    dead = {"iteration": np.arange(1, 4.0), "theta": [3, 3, 2.99], "js": [LOG2] * 3, "w1": [3, 3, 2.99]}
    alive = {"iteration": np.arange(1, 4.0), "theta": [2.5, 1.5, 0.5], "js": [LOG2, LOG2, 0.5 * LOG2]}
    dead["g_grad"], alive["g_grad"], alive["w1"] = [1e-9] * 3, [1.0, 1.0, 0.98], [2.5, 1.5, 0.5]
    text = words_theory.describe_duel(["left", "right"], [3.0, 3.0], [dead, alive])
    assert "left, after 3 G steps: θ went from 3.0 to 3.0; JS log 2 ≈ 0.69, W1 3.0; G's gradient has died" in text
    assert "right, after 3 G steps: θ went from 3.0 to 0.5; JS 0.35, W1 0.5; G's gradient is 0.98." in text
    empty = {k: np.array([]) for k in dead}
    assert words_theory.describe_duel(["left"], [3.0], [empty]) == "left: at θ = 3.0, not started."


@pytest.mark.parametrize("d_fake", [0.03, 0.5, 0.97])
def test_the_g_losses_are_flat_where_the_figure_shades(d_fake):
    text = words_theory.describe_g_losses(d_fake, FLAT_GRADIENT)
    at = g_loss_curves(np.array([d_fake]))
    for name in ("saturating", "nonsaturating"):
        flat = abs(at[f"{name}_grad"][0]) < FLAT_GRADIENT
        said = re.search(
            rf"{'the ' if name == 'saturating' else ''}{name.replace('non', 'non-')} loss's "
            r"(?:gradient )?is (-?[\d.]+) \((\w+)\)",
            text,
        )
        assert float(said[1]) == pytest.approx(at[f"{name}_grad"][0], abs=0.005) and said[2] == (
            "flat" if flat else "steep"
        )
    s = np.linspace(0.001, 0.999, 999)  # the figure's grid and its shaded bands
    (saturating,) = flat_intervals(s, g_loss_curves(s)["saturating_grad"])
    (nonsaturating,) = flat_intervals(s, g_loss_curves(s)["nonsaturating_grad"])
    assert saturating[1] < 0.05 <= saturating[1] + 0.001 and "flat (|gradient| < 0.05) for D(G(z)) < 0.05" in text
    assert nonsaturating[0] - 0.001 <= 0.95 < nonsaturating[0] and "only for D(G(z)) > 0.95" in text


def test_power_iteration_is_said_against_numpys_svd():
    rng = np.random.default_rng(3)
    W = rng.standard_normal((12, 9))
    s = np.linalg.svd(W, compute_uv=False)
    u = rng.standard_normal(12)  # power iteration written out here
    estimates = []
    for _ in range(20):
        v = W.T @ u / np.linalg.norm(W.T @ u)
        u = W @ v / np.linalg.norm(W @ v)
        estimates.append(u @ W @ v)
    text = words_theory.describe_power_iteration(estimates, s)
    close = next(k for k, e in enumerate(estimates, 1) if (s[0] - e) / s[0] < 0.01)
    assert f"against σ(W) = {s[0]:.4g} by SVD" in text and f"within 1% at step {close}." in text
    assert f"σ₂/σ₁ is {s[1] / s[0]:.2g}" in text
    assert "is not yet within 1%" in words_theory.describe_power_iteration([0.5], [1.0, 0.9])


def test_the_spectral_surfaces_say_how_much_of_each_grid_is_undecided():
    sharp = np.where(np.arange(100).reshape(10, 10) % 10 < 5, 0.0, 1.0)  # D decided everywhere
    soft = np.linspace(0.2, 0.8, 100).reshape(10, 10)  # D undecided everywhere
    plain = SimpleNamespace(spectral_norm=False, surface=sharp, grad_max=25.0, bound=83.0, accuracy=0.97)
    spectral = SimpleNamespace(spectral_norm=True, surface=soft, grad_max=0.81, bound=1.0, accuracy=0.76)
    text = words_theory.describe_spectral(SimpleNamespace(plain=plain, spectral=spectral))
    assert "Without spectral norm, the steepest slope found is 25 under a bound of 83" in text
    assert "on 0% of the grid and right about 97%" in text
    assert "With spectral norm, the steepest slope found is 0.81 under a bound of 1.0" in text
    assert "on 100% of the grid and right about 76%" in text
