"""Figures in words for the theory pages (Divergences, Dynamics): sentences computed from the exact numbers the
figures draw, in the style of `ganviz.figures.words` (whose number and list helpers they use).

`describe_parallel_lines` and `describe_shift` (JS and W1 against a shift θ), `describe_optimal_d` (D* and a
trained D), `describe_duel` (the live JS-against-W1 duel), `describe_g_losses` (the two generator losses),
`describe_power_iteration` and `describe_spectral` (spectral normalisation).

Slopes are central differences of the exact functions (step SLOPE_STEP), so a kink reads as the mean of its two
sides; JS counts as flat where its slope is below FLAT_SLOPE in size.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from ganviz.figures.words import listing, number, percent
from ganviz.theory.divergences import LOG2, Mixture1D, js_divergence, optimal_d, wasserstein1
from ganviz.theory.dynamics import g_loss_curves

SLOPE_STEP = 1e-4
FLAT_SLOPE = 1e-6  # |dJS/dθ| below this: no gradient (exact JS is flat up to rounding there)
APART = 1e-9  # JS within this of log 2: the supports do not overlap
SAME = 1e-12  # JS below this: the distributions are the same
INTERVALS = 3  # intervals named per value of D*, beyond that only counted
D_STAR_LEVELS = {1.0: "1 (only data)", 0.0: "0 (only fakes)", 0.5: "0.5 (the densities are equal)"}
STALLED = 1e-4  # a duel side's |∂L_G/∂θ| below this: G has stopped moving
CLOSE = 0.01  # power iteration is "within 1%" of σ(W) once its relative error is below this
UNDECIDED = (0.1, 0.9)  # D between these on the grid: it has not decided


# --- a shift θ: JS and W1 ---------------------------------------------------------------------------------


def js_w1_clause(js: float, js_slope: float, w1: float, w1_slope: float) -> str:
    """ "JS is log 2 ≈ 0.69 (flat: no gradient), W1 is 2.0 (its slope is 1)": each value with its slope."""
    if js >= LOG2 - APART:
        js_text = f"JS is log 2 ≈ {number(LOG2)}"
    else:
        js_text = f"JS is {number(js)}"
    js_text += " (flat: no gradient)" if abs(js_slope) < FLAT_SLOPE else f" (its slope is {number(js_slope)})"
    return f"{js_text}, W1 is {number(w1)} (its slope is {number(w1_slope)})"


def overlap_words(js: float) -> str:
    """How much two distributions share, read off their JS."""
    if js >= LOG2 - APART:
        return "do not overlap"
    return "are the same" if js <= SAME else "overlap"


def describe_parallel_lines(theta: float) -> str:
    """Arjovsky's parallel lines at shift θ: JS is log 2 for every θ ≠ 0 and W1 = |θ|."""
    if theta == 0:
        return "At θ = 0 the two lines coincide: JS and W1 are both 0. Move θ and JS jumps to log 2 at once."
    clause = js_w1_clause(LOG2, 0.0, abs(theta), float(np.sign(theta)))
    return (
        f"At θ = {number(theta)} the two lines do not overlap: {clause}. JS is the same for every θ ≠ 0, "
        f"so it cannot tell θ = {number(theta)} from θ = 10; W1 shrinks to 0 as θ goes to 0."
    )


def slopes(p: Mixture1D, q: Mixture1D, theta: float) -> tuple[float, float]:
    """(dJS/dθ, dW1/dθ) of p against q moved by θ, by central differences of the exact values."""
    lo, hi = q.shifted(theta - SLOPE_STEP), q.shifted(theta + SLOPE_STEP)
    scale = 2 * SLOPE_STEP
    js = (js_divergence(p, hi) - js_divergence(p, lo)) / scale
    w1 = (wasserstein1(p, hi) - wasserstein1(p, lo)) / scale
    return tuple(0.0 if abs(d) < FLAT_SLOPE else round(d, 6) for d in (js, w1))  # rounding noise is no slope


