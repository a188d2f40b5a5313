"""Exact numbers for the Dynamics page: the xy game's steps and invariants, the saturating and non-saturating G
losses, power iteration."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ganviz.registry import lookup

StepFn = Callable[[np.ndarray, np.ndarray, float, float], np.ndarray]


def _field(z: np.ndarray) -> np.ndarray:
    """The descent field (∂f/∂x, −∂f/∂y) = (y, −x); each player steps along −field."""
    return np.array([z[1], -z[0]])


def simultaneous_step(z: np.ndarray, z_prev: np.ndarray, eta: float, gamma: float) -> np.ndarray:
    """Both players use the current point: x − η y, y + η x."""
    return z - eta * _field(z)


def alternating_step(z: np.ndarray, z_prev: np.ndarray, eta: float, gamma: float) -> np.ndarray:
    """The lecture's order (Step 0y then Step 0x): y ← y + η x, then x ← x − η y_new."""
    y_new = z[1] + eta * z[0]
    return np.array([z[0] - eta * y_new, y_new])


def extragradient_step(z: np.ndarray, z_prev: np.ndarray, eta: float, gamma: float) -> np.ndarray:
    """Look ahead to z_{t+½} = z − η F(z), then step from z with the look-ahead field."""
    look_ahead = z - eta * _field(z)
    return z - eta * _field(look_ahead)


def optimistic_step(z: np.ndarray, z_prev: np.ndarray, eta: float, gamma: float) -> np.ndarray:
    """OGDA: z − 2η F(z_t) + η F(z_{t−1}); with z_prev = z the first step is plain GDA."""
    return z - 2 * eta * _field(z) + eta * _field(z_prev)


def consensus_step(z: np.ndarray, z_prev: np.ndarray, eta: float, gamma: float) -> np.ndarray:
    """Consensus optimisation (Mescheder et al. 2017): field + γ·∇(½‖∇f‖²).

    ½‖∇f‖² = ½(x² + y²) here, whose gradient is z itself: a pull toward the equilibrium.
    """
    return z - eta * (_field(z) + gamma * z)


XY_METHODS: dict[str, StepFn] = {
    "simultaneous": simultaneous_step,
    "alternating": alternating_step,
    "extragradient": extragradient_step,
    "optimistic": optimistic_step,
    "consensus": consensus_step,
}


def xy_trajectory(
    method: str, eta: float, steps: int, start: tuple[float, float] = (1.0, 1.0), gamma: float = 1.0
) -> np.ndarray:
    """Iterates of `method` on x·y, shape (steps+1, 2), row 0 = start; gamma: consensus only."""
    step = lookup(XY_METHODS, method, "xy method")
    path = np.empty((steps + 1, 2))
    path[0] = start
    for t in range(steps):
        path[t + 1] = step(path[t], path[max(t - 1, 0)], eta, gamma)
    return path


def simultaneous_radius_factor(eta: float) -> float:
    """‖z_{t+1}‖ / ‖z_t‖ for simultaneous GDA: the update is √(1+η²) times a rotation."""
    return float(np.sqrt(1.0 + eta**2))


def alternating_invariant(x, y, eta: float):
    """x² + y² + η·x·y, conserved exactly by the lecture's y-first alternating GDA.

    (The x-first order x ← x − ηy, y ← y + η x_new conserves x² + y² − η·x·y instead.)
    """
    return x**2 + y**2 + eta * x * y


def saturating_loss(s: np.ndarray) -> np.ndarray:
    """log(1 − s), s = D(G(z)) in (0, 1); G minimises it (flat where D rejects fakes, s ≈ 0)."""
    return np.log1p(-np.asarray(s, dtype=float))


def nonsaturating_loss(s: np.ndarray) -> np.ndarray:
    """−log s; G minimises it (steep where s ≈ 0, which is why it trains early on)."""
    return -np.log(np.asarray(s, dtype=float))


def g_loss_curves(s: np.ndarray) -> dict[str, np.ndarray]:
    """Both losses and their derivatives w.r.t. D's logit l (s = σ(l)), each shaped like s."""
    s = np.asarray(s, dtype=float)
    return {
        "saturating": saturating_loss(s),
        "nonsaturating": nonsaturating_loss(s),
        "saturating_grad": -s,  # d/dl log(1 − σ(l)) = −σ(l)
        "nonsaturating_grad": s - 1.0,  # d/dl −log σ(l) = −(1 − σ(l))
    }


def power_iteration(W: np.ndarray, steps: int, seed: int = 0) -> np.ndarray:
    """Estimates of σ_max(W) after each step, shape (steps,); W is (m, n).

    As torch's spectral_norm: v ← Wᵀu/‖Wᵀu‖, u ← Wv/‖Wv‖, estimate uᵀWv. With unit u, v the
    estimate never exceeds σ_max (Cauchy–Schwarz), and it rises to σ_max.
    """
    W = np.asarray(W, dtype=float)
    u = np.random.default_rng(seed).standard_normal(W.shape[0])
    u /= np.linalg.norm(u)
    estimates = np.empty(steps)
    for k in range(steps):
        v = W.T @ u
        v /= np.linalg.norm(v)
        u = W @ v
        u /= np.linalg.norm(u)
        estimates[k] = u @ W @ v
    return estimates
