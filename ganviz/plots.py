"""Plotly figure builders.

Every builder takes numpy arrays or dataset objects (never models) and returns a
`plotly.graph_objects.Figure`. No Streamlit here: pages decide where a figure goes.

Traces carry `meta={"dataset": name, "kind": ...}` so tests and callers can find them
without relying on trace order.
"""
from __future__ import annotations

import html
import math
import textwrap
from typing import TYPE_CHECKING, Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .walkthrough import STAGE_KEYS

if TYPE_CHECKING:  # only for annotations: the trainer module imports torch
    from .train import Snapshot
    from .walkthrough import Stage

# One colour for real data everywhere (GAN Lab's green), one for G's samples (purple), one for
# what the engine knows about the data (mode centres; red also marks a missed mode).
REAL_COLOUR = "#1b7837"
FAKE_COLOUR = "#762a83"
MODE_COLOUR = "#d62728"
CAPTURED_COLOUR = "#1a9641"
PUSH_COLOUR = "rgba(74, 20, 134, 0.75)"  # arrows on G(z): a darker purple than the points they start from
FIELD_COLOUR = "rgba(90, 90, 90, 0.55)"
MANIFOLD_COLOUR = "rgba(118, 42, 131, 0.35)"
STAGE_PUSH_COLOUR = "#ff7f0e"  # slow motion: the batch's gradients, bright on top of everything


def dataset_gallery(datasets: Mapping[str, object], n: int = 1500, seed: int = 0,
                    cols: int = 4) -> go.Figure:
    """Small multiples: `n` samples of every dataset, drawn with `np.random.default_rng(seed)`.

    `datasets` maps a name to a `Toy2D`-like object (`.name`, `.title`, `.sample(n, rng)`,
    `.modes (K, 2) or None`). Each dataset gets a fresh generator seeded with `seed`, so a panel
    shows exactly `ds.sample(n, np.random.default_rng(seed))`, whatever else is in the gallery.
    Mode centres, where known, are drawn as open red circles. Every panel keeps an equal aspect ratio.
    """
    items = list(datasets.values())
    if not items:
        raise ValueError("dataset_gallery needs at least one dataset")
    cols = max(1, min(cols, len(items)))
    rows = math.ceil(len(items) / cols)
    fig = make_subplots(
        rows=rows, cols=cols,
        subplot_titles=[_short_title(ds.title) for ds in items],
        horizontal_spacing=0.04, vertical_spacing=0.12 if rows > 1 else 0.0,
    )
    for i, ds in enumerate(items):
        row, col = divmod(i, cols)
        row, col = row + 1, col + 1
        xy = np.asarray(ds.sample(n, np.random.default_rng(seed)), dtype=np.float64)
        fig.add_trace(
            go.Scatter(
                x=xy[:, 0], y=xy[:, 1], mode="markers", name=ds.name,
                marker=dict(size=3, color=REAL_COLOUR, opacity=0.45),
                hoverinfo="skip", showlegend=False,
                meta={"dataset": ds.name, "kind": "samples"},
            ),
            row=row, col=col,
        )
        if getattr(ds, "modes", None) is not None:
            modes = np.asarray(ds.modes, dtype=np.float64)
            fig.add_trace(
                go.Scatter(
                    x=modes[:, 0], y=modes[:, 1], mode="markers", name=f"{ds.name} modes",
                    marker=dict(symbol="circle-open", size=11, color=MODE_COLOUR,
                                line=dict(width=1.5)),
                    hovertemplate="mode (%{x:.2f}, %{y:.2f})<extra></extra>", showlegend=False,
                    meta={"dataset": ds.name, "kind": "modes"},
                ),
                row=row, col=col,
            )
        # Equal aspect: one unit on x is one unit on y, inside a square-ish panel.
        lo, hi = _square_range(xy)
        axis = "" if i == 0 else str(i + 1)
        fig.update_layout({
            f"xaxis{axis}": dict(range=[lo[0], hi[0]], constrain="domain"),
            f"yaxis{axis}": dict(range=[lo[1], hi[1]], scaleanchor=f"x{axis}", scaleratio=1,
                                 constrain="domain"),
        })
    fig.update_xaxes(showgrid=True, zeroline=False, tickfont=dict(size=9))
    fig.update_yaxes(showgrid=True, zeroline=False, tickfont=dict(size=9))
    fig.update_annotations(font=dict(size=12))
    fig.update_layout(
        height=290 * rows + 50, margin=dict(l=10, r=10, t=40, b=10),
        plot_bgcolor="white", uirevision="dataset-gallery",
    )
    fig.update_xaxes(gridcolor="#eee")
    fig.update_yaxes(gridcolor="#eee")
    return fig


def _short_title(title: str, width: int = 28) -> str:
    """Wrap a long subplot title onto two lines so neighbouring titles never overlap: before a
    parenthesis when there is one ("Ring of 8 Gaussians<br>(radius 2, σ 0.02)"), else at a space."""
    if len(title) <= width:
        return title
    cut = title.find(" (")
    if cut <= 0:
        cut = title.rfind(" ", 0, width + 1)
    if cut <= 0:
        return title
    return title[:cut] + "<br>" + title[cut + 1:]


def _square_range(xy: np.ndarray, pad: float = 0.08) -> tuple[np.ndarray, np.ndarray]:
    """A square box around the points (same span on both axes), padded by `pad` of the span."""
    lo, hi = xy.min(axis=0), xy.max(axis=0)
    centre = (lo + hi) / 2
    half = max(float((hi - lo).max()), 1e-6) * (0.5 + pad)
    return centre - half, centre + half


