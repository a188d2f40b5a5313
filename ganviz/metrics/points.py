"""Metrics for 2D samples: modes captured, % high quality, reverse KL, histogram JS with its floor, exact and sliced
W1."""

from __future__ import annotations

import math

import numpy as np
import ot

HISTOGRAM_BINS = 32  # grid cells per axis for the JS histogram
EVAL_SAMPLES = 2500  # samples per evaluation, as in the mode-collapse literature
_CHUNK = 4096  # rows per block in the nearest-centre search: bounds memory at _CHUNK * K * 2 floats
_EMD_MAX_ITER = 1_000_000  # network-simplex iterations; the default (1e5) can stop short of optimal


def _as_points(x) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] != 2:
        raise ValueError(f"expected points of shape (N, 2), got {x.shape}")
    return x


def _nearest_centre(points: np.ndarray, centres: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index (N,) int and Euclidean distance (N,) of each point's nearest centre.

    points (N, 2), centres (K, 2). Works in blocks of rows so N = 100k never builds an
    (N, K, 2) array; differences (not the |x|^2 - 2x.c + |c|^2 expansion) keep it exact far
    from the origin.
    """
    idx = np.empty(len(points), dtype=np.int64)
    dist = np.empty(len(points), dtype=np.float64)
    for start in range(0, len(points), _CHUNK):
        block = points[start : start + _CHUNK]
        d2 = ((block[:, None, :] - centres[None, :, :]) ** 2).sum(-1)  # (B, K)
        i = d2.argmin(axis=1)
        idx[start : start + _CHUNK] = i
        dist[start : start + _CHUNK] = np.sqrt(d2[np.arange(len(block)), i])
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


_MODE_KEYS = ("modes_captured", "modes_total", "hq_fraction", "reverse_kl", "mode_counts")


def evaluate_samples(
    fake,
    real,
    real_reference,
    modes=None,
    sigma=None,
    weights=None,
    rng: np.random.Generator | None = None,
    w1_points: int = 1000,
) -> dict:
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
