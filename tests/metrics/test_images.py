"""Image metrics checked against closed forms and brute force, never against their own output."""

import numpy as np
import pytest

from ganviz.metrics import images as image_metrics_module
from ganviz.metrics.images import (
    CONFIDENT,
    SQRTM_EPS,
    class_histogram,
    frechet_distance,
    gaussian_stats,
    nearest_neighbours,
)


def random_covariance(rng, dim, rank=None):
    """A random symmetric PSD matrix (dim, dim) of the given rank (full by default)."""
    a = rng.normal(size=(dim, rank or dim))
    return a @ a.T


# --- Fréchet distance -----------------------------------------------------------------------------


def test_frechet_identical_gaussians_is_zero():
    rng = np.random.default_rng(0)
    mu, sigma = rng.normal(size=6), random_covariance(rng, 6)
    assert frechet_distance(mu, sigma, mu, sigma) == pytest.approx(0.0, abs=1e-9)


def test_frechet_shifted_mean_same_covariance_is_squared_shift():
    rng = np.random.default_rng(1)
    mu, sigma, shift = rng.normal(size=6), random_covariance(rng, 6), rng.normal(size=6)
    assert frechet_distance(mu, sigma, mu + shift, sigma) == pytest.approx(shift @ shift, rel=1e-9)


def test_frechet_diagonal_covariances_closed_form():
    # For diagonal S1 = diag(a), S2 = diag(b): sqrt(S1 S2) = diag(sqrt(a b)), so the trace term is
    # sum(a + b - 2 sqrt(a b)) = sum((sqrt(a) - sqrt(b))^2).
    rng = np.random.default_rng(2)
    a, b = rng.uniform(0.1, 3.0, 8), rng.uniform(0.1, 3.0, 8)
    mu1, mu2 = rng.normal(size=8), rng.normal(size=8)
    expected = np.sum((np.sqrt(a) - np.sqrt(b)) ** 2) + np.sum((mu1 - mu2) ** 2)
    assert frechet_distance(mu1, np.diag(a), mu2, np.diag(b)) == pytest.approx(expected, rel=1e-9)


def test_frechet_one_dimensional_is_w2_squared_between_normals():
    # In 1-D (where everything commutes) it is (m1 - m2)^2 + (s1 - s2)^2, the squared W2 distance.
    assert frechet_distance([1.0], [[4.0]], [-2.0], [[9.0]]) == pytest.approx(3.0**2 + (2.0 - 3.0) ** 2)


def test_frechet_commuting_covariances_closed_form():
    # S1 = Q diag(a) Q^T and S2 = Q diag(b) Q^T share eigenvectors, so the diagonal formula holds.
    rng = np.random.default_rng(3)
    q, _ = np.linalg.qr(rng.normal(size=(5, 5)))
    a, b = rng.uniform(0.1, 3.0, 5), rng.uniform(0.1, 3.0, 5)
    d = frechet_distance(np.zeros(5), q @ np.diag(a) @ q.T, np.zeros(5), q @ np.diag(b) @ q.T)
    assert d == pytest.approx(np.sum((np.sqrt(a) - np.sqrt(b)) ** 2), rel=1e-8)


def trace_sqrt_product(s1, s2):
    """Tr (S1 S2)^(1/2) without sqrtm: S1 S2 is similar to the PSD matrix R S2 R, R = S1^(1/2)."""
    w, v = np.linalg.eigh(s1)
    r = v @ np.diag(np.sqrt(np.clip(w, 0, None))) @ v.T
    return np.sum(np.sqrt(np.clip(np.linalg.eigvalsh(r @ s2 @ r), 0, None)))


@pytest.mark.parametrize("rank1, rank2", [(3, 2), (0, 5), (1, 1), (7, 8)])
def test_frechet_rank_deficient_covariances(rank1, rank2):
    # Singular S1 S2 (fewer samples than features, a collapsed generator): finite, and within the
    # eps retry's tolerance of an eigenvalue computation that never needs a matrix square root.
    rng = np.random.default_rng(4)
    s1, s2 = random_covariance(rng, 8, rank1), random_covariance(rng, 8, rank2)
    expected = 8.0 + np.trace(s1) + np.trace(s2) - 2 * trace_sqrt_product(s1, s2)
    assert frechet_distance(np.zeros(8), s1, np.ones(8), s2) == pytest.approx(expected, rel=1e-3)


