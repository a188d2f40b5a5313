"""AppTest of the Compare page (the page file directly: see FIELD_NOTES on st.navigation)."""

import urllib.parse
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from ganviz.config import GANConfig
from ganviz.live.run import LiveRun
from ganviz.racing.comparisons import COMPARISONS, DEFAULT_COMPARISON
from ganviz.racing.config import RaceConfig
from pages._session import LENT_RUNS, LentRun
from support.cache import shared_cache  # noqa: F401  (fixture)
from support.pages import live_figures, live_roles, open_page, page_state_of, query_of

PAGE = str(Path(__file__).resolve().parents[2] / "pages" / "compare.py")
SMALL = {"g_width": "16", "d_width": "16", "g_depth": "2", "d_depth": "2", "batch_size": "32"}  # fast networks


pytestmark = pytest.mark.usefixtures("shared_cache")  # the judge classifier trains once per session


def page(**query) -> AppTest:
    return open_page(PAGE, {"runs": "2", **SMALL, "B.loss": "hinge", **query})


def state_of(at):
    return page_state_of(at, "CompareState")


def live(at):
    return state_of(at).run


def race_config(at) -> RaceConfig:
    return live(at).config


def surfaces(figure: dict) -> list[dict]:
    return [t for t in figure["data"] if t["type"] == "heatmap"]


def table(at):
    (frame,) = at.dataframe
    return frame.value


def link(at) -> dict[str, str]:
    code = at.code[0].value  # the comparison's own link (the teacher's link builder follows it)
    return dict(urllib.parse.parse_qsl(code.split("?", 1)[1]))


def status(at) -> str:
    return next(m.value for m in at.markdown if m.value.startswith("iteration **"))


def test_the_default_comparison_explains_itself_and_races_two_runs():
    at = open_page(PAGE, {})
    expected = COMPARISONS[DEFAULT_COMPARISON]
    assert race_config(at) == expected.config()
    assert any(expected.watch in i.value for i in at.info)
    figures = live_figures(at)
    assert set(figures) == {"cp_main", "cp_charts"}
    assert live_roles(at)["cp_main"] == "main-view"
    assert len(surfaces(figures["cp_main"])) == 2
    assert set(table(at)["setting"]) == {"loss", "d_steps"}
    assert link(at) == {"runs": "2", "B.loss": "wgan-gp", "B.d_steps": "5"}
    assert status(at).startswith("iteration **0** · 2 runs · seed 0 · device **")


def test_step_trains_every_run_one_iteration_and_the_view_shows_them_side_by_side():
    at = page()
    at.button(key="cp_step").click().run()
    race = live(at).trainer
    assert [t.iteration for t in race.runs] == [1, 1]
    view = live_figures(at)["cp_main"]
    assert [(t["meta"]["run"], t["meta"]["kind"]) for t in surfaces(view)] == [("A", "surface"), ("B", "surface")]
    layout = view["layout"]
    assert layout["xaxis2"]["matches"] == "x" and layout["yaxis2"]["matches"] == "y"  # zoom one, zoom both
    texts = [a["text"] for a in layout["annotations"]]
    assert "iteration 1" in texts[0] and "B: loss hinge" in texts[1]
    charts = live_figures(at)["cp_charts"]
    runs = {(t.get("meta") or {}).get("run") for t in charts["data"]} - {None, "floor"}
    assert runs == {"A", "B"}
    assert "iteration **1**" in status(at)


def test_playing_trains_the_runs_in_worker_processes_and_says_so():
    at = page()
    at.button(key="cp_play").click().run()  # AppTest runs the timer fragment once: one tick
    try:
        assert state_of(at).playing and at.button(key="cp_play").label == "Pause"
        workers = len(live(at).workers)
        assert workers == 2 and "2 runs · 2 worker processes" in status(at)
    finally:
        at.button(key="cp_play").click().run()
    assert not state_of(at).playing and live(at).workers == [] and "worker" not in status(at)


def test_changing_one_setting_of_a_run_restarts_the_race_with_the_change():
    at = page()
    at.button(key="cp_step").click().run()
    at.selectbox(key="cp_pick_1").set_value("d_steps").run()
    (value_key,) = [k for k in at.session_state if str(k).startswith("cp_value_") and str(k).endswith("_1_d_steps")]
    assert at.session_state[value_key] == 1 and at.button(key="cp_apply_1").disabled
    at.slider(key=value_key).set_value(3).run()
    at.button(key="cp_apply_1").click().run()
    config = race_config(at)
    assert config.runs[1].d_steps == 3 and config.runs[1].loss == "hinge" and config.runs[0].d_steps == 1
    assert live(at).trainer.iteration == 0  # a new race: every run starts together again
    rows = table(at).set_index("setting")
    assert rows.loc["d_steps", "A"] == "1" and rows.loc["d_steps", "B"] == "3" and "loss" in rows.index
    assert link(at)["B.d_steps"] == "3"


