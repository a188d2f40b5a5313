"""The generator's input noise: shapes, moments, determinism per seed."""

from __future__ import annotations

import math

import pytest
import torch

from ganviz.data import NOISE_KINDS, sample_noise


def test_noise_kinds():
    assert set(NOISE_KINDS) == {"gaussian", "uniform"}


@pytest.mark.parametrize("kind", NOISE_KINDS)
@pytest.mark.parametrize("dim", [1, 64])
def test_noise_shapes(kind, dim):
    z = sample_noise(7, dim, kind, torch.Generator().manual_seed(0))
    assert z.shape == (7, dim)
    assert z.dtype == torch.float32
    assert torch.isfinite(z).all()


def test_gaussian_noise_moments():
    z = sample_noise(20_000, 8, "gaussian", torch.Generator().manual_seed(1)).double()
    n = z.numel()
    assert abs(z.mean().item()) < 5 / math.sqrt(n)
    assert z.std().item() == pytest.approx(1.0, abs=5 * math.sqrt(2 / n))
    assert z.abs().max().item() > 3  # unbounded, unlike the uniform


def test_uniform_noise_moments_and_range():
    z = sample_noise(20_000, 8, "uniform", torch.Generator().manual_seed(2)).double()
    n = z.numel()
    assert z.min().item() >= -1 and z.max().item() <= 1
    assert z.min().item() < -0.999 and z.max().item() > 0.999
    sd = math.sqrt(1 / 3)
    assert abs(z.mean().item()) < 5 * sd / math.sqrt(n)
    # Var of U(-1, 1) is 1/3; the sample variance has SE sqrt((E[x^4] - σ^4)/n) = sqrt((1/5 - 1/9)/n).
    assert z.var().item() == pytest.approx(1 / 3, abs=5 * math.sqrt((1 / 5 - 1 / 9) / n))


@pytest.mark.parametrize("kind", NOISE_KINDS)
def test_noise_is_deterministic_per_seed(kind):
    a = sample_noise(50, 3, kind, torch.Generator().manual_seed(42))
    b = sample_noise(50, 3, kind, torch.Generator().manual_seed(42))
    c = sample_noise(50, 3, kind, torch.Generator().manual_seed(43))
    assert torch.equal(a, b)
    assert not torch.equal(a, c)


def test_unknown_noise_kind():
    with pytest.raises(ValueError) as e:
        sample_noise(3, 2, "cauchy")
    msg = str(e.value)
    assert "cauchy" in msg and "gaussian" in msg and "uniform" in msg
