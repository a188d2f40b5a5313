"""Dynamics: why gradient play circles (the xy game), why the original G loss stalls, and what
spectral normalisation does to a discriminator's Lipschitz constant.

Layout and widgets only: numbers come from ganviz.theory and ganviz.lipschitz, figures from
ganviz.plots_dynamics.
"""

from __future__ import annotations

import pages._import_once  # noqa: F401  (first: see pages/_import_once.py)

import numpy as np
import streamlit as st

from ganviz.data import DATASETS
from ganviz.figures import dynamics, spectral, words, words_theory
from ganviz.theory.dynamics import XY_METHODS, g_loss_curves, simultaneous_radius_factor, xy_trajectory
from ganviz.theory.lipschitz import MAX_MATRIX_SIDE, compare_spectral_norm, power_iteration_run
from pages._first_visit import run_through_app

run_through_app()  # first, before anything is drawn: see pages/_first_visit.py

XY_START = (1.0, 1.0)  # the lecture's Step 0: x > 0, y > 0
DEFAULT_METHODS = ["simultaneous", "alternating", "extragradient", "optimistic"]
SN_DATASET, SN_STEPS, SN_SEED = "two-clusters", 300, 0
KEPT_TRAININGS = 8  # trained pairs kept in the session, by their settings
PLOT_CONFIG = {"displayModeBar": False}

st.title("Dynamics")
st.caption(
    "Three reasons GAN training is hard, each small enough to compute exactly: gradient play "
    "circles instead of converging, the original generator loss goes flat, and a discriminator "
    "can be arbitrarily steep unless its Lipschitz constant is controlled."
)

# --- the xy game -----------------------------------------------------------------------------------

st.header("The xy game")
explain, rules = st.columns([2, 3], gap="large")
with explain:
    st.markdown(
        "The smallest min-max game (lecture 002): x wants V small, y wants it big. The only "
        "equilibrium is (0, 0), yet plain gradient play never gets there: in the lecture's steps y "
        "grows, then x falls, then y falls, then x grows, and the players are back where they "
        "started. **Simultaneous** steps are worse: each one multiplies the distance to the "
        "equilibrium by exactly √(1+η²), so they spiral out for any step size. **Alternating** "
        "steps (y first, as in the lecture) circle forever on a closed curve. Methods that look "
        "ahead (**extragradient**), remember the last step (**optimistic**) or add a pull toward "
        "small gradients (**consensus**) converge."
    )
with rules:
    st.latex(r"\min_x \max_y V(x, y) = x\,y, \qquad \nabla_x V = y, \quad \nabla_y V = x")
    st.latex(
        r"\begin{aligned}"
        r"\text{simultaneous:}\quad & x_{t+1} = x_t - \eta y_t, \;\; y_{t+1} = y_t + \eta x_t \\"
        r"& \Rightarrow\; \|z_{t+1}\| = \sqrt{1+\eta^2}\,\|z_t\| \\[4pt]"
        r"\text{alternating:}\quad & y_{t+1} = y_t + \eta x_t, \;\; x_{t+1} = x_t - \eta y_{t+1} \\"
        r"& \Rightarrow\; x_t^2 + y_t^2 + \eta\, x_t y_t \text{ is the same for every } t \\[4pt]"
        r"\text{extragradient:}\quad & z_{t+1/2} = z_t - \eta F(z_t), \;\; z_{t+1} = z_t - \eta F(z_{t+1/2}) \\"
        r"\text{optimistic:}\quad & z_{t+1} = z_t - 2\eta F(z_t) + \eta F(z_{t-1}) \\"
        r"\text{consensus:}\quad & z_{t+1} = z_t - \eta\,\big(F(z_t) + \gamma \nabla \tfrac12 \|F(z_t)\|^2\big)"
        r"\end{aligned}"
    )
    st.caption(
        "z = (x, y); F(z) = (∂V/∂x, −∂V/∂y) = (y, −x) is the field both players descend. Every path starts at (1, 1)."
    )

