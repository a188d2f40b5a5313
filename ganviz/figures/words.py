"""Figures in words: a few short sentences per live figure, computed from the numbers the figure draws.

The pages show them under each figure as text, which screen readers read and printouts keep. Numbers in,
sentences out: `describe_points` (the 2D main view), `describe_images` (the digit grid and the judge's
histogram), `describe_race` (the small multiples), `describe_curves` and `describe_race_curves` (the charts),
`describe_xy_paths` (the xy game's trajectories).

How things are said:
- Iterations carry a thousands separator; other numbers are rounded as a person says them (`number`).
- Modes are numbered 1..K in the order the dataset lists its centres, the order of `mode_stats`' counts:
  the ring of 8 starts on the positive x axis and goes anticlockwise; the grid of 25 goes column by column
  from the bottom left, each column upwards. Missing modes are also placed, by their centres, when few.
- Mode coverage uses the snapshot's measured `mode_counts` where it has them (what the figure colours the
  mode circles by), else the samples the figure shows, and then says so.
- "On the data" is the part of D's grid within `near_radius` of a shown real point; "elsewhere" the rest.
- A trend compares the mean of the last fifth of a window (the last TREND_WINDOW iterations, or the
  metrics measured in them) with the mean of its first fifth: within STEADY of the larger, it is steady.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from ganviz.metrics.points import mode_stats

LISTED = 6  # missing modes or digits are named up to this many, beyond that only counted
PLACED = 3  # missing modes are placed (their centres) up to this many
HQ_SIGMAS = 3.0  # a sample within this many σ of a mode centre is high quality (as in mode_stats)
HEADING_CONE_DEG = 30.0  # a mode lies in the direction of the mean push when within this angle of it
COHERENT = 0.3  # the mean push is a common heading only when at least this share of the mean arrow length
TREND_WINDOW = 500  # iterations a trend looks back over
MIN_TREND_POINTS = 10  # fewer iterations than this: values, no trend
STEADY = 0.1  # a change below this share of the larger mean is "steady"
DOMINANT = 1.5  # a digit dominates with at least this many times its fair share of the samples
COMPASS = ("to the right", "up and to the right", "up", "up and to the left")  # every 45°, anticlockwise
COMPASS += ("to the left", "down and to the left", "down", "down and to the right")


# --- saying numbers ---------------------------------------------------------------------------------------


def number(x: float) -> str:
    """A value as a person says it: 1,234 / 12 / 1.2 / 0.62 / 0.034 / 1.2e-5 / 4.6e7."""
    x = float(x)
    if math.isnan(x):
        return "not a number"
    if math.isinf(x):
        return "infinite" if x > 0 else "minus infinite"
    a = abs(x)
    if 100 <= a < 1e6:
        return f"{x:,.0f}"
    if 10 <= a < 100:
        return f"{x:.0f}"
    if 1 <= a < 10:
        return f"{x:.1f}"
    if 0.001 <= a < 1:
        return f"{x:.2g}"
    if a == 0:
        return "0"
    mantissa, exponent = f"{x:.1e}".split("e")
    return f"{mantissa}e{int(exponent)}"


def percent(share: float) -> str:
    """A share as a percentage, "41%"; one that would round to 0 % or 100 % without being it is "under 1%" or
    "over 99%"."""
    share = float(share)
    if 0 < share < 0.005:
        return "under 1%"
    if 0.995 <= share < 1:
        return "over 99%"
    return f"{100 * share:.0f}%"


def listing(items: Iterable) -> str:
    """Items as a person lists them: "3", "3 and 7", "2, 5 and 8"."""
    items = [str(i) for i in items]
    return "".join(items) if len(items) < 2 else ", ".join(items[:-1]) + " and " + items[-1]


def place(xy) -> str:
    """A point as "(1.4, -1.4)": one decimal, no minus zero."""
    return "(" + ", ".join(f"{round(float(v), 1) + 0.0:g}" for v in xy) + ")"


def some_of(k: int, total: int, things: str) -> str:
    """A count out of a total: "none of the 8 modes", "6 of 8 modes", "all 8 modes"."""
    if k == 0:
        return f"none of the {total} {things}"
    return f"all {total} {things}" if k == total else f"{k} of {total} {things}"


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + "."


# --- the 2D main view -------------------------------------------------------------------------------------


def mode_coverage(snap) -> tuple[list[int], float, str] | None:
    """(samples per mode, share of samples within 3σ of a mode, which samples were counted) of a 2D
    snapshot; None when its data has no modes. The measured `mode_counts` where the snapshot has them,
    else `mode_stats` of the samples shown."""
    if snap.modes is None or not snap.sigma:
        return None
    modes = np.asarray(snap.modes, dtype=np.float64).reshape(-1, 2)
    metrics = snap.metrics or {}
    counts = metrics.get("mode_counts")
    if counts is not None and len(counts) == len(modes) and metrics.get("hq_fraction") is not None:
        return [int(c) for c in counts], float(metrics["hq_fraction"]), "G's samples"
    fake = np.asarray(snap.fake, dtype=np.float64).reshape(-1, 2)
    stats = mode_stats(fake, modes, snap.sigma, threshold=HQ_SIGMAS)
    return stats["mode_counts"], stats["hq_fraction"], f"the {len(fake):,} samples shown"


def modes_clause(counts: Sequence[int], modes=None, *, short: bool = False) -> str:
    """Mode coverage from the samples per mode: "6 of 8 modes captured, 7 and 8 missing, at (0, -2) and
    (1.4, -1.4)" (modes numbered from 1; `short`: without where they are)."""
    k = len(counts)
    missing = [i + 1 for i, c in enumerate(counts) if c <= 0]
    captured = k - len(missing)
    text = some_of(captured, k, "modes captured")
    if not captured or not missing:
        return text
    text += ", "
    if len(missing) > LISTED:
        return text + f"{len(missing)} missing"
    text += f"{listing(missing)} missing"
    if modes is not None and not short and len(missing) <= PLACED:
        text += ", at " + listing(place(np.asarray(modes)[i - 1]) for i in missing)
    return text


