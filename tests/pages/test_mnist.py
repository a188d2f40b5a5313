"""AppTest of the Digits page (the page file directly), on scikit-learn's 8×8 digits so it runs in seconds."""

from pathlib import Path
from urllib.error import URLError

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from ganviz.config import IMAGES, setting_names
from ganviz.data import images, mnist
from ganviz.lessons.presets import IMAGE_LESSONS
from support.cache import shared_cache  # noqa: F401  (fixture)
from support.pages import lent_runs, live_figures, live_roles, open_page, page_state_of, query_of

PAGE = str(Path(__file__).resolve().parents[2] / "pages" / "mnist.py")


pytestmark = pytest.mark.usefixtures("shared_cache")  # the judge classifier trains once per session


def page(**query) -> AppTest:
    return open_page(PAGE, {"dataset": "digits", "batch_size": "16", **query})


def state_of(at):
    return page_state_of(at, "DigitsState")


def run_of(at):
    return state_of(at).run


def grid_title(at) -> str:
    return live_figures(at)["mn_main"]["layout"]["title"]["text"]


def status_line(at) -> str:
    return next(m.value for m in at.markdown if m.value.startswith("iteration **0**"))


def test_page_loads_with_the_grid_the_histogram_and_the_charts():
    at = page()
    figs = live_figures(at)
    assert set(figs) == {"mn_main", "mn_histogram", "mn_charts"}
    assert live_roles(at)["mn_main"] == "main-view"
    assert grid_title(at).startswith("iteration 0")
    run = run_of(at)
    assert run.config.dataset == "digits" and run.background
    assert lent_runs(at)["Digits"].run is run  # the Latent and Compare pages may borrow it
    numbers = next(m for m in at.markdown if "classifier's mean confidence" in m.value)
    assert "held-out accuracy" in numbers.help  # how the numbers were judged
    assert "D updates 0" in status_line(at) and "mlp-cpu on scikit-learn's 8×8 digits (1,797 images) ·" in status_line(
        at
    )
    subset = page(digits="17")  # where some digits are left out, the line says which are trained
    assert "mlp-cpu on scikit-learn's 8×8 digits (1,797 images); digits 1, 7 (" in status_line(subset)


def test_every_live_setting_of_image_runs_is_offered_in_collapsed_groups():
    at = page()
    keys = {
        w.key
        for kind in ("slider", "number_input", "select_slider", "selectbox", "toggle", "text_input")
        for w in at.get(kind)
    }
    assert {f"mn_w_{n}" for n in setting_names(IMAGES)} <= keys
    assert not {"mn_w_g_depth", "mn_w_d_width", "mn_w_batch_norm_g"} & keys  # the 2D networks' settings
    assert at.selectbox(key="mn_w_dataset").options == ["mnist", "digits"]
    groups = [e.label for e in at.sidebar.expander]
    assert groups[:3] == ["Loss", "Optimisation", "Tricks"] and "Noise" in groups


def test_step_advances_one_iteration_and_redraws_the_grid():
    at = page()
    at.button(key="mn_step").click().run()
    run = run_of(at)
    assert (run.iteration, run.trainer.d_updates, run.trainer.g_updates) == (1, 1, 1)
    assert grid_title(at).startswith("iteration 1")


def test_reset_starts_again_with_the_same_settings():
    at = page()
    at.button(key="mn_step").click().run()
    old = run_of(at)
    at.button(key="mn_reset").click().run()
    new = run_of(at)
    assert new is not old and new.iteration == 0 and new.config == old.config
    assert lent_runs(at)["Digits"].run is new


def test_a_lesson_sets_its_controls():
    at = page()
    at.selectbox(key="mn_lesson").set_value("digits-conditional").run()
    run = run_of(at)
    expected = IMAGE_LESSONS["digits-conditional"].config()
    assert run.config.conditional and run.config == expected
    assert at.toggle(key="mn_w_conditional").value is True
    assert query_of(at)["lesson"] == "digits-conditional"
    assert any(IMAGE_LESSONS["digits-conditional"].title in i.value for i in at.info)
    ticks = live_figures(at)["mn_main"]["layout"]["yaxis"]["ticktext"]
    assert ticks == [str(d) for d in range(10)]  # one row per digit


def test_the_url_sets_the_run_and_bad_values_say_so():
    at = page(digits="17", digit_weights="3,1", image_model="dcgan", lr_g="5")
    config = run_of(at).config
    assert (config.digit_list(), config.image_model, config.lr_g) == ([1, 7], "dcgan", 5.0)
    assert set(run_of(at).trainer.domain.pool_labels.tolist()) == {1, 7}
    link = query_of(at)
    assert {"digits": "17", "digit_weights": "3,1", "image_model": "dcgan", "lr_g": "5.0"}.items() <= link.items()
    again = open_page(PAGE, link)  # the written link reproduces the run, the model's own defaults included
    assert run_of(again).config == config
    assert run_of(open_page(PAGE, {"dataset": "digits", "image_model": "mlp-003"})).config.noise_dim == 100
    at = page(lr_g="50", loss="nope")
    assert run_of(at).config.lr_g == 10.0
    warnings = " ".join(w.value for w in at.warning)
    assert "lr_g" in warnings and "loss" in warnings


