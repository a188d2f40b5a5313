"""The Latent page's state and its two views: what differs on screen between a 2D run (points over the
playground's view, picked by clicking G's fakes) and a digits run (pictures, read by the run's judge classifier)."""

from __future__ import annotations

from dataclasses import dataclass, field

import streamlit as st

from ganviz.config import GANConfig, image_config
from ganviz.figures import latent as figures
from ganviz.figures import words_latent as words
from ganviz.latent.images import read_digits
from ganviz.live.run import LiveRun
from ganviz.training.domain import DISPLAY_SAMPLES
from pages._plotly_live import NO_MODEBAR
from pages._session import page_state

QUICK_ITERATIONS = 3000  # measured with the page's first draw: ~13 s for the 2D ring, ~15 s for the 8×8 digits
NEIGHBOURS = 6  # samples drawn near a − b + c


@dataclass
class LatentState:
    """The Latent page's own state: the runs it quick-trained and results worth keeping between reruns."""

    own: dict[str, LiveRun] = field(default_factory=dict)  # title -> a run quick-trained here
    quick_iterations: int = QUICK_ITERATIONS
    pending: str | None = None  # a quick-trained run, to be picked once the radio exists
    cache: dict = field(default_factory=dict)  # name -> (key, value)
    next_pick: str = "start"  # which end of the path the next click on a fake sets
    fake_trace: int | None = None  # the clickable fakes' trace in the interpolation figure

    @staticmethod
    def kept_widgets() -> set[str]:
        return {"lt_source", "lt_seed", "lt_path", "lt_psi"}

    def cached(self, name: str, key: tuple, compute):
        if name not in self.cache or self.cache[name][0] != key:
            self.cache[name] = (key, compute())
        return self.cache[name][1]

    def stored(self, name: str, key: tuple):
        """A result computed on a button press, while it still belongs to this run and these settings."""
        hit = self.cache.get(name)
        return hit[1] if hit is not None and hit[0] == key else None


class PointsView:
    """A 2D run: picks are clicks on G's fixed fakes, everything is drawn over the playground's view."""

    kind, what, can_condition = "points", "2D GAN", False
    quick_label = f"Quick-train a 2D GAN (ring of 8 Gaussians, {QUICK_ITERATIONS:,} iterations, about 12 s)"
    picks = DISPLAY_SAMPLES  # all of G's fixed fakes, as the playground draws them
    max_steps, default_steps, truncated = 60, 25, 1000
    fgsm_points, fgsm_steps, fgsm_step, fgsm_unit = 64, 100, 0.05, "data units"
    fgsm_step_sizes = [0.005, 0.01, 0.02, 0.05, 0.1, 0.2]
    fgsm_intro = "The lines are the noise points' paths over D's surface, shown as far out as they go."
    embedding_caption = "Colours mark each sample's nearest mode (where the data has modes). "

    def quick_config(self, conditional: bool) -> GANConfig:
        return GANConfig()  # the playground's default: the ring of 8 Gaussians

    def describe(self, cfg) -> str:
        return cfg.dataset

    def picker(self, container, name: str, n: int) -> int:
        return int(container.number_input(f"{name}: fake #", 0, n - 1, step=1, key=f"lt_{name}_points"))

    def interpolation_columns(self):
        figure_col, controls = st.columns([1.35, 1])
        return controls, figure_col

    def show_interpolation(self, figure_col, controls, run, picks, walks, chosen, start, end, profile, typical) -> None:
        state = page_state(LatentState)
        fig = figures.interpolation_2d(run.snapshot, {k: w.outputs for k, w in walks.items()}, chosen, start, end)
        state.fake_trace = figures.fake_trace_index(fig)
        figure_col.plotly_chart(fig, key="lt_pick", on_select=on_click, selection_mode="points", config=NO_MODEBAR)
        figure_col.caption(words.describe_walk(walks, chosen, typical, run.snapshot.modes, run.snapshot.sigma))
        controls.plotly_chart(profile, key="lt_profile", config=NO_MODEBAR)
        controls.caption(f"""Click a fake to set the {state.next_pick} of the path (clicks alternate between start
and end), or type the numbers above.""")

    def arithmetic_columns(self, conditional: bool):
        figure_col, side = st.columns([1.35, 1])
        return side.columns(3), (figure_col, side)

    def show_arithmetic(self, where, run, picks, abc, near) -> None:
        figure_col, side = where
        operands = {n: picks.outputs[abc[n]] for n in "abc"}
        fig = figures.arithmetic_2d(run.snapshot, operands, near[0], near[1:])
        figure_col.plotly_chart(fig, key="lt_arithmetic", config=NO_MODEBAR)
        figure_col.caption(
            words.describe_arithmetic(operands, near[0], near[1:], run.snapshot.modes, run.snapshot.sigma)
        )
        rows = "".join(f"| G({n}) | fake #{abc[n]} | ({x:.2f}, {y:.2f}) |\n" for n, (x, y) in operands.items())
        result = f"| **G(a − b + c)** | | **({near[0][0]:.2f}, {near[0][1]:.2f})** |"
        side.markdown(f"| | | G's output |\n|---|---|---|\n{rows}{result}")
        side.caption(f"""With {run.config.noise_dim}-D noise, a − b + c is the fourth corner of the parallelogram
on a, b and c in the latent space, and lands wherever G sends that corner. Try a = b: the result is G(c).""")

    def show_truncated(self, run, samples, psi: float) -> None:
        st.plotly_chart(figures.truncation_points(run.snapshot, samples, psi), key="lt_truncated", config=NO_MODEBAR)

    def fgsm_spread(self, container) -> float:
        help_ = "1: around the data; more: far out, where D never saw any data but still has a slope"
        label = "noise starts in a square this many times the data's view"
        return container.select_slider(label, [1, 2, 4, 8], value=4, key="lt_fgsm_spread", help=help_)

    def show_fgsm(self, run, result) -> None:
        paths, curves = st.columns([1, 1.2], gap="medium")  # a square view beside the curves, not stretched
        paths.plotly_chart(figures.fgsm_paths_2d(run.snapshot, result), key="lt_fgsm_paths", config=NO_MODEBAR)
        curves.plotly_chart(
            figures.fgsm_curves(result, height=560, stacked=True), key="lt_fgsm_curves", config=NO_MODEBAR
        )
        curves.caption(words.describe_fgsm(result))