def near_radius(snap) -> float:
    """How close to a real point a grid point is "on the data": 3σ of the modes (the mode circles' radius),
    and at least one grid spacing so that every real point claims its grid cell."""
    spacing = max(abs(float(snap.grid_x[1] - snap.grid_x[0])), abs(float(snap.grid_y[1] - snap.grid_y[0])))
    return max(HQ_SIGMAS * (snap.sigma or 0.0), spacing)


def data_mask(snap) -> np.ndarray:
    """(len(grid_y), len(grid_x)) bool, like `d_surface`: the grid points within `near_radius` of a real point.
    Each real point only looks at the grid points around its own cell, so this stays cheap at every frame."""
    gx, gy = np.asarray(snap.grid_x, dtype=np.float64), np.asarray(snap.grid_y, dtype=np.float64)
    real = np.asarray(snap.real, dtype=np.float64).reshape(-1, 2)
    real = real[np.isfinite(real).all(axis=1)]
    mask = np.zeros((len(gy), len(gx)), dtype=bool)
    if not len(real) or len(gx) < 2 or len(gy) < 2:
        return mask
    r = near_radius(snap)
    dx, dy = gx[1] - gx[0], gy[1] - gy[0]
    reach_x, reach_y = math.ceil(r / abs(dx)) + 1, math.ceil(r / abs(dy)) + 1  # grid steps a point can reach
    ox, oy = np.meshgrid(np.arange(-reach_x, reach_x + 1), np.arange(-reach_y, reach_y + 1))
    ix = np.rint((real[:, :1] - gx[0]) / dx).astype(np.int64) + ox.ravel()  # (N, cells around each point)
    iy = np.rint((real[:, 1:] - gy[0]) / dy).astype(np.int64) + oy.ravel()
    inside = (ix >= 0) & (ix < len(gx)) & (iy >= 0) & (iy < len(gy))
    ix, iy = ix.clip(0, len(gx) - 1), iy.clip(0, len(gy) - 1)
    near = inside & ((gx[ix] - real[:, :1]) ** 2 + (gy[iy] - real[:, 1:]) ** 2 <= r * r)
    mask[iy[near], ix[near]] = True
    return mask


def d_clause(snap) -> str:
    """D's mean on the data against its mean elsewhere; for a critic (not a probability) only the gap."""
    surface = np.asarray(snap.d_surface, dtype=np.float64)
    mask, finite = data_mask(snap), np.isfinite(surface)
    on, off = surface[mask & finite], surface[~mask & finite]
    if not on.size or not off.size:
        return ""
    gap = on.mean() - off.mean()
    if snap.d_output == "critic":
        return f"the critic is {'higher' if gap >= 0 else 'lower'} on the data than elsewhere by {number(abs(gap))}"
    who = "D" if snap.d_output == "probability" else "D's score"
    return f"{who} is about {number(on.mean())} on the data and {number(off.mean())} elsewhere"