def test_frechet_eps_retry_only_nudges_the_result(monkeypatch):
    # Force the fallback (as when sqrtm fails on a singular product). With S1 = 0 and S2 = diag(s)
    # the retried root is diag(sqrt(eps (s + eps))): 2 * sum of that below the exact |dmu|^2 + Tr S2.
    monkeypatch.setattr(image_metrics_module, "is_accurate_root", lambda root, a: False)
    s, eps = np.array([1.0, 2.0, 3.0]), SQRTM_EPS
    d = frechet_distance(np.zeros(3), np.zeros((3, 3)), np.ones(3), np.diag(s))
    assert d == pytest.approx(3.0 + s.sum() - 2 * np.sum(np.sqrt(eps * (s + eps))), rel=1e-12)
    assert d == pytest.approx(3.0 + s.sum(), rel=1e-3)


def test_frechet_zero_covariance_against_full_is_mean_shift_plus_trace():
    # A collapsed generator: S1 = 0 makes the cross term vanish, leaving |dmu|^2 + Tr S2.
    rng = np.random.default_rng(5)
    s2 = random_covariance(rng, 6)
    d = frechet_distance(np.zeros(6), np.zeros((6, 6)), np.ones(6), s2)
    assert d == pytest.approx(6.0 + np.trace(s2), rel=1e-9)


def test_frechet_is_symmetric():
    rng = np.random.default_rng(6)
    mu1, mu2 = rng.normal(size=10), rng.normal(size=10)
    s1, s2 = random_covariance(rng, 10), random_covariance(rng, 10, rank=4)
    assert frechet_distance(mu1, s1, mu2, s2) == pytest.approx(frechet_distance(mu2, s2, mu1, s1), rel=1e-8)


def test_frechet_rejects_matrices_that_are_not_covariances():
    # S1 S2 = diag(-1, -4): its square root is imaginary, which no pair of covariances can produce.
    with pytest.raises(ValueError, match="imaginary"):
        frechet_distance(np.zeros(2), np.diag([-1.0, -4.0]), np.zeros(2), np.eye(2))