def flat_ranges(thetas: np.ndarray, js: np.ndarray) -> list[tuple[float, float]]:
    """The runs of θ (sorted) where JS sits at log 2, as (first θ, last θ)."""
    flat = np.asarray(js, dtype=np.float64) >= LOG2 - APART
    edges = np.diff(np.concatenate([[0], flat.astype(np.int8), [0]]))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1
    return [(float(thetas[a]), float(thetas[b])) for a, b in zip(starts, ends)]


def theta_range(lo: float, hi: float, first: float, last: float) -> str:
    """A run of θ as a person says it: "θ ≤ −1" when it reaches the low end, "θ ≥ 1" the high end."""
    if lo == first and hi == last:
        return "every θ shown"
    if lo == first:
        return f"θ ≤ {number(hi)}"
    return f"θ ≥ {number(lo)}" if hi == last else f"θ from {number(lo)} to {number(hi)}"


def describe_shift(p: Mixture1D, q: Mixture1D, theta: float, curves: Mapping[str, np.ndarray]) -> str:
    """p against q moved by θ (the densities figure) and JS and W1 across θ (`curves`: {"theta", "js", "w1"},
    `theory.divergences.divergence_curves`): how they overlap now, JS and W1 with their slopes, where JS is flat
    at log 2 and where W1 is smallest."""
    moved = q.shifted(theta)
    js, w1 = js_divergence(p, moved), wasserstein1(p, moved)
    js_slope, w1_slope = slopes(p, q, theta)
    clause = js_w1_clause(js, js_slope, w1, w1_slope)
    sentences = [f"At a shift of {number(theta)} the two distributions {overlap_words(js)}: {clause}."]
    t, js_curve, w1_curve = (np.asarray(curves[k], dtype=np.float64) for k in ("theta", "js", "w1"))
    runs = flat_ranges(t, js_curve)
    if runs:
        where = listing(theta_range(a, b, t[0], t[-1]) for a, b in runs)
        sentences.append(f"Across θ, JS is flat at log 2 for {where}.")
    best = int(np.argmin(w1_curve))
    sentences.append(f"W1 is smallest, {number(w1_curve[best])}, at θ = {number(t[best])}.")
    return " ".join(sentences)


# --- the optimal discriminator ----------------------------------------------------------------------------


def d_star_pieces(p: Mixture1D, q: Mixture1D) -> list[tuple[float, float, float]]:
    """D* = p/(p+q) as (start, end, value) pieces where p + q > 0, neighbours of equal value merged."""
    edges = np.union1d(p.breakpoints(), q.breakpoints())
    mids = 0.5 * (edges[:-1] + edges[1:])
    pv, qv = p.density(mids), q.density(mids)
    pieces: list[tuple[float, float, float]] = []
    for a, b, pa, qa in zip(edges[:-1], edges[1:], pv, qv):
        if pa + qa <= 0:
            continue
        value = float(optimal_d(pa, qa))
        if pieces and pieces[-1][1] == a and abs(pieces[-1][2] - value) < 1e-12:
            pieces[-1] = (pieces[-1][0], float(b), value)
        else:
            pieces.append((float(a), float(b), value))
    return pieces


def describe_optimal_d(p: Mixture1D, q: Mixture1D, steps: int, gap: float) -> str:
    """D* for p against q, where it is 1, 0, ½ or in between, and how far a trained D (after `steps` steps, mean
    |D − D*| = `gap` over p and q's mass) still is from it."""
    by_value: dict[float, list[str]] = {}
    for a, b, value in d_star_pieces(p, q):
        by_value.setdefault(round(value, 2), []).append(f"{number(a)} to {number(b)}")
    clauses = []
    for value in sorted(by_value, reverse=True):
        spans = by_value[value]
        where = f"x from {listing(spans)}" if len(spans) <= INTERVALS else f"{len(spans)} stretches of x"
        clauses.append(f"{D_STAR_LEVELS.get(value, number(value))} for {where}")
    text = "D* is " + "; ".join(clauses) + "."
    if steps:
        text += f" After {steps:,} steps the trained D is on average {number(gap)} from D*."
    else:
        text += " The trained D has not trained yet."
    return text


# --- the live duel ----------------------------------------------------------------------------------------


