"""The truncation trick measured: fidelity against variety across ψ, and what a sweep means in words."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from ganviz import GANConfig, Trainer
from ganviz.latent import noise, truncation
from ganviz.latent.points import W1_POINTS
from ganviz.metrics.points import mode_stats, wasserstein1_exact
from ganviz.training.runtime import eval_mode


@pytest.mark.slow
def test_fidelity_rises_and_variety_falls_as_psi_falls_on_the_grid(grid_run):
    sweep = truncation.truncation_sweep(grid_run, [0.1, 0.25, 0.5, 1.0, None], seed=0)
    assert sweep.psis.tolist() == [0.1, 0.25, 0.5, 1.0, math.inf] and sweep.samples == 2500
    assert sweep.fidelity_name.startswith("high quality") and sweep.coverage_total == 25
    assert np.all(np.diff(sweep.fidelity[:4]) < 0)  # % high quality: 0.1 > 0.25 > 0.5 > 1
    assert sweep.fidelity[0] > sweep.fidelity[-1] + 0.3
    # modes captured grow with ψ (on some CPUs this run holds 1 mode at both ψ = 0.1 and 0.25: float
    # kernels differ between instruction sets, and so does the trained run)
    assert np.all(np.diff(sweep.coverage) >= 0) and sweep.coverage[-1] == 25
    assert sweep.coverage[0] < sweep.coverage[2] < sweep.coverage[3] < sweep.coverage[-1]
    assert sweep.distance[0] > 3 * sweep.distance[-1] and sweep.distance[-1] > sweep.distance_floor  # less variety
    again = truncation.truncation_sweep(grid_run, [0.1, None], seed=0)
    np.testing.assert_array_equal(again.fidelity, sweep.fidelity[[0, -1]])
    verdict = truncation.truncation_verdict(grid_run, sweep)
    assert verdict.tone == "success" and f"{sweep.fidelity[0]:.1%} at ψ = 0.1" in verdict.text


def test_truncated_samples_are_g_at_truncated_noise(ring_run):
    samples = truncation.truncated_samples(ring_run, 30, 0.5, seed=4)
    np.testing.assert_array_equal(samples.z, noise.truncated_noise("gaussian", 30, 2, 0.5, seed=4))
    with torch.no_grad(), eval_mode(ring_run.sampler):
        x = ring_run.sampler(torch.as_tensor(samples.z, dtype=torch.float32))
        score = torch.sigmoid(ring_run.D(x))
    np.testing.assert_allclose(samples.outputs, x.double().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(samples.scores, score.double().numpy(), rtol=1e-5, atol=1e-6)


def test_a_sweep_of_a_ring_run_measures_every_psi_from_the_same_draws(ring_run):
    sweep = truncation.truncation_sweep(ring_run, [0.5, None], n=300, seed=1)
    assert sweep.samples == 300 and sweep.coverage_total == 8 and sweep.distance_name.startswith("W1")
    for i, psi in enumerate((0.5, None)):  # each ψ measured as the 2D metrics measure G's samples
        samples = truncation.truncated_samples(ring_run, 300, psi, seed=1).outputs
        ds = ring_run.domain.dataset
        stats = mode_stats(samples, ds.modes, ds.sigma, ds.weights)
        assert (sweep.fidelity[i], sweep.coverage[i]) == (stats["hq_fraction"], stats["modes_captured"])
        w1 = wasserstein1_exact(samples, ring_run.domain.eval_real, max_points=W1_POINTS, rng=np.random.default_rng(0))
        assert sweep.distance[i] == pytest.approx(w1, rel=1e-9)


def test_uniform_noise_runs_truncate_their_own_noise():
    trainer = Trainer(GANConfig(dataset="ring8", noise="uniform", seed=0))
    samples = truncation.truncated_samples(trainer, 30, 0.5, seed=0)
    assert np.abs(samples.z).max() <= 0.5 and samples.outputs.shape == (30, 2)


def test_image_truncation_sweep(digits_run):
    sweep = truncation.truncation_sweep(digits_run, [0.5, None], n=200, seed=0)
    assert sweep.samples == 200 and sweep.coverage_total == 10 and sweep.fidelity_name.startswith("classifier")
    assert ((sweep.fidelity > 0) & (sweep.fidelity <= 1)).all() and (sweep.distance > 0).all()
    assert sweep.distance_floor == pytest.approx(digits_run.evaluate()["fid_floor"])  # the metrics' floor


def a_sweep(fidelity) -> truncation.TruncationSweep:
    return truncation.TruncationSweep(
        psis=np.array([0.25, 1.0, math.inf]),
        fidelity=np.array(fidelity),
        fidelity_name="high quality",
        coverage=np.array([1.0, 4.0, 8.0]),
        coverage_total=8,
        coverage_name="modes captured",
        distance=np.array([2.0, 0.5, 0.2]),
        distance_name="W1",
        distance_floor=0.1,
        samples=100,
    )


@pytest.mark.parametrize(
    "fidelity, tone, words",
    [
        ((0.9, 0.7, 0.6), "success", "rises from 60.0% untruncated to 90.0% at ψ = 0.25"),
        ((0.3, 0.7, 0.6), "warning", "lowers* fidelity (60.0% untruncated, 30.0% at ψ = 0.25)"),
        ((0.605, 0.7, 0.6), "info", "barely moves"),  # half a point of % is no change
    ],
)
def test_the_verdict_compares_the_smallest_psi_with_no_truncation(fidelity, tone, words, ring_run, digits_run):
    for trainer, between in ((ring_run, "between modes"), (digits_run, "between digits")):
        verdict = truncation.truncation_verdict(trainer, a_sweep(fidelity))
        assert verdict.tone == tone and words in verdict.text
        assert (f"G maps it {between}" in verdict.text) == (tone == "warning")
