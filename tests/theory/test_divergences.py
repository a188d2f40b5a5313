"""JS and W1 between 1D mixtures, exact, against independent references: quadrature, samples, POT and scipy."""

from __future__ import annotations

import re

import numpy as np
import ot
import pytest
from scipy import integrate, stats

from ganviz.metrics.points import js_divergence_1d, wasserstein1_1d
from ganviz.theory import divergences
from ganviz.theory.divergences import LECTURE_MU, LECTURE_NU, LOG2, Mixture1D

# μ′ shifted by θ: −4 puts it on [1, 3] (overlaps [1, 2]), −1.5 on [3.5, 5.5] (overlaps [3, 4]),
# 3 on [8, 10] (overlaps [9, 10]), 0 on [5, 7] and 10 on [15, 17] (disjoint from μ).
SHIFTS = [-4.0, -1.5, 0.0, 2.5, 3.0, 10.0]


def joint_support(p: Mixture1D, q: Mixture1D) -> tuple[float, float, np.ndarray]:
    edges = np.union1d(p.breakpoints(), q.breakpoints())
    return float(edges[0]), float(edges[-1]), edges


def quad_over_support(f, p: Mixture1D, q: Mixture1D) -> float:
    """∫ f over the joint support, telling quad where the kinks are."""
    lo, hi, edges = joint_support(p, q)
    value, _ = integrate.quad(f, lo, hi, points=edges[1:-1], limit=500, epsabs=1e-12, epsrel=1e-12)
    return value


def js_by_quadrature(p: Mixture1D, q: Mixture1D) -> float:
    def integrand(x):
        a, b = float(p.density(x)), float(q.density(x))
        m = 0.5 * (a + b)
        return sum(0.5 * v * np.log(v / m) for v in (a, b) if v > 0)

    return quad_over_support(integrand, p, q)


def w1_by_quadrature(p: Mixture1D, q: Mixture1D) -> float:
    return quad_over_support(lambda x: abs(float(p.cdf(x) - q.cdf(x))), p, q)


# --- Mixture1D ------------------------------------------------------------------------------------


def test_lecture_mixtures_match_the_lecture_densities():
    # μ = ¼·1[1,2] + ¼·1[3,4] + ½·1[9,10]; μ′ = ½·1[5,7]
    x = np.array([1.5, 2.5, 3.5, 6.0, 9.5, 11.0])
    np.testing.assert_allclose(LECTURE_MU.density(x), [0.25, 0, 0.25, 0, 0.5, 0])
    np.testing.assert_allclose(LECTURE_NU.density(x), [0, 0, 0, 0.5, 0, 0])
    np.testing.assert_allclose(LECTURE_MU.cdf(np.array([0.0, 2.0, 3.5, 9.5, 10.0])), [0, 0.25, 0.375, 0.75, 1.0])


@pytest.mark.parametrize("pieces", [((0.5, 0, 1), (0.6, 1, 2)), ((1.0, 2, 2),), ((-0.1, 0, 1), (1.1, 1, 2)), ()])
def test_invalid_mixtures_raise(pieces):
    with pytest.raises(ValueError):
        Mixture1D(pieces)


def test_shift_and_sample():
    moved = LECTURE_NU.shifted(2.0)
    assert moved.pieces == ((1.0, 7.0, 9.0),)
    draws = LECTURE_MU.sample(200_000, np.random.default_rng(0))
    assert draws.shape == (200_000,)
    # masses of the three pieces: ¼, ¼, ½ (binomial sd ≈ 0.001)
    masses = [np.mean((draws >= a) & (draws <= b)) for a, b in [(1, 2), (3, 4), (9, 10)]]
    np.testing.assert_allclose(masses, [0.25, 0.25, 0.5], atol=0.005)


# --- JS and W1: exact vs quadrature, known values ------------------------------------------------


@pytest.mark.parametrize("theta", SHIFTS)
def test_js_and_w1_match_quadrature(theta):
    nu = LECTURE_NU.shifted(theta)
    assert divergences.js_divergence(LECTURE_MU, nu) == pytest.approx(js_by_quadrature(LECTURE_MU, nu), abs=1e-6)
    assert divergences.wasserstein1(LECTURE_MU, nu) == pytest.approx(w1_by_quadrature(LECTURE_MU, nu), abs=1e-6)