methods = st.multiselect("methods", list(XY_METHODS), default=DEFAULT_METHODS, key="dy_methods")
controls = st.columns(3, gap="large")
eta = controls[0].slider("step size η", 0.01, 1.0, 0.1, 0.01, key="dy_eta")
steps = controls[1].slider("steps", 10, 1000, 200, 10, key="dy_steps")
gamma = controls[2].slider(
    "consensus γ",
    0.0,
    2.0,
    1.0,
    0.1,
    key="dy_gamma",
    help="Weight of the pull toward small gradients; used by consensus only.",
    disabled="consensus" not in methods,
)

simultaneous = xy_trajectory("simultaneous", eta, steps, XY_START)
alternating = xy_trajectory("alternating", eta, steps, XY_START)
factors = dynamics.radius_factors(simultaneous)
numbers = st.columns(3)
numbers[0].metric(
    "simultaneous: measured ‖zₜ₊₁‖ / ‖zₜ‖",
    f"{factors.mean():.9f}",
    help=f"Mean over the {steps} steps; smallest {factors.min():.12f}, largest {factors.max():.12f}.",
)
numbers[1].metric("closed form √(1+η²)", f"{simultaneous_radius_factor(eta):.9f}")
numbers[2].metric(
    "alternating: largest drift of x² + y² + ηxy",
    f"{dynamics.invariant_drift(alternating, eta):.1e}",
    help="max over the run of |I(z_t) − I(z_0)| / I(z_0): zero up to rounding. (With x "
    "stepping first, x² + y² − ηxy is the conserved quantity instead.)",
)

if not methods:
    st.info("Pick at least one method to draw its trajectory.")
else:
    paths = {m: xy_trajectory(m, eta, steps, XY_START, gamma) for m in methods}
    plane, radius = st.columns(2, gap="medium")
    plane.plotly_chart(dynamics.xy_plane_figure(paths, eta), width="stretch", config=PLOT_CONFIG, key="dy_xy_plane")
    radius.plotly_chart(dynamics.xy_radius_figure(paths, eta), width="stretch", config=PLOT_CONFIG, key="dy_xy_radius")
    st.caption(words.describe_xy_paths(paths))  # both figures in words, for screen readers and printouts

# --- saturating vs non-saturating ----------------------------------------------------------------

st.header("Saturating vs non-saturating generator loss")
explain, formulas = st.columns([2, 3], gap="large")
with explain:
    st.markdown(
        "Early in training D easily tells G's samples from real data, so D(G(z)) is close to 0. "
        "The original loss log(1 − D(G(z))) is then almost flat: its gradient with respect to D's "
        "logit is −D(G(z)), close to 0, and G barely moves. The non-saturating loss −log D(G(z)) "
        "has the same fixed point but a gradient of D(G(z)) − 1, close to −1 exactly where G is "
        "worst (lecture 002's heuristic). Move the slider to see both at one value of D(G(z))."
    )
with formulas:
    st.latex(
        r"\begin{aligned}"
        r"\text{saturating:}\quad & \min_G\; \mathbb{E}_z \log\big(1 - D(G(z))\big) \\"
        r"& \frac{\partial}{\partial l} \log\big(1 - \sigma(l)\big) = -\sigma(l) = -D(G(z)) \\[8pt]"
        r"\text{non-saturating:}\quad & \min_G\; -\mathbb{E}_z \log D(G(z)) \\"
        r"& \frac{\partial}{\partial l} \big(-\log \sigma(l)\big) = \sigma(l) - 1 = D(G(z)) - 1"
        r"\end{aligned}"
    )
    st.caption(
        "l is D's logit on a fake, D(G(z)) = σ(l). G's gradient reaches its weights only "
        "through this factor, so where it is near 0 G learns nothing."
    )

