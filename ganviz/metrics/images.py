"""Metrics for generated digits, judged by a classifier: Frechet distance with its floor, class histogram,
confidence, nearest training images."""

from __future__ import annotations

import warnings

import numpy as np
import scipy.linalg

SQRTM_EPS = 1e-6  # added to both covariance diagonals when the plain matrix square root fails
_SQRTM_RESIDUAL = 1e-6  # relative error ||X X - A||_F / ||A||_F above which sqrtm counts as failed
_SQRTM_MAX_IMAG = 1e-3  # largest imaginary part of Tr(sqrt(S1 S2)) accepted as rounding noise
CONFIDENT = 0.9  # max class probability from which a prediction counts as confident
_NN_CHUNK = 2048  # rows of each set per distance block: a block is at most 2048 x 2048 float64 (32 MB)


def gaussian_stats(features) -> tuple[np.ndarray, np.ndarray]:
    """Mean (F,) and unbiased covariance (F, F) of `features` (N, F), N >= 2, as float64."""
    x = np.asarray(features, dtype=np.float64)
    if x.ndim != 2 or len(x) < 2:
        raise ValueError(f"expected features of shape (N, F) with N >= 2, got {x.shape}")
    return x.mean(axis=0), np.cov(x, rowvar=False, ddof=1).reshape(x.shape[1], x.shape[1])


def _sqrtm(a: np.ndarray) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", scipy.linalg.LinAlgWarning)  # singular input: judged by is_accurate_root
        return scipy.linalg.sqrtm(a)


def is_accurate_root(x: np.ndarray, a: np.ndarray) -> bool:
    """Whether x is a finite square root of a up to a relative residual of _SQRTM_RESIDUAL."""
    if not np.isfinite(x).all():
        return False
    scale = max(np.linalg.norm(a), np.finfo(np.float64).tiny)
    return np.linalg.norm(x @ x - a) / scale <= _SQRTM_RESIDUAL


def frechet_distance(mu1, sigma1, mu2, sigma2) -> float:
    """Fréchet distance |mu1 - mu2|^2 + Tr(S1 + S2 - 2 (S1 S2)^(1/2)) between two Gaussians.

    mu (F,), sigma (F, F) symmetric positive semi-definite. When S1 S2 is singular (a collapsed
    generator, fewer samples than features) the square root can fail; it is then retried with
    SQRTM_EPS added to both diagonals, which moves the result by about sqrt(eps * variance) per
    dimension. An imaginary part of the trace above _SQRTM_MAX_IMAG (times the trace's size) means
    the inputs were not covariances, and raises ValueError; a smaller one is rounding and dropped.
    """
    mu1, mu2 = np.atleast_1d(np.asarray(mu1, np.float64)), np.atleast_1d(np.asarray(mu2, np.float64))
    sigma1, sigma2 = np.atleast_2d(np.asarray(sigma1, np.float64)), np.atleast_2d(np.asarray(sigma2, np.float64))
    product = sigma1 @ sigma2
    root = _sqrtm(product)
    if not is_accurate_root(root, product):
        offset = SQRTM_EPS * np.eye(len(sigma1))
        root = _sqrtm((sigma1 + offset) @ (sigma2 + offset))
    tr_root = np.trace(root)
    if abs(np.imag(tr_root)) > _SQRTM_MAX_IMAG * max(1.0, abs(np.real(tr_root))):
        raise ValueError(f"Tr(sqrt(S1 S2)) has imaginary part {np.imag(tr_root):.3g}: not covariance matrices?")
    diff = mu1 - mu2
    d = diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2.0 * np.real(tr_root)
    return max(float(d), 0.0)  # identical Gaussians can round to -1e-13


def class_histogram(probs, classes=None) -> dict:
    """How the classifier sorts samples into digits, from probabilities `probs` (N, 10).

    Each sample goes to its argmax class. `counts` and `fractions` (length 10) count all N
    samples. A class in `classes` (default: all ten) is covered when it holds at least
    1 / (5 * len(classes)) of the samples - a fifth of its fair share, 2 % for ten digits, so a
    few stray samples do not count as producing a digit - and at least one of them is confident
    (max probability >= CONFIDENT), so a pile of ambiguous blobs does not either. `missing` lists
    the classes of `classes` that are not covered. `mean_confidence` is the mean max probability
    (None when N = 0).
    """
    probs = np.asarray(probs, dtype=np.float64)
    if probs.ndim != 2 or probs.shape[1] != 10:
        raise ValueError(f"expected probabilities of shape (N, 10), got {probs.shape}")
    classes = list(range(10)) if classes is None else sorted({int(c) for c in classes})
    if not classes or not set(classes) <= set(range(10)):
        raise ValueError(f"classes must be a non-empty subset of 0..9, got {classes}")
    n = len(probs)
    predicted, confidence = probs.argmax(axis=1), probs.max(axis=1)
    counts = np.bincount(predicted, minlength=10)
    confident = np.bincount(predicted[confidence >= CONFIDENT], minlength=10)
    min_fraction = 1.0 / (5 * len(classes))
    fractions = counts / n if n else np.zeros(10)
    covered = [c for c in classes if fractions[c] >= min_fraction and confident[c] > 0]
    return {
        "counts": [int(c) for c in counts],
        "fractions": [float(f) for f in fractions],
        "classes_covered": len(covered),
        "classes_total": len(classes),
        "missing": [c for c in classes if c not in covered],
        "mean_confidence": float(confidence.mean()) if n else None,
    }