def _f32(a) -> np.ndarray:
    """Arrays for the browser: float32 halves the payload; what is drawn needs no more precision."""
    return np.asarray(a, dtype=np.float32)


def _esc(text: str) -> str:
    """Text for Plotly's HTML-like labels: a '<' in a sentence must not open a tag."""
    return html.escape(str(text), quote=False)


# --- the main view: data space, D's surface, G's samples and the gradients that move them -------

# Diverging purple (D says fake) -> near white (0.5 / 0) -> green (D says real), light enough at
# both ends that the purple fakes and green reals stay visible on top.
SURFACE_SCALE = [[0.0, "#b294c7"], [0.25, "#dcc8e5"], [0.5, "#f7f7f7"], [0.75, "#cdebc5"],
                 [1.0, "#8fce86"]]
SURFACE_TITLES = {
    "probability": "D(x) = P(real)",
    "score": "D(x) (least-squares score)",
    "critic": "critic f(x)",
}
ARROW_FRACTION = 0.08  # the longest arrow on G(z) is this fraction of the view's width
ARROW_PERCENTILE = 95  # gradients are scaled by this percentile of their norms; longer ones are capped
ARROW_STRIDE = 6  # points per arrow in an arrow trace: tail, tip, head left, tip, head right, NaN
ARROWHEAD_FRACTION = 0.3  # head length / arrow length
ARROWHEAD_ANGLE = math.radians(25)
FIELD_FILL = 0.85  # the longest whole-plane field arrow is this fraction of the field grid's spacing
MODE_RADIUS_SIGMAS = 3.0  # a mode's circle has the radius that counts a sample as high quality
CIRCLE_POINTS = 33


def surface_range(d_surface: np.ndarray, d_output: str) -> tuple[float, float]:
    """Colour range of D's surface: fixed [0, 1] for probabilities and least-squares scores (colours
    clamp outside), symmetric ±max|f| for a critic so that white is f = 0."""
    if d_output in ("probability", "score"):
        return 0.0, 1.0
    if d_output != "critic":
        raise ValueError(f"unknown D output {d_output!r}")
    values = np.abs(np.asarray(d_surface, dtype=np.float64))
    values = values[np.isfinite(values)]
    top = float(values.max()) if values.size else 0.0
    top = top if top > 0 else 1.0
    return -top, top


def arrow_segments(starts, vectors, max_length: float,
                   percentile: float = ARROW_PERCENTILE) -> tuple[np.ndarray, float]:
    """Arrows as one polyline: (ARROW_STRIDE * n, 2) points, per arrow tail, tip, head, tip, head, NaN.

    An arrow points along its vector; its length is |v| / ref * max_length, capped at max_length,
    where ref is the `percentile` of the norms (the largest norm when that is 0). One huge gradient
    therefore cannot shrink all the others, and the longest arrow is exactly `max_length`.
    Non-finite rows are dropped. Returns the points and ref (0 when every vector is zero).
    """
    starts = np.asarray(starts, dtype=np.float64).reshape(-1, 2)
    vectors = np.asarray(vectors, dtype=np.float64).reshape(-1, 2)
    ok = np.isfinite(starts).all(axis=1) & np.isfinite(vectors).all(axis=1)
    starts, vectors = starts[ok], vectors[ok]
    norms = np.hypot(vectors[:, 0], vectors[:, 1])
    if not norms.size or norms.max() <= 0:
        return np.empty((0, 2)), 0.0
    ref = float(np.percentile(norms, percentile))
    if ref <= 0:
        ref = float(norms.max())
    lengths = np.minimum(norms / ref, 1.0) * max_length
    unit = np.divide(vectors, norms[:, None], out=np.zeros_like(vectors), where=norms[:, None] > 0)
    tips = starts + unit * lengths[:, None]
    head = (ARROWHEAD_FRACTION * lengths)[:, None]
    bx, by = -unit[:, 0], -unit[:, 1]
    c, s = math.cos(ARROWHEAD_ANGLE), math.sin(ARROWHEAD_ANGLE)
    left = tips + head * np.column_stack([c * bx - s * by, s * bx + c * by])
    right = tips + head * np.column_stack([c * bx + s * by, -s * bx + c * by])
    gap = np.full_like(starts, np.nan)
    return np.stack([starts, tips, left, tips, right, gap], axis=1).reshape(-1, 2), ref


def _circles(centres: np.ndarray, radius: float) -> np.ndarray:
    """Closed circles around each centre as one polyline with NaN gaps: (K * (CIRCLE_POINTS + 1), 2)."""
    t = np.linspace(0.0, 2 * math.pi, CIRCLE_POINTS)
    ring = np.column_stack([np.cos(t), np.sin(t)]) * radius
    pts = centres[:, None, :] + ring[None]
    gaps = np.full((len(centres), 1, 2), np.nan)
    return np.concatenate([pts, gaps], axis=1).reshape(-1, 2)


def _lines_trace(xy: np.ndarray, *, name: str, kind: str, colour: str, width: float,
                 dash: str | None = None, showlegend: bool = True) -> go.Scatter:
    return go.Scatter(
        x=_f32(xy[:, 0]), y=_f32(xy[:, 1]), mode="lines", name=name,
        line=dict(color=colour, width=width, dash=dash), hoverinfo="skip",
        showlegend=showlegend, meta={"kind": kind}, uid=kind,
    )


