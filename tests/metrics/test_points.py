"""2D sample metrics (modes, JS, W1, sliced W1) against closed forms and independent implementations, never against
their own output."""

import json
import math

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment
from scipy.spatial.distance import jensenshannon
from scipy.stats import wasserstein_distance

from ganviz.data.toy2d import DATASETS
from ganviz.metrics.points import (
    EVAL_SAMPLES,
    HISTOGRAM_BINS,
    data_extent,
    evaluate_samples,
    js_divergence,
    js_divergence_1d,
    mode_stats,
    sliced_wasserstein1,
    wasserstein1_exact,
)

# P(|x - mu| <= 3 sigma) for an isotropic 2D Gaussian: the radius is Rayleigh, CDF 1 - exp(-r^2 / 2)
HQ_PERFECT = 1 - math.exp(-9 / 2)
MODE_KEYS = {"modes_captured", "modes_total", "hq_fraction", "reverse_kl", "mode_counts"}


def draw(name, n, seed):
    return DATASETS[name].sample(n, np.random.default_rng(seed))


def stats(name, samples):
    d = DATASETS[name]
    return mode_stats(samples, d.modes, d.sigma, d.weights)


# --- mode statistics ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["ring8", "grid25"])
def test_perfect_generator_hq_fraction_and_coverage(name):
    k = len(DATASETS[name].modes)
    s = stats(name, draw(name, EVAL_SAMPLES, seed=1))
    assert s["modes_total"] == k and s["modes_captured"] == k
    assert len(s["mode_counts"]) == k
    assert abs(s["hq_fraction"] - HQ_PERFECT) < 0.01
    mean_hq = np.mean([stats(name, draw(name, EVAL_SAMPLES, seed))["hq_fraction"] for seed in range(10)])
    assert abs(mean_hq - HQ_PERFECT) < 0.004


@pytest.mark.parametrize("name", ["ring8", "grid25"])
def test_perfect_generator_reverse_kl_matches_plugin_bias(name):
    # 2 N KL(p_hat || uniform) is asymptotically chi^2 with K - 1 degrees of freedom.
    k = len(DATASETS[name].modes)
    kls, biases = [], []
    for seed in range(30):
        s = stats(name, draw(name, EVAL_SAMPLES, 100 + seed))
        n_hq = sum(s["mode_counts"])
        kls.append(s["reverse_kl"])
        biases.append((k - 1) / (2 * n_hq))
    assert np.mean(kls) == pytest.approx(np.mean(biases), rel=0.35)


def test_reverse_kl_equals_log_k_minus_entropy():
    modes = DATASETS["grid25"].modes
    counts = np.arange(25) % 4  # some modes empty: 0 log 0 = 0
    samples = np.repeat(modes, counts, axis=0)
    s = mode_stats(samples, modes, 0.05)
    p = counts[counts > 0] / counts.sum()
    assert s["reverse_kl"] == pytest.approx(math.log(25) + np.sum(p * np.log(p)), abs=1e-12)
    assert s["mode_counts"] == counts.tolist()
    assert s["modes_captured"] == int((counts > 0).sum())


def test_collapse_onto_three_of_eight_modes():
    modes, sigma = DATASETS["ring8"].modes, DATASETS["ring8"].sigma
    # exactly equal mass on 3 modes: the closed form log(8/3) holds to rounding
    exact = mode_stats(np.repeat(modes[[0, 3, 5]], 400, axis=0), modes, sigma)
    assert exact["modes_captured"] == 3
    assert exact["reverse_kl"] == pytest.approx(math.log(8 / 3), abs=1e-12)
    # sampled: only sampling noise on top of log(8/3), which can only increase it (H <= log 3)
    rng = np.random.default_rng(2)
    samples = modes[rng.choice([0, 3, 5], size=EVAL_SAMPLES)] + sigma * rng.standard_normal((EVAL_SAMPLES, 2))
    s = mode_stats(samples, modes, sigma)
    assert s["modes_captured"] == 3
    assert [c > 0 for c in s["mode_counts"]] == [i in (0, 3, 5) for i in range(8)]
    assert math.log(8 / 3) - 1e-12 <= s["reverse_kl"] < math.log(8 / 3) + 0.01


def test_samples_far_from_every_mode():
    d = DATASETS["ring8"]
    far = draw("ring8", 500, seed=3) + 100.0
    s = mode_stats(far, d.modes, d.sigma)
    assert s["hq_fraction"] == 0.0 and s["modes_captured"] == 0 and s["reverse_kl"] is None
    assert s["mode_counts"] == [0] * 8
    json.dumps(s)


