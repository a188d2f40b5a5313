"""Races: runs trained side by side, each exactly as it trains alone, in worker processes or here; a run that
diverges pauses the race until it is left behind."""

import csv
import io

import numpy as np
import pytest
import torch

from ganviz import GANConfig, Trainer, TrainingDiverged
from ganviz.config import image_config
from ganviz.io.tables import race_metrics_csv
from ganviz.racing.config import RaceConfig
from ganviz.racing.race import RACE_GRID_SIZE, Race, RaceDivergence, build_trainer, run_metrics_log
from ganviz.training.history import HISTORY_KEYS
from ganviz.training.points import Snapshot
from support.clock import train_on_a_fake_clock

SMALL = dict(g_width=16, d_width=16, g_depth=2, d_depth=2, batch_size=32, device="cpu")
EXPLODING = dict(
    optimizer_d="sgd", optimizer_g="sgd", lr_d=10.0, lr_g=10.0, r1_weight=0.0, ema=0.0, loss="least-squares"
)


def small(**changes) -> GANConfig:
    return GANConfig(**{**SMALL, **changes})


def race_of(*changes, **shared) -> RaceConfig:
    return RaceConfig(tuple(small(**shared, **c) for c in changes))


# --- training -----------------------------------------------------------------------------------------


def same_run(a: Trainer, b: Trainer) -> bool:
    """Bit for bit the same run: iteration, every weight and buffer, the EMA copy and every history row."""
    states = [(t.G.state_dict(), t.D.state_dict(), t.ema_g.state_dict() if t.ema_g else {}) for t in (a, b)]
    return (
        a.iteration == b.iteration
        and all(torch.equal(x, y) for sa, sb in zip(*states) for x, y in zip(sa.values(), sb.values()))
        and np.array_equal(a.history.rows(), b.history.rows())
    )


@pytest.mark.parametrize("parallel", [True, False])
def test_a_race_trains_every_run_as_it_would_train_alone(parallel):
    # in worker processes each run is a plain Trainer built from the run's state: the same code, the same
    # operations, so the same numbers as the run trained alone here
    config = race_of({}, dict(loss="wgan-gp", d_steps=2), dict(g_width=32, loss="hinge"))
    race = Race(config, parallel=parallel)
    assert race.step(60) == 60 and race.iteration == 60
    assert race.training_in_workers == parallel  # a long step starts the workers, which stay for the next
    assert race.step(5) == 5 and [t.iteration for t in race.runs] == [65, 65, 65]
    for t, c in zip(race.runs, config.runs):
        alone = Trainer(c)
        alone.step(65)
        assert same_run(t, alone)
    race.stop_workers()
    assert not race.training_in_workers


def test_a_short_step_trains_here_without_starting_workers():
    race = Race(race_of({}, dict(loss="hinge")), parallel=True)
    assert race.step(3) == 3 and not race.training_in_workers


@pytest.mark.slow  # starts the race's workers twice: about 3 s
def test_changing_a_run_from_the_race_stops_its_workers_and_keeps_its_state():
    race = Race(race_of({}, dict(loss="hinge")), parallel=True)
    race.step(50)
    state = race.get_state()  # takes the workers' state back first
    assert not race.training_in_workers and [s["counters"][0] for s in state["runs"]] == [50, 50]
    race.step(50)
    race.set_state(state)
    assert race.iteration == 50 and not race.training_in_workers
    alone = Trainer(race.config.runs[1])
    alone.step(50)
    assert same_run(race.runs[1], alone)


def test_a_diverging_run_pauses_the_race_until_it_is_left_behind():
    race = Race(race_of({}, EXPLODING, dict(loss="hinge")))
    done = race.step(60)
    assert done == 60 and race.runs[1].divergence is not None and race.runs[1].iteration < 60
    assert isinstance(race.divergence, RaceDivergence) and race.divergence.run == "B"
    assert "Run B diverged at iteration" in race.divergence.message and "other runs" in race.divergence.message
    assert not race.can_train
    with pytest.raises(TrainingDiverged):
        race.step(1)
    behind = race.runs[1].iteration
    race.resume()
    assert race.divergence is None and race.can_train and race.left_behind == [False, True, False]
    race.step(10)
    assert [t.iteration for t in race.runs] == [70, behind, 70] and race.iteration == 70
    snap = race.snapshot(with_metrics=False)
    assert snap.iteration == 70  # the clock of the runs still training


def test_when_every_run_is_left_behind_nothing_trains():
    race = Race(race_of(EXPLODING, EXPLODING), parallel=False)  # how the runs diverged does not matter here
    race.step(60)
    race.resume()
    assert not race.can_train and race.step(5) == 0 and race.run_for(0.2) == 0


def test_state_round_trip_keeps_divergences_and_left_behind_runs():
    race = Race(race_of({}, EXPLODING))
    start = race.get_state()
    race.step(20)  # B diverges within a few iterations
    race.resume()
    race.step(5)
    assert race.left_behind == [False, True] and race.runs[0].iteration == 25
    race.set_state(start)
    assert race.iteration == 0 and race.divergence is None and race.left_behind == [False, False]
    assert [len(t.history) for t in race.runs] == [0, 0]
    race.step(20)
    later = race.get_state()
    other = Race(race.config)
    other.set_state(later)
    assert other.divergence == race.divergence and other.divergence is not None
    assert [t.iteration for t in other.runs] == [t.iteration for t in race.runs]


def test_race_run_for_trains_whole_iterations_of_every_run():
    race = Race(race_of({}, dict(loss="hinge")))
    done = race.run_for(0.3)
    assert done > 0 and [t.iteration for t in race.runs] == [done, done]


