"""Training in worker processes (the app's Play): same run as in-process, settings, divergence, clean exits."""
import os
import time

import numpy as np
import torch

from ganviz.training.worker import Worker
from ganviz.config import GANConfig
from ganviz.live.run import LiveRun

SMALL = dict(g_width=16, d_width=16, g_depth=2, d_depth=2, batch_size=32)
EXPLODING = dict(SMALL, optimizer_d="sgd", optimizer_g="sgd", lr_d=10.0, lr_g=10.0, r1_weight=0.0, ema=0.0,
                 loss="least-squares")


def tick_until(run: LiveRun, condition, per_frame=None, timeout_s=60.0):
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "the worker did not get there in time"
        run.tick(0.1, per_frame)
        time.sleep(0.05)


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def same_weights(a, b) -> bool:
    return all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))


def test_a_background_run_is_the_same_run_as_in_process():
    background = LiveRun(GANConfig(**SMALL), background=True)
    tick_until(background, lambda: background.iteration >= 30, per_frame=10)
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


def test_between_ticks_the_workers_train_the_rounds_asked_for_then_wait():
    run = LiveRun(GANConfig(**SMALL), background=True)
    tick_until(run, lambda: run.iteration > 0)
    (worker,) = run.workers
    time.sleep(1.0)  # no ticks (a hidden or closed tab): the rounds asked for are trained, then nothing
    used = cpu_seconds(worker.process.pid)
    time.sleep(0.5)
    assert cpu_seconds(worker.process.pid) - used < 0.1
    first = run.iteration
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
    tick_until(run, lambda: run.trainer.divergence is not None, per_frame=100)
    assert not run.training_in_background
    divergence = run.trainer.divergence
    assert run.iteration == divergence.iteration - 1 and len(run.trainer.history) == run.iteration
    stuck = run.iteration
    run.tick(0.1)
    assert run.iteration == stuck and not run.training_in_background  # stays paused until restored
    assert all(np.isfinite(p.detach().numpy()).all() for p in run.trainer.G.parameters())


def test_an_unwatched_worker_trains_its_round_then_stops_and_hands_back_its_state():
    run = LiveRun(GANConfig(**SMALL))
    worker = Worker([run.trainer], idle_s=0.5)
    worker.request_round(20, view={"with_metrics": False})
    (frame,) = worker.next_frames(timeout=60)
    assert frame.iteration == 20 and frame.snapshot.iteration == 20 and len(frame.rows) == 20
    time.sleep(1.5)  # nothing to train and no message for longer than idle_s (a closed tab): it has stopped
    worker.process.join(timeout=30)
    assert worker.process.exitcode == 0
    rest = worker.stop()
    assert len(rest) == 1 and rest[-1][0].final and rest[-1][0].state["counters"][0] == 20


def test_a_worker_with_several_runs_trains_each_as_alone():
    configs = [GANConfig(**SMALL), GANConfig(**SMALL, loss="hinge", d_steps=2)]
    trainers = [LiveRun(c).trainer for c in configs]
    worker = Worker(trainers)
    worker.request_round(60)
    worker.request_round(15)
    first, second = worker.next_frames(timeout=60), worker.next_frames(timeout=60)
    assert [f.iteration for f in first] == [60, 60] and [f.iteration for f in second] == [75, 75]
    assert [len(f.rows) for f in second] == [15, 15] and all(f.snapshot is None for f in first + second)
    worker.stop()
    for config, frame in zip(configs, second):
        alone = LiveRun(config).trainer
        alone.step(75)
        assert frame.state["counters"] == alone.get_state()["counters"]
        for key in ("G", "D"):
            assert all(torch.equal(a, b) for a, b in zip(frame.state[key].values(), alone.get_state()[key].values()))


def test_a_killed_worker_loses_nothing_already_shown():
    run = LiveRun(GANConfig(**SMALL), background=True)
    tick_until(run, lambda: run.iteration > 0)
    shown = run.iteration
    (worker,) = run.workers
    worker.process.kill()
    worker.process.join(timeout=30)
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
    assert trainer.domain.image_data.name == "digits" and trainer.domain.notice
    mnist_images.clear_image_cache()
