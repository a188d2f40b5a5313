"""Figures in words on the live pages (AppTest of the page files): a caption right under each live figure, drawn in
the same fragment, so it changes with the figure."""

import math
import re
from pathlib import Path

import pytest

from ganviz.figures.style import FAKE_COLOUR
from support.cache import shared_cache  # noqa: F401  (fixture)
from support.pages import caption_under, live_figures, open_page, page_state_of

PAGES = Path(__file__).resolve().parents[2] / "pages"
SMALL = {"g_width": "16", "d_width": "16", "g_depth": "2", "d_depth": "2", "batch_size": "32"}  # fast networks


pytestmark = pytest.mark.usefixtures("shared_cache")  # the judge classifier trains once per session


def iteration_said(text: str) -> int:
    return int(re.match(r"Iteration ([\d,]+)", text)[1].replace(",", ""))


def test_the_playground_says_its_main_view_and_curves_and_says_them_again_after_a_step():
    at = open_page(str(PAGES / "playground.py"), SMALL)
    main = caption_under(at, "pg_main")
    assert "modes captured" in main and iteration_said(main) == 0
    assert caption_under(at, "pg_charts") == "No training yet."
    at.button(key="pg_step").click().run()
    assert not at.exception
    main = caption_under(at, "pg_main")
    assert "modes captured" in main and iteration_said(main) == 1
    assert iteration_said(caption_under(at, "pg_charts")) == 1
    counts = page_state_of(at, "PlaygroundState").run.snapshot.metrics["mode_counts"]  # what the circles show
    captured, total = sum(c > 0 for c in counts), len(counts)
    said = {0: f"none of the {total} modes captured", total: f"all {total} modes captured"}
    assert said.get(captured, f"{captured} of {total} modes captured") in main


@pytest.mark.slow  # a page with its runs: several seconds
def test_the_digits_page_says_which_digits_its_histogram_shows():
    at = open_page(str(PAGES / "mnist.py"), {"dataset": "digits", "batch_size": "16"})
    main = caption_under(at, "mn_main")
    assert main.startswith("Iteration 0: 100 samples for a fixed z.") and "digits in G's samples" in main
    (bars,) = live_figures(at)["mn_histogram"]["data"]
    present = sum(colour == FAKE_COLOUR for colour in bars["marker"]["color"])  # trained and present: purple
    assert {0: "finds none of the 10 digits", 10: "finds all 10 digits"}.get(present, f"finds {present} of 10") in main
    at.button(key="mn_step").click().run()
    assert not at.exception and iteration_said(caption_under(at, "mn_main")) == 1


@pytest.mark.slow  # a page with its runs: several seconds
def test_the_compare_page_says_each_run_of_the_race():
    at = open_page(str(PAGES / "compare.py"), {"runs": "2", **SMALL, "B.loss": "hinge"})
    main = caption_under(at, "cp_main")
    assert main.startswith("Iteration 0, 2 runs, none diverged.") and "A: " in main and "B (loss hinge): " in main
    at.button(key="cp_step").click().run()
    assert not at.exception and iteration_said(caption_under(at, "cp_main")) == 1
    charts = caption_under(at, "cp_charts")
    assert "A: losses D" in charts and "B: losses D" in charts


@pytest.mark.slow  # a page with its runs: several seconds
def test_the_dynamics_page_says_how_far_each_xy_path_ends_from_the_equilibrium():
    at = open_page(str(PAGES / "dynamics.py"), {})
    at.slider(key="dy_eta").set_value(0.2).run()
    (text,) = [c.value for c in at.caption if c.value.startswith("Distance to the equilibrium")]
    steps = at.slider(key="dy_steps").value
    said = float(re.search(r"simultaneous ([\d,.]+), growing", text)[1].replace(",", ""))
    closed_form = math.sqrt(2) * (1 + 0.2**2) ** (steps / 2)  # √(1+η²) per step from (1, 1)
    assert abs(said - closed_form) <= 0.5 and f"after {steps} steps" in text


@pytest.mark.slow  # the page's exact curves and a discriminator: about 4 s
def test_the_divergences_page_says_js_and_w1_and_says_them_again_for_another_shift():
    at = open_page(str(PAGES / "divergences.py"), {})
    lines = caption_under(at, "dv_lines_curves")
    assert lines.startswith("At θ = 1.0 the two lines do not overlap: JS is log 2 ≈ 0.69")
    at.slider(key="dv_lines_theta").set_value(2.0).run()
    assert "W1 is 2.0 (its slope is 1.0)" in caption_under(at, "dv_lines_curves")
    shift = caption_under(at, "dv_curves")  # U[0, 1] against itself moved by 0.5: JS = 0.5·log 2
    assert shift.startswith("At a shift of 0.5 the two distributions overlap: JS is 0.35")
    at.slider(key="dv_theta_interval_4").set_value(2.0).run()
    assert caption_under(at, "dv_curves").startswith("At a shift of 2.0 the two distributions do not overlap")
    assert "D* is 1 (only data) for x from 0 to 1.0; 0 (only fakes) for x from 2.0 to 3.0" in caption_under(
        at, "dv_fit_figure"
    )
    assert caption_under(at, "dv_duel_charts").startswith("left · Minimax (saturating): at θ = 3.0, not started.")


def test_the_dynamics_page_says_the_g_losses_and_power_iteration_for_the_widgets_values():
    at = open_page(str(PAGES / "dynamics.py"), {})
    assert caption_under(at, "dy_g_loss").startswith("At D(G(z)) = 0.03 the saturating loss's gradient is -0.03 (flat)")
    at.slider(key="dy_dgz").set_value(0.5).run()
    assert caption_under(at, "dy_g_loss").startswith("At D(G(z)) = 0.5 the saturating loss's gradient is -0.5 (steep)")
    assert caption_under(at, "dy_power").startswith("After 15 steps the estimate is")
    at.slider(key="dy_power_steps").set_value(40).run()
    assert caption_under(at, "dy_power").startswith("After 40 steps the estimate is")


@pytest.mark.slow  # quick-trains a run: several seconds
def test_the_latent_page_says_the_walk_and_the_truncation_sweep():
    at = open_page(str(PAGES / "latent.py"), {})
    page_state_of(at, "LatentState").quick_iterations = 300
    at.button(key="lt_quick_points").click().run()
    assert not at.exception
    assert caption_under(at, "lt_pick").startswith("Walking the spherical path from start to end, G's samples ")
    at.radio(key="lt_path").set_value("linear").run()
    assert caption_under(at, "lt_pick").startswith("Walking the linear path")
    assert "; G(a − b + c) lands at (" in caption_under(at, "lt_arithmetic")
    assert caption_under(at, "lt_sweep").startswith("Of 2,500 samples at ψ = 1.0: ")
    at.select_slider(key="lt_psi").set_value(0.25).run()
    assert "at ψ = 0.25:" in caption_under(at, "lt_sweep")
    assert caption_under(at, "lt_pca").startswith("300 real and 300 of G's samples;")
