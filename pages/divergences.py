"""Divergences: JS against Wasserstein, the optimal discriminator, and a live duel between the two.

Layout only: exact numbers come from `ganviz.theory`, the trained discriminator from
`ganviz.optimal_d`, the duel from `ganviz.shift_duel`, figures from `ganviz.plots_divergences`.
"""

from __future__ import annotations

import pages._import_once  # noqa: F401  (first: see pages/_import_once.py)

import numpy as np
import streamlit as st

from ganviz.figures import words_theory as words
from ganviz.figures.divergences import (
    densities_figure,
    divergence_curves_figure,
    duel_figure,
    duel_positions_figure,
    parallel_lines_figure,
)
from ganviz.losses import LOSSES
from ganviz.metrics.points import js_divergence_1d, wasserstein1_1d
from ganviz.theory import divergences
from ganviz.theory.optimal_d import DiscriminatorFit
from ganviz.theory.shift_duel import MAX_ITERATIONS, ShiftDuel, ShiftGANConfig, estimate_kind
from pages._first_visit import run_through_app
from pages._plotly_live import NO_MODEBAR, plotly_live

run_through_app()  # first, before anything is drawn: see pages/_first_visit.py

FRAME_S = 0.45  # redraw period of the live parts while playing
TRAIN_S = 0.3  # training time per frame
CURVE_POINTS = 401  # θ values on a JS/W1 curve
SAMPLES = 20_000  # per distribution, for the estimates from samples
HISTOGRAM_CELLS = 200
FIT_MAX_STEPS = 5_000  # the optimal-D fit pauses here: it has long converged
G_LEARNING_RATES = [0.01, 0.02, 0.05, 0.1, 0.2]
CUSTOM = "your own"

st.title("Divergences")
st.caption(
    "What a GAN's loss measures, and why it matters: Jensen–Shannon stays flat at log 2 while the "
    "distributions are apart, the Wasserstein distance keeps telling the generator which way to go. "
    "Every number on this page is exact unless it says it was estimated."
)

# --- session state ------------------------------------------------------------------------------------
for key, value in {
    "dv_fit": None,
    "dv_fit_playing": False,
    "dv_duel": None,
    "dv_duel_playing": False,
    "dv_custom": (divergences.LECTURE_MU, divergences.LECTURE_NU),
}.items():
    st.session_state.setdefault(key, value)


# --- 1. parallel lines --------------------------------------------------------------------------------

st.header("Parallel lines: JS cannot tell near from far")
text, lines, curves = st.columns([1.1, 1, 1.2], gap="medium")
with text:
    st.markdown(
        "Arjovsky et al. (2017): the data $P_0$ is uniform on a vertical segment at x = 0, the generator "
        "$P_\\theta$ the same segment moved to x = θ. Their supports never overlap unless θ = 0, so"
    )
    st.latex(r"\mathrm{JS}(P_0, P_\theta) = \begin{cases}\log 2 & \theta \ne 0\\ 0 & \theta = 0\end{cases}")
    st.latex(r"W_1(P_0, P_\theta) = |\theta|")
    st.markdown(
        "JS gives a generator at θ = 0.1 the same score as one at θ = 10, and no gradient to "
        "follow. W₁ shrinks smoothly as θ → 0."
    )
    line_theta = st.slider("θ, the generator's shift", -3.0, 3.0, 1.0, 0.05, key="dv_lines_theta")
    lines_now = divergences.parallel_lines(line_theta)
    a, b = st.columns(2)
    a.metric("JS (nats)", f"{lines_now['js']:.4f}")
    b.metric("W₁", f"{lines_now['w1']:.4f}")
thetas = np.linspace(-3, 3, CURVE_POINTS)
exact = [divergences.parallel_lines(t) for t in thetas]
with lines:
    st.plotly_chart(parallel_lines_figure(line_theta), key="dv_lines_figure", config=NO_MODEBAR)
with curves:
    st.plotly_chart(
        divergence_curves_figure(
            {"theta": thetas, "js": [e["js"] for e in exact], "w1": [e["w1"] for e in exact]},
            line_theta,
            title="JS and W₁ against θ",
            js_at_zero=True,
        ),
        key="dv_lines_curves",
        config=NO_MODEBAR,
    )
    st.caption(words.describe_parallel_lines(line_theta))  # both figures in words, for screen readers


# --- 2. two distributions on a line -------------------------------------------------------------------

