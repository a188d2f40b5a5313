"""A live run playing in worker processes (the app's Play): the same run as in-process, new settings, divergence,
a lost worker, and races of runs."""

import time

import numpy as np
import pytest
import torch

from ganviz.config import GANConfig
from ganviz.live.run import LiveRun
from ganviz.racing.config import RaceConfig
from ganviz.racing.race import Race
from ganviz.training.worker import Worker
from support.runs import SMALL, params, same

EXPLODING = dict(
    SMALL, optimizer_d="sgd", optimizer_g="sgd", lr_d=10.0, lr_g=10.0, r1_weight=0.0, ema=0.0, loss="least-squares"
)


def tick_until(run: LiveRun, condition, per_frame=None, timeout_s=60.0):
    """Tick like the page's timer until `condition()` holds; the deadline only guards against a hang."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "the worker did not get there in time"
        run.tick(0.1, per_frame)
        time.sleep(0.05)


def race_of(*changes) -> RaceConfig:
    return RaceConfig(tuple(GANConfig(**{**SMALL, "device": "cpu", **c}) for c in changes))


def test_a_background_run_is_the_same_run_as_in_process():
    background = LiveRun(GANConfig(**SMALL), background=True)
    tick_until(background, lambda: background.iteration >= 30, per_frame=10)
    background.stop()
    assert not background.training_in_background
    here = LiveRun(GANConfig(**SMALL))
    here.trainer.step(background.iteration)
    assert background.iteration % 10 == 0
    assert same(params(background.trainer.G), params(here.trainer.G))
    assert same(params(background.trainer.D), params(here.trainer.D))
    np.testing.assert_array_equal(background.trainer.history.column("loss_d"), here.trainer.history.column("loss_d"))
    assert len(background.trainer.history) == background.iteration
    # Frames were drawn, measured and recorded for time travel on the way.
    assert background.snapshot.iteration == background.iteration
    assert background.store.iterations()[-1] == background.iteration
    assert all("modes_captured" in m for m in background.metrics_log)


@pytest.mark.slow  # two worker starts and a pause in which nothing may train: about 3 s
def test_between_ticks_the_workers_train_the_rounds_asked_for_then_wait(monkeypatch):
    asked = []
    request_round = Worker.request_round

    def counted(worker, n, view=None):
        asked.append(n)
        request_round(worker, n, view)

    monkeypatch.setattr(Worker, "request_round", counted)
    run = LiveRun(GANConfig(**SMALL), background=True)
    tick_until(run, lambda: run.iteration > 0)
    requested = sum(asked)
    time.sleep(0.5)  # no ticks (a hidden or closed tab): time the workers could use to train on unasked
    run.stop()  # takes in the rounds asked for and the workers' final states
    assert sum(asked) == requested and run.iteration == requested
    assert len(run.trainer.history) == run.iteration and run.trainer.d_updates == run.iteration
    tick_until(run, lambda: run.iteration > requested + 20)  # and the next ticks play on
    run.stop()
    assert len(run.trainer.history) == run.iteration == sum(asked)


@pytest.mark.slow  # two worker starts: about 3 s
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


@pytest.mark.slow  # two workers, then the race again here: about 3 s
def test_a_live_race_plays_in_a_worker_and_stays_the_same_race():
    live = LiveRun(race_of({}, dict(loss="hinge")), background=True)
    assert live.snapshot.iteration == 0 and set(live.metrics_log[0]) == {"iteration", "A", "B"}
    tick_until(live, lambda: live.iteration >= 30, per_frame=10)
    live.stop()
    race = live.trainer
    assert [t.iteration for t in race.runs] == [race.iteration] * 2 and race.iteration % 10 == 0
    here = Race(race.config)
    here.step(race.iteration)
    for a, b in zip(race.runs, here.runs):
        assert all(torch.equal(p, q) for p, q in zip(a.D.parameters(), b.D.parameters()))
        np.testing.assert_array_equal(a.history.rows(), b.history.rows())
    assert live.snapshot.iteration == race.iteration and live.store.iterations()[-1] == race.iteration


@pytest.mark.slow  # two workers until a run diverges: about 3 s
def test_a_live_race_pauses_on_a_divergence_and_continues_without_that_run():
    live = LiveRun(race_of({}, EXPLODING), background=True)
    tick_until(live, lambda: live.trainer.divergence is not None)
    assert not live.training_in_background and live.trainer.divergence.run == "B"
    live.restore_last_good()  # the page's "continue the other runs"
    behind, start = live.trainer.runs[1].iteration, live.iteration
    live.step()
    assert live.trainer.runs[0].iteration == start + 1 and live.trainer.runs[1].iteration == behind


@pytest.mark.parametrize("background", [pytest.param(True, marks=pytest.mark.slow), False])  # worker starts: slow
@pytest.mark.parametrize("per_frame", [None, 7])
def test_playing_stops_exactly_at_the_checkpoint(background, per_frame):
    run = LiveRun(GANConfig(**SMALL), background=background)
    run.stop_at = 23  # not a multiple of the speed: the last round is cut short
    tick_until(run, lambda: run.at_checkpoint, per_frame=per_frame)
    for _ in range(3):  # ticks at the checkpoint train nothing more
        run.tick(0.1, per_frame)
    assert run.iteration == 23 and run.iterations_left == 0
    assert not run.training_in_background
    here = LiveRun(GANConfig(**SMALL))
    here.trainer.step(23)
    assert same(params(run.trainer.G), params(here.trainer.G))
    run.stop_at = 30  # a later checkpoint: playing goes on to it
    tick_until(run, lambda: run.at_checkpoint, per_frame=per_frame)
    assert run.iteration == 30
    run.stop()