def test_adding_and_removing_runs():
    at = page()
    at.selectbox(key="cp_add").set_value("a copy of run B").run()
    at.button(key="cp_add_button").click().run()
    config = race_config(at)
    assert config.names == ("A", "B", "C") and config.runs[2] == config.runs[1]
    assert len(surfaces(live_figures(at)["cp_main"])) == 3
    lesson = "2D lesson: Mode collapse"
    assert not [s for s in at.selectbox(key="cp_add").options if s.startswith(("Digits", "MNIST"))]  # 2D runs only
    at.selectbox(key="cp_add").set_value(lesson).run()
    at.button(key="cp_add_button").click().run()
    config = race_config(at)
    assert len(config.runs) == 4 and config.runs[3].lr_d == 1e-4  # the lesson's settings ...
    assert config.runs[3].dataset == config.runs[0].dataset and config.runs[3].seed == config.runs[0].seed  # our data
    assert "cp_add_button" not in [b.key for b in at.button]  # four runs: no more to add
    at.button(key="cp_remove_0").click().run()
    assert race_config(at).runs[0].loss == "hinge" and len(race_config(at).runs) == 3


def test_the_data_and_seed_apply_to_every_run():
    at = page()
    at.selectbox(key="cp_dataset").set_value("grid25").run()
    at.number_input(key="cp_seed").set_value(5).run()
    at.button(key="cp_apply_shared").click().run()
    config = race_config(at)
    assert [(c.dataset, c.seed) for c in config.runs] == [("grid25", 5)] * 2 and config.runs[1].loss == "hinge"
    at.selectbox(key="cp_dataset").set_value("digits").run()  # the other kind of run: its own defaults
    at.button(key="cp_apply_shared").click().run()
    config = race_config(at)
    assert config.domain == "images" and config.runs[0].seed == 5 and config.runs[0].noise_dim == 64
    assert config.runs[0] == config.runs[1]


def test_a_named_comparison_from_the_sidebar_and_from_a_link():
    at = page()
    title = f"Comparison: {COMPARISONS['spectral-norm'].title}"
    at.selectbox(key="cp_start").set_value(title).run()
    at.button(key="cp_start_button").click().run()
    assert race_config(at) == COMPARISONS["spectral-norm"].config()
    assert any(COMPARISONS["spectral-norm"].watch in i.value for i in at.info)
    linked = open_page(PAGE, {"comparison": "balance"})
    assert race_config(linked).names == ("A", "B", "C")
    assert linked.selectbox(key="cp_start").value == f"Comparison: {COMPARISONS['balance'].title}"
    again = open_page(PAGE, link(linked))  # the written link reproduces the comparison
    assert race_config(again) == COMPARISONS["balance"].config()


def test_copies_of_a_lesson_start_a_comparison_of_two_equal_runs():
    at = page()
    at.selectbox(key="cp_start").set_value("Copies of 2D lesson: Mode collapse").run()
    at.button(key="cp_start_button").click().run()
    config = race_config(at)
    assert config.runs[0] == config.runs[1] and config.runs[0].lr_d == 1e-4
    assert not at.dataframe and any("same settings" in c.value for c in at.caption)
    at.toggle(key="cp_all_settings").set_value(True).run()
    assert len(table(at)) > 30  # every setting, none highlighted


def test_other_pages_runs_are_found_only_through_the_runs_they_lend():
    points = np.random.default_rng(0).normal(size=(50, 2))
    playground = LiveRun(
        GANConfig(dataset="custom", loss="hinge", g_width=16, d_width=16, batch_size=32), points=points
    )
    at = AppTest.from_file(PAGE, default_timeout=180)
    for k, v in {"runs": "2", **SMALL}.items():
        at.query_params[k] = v
    at.session_state[LENT_RUNS] = {"2D playground": LentRun("2D playground", playground, points)}
    at.run()
    assert not at.exception
    source = "Copies of 2D playground: the current settings there"
    assert source in at.selectbox(key="cp_start").options
    at.selectbox(key="cp_start").set_value(source).run()
    at.button(key="cp_start_button").click().run()
    config = race_config(at)
    assert config.runs == (playground.config, playground.config)
    assert state_of(at).points is points and "custom" in at.selectbox(key="cp_dataset").options
    drawn = {tuple(p) for p in live(at).trainer.runs[1].domain.pool.cpu().numpy().tolist()}
    assert drawn <= {tuple(p) for p in np.float32(points).tolist()}  # the runs train on the playground's points


