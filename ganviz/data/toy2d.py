"""Named 2D distributions, each knowing its mode centres and spread where it has discrete modes.

Every dataset is a `Toy2D`: a sampler `sample(n, rng) -> (n, 2) float64 array` plus, for Gaussian
mixtures, the centres `modes (K, 2)`, the per-axis standard deviation `sigma` and the mixture
`weights (K,)`. Metrics use the modes to count captured modes and high-quality samples.

Adding a dataset is one function plus one line in `DATASETS`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from sklearn import datasets as skd

from ganviz.registry import lookup

Sampler = Callable[[int, np.random.Generator], np.ndarray]


@dataclass(frozen=True)
class Toy2D:
    name: str
    title: str
    sample: Sampler
    modes: np.ndarray | None = None  # (K, 2) mode centres
    sigma: float | None = None  # per-axis standard deviation of every mode
    weights: np.ndarray | None = None  # (K,) mixture weights, summing to 1

    @property
    def has_modes(self) -> bool:
        return self.modes is not None


def gaussian_mixture(name: str, title: str, centres, sigma: float, weights=None) -> Toy2D:
    """Isotropic Gaussians of std `sigma` at `centres` (K, 2), picked with probabilities `weights`."""
    centres = np.asarray(centres, dtype=np.float64)
    k = len(centres)
    weights = np.full(k, 1.0 / k) if weights is None else np.asarray(weights, dtype=np.float64)
    weights = weights / weights.sum()

    def sample(n: int, rng: np.random.Generator) -> np.ndarray:
        which = rng.choice(k, size=n, p=weights)
        return centres[which] + sigma * rng.standard_normal((n, 2))

    return Toy2D(name, title, sample, modes=centres, sigma=sigma, weights=weights)


def ring_centres(k: int = 8, radius: float = 2.0) -> np.ndarray:
    # Angles 2*pi*i/k for i = 0..k-1: np.linspace(0, 2*pi, k) would repeat the first centre.
    angles = 2 * math.pi * np.arange(k) / k
    return radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)


def grid_centres(values=(-4.0, -2.0, 0.0, 2.0, 4.0)) -> np.ndarray:
    return np.array([(x, y) for x in values for y in values], dtype=np.float64)


def _seed(rng: np.random.Generator) -> int:
    """An int seed for scikit-learn's generators, drawn from our numpy generator."""
    return int(rng.integers(2**31 - 1))


def _line(n, rng):
    t = rng.uniform(-1.0, 1.0, size=n)
    return np.stack([2.0 * t, 1.0 * t], axis=1) + 0.02 * rng.standard_normal((n, 2))


def _spiral(n, rng):
    # Archimedean spiral r = t over 1.5 turns, scaled to about [-2, 2].
    t = np.sqrt(rng.uniform(0.0, 1.0, size=n)) * 3 * math.pi + 0.5 * math.pi
    xy = np.stack([t * np.cos(t), t * np.sin(t)], axis=1) / (3.5 * math.pi) * 2.0
    return xy + 0.03 * rng.standard_normal((n, 2))


def _moons(n, rng):
    xy, _ = skd.make_moons(n, noise=0.05, random_state=_seed(rng))
    return (xy - np.array([0.5, 0.25])) * 1.6


def _circles(n, rng):
    xy, _ = skd.make_circles(n, noise=0.03, factor=0.5, random_state=_seed(rng))
    return xy * 2.0


def _swissroll(n, rng):
    xyz, _ = skd.make_swiss_roll(n, noise=0.25, random_state=_seed(rng))
    return xyz[:, [0, 2]] / 6.0


def _unstructured(name: str, title: str, sample: Sampler) -> Toy2D:
    return Toy2D(name, title, sample)


DATASETS: dict[str, Toy2D] = {
    d.name: d
    for d in [
        gaussian_mixture("ring8", "Ring of 8 Gaussians (radius 2, σ 0.02)", ring_centres(8, 2.0), 0.02),
        gaussian_mixture("grid25", "Grid of 25 Gaussians (spacing 2, σ 0.05)", grid_centres(), 0.05),
        gaussian_mixture("two-clusters", "Two clusters, 75 % / 25 %", [(-1.5, 0.0), (1.5, 0.0)], 0.1, [0.75, 0.25]),
        _unstructured("line", "A line segment", _line),
        _unstructured("spiral", "A spiral", _spiral),
        _unstructured("moons", "Two moons (scikit-learn)", _moons),
        _unstructured("circles", "Two circles (scikit-learn)", _circles),
        _unstructured("swissroll", "Swiss roll (scikit-learn, x–z plane)", _swissroll),
    ]
}


def get_dataset(name: str) -> Toy2D:
    return lookup(DATASETS, name, "dataset")


def points_dataset(points: np.ndarray, name: str = "custom", title: str = "Your points") -> Toy2D:
    """The empirical distribution of the user's points (N, 2): sampling draws them with replacement."""
    points = np.asarray(points, dtype=np.float64)

    def sample(n: int, rng: np.random.Generator) -> np.ndarray:
        return points[rng.integers(len(points), size=n)]

    return Toy2D(name, title, sample)