st.header("Two distributions on a line")
st.markdown(
    "The data p stays put; the generator's distribution q is moved by θ. Lecture 002's example: "
    "**μ = ¼·1[1,2] + ¼·1[3,4] + ½·1[9,10]** against **μ′ = ½·1[5,7]**. JS is exact (the densities "
    "are constant between breakpoints, so the integral is a finite sum); W₁ = ∫|F_p − F_q| dx, "
    "also exact."
)
examples = {name: ex.title for name, ex in divergences.SHIFT_EXAMPLES.items()} | {CUSTOM: "your own mixtures"}
example_name = st.radio("example", list(examples), format_func=examples.get, horizontal=True, key="dv_example")


def _custom_mixtures() -> tuple[divergences.Mixture1D, divergences.Mixture1D]:
    """The mixtures typed by the user; a bad entry shows its error and keeps the last good pair."""
    st.caption(
        "Each piece is `weight start end` (a uniform density on [start, end]); separate pieces with `;`. "
        f"Up to {divergences.MAX_PIECES} pieces within ±{divergences.MAX_ABS_END:g}; weights are rescaled to sum to 1."
    )
    good_p, good_q = st.session_state.dv_custom
    c1, c2 = st.columns(2)
    p_text = c1.text_input("p (data)", divergences.format_mixture(good_p), key="dv_p_text")
    q_text = c2.text_input("q (generator, before the shift)", divergences.format_mixture(good_q), key="dv_q_text")
    try:
        p = divergences.parse_mixture(p_text)
    except ValueError as e:
        c1.error(f"p: {e}. Still showing the last valid p.", icon=":material/error:")
        p = good_p
    try:
        q = divergences.parse_mixture(q_text)
    except ValueError as e:
        c2.error(f"q: {e}. Still showing the last valid q.", icon=":material/error:")
        q = good_q
    st.session_state.dv_custom = (p, q)
    return p, q


if example_name == CUSTOM:
    p, q = _custom_mixtures()
    lo, hi = divergences.support(p, q)
    reach = float(np.ceil(hi - lo + 1))  # far enough to move q past p on either side
    theta_range, theta_default, duel_start = (-reach, reach), 0.0, min(reach, 8.0)
else:
    example = divergences.SHIFT_EXAMPLES[example_name]
    p, q = example.p, example.q
    theta_range, theta_default, duel_start = example.theta_range, example.theta_default, example.duel_start

theta = st.slider(
    "θ, the shift of q", *theta_range, theta_default, 0.05, key=f"dv_theta_{example_name}_{theta_range[1]:g}"
)
moved = q.shifted(theta)
view_lo, view_hi = divergences.support(p, q.shifted(theta_range[0]), q.shifted(theta_range[1]))
view = (view_lo - 0.5, view_hi + 0.5)


@st.cache_data(show_spinner=False, max_entries=64)
def _curves(p: divergences.Mixture1D, q: divergences.Mixture1D, lo: float, hi: float) -> dict:
    return divergences.divergence_curves(p, q, np.linspace(lo, hi, CURVE_POINTS))


@st.cache_data(show_spinner=False, max_entries=256)
def _from_samples(p: divergences.Mixture1D, q: divergences.Mixture1D) -> tuple[float, float]:
    """(histogram JS, W1 of the samples) from SAMPLES draws of each, seed 0."""
    rng = np.random.default_rng(0)
    a, b = p.sample(SAMPLES, rng), q.sample(SAMPLES, rng)
    return js_divergence_1d(a, b, HISTOGRAM_CELLS, divergences.support(p, q)), wasserstein1_1d(a, b)


js_now, w1_now = divergences.js_divergence(p, moved), divergences.wasserstein1(p, moved)
js_est, w1_est = _from_samples(p, moved)
left, right = st.columns(2)
with left:
    st.plotly_chart(
        densities_figure(p, moved, view, title=f"p and q moved by θ = {theta:g}"), key="dv_densities", config=NO_MODEBAR
    )
with right:
    st.plotly_chart(
        divergence_curves_figure(_curves(p, q, *theta_range), theta, title="JS and W₁ against θ"),
        key="dv_curves",
        config=NO_MODEBAR,
    )
    st.caption(words.describe_shift(p, q, theta, _curves(p, q, *theta_range)))
m = st.columns(4)
m[0].metric("JS (nats), exact", f"{js_now:.4f}", help="in [0, log 2 ≈ 0.6931]; log 2 means the supports do not overlap")
m[1].metric("W₁, exact", f"{w1_now:.4f}", help="in units of x: the least average distance to move q's mass onto p")
m[2].metric(
    "JS from samples",
    f"{js_est:.4f}",
    help=f"{SAMPLES:,} draws of each, histogram of {HISTOGRAM_CELLS} cells over the joint support",
)
m[3].metric("W₁ from samples", f"{w1_est:.4f}", help=f"exact W₁ between the {SAMPLES:,} + {SAMPLES:,} draws")
st.caption(
    "The estimates from samples land close to the exact values but not on them: that gap is what a "
    "metric computed from a finite batch always carries."
)