d_fake = st.slider(
    "D(G(z))",
    0.001,
    0.999,
    0.03,
    0.001,
    format="%.3f",
    key="dy_dgz",
    help="D's probability that a fake is real: near 0 when D confidently rejects the fakes.",
)
at = {k: float(v[0]) for k, v in g_loss_curves(np.array([d_fake])).items()}
values = st.columns(4)
values[0].metric("saturating loss log(1 − D(G(z)))", f"{at['saturating']:.4f}")
values[1].metric("its gradient −D(G(z))", f"{at['saturating_grad']:.4f}")
values[2].metric("non-saturating loss −log D(G(z))", f"{at['nonsaturating']:.4f}")
values[3].metric("its gradient D(G(z)) − 1", f"{at['nonsaturating_grad']:.4f}")
st.plotly_chart(dynamics.g_loss_figure(d_fake), width="stretch", config=PLOT_CONFIG, key="dy_g_loss")
st.caption(words_theory.describe_g_losses(d_fake, dynamics.FLAT_GRADIENT))
st.caption(
    f"Shaded: where a loss's gradient is smaller than {dynamics.FLAT_GRADIENT:g} in size. For the "
    f"saturating loss that is D(G(z)) < {dynamics.FLAT_GRADIENT:g}, a confident D: the fakes get no "
    "signal. The non-saturating loss only goes flat once D is fooled, when G has nothing left to learn."
)

# --- spectral normalisation ------------------------------------------------------------------------

st.header("Spectral normalisation")
st.subheader("The largest singular value, by power iteration")
explain, formulas = st.columns([2, 3], gap="large")
with explain:
    st.markdown(
        "Spectral norm (Miyato et al. 2018) divides every weight matrix by its largest singular "
        "value σ(W). An SVD per step would be expensive, so it runs power iteration instead, one "
        "step per training update. Here it runs on a random Gaussian matrix, step by step, against "
        "the exact σ(W) from an SVD. The estimate climbs to σ(W) from below, and the smaller "
        "σ₂/σ₁, the faster."
    )
with formulas:
    st.latex(r"\sigma(W) = \max_{\|h\|_2 \le 1} \|W h\|_2 \;\approx\; u_n^\top W\, v_n")
    st.latex(r"v_{n+1} = \frac{W^\top u_n}{\|W^\top u_n\|_2}, \qquad u_{n+1} = \frac{W v_{n+1}}{\|W v_{n+1}\|_2}")

shape = st.columns(4, gap="medium")
rows = shape[0].number_input("rows of W", 1, MAX_MATRIX_SIDE, 16, key="dy_rows")
cols = shape[1].number_input("columns of W", 1, MAX_MATRIX_SIDE, 16, key="dy_cols")
matrix_seed = shape[2].number_input("seed of W", 0, 2**31 - 1, 0, key="dy_matrix_seed")
power_steps = shape[3].slider("power-iteration steps", 1, 200, 15, key="dy_power_steps")
try:
    run = power_iteration_run(rows, cols, power_steps, seed=matrix_seed)
except ValueError as e:
    st.error(f"Cannot run power iteration: {e}")
else:
    readout = st.columns(4)
    readout[0].metric("σ(W) by SVD", f"{run.sigma_max:.9f}")
    readout[1].metric(f"estimate after {power_steps} steps", f"{run.estimates[-1]:.9f}")
    readout[2].metric("relative error", f"{run.relative_errors[-1]:.1e}")
    readout[3].metric(
        "σ₂ / σ₁",
        f"{run.gap_ratio:.3f}",
        help="The error shrinks by about (σ₂/σ₁)⁴ per step once the first singular vector dominates.",
    )
    st.plotly_chart(spectral.power_iteration_figure(run), width="stretch", config=PLOT_CONFIG, key="dy_power")
    st.caption(words_theory.describe_power_iteration(run.estimates, run.singular_values))

