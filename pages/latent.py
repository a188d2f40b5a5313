"""Latent: what a trained GAN's latent space and discriminator show (lectures 000 and 004).

Layout only: the numbers come from `ganviz.latent`, the figures from `ganviz.plots_latent`. The page works
on a run trained in this browser session, the 2D playground's (`pg_run`) or the digits page's (`mn_run`),
and trains one quickly when there is none, storing it where those pages look for their run.
"""
from __future__ import annotations

import math

import streamlit as st

from ganviz.latent import embedding
from ganviz.latent import fgsm
from ganviz.figures import latent
from ganviz.latent import noise
from ganviz.latent import probe
from ganviz.latent import truncation
from ganviz.config import GANConfig, image_config
from ganviz.data.images import load_images
from ganviz.live.run import LiveRun
from ganviz.training.trainer import DISPLAY_SAMPLES
from pages._run_controls import install_run

SOURCES = {"pg_": "2D playground", "mn_": "Digits (MNIST)"}
WIDGETS = {"pg_": "w_", "mn_": "mw_"}  # each training page's settings widgets
QUICK_ITERATIONS = 3000  # measured with the page's first draw: ~13 s for the 2D ring, ~15 s for the 8×8 digits
MORE_ITERATIONS = 1000
FEW_ITERATIONS = 500  # below this a run has not learnt much: say so
TRAIN_CHUNK = 100  # iterations between progress-bar updates
GRID = 40  # the digit samples to pick from: four rows of ten
PSIS = [math.inf if p is None else p for p in noise.TRUNCATION_PSIS]  # a slider of numbers: inf is untruncated
TRUNCATED_POINTS = 1000
FGSM_POINTS = {False: 64, True: 8}  # by is_image
FGSM_STEP_SIZES = {False: [0.005, 0.01, 0.02, 0.05, 0.1, 0.2], True: [0.002, 0.005, 0.01, 0.02, 0.05, 0.1]}
FGSM_DEFAULT_STEP = {False: 0.05, True: 0.02}
FGSM_SPREADS = [1, 2, 4, 8]
FGSM_DEFAULT_STEPS = {False: 100, True: 40}
NEIGHBOURS = 6  # samples drawn near a − b + c
NEIGHBOUR_SPREAD = 0.25  # their distance from it, per coordinate (DCGAN used ±0.25)
STATIC = {"displayModeBar": False}

st.title("Latent")
st.caption("What a trained GAN knows: its latent space has meaning, the noise's scale trades fidelity for "
           "variety, the discriminator's features cluster the data, and a discriminator alone cannot generate.")


# --- the run ------------------------------------------------------------------------------------------

def _quick_config(prefix: str) -> GANConfig:
    if prefix == "pg_":
        return GANConfig()  # the playground's default: the ring of 8 Gaussians
    return image_config("digits", image_model="mlp-cpu",
                        conditional=bool(st.session_state.get("lt_quick_conditional", False)))


def _make_run(prefix: str, config: GANConfig) -> LiveRun:
    """A run built as the training page builds its own (trained in a worker process when it plays there)."""
    if prefix == "pg_":
        return LiveRun(config, background=True)
    return LiveRun(config, images=load_images(config.dataset), background=True, capacity=8)


def _train_here(run: LiveRun, iterations: int, what: str) -> None:
    bar = st.progress(0.0, text=f"{what}: training…")
    run.stop()
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


def _quick_train(prefix: str) -> None:
    config = _quick_config(prefix)
    with st.spinner("Building the run (digits: training the judge classifier the first time, a few seconds)…"):
        install_run(prefix, WIDGETS[prefix], config, lambda: _make_run(prefix, config))
    # what the training page reads besides its run (it sets these itself when it builds one)
    st.session_state.update({f"{prefix}url_messages": [], f"{prefix}lesson": "free play"})
    st.session_state.update({"pg_hide": set(), "pg_points": None} if prefix == "pg_" else {"mn_neighbours": None})
    iterations = int(st.session_state.get("lt_quick_iterations", QUICK_ITERATIONS))
    _train_here(st.session_state[f"{prefix}run"], iterations, f"Quick-training {SOURCES[prefix]}")
    st.session_state.lt_pending_source = prefix