def test_a_2d_dataset_is_refused_and_offline_mnist_falls_back_to_digits_with_a_notice(monkeypatch, tmp_path):
    def offline(*args, **kwargs):
        raise URLError("no network")

    monkeypatch.setattr(mnist, "urlopen", offline)
    monkeypatch.delenv("GANVIZ_MNIST_DIR", raising=False)
    monkeypatch.setenv("GANVIZ_CACHE_DIR", str(tmp_path))  # no MNIST downloaded before either
    images.clear_image_cache()
    try:
        at = page(dataset="ring8")
        assert run_of(at).config.dataset == "mnist"
        assert any("ring8" in w.value for w in at.warning)
        assert run_of(at).trainer.domain.image_data.name == "digits"  # what it could get
        assert any("GANVIZ_MNIST_DIR" in i.value for i in at.info)  # and it says so, with how to get MNIST
    finally:
        images.clear_image_cache()


@pytest.mark.slow  # decodes and trains on the 10,000 MNIST test images
def test_mnist_from_a_local_folder(mnist_dir, monkeypatch):
    def offline(*args, **kwargs):
        raise URLError("no network")

    monkeypatch.setattr(mnist, "urlopen", offline)  # the folder's files only: no download of the other split
    monkeypatch.setenv("GANVIZ_MNIST_DIR", str(mnist_dir))
    images.clear_image_cache()
    try:
        at = open_page(PAGE, {"dataset": "mnist", "digits": "01", "batch_size": "16"})
        run = run_of(at)
        assert run.config.dataset == "mnist" and run.trainer.domain.image_data.name == "mnist"
        assert run.snapshot.grid.shape[-2:] == (28, 28)
        notice = run.trainer.domain.notice  # where only one split is there, the page says what it uses
        assert notice is None or any(i.value == notice for i in at.info)
        assert any("MNIST" in m.value for m in at.markdown if m.value.startswith("iteration **0**"))
        # the test split's zeros and ones, as published: 980 and 1,135
        assert np.bincount(run.trainer.domain.pool_labels.cpu().numpy()).tolist() == [980, 1135]
    finally:
        images.clear_image_cache()


def test_a_live_setting_changes_the_running_trainer():
    at = page()
    at.button(key="mn_step").click().run()
    trainer = run_of(at).trainer
    at.selectbox(key="mn_w_loss").set_value("hinge").run()
    assert run_of(at).trainer is trainer and trainer.config.loss == "hinge" and trainer.iteration == 1
    at.slider(key="mn_w_unrolled_steps").set_value(2).run()  # a live setting the page did not offer before
    assert run_of(at).trainer is trainer and trainer.config.unrolled_steps == 2


def test_nearest_neighbours_are_training_images():
    at = page()
    at.button(key="mn_find_neighbours").click().run()
    samples, neighbours, distances = state_of(at).neighbours
    assert samples.shape == (4, 8, 8) and neighbours.shape == (4, 3, 8, 8)
    assert (distances[:, :-1] <= distances[:, 1:]).all()  # nearest first
    # the samples are the grid's first cells, and each distance is the pixel distance to that training image
    run = run_of(at)
    assert np.array_equal(samples, run.snapshot.grid[0, :4])
    direct = np.sqrt((((samples[:, None] - neighbours) * 2) ** 2).sum(axis=(2, 3)))
    np.testing.assert_allclose(distances, direct, rtol=1e-4, atol=1e-4)
    training = (run.trainer.domain.image_data.images[:, 0] + 1) / 2
    assert all(any(np.array_equal(n, t) for t in training) for n in neighbours[:, 0])
    assert any(c.key == "mn_neighbours_figure" for c in at.get("plotly_chart"))


def test_time_travel_shows_an_earlier_grid_and_resumes_from_it():
    at = page()
    for _ in range(3):
        at.button(key="mn_step").click().run()
    assert run_of(at).store.iterations() == [0, 1, 2, 3]
    next(s for s in at.select_slider if s.label == "recorded iteration").set_value(1).run()
    assert grid_title(at).startswith("iteration 1:")
    assert run_of(at).iteration == 3  # looking back does not change the run
    at.button(key="mn_resume").click().run()
    assert run_of(at).iteration == 1 and run_of(at).store.iterations() == [0, 1]


def test_bad_run_settings_show_an_error_and_keep_the_run():
    at = page()
    at.button(key="mn_step").click().run()
    run = run_of(at)
    at.text_input(key="mn_w_digits").set_value("0a7")
    at.button[[b.label for b in at.button].index("Start a new run with these")].click().run()
    assert any("digits" in e.value and "017" in e.value for e in at.error)
    assert run_of(at) is run and run.iteration == 1  # nothing lost