st.subheader("A discriminator with and without spectral norm")
explain, formulas = st.columns([2, 3], gap="large")
with explain:
    st.markdown(
        "Two small discriminators (2 hidden layers of 64, leaky ReLU) start from the same weights "
        "and learn to tell real points from Gaussian noise; only one has spectral norm. Each "
        "layer's Lipschitz constant is its σ(W) and leaky ReLU's is 1, so their product bounds how "
        "steep D's logit f can be. The steepest slope actually found on the grid, max ‖∇ₓf‖, can "
        "never exceed that bound."
    )
with formulas:
    st.latex(r"|f(a) - f(b)| \le \|f\|_L\, \|a - b\|, \qquad \|f\|_L \le \prod_l \sigma(W_l)")
    st.latex(
        r"W_\text{SN} = W / \hat\sigma(W) \;\Rightarrow\; \sigma(W_\text{SN}) = \sigma(W) / \hat\sigma(W) \approx 1"
    )
    st.caption(
        "σ̂ comes from power iteration, which never overshoots σ: each normalised layer's σ is "
        "1 or a little above, while the estimate catches up with the weights."
    )

sn = st.columns([2, 2, 1, 2], gap="medium", vertical_alignment="bottom")
dataset = sn[0].selectbox(
    "real data",
    list(DATASETS),
    index=list(DATASETS).index(SN_DATASET),
    format_func=lambda name: DATASETS[name].title,
    key="dy_sn_dataset",
)
sn_steps = sn[1].slider("training steps (Adam)", 50, 1500, SN_STEPS, 50, key="dy_sn_steps")
sn_seed = sn[2].number_input("seed", 0, 2**31 - 1, SN_SEED, key="dy_sn_seed")
settings = (dataset, int(sn_steps), int(sn_seed))
results = st.session_state.setdefault("dy_sn_results", {})
if sn[3].button("Train both discriminators", key="dy_train", type="primary"):
    try:
        with st.spinner("Training two discriminators (about a second)…"):
            result = compare_spectral_norm(dataset, steps=int(sn_steps), seed=int(sn_seed))
    except ValueError as e:
        st.error(f"Cannot train: {e}")
    else:
        results.pop(settings, None)
        results[settings] = result
        while len(results) > KEPT_TRAININGS:
            results.pop(next(iter(results)))

comparison = results.get(settings)
if comparison is None:
    st.info(
        "Press **Train both discriminators** to train them with these settings and measure them."
        if not results
        else "The settings changed: press **Train both discriminators** to train with them."
    )
else:
    for column, est in zip(st.columns(2, gap="large"), (comparison.plain, comparison.spectral)):
        tag = "with SN" if est.spectral_norm else "without SN"
        left, right = column.columns(2)
        left.metric(
            f"Lipschitz estimate, {tag}",
            f"{est.grad_max:.3f}",
            help="max ‖∇ₓf‖ over the grid, f = D's logit: a lower estimate of the true constant. "
            f"The largest secant slope |f(a) − f(b)| / ‖a − b‖ over random pairs is {est.secant_max:.3f}.",
        )
        right.metric(
            f"bound ∏σ(Wₗ), {tag}",
            f"{est.bound:.3f}",
            help="The product of each layer's largest singular value (by SVD, after spectral norm).",
        )
        column.caption(
            f"Per layer, input first: σ = {', '.join(f'{s:.3f}' for s in est.layer_sigmas)}. "
            f"{est.accuracy:.0%} of the training points on the right side of D = ½."
        )
    st.plotly_chart(
        spectral.spectral_surfaces_figure(comparison), width="stretch", config=PLOT_CONFIG, key="dy_sn_surfaces"
    )
    st.caption(words_theory.describe_spectral(comparison))
    st.caption(
        "D(x) = P(real) on each network's grid. Without spectral norm D is free to become as steep "
        "as it likes around the data; with it, the logit can change by at most about one unit per "
        "unit of distance, so D's surface stays smooth and its gradients stay informative."
    )
