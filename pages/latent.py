"""Latent: what a trained GAN's latent space and discriminator show (lectures 000 and 004).

Layout only: the numbers and what they mean come from `ganviz.latent`, the figures from
`ganviz.figures.latent`. The page looks inside a run another page lends (`borrowable_runs()`: the 2D
playground's, the digits page's) or one it quick-trains itself and keeps in its own state. What differs
between 2D points and digit images on screen is drawn by one view object per kind of data (`VIEWS`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import partial

import streamlit as st

from ganviz.config import GANConfig, image_config
from ganviz.figures import latent as figures
from ganviz.figures import words_latent as words
from ganviz.latent import embedding, fgsm, noise, probe, truncation
from ganviz.live.run import LiveRun
from ganviz.training.domain import DISPLAY_SAMPLES
from pages._first_visit import run_through_app
from pages._session import borrowable_runs, page_state

run_through_app()  # first, before anything is drawn: see pages/_first_visit.py

QUICK_ITERATIONS = 3000  # measured with the page's first draw: ~13 s for the 2D ring, ~15 s for the 8×8 digits
MORE_ITERATIONS = 1000
FEW_ITERATIONS = 500  # below this a run has not learnt much: say so
TRAIN_CHUNK = 100  # iterations between progress-bar updates
PSIS = [math.inf if p is None else p for p in noise.TRUNCATION_PSIS]  # a slider of numbers: inf is untruncated
NEIGHBOURS = 6  # samples drawn near a − b + c
NEIGHBOUR_SPREAD = 0.25  # their distance from it, per coordinate (DCGAN used ±0.25)
STATIC = {"displayModeBar": False}
VERDICT_ICONS = {"success": ":material/check_circle:", "warning": ":material/info:", "info": ":material/info:"}


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

    def show_interpolation(self, figure_col, controls, run, picks, walks, chosen, start, end, profile) -> None:
        state = page_state(LatentState)
        fig = figures.interpolation_2d(run.snapshot, {k: w.outputs for k, w in walks.items()}, chosen, start, end)
        state.fake_trace = figures.fake_trace_index(fig)
        figure_col.plotly_chart(fig, key="lt_pick", on_select=on_click, selection_mode="points", config=STATIC)
        figure_col.caption(words.describe_walk(walks, chosen, typical, run.snapshot.modes, run.snapshot.sigma))
        controls.plotly_chart(profile, key="lt_profile", config=STATIC)
        controls.caption(f"""Click a fake to set the {state.next_pick} of the path (clicks alternate between start
and end), or type the numbers above.""")

    def arithmetic_columns(self, conditional: bool):
        figure_col, side = st.columns([1.35, 1])
        return side.columns(3), (figure_col, side)

    def show_arithmetic(self, where, run, picks, abc, near) -> None:
        figure_col, side = where
        operands = {n: picks.outputs[abc[n]] for n in "abc"}
        fig = figures.arithmetic_2d(run.snapshot, operands, near[0], near[1:])
        figure_col.plotly_chart(fig, key="lt_arithmetic", config=STATIC)
        figure_col.caption(
            words.describe_arithmetic(operands, near[0], near[1:], run.snapshot.modes, run.snapshot.sigma)
        )
        rows = "".join(f"| G({n}) | fake #{abc[n]} | ({x:.2f}, {y:.2f}) |\n" for n, (x, y) in operands.items())
        result = f"| **G(a − b + c)** | | **({near[0][0]:.2f}, {near[0][1]:.2f})** |"
        side.markdown(f"| | | G's output |\n|---|---|---|\n{rows}{result}")
        side.caption(f"""With {run.config.noise_dim}-D noise, a − b + c is the fourth corner of the parallelogram