@pytest.mark.parametrize("theta", [0.0, 10.0, -6.0])
def test_js_is_log2_for_disjoint_supports(theta):
    assert divergences.js_divergence(LECTURE_MU, LECTURE_NU.shifted(theta)) == pytest.approx(LOG2, abs=1e-12)


def test_js_is_strictly_below_log2_when_supports_overlap():
    assert divergences.js_divergence(LECTURE_MU, LECTURE_NU.shifted(-4.0)) < LOG2 - 0.05


def test_w1_grows_with_distance_where_js_is_flat():
    # the lecture's point: all disjoint positions are "as good" for JS, not for W1
    far = [divergences.wasserstein1(LECTURE_MU, LECTURE_NU.shifted(t)) for t in (10.0, 12.0, 14.0)]
    assert far[0] < far[1] < far[2]
    assert far[1] - far[0] == pytest.approx(2.0, abs=1e-12)  # everything right of μ: W1 = mean gap


@pytest.mark.parametrize("theta", [-3.3, 0.7, 5.0])
def test_w1_of_pure_shift_is_abs_theta(theta):
    assert divergences.wasserstein1(LECTURE_MU, LECTURE_MU.shifted(theta)) == pytest.approx(abs(theta), abs=1e-12)


def test_divergences_are_symmetric_and_zero_on_identical():
    nu = LECTURE_NU.shifted(-1.5)
    assert divergences.js_divergence(LECTURE_MU, nu) == pytest.approx(
        divergences.js_divergence(nu, LECTURE_MU), abs=1e-15
    )
    assert divergences.wasserstein1(LECTURE_MU, nu) == pytest.approx(
        divergences.wasserstein1(nu, LECTURE_MU), abs=1e-15
    )
    assert divergences.js_divergence(LECTURE_MU, LECTURE_MU) == pytest.approx(0.0, abs=1e-15)
    assert divergences.wasserstein1(LECTURE_MU, LECTURE_MU) == pytest.approx(0.0, abs=1e-15)


def test_w1_exact_when_the_cdf_difference_crosses_zero_inside_a_cell():
    # U[0,3] vs U[1,2]: F_p − F_q goes ⅓ → −⅓ across [1, 2], zero at 1.5 (a trapezoid rule
    # would give 0 there). By hand: [0,1] and [2,3] give ½·1·⅓ each, [1,2] two triangles
    # ½·½·⅓ each: total ⅙ + ⅙ + ⅙ = ½.
    p = Mixture1D(((1.0, 0.0, 3.0),))
    q = Mixture1D(((1.0, 1.0, 2.0),))
    assert divergences.wasserstein1(p, q) == pytest.approx(0.5, abs=1e-12)
    assert divergences.wasserstein1(p, q) == pytest.approx(w1_by_quadrature(p, q), abs=1e-9)


# --- against samples ------------------------------------------------------------------------------


def test_w1_matches_pot_and_scipy_on_samples():
    rng = np.random.default_rng(1)
    nu = LECTURE_NU.shifted(-1.5)
    a, b = LECTURE_MU.sample(200_000, rng), nu.sample(200_000, rng)
    exact = divergences.wasserstein1(LECTURE_MU, nu)
    # empirical W1 error is O(spread/√n) ≈ 0.01 here; 0.03 leaves room without hiding a bug
    assert stats.wasserstein_distance(a, b) == pytest.approx(exact, abs=0.03)
    assert float(ot.wasserstein_1d(a, b, p=1)) == pytest.approx(exact, abs=0.03)


@pytest.mark.parametrize("theta", [-4.0, -1.5, 3.0])
def test_js_matches_fine_histograms(theta):
    rng = np.random.default_rng(2)
    nu = LECTURE_NU.shifted(theta)
    n = 1_000_000
    # 0.05-wide cells on [0, 12], aligned with every breakpoint, so no edge bias
    estimate = js_divergence_1d(LECTURE_MU.sample(n, rng), nu.sample(n, rng), bins=240, extent=(0.0, 12.0))
    # plug-in bias ~ (#bins)/n ≈ 2e-4 plus noise ~1e-3: 5e-3 is a stated, generous bound
    assert estimate == pytest.approx(divergences.js_divergence(LECTURE_MU, nu), abs=5e-3)