# --- 3. the optimal discriminator --------------------------------------------------------------------

st.header("The optimal discriminator")
text, formulas = st.columns([1.3, 1])
text.markdown(
    "For a fixed generator the best discriminator is D*(x) = p(x) / (p(x) + q(x)): 1 where only data lives, "
    "0 where only fakes live, and in between where both do. Put D* into the GAN value and what is left is the "
    "JS divergence (lecture 002), so *a perfect D turns G's training into minimising JS*. When q = p, "
    "D* = ½ everywhere: D can do no better than a coin. Press **Train D** to watch a small network learn "
    "its way to D* from samples of p and q (the densities above, at the current θ)."
)
formulas.latex(r"D^*(x) = \frac{p(x)}{p(x) + q(x)}")
formulas.latex(
    r"\begin{aligned}V(D^*, G) &= \mathbb{E}_p[\log D^*] + \mathbb{E}_q[\log(1 - D^*)]\\"
    r"&= 2\,\mathrm{JS}(p, q) - 2\log 2\end{aligned}"
)


def _kept(name: str, settings: tuple, build):
    """The live part `name`'s trainer, held in session state as dv_<name> = (settings, trainer); a new
    one from `build()` when the settings changed or Reset dropped it."""
    held = st.session_state[f"dv_{name}"]
    if held is None or held[0] != settings:
        held = (settings, build())
        st.session_state[f"dv_{name}"] = held
    return held[1]


def _fit_for(p: divergences.Mixture1D, q: divergences.Mixture1D) -> DiscriminatorFit:
    """The session's fit for this pair; a new one (from scratch) when p or q changed."""
    return _kept("fit", (p, q), lambda: DiscriminatorFit(p, q, seed=0))


def _play_controls(name: str, play_label: str, reset_label: str, reset_help: str, caption: str) -> None:
    """Play/Pause and Reset for the live part `name` (session keys dv_<name>_playing and dv_<name>,
    the latter holding (settings, trainer); Reset drops it so the next run builds a fresh one)."""
    flag = f"dv_{name}_playing"
    playing = st.session_state[flag]

    def toggle() -> None:
        st.session_state[flag] = not st.session_state[flag]

    def reset() -> None:
        st.session_state[f"dv_{name}"] = None

    c = st.columns([1.2, 1, 4])
    c[0].button(
        "Pause" if playing else play_label,
        key=f"dv_{name}_play",
        type="primary",
        on_click=toggle,
        icon=":material/pause:" if playing else ":material/play_arrow:",
        use_container_width=True,
    )
    c[1].button(reset_label, key=f"dv_{name}_reset", on_click=reset, use_container_width=True, help=reset_help)
    c[2].caption(caption)


_play_controls(
    "fit",
    "Train D",
    "Reset D",
    "a new network with fresh weights",
    "D: 2 hidden layers of 32, leaky ReLU, Adam 3e-3, cross-entropy on 256 + 256 samples per step; "
    f"it stops after {FIT_MAX_STEPS:,} steps.",
)


@st.fragment(run_every=FRAME_S if st.session_state.dv_fit_playing else None)
def optimal_d_view(p: divergences.Mixture1D, q: divergences.Mixture1D, view: tuple[float, float]) -> None:
    fit = _fit_for(p, q)
    if st.session_state.dv_fit_playing:
        fit.run_for(TRAIN_S)
        if fit.steps >= FIT_MAX_STEPS:
            st.session_state.dv_fit_playing = False
            st.rerun(scope="app")  # run_every is read on a full run only
    x = np.linspace(*view, 500)
    plotly_live(
        densities_figure(
            p,
            q,
            view,
            title=f"D* and a trained D after {fit.steps:,} steps",
            show_d_star=True,
            d_fit=(x, fit.probability(x)),
        ),
        key="dv_fit_figure",
        config=NO_MODEBAR,
    )
    st.caption(words.describe_optimal_d(p, q, fit.steps, fit.gap()))
    exact_value = divergences.value_at_optimum(p, q)
    cols = st.columns(4)
    cols[0].metric("V(D*, G), exact", f"{exact_value:.4f}")
    cols[1].metric(
        "2·JS − 2·log 2",
        f"{2 * divergences.js_divergence(p, q) - 2 * divergences.LOG2:.4f}",
        help="the same number computed the other way: the lecture's identity",
    )
    cols[2].metric(
        "V(D, G), trained D",
        f"{fit.value():.4f}",
        help="never above V(D*, G): D* is the maximiser (integrated on a fine grid)",
    )
    cols[3].metric("mean |D − D*|", f"{fit.gap():.4f}", help="averaged over where p and q put their mass")