on a, b and c in the latent space, and lands wherever G sends that corner. Try a = b: the result is G(c).""")

    def show_truncated(self, run, samples, psi: float) -> None:
        st.plotly_chart(figures.truncation_points(run.snapshot, samples, psi), key="lt_truncated", config=STATIC)

    def fgsm_spread(self, container) -> float:
        help_ = "1: around the data; more: far out, where D never saw any data but still has a slope"
        label = "noise starts in a square this many times the data's view"
        return container.select_slider(label, [1, 2, 4, 8], value=4, key="lt_fgsm_spread", help=help_)

    def show_fgsm(self, run, result) -> None:
        paths, curves = st.columns([1, 1.2], gap="medium")  # a square view beside the curves, not stretched
        paths.plotly_chart(figures.fgsm_paths_2d(run.snapshot, result), key="lt_fgsm_paths", config=STATIC)
        curves.plotly_chart(figures.fgsm_curves(result, height=560, stacked=True), key="lt_fgsm_curves", config=STATIC)
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

    def show_interpolation(self, grid_col, controls, run, picks, walks, chosen, start, end, profile) -> None:
        labels, picked = picks.labels if run.trainer.domain.conditional else None, {start: "start", end: "end"}
        title = "G's samples for the run's fixed z: pick two"
        grid = figures.numbered_grid(picks.outputs, title=title, picked=picked, labels=labels)
        grid_col.plotly_chart(grid, key="lt_grid", config=STATIC)
        strip = figures.interpolation_strip({k: w.outputs for k, w in walks.items()}, chosen, start, end)
        st.plotly_chart(strip, key="lt_strip", config=STATIC)
        st.plotly_chart(profile, key="lt_profile", config=STATIC)
        st.caption(words.describe_walk(walks, chosen, typical))  # the strip's digits go unread: no classifier here

    def arithmetic_columns(self, conditional: bool):
        return st.columns(4 if conditional else 3), None

    def show_arithmetic(self, where, run, picks, abc, near) -> None:
        cells = [picks.outputs[abc[n]] for n in "abc"] + list(near)
        captions = ["a", "b", "c", "a − b + c"] + ["nearby"] * NEIGHBOURS
        fig = figures.image_row(cells, captions, title="G(a), G(b), G(c) and G(a − b + c)", uirevision="lt-arithmetic")
        st.plotly_chart(fig, key="lt_arithmetic", config=STATIC)

    def show_truncated(self, run, samples, psi: float) -> None:
        fig = figures.numbered_grid(
            samples, title=f"G(z), z truncated at ψ = {figures.psi_label(psi)}", numbered=False, height=300
        )
        st.plotly_chart(fig, key="lt_truncated", config=STATIC)

    def fgsm_spread(self, container) -> float:
        return 1  # the noise fills the whole pixel range already

    def show_fgsm(self, run, result) -> None:
        st.plotly_chart(figures.fgsm_images(result, labels=result.labels), key="lt_fgsm_images", config=STATIC)
        st.plotly_chart(figures.fgsm_curves(result), key="lt_fgsm_curves", config=STATIC)
        st.caption(words.describe_fgsm(result))


VIEWS = {view.kind: view for view in (PointsView(), DigitsView())}  # the one place that asks: points or images?


def on_click() -> None:
    """A click on a fake: it becomes the start, then the end, then the start again…"""
    state = page_state(LatentState)
    fakes = [p for p in st.session_state.lt_pick.selection.points if p.get("curve_number") == state.fake_trace]
    if fakes:
        st.session_state[f"lt_{state.next_pick}_points"] = int(fakes[-1]["point_index"])
        state.next_pick = "end" if state.next_pick == "start" else "start"


def psi_name(psi: float) -> str:
    return "none (untruncated)" if math.isinf(psi) else f"{psi:g}"


def train_here(run: LiveRun, iterations: int, what: str) -> None:
    bar = st.progress(0.0, text=f"{what}: training…")
    done = 0
    while done < iterations:
        with run.paused() as trainer:
            k = trainer.step(min(TRAIN_CHUNK, iterations - done))
        done += k
        bar.progress(done / iterations, text=f"{what}: {done:,} of {iterations:,} iterations")
        if k == 0:  # diverged: the run says so below
            break
    run.record_now()
    bar.empty()


def quick_train_buttons(views: list) -> None:
    """A button per kind of data without a run yet; the run it trains belongs to this page."""
    state = page_state(LatentState)
    toggle = "conditional: G and D see the digit (class switching; the truncation trick as in BigGAN)"
    for col, view in zip(st.columns(len(views)), views):
        conditional = view.can_condition and col.toggle(toggle, key="lt_quick_conditional")
        if col.button(view.quick_label, key=f"lt_quick_{view.kind}", type="primary", icon=":material/bolt:"):
            with col, st.spinner("Building the run (digits: training the judge classifier the first time)…"):
                run = LiveRun(view.quick_config(conditional), capacity=4)
            with col:
                train_here(run, state.quick_iterations, f"Quick-training a {view.what}")
            state.pending = f"quick-trained {view.what}"
            state.own[state.pending] = run
            st.rerun()


st.title("Latent")
st.caption("""What a trained GAN knows: its latent space has meaning, the noise's scale trades fidelity for
variety, the discriminator's features cluster the data, and a discriminator alone cannot generate.""")

