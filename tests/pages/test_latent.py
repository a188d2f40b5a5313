"""AppTest of the Latent page (the page file directly): quick-training its own runs, looking inside runs
other pages lend, each section, 2D and digits runs. Quick-training is cut to a few hundred iterations
through the page's state (`quick_iterations`) so each test takes seconds."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from ganviz import GANConfig, image_config
from ganviz.latent import probe
from ganviz.live.run import LiveRun
from ganviz.metrics.judge import predict
from support.cache import shared_cache  # noqa: F401  (fixture)
from support.pages import caption_under, open_page, plotly_array

ROOT = Path(__file__).resolve().parents[2]
PAGE = str(ROOT / "pages" / "latent.py")
SECTIONS = [
    "Which run",
    "Interpolation and arithmetic",
    "The truncation trick",
    "The discriminator's embedding space",
    "FGSM from noise: a discriminator cannot generate",
]
OTHER_PAGES_KEYS = ("pg_", "mn_", "w_", "mw_", "cp_", "lent_runs")  # the Latent page writes none of them


pytestmark = pytest.mark.usefixtures("shared_cache")  # the judge classifier trains once per session


def figures(at) -> dict[str, dict]:
    return {c.key: json.loads(c.proto.spec) for c in at.get("plotly_chart") if c.key}


def traces(fig: dict, kind: str) -> list[dict]:
    return [t for t in fig["data"] if (t.get("meta") or {}).get("kind") == kind]


def picture(fig: dict) -> np.ndarray:
    """The grey picture (rows, columns) of an image figure: its heatmap's z, 2D."""
    z = fig["data"][0]["z"]
    if isinstance(z, dict):  # a typed array: shape "rows, columns"
        return plotly_array(z, float).reshape([int(n) for n in z["shape"].split(",")])
    return np.asarray(z, dtype=float)


def cells(grid: np.ndarray, rows: int, columns: int, side: int = 8) -> np.ndarray:
    """The pictures of a grid figure's picture (cells `side` pixels wide, 1 pixel apart), back on G's scale
    [−1, 1]: (rows·columns, 1, side, side), row by row."""
    step = side + 1
    parts = [grid[r * step : r * step + side, c * step : c * step + side] for r in range(rows) for c in range(columns)]
    return (np.stack(parts)[:, None] * 2 - 1).astype(np.float32)


def tally_said(text: str) -> Counter:
    """The digits and counts a sentence lists as "1 (23) and 7 (17)"."""
    return Counter({int(d): int(n) for d, n in re.findall(r"\b(\d) \((\d+)\)", text)})


def points(t: dict) -> np.ndarray:
    return np.column_stack([plotly_array(t["x"], float), plotly_array(t["y"], float)])


def latent_state(at: AppTest):
    """The page's own state object (its `LatentState`)."""
    (state,) = [v for k, v in at.session_state.items() if str(k).endswith(".LatentState")]
    return state


def quick_trained(which: str = "points", iterations: int = 300, at: AppTest | None = None) -> AppTest:
    at = at or open_page(PAGE, {})
    latent_state(at).quick_iterations = iterations
    at.button(key=f"lt_quick_{which}").click().run()
    assert not at.exception, at.exception
    return at


def own_run(at: AppTest, what: str = "2D GAN") -> LiveRun:
    return latent_state(at).own[f"quick-trained {what}"]


def open_with_lent_runs(lent: dict[str, LiveRun]) -> AppTest:
    """The Latent page in a session where other pages lent `lent` (title -> run), as they do with lend_run."""

    def page_after_lending(page: str, lent: dict) -> None:
        import runpy

        from pages._session import lend_run

        for title, run in lent.items():
            lend_run(title, run)
        runpy.run_path(page, run_name="__main__")

    at = AppTest.from_function(page_after_lending, default_timeout=180, kwargs=dict(page=PAGE, lent=lent))
    at.run()
    assert not at.exception, at.exception
    return at


def test_without_a_run_it_offers_quick_training_and_keeps_its_run_to_itself():
    at = open_page(PAGE, {})
    assert [t.value for t in at.title] == ["Latent"] and [h.value for h in at.header] == ["Which run"]
    assert any("none has been trained yet" in i.value for i in at.info)
    assert {b.key for b in at.button} == {"lt_quick_points", "lt_quick_images"} and not at.get("plotly_chart")

    quick_trained("points", at=at)
    assert [h.value for h in at.header] == SECTIONS
    run = own_run(at)
    assert isinstance(run, LiveRun) and run.iteration == 300 and run.config == GANConfig()
    assert at.radio(key="lt_source").value == "quick-trained 2D GAN"
    assert at.radio(key="lt_source").options == ["quick-trained 2D GAN"]
    assert any("iteration **300**" in m.value for m in at.markdown)
    assert any("trained only 300 iterations" in w.value and "Train it more here" in w.value for w in at.warning)
    assert {"lt_pick", "lt_profile", "lt_arithmetic", "lt_truncated", "lt_sweep", "lt_pca"} <= set(figures(at))
    assert [b.key for b in at.button if b.key == "lt_quick_images"] == ["lt_quick_images"]  # digits: still offered
    # the run is the Latent page's own: no other page's state is written, nothing is lent
    assert not [k for k in at.session_state.keys() if str(k).startswith(OTHER_PAGES_KEYS)]