def _quick_train_buttons(prefixes: list[str]) -> None:
    cols = st.columns(len(prefixes))
    for col, prefix in zip(cols, prefixes):
        with col:
            if prefix == "pg_":
                label = f"Quick-train a 2D GAN (ring of 8 Gaussians, {QUICK_ITERATIONS:,} iterations, about 12 s)"
            else:
                label = (f"Quick-train a digits GAN (scikit-learn's 8×8 digits, {QUICK_ITERATIONS:,} iterations, "
                         "about 15 s)")
                st.toggle("conditional: G and D see the digit (class switching; the truncation trick as in BigGAN)",
                          key="lt_quick_conditional")
            if st.button(label, key=f"lt_quick_{prefix}", type="primary", icon=":material/bolt:"):
                _quick_train(prefix)
                st.rerun()


if "lt_pending_source" in st.session_state:  # a quick-train picked its run before the radio existed
    st.session_state.lt_source = st.session_state.pop("lt_pending_source")
available = [p for p in SOURCES if st.session_state.get(f"{p}run") is not None]
missing = [p for p in SOURCES if p not in available]

st.header("Which run")
if not available:
    st.info("This page looks inside a GAN trained in this browser session, and none has been trained yet. "
            "Train one on the **2D playground** or **Digits (MNIST)** page, or quick-train one here: it then "
            "shows on its page too.", icon=":material/info:")
    _quick_train_buttons(missing)
    st.stop()

if st.session_state.get("lt_source") not in available:
    st.session_state.lt_source = available[0]
prefix = st.radio("the run to look inside", available, format_func=SOURCES.get, horizontal=True, key="lt_source")
run: LiveRun = st.session_state[f"{prefix}run"]
run.stop()  # a run playing on its page trains in a worker process: take back its latest state
cfg = run.config
if run.trainer.is_image:
    what = (f"{cfg.dataset} · {cfg.image_model}{' · conditional' if cfg.conditional else ''} · digits "
            f"{cfg.digits}")
else:
    what = cfg.dataset
info, more = st.columns([4, 1.3])
info.markdown(f"**{SOURCES[prefix]}**: {what} · iteration **{run.iteration:,}** · loss {run.trainer.loss.title} · "
              f"noise {cfg.noise_dim}-D {cfg.noise} · seed {cfg.seed}")
if more.button(f"Train it {MORE_ITERATIONS:,} more iterations", key="lt_more", icon=":material/fitness_center:"):
    _train_here(run, MORE_ITERATIONS, f"Training {SOURCES[prefix]}")
    st.rerun()
if run.trainer.divergence is not None:
    st.error(run.trainer.divergence.message, icon=":material/warning:")
if run.iteration < FEW_ITERATIONS:
    st.warning(f"This run has trained only {run.iteration:,} iterations: its latent space means little yet. "
               f"Train it more here or on its page.", icon=":material/hourglass_empty:")
if missing:
    with st.expander(f"Quick-train a {SOURCES[missing[0]]} run too"):
        _quick_train_buttons(missing)
seed = st.columns([1, 3])[0].number_input("seed of this page's random draws", 0, 10_000, 0, key="lt_seed",
                                          help="truncated noise, the samples embedded, the FGSM noise")

is_image = run.trainer.is_image
conditional = run.trainer.conditional
kind = "images" if is_image else "points"
# Results worth keeping between reruns are cached under the run's identity and progress.
run_key = (prefix, id(run), run.iteration, run.trainer.d_updates, run.trainer.g_updates)


def cached(name: str, key: tuple, compute):
    store = st.session_state.setdefault("lt_cache", {})
    if name not in store or store[name][0] != key:
        store[name] = (key, compute())
    return store[name][1]


def stored(name: str, key: tuple):
    """A result computed on a button press, while it still belongs to this run and these settings."""
    hit = st.session_state.get("lt_cache", {}).get(name)
    return hit[1] if hit is not None and hit[0] == key else None


def keep(name: str, key: tuple, value) -> None:
    st.session_state.setdefault("lt_cache", {})[name] = (key, value)


# --- interpolation and arithmetic ----------------------------------------------------------------------

st.header("Interpolation and arithmetic")
st.markdown("Walk in a straight line (**linear**) or along the sphere (**spherical**) from one noise vector to "
            "another and watch what G makes on the way. In many dimensions Gaussian noise lives near a sphere of "
            "radius √dim: the straight line's middle cuts inside it, where G has rarely been.")