# --- the run ------------------------------------------------------------------------------------------------

state = page_state(LatentState)
runs = {title: lent.run for title, lent in borrowable_runs().items() if not lent.run.is_race} | state.own
missing = [view for view in VIEWS.values() if view.kind not in {r.config.domain for r in runs.values()}]
if state.pending is not None:  # a quick-train picked its run before the radio existed
    st.session_state.lt_source, state.pending = state.pending, None

st.header("Which run")
if not runs:
    st.info(
        """This page looks inside a GAN trained in this browser session, and none has been trained yet. Train
one on the **2D playground** or **Digits (MNIST)** page, or quick-train one here.""",
        icon=":material/info:",
    )
    quick_train_buttons(missing)
    st.stop()

if st.session_state.get("lt_source") not in runs:
    st.session_state.lt_source = next(iter(runs))
title = st.radio("the run to look inside", list(runs), horizontal=True, key="lt_source")
run: LiveRun = runs[title]
own, cfg = title in state.own, run.config
view = VIEWS[cfg.domain]
conditional = run.trainer.domain.conditional
info, more = st.columns([4, 1.3])
info.markdown(f"""**{title}**: {view.describe(cfg)} · iteration **{run.iteration:,}** · loss {run.trainer.loss.title}
· noise {cfg.noise_dim}-D {cfg.noise} · seed {cfg.seed}""")
if own and more.button(f"Train {MORE_ITERATIONS:,} more iterations", key="lt_more", icon=":material/fitness_center:"):
    train_here(run, MORE_ITERATIONS, f"Training the {title}")
    st.rerun()
if run.trainer.divergence is not None:
    st.error(run.trainer.divergence.message, icon=":material/warning:")
if run.iteration < FEW_ITERATIONS:
    st.warning(
        f"This run has trained only {run.iteration:,} iterations: its latent space means little yet. Train it "
        f"more {'here' if own else 'on its page'}.",
        icon=":material/hourglass_empty:",
    )
if missing:
    with st.expander(f"Quick-train a {missing[0].what} too"):
        quick_train_buttons(missing)
seed_help = "truncated noise, the samples embedded, the FGSM noise"
seed = st.columns([1, 3])[0].number_input("seed of this page's random draws", 0, 10_000, key="lt_seed", help=seed_help)
# Results worth keeping between reruns are cached under the run's identity and progress.
run_key = (title, id(run), run.iteration, run.trainer.d_updates, run.trainer.g_updates)

# --- interpolation and arithmetic ----------------------------------------------------------------------------

st.header("Interpolation and arithmetic")
st.markdown("""Walk in a straight line (**linear**) or along the sphere (**spherical**) from one noise vector to
another and watch what G makes on the way. In many dimensions Gaussian noise lives near a sphere of radius √dim:
the straight line's middle cuts inside it, where G has rarely been.""")
with run.paused() as trainer:
    picks = probe.latent_samples(trainer, view.picks)
n_picks, digits = len(picks.z), cfg.digit_list()
# default picks far apart (G may put many samples on one mode): the path's ends, then a, b and c
defaults = probe.farthest_points(picks.outputs, 2) + probe.farthest_points(picks.outputs, 3, first=1)
for name, index in zip(("start", "end", "a", "b", "c"), defaults):
    st.session_state.setdefault(f"lt_{name}_{view.kind}", index)

controls, figure_col = view.interpolation_columns()
with controls:
    c1, c2 = st.columns(2)
    start, end = view.picker(c1, "start", n_picks), view.picker(c2, "end", n_picks)
    chosen = st.radio(
        "path", ["spherical", "linear"], format_func=figures.PATH_NAMES.get, horizontal=True, key="lt_path"
    )
    steps = st.slider("points along the path", 5, view.max_steps, view.default_steps, key="lt_steps")
    path_label = None
    if conditional:
        if st.session_state.get("lt_path_digit") not in digits:  # first visit, or another run's digits
            st.session_state.lt_path_digit = int(picks.labels[start])
        one_digit = "a conditional G draws one digit: the path changes its style only"
        path_label = st.selectbox("digit asked for along the path", digits, key="lt_path_digit", help=one_digit)
