"""AppTest of the 2D playground page (the page file directly: see FIELD_NOTES on st.navigation)."""

from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from ganviz.config import POINTS, GANConfig, setting_names
from ganviz.lessons.presets import LESSONS
from ganviz.live.turns import Turns
from support.pages import lent_runs, live_figures, live_roles, open_page, page_state_of, query_of

PAGE = str(Path(__file__).resolve().parents[2] / "pages" / "playground.py")
SMALL = {"g_width": "16", "d_width": "16", "batch_size": "32"}  # fast networks through the URL


def page(**query) -> AppTest:
    return open_page(PAGE, {**SMALL, **query})


def state_of(at):
    return page_state_of(at, "PlaygroundState")


def run_of(at):
    return state_of(at).run


def main_title(at) -> str:
    return live_figures(at)["pg_main"]["layout"]["title"]["text"]


def widget_keys(at) -> set[str]:
    return {
        w.key
        for kind in ("slider", "number_input", "select_slider", "selectbox", "toggle", "text_input")
        for w in at.get(kind)
    }


def test_page_loads_with_every_part():
    at = page()
    figures = live_figures(at)
    assert set(figures) == {"pg_overview", "pg_main", "pg_charts"}
    assert live_roles(at)["pg_main"] == "main-view"  # what the browser benchmark counts
    assert [t["type"] for t in figures["pg_main"]["data"]][0] == "heatmap"  # D's surface under the points
    assert main_title(at).startswith("iteration 0")
    assert any("iteration **0** · D updates 0 · G updates 0" in m.value for m in at.markdown)
    assert at.button(key="pg_play").label == "Play"
    assert run_of(at).iteration == 0 and run_of(at).background


def test_every_setting_of_2d_runs_has_its_widget_and_the_new_run_form_holds_the_others():
    at = page()
    keys = widget_keys(at)
    assert {f"pg_w_{n}" for n in setting_names(POINTS)} <= keys
    assert not {f"pg_w_{n}" for n in ("image_model", "digits", "conditional")} & keys  # digit settings only
    (form,) = at.get("form")
    in_form = {
        w.key for kind in ("slider", "number_input", "selectbox", "toggle", "select_slider") for w in form.get(kind)
    }
    live = set(setting_names(POINTS, "live"))
    assert in_form == {f"pg_w_{n}" for n in setting_names(POINTS) if n not in live}
    datasets = at.selectbox(key="pg_w_dataset").options
    assert {"ring8", "grid25", "custom"} <= set(datasets) and not {"mnist", "digits"} & set(datasets)


def test_step_advances_one_iteration():
    at = page()
    at.button(key="pg_step").click().run()
    run = run_of(at)
    assert (run.iteration, run.trainer.d_updates, run.trainer.g_updates) == (1, 1, 1)
    assert any("iteration **1**" in m.value for m in at.markdown)


def test_step_d_and_step_g_move_only_their_network():
    at = page()
    at.button(key="pg_step_d").click().run()
    t = run_of(at).trainer
    assert (t.iteration, t.d_updates, t.g_updates) == (0, 1, 0)
    at.button(key="pg_step_g").click().run()
    t = run_of(at).trainer
    assert (t.iteration, t.d_updates, t.g_updates) == (0, 1, 1)


def test_play_and_pause_switch_the_button_and_record_the_moment():
    at = page()
    at.button(key="pg_play").click().run()
    assert state_of(at).playing and at.button(key="pg_play").label == "Pause"
    at.button(key="pg_play").click().run()
    state = state_of(at)
    assert not state.playing and at.button(key="pg_play").label == "Play"
    assert state.run.store.iterations()[-1] == state.run.iteration  # Pause records where it stopped


@pytest.mark.slow  # starts a worker: about 8 s
def test_a_run_waiting_for_a_training_slot_says_where_it_stands_and_trains_when_its_turn_comes(monkeypatch):
    turns = Turns(slots=1, forget_s=600)  # "another student" asks only once
    monkeypatch.setattr("ganviz.live.run.SERVER_TURNS", turns)  # this server trains one session at a time
    assert turns.ask("another student")
    at = page()
    at.button(key="pg_play").click().run()
    status = " ".join(m.value for m in at.markdown if m.value.startswith("iteration"))
    assert "waiting for a training slot: 1 in line** (1 training, 1 at a time on this server)" in status
    assert run_of(at).iteration == 0 and not at.exception
    at.button(key="pg_step").click().run()  # Step still answers
    assert run_of(at).iteration == 1
    at.button(key="pg_play").click().run()
    turns.leave("another student")
    at.run()
    assert run_of(at).training_in_background and run_of(at).standing().training
    at.button(key="pg_play").click().run()  # Pause: the slot is free again
    assert not run_of(at).standing().training and run_of(at).standing().sessions_training == 0


