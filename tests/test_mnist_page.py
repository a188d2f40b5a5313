"""AppTest of the Digits page (the page file directly), on scikit-learn's 8×8 digits so it runs in seconds."""
from pathlib import Path

from urllib.error import URLError

import pytest
from support.pages import live_figures, open_page
from streamlit.testing.v1 import AppTest

from ganviz.data import images, mnist
from ganviz.lessons.presets import IMAGE_LESSONS

PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "digits.py")


@pytest.fixture(autouse=True)
def cache(tmp_path_factory, monkeypatch):
    root = tmp_path_factory.getbasetemp() / "digits-page-cache"  # one classifier training for the module
    monkeypatch.setenv("GANVIZ_CACHE_DIR", str(root))


def page(**query) -> AppTest:
    return open_page(PAGE, {"dataset": "digits", "batch_size": "16", **query})


def run_of(at):
    return at.session_state["mn_run"]


def test_page_loads_with_the_grid_the_histogram_and_the_charts():
    at = page()
    figs = live_figures(at)
    assert set(figs) == {"mn_samples", "mn_histogram", "mn_charts"}
    assert figs["mn_samples"]["layout"]["title"]["text"].startswith("iteration 0")
    assert run_of(at).config.dataset == "digits" and run_of(at).background
    assert any("classifier's mean confidence" in m.value for m in at.markdown)
    assert any("held-out accuracy" in c.value for c in at.caption)


def test_step_advances_one_iteration_and_redraws_the_grid():
    at = page()
    at.button(key="mn_step").click().run()
    run = run_of(at)
    assert (run.iteration, run.trainer.d_updates, run.trainer.g_updates) == (1, 1, 1)
    assert live_figures(at)["mn_samples"]["layout"]["title"]["text"].startswith("iteration 1")


def test_a_lesson_sets_its_controls():
    at = page()
    at.selectbox(key="mn_lesson").set_value("digits-conditional").run()
    run = run_of(at)
    expected = IMAGE_LESSONS["digits-conditional"].config()
    assert run.config.conditional and run.config == expected
    assert at.toggle(key="mw_conditional").value is True
    assert at.query_params["lesson"] == ["digits-conditional"] or at.query_params["lesson"] == "digits-conditional"
    ticks = live_figures(at)["mn_samples"]["layout"]["yaxis"]["ticktext"]
    assert ticks == [str(d) for d in range(10)]  # one row per digit


def test_the_url_sets_the_run_and_bad_values_say_so():
    at = page(digits="17", digit_weights="3,1", image_model="dcgan", lr_g="5")
    config = run_of(at).config
    assert (config.digit_list(), config.image_model, config.lr_g) == ([1, 7], "dcgan", 5.0)
    assert set(run_of(at).trainer.pool_labels.tolist()) == {1, 7}
    at = page(lr_g="50", loss="nope")
    assert run_of(at).config.lr_g == 10.0
    warnings = " ".join(w.value for w in at.warning)
    assert "lr_g" in warnings and "loss" in warnings


def test_a_2d_dataset_is_refused_and_offline_mnist_falls_back_to_digits_with_a_notice(monkeypatch):
    def offline(*args, **kwargs):
        raise URLError("no network")
    monkeypatch.setattr(mnist, "urlopen", offline)
    monkeypatch.delenv("GANVIZ_MNIST_DIR", raising=False)
    images.clear_image_cache()
    at = page(dataset="ring8")
    assert run_of(at).config.dataset == "mnist"
    assert any("ring8" in w.value for w in at.warning)
    assert run_of(at).trainer.image_data.name == "digits"  # what it could get
    assert any("GANVIZ_MNIST_DIR" in i.value for i in at.info)  # and it says so, with how to get MNIST
    images.clear_image_cache()


def test_a_live_setting_changes_the_running_trainer():
    at = page()
    at.button(key="mn_step").click().run()
    trainer = run_of(at).trainer
    at.selectbox(key="mw_loss").set_value("hinge").run()
    assert run_of(at).trainer is trainer and trainer.config.loss == "hinge" and trainer.iteration == 1


def test_nearest_neighbours_are_training_images():
    at = page()
    at.button(key="mn_find_neighbours").click().run()
    samples, neighbours, distances = at.session_state["mn_neighbours"]
    assert samples.shape == (4, 8, 8) and neighbours.shape == (4, 3, 8, 8)
    assert (distances[:, :-1] <= distances[:, 1:]).all()  # nearest first
    assert any(c.key == "mn_neighbours_figure" for c in at.get("plotly_chart"))


def test_time_travel_shows_an_earlier_grid_and_resumes_from_it():
    at = page()
    for _ in range(3):
        at.button(key="mn_step").click().run()
    assert run_of(at).store.iterations() == [0, 1, 2, 3]
    next(s for s in at.select_slider if s.label == "recorded iteration").set_value(1).run()
    assert live_figures(at)["mn_samples"]["layout"]["title"]["text"].startswith("iteration 1:")
    assert run_of(at).iteration == 3  # looking back does not change the run
    at.button(key="mn_resume").click().run()
    assert run_of(at).iteration == 1 and run_of(at).store.iterations() == [0, 1]


def test_bad_run_settings_show_an_error_and_keep_the_run():
    at = page()
    at.button(key="mn_step").click().run()
    run = run_of(at)
    at.text_input(key="mw_digits").set_value("0a7")
    at.button[[b.label for b in at.button].index("Start a new run with these")].click().run()
    assert any("digits" in e.value and "017" in e.value for e in at.error)
    assert run_of(at) is run and run.iteration == 1  # nothing lost