def test_gaussian_stats_match_numpy():
    x = np.random.default_rng(7).normal(size=(50, 4)) * [1.0, 2.0, 3.0, 4.0]
    mu, sigma = gaussian_stats(x)
    np.testing.assert_allclose(mu, x.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(sigma, np.cov(x.T), rtol=1e-12)  # np.cov is unbiased (N - 1)
    assert sigma.shape == (4, 4)
    assert gaussian_stats(x[:, :1])[1].shape == (1, 1)  # one feature still gives a matrix
    with pytest.raises(ValueError):
        gaussian_stats(x[:1])


# --- class histogram ------------------------------------------------------------------------------


def one_hot_probs(labels, confidence=0.99):
    """Probabilities (N, 10) with `confidence` on each label and the rest spread evenly."""
    labels = np.asarray(labels)
    probs = np.full((len(labels), 10), (1 - confidence) / 9)
    probs[np.arange(len(labels)), labels] = confidence
    return probs


def test_collapsed_generator_covers_one_class():
    h = class_histogram(one_hot_probs(np.ones(1000, dtype=int)))
    assert h["classes_covered"] == 1
    assert h["missing"] == [0, 2, 3, 4, 5, 6, 7, 8, 9]
    assert h["counts"] == [0, 1000] + [0] * 8
    assert h["fractions"][1] == 1.0
    assert h["mean_confidence"] == pytest.approx(0.99)


def test_balanced_confident_samples_cover_all_ten():
    h = class_histogram(one_hot_probs(np.arange(1000) % 10))
    assert h["classes_covered"] == 10 and h["missing"] == []
    assert h["counts"] == [100] * 10
    np.testing.assert_allclose(h["fractions"], 0.1)


def test_class_below_two_percent_is_not_covered():
    # 985 nines, 15 sevens (1.5 %): the sevens are stray samples, not a produced digit; 20 (2 %) count.
    assert class_histogram(one_hot_probs([9] * 985 + [7] * 15))["missing"] == [0, 1, 2, 3, 4, 5, 6, 7, 8]
    assert class_histogram(one_hot_probs([9] * 980 + [7] * 20))["missing"] == [0, 1, 2, 3, 4, 5, 6, 8]


def test_class_without_a_confident_sample_is_not_covered():
    # Half the samples lean towards 3 but never confidently: ambiguous blobs do not make a digit.
    probs = np.concatenate([one_hot_probs([5] * 50), one_hot_probs([3] * 50, confidence=CONFIDENT - 0.1)])
    h = class_histogram(probs)
    assert h["counts"][3] == 50 and h["counts"][5] == 50
    assert h["classes_covered"] == 1 and 3 in h["missing"]
    assert h["mean_confidence"] == pytest.approx((0.99 + CONFIDENT - 0.1) / 2)


def test_class_histogram_restricted_to_a_digit_subset():
    h = class_histogram(one_hot_probs([0] * 60 + [1] * 40), classes=[0, 1, 7])
    assert h["classes_covered"] == 2 and h["classes_total"] == 3
    assert h["missing"] == [7]
    assert h["counts"][:2] == [60, 40]


def test_class_histogram_rejects_classes_outside_the_ten_digits():
    for bad in ([], [3, 10], [-1]):
        with pytest.raises(ValueError):
            class_histogram(one_hot_probs([0, 1]), classes=bad)


def test_class_histogram_of_no_samples():
    h = class_histogram(np.zeros((0, 10)))
    assert h["classes_covered"] == 0 and h["mean_confidence"] is None and h["counts"] == [0] * 10


# --- nearest neighbours ---------------------------------------------------------------------------


def brute_force_neighbours(samples, train, k):
    d = np.linalg.norm(samples.reshape(len(samples), -1)[:, None] - train.reshape(len(train), -1)[None], axis=-1)
    idx = np.argsort(d, axis=1)[:, :k]
    return idx, np.take_along_axis(d, idx, axis=1)


@pytest.mark.parametrize("chunk", [1, 3, 7, 16, 2048])  # 7 and 16 split neither set evenly
@pytest.mark.parametrize("k", [1, 3])
def test_nearest_neighbours_match_brute_force(chunk, k):
    rng = np.random.default_rng(8)
    samples = rng.uniform(-1, 1, size=(23, 1, 4, 4)).astype(np.float32)
    train = rng.uniform(-1, 1, size=(37, 1, 4, 4)).astype(np.float32)
    idx, dist = nearest_neighbours(samples, train, k=k, chunk=chunk)
    want_idx, want_dist = brute_force_neighbours(samples.astype(np.float64), train.astype(np.float64), k)
    assert idx.shape == dist.shape == (23, k)
    np.testing.assert_array_equal(idx, want_idx)
    np.testing.assert_allclose(dist, want_dist, rtol=1e-12)


def test_nearest_neighbour_of_a_training_copy_is_itself_at_distance_zero():
    rng = np.random.default_rng(9)
    train = rng.uniform(-1, 1, size=(50, 1, 8, 8)).astype(np.float32)
    idx, dist = nearest_neighbours(train[[4, 17, 4]], train, k=2, chunk=8)
    np.testing.assert_array_equal(idx[:, 0], [4, 17, 4])
    np.testing.assert_array_equal(dist[:, 0], 0.0)  # exact, not 1e-7 from the expansion's rounding
    assert (dist[:, 1] > 0).all()


def test_nearest_neighbours_rejects_bad_k_and_mismatched_sizes():
    train = np.zeros((5, 1, 4, 4), dtype=np.float32)
    with pytest.raises(ValueError):
        nearest_neighbours(train, train, k=6)
    with pytest.raises(ValueError):
        nearest_neighbours(np.zeros((2, 1, 8, 8)), train)