def test_threshold_is_euclidean_radius_in_sigmas():
    modes = np.zeros((1, 2))
    direction = np.array([[0.6, 0.8]])  # unit vector, not axis aligned
    inside, outside = 2.99 * direction, 3.01 * direction
    s = mode_stats(np.concatenate([inside, outside, inside]), modes, sigma=1.0)
    assert s["hq_fraction"] == pytest.approx(2 / 3) and s["mode_counts"] == [2]


def test_nearest_mode_assignment_matches_brute_force_over_many_chunks():
    d = DATASETS["grid25"]
    rng = np.random.default_rng(4)
    # 20k points, mostly near a mode with a wide spread so the threshold matters
    samples = d.modes[rng.integers(25, size=20_000)] + 0.15 * rng.standard_normal((20_000, 2))
    dist = np.linalg.norm(samples[:, None] - d.modes[None], axis=-1)
    hq = dist.min(1) <= 3 * d.sigma
    expected = np.bincount(dist.argmin(1)[hq], minlength=25)
    s = mode_stats(samples, d.modes, d.sigma)
    assert s["mode_counts"] == expected.tolist()
    assert s["hq_fraction"] == pytest.approx(hq.mean(), abs=1e-15)


def test_two_clusters_reverse_kl_uses_mixture_weights():
    d = DATASETS["two-clusters"]
    s = stats("two-clusters", draw("two-clusters", EVAL_SAMPLES, seed=5))
    assert 0.0 <= s["reverse_kl"] < 0.005  # only chi^2_1 / (2N) sampling noise
    # an even split, against the true 75/25 weights
    even = np.repeat(d.modes, EVAL_SAMPLES // 2, axis=0)
    expected = 0.5 * math.log(0.5 / 0.75) + 0.5 * math.log(0.5 / 0.25)
    assert stats("two-clusters", even)["reverse_kl"] == pytest.approx(expected, abs=1e-12)
    # and a randomly drawn 50/50 split is close to it
    rng = np.random.default_rng(6)
    noisy = d.modes[rng.integers(2, size=EVAL_SAMPLES)] + d.sigma * rng.standard_normal((EVAL_SAMPLES, 2))
    assert stats("two-clusters", noisy)["reverse_kl"] == pytest.approx(expected, abs=0.02)


# --- Jensen-Shannon -------------------------------------------------------------------------------


def reference_js(real, fake, bins, extent):
    """JS from scipy on np.histogram2d counts plus an overflow count: an independent estimate."""
    xmin, xmax, ymin, ymax = extent

    def counts(x):
        h, _, _ = np.histogram2d(x[:, 0], x[:, 1], bins=bins, range=[[xmin, xmax], [ymin, ymax]])
        return np.append(h.ravel(), len(x) - h.sum())

    return jensenshannon(counts(real), counts(fake), base=math.e) ** 2


def test_data_extent_pads_a_quarter_per_side():
    pts = np.array([[0.0, 0.0], [4.0, 2.0], [1.0, 1.0]])
    assert data_extent(pts) == pytest.approx((-1.0, 5.0, -0.5, 2.5))
    assert data_extent(pts, pad=0.0) == pytest.approx((0.0, 4.0, 0.0, 2.0))


def test_js_identical_is_zero():
    x = draw("moons", 1000, seed=7)
    assert js_divergence(x, x) == 0.0
    assert js_divergence(x, x.copy(), bins=HISTOGRAM_BINS) == 0.0


@pytest.mark.parametrize("name", ["ring8", "moons"])
def test_js_of_two_real_draws_is_small_and_is_the_floor(name):
    real, ref = draw(name, EVAL_SAMPLES, seed=8), draw(name, EVAL_SAMPLES, seed=9)
    js = js_divergence(real, ref)
    assert 0.0 < js < 0.05
    out = evaluate_samples(ref, real, ref)  # fake == reference, so js and js_floor must agree
    assert out["js_floor"] == js and out["js"] == js


def test_js_disjoint_supports_is_log2():
    real = draw("ring8", EVAL_SAMPLES, seed=10)
    fake = real + np.array([50.0, -50.0])  # far outside the real extent: all in the overflow cell
    assert js_divergence(real, fake) == pytest.approx(math.log(2), abs=1e-9)
    # disjoint inside the grid too: fake on a small circle at the centre, real on the ring
    inner = 0.3 * draw("ring8", EVAL_SAMPLES, seed=11)
    assert js_divergence(real, inner) == pytest.approx(math.log(2), abs=1e-9)


def test_js_symmetric_with_fixed_extent():
    a, b = draw("moons", 1500, seed=12), draw("circles", 1000, seed=13)
    extent = (-3.0, 3.0, -3.0, 3.0)
    assert js_divergence(a, b, extent=extent) == pytest.approx(js_divergence(b, a, extent=extent), rel=1e-12)


@pytest.mark.parametrize("bins", [8, HISTOGRAM_BINS])
def test_js_matches_scipy_including_overflow(bins):
    real = draw("moons", 2000, seed=14)
    fake = draw("moons", 1500, seed=15) * 1.3 + np.array([0.8, 0.4])  # partly off the grid
    extent = data_extent(real)
    xmin, xmax, ymin, ymax = extent
    off_grid = (fake[:, 0] < xmin) | (fake[:, 0] > xmax) | (fake[:, 1] < ymin) | (fake[:, 1] > ymax)
    assert 0 < off_grid.sum() < len(fake)  # the overflow cell is really exercised
    expected = reference_js(real, fake, bins, extent)
    assert js_divergence(real, fake, bins=bins) == pytest.approx(expected, abs=1e-12)
    assert js_divergence(real, fake, bins=bins, extent=extent) == pytest.approx(expected, abs=1e-12)
    assert 0.0 < expected < math.log(2)


def test_js_1d_matches_scipy_including_overflow():
    rng = np.random.default_rng(17)
    real, fake = rng.normal(0, 1, 3000), rng.normal(1.5, 1.2, 2000)
    lo, hi, bins = -2.0, 2.5, 20
    edges = np.linspace(lo, hi, bins + 1)
    counts = [np.append(np.histogram(x, edges)[0], np.sum((x < lo) | (x > hi))) for x in (real, fake)]
    assert counts[1][-1] > 0  # the overflow cell is really exercised
    expected = jensenshannon(counts[0] / len(real), counts[1] / len(fake)) ** 2  # scipy gives the sqrt
    assert js_divergence_1d(real, fake, bins, (lo, hi)) == pytest.approx(expected, abs=1e-12)
    assert js_divergence_1d(real, real, bins, (lo, hi)) == 0.0
    assert js_divergence_1d(real, real + 10, bins, (-5.0, 20.0)) == pytest.approx(math.log(2))  # disjoint


def test_js_counts_off_grid_fakes_instead_of_clipping_them():
    real = draw("moons", 1000, seed=16)
    tight = data_extent(real, pad=0.0)  # real points reach the edge cells on every side
    # Clipped, fakes far to the right would share the right-edge cells with real mass (JS < log 2);
    # in the overflow cell they share nothing with the real histogram.
    fake = real + np.array([100.0, 0.0])
    assert js_divergence(real, fake, bins=8, extent=tight) == pytest.approx(math.log(2), abs=1e-9)
    # Every cell adds (p + q)(log 2 - H(p / (p + q))) / 2 >= 0; the overflow cell, with p = 0 and
    # q = 1/4, adds q log 2 / 2 on its own.
    fake = real.copy()
    fake[::4] += 30.0
    assert js_divergence(real, fake) > 0.5 * 0.25 * math.log(2)


# --- exact W1 -------------------------------------------------------------------------------------


def test_w1_translation_and_self():
    a = draw("moons", 300, seed=17)
    v = np.array([0.7, -1.1])
    assert wasserstein1_exact(a, a + v) == pytest.approx(np.linalg.norm(v), abs=1e-6)
    assert wasserstein1_exact(a, a) == pytest.approx(0.0, abs=1e-12)


def test_w1_matches_brute_force_assignment():
    rng = np.random.default_rng(18)
    for _ in range(5):
        a, b = rng.normal(size=(7, 2)), rng.normal(size=(7, 2)) + 0.5
        cost = np.linalg.norm(a[:, None] - b[None], axis=-1)
        rows, cols = linear_sum_assignment(cost)
        assert wasserstein1_exact(a, b) == pytest.approx(cost[rows, cols].mean(), abs=1e-9)


def test_w1_unequal_sizes_to_a_single_point():
    # all mass must travel to the one point: W1 is the mean distance to it
    a = draw("ring8", 200, seed=19)
    b = np.array([[0.5, -0.25]])
    assert wasserstein1_exact(a, b) == pytest.approx(np.linalg.norm(a - b, axis=1).mean(), abs=1e-9)


def test_w1_subsampling_is_deterministic():
    a, b = draw("grid25", 500, seed=20), draw("grid25", 450, seed=21)
    first = wasserstein1_exact(a, b, max_points=200)
    assert wasserstein1_exact(a, b, max_points=200) == first
    same_seed = wasserstein1_exact(a, b, max_points=200, rng=np.random.default_rng(0))
    assert same_seed == first
    other = wasserstein1_exact(a, b, max_points=200, rng=np.random.default_rng(1))
    assert other != first  # the subsample really depends on the rng
    assert abs(other - wasserstein1_exact(a, b)) < 0.5  # and still estimates the full W1


def test_w1_non_finite_input_is_nan():
    a = draw("ring8", 50, seed=22)
    b = a.copy()
    b[0, 0] = np.nan
    assert math.isnan(wasserstein1_exact(a, b))
    assert math.isnan(sliced_wasserstein1(a, b))


# --- sliced W1 ------------------------------------------------------------------------------------


def test_sliced_w1_translation():
    a = draw("spiral", 400, seed=23)
    v = np.array([1.0, 0.5])
    n = 2000
    sw = sliced_wasserstein1(a, a + v, n_projections=n, rng=np.random.default_rng(24))
    # each projection of a translation is a 1D translation by v.theta, so W1_1d = |v.theta|
    phi = np.random.default_rng(24).uniform(0, 2 * math.pi, n)
    assert sw == pytest.approx(np.abs(v[0] * np.cos(phi) + v[1] * np.sin(phi)).mean(), abs=1e-9)
    # E|cos phi| = 2 / pi over uniform angles
    assert sw == pytest.approx(2 * np.linalg.norm(v) / math.pi, rel=0.03)


def test_sliced_w1_identical_is_zero_and_default_is_deterministic():
    a, b = draw("moons", 500, seed=25), draw("moons", 300, seed=26)
    assert sliced_wasserstein1(a, a) == 0.0
    default = sliced_wasserstein1(a, b)
    assert default > 0
    assert default == sliced_wasserstein1(a, b, rng=np.random.default_rng(0))  # the documented default seed
    assert default != sliced_wasserstein1(a, b, rng=np.random.default_rng(1))  # so the seed is what fixes it


@pytest.mark.parametrize("sizes", [(300, 170), (64, 64), (5, 123)])
def test_sliced_w1_single_projection_matches_scipy(sizes):
    a, b = draw("moons", sizes[0], seed=27), draw("circles", sizes[1], seed=28) * 0.8
    sw = sliced_wasserstein1(a, b, n_projections=1, rng=np.random.default_rng(29))
    phi = np.random.default_rng(29).uniform(0, 2 * math.pi, 1)[0]
    theta = np.array([math.cos(phi), math.sin(phi)])
    assert sw == pytest.approx(wasserstein_distance(a @ theta, b @ theta), abs=1e-12)


def test_sliced_w1_is_at_most_exact_w1():
    # |a.theta - b.theta| <= |a - b| for a unit theta, so every slice is cheaper than 2D transport
    a, b = draw("moons", 200, seed=30), draw("spiral", 200, seed=31)
    assert sliced_wasserstein1(a, b, n_projections=200) <= wasserstein1_exact(a, b) + 1e-12


# --- evaluate_samples -----------------------------------------------------------------------------


def test_evaluate_samples_without_modes_has_mode_keys_set_to_none():
    real, ref, fake = draw("moons", 800, 32), draw("moons", 800, 33), draw("circles", 800, 34)
    out = evaluate_samples(fake, real, ref)
    assert set(out) == {"js", "js_floor", "w1", "w1_points", "sliced_w1"} | MODE_KEYS
    assert all(out[k] is None for k in MODE_KEYS)
    assert all(type(out[k]) is float for k in ("js", "js_floor", "w1", "sliced_w1"))
    assert out["js"] == js_divergence(real, fake)
    assert out["w1"] == wasserstein1_exact(fake, real)
    assert out["js_floor"] < out["js"]
    json.loads(json.dumps(out))


def test_evaluate_samples_with_modes():
    d = DATASETS["ring8"]
    real, ref = draw("ring8", EVAL_SAMPLES, 35), draw("ring8", EVAL_SAMPLES, 36)
    fake = real[np.linalg.norm(real - d.modes[0], axis=1) < 1.0]  # collapsed onto mode 0
    out = evaluate_samples(fake, real, ref, d.modes, d.sigma, d.weights)
    assert set(out) == {"js", "js_floor", "w1", "w1_points", "sliced_w1"} | MODE_KEYS
    assert {k: out[k] for k in MODE_KEYS} == mode_stats(fake, d.modes, d.sigma, d.weights)
    assert out["modes_captured"] == 1
    assert out["reverse_kl"] == pytest.approx(math.log(8), abs=1e-12)
    assert out["js"] > out["js_floor"] and out["w1"] > 1.0
    assert isinstance(out["modes_total"], int) and all(type(c) is int for c in out["mode_counts"])
    json.loads(json.dumps(out))


def test_evaluate_samples_caps_the_exact_w1_and_says_so():
    rng = np.random.default_rng(3)
    real, fake = rng.normal(size=(800, 2)), rng.normal(size=(800, 2)) + 0.5
    out = evaluate_samples(fake, real, real, w1_points=300, rng=np.random.default_rng(0))
    assert out["w1_points"] == 300
    assert out["w1"] == wasserstein1_exact(fake, real, max_points=300, rng=np.random.default_rng(0))
    assert evaluate_samples(fake, real, real)["w1_points"] == 800