def test_race_run_for_spends_its_budget_on_iterations_of_every_run(monkeypatch):
    race = Race(race_of({}, dict(loss="hinge")), parallel=False)
    train_on_a_fake_clock(monkeypatch, race, per_iteration=1 / 64)  # an iteration of the race: of every run
    assert race.run_for(0.5) == 32 and [t.iteration for t in race.runs] == [32, 32]


def test_snapshots_and_metrics_per_run():
    race = Race(race_of({}, dict(loss="wgan-gp")))
    race.step(10)
    snap = race.snapshot()
    assert snap.names == ("A", "B") and snap.iteration == 10 and len(snap.runs) == 2
    assert all(isinstance(s, Snapshot) for s in snap.runs)
    assert snap.runs[0].d_surface.shape == (RACE_GRID_SIZE, RACE_GRID_SIZE) and snap.runs[0].field_points is None
    assert snap.runs[0].d_output == "probability" and snap.runs[1].d_output == "critic"
    assert snap.metrics["A"]["iteration"] == 10 and "w1" in snap.metrics["B"]
    assert snap.metrics["B"]["critic_estimate"] is not None and snap.metrics["A"]["critic_estimate"] is None
    assert race.evaluate()["A"]["w1"] == pytest.approx(race.runs[0].evaluate()["w1"])
    assert race.snapshot(with_metrics=False).metrics == {}


def test_a_race_on_custom_points_gives_every_run_the_points():
    points = np.random.default_rng(0).normal(size=(200, 2))
    race = Race(RaceConfig((small(dataset="custom"), small(dataset="custom", loss="hinge"))), points=points)
    assert all(torch.equal(t.domain.pool, race.runs[0].domain.pool) for t in race.runs)  # the same sample
    assert set(map(tuple, race.runs[1].domain.pool.numpy().astype(np.float64).round(5))) <= set(
        map(tuple, points.astype(np.float32).astype(np.float64).round(5))
    )
    race.step(3)


def test_a_race_of_digit_runs(tmp_path, monkeypatch):
    monkeypatch.setenv("GANVIZ_CACHE_DIR", str(tmp_path))
    config = RaceConfig(
        (image_config("digits", batch_size=16, seed=1), image_config("digits", batch_size=16, seed=1, loss="hinge"))
    )
    race = Race(config)
    assert race.domain == "images" and race.runs[1].domain.all_images is race.runs[0].domain.all_images  # loaded once
    race.step(4)
    alone = Trainer(config.runs[1], images=race.runs[0].domain.all_images)
    alone.step(4)
    np.testing.assert_array_equal(race.runs[1].history.rows(), alone.history.rows())
    snap = race.snapshot(with_metrics=False)
    assert snap.runs[0].grid.shape[-2:] == (8, 8) and len(snap.runs) == 2


def test_run_metrics_log_takes_one_run_out_of_a_race_log():
    log = [
        {"iteration": 0, "A": {"iteration": 0, "w1": 1.0}, "B": {"iteration": 0, "w1": 2.0}},
        {"iteration": 10, "A": {"iteration": 10, "w1": 0.5}, "B": {"iteration": 7, "w1": 9.0}},
        {"iteration": 20, "A": {"iteration": 20, "w1": 0.4}, "B": {"iteration": 7, "w1": 9.5}},
    ]
    assert run_metrics_log(log, "A") == [log[0]["A"], log[1]["A"], log[2]["A"]]
    assert run_metrics_log(log, "B") == [log[0]["B"], log[2]["B"]]  # B stopped at 7: one entry, the latest
    assert run_metrics_log(log, "C") == []


def test_the_race_metrics_csv_has_a_run_column_and_each_run_s_rows():
    race = Race(race_of({}, dict(loss="hinge")))
    race.step(4)
    log = [{"iteration": 4, **race.snapshot().metrics}]
    text = race_metrics_csv({n: (t.history.as_dict(), run_metrics_log(log, n)) for n, t in zip(race.names, race.runs)})
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["run"] for r in rows] == ["A"] * 4 + ["B"] * 4
    assert [int(r["iteration"]) for r in rows] == [1, 2, 3, 4] * 2
    assert float(rows[5]["loss_d"]) == race.runs[1].history.column("loss_d")[1]
    assert rows[3]["w1"] != "" and rows[2]["w1"] == "" and float(rows[7]["w1"]) == log[0]["B"]["w1"]
    assert list(rows[0])[:3] == ["run", "iteration", HISTORY_KEYS[0]]


def test_build_trainer_picks_a_trainer_or_a_race():
    assert isinstance(build_trainer(small()), Trainer)
    assert isinstance(build_trainer(race_of({}, {})), Race)


def test_a_race_of_mnist_runs_on_the_official_test_split(tmp_path, monkeypatch, mnist_dir):
    monkeypatch.setenv("GANVIZ_MNIST_DIR", str(mnist_dir))
    monkeypatch.setenv("GANVIZ_CACHE_DIR", str(tmp_path))
    race = Race(
        RaceConfig(
            (
                image_config("mnist", batch_size=16, device="cpu"),
                image_config("mnist", batch_size=16, device="cpu", image_model="mlp-003", noise_dim=100),
            )
        )
    )
    assert race.runs[0].domain.source.startswith("MNIST")
    assert race.runs[1].domain.all_images is race.runs[0].domain.all_images
    race.step(3)
    snap = race.snapshot(with_metrics=False)
    assert [s.grid.shape[-2:] for s in snap.runs] == [(28, 28), (28, 28)] and race.iteration == 3
