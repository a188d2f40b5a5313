"""LiveRun, the app's run driver, training here: frames, sparse metrics, slow motion, time travel, divergence."""

import numpy as np

from ganviz.config import GANConfig
from ganviz.live import run as live_run
from ganviz.live.run import LiveRun
from support.clock import train_on_a_fake_clock

SMALL = dict(g_width=16, d_width=16, g_depth=2, d_depth=2, batch_size=32)


def test_fixed_speeds_train_exactly_that_many_iterations():
    run = LiveRun(GANConfig(**SMALL))
    run.tick(10.0, 1)
    assert run.iteration == 1
    run.tick(10.0, 10)
    assert run.iteration == 11 and run.snapshot.iteration == 11


def test_full_speed_trains_as_many_iterations_as_the_frame_budget_allows(monkeypatch):
    run = LiveRun(GANConfig(**SMALL))
    train_on_a_fake_clock(monkeypatch, run.trainer, per_iteration=1 / 64)
    run.tick(0.5)
    assert run.iteration == 32 and run.snapshot.iteration == 32
    run.tick(0.25)  # the speed is known now: the whole budget in one chunk
    assert run.iteration == 48


def test_metrics_are_measured_sparsely_but_always_shown(monkeypatch):
    monkeypatch.setattr(live_run, "METRICS_EVERY_S", 3600.0)
    run = LiveRun(GANConfig(**SMALL))
    assert [m["iteration"] for m in run.metrics_log] == [0]
    run.tick(1.0, 10)
    assert len(run.metrics_log) == 1  # not due yet...
    assert run.snapshot.metrics["w1"] == run.metrics_log[0]["w1"]  # ...the latest measurement is shown
    run.step()  # a step always measures
    assert [m["iteration"] for m in run.metrics_log] == [0, 11]
    monkeypatch.setattr(live_run, "METRICS_EVERY_S", 0.0)
    run.tick(1.0, 1)
    assert run.metrics_log[-1]["iteration"] == 12


def test_single_network_steps_replace_the_measurement_of_the_same_iteration():
    run = LiveRun(GANConfig(**SMALL))
    run.step("d")
    run.step("g")
    assert [m["iteration"] for m in run.metrics_log] == [0]
    assert (run.trainer.d_updates, run.trainer.g_updates, run.iteration) == (1, 1, 0)


def test_live_settings_keep_the_run():
    run = LiveRun(GANConfig(**SMALL))
    trainer = run.trainer
    run.tick(1.0, 10)
    run.apply(run.config.replace(loss="hinge", lr_g=2e-4))
    assert run.trainer is trainer and trainer.config.loss == "hinge" and run.iteration == 10


def test_resume_from_a_recorded_moment_rewrites_the_future():
    run = LiveRun(GANConfig(**SMALL))
    for _ in range(4):
        run.tick(1.0, 10)
        run.record_now()
    iterations = run.store.iterations()
    assert iterations == [0, 10, 20, 30, 40]
    run.resume_from(2)
    assert run.iteration == 20 and len(run.trainer.history) == 20
    assert run.store.iterations() == [0, 10, 20] and max(m["iteration"] for m in run.metrics_log) == 20
    run.tick(1.0, 10)
    straight = LiveRun(GANConfig(**SMALL))
    straight.tick(1.0, 10)
    straight.tick(1.0, 10)
    straight.tick(1.0, 10)
    np.testing.assert_array_equal(run.trainer.sample(), straight.trainer.sample())


def test_walk_gives_eight_stages_and_ticks_clear_them():
    run = LiveRun(GANConfig(**SMALL))
    stages = run.walk()
    assert len(stages) == 8 and run.stage_index == 0 and run.iteration == 1
    run.tick(1.0, 1)
    assert run.stages == []


def test_a_diverged_run_stops_until_restored():
    run = LiveRun(
        GANConfig(
            **SMALL,
            optimizer_d="sgd",
            optimizer_g="sgd",
            lr_d=10.0,
            lr_g=10.0,
            r1_weight=0.0,
            ema=0.0,
            loss="least-squares",
        )
    )
    for _ in range(20):
        run.tick(1.0, 100)
        if run.trainer.divergence:
            break
    divergence = run.trainer.divergence
    assert divergence is not None and run.iteration == divergence.iteration - 1
    stuck = run.iteration
    run.tick(1.0, 10)
    assert run.iteration == stuck  # paused, not crashing
    run.restore_last_good()
    assert run.trainer.divergence is None
    assert all(np.isfinite(p.detach().numpy()).all() for p in run.trainer.G.parameters())
    # The last finite state may sit on the edge of the blow-up: going back further and calming the
    # learning rates is the other way out the page offers.
    run.resume_from(0)
    run.apply(run.config.replace(lr_d=1e-3, lr_g=1e-3))
    run.tick(1.0, 10)
    assert run.iteration == 10 and run.trainer.divergence is None
