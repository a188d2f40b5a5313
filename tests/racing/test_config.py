"""Race configs: 1-4 runs sharing data, seed and device; what each run changes from A; links, JSON and the table."""

import pytest

from ganviz import ConfigError, GANConfig
from ganviz.config import image_config
from ganviz.racing.config import MAX_RUNS, RaceConfig, setting_rows
from support.runs import SMALL


def small(**changes) -> GANConfig:
    return GANConfig(**{**SMALL, "device": "cpu", **changes})


def race_of(*changes, **shared) -> RaceConfig:
    return RaceConfig(tuple(small(**shared, **c) for c in changes))


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
    race = RaceConfig(
        (
            GANConfig(dataset="grid25", lr_d=2e-4),
            GANConfig(dataset="grid25", lr_d=2e-4, loss="hinge"),
            GANConfig(dataset="grid25", lr_d=2e-4),
        )
    )
    query = race.to_query()
    assert query == {"runs": "3", "dataset": "grid25", "lr_d": "0.0002", "B.loss": "hinge"}
    again, messages = RaceConfig.from_query_lenient(query)
    assert again == race and messages == []


def test_a_bad_link_is_fixed_with_a_message_per_value():
    race, messages = RaceConfig.from_query_lenient(
        {"runs": "9", "loss": "nope", "B.d_steps": "50", "E.loss": "hinge", "C.seed": "4", "B.lr_g": "abc"}
    )
    assert len(race.runs) == MAX_RUNS and race.runs[0].loss == "nonsaturating" and race.runs[1].d_steps == 20
    text = " | ".join(messages)
    for expected in (
        "runs: 9 is outside 1 to 4",
        "loss: 'nope' is not one of",
        "run B: d_steps: 50 is outside",
        "ignored 'E.loss'",
        "ignored 'C.seed': every run shares the seed",
        "run B: lr_g: expected",
    ):
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