optimal_d_view(p, moved, view)


# --- 4. the live duel --------------------------------------------------------------------------------

st.header("Live: JS against Wasserstein")
st.markdown(
    "Two generators start at the same place, far from the data, and learn only their shift θ by plain gradient "
    "descent (so a vanishing gradient means a generator that stops). Each has its own discriminator, started "
    "from the same weights and fed the same batches. With the **minimax** loss a confident D saturates: JS "
    "sits at log 2, G's gradient dies and θ stops short of the data. With **WGAN-GP** the critic estimates W₁ "
    "and its slope keeps pulling G toward the data. (The points are drawn as strips, x with a second "
    "coordinate u ~ U[0, 1] shared by both sides, which changes neither JS nor W₁; it lets the critic's "
    "gradient turn round when G overshoots.)"
)
names = list(LOSSES)
c = st.columns(5)
left_loss = c[0].selectbox(
    "left: loss", names, names.index("minimax"), format_func=lambda n: LOSSES[n].title, key="dv_left_loss"
)
right_loss = c[1].selectbox(
    "right: loss", names, names.index("wgan-gp"), format_func=lambda n: LOSSES[n].title, key="dv_right_loss"
)
theta0 = c[2].slider(
    "start θ₀",
    *theta_range,
    duel_start,
    0.25,
    key=f"dv_theta0_{example_name}_{theta_range[1]:g}",
    help="where both generators start",
)
d_steps = c[3].slider("D steps per G step", 1, 20, 5, key="dv_d_steps")
g_lr = c[4].select_slider("G's learning rate", G_LEARNING_RATES, 0.05, key="dv_g_lr")


def _duel() -> ShiftDuel:
    base = ShiftGANConfig(theta0=theta0, d_steps=d_steps, g_lr=g_lr)
    left, right = base.replace(loss=left_loss), base.replace(loss=right_loss)
    return _kept("duel", (p, q, left, right), lambda: ShiftDuel(p, q, left, right))


_play_controls(
    "duel",
    "Play",
    "Reset",
    "both generators back to θ₀, fresh discriminators (same seed)",
    f"Changing a setting starts over. Each run stops after {MAX_ITERATIONS:,} G steps.",
)


def _side_status(name: str, side, h: dict) -> str:
    """One line on a duel side; `h` is its history()."""
    if not len(h["theta"]):
        return f"**{name}**: θ = {side.shift:g}, press Play"
    return (
        f"**{name}**: iteration {side.iteration:,} · θ = {h['theta'][-1]:.3f} · JS {h['js'][-1]:.3f} · "
        f"W₁ {h['w1'][-1]:.3f} · |∂L_G/∂θ| {h['g_grad'][-1]:.2e}"
    )


@st.fragment(run_every=FRAME_S if st.session_state.dv_duel_playing else None)
def duel_view() -> None:
    duel = _duel()
    if st.session_state.dv_duel_playing:
        duel.run_for(TRAIN_S)
        if duel.finished or any(s.diverged for s in duel.sides):
            st.session_state.dv_duel_playing = False
            st.rerun(scope="app")
    sides = duel.sides
    labels = [f"{where} · {LOSSES[s.config.loss].title}" for where, s in zip(("left", "right"), sides)]
    for where, label, side in zip(("left", "right"), labels, sides):
        if side.diverged:
            st.warning(f"{label}: {side.diverged}", icon=":material/warning:")
            st.button(
                f"Resume the {where} run from iteration {side.iteration:,}, its last finite state",
                key=f"dv_resume_{where}",
                on_click=side.resume,
            )
    histories = [s.history() for s in sides]
    st.markdown("  \n".join(_side_status(label, s, h) for label, s, h in zip(labels, sides, histories)))
    plotly_live(
        duel_positions_figure(p, q, [s.shift for s in sides], labels, view), key="dv_duel_positions", config=NO_MODEBAR
    )
    plotly_live(
        duel_figure(histories, labels, [estimate_kind(s.config.loss) for s in sides]),
        key="dv_duel_charts",
        config=NO_MODEBAR,
    )
    st.caption(words.describe_duel(labels, [s.config.theta0 for s in sides], histories))


duel_view()
st.caption(
    "Dotted lines are the networks' own estimates: D's cross-entropy value turned into JS "
    "(V/2 + log 2, exact only for the optimal D) and the critic's gap E f(x) − E f(G(z)) as W₁ "
    "(exact only for the best 1-Lipschitz critic). Least squares estimates neither."
)
