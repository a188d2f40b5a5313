"""The course's live checks: read a run as it is now and say, with its numbers, which outcome happened.

A reading takes the Trainer at the chapter's checkpoint (the student's own run, or a headless one in
`python -m ganviz course --check`) and `start`, the iteration its phase began (a "now try" that continues
the same run reads only what came after). The outcome is a key among the chapter's choices; the sentence
states the measurements that decided it. Thresholds come from the lessons' checks (ganviz/lessons/checks.py),
which were set from measurements over seeds 0-9.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ganviz.lessons.measures import interpolates, modes_captured, plane_grid, slope, tail_mean, top2_share
from ganviz.training.trainer import Trainer

DIVERGED = "diverged"


@dataclass(frozen=True)
class Reading:
    outcome: str  # a choice's key, or another word when none of the choices happened
    sentence: str  # what was measured, in words, with the numbers
    measured: dict = field(default_factory=dict)


def _diverged(t: Trainer) -> Reading | None:
    if t.divergence is None:
        return None
    return Reading(DIVERGED, f"training diverged at iteration {t.divergence.iteration:,}", {})


def _coverage(t: Trainer) -> tuple[int, float, int]:
    return modes_captured(t), top2_share(t), len(t.domain.dataset.modes)


def read_verdict(t: Trainer, start: int = 0) -> Reading:
    """D's mean verdict on real points and on G's samples over the last 100 iterations, and what G covers."""
    if (stop := _diverged(t)) is not None:
        return stop
    d_real, d_fake = tail_mean(t, "d_real", 100), tail_mean(t, "d_fake", 100)
    captured, top2, total = _coverage(t)
    undecided = all(0.3 <= v <= 0.7 for v in (d_real, d_fake))
    if d_real >= 0.8 and d_fake <= 0.2:
        outcome = "d-wins"
    elif undecided and captured >= 7:
        outcome = "undecided-spread"
    elif undecided and top2 >= 0.9:
        outcome = "undecided-clump"
    else:
        outcome = "in-between"
    sentence = (
        f"over iterations {t.iteration - 99:,}–{t.iteration:,} D said {d_real:.2f} on real points and "
        f"{d_fake:.2f} on G's samples; G covers {captured} of {total} modes, and the 2 fullest modes hold "
        f"{top2:.0%} of its samples"
    )
    return Reading(outcome, sentence, {"d_real": d_real, "d_fake": d_fake, "modes_captured": captured, "top2": top2})


def read_g_gradient(t: Trainer, start: int = 0) -> Reading:
    """The median of G's gradient norm over the last 50 iterations; with `start` > 0, compared with the 50
    iterations before `start` (the gradient coming back after a switch)."""
    if (stop := _diverged(t)) is not None:
        return stop
    g = t.history.column("grad_norm_g")
    now = float(np.median(g[-50:]))
    if start > 0:
        before = float(np.median(g[max(0, start - 50) : start]))
        ratio = now / max(before, 1e-12)
        outcome = "returned" if ratio >= 1000 else "still-small"
        sentence = (
            f"G's gradient norm (median of 50 iterations) went from {before:.2g} before iteration {start:,} to "
            f"{now:.2g} after it: {ratio:,.0f} times larger"
        )
        return Reading(outcome, sentence, {"before": before, "after": now, "ratio": ratio})
    outcome = "vanished" if now < 1e-3 else "strong" if now >= 0.01 else "weak"
    sentence = f"G's gradient norm, the median of iterations {max(1, t.iteration - 49):,}–{t.iteration:,}, is {now:.2g}"
    return Reading(outcome, sentence, {"grad_norm_g": now})


def read_coverage(t: Trainer, start: int = 0) -> Reading:
    """How many of the data's modes G captures, and how much of its samples sit on just 2 of them."""
    if (stop := _diverged(t)) is not None:
        return stop
    captured, top2, total = _coverage(t)
    if captured <= 2 and top2 >= 0.9:
        outcome = "collapse"
    elif captured >= 6 and top2 <= 0.4:
        outcome = "spread"
    else:
        outcome = "partial"
    sentence = (
        f"at iteration {t.iteration:,} G captures {captured} of {total} modes, and the 2 fullest modes hold "
        f"{top2:.0%} of its samples"
    )
    return Reading(outcome, sentence, {"modes_captured": captured, "top2": top2})


def read_orbit(t: Trainer, start: int = 0) -> Reading:
    """How much D's verdict on the fakes swings over the last 1,000 iterations (an orbit keeps it swinging)."""
    if (stop := _diverged(t)) is not None:
        return stop
    swing = float(t.history.column("d_fake")[-1000:].std())
    outcome = "orbit" if swing >= 0.1 else "settle" if swing <= 0.02 else "damping"
    sentence = (
        f"over iterations {max(1, t.iteration - 999):,}–{t.iteration:,} D's verdict on the fakes, D(G(z)), "
        f"swung with a standard deviation of {swing:.3f}"
    )
    return Reading(outcome, sentence, {"d_fake_std": swing})


def read_critic_slope(t: Trainer, start: int = 0) -> Reading:
    """The critic's slope ‖∇ₓD‖ between real and fake points (median), beside its W1 estimate and the true W1."""
    if (stop := _diverged(t)) is not None:
        return stop
    metrics = t.evaluate()
    median = float(np.median(slope(t, interpolates(t))))
    outcome = "flat" if median < 0.01 else "unit" if 0.8 <= median <= 1.2 else "steep" if median > 2 else "other"
    sentence = (
        f"at iteration {t.iteration:,} the critic's slope between real and fake points is {median:.3g} (median); "
        f"its own W1 estimate reads {metrics['critic_estimate']:.3g} while the exact W1 is {metrics['w1']:.3g}"
    )
    return Reading(
        outcome,
        sentence,
        {"slope": median, "critic_estimate": float(metrics["critic_estimate"]), "w1": float(metrics["w1"])},
    )


def read_steepest(t: Trainer, start: int = 0) -> Reading:
    """D's steepest slope anywhere on the plane (max ‖∇ₓD‖ on a 40 × 40 grid), and what G covers."""
    if (stop := _diverged(t)) is not None:
        return stop
    steepest = float(slope(t, plane_grid(t)).max())
    captured, _, total = _coverage(t)
    outcome = "bounded" if steepest <= 1 else "steep" if steepest >= 5 else "moderate"
    sentence = (
        f"at iteration {t.iteration:,} D's steepest slope on the plane is {steepest:.3g}, and G captures "
        f"{captured} of {total} modes"
    )
    return Reading(outcome, sentence, {"max_slope": steepest, "modes_captured": captured})