def heading(vector) -> str:
    """The compass word of a 2D direction (y up, as the figure draws it)."""
    angle = math.degrees(math.atan2(float(vector[1]), float(vector[0])))
    return COMPASS[round(angle / 45.0) % 8]


def push_clause(snap) -> str:
    """Where G's loss pushes the shown samples on average, and the nearest mode that way."""
    fake = np.asarray(snap.fake, dtype=np.float64).reshape(-1, 2)
    push = np.asarray(snap.fake_push, dtype=np.float64).reshape(-1, 2)
    ok = np.isfinite(fake).all(axis=1) & np.isfinite(push).all(axis=1)
    fake, push = fake[ok], push[ok]
    lengths = np.hypot(push[:, 0], push[:, 1])
    if not len(push) or lengths.mean() <= 0:
        return ""
    mean = push.mean(axis=0)
    if np.hypot(*mean) < COHERENT * lengths.mean():
        return "G's loss pushes its samples in different directions"
    text = f"G's loss pushes its samples {heading(mean)}"
    if snap.modes is None:
        return text
    centre = fake.mean(axis=0)
    to_modes = np.asarray(snap.modes, dtype=np.float64).reshape(-1, 2) - centre
    distance = np.hypot(to_modes[:, 0], to_modes[:, 1])
    cosine = to_modes @ mean / np.maximum(distance * np.hypot(*mean), 1e-300)
    ahead = (cosine >= math.cos(math.radians(HEADING_CONE_DEG))) & (distance > HQ_SIGMAS * (snap.sigma or 0.0))
    if ahead.any():
        text += f", toward mode {int(np.flatnonzero(ahead)[distance[ahead].argmin()]) + 1}"
    return text


def describe_points(snap, *, arrows: bool = True) -> str:
    """The 2D main view (a `training.points.Snapshot`): modes captured and missing, the share of high-quality
    samples, D on the data against elsewhere, and (`arrows`: the figure draws them) where G's samples head."""
    head = f"Iteration {snap.iteration:,}"
    coverage = mode_coverage(snap)
    if coverage is None:
        sentences = [head + "."]
    else:
        counts, hq, counted = coverage
        sentences = [
            f"{head}: {modes_clause(counts, snap.modes)}.",
            f"{percent(hq)} of {counted} lie within {HQ_SIGMAS:g}σ of a mode.",
        ]
    sentences += [_sentence(c) for c in (d_clause(snap), push_clause(snap) if arrows else "") if c]
    return " ".join(sentences)


# --- digits -----------------------------------------------------------------------------------------------


def digits_clause(metrics: Mapping, trained: Sequence[int] | None) -> str:
    """The judge's histogram: "the classifier finds 8 of 10 digits in G's samples, 3 and 5 missing; 1 dominates
    with 41% of them" (`trained`: the digits trained on, for each one's fair share)."""
    counts = np.asarray(metrics["class_counts"], dtype=np.float64)
    covered, total, missing = metrics.get("classes_covered"), metrics.get("classes_total"), metrics.get("missing")
    text = f"the classifier finds {some_of(covered, total, 'digits')} in G's samples"
    if missing and covered:
        text += f", {listing(missing)} missing" if len(missing) <= LISTED else f", {len(missing)} missing"
    if trained is None and total == 10:
        trained = range(10)
    if trained is not None and counts.sum() > 0:
        shares = counts / counts.sum()
        top = int(shares.argmax())
        if len(trained) > 1 and shares[top] >= DOMINANT / len(trained):
            text += f"; {top} dominates with {percent(shares[top])} of them"
    return text


def describe_images(snap, digits: Sequence[int] | None = None) -> str:
    """The digit grid and the judge's histogram (a `training.images.ImageSnapshot`): which digits G makes,
    which are missing or dominant, and the Fréchet distance. `digits`: the digits trained on."""
    rows, cols = snap.grid.shape[:2]
    shown = (
        f"one row of samples per digit asked for, {listing(snap.row_labels)}"
        if snap.row_labels
        else f"{rows * cols} samples for a fixed z"
    )
    sentences = [f"Iteration {snap.iteration:,}: {shown}."]
    m = snap.metrics or {}
    if m.get("class_counts") is None:
        return " ".join(sentences + ["The digits are not judged yet."])
    trained = list(digits) if digits is not None else (list(snap.row_labels) if snap.row_labels else None)
    sentences.append(_sentence(digits_clause(m, trained)))
    if m.get("fid") is not None:
        floor = f" (real against real: {number(m['fid_floor'])})" if m.get("fid_floor") is not None else ""
        sentences.append(f"FID {number(m['fid'])}{floor}.")
    return " ".join(sentences)


