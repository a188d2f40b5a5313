"""Every page's engine path on a CUDA GPU (skipped without one; scripts/gpu-check runs these).

On a GPU the same code runs other kernels (cuBLAS, cuDNN) with other summation orders, and some backward
passes sum with atomics: these tests check that everything runs, stays finite and learns, and compare with
the CPU or with a second run only to a tolerance, never bit for bit.
"""

from __future__ import annotations

import time

import numpy as np
import pytest
import torch

from ganviz import GANConfig, Race, RaceConfig, Trainer, image_config
from ganviz.io.animation import snapshots_gif
from ganviz.io.checkpoints import load_weights, weights_bytes
from ganviz.live.run import LiveRun
from ganviz.losses import LOSSES
from ganviz.models.image import IMAGE_MODELS

pytestmark = [pytest.mark.cuda, pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")]
SMALL = dict(g_width=32, d_width=32, g_depth=2, d_depth=2, batch_size=64, device="cuda")


def play(run: LiveRun, until: int, per_frame=None, timeout_s: float = 120.0) -> None:
    deadline = time.monotonic() + timeout_s
    while run.iteration < until:
        assert time.monotonic() < deadline, "the workers did not get there in time"
        run.tick(0.2, per_frame)
        time.sleep(0.05)
    run.stop()


@pytest.mark.parametrize("loss", list(LOSSES))
def test_every_loss_trains_on_the_gpu(loss):
    t = Trainer(GANConfig(**SMALL, loss=loss))
    assert t.device.type == "cuda" and t.step(50) == 50 and t.divergence is None
    assert np.isfinite(t.history.rows()).all()
    snap = t.snapshot()
    assert np.isfinite(snap.d_surface).all() and np.isfinite(snap.fake_push).all() and snap.metrics["w1"] > 0


def test_the_default_run_learns_the_ring_on_the_gpu():
    t = Trainer(GANConfig(device="cuda", seed=0))
    before = t.evaluate()["w1"]
    t.step(1500)
    after = t.evaluate()
    assert after["w1"] < 0.5 * before and after["modes_captured"] >= 6


@pytest.mark.parametrize("model", list(IMAGE_MODELS))
def test_every_image_model_trains_on_the_gpu(model):
    t = Trainer(image_config("digits", image_model=model, batch_size=32, device="cuda"))
    assert t.step(20) == 20 and t.divergence is None
    snap = t.snapshot()
    assert snap.grid.shape[-2:] == (8, 8) and np.isfinite(snap.grid).all() and snap.metrics["fid"] > 0


def test_a_conditional_acgan_run_on_the_gpu():
    t = Trainer(image_config("digits", conditional=True, acgan_weight=1.0, digits="017", batch_size=32, device="cuda"))
    assert t.step(20) == 20 and t.snapshot().row_labels == [0, 1, 7]


def test_the_gpu_and_the_cpu_start_from_the_same_networks_and_data():
    gpu, cpu = Trainer(GANConfig(**SMALL)), Trainer(GANConfig(**{**SMALL, "device": "cpu"}))
    for a, b in zip(gpu.G.parameters(), cpu.G.parameters()):
        np.testing.assert_array_equal(a.detach().cpu().numpy(), b.detach().numpy())
    np.testing.assert_array_equal(gpu.domain.pool.cpu().numpy(), cpu.domain.pool.numpy())


def test_the_playground_plays_on_the_gpu_in_a_worker():
    run = LiveRun(GANConfig(**SMALL), background=True)
    play(run, 100)
    assert run.trainer.device.type == "cuda" and len(run.trainer.history) == run.iteration >= 100
    assert run.snapshot.iteration == run.iteration and np.isfinite(run.snapshot.d_surface).all()


def test_the_digits_page_plays_on_the_gpu_in_a_worker():
    run = LiveRun(image_config("digits", batch_size=32, device="cuda"), background=True, capacity=8)
    play(run, 40)
    assert run.snapshot.grid.shape[-2:] == (8, 8) and run.metrics_log


def test_a_race_trains_its_runs_in_workers_on_the_gpu_like_alone():
    config = RaceConfig((GANConfig(**SMALL), GANConfig(**SMALL, loss="wgan-gp", d_steps=2)))
    race = Race(config, parallel=True)
    race.step(100)
    assert [t.iteration for t in race.runs] == [100, 100]
    for raced, settings in zip(race.runs, config.runs):
        alone = Trainer(settings)
        alone.step(100)
        # the same code on the same GPU: equal up to the GPU's own non-determinism (atomics in some backwards)
        np.testing.assert_allclose(raced.history.rows(), alone.history.rows(), rtol=1e-3, atol=1e-4)


def test_a_live_race_on_the_gpu():
    run = LiveRun(RaceConfig((GANConfig(**SMALL), GANConfig(**SMALL, loss="hinge"))), background=True)
    play(run, 50, per_frame=10)
    assert [t.iteration for t in run.trainer.runs] == [run.iteration] * 2 and len(run.snapshot.runs) == 2


def test_weights_and_animations_from_a_gpu_run():
    t = Trainer(GANConfig(**SMALL))
    t.step(10)
    data = weights_bytes(t)
    other = Trainer(GANConfig(**SMALL, seed=1))
    load_weights(other, data)
    np.testing.assert_allclose(other.sample(t.domain.eval_z), t.sample(), rtol=1e-6, atol=1e-7)
    assert snapshots_gif([t.snapshot(with_metrics=False)])[:6] == b"GIF89a"