def test_w1_of_samples_matches_the_exact_value():
    rng = np.random.default_rng(3)
    nu = LECTURE_NU.shifted(-4.0)
    a, b = LECTURE_MU.sample(100_000, rng), nu.sample(100_000, rng)
    assert wasserstein1_1d(a, b) == pytest.approx(divergences.wasserstein1(LECTURE_MU, nu), abs=0.03)
    assert wasserstein1_1d(a, b) == pytest.approx(stats.wasserstein_distance(a, b), abs=1e-9)


def test_parallel_lines():
    assert divergences.parallel_lines(0.0) == {"js": 0.0, "w1": 0.0}
    assert divergences.parallel_lines(-0.3) == {"js": pytest.approx(LOG2), "w1": pytest.approx(0.3)}


# --- optimal discriminator ------------------------------------------------------------------------


@pytest.mark.parametrize("theta", SHIFTS)
def test_value_at_optimum_is_2js_minus_2log2(theta):
    nu = LECTURE_NU.shifted(theta)
    expected = 2 * divergences.js_divergence(LECTURE_MU, nu) - 2 * LOG2
    assert divergences.value_at_optimum(LECTURE_MU, nu) == pytest.approx(expected, abs=1e-9)


def test_optimal_d_is_half_when_p_equals_q_and_when_both_vanish():
    x = np.linspace(0, 11, 1001)
    dens = LECTURE_MU.density(x)
    np.testing.assert_array_equal(divergences.optimal_d(dens, dens), np.full_like(x, 0.5))
    np.testing.assert_allclose(
        divergences.optimal_d(np.array([2.0, 0.0, 1.0]), np.array([0.0, 3.0, 3.0])), [1.0, 0.0, 0.25]
    )


# --- mixtures as text, examples, curves -----------------------------------------------------------


def test_parse_mixture_reads_the_lecture_density_and_round_trips():
    m = divergences.parse_mixture("0.25 1 2; 0.25 3 4\n0.5, 9, 10")
    assert m == LECTURE_MU
    assert divergences.parse_mixture(divergences.format_mixture(m)) == m


def test_parse_mixture_normalises_the_weights():
    m = divergences.parse_mixture("1 0 1; 3 2 3")
    assert [w for w, _, _ in m.pieces] == [0.25, 0.75]


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "at least one piece"),
        ("1 0", "needs 3 numbers"),
        ("1 a 2", "not three numbers"),
        ("1 0 inf", "not finite"),
        ("0 0 1", "weight > 0"),
        ("1 2 1", "start < end"),
        ("1 0 60", "within [-50, 50]"),
        ("; ".join(["1 0 1"] * 9), "at most 8 pieces"),
    ],
)
def test_parse_mixture_rejects_bad_text_with_a_message(text, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        divergences.parse_mixture(text)


def test_divergence_curves_match_the_pointwise_values_and_shifted_interval_closed_form():
    thetas = np.linspace(-3, 3, 25)
    curves = divergences.divergence_curves(divergences.UNIT_INTERVAL, divergences.UNIT_INTERVAL, thetas)
    # U[0,1] against U[θ, 1+θ]: JS = min(|θ|, 1)·log 2, W1 = |θ|
    np.testing.assert_allclose(curves["js"], np.minimum(np.abs(thetas), 1) * LOG2, atol=1e-12)
    np.testing.assert_allclose(curves["w1"], np.abs(thetas), atol=1e-12)
    lecture = divergences.divergence_curves(LECTURE_MU, LECTURE_NU, SHIFTS)
    for theta, js, w1 in zip(SHIFTS, lecture["js"], lecture["w1"]):
        assert js == divergences.js_divergence(LECTURE_MU, LECTURE_NU.shifted(theta))
        assert w1 == divergences.wasserstein1(LECTURE_MU, LECTURE_NU.shifted(theta))


def test_shift_examples_and_support():
    for example in divergences.SHIFT_EXAMPLES.values():
        lo, hi = example.theta_range
        assert lo <= example.theta_default <= hi
        assert lo <= example.duel_start <= hi
    assert divergences.support(LECTURE_MU, LECTURE_NU.shifted(10)) == (1.0, 17.0)