def test_a_run_another_page_lends_is_looked_at_not_changed():
    lent = LiveRun(GANConfig(dataset="ring8", seed=3))
    lent.trainer.step(200)
    state_before = lent.trainer.get_state()
    at = open_with_lent_runs({"2D playground": lent})
    assert at.radio(key="lt_source").options == ["2D playground"] and at.radio(key="lt_source").value == "2D playground"
    assert any("**2D playground**: ring8 · iteration **200**" in m.value for m in at.markdown)
    assert any("Train it more on its page" in w.value for w in at.warning)
    keys = {b.key for b in at.button}
    assert "lt_more" not in keys and "lt_quick_points" not in keys and "lt_quick_images" in keys  # digits: none yet
    fake = lent.snapshot.fake  # the clickable fakes are the lending page's
    assert np.allclose(points(traces(figures(at)["lt_pick"], "fake")[0]), fake, atol=1e-6)
    at.button(key="lt_fgsm").click().run()
    assert not at.exception and "lt_fgsm_paths" in figures(at)
    assert lent.iteration == 200  # looked at, not trained
    after = lent.trainer.get_state()
    for which in ("G", "D"):
        for name, tensor in state_before[which].items():
            assert (after[which][name] == tensor).all(), name


def test_a_lent_digits_run_is_drawn_as_pictures():
    lent = LiveRun(image_config("digits", image_model="mlp-cpu", conditional=True, digits="17", seed=0))
    lent.trainer.step(20)
    at = open_with_lent_runs({"Digits": lent})
    assert at.radio(key="lt_source").options == ["Digits"]
    assert any(
        "**Digits**: digits · mlp-cpu · conditional · digits 17 · iteration **20**" in m.value for m in at.markdown
    )
    figs = figures(at)
    assert {"lt_grid", "lt_strip", "lt_profile", "lt_arithmetic", "lt_switched", "lt_truncated", "lt_sweep"} <= set(
        figs
    )
    assert "lt_pick" not in figs and picture(figs["lt_truncated"]).shape == (4 * 9 - 1, 10 * 9 - 1)
    assert list(figs["lt_switched"]["layout"]["xaxis"]["ticktext"]) == ["1", "7"]  # the run's digits
    assert at.selectbox(key="lt_path_digit").options == ["1", "7"]
    assert {b.key for b in at.button} >= {"lt_quick_points", "lt_fgsm"}  # a 2D run may be quick-trained here
    assert any("coloured by their label" in c.value for c in at.caption)
    # the pictures in words: what the run's judge reads in the pictures as drawn, counted here
    judge = lent.trainer.domain.judge.classifier
    for key in ("lt_grid", "lt_truncated"):
        read = predict(judge, cells(picture(figs[key]), 4, 10)).argmax(1)
        said = caption_under(at, key)
        assert said.startswith("The judge classifier reads G") and "(40 pictures) as" in said, said
        assert tally_said(said) == Counter(read.tolist()), said
    assert "read as the digit asked for" in caption_under(at, "lt_grid")  # a conditional run: asked for 1s and 7s
    assert "Along the path's 12 steps the judge classifier reads " in caption_under(at, "lt_profile")
    assert caption_under(at, "lt_arithmetic").startswith("The judge classifier reads a as ")
    assert "(2 pictures) as" in caption_under(at, "lt_switched") and "asked for" in caption_under(at, "lt_switched")
    at.button(key="lt_fgsm").click().run()
    assert not at.exception and "lt_fgsm_images" in figures(at)
    assert any("judge classifier reads" in m.value and "D was asked about 1, 7, 1, 7" in m.value for m in at.markdown)


def test_the_interpolation_joins_g_at_the_two_picked_fakes():
    at = quick_trained("points")
    at.number_input(key="lt_start_points").set_value(5)
    at.number_input(key="lt_end_points").set_value(40).run()
    at.radio(key="lt_path").set_value("linear").run()
    run = own_run(at)
    fake = run.snapshot.fake
    fig = figures(at)["lt_pick"]
    for kind in ("path_spherical", "path_linear"):
        (path,) = traces(fig, kind)
        np.testing.assert_allclose(points(path)[[0, -1]], fake[[5, 40]], rtol=1e-5, atol=1e-5)
    assert traces(fig, "path_linear")[0]["line"]["width"] > traces(fig, "path_spherical")[0]["line"]["width"]
    np.testing.assert_allclose(points(traces(fig, "start")[0])[0], fake[5], atol=1e-6)
    with run.paused() as trainer:  # G at the picked noise, computed apart from the page
        z = trainer.domain.fixed_z[[5, 40]].double().numpy()
        expected = probe.generate(trainer, z)
    np.testing.assert_allclose(points(traces(fig, "path_linear")[0])[[0, -1]], expected, rtol=1e-5, atol=1e-5)
    profile = figures(at)["lt_profile"]
    (norms,) = traces(profile, "norm_spherical")
    np.testing.assert_allclose(plotly_array(norms["y"], float)[[0, -1]], np.linalg.norm(z, axis=1), rtol=1e-6)
    assert len(traces(profile, "score_linear")) == 1 and len(traces(profile, "typical_norm")) == 1
    # arithmetic: G(a − b + c) for the three picks
    at.number_input(key="lt_a_points").set_value(7)
    at.number_input(key="lt_b_points").set_value(7).run()  # a = b: the result is G(c)
    c = at.number_input(key="lt_c_points").value
    np.testing.assert_allclose(points(traces(figures(at)["lt_arithmetic"], "result")[0])[0], fake[c], atol=1e-5)