def _as_flat_images(x) -> np.ndarray:
    """(N, 1, H, W) -> (N, H*W), keeping the dtype: float32 MNIST stays half the size of float64."""
    x = np.asarray(x)
    if x.ndim < 2:
        raise ValueError(f"expected images of shape (N, ...), got {x.shape}")
    return x.reshape(len(x), -1)


def nearest_neighbours(samples, train, k: int = 3, chunk: int = _NN_CHUNK) -> tuple[np.ndarray, np.ndarray]:
    """The k training images closest to each sample: indices (M, k) int64 and distances (M, k) float64.

    samples (M, 1, H, W), train (N, 1, H, W); Euclidean distance over pixels (on the [-1, 1]
    scale), nearest first. Squared distances come block by block (`chunk` training images times
    `chunk` samples, in float64) from the fast |x|^2 - 2 x.y + |y|^2 expansion while a running top k
    is kept, so 1,000 x 70,000 x 784 needs tens of MB instead of 400 GB. The winners' distances are
    then recomputed from pixel differences, so an exact copy of a training image reports exactly 0.
    A non-finite sample gets distances NaN (and meaningless indices).
    """
    s, t = _as_flat_images(samples), _as_flat_images(train)
    if s.shape[1] != t.shape[1]:
        raise ValueError(f"samples and train images differ in size: {s.shape[1]} vs {t.shape[1]} pixels")
    if not 1 <= k <= len(t):
        raise ValueError(f"k must lie in 1..{len(t)}, got {k}")
    best_d2 = np.full((len(s), k), np.inf)
    best_idx = np.zeros((len(s), k), dtype=np.int64)
    for t_start in range(0, len(t), chunk):
        tb = t[t_start : t_start + chunk].astype(np.float64)
        tb_sq = (tb**2).sum(axis=1)
        tb_idx = np.arange(t_start, t_start + len(tb))
        for s_start in range(0, len(s), chunk):
            rows = slice(s_start, s_start + chunk)
            sb = s[rows].astype(np.float64)
            d2 = (sb**2).sum(axis=1)[:, None] - 2.0 * sb @ tb.T + tb_sq[None, :]  # (B, C)
            cand_d2 = np.concatenate([best_d2[rows], d2], axis=1)
            cand_idx = np.concatenate([best_idx[rows], np.broadcast_to(tb_idx, d2.shape)], axis=1)
            keep = np.argpartition(cand_d2, k - 1, axis=1)[:, :k]  # k smallest, in no order
            best_d2[rows] = np.take_along_axis(cand_d2, keep, axis=1)
            best_idx[rows] = np.take_along_axis(cand_idx, keep, axis=1)

    distances = np.empty((len(s), k), dtype=np.float64)
    for s_start in range(0, len(s), chunk):
        rows = slice(s_start, s_start + chunk)
        diff = s[rows, None, :].astype(np.float64) - t[best_idx[rows]]  # (B, k, D)
        distances[rows] = np.sqrt((diff**2).sum(axis=-1))
    order = np.argsort(distances, axis=1, kind="stable")
    return np.take_along_axis(best_idx, order, axis=1), np.take_along_axis(distances, order, axis=1)


def real_feature_stats(classifier, real_images, real_reference) -> tuple[np.ndarray, np.ndarray, float]:
    """(mu, sigma) of the `classifier`'s features of real_images, and `fid_floor`: the Fréchet distance of
    real_reference to them. They depend only on the data, so a run computes them once and passes them
    to `image_metrics` as `real`."""
    from ganviz.metrics.judge import features

    mu, sigma = gaussian_stats(features(classifier, real_images))
    return mu, sigma, frechet_distance(*gaussian_stats(features(classifier, real_reference)), mu, sigma)


def image_metrics(
    samples,
    classifier,
    real_images,
    real_reference,
    *,
    digits=None,
    real: tuple[np.ndarray, np.ndarray, float] | None = None,
) -> dict:
    """Every image metric for generator `samples` (M, 1, H, W) against data `real_images` (N, 1, H, W).

    `fid`: Fréchet distance between Gaussians fitted to the `classifier`'s features of samples and
    of real_images. `real_reference` is a second, disjoint set of real images: its distance to
    real_images (`fid_floor`) is what a perfect generator would score with that many samples, the
    estimator's bias (use as many reference images as samples so the two are comparable).
    Coverage keys come from `class_histogram`; with `digits` (the subset being trained, e.g.
    [0, 1]) `classes_covered` and `missing` refer to those digits only. `real`: `real_feature_stats`
    of the same real sets, when the caller has them already.
    """
    from ganviz.metrics.judge import features_and_probs

    mu, sigma, floor = real if real is not None else real_feature_stats(classifier, real_images, real_reference)
    sample_features, probs = features_and_probs(classifier, samples)
    hist = class_histogram(probs, classes=digits)
    return {
        "fid": frechet_distance(*gaussian_stats(sample_features), mu, sigma),
        "fid_floor": floor,
        "classes_covered": hist["classes_covered"],
        "classes_total": hist["classes_total"],
        "mean_confidence": hist["mean_confidence"],
        "class_counts": hist["counts"],
        "missing": hist["missing"],
    }