def test_live_setting_changes_the_running_trainer_without_a_new_run():
    at = page()
    at.button(key="pg_step").click().run()
    trainer = run_of(at).trainer
    at.selectbox(key="pg_w_loss").set_value("hinge").run()
    assert run_of(at).trainer is trainer and trainer.config.loss == "hinge" and trainer.iteration == 1
    assert query_of(at)["loss"] == "hinge"


@pytest.mark.parametrize("lesson", [lesson.name for lesson in LESSONS][:3])
def test_a_lesson_sets_every_control(lesson):
    at = page()
    at.selectbox(key="pg_lesson").set_value(lesson).run()
    preset = next(p for p in LESSONS if p.name == lesson)
    expected = preset.config()
    run = run_of(at)
    assert run.config == expected and run.iteration == 0
    for name in setting_names(POINTS):
        assert at.session_state["pg_w_" + name] == getattr(expected, name), name
    (note,) = [i.value for i in at.info if "Promise" in i.value]
    assert preset.title in note and preset.promise in note
    assert query_of(at)["lesson"] == lesson


def test_reset_builds_new_networks_with_the_same_settings():
    at = page(loss="hinge")
    at.button(key="pg_step").click().run()
    old = run_of(at)
    at.button(key="pg_reset").click().run()
    new = run_of(at)
    assert new is not old and new.iteration == 0 and new.config == old.config


def test_url_round_trips_the_config():
    at = page(lr_d="0.002", loss="least-squares", seed="7", spectral_norm_d="true")
    cfg = run_of(at).config
    assert (cfg.lr_d, cfg.loss, cfg.seed, cfg.spectral_norm_d, cfg.g_width) == (0.002, "least-squares", 7, True, 16)
    assert GANConfig.from_query(query_of(at)) == cfg


def test_an_image_dataset_in_the_url_is_refused_with_a_message():
    at = page(dataset="mnist")
    assert run_of(at).config.dataset == "ring8"
    assert any("mnist" in w.value and "2D" in w.value for w in at.warning)


def test_bad_url_values_are_clamped_or_refused_with_a_message():
    at = page(lr_d="50", loss="nope", g_depth="x", zzz="1", hide="tricks,bogus")
    cfg = run_of(at).config
    assert cfg.lr_d == 10.0 and cfg.loss == "nonsaturating" and cfg.g_depth == GANConfig().g_depth
    warnings = " ".join(w.value for w in at.warning)
    for text in ("lr_d", "loss", "g_depth", "zzz", "bogus"):
        assert text in warnings, text
    rendered = widget_keys(at)
    assert "pg_w_loss" in rendered and "pg_w_lr_d" in rendered
    assert not {"pg_w_label_smoothing", "pg_w_ema", "pg_w_unrolled_steps"} & rendered  # the tricks group is hidden
    assert query_of(at)["hide"] == "tricks"  # the link keeps what it could use


def test_hiding_parts_of_the_page():
    at = page(hide="playback,charts,downloads,time-travel,layers,lessons")
    assert set(live_figures(at)) == {"pg_overview", "pg_main"}
    keys = {b.key for b in at.button}
    assert not {"pg_play", "pg_step", "pg_reset"} & keys
    assert "pg_lesson" not in widget_keys(at) and "pg_layer_arrows" not in widget_keys(at)
    assert not [e for e in at.expander if e.label.startswith(("Time travel", "Download"))]


def test_bad_pasted_csv_shows_its_error_and_keeps_the_run():
    at = page()
    run = run_of(at)
    rows = ["x,y", "1,2", "3,oops"] + [f"{i},{i}" for i in range(12)]
    at.text_area(key="pg_paste").input("\n".join(rows)).run()
    at.button(key="pg_use_paste").click().run()
    assert run_of(at) is run
    assert any("Pasted points" in e.value and "line 3" in e.value for e in at.error)