def test_the_truncation_slider_draws_other_samples_and_moves_the_ring():
    at = quick_trained("points")
    before = points(traces(figures(at)["lt_truncated"], "truncated")[0])
    at.select_slider(key="lt_psi").set_value(0.25).run()
    figs = figures(at)
    after = points(traces(figs["lt_truncated"], "truncated")[0])
    assert "ψ = 0.25" in figs["lt_truncated"]["layout"]["title"]["text"]
    assert after.shape == before.shape == (1000, 2) and not np.allclose(after, before)
    assert after.std(0).sum() < before.std(0).sum()  # noise cut at ±0.25: G's samples closer together
    assert traces(figs["lt_sweep"], "chosen")[0]["x"] == ["0.25"]
    assert any("At ψ = 0.25" in m.value for m in at.markdown)
    assert any("truncation" in m.value for m in [*at.warning, *at.success, *at.info])  # the verdict on this run


@pytest.mark.slow
def test_tsne_train_more_and_fgsm_buttons():
    at = quick_trained("points")
    assert "lt_tsne_figure" not in figures(at)
    at.button(key="lt_tsne").click().run()
    tsne = figures(at)["lt_tsne_figure"]
    assert sum(len(plotly_array(t["x"])) for t in traces(tsne, "real") + traces(tsne, "fake")) == 600
    assert "lt_tsne_figure" in figures(at.run())  # kept while the run stays as it is
    at.button(key="lt_more").click().run()
    assert not at.exception and own_run(at).iteration == 1300
    assert "lt_tsne_figure" not in figures(at)  # it was computed for the run as it was

    at.select_slider(key="lt_fgsm_spread").set_value(1)
    at.button(key="lt_fgsm").click().run()
    figs = figures(at)
    assert {"lt_fgsm_paths", "lt_fgsm_curves"} <= set(figs)
    mean = plotly_array(traces(figs["lt_fgsm_curves"], "score_mean")[0]["y"], float)
    assert len(mean) == 101 and mean[-1] > mean[0]
    assert any("D's mean score went from" in m.value for m in at.markdown)
    at.slider(key="lt_fgsm_steps_points").set_value(20).run()  # other settings: the old result goes
    assert "lt_fgsm_paths" not in figures(at)


@pytest.mark.slow
def test_a_conditional_digits_run_beside_a_2d_run():
    at = quick_trained("points")
    at.toggle(key="lt_quick_conditional").set_value(True)
    at = quick_trained("images", iterations=200, at=at)
    run = own_run(at, "digits GAN")
    assert run.config.dataset == "digits" and run.config.conditional and run.iteration == 200
    assert at.radio(key="lt_source").options == ["quick-trained 2D GAN", "quick-trained digits GAN"]
    assert at.radio(key="lt_source").value == "quick-trained digits GAN"
    figs = figures(at)
    assert {"lt_grid", "lt_strip", "lt_switched"} <= set(figs) and "lt_fgsm_images" not in figs
    # the strip's first and last cells are the grid's start and end samples
    at.selectbox(key="lt_start_images").set_value(3)
    at.selectbox(key="lt_end_images").set_value(17)
    at.selectbox(key="lt_path_digit").set_value(8).run()
    figs = figures(at)
    grid, strip = (picture(figs[k]) for k in ("lt_grid", "lt_strip"))
    picks = probe.latent_samples(run.trainer, 40)
    assert grid.shape == (4 * 9 - 1, 10 * 9 - 1)
    first, last = strip[:8, :8], strip[:8, -8:]
    with run.paused() as trainer:
        ends = probe.generate(trainer, picks.z[[3, 17]], 8)
    np.testing.assert_allclose(first, (ends[0, 0] + 1) / 2, atol=1e-4)
    np.testing.assert_allclose(last, (ends[1, 0] + 1) / 2, atol=1e-4)
    assert list(figs["lt_switched"]["layout"]["xaxis"]["ticktext"]) == [str(d) for d in range(10)]
    at.button(key="lt_fgsm").click().run()
    assert "lt_fgsm_images" in figures(at) and any("judge classifier reads" in m.value for m in at.markdown)
    at.radio(key="lt_source").set_value("quick-trained 2D GAN").run()
    assert "lt_pick" in figures(at) and "lt_grid" not in figures(at)
