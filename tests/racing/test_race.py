"""Races: 2-4 runs on the same data and seed, their configs, links, table and training side by side."""
import csv
import io
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from ganviz import ConfigError, GANConfig, Trainer, TrainingDiverged
from ganviz.config import image_config
from ganviz.io.tables import race_metrics_csv
from ganviz.training.history import HISTORY_KEYS
from ganviz.live.run import LiveRun
from ganviz.racing.config import MAX_RUNS, RaceConfig, setting_rows
from ganviz.racing.race import RACE_GRID_SIZE, Race, RaceDivergence, build_trainer, run_metrics_log
from ganviz.training.points import Snapshot

SMALL = dict(g_width=16, d_width=16, g_depth=2, d_depth=2, batch_size=32, device="cpu")
EXPLODING = dict(optimizer_d="sgd", optimizer_g="sgd", lr_d=10.0, lr_g=10.0, r1_weight=0.0, ema=0.0,
                 loss="least-squares")


def small(**changes) -> GANConfig:
    return GANConfig(**{**SMALL, **changes})


def race_of(*changes, **shared) -> RaceConfig:
    return RaceConfig(tuple(small(**shared, **c) for c in changes))


# --- configs ----------------------------------------------------------------------------------------

def test_a_race_has_one_to_four_runs_sharing_data_seed_and_device():
    assert race_of({}, dict(loss="hinge")).names == ("A", "B")
    assert race_of(*[{}] * 4).names == ("A", "B", "C", "D")
    with pytest.raises(ConfigError, match="1 to 4 runs"):
        race_of(*[{}] * 5)
    with pytest.raises(ConfigError, match="1 to 4 runs"):
        RaceConfig(())
    for setting, value in (("dataset", "grid25"), ("seed", 3), ("device", "auto")):
        with pytest.raises(ConfigError, match=f"run B has {value!r}") as e:
            RaceConfig((small(), small(**{setting: value})))
        assert e.value.field == setting


def test_differences_and_labels_name_what_each_run_changes_from_a():
    race = race_of({}, dict(loss="wgan-gp"), dict(d_steps=5, lr_d=1e-4, spectral_norm_d=True), {})
    assert race.differences(1) == {"loss": "wgan-gp"}
    assert race.differences(2) == {"spectral_norm_d": True, "d_steps": 5, "lr_d": 1e-4}
    assert race.labels() == ["A", "B: loss wgan-gp", "C: spectral_norm_d true, d_steps 5 +1 more", "D: same as A"]


def test_adding_replacing_and_removing_runs():
    race = race_of({}, dict(loss="hinge"))
    bigger = race.with_run(2, small(d_steps=3))
    assert bigger.names == ("A", "B", "C") and bigger.runs[2].d_steps == 3
    assert bigger.with_run(0, small(lr_g=1e-4)).runs[0].lr_g == 1e-4
    assert bigger.without_run(1).runs == (race.runs[0], bigger.runs[2])
    with pytest.raises(ConfigError, match="1 to 4"):
        race_of(*[{}] * 4).with_run(4, small())


def test_json_round_trip_and_clear_errors():
    race = race_of({}, dict(loss="wgan-gp", d_steps=5), dataset="grid25")
    assert RaceConfig.from_json(race.to_json()) == race
    with pytest.raises(ConfigError, match="run B: must be between 1 and 20"):
        RaceConfig.from_dict({"runs": [small().to_dict(), {**small().to_dict(), "d_steps": 99}]})
    with pytest.raises(ConfigError, match="not valid JSON"):
        RaceConfig.from_json("{")
    with pytest.raises(ConfigError, match='expected {"runs"'):
        RaceConfig.from_json('{"configs": []}')


def test_link_round_trip_names_a_and_only_what_the_others_change():
    race = RaceConfig((GANConfig(dataset="grid25", lr_d=2e-4), GANConfig(dataset="grid25", lr_d=2e-4, loss="hinge"),
                       GANConfig(dataset="grid25", lr_d=2e-4)))
    query = race.to_query()
    assert query == {"runs": "3", "dataset": "grid25", "lr_d": "0.0002", "B.loss": "hinge"}
    again, messages = RaceConfig.from_query_lenient(query)
    assert again == race and messages == []


def test_a_bad_link_is_fixed_with_a_message_per_value():
    race, messages = RaceConfig.from_query_lenient(
        {"runs": "9", "loss": "nope", "B.d_steps": "50", "E.loss": "hinge", "C.seed": "4", "B.lr_g": "abc"})
    assert len(race.runs) == MAX_RUNS and race.runs[0].loss == "nonsaturating" and race.runs[1].d_steps == 20
    text = " | ".join(messages)
    for expected in ("runs: 9 is outside 1 to 4", "loss: 'nope' is not one of", "run B: d_steps: 50 is outside",
                     "ignored 'E.loss'", "ignored 'C.seed': every run shares the seed", "run B: lr_g: expected"):
        assert expected in text, (expected, text)
    few, messages = RaceConfig.from_query_lenient({"runs": "2", "C.loss": "hinge"})
    assert len(few.runs) == 2 and "ignored the settings of run C: there are 2 runs" in messages
    inferred, messages = RaceConfig.from_query_lenient({"C.loss": "hinge"})  # no runs=: as many as named
    assert len(inferred.runs) == 3 and inferred.runs[2].loss == "hinge" and messages == []


def test_a_link_builds_on_a_base_config_such_as_a_lesson():
    base = GANConfig(dataset="grid25", lr_d=1e-4, seed=9)
    race, _ = RaceConfig.from_query_lenient({"runs": "2", "B.lr_d": "0.001"}, base=base)
    assert race.runs[0] == base and race.runs[1] == base.replace(lr_d=1e-3)