with run.paused() as trainer:
    paths = {"spherical": noise.slerp, "linear": noise.lerp}
    walks = {k: probe.walk(trainer, path(picks.z[start], picks.z[end], steps), path_label) for k, path in paths.items()}
scores, norms = ({k: getattr(w, a) for k, w in walks.items()} for a in ("scores", "norms"))
typical = noise.typical_norm(cfg.noise, cfg.noise_dim)
t_axis = [i / (steps - 1) for i in range(steps)]
profile = figures.path_profile(t_axis, scores, norms, chosen, walks[chosen].d_output, typical, height=350)
view.show_interpolation(figure_col, controls, run, picks, walks, chosen, start, end, profile)

st.subheader("Arithmetic: a − b + c")
st.markdown(f"""DCGAN's vector arithmetic: take the noise of three samples and add and subtract it. If directions
in latent space carry meaning, G(a − b + c) has what a has, minus what b has, plus what c has. Beside it, G at
noise near a − b + c ({NEIGHBOUR_SPREAD:g}·N(0, I) away).""")
pickers, where = view.arithmetic_columns(conditional)
abc = {name: view.picker(col, name, n_picks) for col, name in zip(pickers, "abc")}
result_label = None
if conditional:
    if st.session_state.get("lt_result_digit") not in digits:
        st.session_state.lt_result_digit = int(picks.labels[abc["a"]])
    result_label = pickers[3].selectbox("digit asked for the result", digits, key="lt_result_digit")
result_z = noise.arithmetic(*(picks.z[abc[n]] for n in "abc"))
with run.paused() as trainer:
    near = probe.generate(trainer, noise.around(result_z, 1 + NEIGHBOURS, NEIGHBOUR_SPREAD, seed), result_label)
view.show_arithmetic(where, run, picks, abc, near)

if conditional:
    st.subheader("Same z, another digit")
    st.markdown("""A conditional G takes the digit as a separate input: keep the noise, change the digit, and the
style (slant, thickness) stays while the digit changes.""")
    switch = st.selectbox("the noise of sample #", range(n_picks), key="lt_switch")
    with run.paused() as trainer:
        switched = probe.generate(trainer, [picks.z[switch]] * len(digits), digits)
    fig = figures.image_row(switched, [str(d) for d in digits], title=f"G(z #{switch}, digit)", uirevision="lt-switch")
    st.plotly_chart(fig, key="lt_switched", config=STATIC)

# --- the truncation trick --------------------------------------------------------------------------------------

st.header("The truncation trick")
st.markdown("""BigGAN (lecture 004): draw each noise coordinate from a normal cut off at ±ψ. A small ψ keeps z near
the centre of the latent space: fewer, more typical samples (fidelity); a large ψ gives the full variety. Does that
hold for this run?""")
if cfg.noise == "uniform":
    st.info(
        """This run's noise is uniform on [−1, 1]: truncating it at ψ leaves it uniform on [−ψ, ψ], so any
ψ ≥ 1 is the untruncated noise.""",
        icon=":material/info:",
    )
st.session_state.setdefault("lt_psi", 1.0)  # kept across page switches: its default comes from here only
psi = st.select_slider("ψ, the truncation threshold", PSIS, key="lt_psi", format_func=psi_name)
with run.paused() as trainer:
    truncated = truncation.truncated_samples(trainer, view.truncated, None if math.isinf(psi) else psi, seed)
    with st.spinner("Measuring fidelity and variety at every ψ…"):
        measure = partial(truncation.truncation_sweep, trainer, noise.TRUNCATION_PSIS, seed=seed)
        sweep = state.cached("sweep", (*run_key, seed), measure)
i = PSIS.index(psi)
left, right = st.columns([1, 1.2])
with left:
    view.show_truncated(run, truncated.outputs, psi)
