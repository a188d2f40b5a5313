"""The named 2D datasets: deterministic samplers, mixture metadata, and the centres and spreads they promise."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ganviz.data import DATASETS, get_dataset, points_dataset


def nearest_centre_distance(x: np.ndarray, centres: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    d = np.linalg.norm(x[:, None, :] - centres[None, :, :], axis=2)
    return d.min(axis=1), d.argmin(axis=1)


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_every_dataset_samples_finite_float64_deterministically(name):
    ds = DATASETS[name]
    assert ds.name == name and ds.title
    a = ds.sample(500, np.random.default_rng(123))
    b = ds.sample(500, np.random.default_rng(123))
    c = ds.sample(500, np.random.default_rng(124))
    assert a.shape == (500, 2)
    assert a.dtype == np.float64
    assert np.isfinite(a).all()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert a.std(axis=0).min() > 0.01  # not a degenerate point mass
    assert np.abs(a).max() < 20  # roughly in the plotting window


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_mixture_metadata_is_consistent(name):
    ds = DATASETS[name]
    if not ds.has_modes:
        assert ds.modes is None
        return
    assert ds.modes.ndim == 2 and ds.modes.shape[1] == 2
    assert ds.weights.shape == (len(ds.modes),)
    assert ds.weights.sum() == pytest.approx(1.0)
    assert ds.sigma > 0


def test_ring8_centres_and_spread():
    ds = get_dataset("ring8")
    assert ds.modes.shape == (8, 2)
    assert len({tuple(np.round(m, 9)) for m in ds.modes}) == 8
    for i, (x, y) in enumerate(ds.modes):
        assert math.hypot(x, y) == pytest.approx(2.0, abs=1e-12)
        assert x == pytest.approx(2 * math.cos(2 * math.pi * i / 8), abs=1e-12)
        assert y == pytest.approx(2 * math.sin(2 * math.pi * i / 8), abs=1e-12)
    assert ds.sigma == 0.02
    np.testing.assert_allclose(ds.weights, np.full(8, 1 / 8))

    x = ds.sample(10_000, np.random.default_rng(0))
    dist, which = nearest_centre_distance(x, ds.modes)
    # Distance of a 2D isotropic Gaussian sample to its centre is Rayleigh(σ): mean σ·sqrt(π/2).
    assert dist.mean() == pytest.approx(0.02 * math.sqrt(math.pi / 2), rel=0.05)
    assert dist.max() < 0.2  # no sample strays anywhere near another mode (spacing ≈ 1.53)
    counts = np.bincount(which, minlength=8)
    assert counts.min() > 1000  # each mode gets about 1250


def test_grid25_centres_and_spread():
    ds = get_dataset("grid25")
    vals = (-4.0, -2.0, 0.0, 2.0, 4.0)
    assert ds.modes.shape == (25, 2)
    assert {tuple(m) for m in ds.modes} == {(a, b) for a in vals for b in vals}
    assert ds.sigma == 0.05
    x = ds.sample(20_000, np.random.default_rng(1))
    dist, which = nearest_centre_distance(x, ds.modes)
    offsets = x - ds.modes[which]
    # Per-axis std of the offset from the sample's centre ≈ σ (n = 20000: SE ≈ 0.5 %).
    np.testing.assert_allclose(offsets.std(axis=0), [0.05, 0.05], rtol=0.03)
    assert dist.mean() == pytest.approx(0.05 * math.sqrt(math.pi / 2), rel=0.05)
    assert np.bincount(which, minlength=25).min() > 600  # each mode gets about 800


def test_two_clusters_weights():
    ds = get_dataset("two-clusters")
    np.testing.assert_allclose(ds.weights, [0.75, 0.25])
    n = 20_000
    x = ds.sample(n, np.random.default_rng(2))
    _, which = nearest_centre_distance(x, ds.modes)
    p = 0.75
    se = math.sqrt(p * (1 - p) / n)
    assert abs((which == 0).mean() - p) < 5 * se
    # First cluster is the one at (-1.5, 0).
    assert x[which == 0, 0].mean() == pytest.approx(-1.5, abs=0.01)
    assert x[which == 1, 0].mean() == pytest.approx(1.5, abs=0.01)


def test_points_dataset_samples_only_given_points():
    pts = np.array([[0.0, 1.0], [2.5, -3.0], [7.0, 7.0]])
    ds = points_dataset(pts)
    assert not ds.has_modes
    x = ds.sample(600, np.random.default_rng(0))
    assert x.shape == (600, 2) and x.dtype == np.float64
    rows = {tuple(r) for r in x}
    assert rows == {tuple(r) for r in pts}  # only these, and every one of them
    np.testing.assert_array_equal(x, ds.sample(600, np.random.default_rng(0)))


def test_ring8_has_eight_distinct_evenly_spaced_centres_on_radius_two():
    # the mode metrics rely on this: every centre is more than 1 away from every other
    modes = DATASETS["ring8"].modes
    assert modes.shape == (8, 2)
    np.testing.assert_allclose(np.linalg.norm(modes, axis=1), 2.0, atol=1e-12)
    angles = np.sort(np.mod(np.arctan2(modes[:, 1], modes[:, 0]), 2 * math.pi))
    np.testing.assert_allclose(np.diff(angles), 2 * math.pi / 8, atol=1e-12)  # distinct, evenly spaced
    pairwise = np.linalg.norm(modes[:, None] - modes[None], axis=-1)
    assert pairwise[~np.eye(8, dtype=bool)].min() > 1.0