def test_the_settings_table_flags_exactly_the_differing_settings():
    race = race_of({}, dict(loss="wgan-gp"), dict(d_steps=5, loss="wgan-gp"))
    rows = setting_rows(race)
    names = [r["setting"] for r in rows]
    assert "conditional" not in names and "image_model" not in names  # 2D races: no image settings
    differing = {r["setting"]: r["values"] for r in rows if r["differs"]}
    assert differing == {"loss": ["nonsaturating", "wgan-gp", "wgan-gp"], "d_steps": [1, 1, 5]}
    assert all(len(r["values"]) == 3 and r["group"] for r in rows)
    assert not any(r["differs"] for r in setting_rows(race_of({}, {})))
    image_rows = setting_rows(RaceConfig((image_config("digits"), image_config("digits", conditional=True))))
    assert {r["setting"] for r in image_rows if r["differs"]} == {"conditional"}


# --- training -----------------------------------------------------------------------------------------

def same_run(a: Trainer, b: Trainer) -> bool:
    """Bit for bit the same run: iteration, every weight and buffer, the EMA copy and every history row."""
    states = [(t.G.state_dict(), t.D.state_dict(), t.ema_g.state_dict() if t.ema_g else {}) for t in (a, b)]
    return a.iteration == b.iteration and all(
        torch.equal(x, y) for sa, sb in zip(*states) for x, y in zip(sa.values(), sb.values())
    ) and np.array_equal(a.history.rows(), b.history.rows())


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
    race = Race(race_of(EXPLODING, EXPLODING))
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
        map(tuple, points.astype(np.float32).astype(np.float64).round(5)))
    race.step(3)


def test_a_race_of_digit_runs(tmp_path, monkeypatch):
    monkeypatch.setenv("GANVIZ_CACHE_DIR", str(tmp_path))
    config = RaceConfig((image_config("digits", batch_size=16, seed=1),
                         image_config("digits", batch_size=16, seed=1, loss="hinge")))
    race = Race(config)
    assert race.domain == "images" and race.runs[1].domain.all_images is race.runs[0].domain.all_images  # loaded once
    race.step(4)
    alone = Trainer(config.runs[1], images=race.runs[0].domain.all_images)
    alone.step(4)
    np.testing.assert_array_equal(race.runs[1].history.rows(), alone.history.rows())
    snap = race.snapshot(with_metrics=False)
    assert snap.runs[0].grid.shape[-2:] == (8, 8) and len(snap.runs) == 2


def test_run_metrics_log_takes_one_run_out_of_a_race_log():
    log = [{"iteration": 0, "A": {"iteration": 0, "w1": 1.0}, "B": {"iteration": 0, "w1": 2.0}},
           {"iteration": 10, "A": {"iteration": 10, "w1": 0.5}, "B": {"iteration": 7, "w1": 9.0}},
           {"iteration": 20, "A": {"iteration": 20, "w1": 0.4}, "B": {"iteration": 7, "w1": 9.5}}]
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


# --- live, in a worker process ----------------------------------------------------------------------------

def test_a_live_race_plays_in_a_worker_and_stays_the_same_race():
    live = LiveRun(race_of({}, dict(loss="hinge")), background=True)
    assert live.snapshot.iteration == 0 and set(live.metrics_log[0]) == {"iteration", "A", "B"}
    deadline = time.monotonic() + 60
    while live.iteration < 30:
        assert time.monotonic() < deadline
        live.tick(0.1, 10)
        time.sleep(0.05)
    live.stop()
    race = live.trainer
    assert [t.iteration for t in race.runs] == [race.iteration] * 2 and race.iteration % 10 == 0
    here = Race(race.config)
    here.step(race.iteration)
    for a, b in zip(race.runs, here.runs):
        assert all(torch.equal(p, q) for p, q in zip(a.D.parameters(), b.D.parameters()))
        np.testing.assert_array_equal(a.history.rows(), b.history.rows())
    assert live.snapshot.iteration == race.iteration and live.store.iterations()[-1] == race.iteration


def test_a_live_race_pauses_on_a_divergence_and_continues_without_that_run():
    live = LiveRun(race_of({}, EXPLODING), background=True)
    deadline = time.monotonic() + 60
    while live.trainer.divergence is None:
        assert time.monotonic() < deadline
        live.tick(0.1)
        time.sleep(0.05)
    assert not live.training_in_background and live.trainer.divergence.run == "B"
    live.restore_last_good()  # the page's "continue the other runs"
    behind, start = live.trainer.runs[1].iteration, live.iteration
    live.step()
    assert live.trainer.runs[0].iteration == start + 1 and live.trainer.runs[1].iteration == behind


def test_a_race_of_mnist_runs_on_the_official_test_split(tmp_path, monkeypatch):
    mnist = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"
    if not (mnist / "t10k-images-idx3-ubyte.gz").exists():
        pytest.skip(f"MNIST test split not found in {mnist}")
    monkeypatch.setenv("GANVIZ_MNIST_DIR", str(mnist))
    monkeypatch.setenv("GANVIZ_CACHE_DIR", str(tmp_path))
    race = Race(RaceConfig((image_config("mnist", batch_size=16, device="cpu"),
                            image_config("mnist", batch_size=16, device="cpu", image_model="mlp-003", noise_dim=100))))
    assert race.runs[0].domain.source.startswith("MNIST")
    assert race.runs[1].domain.all_images is race.runs[0].domain.all_images
    race.step(3)
    snap = race.snapshot(with_metrics=False)
    assert [s.grid.shape[-2:] for s in snap.runs] == [(28, 28), (28, 28)] and race.iteration == 3
