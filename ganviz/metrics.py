"""How close are the generator's 2D samples to the data? Numbers in, plain Python numbers out.

Four views of the same question:
- mode statistics (VEEGAN / PacGAN protocol) for Gaussian mixtures: how many modes are hit,
  what fraction of samples is high quality, and the reverse KL of the mode histogram;
- Jensen-Shannon divergence between 2D histograms (in nats, at most log 2);
- exact Wasserstein-1 by optimal transport on at most `max_points` points per set;
- sliced Wasserstein-1: the mean 1D W1 over random projections.

All distances are in the data's own units (the toy datasets live in roughly [-5, 5]^2).
Every function returns floats / ints / lists / None only, so results go straight into JSON.
"""
from __future__ import annotations

import math
import warnings

import numpy as np
import ot
import scipy.linalg

HISTOGRAM_BINS = 32  # grid cells per axis for the JS histogram
EVAL_SAMPLES = 2500  # samples per evaluation, as in the mode-collapse literature
_CHUNK = 4096  # rows per block in the nearest-centre search: bounds memory at _CHUNK * K * 2 floats
_EMD_MAX_ITER = 1_000_000  # network-simplex iterations; the default (1e5) can stop short of optimal


def _as_points(x) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] != 2:
        raise ValueError(f"expected points of shape (N, 2), got {x.shape}")
    return x


# --- mode statistics ----------------------------------------------------------------------------

