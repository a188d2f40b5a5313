"""Training in a worker process (the app's Play): same run as in-process, settings, divergence, clean exits."""
import os
import time

import numpy as np
import torch

from ganviz.training.worker import BackgroundTraining
from ganviz.config import GANConfig
from ganviz.live.run import LiveRun

SMALL = dict(g_width=16, d_width=16, g_depth=2, d_depth=2, batch_size=32)
EXPLODING = dict(SMALL, optimizer_d="sgd", optimizer_g="sgd", lr_d=10.0, lr_g=10.0, r1_weight=0.0, ema=0.0,
                 loss="least-squares")


def tick_until(run: LiveRun, condition, speed="full speed", timeout_s=60.0):
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "the worker did not get there in time"
        run.tick(0.1, speed)
        time.sleep(0.05)


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def same_weights(a, b) -> bool:
    return all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))


def test_a_background_run_is_the_same_run_as_in_process():
    background = LiveRun(GANConfig(**SMALL), background=True)
    tick_until(background, lambda: background.iteration >= 30, speed="10 iterations / frame")
    background.stop()
    assert not background.training_in_background
    here = LiveRun(GANConfig(**SMALL))
    here.trainer.step(background.iteration)
    assert background.iteration % 10 == 0
    assert same_weights(background.trainer.G, here.trainer.G) and same_weights(background.trainer.D, here.trainer.D)
    np.testing.assert_array_equal(background.trainer.history.column("loss_d"), here.trainer.history.column("loss_d"))
    assert len(background.trainer.history) == background.iteration
    # Frames were drawn, measured and recorded for time travel on the way.
    assert background.snapshot.iteration == background.iteration
    assert background.store.iterations()[-1] == background.iteration
    assert all("modes_captured" in m for m in background.metrics_log)


def test_full_speed_keeps_training_between_ticks():
    run = LiveRun(GANConfig(**SMALL), background=True)
    tick_until(run, lambda: run.iteration > 0)
    first = run.iteration
    time.sleep(0.5)  # no ticks: the worker trains on regardless
    tick_until(run, lambda: run.iteration > first + 20)
    run.stop()
    assert len(run.trainer.history) == run.iteration and run.trainer.d_updates == run.iteration


def test_a_new_setting_mid_run_takes_effect_from_the_next_iteration():
    run = LiveRun(GANConfig(**SMALL), background=True)
    tick_until(run, lambda: run.iteration > 0)
    run.apply(run.config.replace(d_steps=3))  # stops the worker, applies, the next tick restarts it
    assert not run.training_in_background and run.trainer.config.d_steps == 3
    before = (run.iteration, run.trainer.d_updates)
    tick_until(run, lambda: run.iteration > before[0] + 10)
    run.stop()
    assert run.trainer.d_updates - before[1] == 3 * (run.iteration - before[0])


def test_divergence_in_the_worker_stops_the_run_at_its_last_finite_state():
    run = LiveRun(GANConfig(**EXPLODING), background=True)
    tick_until(run, lambda: run.trainer.divergence is not None, speed="100 iterations / frame")
    assert not run.training_in_background
    divergence = run.trainer.divergence
    assert run.iteration == divergence.iteration - 1 and len(run.trainer.history) == run.iteration
    stuck = run.iteration
    run.tick(0.1)
    assert run.iteration == stuck and not run.training_in_background  # stays paused until restored
    assert all(np.isfinite(p.detach().numpy()).all() for p in run.trainer.G.parameters())


def test_an_unwatched_worker_stops_training_and_hands_back_its_state():
    run = LiveRun(GANConfig(**SMALL))
    worker = BackgroundTraining(run.trainer, None, per_frame=None, metrics_every_s=2.0, w1_points=100, idle_s=0.5)
    deadline = time.monotonic() + 60
    first = []
    while not first:  # ask until a frame comes, then never again: a closed tab
        assert time.monotonic() < deadline
        first = worker.frames()
        time.sleep(0.05)
    time.sleep(1.5)  # past idle_s: it has stopped training and holds its final frame for us
    used = cpu_seconds(worker.process.pid)
    time.sleep(1.0)
    assert cpu_seconds(worker.process.pid) - used < 0.2
    rest = worker.stop()
    assert rest and rest[-1].final and not any(f.final for f in rest[:-1])
    worker.process.join(timeout=30)
    assert worker.process.exitcode == 0
    assert rest[-1].state["counters"][0] > first[-1].snapshot.iteration


def test_a_killed_worker_loses_nothing_already_shown():
    run = LiveRun(GANConfig(**SMALL), background=True)
    tick_until(run, lambda: run.iteration > 0)
    shown = run.iteration
    run._worker.process.kill()
    run._worker.process.join(timeout=30)
    run.tick(0.1)  # notices, and the next tick starts a new worker from the last frame taken in
    assert run.iteration >= shown
    tick_until(run, lambda: run.iteration > shown + 5)
    run.stop()
    assert len(run.trainer.history) == run.iteration


def test_stop_without_a_worker_does_nothing():
    run = LiveRun(GANConfig(**SMALL), background=True)
    run.stop()
    assert run.iteration == 0 and not run.training_in_background


def test_frames_skip_the_field_and_latent_grid_when_the_page_hides_them():
    run = LiveRun(GANConfig(**SMALL), background=True)
    run.with_layers = False
    tick_until(run, lambda: run.iteration > 0)
    assert run.snapshot.field_push is None and run.snapshot.latent_lines is None
    assert run.snapshot.d_surface.shape == (100, 100)  # the surface and the points are always there
    run.stop()
    run.record_now()  # paused: everything again
    assert run.snapshot.field_push.shape == (21 * 21, 2) and run.snapshot.latent_lines is not None


def test_an_image_worker_uses_the_files_the_page_has_and_never_downloads(monkeypatch, tmp_path):
    from ganviz.training.worker import worker_trainer
    from ganviz.config import image_config
    from ganviz.data import images as mnist_images, mnist

    def no_network(*args, **kwargs):
        raise AssertionError("a worker must not download")
    monkeypatch.setattr(mnist, "urlopen", no_network)
    monkeypatch.setenv("GANVIZ_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("GANVIZ_MNIST_DIR", raising=False)
    mnist_images.clear_image_cache()
    trainer = worker_trainer(image_config("mnist", batch_size=16), None)  # nothing cached: the page's fallback
    assert trainer.image_data.name == "digits" and trainer.all_images.notice
    mnist_images.clear_image_cache()