with run.paused() as trainer:
    picks = probe.latent_samples(trainer, GRID if is_image else DISPLAY_SAMPLES)
    typical = noise.typical_norm(cfg.noise, cfg.noise_dim)
n_picks = len(picks.z)
# default picks far apart (G may put many samples on one mode): the path's ends, then a, b and c
for key, index in zip(("start", "end", "a", "b", "c"), probe.farthest_points(picks.outputs, 2)
                      + probe.farthest_points(picks.outputs, 3, first=1)):
    st.session_state.setdefault(f"lt_{key}_{kind}", index)


def _on_click() -> None:
    """A click on a fake: it becomes the start, then the end, then the start again…"""
    points = st.session_state.lt_pick.selection.points
    fakes = [p for p in points if p.get("curve_number") == st.session_state.get("lt_fake_trace")]
    if fakes:
        target = st.session_state.get("lt_next_pick", "start")
        st.session_state[f"lt_{target}_points"] = int(fakes[-1]["point_index"])
        st.session_state.lt_next_pick = "end" if target == "start" else "start"


def _picker(label: str, key: str, container=st) -> int:
    if is_image:
        return container.selectbox(label, range(n_picks), key=key)
    return int(container.number_input(label, 0, n_picks - 1, step=1, key=key))


if is_image:
    controls, grid_col = st.columns([1, 2.2])
else:
    figure_col, controls = st.columns([1.35, 1])
with controls:
    c1, c2 = st.columns(2)
    with c1:
        start = _picker("start: sample #" if is_image else "start: fake #", f"lt_start_{kind}")
    with c2:
        end = _picker("end: sample #" if is_image else "end: fake #", f"lt_end_{kind}")
    path_kind = st.radio("path", ["spherical", "linear"], format_func=latent.PATH_NAMES.get, horizontal=True,
                         key="lt_path")
    steps = st.slider("points along the path", 5, 24 if is_image else 60, 12 if is_image else 25, key="lt_steps")
    path_label = None
    if conditional:
        digits = cfg.digit_list()
        if st.session_state.get("lt_path_digit") not in digits:  # first visit, or another run's digits
            st.session_state.lt_path_digit = int(picks.labels[start])
        path_label = st.selectbox("digit asked for along the path", digits, key="lt_path_digit",
                                  help="a conditional G draws one digit: the path changes its style only")

with run.paused() as trainer:
    walks = {name: probe.walk(trainer, fn(picks.z[start], picks.z[end], steps), path_label)
             for name, fn in (("spherical", noise.slerp), ("linear", noise.lerp))}
d_output = walks["spherical"].d_output
t_axis = [i / (steps - 1) for i in range(steps)]
profile = latent.path_profile(t_axis, {k: w.scores for k, w in walks.items()}, {k: w.norms for k, w in walks.items()},
                          path_kind, d_output, typical, height=340 if is_image else 360)
if is_image:
    with grid_col:
        st.plotly_chart(latent.numbered_grid(picks.outputs, title="G's samples for the run's fixed z: pick two",
                                         picked={start: "start", end: "end"},
                                         labels=picks.labels if conditional else None),
                        key="lt_grid", config=STATIC)
    st.plotly_chart(latent.interpolation_strip({k: w.outputs for k, w in walks.items()}, path_kind, start, end),
                    key="lt_strip", config=STATIC)
    st.plotly_chart(profile, key="lt_profile", config=STATIC)
else:
    interpolation = latent.interpolation_2d(run.snapshot, {k: w.outputs for k, w in walks.items()}, path_kind, start,
                                        end)
    st.session_state.lt_fake_trace = latent.fake_trace_index(interpolation)
    with figure_col:
        st.plotly_chart(interpolation, key="lt_pick", on_select=_on_click, selection_mode="points",
                        config={"displayModeBar": False})
    with controls:
        st.plotly_chart(profile, key="lt_profile", config=STATIC)
        st.caption(f"Click a fake to set the {st.session_state.get('lt_next_pick', 'start')} of the path (clicks "
                   "alternate between start and end), or type the numbers above.")

st.subheader("Arithmetic: a − b + c")
st.markdown("DCGAN's vector arithmetic: take the noise of three samples and add and subtract it. If directions "
            "in latent space carry meaning, G(a − b + c) has what a has, minus what b has, plus what c has. "
            f"Beside it, G at noise near a − b + c ({NEIGHBOUR_SPREAD:g}·N(0, I) away).")
