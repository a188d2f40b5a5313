"""Noise vectors: interpolation, arithmetic, neighbourhoods and truncated noise, against closed forms."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import norm

from ganviz.latent import noise

RNG = np.random.default_rng(0)


@pytest.mark.parametrize("fn", [noise.lerp, noise.slerp])
def test_paths_start_and_end_exactly_at_the_chosen_vectors(fn):
    z0, z1 = RNG.standard_normal(64).astype(np.float32), RNG.standard_normal(64).astype(np.float32)
    path = fn(z0, z1, 9)
    assert path.shape == (9, 64) and path.dtype == np.float64
    assert np.array_equal(path[0], z0.astype(np.float64)) and np.array_equal(path[-1], z1.astype(np.float64))


def test_slerp_keeps_the_norm_where_lerp_dips_for_orthogonal_vectors_of_equal_norm():
    r, t = 3.0, np.linspace(0, 1, 11)
    z0, z1 = np.zeros(8), np.zeros(8)
    z0[2], z1[5] = r, r
    np.testing.assert_allclose(np.linalg.norm(noise.slerp(z0, z1, 11), axis=1), r, rtol=1e-12)
    np.testing.assert_allclose(
        np.linalg.norm(noise.lerp(z0, z1, 11), axis=1), r * np.sqrt((1 - t) ** 2 + t**2), rtol=1e-12
    )  # r/√2 in the middle
    # along the arc the angle from z0 grows linearly: z(t) = r (cos(tπ/2) e0 + sin(tπ/2) e1)
    np.testing.assert_allclose(
        noise.slerp(z0, z1, 11)[:, [2, 5]],
        r * np.column_stack([np.cos(t * np.pi / 2), np.sin(t * np.pi / 2)]),
        atol=1e-12,
    )


def test_slerp_of_unequal_norms_turns_at_constant_speed_and_scales_linearly():
    z0, z1 = RNG.standard_normal(16), 0.2 * RNG.standard_normal(16)
    n0, n1 = np.linalg.norm(z0), np.linalg.norm(z1)
    omega = math.acos(z0 @ z1 / (n0 * n1))
    path, t = noise.slerp(z0, z1, 21), np.linspace(0, 1, 21)
    np.testing.assert_allclose(np.linalg.norm(path, axis=1), (1 - t) * n0 + t * n1, rtol=1e-10)
    angles = np.arccos(np.clip(path @ z0 / (np.linalg.norm(path, axis=1) * n0), -1, 1))
    np.testing.assert_allclose(angles, t * omega, atol=1e-6)


def test_slerp_falls_back_to_the_line_where_the_arc_is_undefined():
    z = RNG.standard_normal(4)
    np.testing.assert_array_equal(noise.slerp(z, 2 * z, 5), noise.lerp(z, 2 * z, 5))  # same direction
    np.testing.assert_array_equal(noise.slerp(z, -z, 5), noise.lerp(z, -z, 5))  # opposite: no unique arc
    np.testing.assert_array_equal(noise.slerp(np.zeros(4), z, 5), noise.lerp(np.zeros(4), z, 5))


@pytest.mark.parametrize(
    "args, message",
    [
        ((np.zeros(3), np.zeros(3), 1), "at least 2"),
        ((np.zeros(3), np.zeros(4), 5), "same shape"),
        ((np.zeros((2, 3)), np.zeros(3), 5), "one noise vector"),
        ((np.array([0.0, np.nan]), np.zeros(2), 5), "NaN"),
        ((np.zeros(3), np.zeros(3), 2.5), "whole number"),
    ],
)
def test_paths_reject_bad_arguments(args, message):
    for fn in (noise.lerp, noise.slerp):
        with pytest.raises(ValueError, match=message):
            fn(*args)


def test_arithmetic_and_samples_around_a_point():
    a, b, c = (RNG.standard_normal(5) for _ in range(3))
    np.testing.assert_array_equal(noise.arithmetic(a, b, c), a - b + c)
    with pytest.raises(ValueError, match="same shape"):
        noise.arithmetic(a, b, np.zeros(4))
    near = noise.around(a, 7, 0.25, seed=3)
    assert near.shape == (7, 5) and np.array_equal(near[0], a)
    assert np.array_equal(near, noise.around(a, 7, 0.25, seed=3))
    assert not np.array_equal(near, noise.around(a, 7, 0.25))
    assert 0.05 < np.std(near[1:] - a) < 0.6
    with pytest.raises(ValueError, match="spread"):
        noise.around(a, 3, -1.0)
    with pytest.raises(ValueError, match="at least 1"):
        noise.around(a, 0, 0.1)


@pytest.mark.parametrize("psi", [0.05, 0.5, 1.0, 2.0])
def test_truncated_normal_respects_the_threshold_and_has_the_truncated_variance(psi):
    z = noise.truncated_normal(20_000, 4, psi, seed=1)
    assert z.shape == (20_000, 4) and np.abs(z).max() <= psi
    # variance of N(0, 1) restricted to [-ψ, ψ]: 1 − 2ψφ(ψ)/(2Φ(ψ) − 1)
    expected = 1 - 2 * psi * norm.pdf(psi) / (2 * norm.cdf(psi) - 1)
    assert z.var() == pytest.approx(expected, rel=0.03)
    assert abs(z.mean()) < 0.02 * psi + 0.01
    np.testing.assert_array_equal(z, noise.truncated_normal(20_000, 4, psi, seed=1))


def test_untruncated_and_uniform_noise():
    z = noise.truncated_normal(50_000, 2, None, seed=0)
    assert z.var() == pytest.approx(1.0, rel=0.03) and np.abs(z).max() > 3
    u = noise.truncated_noise("uniform", 10_000, 3, 0.4, seed=0)
    assert np.abs(u).max() <= 0.4 and u.var() == pytest.approx(0.4**2 / 3, rel=0.05)
    # uniform noise lives in [-1, 1]: any ψ ≥ 1 is no truncation at all
    np.testing.assert_array_equal(
        noise.truncated_noise("uniform", 10, 3, 2.0), noise.truncated_noise("uniform", 10, 3, None)
    )
    with pytest.raises(ValueError, match="unknown noise"):
        noise.truncated_noise("cauchy", 10, 3, 1.0)
    for bad in (0.0, -1.0, math.nan, math.inf):
        with pytest.raises(ValueError, match="ψ"):
            noise.truncated_normal(10, 2, bad)
    assert noise.typical_norm("gaussian", 64) == 8.0 and noise.typical_norm("uniform", 12) == 2.0
