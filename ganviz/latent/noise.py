"""Noise vectors: interpolation (lerp, slerp), arithmetic, neighbourhoods and truncated noise."""

from __future__ import annotations

import math

import numpy as np
from scipy.special import ndtr, ndtri

from ganviz.data.noise import NOISE_KINDS

TRUNCATION_PSIS = (0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, None)  # None: untruncated


def _vector(name: str, v) -> np.ndarray:
    v = np.asarray(v, dtype=np.float64)
    if v.ndim != 1 or v.size == 0:
        raise ValueError(f"{name} must be one noise vector of shape (noise_dim,), got shape {v.shape}")
    if not np.isfinite(v).all():
        raise ValueError(f"{name} holds NaN or infinite values")
    return v


def _pair(z0, z1) -> tuple[np.ndarray, np.ndarray]:
    z0, z1 = _vector("z0", z0), _vector("z1", z1)
    if z0.shape != z1.shape:
        raise ValueError(f"z0 and z1 must have the same shape, got {z0.shape} and {z1.shape}")
    return z0, z1


def check_count(name: str, n, at_least: int = 1) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < at_least:
        raise ValueError(f"{name} must be a whole number of at least {at_least}, got {n!r}")
    return int(n)


def lerp(z0, z1, steps: int) -> np.ndarray:
    """`steps` points on the straight line from z0 to z1 (both (dim,)): (steps, dim) float64,
    z(t) = (1 − t)·z0 + t·z1 for t evenly spaced in [0, 1]. The first and last rows are z0 and z1 exactly."""
    z0, z1 = _pair(z0, z1)
    t = np.linspace(0.0, 1.0, check_count("steps", steps, at_least=2))[:, None]
    path = (1 - t) * z0 + t * z1
    path[0], path[-1] = z0, z1
    return path


def slerp(z0, z1, steps: int) -> np.ndarray:
    """`steps` points from z0 to z1 (both (dim,)) along the sphere: (steps, dim) float64. The direction
    turns along the great circle at constant speed (Shoemake's slerp of z0/|z0| and z1/|z1|) while the
    norm goes linearly from |z0| to |z1|:

        z(t) = ((1 − t)|z0| + t|z1|) · (sin((1 − t)ω) ẑ0 + sin(tω) ẑ1) / sin ω,   ω the angle between them.

    For vectors of equal norm this is Shoemake's slerp of z0 and z1 themselves (White 2016 for GANs), and
    for z0 ⟂ z1 of norm r, |z(t)| = r all the way where the straight line dips to r/√2: in many dimensions
    Gaussian noise lives near the sphere of radius √dim, and the line's middle is a region G rarely saw.
    (Slerping unequal vectors directly would overshoot: near ω = π its middle grows like 1/cos(ω/2).)
    When the angle is 0 or π, or a vector is zero, the arc is not defined and the straight line is
    returned. The first and last rows are z0 and z1 exactly.
    """
    z0, z1 = _pair(z0, z1)
    steps = check_count("steps", steps, at_least=2)
    n0, n1 = np.linalg.norm(z0), np.linalg.norm(z1)
    if n0 == 0 or n1 == 0:
        return lerp(z0, z1, steps)
    u0, u1 = z0 / n0, z1 / n1
    omega = math.acos(float(np.clip(u0 @ u1, -1.0, 1.0)))
    if math.sin(omega) < 1e-6:
        return lerp(z0, z1, steps)
    t = np.linspace(0.0, 1.0, steps)[:, None]
    direction = (np.sin((1 - t) * omega) * u0 + np.sin(t * omega) * u1) / math.sin(omega)
    path = ((1 - t) * n0 + t * n1) * direction
    path[0], path[-1] = z0, z1
    return path


def typical_norm(distribution: str, dim: int) -> float:
    """The norm |z| most noise vectors have: √dim for N(0, I), √(dim/3) for U(−1, 1) per coordinate
    (E|z|² = dim·E[z_i²]); in many dimensions nearly all of them lie close to it."""
    if distribution not in NOISE_KINDS:
        raise ValueError(f"unknown noise {distribution!r}; choose one of: {', '.join(NOISE_KINDS)}")
    return math.sqrt(check_count("dim", dim) / (1.0 if distribution == "gaussian" else 3.0))


def arithmetic(a, b, c) -> np.ndarray:
    """a − b + c for three noise vectors (dim,): DCGAN's "smiling woman − woman + man" (Radford et al. 2016)."""
    a, b, c = _vector("a", a), _vector("b", b), _vector("c", c)
    if not a.shape == b.shape == c.shape:
        raise ValueError(f"a, b and c must have the same shape, got {a.shape}, {b.shape} and {c.shape}")
    return a - b + c


def around(z, n: int, spread: float, seed: int = 0) -> np.ndarray:
    """(n, dim) float64: z itself, then n − 1 points z + spread·N(0, I) (seeded), to show what G makes
    near z (DCGAN showed its arithmetic results with such neighbours)."""
    z, n = _vector("z", z), check_count("n", n)
    if not (isinstance(spread, (int, float, np.number)) and math.isfinite(spread) and spread >= 0):
        raise ValueError(f"spread must be a finite number ≥ 0, got {spread!r}")
    noise = np.random.default_rng(seed).standard_normal((n - 1, len(z)))
    return np.vstack([z, z + spread * noise])


def check_psi(psi) -> float | None:
    if psi is None:
        return None
    psi = float(psi)
    if not (math.isfinite(psi) and psi > 0):
        raise ValueError(
            f"the truncation threshold ψ must be a finite number > 0, or None for no truncation; got {psi!r}"
        )
    return psi


def truncated_normal(n: int, dim: int, psi: float | None, seed: int = 0) -> np.ndarray:
    """(n, dim) float64 draws of N(0, 1) per coordinate, each restricted to [−ψ, ψ] (BigGAN's truncation
    trick); ψ = None draws the plain normal.

    BigGAN resamples every coordinate with |z| > ψ until none is left. This draws from the same
    distribution in one pass, by the inverse CDF of the normal restricted to [−ψ, 0] and a random sign,
    so a tiny ψ costs no more than a large one. Deterministic for a seed.
    """
    n, dim, psi = check_count("n", n), check_count("dim", dim), check_psi(psi)
    rng = np.random.default_rng(seed)
    if psi is None:
        return rng.standard_normal((n, dim))
    # The lower half only: ndtri is accurate near 0, not near 1.
    magnitude = -ndtri(rng.uniform(ndtr(-psi), 0.5, size=(n, dim)))
    sign = np.where(rng.random((n, dim)) < 0.5, -1.0, 1.0)
    return sign * np.clip(magnitude, 0.0, psi)


def truncated_noise(distribution: str, n: int, dim: int, psi: float | None, seed: int = 0) -> np.ndarray:
    """Noise of the run's kind truncated at ψ: (n, dim) float64.

    Gaussian: `truncated_normal`. Uniform noise U(−1, 1) truncated the same way (coordinates with
    |z| > ψ redrawn) is U(−ψ, ψ), so ψ ≥ 1 changes nothing. ψ = None: untruncated.
    """
    psi = check_psi(psi)
    if distribution == "gaussian":
        return truncated_normal(n, dim, psi, seed)
    if distribution == "uniform":
        n, dim = check_count("n", n), check_count("dim", dim)
        half = 1.0 if psi is None else min(psi, 1.0)
        return np.random.default_rng(seed).uniform(-half, half, size=(n, dim))
    raise ValueError(f"unknown noise {distribution!r}; choose one of: {', '.join(NOISE_KINDS)}")