if is_image:
    pickers = st.columns(4 if conditional else 3)
else:
    figure_col, side = st.columns([1.35, 1])
    pickers = side.columns(3)
abc = {name: _picker(f"{name}: sample #" if is_image else f"{name}: fake #", f"lt_{name}_{kind}", col)
       for col, name in zip(pickers, "abc")}
result_label = None
if conditional:
    if st.session_state.get("lt_result_digit") not in cfg.digit_list():
        st.session_state.lt_result_digit = int(picks.labels[abc["a"]])
    result_label = pickers[3].selectbox("digit asked for the result", cfg.digit_list(), key="lt_result_digit")
result_z = noise.arithmetic(*(picks.z[abc[n]] for n in "abc"))
with run.paused() as trainer:
    near = probe.generate(trainer, noise.around(result_z, 1 + NEIGHBOURS, NEIGHBOUR_SPREAD, seed), result_label)
if is_image:
    cells = [picks.outputs[abc[n]] for n in "abc"] + list(near)
    captions = ["a", "b", "c", "a − b + c"] + ["nearby"] * NEIGHBOURS
    st.plotly_chart(latent.image_row(cells, captions, title="G(a), G(b), G(c) and G(a − b + c)",
                                 uirevision="lt-arithmetic"), key="lt_arithmetic", config=STATIC)
else:
    with figure_col:
        st.plotly_chart(latent.arithmetic_2d(run.snapshot, {n: picks.outputs[abc[n]] for n in "abc"}, near[0],
                                         near[1:]), key="lt_arithmetic", config=STATIC)
    with side:
        rows = [f"| G({n}) | fake #{abc[n]} | ({picks.outputs[abc[n]][0]:.2f}, {picks.outputs[abc[n]][1]:.2f}) |"
                for n in "abc"]
        st.markdown("| | | G's output |\n|---|---|---|\n" + "\n".join(rows)
                    + f"\n| **G(a − b + c)** | | **({near[0][0]:.2f}, {near[0][1]:.2f})** |")
        st.caption(f"With {cfg.noise_dim}-D noise, a − b + c is the fourth corner of the parallelogram on a, b and "
                   "c in the latent space, and lands wherever G sends that corner. Try a = b: the result is G(c).")

if conditional:
    st.subheader("Same z, another digit")
    st.markdown("A conditional G takes the digit as a separate input: keep the noise, change the digit, and the "
                "style (slant, thickness) stays while the digit changes.")
    switch = st.selectbox("the noise of sample #", range(n_picks), key="lt_switch")
    digits = cfg.digit_list()
    with run.paused() as trainer:
        switched = probe.generate(trainer, [picks.z[switch]] * len(digits), digits)
    st.plotly_chart(latent.image_row(switched, [str(d) for d in digits], title=f"G(z #{switch}, digit)",
                                 uirevision="lt-switch"), key="lt_switched", config=STATIC)


# --- the truncation trick ---------------------------------------------------------------------------------

st.header("The truncation trick")
st.markdown("BigGAN (lecture 004): draw each noise coordinate from a normal cut off at ±ψ. A small ψ keeps z "
            "near the centre of the latent space: fewer, more typical samples (fidelity); a large ψ gives the "
            "full variety. Does that hold for this run?")
if cfg.noise == "uniform":
    st.info("This run's noise is uniform on [−1, 1]: truncating it at ψ leaves it uniform on [−ψ, ψ], so any "
            "ψ ≥ 1 is the untruncated noise.", icon=":material/info:")
psi = st.select_slider("ψ, the truncation threshold", PSIS, value=1.0, key="lt_psi",
                       format_func=lambda p: "none (untruncated)" if math.isinf(p) else f"{p:g}")
engine_psi = None if math.isinf(psi) else psi
with run.paused() as trainer:
    truncated = truncation.truncated_samples(trainer, GRID if is_image else TRUNCATED_POINTS, engine_psi, seed)
    with st.spinner("Measuring fidelity and variety at every ψ…"):
        sweep = cached("sweep", (*run_key, seed),
                       lambda: truncation.truncation_sweep(trainer, noise.TRUNCATION_PSIS, seed=seed))