def _points_trace(xy, *, name: str, kind: str, colour: str, opacity: float) -> go.Scatter:
    xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    return go.Scatter(
        x=_f32(xy[:, 0]), y=_f32(xy[:, 1]), mode="markers", name=name,
        marker=dict(size=5, color=colour, opacity=opacity),  # no outline: ~25 % cheaper to draw
        hovertemplate=f"{name}<br>(%{{x:.2f}}, %{{y:.2f}})<extra></extra>",
        meta={"kind": kind}, uid=kind,
    )


def _batch_trace(xy, values, *, name: str, kind: str, colour: str, symbol: str,
                 zrange: tuple[float, float]) -> go.Scatter:
    """A slow-motion batch: big markers filled with D's value on the surface's colour scale."""
    xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    marker = dict(size=9, symbol=symbol, line=dict(color=colour, width=1.8))
    if values is not None:
        marker.update(color=_f32(np.ravel(values)), colorscale=SURFACE_SCALE, cmin=zrange[0],
                      cmax=zrange[1], showscale=False)
        hover = f"{name}<br>D = %{{marker.color:.3f}}<extra></extra>"
    else:
        marker.update(color=colour)
        hover = f"{name}<br>(%{{x:.2f}}, %{{y:.2f}})<extra></extra>"
    return go.Scatter(x=_f32(xy[:, 0]), y=_f32(xy[:, 1]), mode="markers", name=name, marker=marker,
                      hovertemplate=hover, meta={"kind": kind}, uid=kind)


def _mode_traces(snap, width: float) -> list[go.Scatter]:
    modes = np.asarray(snap.modes, dtype=np.float64).reshape(-1, 2)
    radius = MODE_RADIUS_SIGMAS * snap.sigma if snap.sigma else 0.02 * width
    counts = (snap.metrics or {}).get("mode_counts")
    if counts is None or len(counts) != len(modes):  # no metrics: coverage unknown
        return [_lines_trace(_circles(modes, radius), name="mode (3σ)", kind="modes",
                             colour="#555555", width=1.2)]
    captured = np.asarray(counts) > 0
    traces = []
    if captured.any():
        traces.append(_lines_trace(_circles(modes[captured], radius), name="mode captured",
                                   kind="modes_captured", colour=CAPTURED_COLOUR, width=1.8))
    if (~captured).any():
        traces.append(_lines_trace(_circles(modes[~captured], radius), name="mode missed",
                                   kind="modes_missed", colour=MODE_COLOUR, width=1.8, dash="dot"))
    return traces


def _stage_title(iteration: int, stage) -> tuple[str, int]:
    """The figure title and its number of explanation lines (below the first line)."""
    text = f"iteration {iteration}"
    if stage is None:
        return text, 0
    text += f" · <b>{_esc(stage.title)}</b>"
    lines = textwrap.wrap(str(stage.explanation or ""), width=80, break_long_words=False)
    if lines:
        text += "<br><span style='font-size:12px'>" + "<br>".join(_esc(l) for l in lines) + "</span>"
    return text, len(lines)


