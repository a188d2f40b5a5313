"""AppTest of the 2D playground page (the page file directly: see FIELD_NOTES on st.navigation)."""
from pathlib import Path

import pytest
from support.pages import live_figures, open_page
from streamlit.testing.v1 import AppTest

from ganviz.config import GANConfig
from ganviz.lessons.presets import LESSONS

PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "playground.py")
SMALL = {"g_width": "16", "d_width": "16", "batch_size": "32"}  # fast networks through the URL


def page(**query) -> AppTest:
    return open_page(PAGE, {**SMALL, **query})


def run_of(at):
    return at.session_state["pg_run"]


def main_title(at) -> str:
    return live_figures(at)["pg_main"]["layout"]["title"]["text"]


def test_page_loads_with_every_part():
    at = page()
    figures = live_figures(at)
    assert set(figures) == {"pg_overview", "pg_main", "pg_charts"}
    assert [t["type"] for t in figures["pg_main"]["data"]][0] == "heatmap"  # D's surface under the points
    assert main_title(at).startswith("iteration 0")
    assert any("iteration" in m.value for m in at.markdown)
    assert at.button(key="pg_play").label == "Play"
    assert run_of(at).iteration == 0 and run_of(at).background


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


def test_live_setting_changes_the_running_trainer_without_a_new_run():
    at = page()
    at.button(key="pg_step").click().run()
    trainer = run_of(at).trainer
    at.selectbox(key="w_loss").set_value("hinge").run()
    assert run_of(at).trainer is trainer and trainer.config.loss == "hinge" and trainer.iteration == 1
    assert at.query_params["loss"] == ["hinge"] or at.query_params["loss"] == "hinge"


@pytest.mark.parametrize("lesson", [l.name for l in LESSONS][:3])
def test_a_lesson_sets_every_control(lesson):
    at = page()
    at.selectbox(key="pg_lesson").set_value(lesson).run()
    expected = next(l for l in LESSONS if l.name == lesson).config()
    run = run_of(at)
    assert run.config == expected and run.iteration == 0
    for name, value in expected.to_dict().items():
        assert at.session_state["w_" + name] == value, name
    assert any(expected.to_dict() and "Promise" in i.value for i in at.info)


def test_url_round_trips_the_config():
    at = page(lr_d="0.002", loss="least-squares", seed="7", spectral_norm_d="true")
    cfg = run_of(at).config
    assert (cfg.lr_d, cfg.loss, cfg.seed, cfg.spectral_norm_d, cfg.g_width) == (0.002, "least-squares", 7, True, 16)
    query = {k: at.query_params[k] for k in at.query_params}
    flat = {k: (v[0] if isinstance(v, list) else v) for k, v in query.items()}
    assert GANConfig.from_query(flat) == cfg


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
    rendered = {w.key for kind in ("slider", "number_input", "select_slider", "selectbox", "toggle")
                for w in at.get(kind)}
    assert "w_loss" in rendered and "w_lr_d" in rendered
    assert not {"w_label_smoothing", "w_ema", "w_unrolled_steps"} & rendered  # the tricks group is hidden


def test_bad_pasted_csv_shows_its_error_and_keeps_the_run():
    at = page()
    run = run_of(at)
    rows = ["x,y", "1,2", "3,oops"] + [f"{i},{i}" for i in range(12)]
    at.text_area(key="pg_paste").input("\n".join(rows)).run()
    at.button(key="pg_use_paste").click().run()
    assert run_of(at) is run
    assert any("Pasted points" in e.value and "line 3" in e.value for e in at.error)


def test_good_pasted_points_start_a_custom_run():
    at = page()
    rows = "\n".join(f"{i / 10},{(i % 7) / 5}" for i in range(30))
    at.text_area(key="pg_paste").input(rows).run()
    at.button(key="pg_use_paste").click().run()
    run = run_of(at)
    assert run.config.dataset == "custom" and run.trainer.pool.shape[1] == 2


def test_architecture_changes_wait_for_the_form_and_start_a_new_run():
    at = page()
    at.button(key="pg_step").click().run()
    old = run_of(at)
    at.slider(key="w_g_depth").set_value(2).run()
    assert run_of(at) is old and old.config.g_depth == 3  # a form: nothing happens before submitting
    at.slider(key="w_g_depth").set_value(2)
    next(b for b in at.button if b.label == "Start a new run with these").click().run()
    new = run_of(at)
    assert new is not old and new.config.g_depth == 2 and new.iteration == 0


def test_slow_motion_walks_the_eight_stages():
    at = page()
    at.toggle(key="pg_slow").set_value(True).run()
    at.button(key="pg_next_stage").click().run()
    assert run_of(at).iteration == 1 and run_of(at).stage_index == 0
    assert any("Stage 1 of 8" in i.value for i in at.info)
    for _ in range(7):
        at.button(key="pg_next_stage").click().run()
    assert run_of(at).stage_index == 7 and run_of(at).iteration == 1
    assert any("Stage 8 of 8" in i.value for i in at.info)


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
    assert slider.value == 3 and at.session_state["pg_travel"] is None
    assert main_title(at).startswith("iteration 3 ·")
