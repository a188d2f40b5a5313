"""Exact numbers for the theory pages: divergences, the optimal discriminator, the xy game,
the saturating vs non-saturating generator loss, and power iteration.

Everything here is closed-form or exactly integrated (no sampling, no training), so the pages
can show the true value next to what a network estimates. Lecture 002 defines the examples:
    μ  = ¼·1[1,2] + ¼·1[3,4] + ½·1[9,10]     (a density; total mass 1)
    μ′ = ½·1[5,7]                             (the uniform density on [5,7])
    min_x max_y V(x, y) = x·y, with the max player y stepping first (Step 0y, then Step 0x).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

LOG2 = float(np.log(2.0))


@dataclass(frozen=True)
class Mixture1D:
    """Σ weight·Uniform[a, b]; `pieces` holds (weight, a, b) triples, weights summing to 1."""

    pieces: tuple[tuple[float, float, float], ...]

    def __post_init__(self) -> None:
        if not self.pieces:
            raise ValueError("a mixture needs at least one (weight, a, b) piece")
        if any(w < 0 for w, _, _ in self.pieces):
            raise ValueError("mixture weights must be >= 0")
        if abs(sum(w for w, _, _ in self.pieces) - 1.0) > 1e-9:
            raise ValueError("mixture weights must sum to 1")
        if any(not a < b for _, a, b in self.pieces):
            raise ValueError("every piece needs a < b")

    def density(self, x: np.ndarray) -> np.ndarray:
        """Density at x, any shape -> same shape (the lecture's closed indicators 1[a, b])."""
        x = np.asarray(x, dtype=float)
        out = np.zeros_like(x)
        for w, a, b in self.pieces:
            out += w / (b - a) * ((x >= a) & (x <= b))
        return out

    def cdf(self, x: np.ndarray) -> np.ndarray:
        """P(X <= x), any shape -> same shape; piecewise linear between breakpoints."""
        x = np.asarray(x, dtype=float)
        out = np.zeros_like(x)
        for w, a, b in self.pieces:
            out += w * np.clip((x - a) / (b - a), 0.0, 1.0)
        return out

    def shifted(self, theta: float) -> Mixture1D:
        """The same mixture translated by theta (a pure-shift 'generator')."""
        return Mixture1D(tuple((w, a + theta, b + theta) for w, a, b in self.pieces))

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """n i.i.d. draws, shape (n,)."""
        weights = np.array([w for w, _, _ in self.pieces])
        lo = np.array([a for _, a, _ in self.pieces])
        hi = np.array([b for _, _, b in self.pieces])
        k = rng.choice(len(weights), size=n, p=weights / weights.sum())
        return lo[k] + (hi[k] - lo[k]) * rng.random(n)

    def breakpoints(self) -> np.ndarray:
        """Sorted unique interval ends; the density is constant between consecutive ones."""
        return np.unique([e for _, a, b in self.pieces for e in (a, b)])


LECTURE_MU = Mixture1D(((0.25, 1.0, 2.0), (0.25, 3.0, 4.0), (0.5, 9.0, 10.0)))
LECTURE_NU = Mixture1D(((1.0, 5.0, 7.0),))
UNIT_INTERVAL = Mixture1D(((1.0, 0.0, 1.0),))
MAX_PIECES = 8
MAX_ABS_END = 50.0  # interval ends the text form accepts, in units of x


def parse_mixture(text: str) -> Mixture1D:
    """'w a b; w a b; …' -> Mixture1D, the weights rescaled to sum to 1.

    Raises ValueError with a one-line message naming the piece at fault.
    """
    chunks = [c.strip() for c in str(text).replace("\n", ";").split(";") if c.strip()]
    if not chunks:
        raise ValueError("write at least one piece as 'weight start end', e.g. '1 0 1'")
    if len(chunks) > MAX_PIECES:
        raise ValueError(f"at most {MAX_PIECES} pieces, got {len(chunks)}")
    pieces = []
    for i, chunk in enumerate(chunks, 1):
        fields = chunk.replace(",", " ").split()
        if len(fields) != 3:
            raise ValueError(f"piece {i} ({chunk!r}) needs 3 numbers: weight start end")
        try:
            w, a, b = (float(f) for f in fields)
        except ValueError:
            raise ValueError(f"piece {i} ({chunk!r}) is not three numbers") from None
        if not all(np.isfinite((w, a, b))):
            raise ValueError(f"piece {i} ({chunk!r}) has a value that is not finite")
        if w <= 0:
            raise ValueError(f"piece {i} ({chunk!r}) needs a weight > 0")
        if not a < b:
            raise ValueError(f"piece {i} ({chunk!r}) needs start < end")
        if max(abs(a), abs(b)) > MAX_ABS_END:
            raise ValueError(f"piece {i} ({chunk!r}) must lie within [-{MAX_ABS_END:g}, {MAX_ABS_END:g}]")
        pieces.append((w, a, b))
    total = sum(w for w, _, _ in pieces)
    return Mixture1D(tuple((w / total, a, b) for w, a, b in pieces))


def format_mixture(m: Mixture1D) -> str:
    """The text form parse_mixture reads: 'w a b; w a b'."""
    return "; ".join(f"{w:g} {a:g} {b:g}" for w, a, b in m.pieces)


@dataclass(frozen=True)
class ShiftExample:
    """p (the data) against q moved by θ (the 'generator'), with the θ range worth showing."""

    title: str
    p: Mixture1D
    q: Mixture1D
    theta_range: tuple[float, float]
    theta_default: float
    duel_start: float  # where the live JS-vs-W1 duel starts G: far enough that the supports are apart


SHIFT_EXAMPLES: dict[str, ShiftExample] = {
    "interval": ShiftExample("U[0, 1] against U[0, 1] moved by θ", UNIT_INTERVAL, UNIT_INTERVAL, (-4.0, 4.0), 0.5, 3.0),
    "lecture-002": ShiftExample("Lecture 002: μ against μ′ moved by θ", LECTURE_MU, LECTURE_NU, (-8.0, 8.0), 0.0, 8.0),
}


def _common_intervals(p: Mixture1D, q: Mixture1D) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cells between the joint breakpoints: (left, length, right), each shape (K,).

    Outside [first, last] breakpoint both densities are 0 and
    both CDFs agree (0 or 1), so nothing is lost by ignoring it.
    """
    edges = np.union1d(p.breakpoints(), q.breakpoints())
    return edges[:-1], np.diff(edges), edges[1:]


def _constant_densities(p: Mixture1D, q: Mixture1D) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(lengths, p values, q values) per cell, shape (K,) each, cells where p+q > 0 only."""
    left, length, right = _common_intervals(p, q)
    mid = 0.5 * (left + right)  # interior point: avoids the measure-zero endpoints
    pv, qv = p.density(mid), q.density(mid)
    keep = pv + qv > 0
    return length[keep], pv[keep], qv[keep]


def _xlog_ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a·log(a/b) elementwise with 0·log 0 = 0 (b > 0 wherever a > 0)."""
    out = np.zeros_like(a)
    pos = a > 0
    out[pos] = a[pos] * np.log(a[pos] / b[pos])
    return out


def js_divergence(p: Mixture1D, q: Mixture1D) -> float:
    """Exact Jensen-Shannon divergence in nats, in [0, log 2]."""
    length, pv, qv = _constant_densities(p, q)
    m = 0.5 * (pv + qv)
    per_cell = 0.5 * _xlog_ratio(pv, m) + 0.5 * _xlog_ratio(qv, m)
    return float(np.sum(length * per_cell))


def _abs_linear_integral(d0: np.ndarray, d1: np.ndarray, length: np.ndarray) -> np.ndarray:
    """∫|d| over a cell where d goes linearly from d0 to d1, shape (K,).

    Same sign: trapezoid. Opposite signs: d crosses 0 inside, leaving two triangles whose
    areas add to length·(d0² + d1²) / (2(|d0| + |d1|)).
    """
    same_sign = d0 * d1 >= 0
    trapezoid = 0.5 * length * (np.abs(d0) + np.abs(d1))
    denom = np.where(same_sign, 1.0, np.abs(d0) + np.abs(d1))  # never 0 where used
    triangles = 0.5 * length * (d0**2 + d1**2) / denom
    return np.where(same_sign, trapezoid, triangles)


def wasserstein1(p: Mixture1D, q: Mixture1D) -> float:
    """Exact W1 = ∫|F_p − F_q| dx (1D), in the units of x."""
    left, length, right = _common_intervals(p, q)
    d0 = p.cdf(left) - q.cdf(left)
    d1 = p.cdf(right) - q.cdf(right)
    return float(np.sum(_abs_linear_integral(d0, d1, length)))


def parallel_lines(theta: float) -> dict[str, float]:
    """Arjovsky's example: P0 uniform on {0}×[0,1] vs Pθ on {θ}×[0,1]."""
    return {"js": LOG2 if theta != 0 else 0.0, "w1": abs(float(theta))}


def divergence_curves(p: Mixture1D, q: Mixture1D, thetas) -> dict[str, np.ndarray]:
    """JS(p, q moved by θ) in nats and W1 in units of x, for each θ in `thetas`: shape (T,) each."""
    thetas = np.asarray(thetas, dtype=float)
    moved = [q.shifted(float(t)) for t in thetas]
    return {
        "theta": thetas,
        "js": np.array([js_divergence(p, m) for m in moved]),
        "w1": np.array([wasserstein1(p, m) for m in moved]),
    }


def support(*mixtures: Mixture1D) -> tuple[float, float]:
    """(lowest start, highest end) over the pieces of all `mixtures`."""
    ends = np.concatenate([m.breakpoints() for m in mixtures])
    return float(ends.min()), float(ends.max())


def optimal_d(p_density: np.ndarray, q_density: np.ndarray) -> np.ndarray:
    """D*(x) = p/(p+q) elementwise (p = data, q = generator); ½ where both are 0."""
    p = np.asarray(p_density, dtype=float)
    q = np.asarray(q_density, dtype=float)
    total = p + q
    return np.where(total > 0, p / np.where(total > 0, total, 1.0), 0.5)


def value_at_optimum(p: Mixture1D, q: Mixture1D) -> float:
    """V(D*, G) = E_p log D* + E_q log(1 − D*), exactly; equals 2·JS − 2·log 2."""
    length, pv, qv = _constant_densities(p, q)
    total = pv + qv
    per_cell = _xlog_ratio(pv, total) + _xlog_ratio(qv, total)
    return float(np.sum(length * per_cell))