i = PSIS.index(psi)
low, full = sweep.fidelity[0], sweep.fidelity[-1]
left, right = st.columns([1, 1.2])
with left:
    if is_image:
        st.plotly_chart(latent.numbered_grid(truncated.outputs, title=f"G(z), z truncated at ψ = {psi:g}",
                                         numbered=False, height=300), key="lt_truncated", config=STATIC)
    else:
        st.plotly_chart(latent.truncation_points(run.snapshot, truncated.outputs, psi), key="lt_truncated",
                        config=STATIC)
with right:
    coverage = (f" · {sweep.coverage_name}: **{sweep.coverage[i]:.0f} of {sweep.coverage_total}**"
                if sweep.coverage_total else "")
    st.markdown(f"At ψ = {PSIS[i]:g}: **{sweep.fidelity[i]:.1%}** {sweep.fidelity_name}{coverage} · "
                f"{sweep.distance_name}: **{sweep.distance[i]:.3g}** (real vs real: {sweep.distance_floor:.3g}).")
    st.caption(f"{sweep.samples:,} samples per ψ, from the same random draws for every ψ (seed {seed}), so the "
               "differences come from ψ alone.")
    if low > full + 0.01:
        st.success(f"As in BigGAN: fidelity rises from {full:.1%} untruncated to {low:.1%} at ψ = {PSIS[0]:g}, "
                   f"while the distance to the data grows from {sweep.distance[-1]:.3g} to {sweep.distance[0]:.3g}: "
                   "variety is what truncation costs.", icon=":material/check_circle:")
    elif low < full - 0.01:
        between = "between digits" if is_image else "between modes"
        st.warning(f"Here truncation *lowers* fidelity ({full:.1%} untruncated, {low:.1%} at ψ = {PSIS[0]:g}). "
                   f"The centre of this latent space is not a typical sample: G maps it {between}. BigGAN's "
                   "generator is class-conditional, so its centre is a typical sample *of the class asked for*: "
                   "try a conditional digits run.", icon=":material/info:")
    else:
        st.info(f"Fidelity barely moves with ψ here ({full:.1%} untruncated, {low:.1%} at ψ = {PSIS[0]:g}); "
                "variety still drops as ψ falls.", icon=":material/info:")
st.plotly_chart(latent.truncation_curve(sweep, psi), key="lt_sweep", config=STATIC)


# --- the discriminator's embedding space --------------------------------------------------------------------

st.header("The discriminator's embedding space")
st.markdown("Lecture 000: the layers of a well-trained discriminator are an embedding in which the data "
            "clusters. Here are D's penultimate-layer features of real and generated samples, projected to 2D.")
embed_key = (*run_key, seed)
with run.paused() as trainer:
    inputs = cached("embedding_inputs", embed_key, lambda: embedding.embedding_features(trainer, seed=seed))
pca = cached("pca", embed_key, lambda: embedding.embed(inputs.features, "pca", seed))
n_embedded = len(inputs.features)
st.plotly_chart(latent.embedding_figure(pca, inputs.is_real, inputs.classes, inputs.class_name, scores=inputs.scores,
                                    title=f"PCA of D's {inputs.features.shape[1]} features ({n_embedded} samples)"),
                key="lt_pca", config=STATIC)
if st.button("Run t-SNE on the same features (about a second or two)", key="lt_tsne", icon=":material/hub:"):
    bar = st.progress(0.0, text="t-SNE…")
    keep("tsne", embed_key, embedding.embed(inputs.features, "tsne", seed,
                                         progress=lambda f, message: bar.progress(f, text=message)))
    bar.empty()
tsne = stored("tsne", embed_key)
if tsne is not None:
    st.plotly_chart(latent.embedding_figure(tsne, inputs.is_real, inputs.classes, inputs.class_name, scores=inputs.scores,
                                        title=f"t-SNE of D's features (perplexity "
                                              f"{min(embedding.TSNE_PERPLEXITY, (n_embedded - 1) / 3):g})"),
                    key="lt_tsne_figure", config=STATIC)
st.caption("Real samples are circles, G's samples crosses. "
           + ("Real digits are coloured by their label, generated ones by what the judge classifier reads. "
              if is_image else "Colours mark each sample's nearest mode. " if inputs.classes is not None else "")
           + "PCA keeps the directions of largest spread; t-SNE keeps neighbourhoods, not distances.")


# --- FGSM from noise ---------------------------------------------------------------------------------------