# --- a race -----------------------------------------------------------------------------------------------


def run_title(label: str) -> str:
    """A race's run label "B: loss hinge" as "B (loss hinge)"."""
    name, _, difference = label.partition(": ")
    return f"{name} ({difference})" if difference else name


def describe_race(snap, labels: Sequence[str] | None = None, stopped: Mapping[str, str] | None = None) -> str:
    """The small multiples (a `racing.race.RaceSnapshot`): one clause per run, with its modes captured or
    digits and FID, and why it stopped (`stopped`: run name -> reason, e.g. its divergence)."""
    stopped = stopped or {}
    labels = labels or snap.names
    head = f"Iteration {snap.iteration:,}, {len(snap.runs)} runs, "
    halted = [n for n in snap.names if n in stopped]
    head += f"{listing(halted)} stopped." if halted else "none diverged."
    clauses = []
    for name, label, run in zip(snap.names, labels, snap.runs):
        metrics = (snap.metrics or {}).get(name) or {}
        parts = []
        if hasattr(run, "d_surface"):  # a 2D run
            run = dataclasses.replace(run, metrics=metrics)  # what its panel shows: the race's metrics
            coverage = mode_coverage(run)
            if coverage is not None:
                parts.append(modes_clause(coverage[0], short=True))
            elif metrics.get("w1") is not None:
                parts.append(f"W1 {number(metrics['w1'])}")
        else:
            if metrics.get("classes_covered") is not None:
                parts.append(some_of(metrics["classes_covered"], metrics.get("classes_total"), "digits"))
            if metrics.get("fid") is not None:
                parts.append(f"FID {number(metrics['fid'])}")
        if name in stopped:
            parts.append(stopped[name])
        clauses.append(f"{run_title(label)}: {', '.join(parts) or 'not measured yet'}.")
    return " ".join([head, *clauses])


# --- curves -----------------------------------------------------------------------------------------------