def _nearest_centre(points: np.ndarray, centres: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index (N,) int and Euclidean distance (N,) of each point's nearest centre.

    points (N, 2), centres (K, 2). Works in blocks of rows so N = 100k never builds an
    (N, K, 2) array; differences (not the |x|^2 - 2x.c + |c|^2 expansion) keep it exact far
    from the origin.
    """
    idx = np.empty(len(points), dtype=np.int64)
    dist = np.empty(len(points), dtype=np.float64)
    for start in range(0, len(points), _CHUNK):
        block = points[start:start + _CHUNK]
        d2 = ((block[:, None, :] - centres[None, :, :]) ** 2).sum(-1)  # (B, K)
        i = d2.argmin(axis=1)
        idx[start:start + _CHUNK] = i
        dist[start:start + _CHUNK] = np.sqrt(d2[np.arange(len(block)), i])
    return idx, dist


def _kl_divergence(p: np.ndarray, q: np.ndarray) -> float:
    """KL(p || q) in nats for two probability vectors (K,); terms with p = 0 contribute 0."""
    nz = p > 0
    with np.errstate(divide="ignore"):  # q = 0 where p > 0 is a genuine +inf
        return float(np.sum(p[nz] * np.log(p[nz] / q[nz])))


def mode_stats(samples, modes, sigma: float, weights=None, threshold: float = 3.0) -> dict:
    """Mode coverage of `samples` (N, 2) against a Gaussian mixture with centres `modes` (K, 2).

    A sample is high quality when its nearest centre lies within `threshold * sigma` (Euclidean
    distance, data units). A mode is captured when at least one high-quality sample picked it.
    `reverse_kl` = KL(p_hat || w) in nats, p_hat the normalised histogram of high-quality samples
    over modes and w the mixture `weights` (K,) (uniform if None); for uniform w it equals
    log K - H(p_hat). None when no sample is high quality (p_hat undefined).
    """
    samples, modes = _as_points(samples), _as_points(modes)
    k = len(modes)
    w = np.full(k, 1.0 / k) if weights is None else np.asarray(weights, dtype=np.float64)
    w = w / w.sum()

    idx, dist = _nearest_centre(samples, modes)
    hq = dist <= threshold * sigma  # NaN samples compare False: never high quality
    counts = np.bincount(idx[hq], minlength=k)
    n_hq = int(counts.sum())
    return {
        "modes_captured": int((counts > 0).sum()),
        "modes_total": k,
        "hq_fraction": n_hq / len(samples) if len(samples) else 0.0,
        "reverse_kl": _kl_divergence(counts / n_hq, w) if n_hq else None,
        "mode_counts": [int(c) for c in counts],
    }


# --- Jensen-Shannon on 2D histograms -------------------------------------------------------------

def data_extent(points, pad: float = 0.25) -> tuple[float, float, float, float]:
    """(xmin, xmax, ymin, ymax) of `points` (N, 2), each side pushed out by `pad` times the span."""
    points = _as_points(points)
    lo, hi = points.min(axis=0), points.max(axis=0)
    span = hi - lo
    span = np.where(span > 0, span, 1.0)  # all points on a line: still give the grid a width
    lo, hi = lo - pad * span, hi + pad * span
    return float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1])


def _histogram(points: np.ndarray, bins: int, extent) -> np.ndarray:
    """Counts (bins*bins + 1,): the grid cells, then one overflow cell for everything outside.

    The overflow cell is why a generator that wanders off the grid is penalised instead of
    being clipped into the edge cells. NaN points also land there.
    """
    xmin, xmax, ymin, ymax = extent
    grid, _, _ = np.histogram2d(points[:, 0], points[:, 1], bins=bins, range=[[xmin, xmax], [ymin, ymax]])
    return np.append(grid.ravel(), len(points) - grid.sum())


def js_divergence(real, fake, bins: int = HISTOGRAM_BINS, extent=None) -> float:
    """Jensen-Shannon divergence in nats (0 to log 2) between histograms of real (N, 2), fake (M, 2).

    Both are counted on the same `bins` x `bins` grid over `extent` = (xmin, xmax, ymin, ymax)
    (default: the real points' bounding box padded 25 % per side) plus one overflow cell.
    """
    real, fake = _as_points(real), _as_points(fake)
    extent = data_extent(real) if extent is None else extent
    p = _histogram(real, bins, extent)
    q = _histogram(fake, bins, extent)
    p, q = p / p.sum(), q / q.sum()
    m = 0.5 * (p + q)
    js = 0.5 * _kl_divergence(p, m) + 0.5 * _kl_divergence(q, m)
    return max(js, 0.0)  # rounding can leave -1e-17 for identical histograms


def js_divergence_1d(real, fake, bins: int, extent: tuple[float, float]) -> float:
    """JS divergence in nats between histograms of 1D samples real (N,) and fake (M,).

    `bins` equal cells over `extent` = (lo, hi), plus one overflow cell for everything outside
    (so a generator that wanders off is penalised, as in the 2D version).
    """
    lo, hi = extent
    counts = []
    for x in (real, fake):
        x = np.asarray(x, dtype=np.float64).ravel()
        inside, _ = np.histogram(x, bins=bins, range=(lo, hi))
        counts.append(np.append(inside, len(x) - inside.sum()) / len(x))
    p, q = counts
    m = 0.5 * (p + q)
    return max(0.5 * _kl_divergence(p, m) + 0.5 * _kl_divergence(q, m), 0.0)


# --- Wasserstein-1 -------------------------------------------------------------------------------

def _subsample(x: np.ndarray, max_points: int, rng: np.random.Generator) -> np.ndarray:
    if len(x) <= max_points:
        return x
    return x[rng.choice(len(x), size=max_points, replace=False)]


def wasserstein1_exact(a, b, max_points: int = 1000, rng: np.random.Generator | None = None) -> float:
    """Exact W1 (Euclidean ground cost, data units) between uniform weights on a (N, 2) and b (M, 2).

    The LP costs O(N*M) memory and more than quadratic time, so a set larger than `max_points`
    is subsampled without replacement using `rng` (default: seed 0, hence deterministic).
    Non-finite inputs give NaN: the solver would otherwise report a meaningless 0.
    """
    a, b = _as_points(a), _as_points(b)
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        return math.nan
    rng = np.random.default_rng(0) if rng is None else rng
    a, b = _subsample(a, max_points, rng), _subsample(b, max_points, rng)
    cost = ot.dist(a, b, metric="euclidean")  # (N, M)
    return float(ot.emd2([], [], cost, numItermax=_EMD_MAX_ITER))  # [] means uniform weights


def _wasserstein1_1d(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Exact 1D W1 between uniform weights on u (..., N) and v (..., M), batched over leading axes.

    W1 = integral over t in (0, 1) of |F_u^-1(t) - F_v^-1(t)|. Both quantile functions are step
    functions that only jump at t = i/N or j/M, so on the merged grid of those levels the
    integrand is constant per interval and the integral is an exact finite sum (any N, M).
    """
    n, m = u.shape[-1], v.shape[-1]
    levels = np.sort(np.concatenate([np.arange(1, n + 1) / n, np.arange(1, m + 1) / m]))
    dt = np.diff(levels, prepend=0.0)  # interval lengths; duplicated levels give 0
    mid = levels - 0.5 * dt  # a point inside each interval decides which order statistic applies
    iu = np.minimum((mid * n).astype(np.int64), n - 1)
    iv = np.minimum((mid * m).astype(np.int64), m - 1)
    u, v = np.sort(u, axis=-1), np.sort(v, axis=-1)
    return (np.abs(u[..., iu] - v[..., iv]) * dt).sum(-1)


def wasserstein1_1d(a, b) -> float:
    """Exact W1 between uniform weights on 1D samples a (N,) and b (M,), in their units."""
    return float(_wasserstein1_1d(np.asarray(a, dtype=np.float64).ravel(), np.asarray(b, dtype=np.float64).ravel()))


def sliced_wasserstein1(a, b, n_projections: int = 100, rng: np.random.Generator | None = None) -> float:
    """Mean over random unit directions theta of the exact 1D W1 between a.theta and b.theta.

    a (N, 2), b (M, 2), data units. Directions are angles phi ~ U[0, 2 pi) drawn as
    `rng.uniform(0, 2 pi, n_projections)`, theta = (cos phi, sin phi); default rng seed 0.
    For a translation by v the value tends to 2|v|/pi (the mean of |cos phi| times |v|).
    """
    a, b = _as_points(a), _as_points(b)
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        return math.nan
    rng = np.random.default_rng(0) if rng is None else rng
    phi = rng.uniform(0.0, 2 * math.pi, size=n_projections)
    theta = np.stack([np.cos(phi), np.sin(phi)])  # (2, P)
    return float(_wasserstein1_1d((a @ theta).T, (b @ theta).T).mean())  # (P, N) vs (P, M)


# --- all of it ------------------------------------------------------------------------------------

_MODE_KEYS = ("modes_captured", "modes_total", "hq_fraction", "reverse_kl", "mode_counts")


def evaluate_samples(fake, real, real_reference, modes=None, sigma=None, weights=None,
                     rng: np.random.Generator | None = None, w1_points: int = 1000) -> dict:
    """Every metric for generator samples `fake` (M, 2) against data samples `real` (N, 2).

    `real_reference` (N', 2) is a second, independent draw of the data: its JS against `real`
    (`js_floor`) is what a perfect generator would score, the histogram estimator's noise floor.
    Mode keys are always present (None when `modes` is None) so every record has the same keys.
    `w1_points` caps each set for the exact W1 (its cost grows faster than quadratically); the
    value used is reported as `w1_points`.
    """
    fake, real, real_reference = _as_points(fake), _as_points(real), _as_points(real_reference)
    extent = data_extent(real)  # one grid for both JS numbers, so they are comparable
    out = {
        "js": js_divergence(real, fake, extent=extent),
        "js_floor": js_divergence(real, real_reference, extent=extent),
        "w1": wasserstein1_exact(fake, real, max_points=w1_points, rng=rng),
        "w1_points": min(w1_points, len(fake), len(real)),
        "sliced_w1": sliced_wasserstein1(fake, real, rng=rng),
    }
    if modes is None:
        out.update(dict.fromkeys(_MODE_KEYS))
    else:
        out.update(mode_stats(fake, modes, sigma, weights))
    return out


# --- digit images: Fréchet distance, class coverage, nearest training images ----------------------
#
# Images are arrays (N, 1, H, W) in [-1, 1]. The Fréchet distance is computed on the digit
# classifier's features (ganviz.classifier), so its units are squared feature units: comparable
# between runs on the same dataset and classifier only, hence the real-vs-real `fid_floor`.
# gaussian_stats and nearest_neighbours return arrays: they are steps, not JSON records.

_SQRTM_EPS = 1e-6  # added to both covariance diagonals when the plain matrix square root fails
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
        warnings.simplefilter("ignore", scipy.linalg.LinAlgWarning)  # singular input: judged by _is_accurate_root
        return scipy.linalg.sqrtm(a)


def _is_accurate_root(x: np.ndarray, a: np.ndarray) -> bool:
    """Whether x is a finite square root of a up to a relative residual of _SQRTM_RESIDUAL."""
    if not np.isfinite(x).all():
        return False
    scale = max(np.linalg.norm(a), np.finfo(np.float64).tiny)
    return np.linalg.norm(x @ x - a) / scale <= _SQRTM_RESIDUAL


def frechet_distance(mu1, sigma1, mu2, sigma2) -> float:
    """Fréchet distance |mu1 - mu2|^2 + Tr(S1 + S2 - 2 (S1 S2)^(1/2)) between two Gaussians.

    mu (F,), sigma (F, F) symmetric positive semi-definite. When S1 S2 is singular (a collapsed
    generator, fewer samples than features) the square root can fail; it is then retried with
    _SQRTM_EPS added to both diagonals, which moves the result by about sqrt(eps * variance) per
    dimension. An imaginary part of the trace above _SQRTM_MAX_IMAG (times the trace's size) means
    the inputs were not covariances, and raises ValueError; a smaller one is rounding and dropped.
    """
    mu1, mu2 = np.atleast_1d(np.asarray(mu1, np.float64)), np.atleast_1d(np.asarray(mu2, np.float64))
    sigma1, sigma2 = np.atleast_2d(np.asarray(sigma1, np.float64)), np.atleast_2d(np.asarray(sigma2, np.float64))
    product = sigma1 @ sigma2
    root = _sqrtm(product)
    if not _is_accurate_root(root, product):
        offset = _SQRTM_EPS * np.eye(len(sigma1))
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
        tb = t[t_start:t_start + chunk].astype(np.float64)
        tb_sq = (tb ** 2).sum(axis=1)
        tb_idx = np.arange(t_start, t_start + len(tb))
        for s_start in range(0, len(s), chunk):
            rows = slice(s_start, s_start + chunk)
            sb = s[rows].astype(np.float64)
            d2 = (sb ** 2).sum(axis=1)[:, None] - 2.0 * sb @ tb.T + tb_sq[None, :]  # (B, C)
            cand_d2 = np.concatenate([best_d2[rows], d2], axis=1)
            cand_idx = np.concatenate([best_idx[rows], np.broadcast_to(tb_idx, d2.shape)], axis=1)
            keep = np.argpartition(cand_d2, k - 1, axis=1)[:, :k]  # k smallest, in no order
            best_d2[rows] = np.take_along_axis(cand_d2, keep, axis=1)
            best_idx[rows] = np.take_along_axis(cand_idx, keep, axis=1)

    distances = np.empty((len(s), k), dtype=np.float64)
    for s_start in range(0, len(s), chunk):
        rows = slice(s_start, s_start + chunk)
        diff = s[rows, None, :].astype(np.float64) - t[best_idx[rows]]  # (B, k, D)
        distances[rows] = np.sqrt((diff ** 2).sum(axis=-1))
    order = np.argsort(distances, axis=1, kind="stable")
    return np.take_along_axis(best_idx, order, axis=1), np.take_along_axis(distances, order, axis=1)


def real_feature_stats(classifier, real_images, real_reference) -> tuple[np.ndarray, np.ndarray, float]:
    """(mu, sigma) of the `classifier`'s features of real_images, and `fid_floor`: the Fréchet distance of
    real_reference to them. They depend only on the data, so a run computes them once and passes them
    to `image_metrics` as `real`."""
    from .classifier import features  # torch only loads when images are evaluated

    mu, sigma = gaussian_stats(features(classifier, real_images))
    return mu, sigma, frechet_distance(*gaussian_stats(features(classifier, real_reference)), mu, sigma)


def image_metrics(samples, classifier, real_images, real_reference, *, digits=None,
                  real: tuple[np.ndarray, np.ndarray, float] | None = None) -> dict:
    """Every image metric for generator `samples` (M, 1, H, W) against data `real_images` (N, 1, H, W).

    `fid`: Fréchet distance between Gaussians fitted to the `classifier`'s features of samples and
    of real_images. `real_reference` is a second, disjoint set of real images: its distance to
    real_images (`fid_floor`) is what a perfect generator would score with that many samples, the
    estimator's bias (use as many reference images as samples so the two are comparable).
    Coverage keys come from `class_histogram`; with `digits` (the subset being trained, e.g.
    [0, 1]) `classes_covered` and `missing` refer to those digits only. `real`: `real_feature_stats`
    of the same real sets, when the caller has them already.
    """
    from .classifier import features_and_probs  # torch only loads when images are evaluated

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
