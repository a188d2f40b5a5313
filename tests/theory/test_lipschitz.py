"""Spectral norm, measured: power iteration against SVD, and two trained discriminators' Lipschitz
estimates against their layer-wise bound, a linear D's closed form and finite differences."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ganviz.models.mlp import MLPDiscriminator
from ganviz.theory.lipschitz import (
    SpectralComparison,
    compare_spectral_norm,
    measure_discriminator,
    power_iteration_run,
    twin_discriminators,
)
from ganviz.training.runtime import eval_mode

# Spectral norm divides W by a power-iteration estimate σ̂ ≤ σ(W), refreshed by one step per update
# while Adam moves W, so a normalised layer's σ is 1 or a little above (1.04 for this product with
# the defaults, measured). 0.1 leaves room for that lag and nothing more.
SN_LAG = 0.1


@pytest.fixture(scope="module")
def comparison() -> SpectralComparison:
    return compare_spectral_norm()  # two-clusters, 300 steps, seed 0: ~0.6 s


def nearest_grid_values(cmp: SpectralComparison, surface: np.ndarray, points: np.ndarray) -> np.ndarray:
    j = np.abs(points[:, :1] - cmp.grid_x[None]).argmin(1)
    i = np.abs(points[:, 1:] - cmp.grid_y[None]).argmin(1)
    return surface[i, j]


# --- power iteration ------------------------------------------------------------------------------


def test_power_iteration_run_uses_the_seeded_matrix_and_its_true_singular_values():
    run = power_iteration_run(12, 7, steps=5, seed=4)
    W = np.random.default_rng(4).standard_normal((12, 7))
    np.testing.assert_allclose(run.singular_values, torch.linalg.svdvals(torch.from_numpy(W)).numpy(), rtol=1e-12)
    assert run.estimates.shape == (5,)
    assert np.all(run.estimates <= run.sigma_max + 1e-12)  # u·Wv with unit u, v never overshoots


def test_power_iteration_converges_and_its_error_shrinks_by_the_gap_ratio_to_the_fourth():
    run = power_iteration_run(16, 16, steps=200, seed=0)
    assert run.estimates[-1] == pytest.approx(run.sigma_max, abs=1e-9)
    # v ← WᵀWv/‖·‖ shrinks v's angle to the top singular vector by σ₂²/σ₁² per step, and the
    # estimate's error goes with the angle squared: (σ₂/σ₁)⁴ per step once v₂ dominates.
    errors = run.relative_errors[:40]
    np.testing.assert_allclose(errors[21:] / errors[20:-1], run.gap_ratio**4, rtol=1e-3)
    assert run.gap_ratio == pytest.approx(run.singular_values[1] / run.singular_values[0])


def test_a_single_column_is_exact_after_one_step():
    run = power_iteration_run(9, 1, steps=3, seed=2)
    assert run.gap_ratio == 0.0
    np.testing.assert_allclose(run.estimates, run.sigma_max, rtol=1e-12)
    assert run.relative_errors.min() > 0  # floored, so a log axis can draw it


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(rows=0, cols=3, steps=5), "rows"),
        (dict(rows=3, cols=65, steps=5), "cols"),
        (dict(rows=3, cols=3, steps=0), "steps"),
        (dict(rows=3.5, cols=3, steps=5), "integer"),
        (dict(rows=3, cols=3, steps=5, seed=-1), "seed"),
    ],
)
def test_power_iteration_run_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        power_iteration_run(**kwargs)


# --- measuring one discriminator ------------------------------------------------------------------


def linear_d(shift: float) -> MLPDiscriminator:
    """f(x) = w·leaky(A x + b) with A = 2·I and b = (shift, shift): linear wherever leaky's input keeps
    one sign, with ∇f = 2w there (slope 1 side) or 0.4w (slope 0.2 side)."""
    d = MLPDiscriminator(depth=1, width=2)
    with torch.no_grad():
        d.trunk[0].weight.copy_(2.0 * torch.eye(2))
        d.trunk[0].bias.fill_(shift)
        d.head.weight.copy_(torch.tensor([[0.6, -0.8]]))
        d.head.bias.zero_()
    return d


def square_grid(side: int = 21, half: float = 3.0):
    g = np.linspace(-half, half, side)
    return g, torch.as_tensor(np.stack(np.meshgrid(g, g), axis=-1).reshape(-1, 2), dtype=torch.float32)


def test_a_linear_discriminator_measures_its_closed_form():
    g, grid = square_grid()
    pairs = torch.as_tensor(np.random.default_rng(0).uniform(-3, 3, (2, 500, 2)), dtype=torch.float32)
    real, fake = torch.tensor([[3.0, -3.0]]), torch.tensor([[-3.0, 3.0]])
    est = measure_discriminator(linear_d(shift=100.0), grid, pairs, real, fake)
    assert not est.spectral_norm
    # f(x) = 0.6·(2x + 100) − 0.8·(2y + 100) on the whole grid: slope ‖2w‖ = 2 everywhere
    assert est.grad_max == pytest.approx(2.0, rel=1e-6)
    assert est.layer_sigmas == pytest.approx((2.0, 1.0), rel=1e-6) and est.bound == pytest.approx(2.0, rel=1e-6)
    assert 1.9 < est.secant_max <= 2.0 + 1e-5  # only pairs along (0.6, −0.8) reach the slope itself
    xx, yy = np.meshgrid(g, g)
    expected = 1 / (1 + np.exp(-(1.2 * xx - 1.6 * yy - 20.0)))
    np.testing.assert_allclose(est.surface, expected, rtol=1e-5, atol=1e-6)  # row i at y = g[i]
    assert est.accuracy == 0.5  # f = −11.6 at the real point (wrong side), −28.4 at the fake


def test_the_bound_is_only_an_upper_bound():
    _, grid = square_grid()
    pairs = torch.zeros(2, 1, 2)
    pairs[1] += 1.0
    est = measure_discriminator(linear_d(shift=-100.0), grid, pairs, grid[:1], grid[:1])
    # leaky ReLU sits on its 0.2 slope everywhere here: the true constant is 0.2 × the bound
    assert est.grad_max == pytest.approx(0.2 * est.bound, rel=1e-6)
    assert est.bound == pytest.approx(2.0, rel=1e-6)


def test_measuring_rejects_a_grid_that_is_not_square():
    with pytest.raises(ValueError, match="square"):
        measure_discriminator(
            linear_d(0.0), torch.zeros(10, 2), torch.zeros(2, 1, 2), torch.zeros(1, 2), torch.zeros(1, 2)
        )


# --- two trained discriminators -------------------------------------------------------------------


def test_shapes_and_extent(comparison):
    c = comparison
    assert c.real.shape == c.fake.shape == (256, 2)
    assert c.grid_x.shape == c.grid_y.shape == (80,)
    assert c.plain.surface.shape == c.spectral.surface.shape == (80, 80)
    xmin, xmax, ymin, ymax = c.extent
    assert xmax - xmin == pytest.approx(ymax - ymin)  # a square
    both = np.concatenate([c.real, c.fake])
    assert xmin < both[:, 0].min() and both[:, 0].max() < xmax and ymin < both[:, 1].min() and both[:, 1].max() < ymax
    assert (c.plain.spectral_norm, c.spectral.spectral_norm) == (False, True)
    assert len(c.plain.layer_sigmas) == len(c.spectral.layer_sigmas) == 3  # 2 hidden layers + the head


def test_empirical_estimates_never_exceed_the_bound(comparison):
    for est in (comparison.plain, comparison.spectral):
        assert 0 < est.secant_max <= est.bound * (1 + 1e-6)
        assert 0 < est.grad_max <= est.bound * (1 + 1e-6)
        assert est.bound == pytest.approx(np.prod(est.layer_sigmas))


def test_spectral_norm_holds_the_bound_near_one(comparison):
    sn = comparison.spectral
    assert sn.bound <= 1.0 + SN_LAG
    assert sn.grad_max <= sn.bound
    # σ(W / σ̂) = σ(W)/σ̂ ≥ 1, since power iteration's σ̂ never overshoots σ(W) (float32 weights)
    assert min(sn.layer_sigmas) >= 1.0 - 1e-4


def test_without_spectral_norm_the_trained_d_is_far_steeper(comparison):
    plain, sn = comparison.plain, comparison.spectral
    assert plain.bound > 1.0 + SN_LAG
    assert plain.grad_max > 5 * sn.bound  # steeper than spectral norm would ever allow, not just its bound


def test_the_gradient_estimate_agrees_with_finite_differences(comparison):
    # Spectral norm keeps the logit within a few units here, so logit = log(D / (1 − D)) is exact
    # enough in float32 to difference; central differences on a piecewise-linear f stay within
    # the largest true slope and reach most of it.
    c = comparison
    d = np.clip(c.spectral.surface, 1e-7, 1 - 1e-7)
    logit = np.log(d / (1 - d))
    gy, gx = np.gradient(logit, c.grid_y, c.grid_x)
    fd_max = float(np.hypot(gx, gy).max())
    assert np.abs(logit).max() < 10
    assert 0.8 * c.spectral.grad_max < fd_max <= 1.02 * c.spectral.grad_max


def test_both_surfaces_separate_real_from_fake(comparison):
    for est in (comparison.plain, comparison.spectral):
        on_real = nearest_grid_values(comparison, est.surface, comparison.real)
        on_fake = nearest_grid_values(comparison, est.surface, comparison.fake)
        assert on_real.mean() > 0.5 > on_fake.mean()
        assert est.accuracy > 0.7
    assert comparison.plain.accuracy > comparison.spectral.accuracy  # the price of a gentle D


def test_same_seed_same_result_and_the_global_rng_is_left_alone(comparison):
    torch.manual_seed(123)
    expected_draw = torch.rand(3)
    torch.manual_seed(123)
    threads = torch.get_num_threads()
    again = compare_spectral_norm()
    assert torch.equal(torch.rand(3), expected_draw)
    assert torch.get_num_threads() == threads
    for a, b in ((comparison.plain, again.plain), (comparison.spectral, again.spectral)):
        np.testing.assert_array_equal(a.surface, b.surface)
        assert (a.grad_max, a.secant_max, a.layer_sigmas, a.accuracy) == (
            b.grad_max,
            b.secant_max,
            b.layer_sigmas,
            b.accuracy,
        )
    np.testing.assert_array_equal(comparison.real, again.real)


def test_another_seed_gives_other_points_and_weights():
    a = compare_spectral_norm("ring8", steps=20, seed=1, grid_size=20)
    b = compare_spectral_norm("ring8", steps=20, seed=2, grid_size=20)
    assert not np.array_equal(a.real, b.real)
    assert not np.array_equal(a.plain.surface, b.plain.surface)


def test_both_networks_start_from_the_same_weights():
    torch.manual_seed(0)
    plain, spectral = twin_discriminators(depth=2, width=16, activation="leaky_relu")
    plain_layers = [m for m in plain.modules() if isinstance(m, torch.nn.Linear)]
    sn_layers = [m for m in spectral.modules() if isinstance(m, torch.nn.Linear)]
    assert len(plain_layers) == len(sn_layers) == 3
    for p, s in zip(plain_layers, sn_layers):
        assert torch.equal(p.weight, s.parametrizations.weight.original)
        assert torch.equal(p.bias, s.bias)
        # what the spectral net computes with: the same weight divided by its σ (15 power steps at init)
        with torch.no_grad(), eval_mode(spectral):
            sigma = torch.linalg.svdvals(p.weight)[0]
            torch.testing.assert_close(s.weight, p.weight / sigma, rtol=1e-3, atol=1e-6)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(dataset="nope"), "ring8"),
        (dict(steps=0), "steps"),
        (dict(steps=2.5), "integer"),
        (dict(depth=0), "depth"),
        (dict(width=1), "width"),
        (dict(points=4), "points"),
        (dict(grid_size=5), "grid_size"),
        (dict(activation="gelu"), "1-Lipschitz"),
        (dict(lr=0.0), "lr"),
        (dict(seed=-3), "seed"),
    ],
)
def test_bad_arguments_raise_clear_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        compare_spectral_norm(**kwargs)