def describe_duel(names: Sequence[str], starts: Sequence[float], histories: Sequence[Mapping[str, np.ndarray]]) -> str:
    """The duel's two sides (`ShiftGAN.history()` each, started at `starts`): per side where θ went, JS and W1
    now, and whether G's gradient has died."""
    clauses = []
    for name, start, h in zip(names, starts, histories):
        if not len(h["theta"]):
            clauses.append(f"{name}: at θ = {number(start)}, not started.")
            continue
        grad = abs(float(h["g_grad"][-1]))
        js = float(h["js"][-1])
        js_text = f"log 2 ≈ {number(LOG2)}" if js >= LOG2 - APART else number(js)
        state = "G's gradient has died, so θ has stopped" if grad < STALLED else f"G's gradient is {number(grad)}"
        clauses.append(
            f"{name}, after {int(h['iteration'][-1]):,} G steps: θ went from {number(start)} to "
            f"{number(h['theta'][-1])}; JS {js_text}, W1 {number(h['w1'][-1])}; {state}."
        )
    return " ".join(clauses)


# --- the generator's two losses ---------------------------------------------------------------------------


def describe_g_losses(d_fake: float, threshold: float) -> str:
    """Both G losses at D(G(z)) = `d_fake`: each gradient w.r.t. D's logit, and where each is flat (|gradient|
    below `threshold`): the saturating one for D(G(z)) < threshold, the non-saturating one above 1 − threshold."""
    at = {k: float(v[0]) for k, v in g_loss_curves(np.array([d_fake])).items()}

    def state(key: str) -> str:
        return "flat" if abs(at[key]) < threshold else "steep"

    return (
        f"At D(G(z)) = {number(d_fake)} the saturating loss's gradient is {number(at['saturating_grad'])} "
        f"({state('saturating_grad')}) and the non-saturating loss's is {number(at['nonsaturating_grad'])} "
        f"({state('nonsaturating_grad')}). The saturating loss is flat (|gradient| < {number(threshold)}) for "
        f"D(G(z)) < {number(threshold)}, a confident D; the non-saturating one only for D(G(z)) > "
        f"{number(1 - threshold)}, once D is fooled."
    )


# --- spectral normalisation -------------------------------------------------------------------------------


def describe_power_iteration(estimates, singular_values) -> str:
    """Power iteration's estimates (steps,) against W's singular values (largest first): the last estimate and
    its relative error, the first step within CLOSE, and the rate (σ₂/σ₁)⁴."""
    estimates, s = np.asarray(estimates, dtype=np.float64), np.asarray(singular_values, dtype=np.float64)
    sigma = float(s[0])
    errors = (sigma - estimates) / sigma
    text = (
        f"After {len(estimates):,} steps the estimate is {estimates[-1]:.4g} against σ(W) = {sigma:.4g} by SVD, "
        f"a relative error of {number(max(errors[-1], 0.0))}."
    )
    close = np.flatnonzero(errors < CLOSE)
    text += (
        f" It came within {percent(CLOSE)} at step {int(close[0]) + 1}."
        if close.size
        else f" It is not yet within {percent(CLOSE)}."
    )
    if len(s) > 1:
        ratio = float(s[1] / s[0])
        text += f" σ₂/σ₁ is {number(ratio)}, so each step cuts the error by about (σ₂/σ₁)⁴ ≈ {number(ratio**4)}."
    return text


def describe_spectral(comparison) -> str:
    """The two trained discriminators (`theory.lipschitz.SpectralComparison`: `plain` and `spectral`, each with
    its surface, grad_max, bound and accuracy): per network the steepest slope found against its bound, the
    share of its grid where D is undecided and how many training points it gets right."""
    clauses = []
    for est in (comparison.plain, comparison.spectral):
        surface = np.asarray(est.surface, dtype=np.float64)
        soft = float(((surface > UNDECIDED[0]) & (surface < UNDECIDED[1])).mean())
        clauses.append(
            f"{'With' if est.spectral_norm else 'Without'} spectral norm, the steepest slope found is "
            f"{number(est.grad_max)} under a bound of {number(est.bound)}; D is undecided (between "
            f"{number(UNDECIDED[0])} and {number(UNDECIDED[1])}) on {percent(soft)} of the grid and right about "
            f"{percent(est.accuracy)} of the training points."
        )
    return " ".join(clauses)