def test_good_pasted_points_start_a_custom_run_that_other_pages_may_borrow():
    at = page()
    points = [(i / 10, (i % 7) / 5) for i in range(30)]
    at.text_area(key="pg_paste").input("\n".join(f"{x},{y}" for x, y in points)).run()
    at.button(key="pg_use_paste").click().run()
    run = run_of(at)
    assert run.config.dataset == "custom"
    drawn = {tuple(p) for p in run.trainer.domain.pool.cpu().numpy().tolist()}  # the data resampled: only ours
    assert drawn == {tuple(p) for p in np.float32(points).tolist()}
    lent = lent_runs(at)["2D playground"]
    assert lent.run is run and lent.points.tolist() == [list(p) for p in points]


def test_architecture_changes_wait_for_the_form_and_start_a_new_run():
    at = page()
    at.button(key="pg_step").click().run()
    old = run_of(at)
    at.slider(key="pg_w_g_depth").set_value(2).run()
    assert run_of(at) is old and old.config.g_depth == 3  # a form: nothing happens before submitting
    at.slider(key="pg_w_g_depth").set_value(2)
    next(b for b in at.button if b.label == "Start a new run with these").click().run()
    new = run_of(at)
    assert new is not old and new.config.g_depth == 2 and new.iteration == 0
    assert lent_runs(at)["2D playground"].run is new  # the new run is the one lent


def test_slow_motion_walks_the_eight_stages():
    at = page()
    at.toggle(key="pg_slow").set_value(True).run()
    assert at.button(key="pg_play").disabled
    at.button(key="pg_next_stage").click().run()
    assert run_of(at).iteration == 1 and run_of(at).stage_index == 0
    assert any("Stage 1 of 8" in i.value for i in at.info)
    for _ in range(7):
        at.button(key="pg_next_stage").click().run()
    assert run_of(at).stage_index == 7 and run_of(at).iteration == 1
    assert any("Stage 8 of 8" in i.value for i in at.info)
    assert at.button(key="pg_next_stage").label == "Next iteration, stage by stage"


def test_time_travel_shows_a_past_moment_and_resumes_from_it():
    at = page()
    for _ in range(3):
        at.button(key="pg_step").click().run()
    assert run_of(at).store.iterations() == [0, 1, 2, 3]
    slider = next(s for s in at.select_slider if s.label == "recorded iteration")
    assert slider.value == 3  # the newest moment
    slider.set_value(1).run()
    assert main_title(at).startswith("iteration 1 ·")
    assert run_of(at).iteration == 3  # looking back does not change the run
    at.button(key="pg_resume").click().run()
    run = run_of(at)
    assert run.iteration == 1 and len(run.trainer.history) == 1 and run.store.iterations() == [0, 1]


def test_pausing_shows_the_newest_moment_even_after_looking_back():
    at = page()
    for _ in range(2):
        at.button(key="pg_step").click().run()
    next(s for s in at.select_slider if s.label == "recorded iteration").set_value(0).run()
    assert main_title(at).startswith("iteration 0 ·")
    at.button(key="pg_step").click().run()  # stepping leaves time travel
    slider = next(s for s in at.select_slider if s.label == "recorded iteration")
    assert slider.value == 3 and state_of(at).travel is None
    assert main_title(at).startswith("iteration 3 ·")


def test_a_diverging_run_offers_the_last_finite_state_and_the_last_recorded_moment():
    at = page(optimizer_d="sgd", optimizer_g="sgd", lr_d="10", lr_g="10", r1_weight="0", ema="0", loss="least-squares")
    for _ in range(8):
        if run_of(at).trainer.divergence is not None:
            break
        at.button(key="pg_step").click().run()
    run = run_of(at)
    assert run.trainer.divergence is not None
    assert any("diverged" in e.value for e in at.error)
    assert at.button(key="pg_step").disabled and at.button(key="pg_play").disabled
    labels = {b.key: b.label for b in at.button}
    assert labels["pg_restore"] == f"Continue from iteration {run.iteration:,}, the last finite state"
    assert labels["pg_restore_recorded"].startswith(f"Go back to iteration {run.store.iterations()[-1]:,}")
    at.button(key="pg_restore").click().run()
    assert run_of(at).trainer.divergence is None and not at.button(key="pg_step").disabled