with right:
    covered = f" · {sweep.coverage_name}: **{sweep.coverage[i]:.0f} of {sweep.coverage_total}**"
    covered = covered if sweep.coverage_total else ""
    st.markdown(f"""At ψ = {PSIS[i]:g}: **{sweep.fidelity[i]:.1%}** {sweep.fidelity_name}{covered} ·
{sweep.distance_name}: **{sweep.distance[i]:.3g}** (real vs real: {sweep.distance_floor:.3g}).""")
    st.caption(f"""{sweep.samples:,} samples per ψ, from the same random draws for every ψ (seed {seed}), so the
differences come from ψ alone.""")
    verdict = truncation.truncation_verdict(run.trainer, sweep)
    getattr(st, verdict.tone)(verdict.text, icon=VERDICT_ICONS[verdict.tone])
st.plotly_chart(figures.truncation_curve(sweep, psi), key="lt_sweep", config=STATIC)
st.caption(words.describe_truncation(sweep, psi))  # the samples beside it and the sweep, in words

# --- the discriminator's embedding space ----------------------------------------------------------------------

st.header("The discriminator's embedding space")
st.markdown("""Lecture 000: the layers of a well-trained discriminator are an embedding in which the data clusters.
Here are D's penultimate-layer features of real and generated samples, projected to 2D.""")
embed_key = (*run_key, seed)
with run.paused() as trainer:
    inputs = state.cached("embedding_inputs", embed_key, lambda: embedding.embedding_features(trainer, seed=seed))
pca = state.cached("pca", embed_key, lambda: embedding.embed(inputs.features, "pca", seed))
n_embedded, by = len(inputs.features), (inputs.is_real, inputs.classes, inputs.class_name)
chart_title = f"PCA of D's {inputs.features.shape[1]} features ({n_embedded} samples)"
st.plotly_chart(
    figures.embedding_figure(pca, *by, scores=inputs.scores, title=chart_title), key="lt_pca", config=STATIC
)
st.caption(words.describe_embedding(pca, *by))
if st.button("Run t-SNE on the same features (about a second or two)", key="lt_tsne", icon=":material/hub:"):
    bar = st.progress(0.0, text="t-SNE…")
    tsne = embedding.embed(inputs.features, "tsne", seed, progress=lambda f, message: bar.progress(f, text=message))
    state.cache["tsne"] = (embed_key, tsne)
    bar.empty()
tsne = state.stored("tsne", embed_key)
if tsne is not None:
    chart_title = f"t-SNE of D's features (perplexity {embedding.tsne_perplexity(n_embedded):g})"
    fig = figures.embedding_figure(tsne, *by, scores=inputs.scores, title=chart_title)
    st.plotly_chart(fig, key="lt_tsne_figure", config=STATIC)
    st.caption(words.describe_embedding(tsne, *by))
st.caption(f"""Real samples are circles, G's samples crosses. {view.embedding_caption}PCA keeps the directions of
largest spread; t-SNE keeps neighbourhoods, not distances.""")

# --- FGSM from noise -----------------------------------------------------------------------------------------

st.header("FGSM from noise: a discriminator cannot generate")
st.markdown(f"""Lecture 000 asks: start from random noise and nudge it with the fast gradient sign method,
x ← x + η·sign(∇ₓ D(x)), toward “real”. D's score rises; does the noise become data? {view.fgsm_intro}""")
c1, c2, c3, c4 = st.columns([1, 1, 1, 1.1])
fgsm_steps = c1.slider("steps", 5, 300, view.fgsm_steps, key=f"lt_fgsm_steps_{view.kind}")
eta = f"step size η ({view.fgsm_unit})"
step_size = c2.select_slider(eta, view.fgsm_step_sizes, value=view.fgsm_step, key=f"lt_fgsm_eta_{view.kind}")
spread = view.fgsm_spread(c3)
c4.write("")
fgsm_key = (*run_key, seed, fgsm_steps, step_size, spread)
push_help = f"{view.fgsm_points} noise {view.kind}, each step along the sign of D's gradient"
if c4.button("Push noise toward “real”", key="lt_fgsm", type="primary", icon=":material/trending_up:", help=push_help):
    with run.paused() as trainer, st.spinner("Following D's gradient…"):
        result = fgsm.fgsm_from_noise(trainer, view.fgsm_points, fgsm_steps, step_size, seed, spread)
    state.cache["fgsm"] = (fgsm_key, result)
result = state.stored("fgsm", fgsm_key)
if result is None:
    st.caption("Press the button to run it with these settings.")
else:
    view.show_fgsm(run, result)
    st.markdown(fgsm.fgsm_verdict(run.trainer, result))