def main_view(snap: "Snapshot", *, show_arrows: bool = True, show_field: bool = False,
              show_manifold: bool = False, show_density: bool = False, stage: "Stage | None" = None,
              uirevision: str = "main-view", height: int = 560) -> go.Figure:
    """GAN Lab's data space: D's surface, real points, G(z) for the fixed z, and where G's loss pushes them.

    Layers, bottom to top: D's surface (heatmap), G(z)'s density contours (`show_density`), G's
    image of the latent grid lines (`show_manifold`), the whole-plane gradient field (`show_field`),
    mode circles of radius 3σ (green: captured, red dotted: missed), real points, fake points, the
    gradient arrows on the fakes (`show_arrows`), and a slow-motion `stage`'s batch on top. A stage
    with a `snapshot` draws that snapshot instead of `snap`; its title and explanation head the figure.
    Every trace carries `meta={"kind": ...}` and a stable `uid`.
    """
    bg = stage.snapshot if stage is not None and stage.snapshot is not None else snap
    xmin, xmax, ymin, ymax = (float(v) for v in bg.extent)
    width = xmax - xmin
    zrange = surface_range(bg.d_surface, bg.d_output)
    ztitle = SURFACE_TITLES[bg.d_output]
    traces: list = [go.Heatmap(
        x=np.asarray(bg.grid_x, dtype=np.float64), y=np.asarray(bg.grid_y, dtype=np.float64),
        z=_f32(bg.d_surface), zmin=zrange[0], zmax=zrange[1], colorscale=SURFACE_SCALE,
        zsmooth="fast", name=ztitle, showlegend=False,
        colorbar=dict(title=dict(text=ztitle, side="right", font=dict(size=11)), thickness=10,
                      len=0.85, xpad=4, tickfont=dict(size=10)),
        hovertemplate=f"(%{{x:.2f}}, %{{y:.2f}})<br>{ztitle}: %{{z:.3f}}<extra></extra>",
        meta={"kind": "surface"}, uid="surface",
    )]
    fake = np.asarray(bg.fake, dtype=np.float64).reshape(-1, 2)
    if show_density:
        traces.append(go.Histogram2dContour(
            x=_f32(fake[:, 0]), y=_f32(fake[:, 1]), name="density of G(z)",
            contours=dict(coloring="lines"), colorscale=[[0, FAKE_COLOUR], [1, FAKE_COLOUR]],
            showscale=False, ncontours=6, nbinsx=25, nbinsy=25, line=dict(width=1),
            hoverinfo="skip", showlegend=True, meta={"kind": "density"}, uid="density",
        ))
    if show_manifold and bg.latent_lines is not None:
        lines = np.asarray(bg.latent_lines, dtype=np.float64)
        lines = np.concatenate([lines, np.full((len(lines), 1, 2), np.nan)], axis=1).reshape(-1, 2)
        traces.append(_lines_trace(lines, name="G's warped latent grid", kind="manifold",
                                   colour=MANIFOLD_COLOUR, width=1))
    if show_field and bg.field_push is not None:
        field_points = np.asarray(bg.field_points, dtype=np.float64).reshape(-1, 2)
        side = max(int(round(math.sqrt(len(field_points)))), 2)
        path, _ = arrow_segments(field_points, bg.field_push, FIELD_FILL * width / (side - 1))
        traces.append(_lines_trace(path, name="push anywhere in the plane", kind="field",
                                   colour=FIELD_COLOUR, width=1))
    if bg.modes is not None:
        traces.extend(_mode_traces(bg, width))
    dim = 0.3 if stage is not None else 0.9  # in slow motion the stage's batch is what matters
    traces.append(_points_trace(bg.real, name="real data", kind="real", colour=REAL_COLOUR, opacity=dim))
    traces.append(_points_trace(fake, name="G(z), fixed z", kind="fake", colour=FAKE_COLOUR, opacity=dim))
    if show_arrows:
        path, push_p95 = arrow_segments(fake, bg.fake_push, ARROW_FRACTION * width)
        # A fixed legend label: a label that changes every frame makes plotly.js re-measure the legend.
        traces.append(_lines_trace(path, name="−∇ G's loss on G(z)", kind="push", colour=PUSH_COLOUR, width=1))
    if stage is not None:
        if stage.real is not None:
            traces.append(_batch_trace(stage.real, stage.d_real, name="batch: real", kind="stage_real",
                                       colour=REAL_COLOUR, symbol="circle", zrange=zrange))
        if stage.fake is not None:
            traces.append(_batch_trace(stage.fake, stage.d_fake, name="batch: G(z)", kind="stage_fake",
                                       colour=FAKE_COLOUR, symbol="diamond", zrange=zrange))
            if stage.push is not None:
                path, ref = arrow_segments(stage.fake, stage.push, ARROW_FRACTION * width)
                traces.append(_lines_trace(path, name=f"batch: −∇ G's loss (p95 |∇| {ref:.2g})",
                                           kind="stage_push", colour=STAGE_PUSH_COLOUR, width=2.2))
    title, extra_lines = _stage_title(bg.iteration, stage)
    if show_arrows:
        first, br, rest = title.partition("<br>")
        title = f"{first} · arrows to scale up to p95 |∇| = {push_p95:.2g}{br}{rest}"
    # plotly.js places a multi-line title's first line ~14 px higher than a one-line title's
    layout = go.Layout(
        title=dict(text=title, x=0.01, xanchor="left", yref="container", y=1.0, yanchor="top",
                   pad=dict(t=22 if extra_lines else 8), font=dict(size=15)),
        height=height, margin=dict(l=40, r=10, t=36 + (19 * extra_lines + 8 if extra_lines else 0), b=10),
        # the square plot sits next to its colour bar; the legend runs below it
        xaxis=dict(range=[xmin, xmax], constrain="domain", constraintoward="right", showgrid=False,
                   zeroline=False),
        yaxis=dict(range=[ymin, ymax], scaleanchor="x", scaleratio=1, constrain="domain",
                   showgrid=False, zeroline=False),
        legend=dict(orientation="h", x=0.0, xanchor="left", y=-0.06, yanchor="top",
                    font=dict(size=11), itemsizing="constant", bgcolor="rgba(0,0,0,0)"),
        plot_bgcolor="white", hovermode="closest", uirevision=uirevision,
    )
    return go.Figure(data=traces, layout=layout)


# --- training charts: one figure, stacked panels, one shared iteration axis ----------------------

MAX_CHART_POINTS = 2000  # points per drawn trace; longer series are reduced to per-bucket min/max
CHART_PANELS = ("losses", "outputs", "grad_norms", "distances", "modes")
D_COLOUR, G_COLOUR = "#2c7bb6", FAKE_COLOUR
JS_COLOUR, W1_COLOUR, HQ_COLOUR = "#333333", "#e66101", "#5e8fb5"
OUTPUT_AXIS_TITLES = {"probability": "mean D (probability)", "score": "mean D score",
                      "critic": "mean critic f"}
OUTPUT_NAMES = {"probability": ("D(x), real", "D(G(z)), fake"), "score": ("D(x), real", "D(G(z)), fake"),
                "critic": ("f(x), real", "f(G(z)), fake")}