class DigitsView:
    """A digits run: picks from a numbered grid of G's samples, pictures instead of the plane."""

    kind, what, can_condition = "images", "digits GAN", True
    quick_label = f"Quick-train a digits GAN (scikit-learn's 8×8 digits, {QUICK_ITERATIONS:,} iterations, about 15 s)"
    picks = 40  # four rows of ten to pick from
    max_steps, default_steps, truncated = 24, 12, 40
    fgsm_points, fgsm_steps, fgsm_step, fgsm_unit = 8, 40, 0.02, "pixels on the [−1, 1] scale"
    fgsm_step_sizes = [0.002, 0.005, 0.01, 0.02, 0.05, 0.1]
    fgsm_intro = "Each image below is one noise image at a few of its steps."
    embedding_caption = "Real digits are coloured by their label, generated ones by what the judge classifier reads. "

    def quick_config(self, conditional: bool) -> GANConfig:
        return image_config("digits", image_model="mlp-cpu", conditional=conditional)

    def describe(self, cfg) -> str:
        return f"{cfg.dataset} · {cfg.image_model}{' · conditional' if cfg.conditional else ''} · digits {cfg.digits}"

    def picker(self, container, name: str, n: int) -> int:
        return container.selectbox(f"{name}: sample #", range(n), key=f"lt_{name}_images")

    def interpolation_columns(self):
        return st.columns([1, 2.2])

    def show_interpolation(self, grid_col, controls, run, picks, walks, chosen, start, end, profile, typical) -> None:
        labels, picked = picks.labels if run.trainer.domain.conditional else None, {start: "start", end: "end"}
        title = "G's samples for the run's fixed z: pick two"
        grid = figures.numbered_grid(picks.outputs, title=title, picked=picked, labels=labels)
        grid_col.plotly_chart(grid, key="lt_grid", config=NO_MODEBAR)
        grid_col.caption(self.describe_pictures(run, picks.outputs, "G's samples for the run's fixed z", labels))
        strip = figures.interpolation_strip({k: w.outputs for k, w in walks.items()}, chosen, start, end)
        st.plotly_chart(strip, key="lt_strip", config=NO_MODEBAR)
        st.plotly_chart(profile, key="lt_profile", config=NO_MODEBAR)
        path = words.describe_digit_path(*self.read(run, walks[chosen].outputs))
        st.caption(f"{words.describe_walk(walks, chosen, typical)} {path}")

    def arithmetic_columns(self, conditional: bool):
        return st.columns(4 if conditional else 3), None

    def show_arithmetic(self, where, run, picks, abc, near) -> None:
        cells = [picks.outputs[abc[n]] for n in "abc"] + list(near)
        captions = ["a", "b", "c", "a − b + c"] + ["nearby"] * NEIGHBOURS
        fig = figures.image_row(cells, captions, title="G(a), G(b), G(c) and G(a − b + c)", uirevision="lt-arithmetic")
        st.plotly_chart(fig, key="lt_arithmetic", config=NO_MODEBAR)
        st.caption(words.describe_digit_arithmetic(*self.read(run, cells)))

    def show_truncated(self, run, samples, psi: float) -> None:
        fig = figures.numbered_grid(
            samples, title=f"G(z), z truncated at ψ = {figures.psi_label(psi)}", numbered=False, height=300
        )
        st.plotly_chart(fig, key="lt_truncated", config=NO_MODEBAR)
        st.caption(self.describe_pictures(run, samples, f"G(z) at ψ = {figures.psi_label(psi)}"))

    def read(self, run, images) -> tuple:
        """What the run's judge classifier reads in each picture, and how sure it is."""
        with run.paused() as trainer:
            return read_digits(trainer, images)

    def describe_pictures(self, run, images, what: str, asked=None) -> str:
        trained = run.trainer.config.digit_list()
        return words.describe_digit_samples(*self.read(run, images), what, trained=trained, asked=asked)

    def fgsm_spread(self, container) -> float:
        return 1  # the noise fills the whole pixel range already

    def show_fgsm(self, run, result) -> None:
        st.plotly_chart(figures.fgsm_images(result, labels=result.labels), key="lt_fgsm_images", config=NO_MODEBAR)
        st.plotly_chart(figures.fgsm_curves(result), key="lt_fgsm_curves", config=NO_MODEBAR)
        st.caption(words.describe_fgsm(result))


VIEWS = {view.kind: view for view in (PointsView(), DigitsView())}  # the one place that asks: points or images?


def on_click() -> None:
    """A click on a fake: it becomes the start, then the end, then the start again…"""
    state = page_state(LatentState)
    fakes = [p for p in st.session_state.lt_pick.selection.points if p.get("curve_number") == state.fake_trace]
    if fakes:
        st.session_state[f"lt_{state.next_pick}_points"] = int(fakes[-1]["point_index"])
        state.next_pick = "end" if state.next_pick == "start" else "start"