st.header("FGSM from noise: a discriminator cannot generate")
st.markdown("Lecture 000 asks: start from random noise and nudge it with the fast gradient sign method, "
            "x ← x + η·sign(∇ₓ D(x)), toward “real”. D's score rises; does the noise become data? "
            + ("Each image below is one noise image at a few of its steps." if is_image else
               "The lines are the noise points' paths over D's surface, shown as far out as they go."))
c1, c2, c3, c4 = st.columns([1, 1, 1, 1.1])
fgsm_steps = c1.slider("steps", 5, 300, FGSM_DEFAULT_STEPS[is_image], key=f"lt_fgsm_steps_{kind}")
step_size = c2.select_slider("step size η" + (" (pixels on the [−1, 1] scale)" if is_image else " (data units)"),
                             FGSM_STEP_SIZES[is_image], value=FGSM_DEFAULT_STEP[is_image], key=f"lt_fgsm_eta_{kind}")
spread = 1
if not is_image:
    spread = c3.select_slider("noise starts in a square this many times the data's view", FGSM_SPREADS, value=4,
                              key="lt_fgsm_spread", help="1: around the data; more: far out, where D never saw "
                              "any data but still has a slope")
c4.write("")
fgsm_key = (*run_key, seed, fgsm_steps, step_size, spread)
if c4.button("Push noise toward “real”", key="lt_fgsm", type="primary", icon=":material/trending_up:",
             help=f"{FGSM_POINTS[is_image]} noise {kind}, each step along the sign of D's gradient"):
    with run.paused() as trainer, st.spinner("Following D's gradient…"):
        keep("fgsm", fgsm_key, fgsm.fgsm_from_noise(trainer, FGSM_POINTS[is_image], fgsm_steps, step_size, seed,
                                                      spread))
fgsm = stored("fgsm", fgsm_key)
if fgsm is None:
    st.caption("Press the button to run it with these settings.")
else:
    if is_image:
        st.plotly_chart(latent.fgsm_images(fgsm, labels=fgsm.labels), key="lt_fgsm_images", config=STATIC)
        st.plotly_chart(latent.fgsm_curves(fgsm), key="lt_fgsm_curves", config=STATIC)
    else:  # a square view: beside the curves, not stretched across the page
        paths, curves = st.columns([1, 1.2], gap="medium")
        paths.plotly_chart(latent.fgsm_paths_2d(run.snapshot, fgsm), key="lt_fgsm_paths", config=STATIC)
        curves.plotly_chart(latent.fgsm_curves(fgsm, height=560, stacked=True), key="lt_fgsm_curves", config=STATIC)
    first, last = fgsm.scores[0].mean(), fgsm.scores[-1].mean()
    verdict = (f"D's mean score went from **{first:.3g}** to **{last:.3g}**. The samples' mean distance to the "
               f"nearest real sample went from {fgsm.distance_to_data[0]:.3g} to "
               f"**{fgsm.distance_to_data[-1]:.3g}**; real samples sit {fgsm.real_distance:.3g} from it and G's "
               f"samples {fgsm.fake_distance:.3g}.")
    if is_image:
        readings = ", ".join(str(int(d)) for d in fgsm.predicted[-1])
        judged = (f"The judge classifier reads the final images as {readings}, with a mean confidence of "
                  f"{fgsm.confidence[-1]:.0%}")
        if fgsm.labels is not None:
            judged += f" (D was asked about {', '.join(str(int(d)) for d in fgsm.labels)})"
        judged += (": a classifier is a discriminative network too, and noise pushed along gradients fools it as "
                   "well. " if fgsm.confidence[-1] >= 0.8 else ". ")
        st.markdown(f"{verdict} {judged}Look at the pictures and the distance: D's approval is not the data. "
                    "That is the lecture's argument for training a generator.")
    else:
        hq = "" if fgsm.hq_fraction is None else (
            f" **{fgsm.hq_fraction[-1]:.0%}** of them ended within 3σ of a mode, on {fgsm.modes_captured[-1]} of "
            f"the {len(run.trainer.dataset.modes)} modes.")
        st.markdown(f"{verdict}{hq} In 2D a discriminator's peaks often sit on the data, so points that start "
                    "near it can land there; points that start where D never saw data climb whatever slope D has "
                    "there, which need not lead to the data (widen the square to see it). And D only says how real "
                    "a point looks, not how the data is spread: the points pile up wherever D's peaks are. "
                    "Learning the spread is a generator's job.")