def downsample(x, y, max_points: int = MAX_CHART_POINTS) -> tuple[np.ndarray, np.ndarray]:
    """At most `max_points` points of a series, first and last kept, for drawing.

    Longer series are cut into equal buckets and each keeps its minimum and maximum, so spikes
    (a loss blowing up, a gradient norm exploding) survive the reduction.
    """
    x, y = np.asarray(x), np.asarray(y, dtype=np.float64)
    n = len(y)
    if n <= max_points:
        return x, y
    buckets = max((max_points - 2) // 2, 1)
    size = -(-n // buckets)
    used = -(-n // size)
    lo = np.full(used * size, np.inf)
    hi = np.full(used * size, -np.inf)
    missing = np.isnan(y)
    lo[:n] = np.where(missing, np.inf, y)
    hi[:n] = np.where(missing, -np.inf, y)
    base = np.arange(used) * size
    idx = np.concatenate([[0, n - 1], base + lo.reshape(used, size).argmin(1),
                          base + hi.reshape(used, size).argmax(1)])
    idx = np.unique(idx[idx < n])
    return x[idx], y[idx]


def metric_series(metrics_log: Sequence[Mapping], key: str) -> tuple[np.ndarray, np.ndarray]:
    its = np.array([rec.get("iteration", np.nan) for rec in metrics_log], dtype=np.float64)
    vals = np.array([np.nan if rec.get(key) is None else float(rec[key]) for rec in metrics_log],
                    dtype=np.float64)
    return its, vals


def training_charts(history: Mapping[str, np.ndarray], metrics_log: Sequence[Mapping], *,
                    loss_output: str, uirevision: str = "charts", height: int = 720,
                    max_points: int = MAX_CHART_POINTS, metrics: str = "points") -> go.Figure:
    """Five stacked panels over one shared iteration axis (x1..x4 match x5, the bottom one).

    (1) D and G losses; (2) mean D(x) and D(G(z)), y in [0, 1] for probability losses; (3) gradient
    norms of D and G, log y; (4) JS (nats, left axis) with its real-vs-real floor dashed, exact W1
    on the right axis (y6), plus the critic's own W1 estimate for critic losses; (5) modes captured
    (left axis, 0..modes_total) and % high-quality samples (right axis, y7), or a note when the data
    has no discrete modes. `history` is `History.as_dict()`; `metrics_log` holds evaluate() records
    with their "iteration". Each history trace has at most `max_points` points (see `downsample`).
    Every panel has its own legend (legend, legend2, ...); traces carry `meta={"kind": key}`.
    With metrics="images" (digit runs) panel 4 is the classifier Fréchet distance beside its
    real-vs-real floor (log y) and panel 5 the digits present (of those trained) and the
    classifier's mean confidence in % (right axis).
    """
    if metrics not in ("points", "images"):
        raise ValueError(f"unknown metrics {metrics!r}")
    if loss_output not in OUTPUT_AXIS_TITLES:
        raise ValueError(f"unknown D output {loss_output!r}")
    rows = len(CHART_PANELS)
    gap = min(0.09, 34 / max(height, 1))  # room between panels for the lower panel's legend row
    h = (1 - gap * (rows - 1)) / rows
    domains = [[1 - r * (h + gap) - h, 1 - r * (h + gap)] for r in range(rows)]
    domains[-1][0] = 0.0
    bottom = f"x{rows}"
    layout: dict = dict(
        height=height, margin=dict(l=60, r=60, t=28, b=40), uirevision=uirevision,
        hovermode="x", plot_bgcolor="white", showlegend=True,
    )
    for r in range(1, rows + 1):
        suffix = "" if r == 1 else str(r)
        layout[f"xaxis{suffix}"] = dict(anchor=f"y{suffix}", domain=[0, 1], showgrid=True,
                                        gridcolor="#eee", zeroline=False,
                                        **({} if r == rows else dict(matches=bottom, showticklabels=False)))
        layout[f"yaxis{suffix}"] = dict(anchor=f"x{suffix}", domain=domains[r - 1], gridcolor="#eee",
                                        zeroline=False, title=dict(font=dict(size=11)),
                                        tickfont=dict(size=10))
        layout[f"legend{suffix}"] = dict(x=0.0, xanchor="left", y=domains[r - 1][1], yanchor="bottom",
                                         orientation="h", font=dict(size=10), bgcolor="rgba(0,0,0,0)",
                                         tracegroupgap=0, itemwidth=30)
    layout[f"xaxis{rows}"].update(title=dict(text="iteration", font=dict(size=11)), tickfont=dict(size=10))
    w1_axis, hq_axis = f"y{rows + 1}", f"y{rows + 2}"
    layout[f"yaxis{rows + 1}"] = dict(anchor="x4", overlaying="y4", side="right", showgrid=False,
                                      zeroline=False, rangemode="tozero", tickmode="auto",
                                      tickfont=dict(size=10),
                                      title=dict(text="W1 (data units)", font=dict(size=11)))
    layout[f"yaxis{rows + 2}"] = dict(anchor="x5", overlaying="y5", side="right", showgrid=False,
                                      zeroline=False, range=[0, 105],
                                      tickmode="array", tickvals=[0, 25, 50, 75, 100],
                                      ticktext=["0%", "25%", "50%", "75%", "100%"],
                                      tickfont=dict(size=10),
                                      title=dict(text="% high quality", font=dict(size=11)))
    layout["yaxis"]["title"]["text"] = "loss"
    layout["yaxis2"]["title"]["text"] = OUTPUT_AXIS_TITLES[loss_output]
    if loss_output == "probability":
        layout["yaxis2"]["range"] = [0, 1]
    layout["yaxis3"].update(type="log", title=dict(text="‖∇‖ (log)", font=dict(size=11)))
    # JS in nats lies in [0, ln 2]; a fixed range shows how far from "fully separated" it is
    layout["yaxis4"].update(range=[0, math.log(2) * 1.04], title=dict(text="JS (nats)", font=dict(size=11)))
    if metrics == "images":
        layout["yaxis4"].update(range=None, type="log", title=dict(text="Fréchet distance (log)", font=dict(size=11)))
        layout[f"yaxis{rows + 2}"]["title"]["text"] = "mean confidence"
    annotations = []

    def note(text: str, row: int | None = None):
        annotations.append(dict(
            text=text, showarrow=False, font=dict(size=12, color="#777"), xref="paper", x=0.5,
            yref="paper" if row is None else ("y domain" if row == 1 else f"y{row} domain"), y=0.5,
        ))

    # One empty trace per panel: plotly.js draws only the subplots that traces use, and an empty
    # panel must still show its axes (and its note).
    traces: list = [go.Scatter(x=[], y=[], xaxis=f"x{'' if r == 1 else r}", yaxis=f"y{'' if r == 1 else r}",
                               showlegend=False, hoverinfo="skip", meta={"kind": "placeholder"},
                               uid=f"placeholder{r}")
                    for r in range(1, rows + 1)]

    def line(x, y, *, name, kind, row, colour, yaxis=None, dash=None, markers=False, reduce=True):
        if reduce:
            x, y = downsample(x, y, max_points)
        suffix = "" if row == 1 else str(row)
        traces.append(go.Scatter(
            x=x, y=y, name=name, mode="lines+markers" if markers else "lines",
            line=dict(color=colour, width=1.3, dash=dash), marker=dict(size=4),
            xaxis=f"x{suffix}", yaxis=yaxis or f"y{suffix}", legend=f"legend{suffix}",
            meta={"kind": kind}, uid=kind,
        ))

    n = len(next((history[k] for k in ("iteration", "loss_d") if k in history), ()))
    if n:
        its = np.asarray(history.get("iteration", np.arange(1, n + 1)))
        real_name, fake_name = OUTPUT_NAMES[loss_output]
        line(its, history["loss_d"], name="D loss", kind="loss_d", row=1, colour=D_COLOUR)
        line(its, history["loss_g"], name="G loss", kind="loss_g", row=1, colour=G_COLOUR)
        line(its, history["d_real"], name=real_name, kind="d_real", row=2, colour=REAL_COLOUR)
        line(its, history["d_fake"], name=fake_name, kind="d_fake", row=2, colour=FAKE_COLOUR)
        line(its, history["grad_norm_d"], name="‖∇D‖", kind="grad_norm_d", row=3, colour=D_COLOUR)
        line(its, history["grad_norm_g"], name="‖∇G‖", kind="grad_norm_g", row=3, colour=G_COLOUR)
        norms = np.concatenate([np.asarray(history["grad_norm_d"]), np.asarray(history["grad_norm_g"])])
        norms = norms[np.isfinite(norms) & (norms > 0)]
        if norms.size and norms.max() / norms.min() > 30:  # label decades only: 2s and 5s crowd the axis
            layout["yaxis3"]["dtick"] = 1
    elif not metrics_log:
        note("no training yet: press Play or Step")
        layout[f"xaxis{rows}"]["range"] = [0, 100]

    if metrics_log and metrics == "images":
        m_its, fid = metric_series(metrics_log, "fid")
        line(m_its, fid, name="FID (classifier features)", kind="fid", row=4, colour=JS_COLOUR, markers=True)
        line(m_its, metric_series(metrics_log, "fid_floor")[1], name="floor (real vs real)", kind="fid_floor",
             row=4, colour="#999999", dash="dash")
        total = int(metrics_log[-1].get("classes_total") or 10)
        line(m_its, metric_series(metrics_log, "classes_covered")[1], name=f"digits present (of {total})",
             kind="classes_covered", row=5, colour=CAPTURED_COLOUR, markers=True)
        line(m_its, 100 * metric_series(metrics_log, "mean_confidence")[1],
             name="classifier's mean confidence (right axis)", kind="mean_confidence", row=5, colour=HQ_COLOUR,
             yaxis=hq_axis, markers=True)
        layout[f"yaxis{rows}"].update(range=[0, total * 1.08 + 0.1], title=dict(text=f"digits (of {total})",
                                                                                 font=dict(size=11)))
    elif metrics_log:
        m_its, js = metric_series(metrics_log, "js")
        line(m_its, js, name="JS (nats)", kind="js", row=4, colour=JS_COLOUR, markers=True)
        line(m_its, metric_series(metrics_log, "js_floor")[1], name="JS floor (real vs real)",
             kind="js_floor", row=4, colour="#999999", dash="dash")
        line(m_its, metric_series(metrics_log, "w1")[1], name="W1 exact (right axis)", kind="w1",
             row=4, colour=W1_COLOUR, yaxis=w1_axis, markers=True)
        if loss_output == "critic":
            line(m_its, metric_series(metrics_log, "critic_estimate")[1],
                 name="critic's W1 estimate (right axis)", kind="critic_estimate", row=4,
                 colour=W1_COLOUR, yaxis=w1_axis, dash="dot")
        captured = metric_series(metrics_log, "modes_captured")[1]
        totals = [rec.get("modes_total") for rec in metrics_log if rec.get("modes_total") is not None]
        if np.isfinite(captured).any() and totals:
            total = int(totals[-1])
            line(m_its, captured, name=f"modes captured (of {total})", kind="modes_captured", row=5,
                 colour=CAPTURED_COLOUR, markers=True)
            line(m_its, 100 * metric_series(metrics_log, "hq_fraction")[1], name="% high quality (right axis)",
                 kind="hq_fraction", row=5, colour=HQ_COLOUR, yaxis=hq_axis, markers=True)
            layout[f"yaxis{rows}"].update(range=[0, total * 1.08 + 0.1], title=dict(
                text=f"modes (of {total})", font=dict(size=11)))
        else:
            note("no discrete modes in this dataset", row=rows)
    elif n:
        note("no metrics yet", row=4)
        note("no metrics yet", row=5)
    if not any(t.yaxis == hq_axis for t in traces):
        layout[f"yaxis{rows + 2}"].update(visible=False)
    if not any(t.yaxis == w1_axis for t in traces):
        layout[f"yaxis{rows + 1}"].update(visible=False)
    layout["annotations"] = annotations
    return go.Figure(data=traces, layout=layout)


# --- the model overview strip: z -> G -> G(z) -> D <- x, losses ---------------------------------

# Box key -> (x0, x1, y0, y1) on a 12 x 1 canvas.
OVERVIEW_BOXES = {
    "noise": (0.0, 1.8, 0.52, 0.96),
    "generator": (2.3, 4.1, 0.52, 0.96),
    "fake": (4.6, 6.2, 0.52, 0.96),
    "real": (4.6, 6.2, 0.04, 0.48),
    "discriminator": (6.8, 8.6, 0.28, 0.72),
    "loss": (9.1, 12.0, 0.04, 0.96),
}
OVERVIEW_FILLS = {"noise": "#f2f2f2", "generator": "#efe4f3", "fake": "#efe4f3", "real": "#e3f2de",
                  "discriminator": "#deebf7", "loss": "#f7f7f7"}
HIGHLIGHT_FILL = "#ffe08a"
HIGHLIGHT_LINE = "#c58a00"
# Which overview boxes light up at each slow-motion stage (walkthrough.STAGE_KEYS).
STAGE_BOXES: dict[str, tuple[str, ...]] = {
    "sample_z": ("noise",),
    "generate": ("generator", "fake"),
    "d_real": ("real", "discriminator"),
    "d_fake": ("fake", "discriminator"),
    "d_loss": ("loss",),
    "d_update": ("discriminator",),
    "g_loss": ("loss",),
    "g_update": ("generator",),
}
assert set(STAGE_BOXES) == set(STAGE_KEYS), "every slow-motion stage needs its overview boxes"
_OVERVIEW_ARROWS = (("noise", "generator"), ("generator", "fake"), ("fake", "discriminator"),
                    ("real", "discriminator"), ("discriminator", "loss"))


def _fmt(value) -> str:
    if value is None:
        return "–"
    value = float(value)
    if not math.isfinite(value):
        return str(value)
    return f"{value:.3f}" if abs(value) < 1000 else f"{value:.3g}"


def model_overview(*, noise_dim: int, noise: str, g_desc: str, d_desc: str, loss_title: str,
                   d_steps: int, g_steps: int, loss_d: float | None = None, loss_g: float | None = None,
                   d_real: float | None = None, d_fake: float | None = None,
                   stage_key: str | None = None, height: int = 150) -> go.Figure:
    """A GAN Lab-like strip: noise z -> G -> G(z) -> D <- real x, then the losses and k_D : k_G.

    Boxes are layout shapes named by their `OVERVIEW_BOXES` key; at a slow-motion `stage_key` the
    boxes in `STAGE_BOXES[stage_key]` are filled with `HIGHLIGHT_FILL`. No axes, no traces,
    transparent background.
    """
    if stage_key is not None and stage_key not in STAGE_BOXES:
        raise ValueError(f"unknown stage {stage_key!r}; expected one of {', '.join(STAGE_BOXES)}")
    lit = set(STAGE_BOXES.get(stage_key, ()))
    dist = {"gaussian": "N(0, I)", "uniform": "U(−1, 1)"}.get(noise, _esc(noise))
    outputs = ""
    if d_real is not None or d_fake is not None:
        outputs = f"<br>mean D(x) {_fmt(d_real)} · D(G(z)) {_fmt(d_fake)}"
    texts = {
        "noise": f"noise z ∈ ℝ<sup>{int(noise_dim)}</sup><br>z ~ {dist}",
        "generator": f"<b>G</b><br>{_esc(g_desc)}",
        "fake": "G(z)<br>fake samples",
        "real": "x<br>real data",
        "discriminator": f"<b>D</b><br>{_esc(d_desc)}",
        "loss": (f"<b>{_esc(loss_title)}</b><br>losses: D {_fmt(loss_d)}, G {_fmt(loss_g)}{outputs}"
                 f"<br>k<sub>D</sub> : k<sub>G</sub> = {int(d_steps)} : {int(g_steps)}"),
    }
    shapes, annotations = [], []
    for key, (x0, x1, y0, y1) in OVERVIEW_BOXES.items():
        on = key in lit
        shapes.append(dict(
            type="rect", name=key, xref="x", yref="y", x0=x0, x1=x1, y0=y0, y1=y1, layer="below",
            fillcolor=HIGHLIGHT_FILL if on else OVERVIEW_FILLS[key],
            line=dict(color=HIGHLIGHT_LINE if on else "#999999", width=2.5 if on else 1),
        ))
        annotations.append(dict(
            name=key, text=texts[key], x=(x0 + x1) / 2, y=(y0 + y1) / 2, xref="x", yref="y",
            showarrow=False, font=dict(size=11, color="#222"), align="center",
        ))
    for src, dst in _OVERVIEW_ARROWS:
        sx0, sx1, sy0, sy1 = OVERVIEW_BOXES[src]
        dx0, dx1, dy0, dy1 = OVERVIEW_BOXES[dst]
        annotations.append(dict(
            name=f"{src}->{dst}", text="", showarrow=True, arrowhead=2, arrowsize=1, arrowwidth=1.3,
            arrowcolor="#666", xref="x", yref="y", axref="x", ayref="y",
            ax=sx1, ay=(sy0 + sy1) / 2, x=dx0, y=min(max((sy0 + sy1) / 2, dy0 + 0.08), dy1 - 0.08),
        ))
    hidden = dict(visible=False, fixedrange=True)
    return go.Figure(layout=dict(
        height=height, margin=dict(l=4, r=4, t=4, b=4), shapes=shapes, annotations=annotations,
        xaxis=dict(range=[-0.05, 12.05], **hidden), yaxis=dict(range=[0, 1], **hidden),
        paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor="rgba(0,0,0,0)", showlegend=False,
        dragmode=False, hovermode=False,
    ))


def drawing_canvas(cells: np.ndarray, height: int = 420) -> go.Figure:
    """A faint grid of selectable cell centres (N, 2) to draw data on with the lasso or box tool."""
    fig = go.Figure(go.Scatter(
        x=_f32(cells[:, 0]), y=_f32(cells[:, 1]), mode="markers", name="cells",
        marker=dict(size=5, color=REAL_COLOUR, opacity=0.18), hovertemplate="(%{x:.1f}, %{y:.1f})<extra></extra>",
        selected=dict(marker=dict(opacity=1.0, size=7)), unselected=dict(marker=dict(opacity=0.18)),
    ))
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=10, b=10), dragmode="lasso", showlegend=False,
                      xaxis=dict(range=[cells[:, 0].min() - 0.3, cells[:, 0].max() + 0.3], zeroline=False),
                      yaxis=dict(scaleanchor="x", zeroline=False), uirevision="drawing")
    return fig


# --- digit images: the sample grid, the digits G makes, nearest neighbours -----------------------------

def tile(images: np.ndarray, pad: float = 1.0) -> np.ndarray:
    """(rows, cols, H, W) in [0, 1] -> one (rows·(H+1)-1, cols·(W+1)-1) picture, cells split by `pad` lines."""
    rows, cols, h, w = images.shape
    out = np.full((rows * (h + 1) - 1, cols * (w + 1) - 1), pad)
    for r in range(rows):
        for c in range(cols):
            out[r * (h + 1): r * (h + 1) + h, c * (w + 1): c * (w + 1) + w] = images[r, c]
    return out


def _picture(picture: np.ndarray, *, title: str, height: int, row_labels=None, cell: int = 0,
             uirevision: str = "picture") -> go.Figure:
    """A grey picture (y down) as one heatmap: cheap for plotly.js to redraw, whatever its size."""
    yaxis = dict(autorange="reversed", scaleanchor="x", showgrid=False, zeroline=False, showticklabels=False, ticks="")
    if row_labels is not None:
        yaxis.update(showticklabels=True, tickmode="array", ticktext=[str(d) for d in row_labels],
                     tickvals=[r * (cell + 1) + cell / 2 for r in range(len(row_labels))], title="digit asked for")
    return go.Figure(go.Heatmap(z=_f32(picture), colorscale="gray_r", zmin=0, zmax=1, showscale=False,
                                hoverinfo="skip"),
                     layout=dict(title=dict(text=title, x=0.01, font=dict(size=15)), height=height,
                                 margin=dict(l=40 if row_labels is not None else 10, r=10, t=40, b=10),
                                 xaxis=dict(showgrid=False, zeroline=False, showticklabels=False, ticks="",
                                            constrain="domain"),
                                 yaxis=yaxis, plot_bgcolor="white", uirevision=uirevision))


def sample_grid(snap, height: int = 520) -> go.Figure:
    """G's samples for the run's fixed z (an `ImageSnapshot`), one row per digit when conditional."""
    rows, cols, h, w = snap.grid.shape
    return _picture(tile(snap.grid, pad=0.0), title=f"iteration {snap.iteration}: G(z) for a fixed z", height=height,
                    row_labels=snap.row_labels, cell=h, uirevision="samples")


def digit_histogram(class_counts: Sequence[int], trained: Sequence[int], missing: Sequence[int],
                    height: int = 260) -> go.Figure:
    """How many of G's samples the classifier calls each digit: trained digits present in purple, trained
    but `missing` ones (as `metrics.class_histogram` judges them) in red, digits not trained on in grey."""
    counts = np.asarray(class_counts, dtype=np.int64)
    total = max(int(counts.sum()), 1)
    colours = [(MODE_COLOUR if d in missing else FAKE_COLOUR) if d in trained else "#bbbbbb" for d in range(10)]
    return go.Figure(go.Bar(x=[str(d) for d in range(10)], y=counts, marker_color=colours,
                            hovertemplate="digit %{x}: %{y} samples<extra></extra>"),
                     layout=dict(height=height, margin=dict(l=50, r=10, t=36, b=40), plot_bgcolor="white",
                                 title=dict(text="digits G makes (as the classifier reads them)", x=0.01,
                                            font=dict(size=14)),
                                 xaxis=dict(title="digit", type="category"), yaxis=dict(title=f"of {total} samples",
                                                                       gridcolor="#eee")))


def neighbours_figure(samples: np.ndarray, neighbours: np.ndarray, distances: np.ndarray,
                      height: int = 320) -> go.Figure:
    """Each generated digit (first column) beside its nearest training images: samples (M, H, W),
    neighbours (M, k, H, W), both in [0, 1]; distances (M, k) in pixel units of [-1, 1] images."""
    m, k, h, w = neighbours.shape
    cells = np.concatenate([samples[:, None], neighbours], axis=1)
    title = "generated | its nearest training images (distance " + "; ".join(
        ", ".join(f"{d:.1f}" for d in row) for row in distances) + ")"
    return _picture(tile(cells, pad=0.0), title=_short_title(title, 120), height=height, uirevision="neighbours")