def trend(values, min_points: int = MIN_TREND_POINTS) -> tuple[float, str] | None:
    """(the recent mean, "steady" / "rising" / "falling", or "" with fewer than `min_points` values) of a
    window of values: the last fifth's mean against the first fifth's. None when nothing is finite."""
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    if not v.size:
        return None
    k = max(len(v) // 5, 1)
    now, before = float(v[-k:].mean()), float(v[:k].mean())
    if len(v) < min_points:
        return now, ""
    if abs(now - before) <= STEADY * max(abs(now), abs(before)):
        return now, "steady"
    return now, "rising" if now > before else "falling"


def pair(name_a: str, a: tuple[float, str] | None, name_b: str, b: tuple[float, str] | None) -> str:
    """Two curves' `trend`s: "D(x) 0.62 and D(G(z)) 0.41, both steady" or "D 1.3, rising, and G 0.72, falling"."""
    said = [(n, t) for n, t in ((name_a, a), (name_b, b)) if t is not None]
    if len(said) == 2 and a[1] == b[1]:
        return f"{name_a} {number(a[0])} and {name_b} {number(b[0])}" + (f", both {a[1]}" if a[1] else "")
    return ", and ".join(f"{n} {number(t[0])}" + (f", {t[1]}" if t[1] else "") for n, t in said) or "not a number"


def metric_window(metrics_log: Sequence[Mapping], key: str, last_iteration: int) -> list[float]:
    """The values of `key` measured in the last TREND_WINDOW iterations, oldest first."""
    return [
        float(m[key])
        for m in metrics_log
        if m.get(key) is not None and m.get("iteration", last_iteration) > last_iteration - TREND_WINDOW
    ]


def metrics_clauses(metrics_log: Sequence[Mapping], last_iteration: int, images: bool) -> list[str]:
    """The measured curves: JS and W1 (2D) or the Fréchet distance (digits) with their trends, and the
    last modes or digits counts."""
    if not metrics_log:
        return ["no metrics yet"]
    last = metrics_log[-1]
    out = []
    for key, title, unit in (("fid", "FID", ""),) if images else (("js", "JS", " nats"), ("w1", "W1", "")):
        t = trend(metric_window(metrics_log, key, last_iteration), min_points=2)
        if t is not None:
            floor = last.get(f"{key}_floor")
            out.append(
                f"{title} {number(t[0])}{unit}"
                + (f", {t[1]}" if t[1] else "")
                + (f" (real against real: {number(floor)})" if floor is not None else "")
            )
    if images and last.get("classes_covered") is not None:
        out.append(some_of(last["classes_covered"], last.get("classes_total"), "digits") + " present")
        if last.get("mean_confidence") is not None:
            out.append(f"the classifier's mean confidence {percent(last['mean_confidence'])}")
    elif not images and last.get("mode_counts") is not None:
        out.append(modes_clause(last["mode_counts"], short=True))
        if last.get("hq_fraction") is not None:
            out.append(f"{percent(last['hq_fraction'])} of samples high quality")
    return out


def describe_curves(
    history: Mapping[str, np.ndarray],
    metrics_log: Sequence[Mapping],
    *,
    loss_output: str = "probability",
    metrics: str = "points",
) -> str:
    """The training charts (`curves.training_charts`' inputs): each plotted curve's recent value and its trend
    over the last TREND_WINDOW iterations, then the last measured metrics. `metrics`: "points" or "images"."""
    n = len(history.get("loss_d", ()))
    if not n:
        return "No training yet."
    last_iteration = int(np.asarray(history.get("iteration", np.arange(1, n + 1)))[-1])
    w = min(TREND_WINDOW, n)
    window = {k: np.asarray(v)[-w:] for k, v in history.items()}
    real, fake = ("f(x)", "f(G(z))") if loss_output == "critic" else ("D(x)", "D(G(z))")
    sentences = [
        f"Iteration {last_iteration:,}; values are "
        + (f"means of the last {w // 5:,} iterations" if w >= 10 else "the last iteration's")
        + (f", trends over the last {w:,}." if w >= MIN_TREND_POINTS else "."),
        "Losses: " + pair("D", trend(window["loss_d"]), "G", trend(window["loss_g"])) + ".",
        f"{'Critic' if loss_output == 'critic' else 'D'} outputs: "
        + pair(real, trend(window["d_real"]), fake, trend(window["d_fake"]))
        + ".",
        "Gradient norms: " + pair("D", trend(window["grad_norm_d"]), "G", trend(window["grad_norm_g"])) + ".",
        _sentence("; ".join(metrics_clauses(metrics_log, last_iteration, metrics == "images"))),
    ]
    return " ".join(s for s in sentences if s != ".")


def describe_race_curves(runs: Sequence[tuple], *, metrics: str = "points") -> str:
    """The race's charts (`compare.race_charts`' `runs`: name, label, history, metrics log): per run, its
    losses and its headline distance (JS, or FID for digits) with their trends."""
    key, title = ("fid", "FID") if metrics == "images" else ("js", "JS")
    clauses = []
    for name, _, history, log in runs:
        n = len(history.get("loss_d", ()))
        if not n:
            clauses.append(f"{name}: no training yet.")
            continue
        last_iteration = int(np.asarray(history.get("iteration", np.arange(1, n + 1)))[-1])
        losses = pair("D", trend(history["loss_d"][-TREND_WINDOW:]), "G", trend(history["loss_g"][-TREND_WINDOW:]))
        text = f"{name}: losses {losses}"
        t = trend(metric_window(log, key, last_iteration), min_points=2)
        if t is not None:
            text += f"; {title} {number(t[0])}" + (f", {t[1]}" if t[1] else "")
        clauses.append(text + ".")
    return f"Trends over the last {TREND_WINDOW:,} iterations. " + " ".join(clauses)


# --- the xy game ------------------------------------------------------------------------------------------

GROWTH = {"rising": "growing", "falling": "shrinking", "steady": "steady"}


def describe_xy_paths(paths: Mapping[str, np.ndarray]) -> str:
    """The xy game's trajectories (method -> iterates (T+1, 2), one start): per method, its distance to the
    equilibrium (0, 0) at the end and whether it grows (`trend` over all the steps)."""
    arrays = {method: np.asarray(path, dtype=np.float64).reshape(-1, 2) for method, path in paths.items()}
    first = next(iter(arrays.values()))
    clauses = []
    for method, path in arrays.items():
        r = np.hypot(path[:, 0], path[:, 1])
        if not np.isfinite(r[-1]):
            clauses.append(f"{method} infinite")
            continue
        growth = trend(r)[1]
        clauses.append(f"{method} {number(r[-1])}" + (f", {GROWTH[growth]}" if growth else ""))
    return (
        f"Distance to the equilibrium (0, 0) after {len(first) - 1:,} steps from {place(first[0])}, at distance "
        f"{number(np.hypot(*first[0]))}: " + "; ".join(clauses) + "."
    )