def test_a_bad_link_is_fixed_with_messages_and_loses_nothing():
    at = open_page(
        PAGE, {**SMALL, "runs": "9", "B.d_steps": "50", "E.loss": "hinge", "C.seed": "3", "comparison": "nope"}
    )
    warnings = " | ".join(w.value for w in at.warning)
    for expected in (
        "comparison 'nope' does not exist",
        "runs: 9 is outside 1 to 4",
        "run B: d_steps: 50 is outside",
        "ignored 'E.loss'",
        "every run shares the seed",
    ):
        assert expected in warnings, (expected, warnings)
    config = race_config(at)
    assert len(config.runs) == 4 and config.runs[1].d_steps == 20 and config.runs[0].g_width == 16


def test_a_diverging_run_stops_the_race_until_the_others_go_on_without_it():
    exploding = {
        "B.optimizer_d": "sgd",
        "B.optimizer_g": "sgd",
        "B.lr_d": "10",
        "B.lr_g": "10",
        "B.r1_weight": "0",
        "B.ema": "0",
        "B.loss": "least-squares",
    }
    at = page(**exploding)
    for _ in range(6):
        if live(at).trainer.divergence is not None:
            break
        at.button(key="cp_step").click().run()
    race = live(at).trainer
    assert race.divergence is not None and race.divergence.run == "B"
    assert any("Run B diverged" in e.value for e in at.error)
    assert at.button(key="cp_step").disabled and at.button(key="cp_play").disabled
    at.button(key="cp_continue").click().run()
    behind, start = race.runs[1].iteration, race.runs[0].iteration
    assert not at.button(key="cp_step").disabled
    at.button(key="cp_step").click().run()
    assert (race.runs[0].iteration, race.runs[1].iteration) == (start + 1, behind)
    titles = [a["text"] for a in live_figures(at)["cp_main"]["layout"]["annotations"]]
    assert "diverged at iteration" in titles[1] and "diverged" not in titles[0]


def test_time_travel_shows_an_earlier_moment_of_every_run_and_resumes_from_it():
    at = page()
    for _ in range(3):
        at.button(key="cp_step").click().run()
    assert live(at).store.iterations() == [0, 1, 2, 3]
    next(s for s in at.select_slider if s.label == "recorded iteration").set_value(1).run()
    titles = [a["text"] for a in live_figures(at)["cp_main"]["layout"]["annotations"]]
    assert all("iteration 1" in t for t in titles[:2])
    assert live(at).trainer.iteration == 3  # looking back does not change the race
    at.button(key="cp_resume").click().run()
    assert [t.iteration for t in live(at).trainer.runs] == [1, 1] and live(at).store.iterations() == [0, 1]


def test_a_digits_race_draws_sample_grids_and_image_metrics():
    at = open_page(PAGE, {"dataset": "digits", "runs": "2", "batch_size": "16", "B.conditional": "true"})
    config = race_config(at)
    assert config.domain == "images" and config.runs[1].conditional and not config.runs[0].conditional
    view = live_figures(at)["cp_main"]
    assert [t["type"] for t in view["data"]] == ["heatmap", "heatmap"]
    assert view["layout"]["yaxis"]["autorange"] == "reversed"
    assert "digits" in view["layout"]["annotations"][0]["text"]
    at.button(key="cp_step").click().run()
    kinds = {(t.get("meta") or {}).get("kind") for t in live_figures(at)["cp_charts"]["data"]}
    assert {"fid", "classes_covered", "mean_confidence", "loss_d"} <= kinds and "js" not in kinds
    options = at.selectbox(key="cp_pick_0").options  # shown as "name (group)"
    assert "loss (loss)" in options and "image model (images)" in options
    assert "g depth (networks)" not in options  # digit runs have no 2D networks to change
    adds = at.selectbox(key="cp_add").options
    assert any(s.startswith("Digits lesson") for s in adds) and not any(s.startswith("2D") for s in adds)


def test_the_page_keeps_the_link_in_the_address_bar():
    at = page()
    assert query_of(at) == race_config(at).to_query()
    assert RaceConfig.from_query_lenient(link(at))[0] == race_config(at)
    assert GANConfig(**{k: int(v) for k, v in SMALL.items()}).to_query().items() <= link(at).items()
