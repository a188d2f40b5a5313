"""Latent: what a trained GAN's latent space and discriminator show (lectures 000 and 004).

Layout only: the numbers and what they mean come from `ganviz.latent`, the figures from
`ganviz.figures.latent`. The page looks inside a run another page lends (`borrowable_runs()`: the 2D
playground's, the digits page's) or one it quick-trains itself and keeps in its own state. What differs
between 2D points and digit images on screen is drawn by one view object per kind of data (`VIEWS`).
"""

from __future__ import annotations

import math
from functools import partial

import pages._import_once  # noqa: F401  (first: see pages/_import_once.py)

import streamlit as st

from ganviz.figures import latent as figures
from ganviz.figures import words_latent as words
from ganviz.latent import embedding, fgsm, noise, probe, truncation
from ganviz.live.run import LiveRun
from pages._first_visit import run_through_app
from pages._latent_views import NEIGHBOURS, VIEWS, LatentState
from pages._plotly_live import NO_MODEBAR
from pages._session import borrowable_runs, page_state

run_through_app()  # first, before anything is drawn: see pages/_first_visit.py

MORE_ITERATIONS = 1000
FEW_ITERATIONS = 500  # below this a run has not learnt much: say so
TRAIN_CHUNK = 100  # iterations between progress-bar updates
PSIS = [math.inf if p is None else p for p in noise.TRUNCATION_PSIS]  # a slider of numbers: inf is untruncated
NEIGHBOUR_SPREAD = 0.25  # their distance from it, per coordinate (DCGAN used ±0.25)
VERDICT_ICONS = {"success": ":material/check_circle:", "warning": ":material/info:", "info": ":material/info:"}


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
view.show_interpolation(figure_col, controls, run, picks, walks, chosen, start, end, profile, typical)

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
    st.plotly_chart(fig, key="lt_switched", config=NO_MODEBAR)
    st.caption(view.describe_pictures(run, switched, f"G(z #{switch}, digit)", asked=digits))

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
st.plotly_chart(figures.truncation_curve(sweep, psi), key="lt_sweep", config=NO_MODEBAR)
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
    figures.embedding_figure(pca, *by, scores=inputs.scores, title=chart_title), key="lt_pca", config=NO_MODEBAR
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
    st.plotly_chart(fig, key="lt_tsne_figure", config=NO_MODEBAR)
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
