"""The 2D main view: D's surface, the data, G's samples, the modes and the forces between them."""

from __future__ import annotations

import math
import textwrap
from typing import TYPE_CHECKING

import numpy as np
import plotly.graph_objects as go

from ganviz.figures.style import (
    CAPTURED_COLOUR,
    FAKE_COLOUR,
    FIELD_COLOUR,
    MANIFOLD_COLOUR,
    MODE_COLOUR,
    PUSH_COLOUR,
    REAL_COLOUR,
    STAGE_PUSH_COLOUR,
    SURFACE_SCALE,
    SURFACE_TITLES,
    as_float32,
    escape_html,
)

if TYPE_CHECKING:  # only for annotations: the trainer module imports torch
    from ganviz.live.walkthrough import Stage
    from ganviz.training.points import Snapshot


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


def arrow_segments(
    starts, vectors, max_length: float, percentile: float = ARROW_PERCENTILE
) -> tuple[np.ndarray, float]:
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


def _lines_trace(
    xy: np.ndarray, *, name: str, kind: str, colour: str, width: float, dash: str | None = None, showlegend: bool = True
) -> go.Scatter:
    return go.Scatter(
        x=as_float32(xy[:, 0]),
        y=as_float32(xy[:, 1]),
        mode="lines",
        name=name,
        line=dict(color=colour, width=width, dash=dash),
        hoverinfo="skip",
        showlegend=showlegend,
        meta={"kind": kind},
        uid=kind,
    )


def _points_trace(xy, *, name: str, kind: str, colour: str, opacity: float) -> go.Scatter:
    xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    return go.Scatter(
        x=as_float32(xy[:, 0]),
        y=as_float32(xy[:, 1]),
        mode="markers",
        name=name,
        marker=dict(size=5, color=colour, opacity=opacity),  # no outline: ~25 % cheaper to draw
        hovertemplate=f"{name}<br>(%{{x:.2f}}, %{{y:.2f}})<extra></extra>",
        meta={"kind": kind},
        uid=kind,
    )


def _batch_trace(
    xy, values, *, name: str, kind: str, colour: str, symbol: str, zrange: tuple[float, float]
) -> go.Scatter:
    """A slow-motion batch: big markers filled with D's value on the surface's colour scale."""
    xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    marker = dict(size=9, symbol=symbol, line=dict(color=colour, width=1.8))
    if values is not None:
        marker.update(
            color=as_float32(np.ravel(values)),
            colorscale=SURFACE_SCALE,
            cmin=zrange[0],
            cmax=zrange[1],
            showscale=False,
        )
        hover = f"{name}<br>D = %{{marker.color:.3f}}<extra></extra>"
    else:
        marker.update(color=colour)
        hover = f"{name}<br>(%{{x:.2f}}, %{{y:.2f}})<extra></extra>"
    return go.Scatter(
        x=as_float32(xy[:, 0]),
        y=as_float32(xy[:, 1]),
        mode="markers",
        name=name,
        marker=marker,
        hovertemplate=hover,
        meta={"kind": kind},
        uid=kind,
    )


def _mode_traces(snap, width: float) -> list[go.Scatter]:
    modes = np.asarray(snap.modes, dtype=np.float64).reshape(-1, 2)
    radius = MODE_RADIUS_SIGMAS * snap.sigma if snap.sigma else 0.02 * width
    counts = (snap.metrics or {}).get("mode_counts")
    if counts is None or len(counts) != len(modes):  # no metrics: coverage unknown
        return [_lines_trace(_circles(modes, radius), name="mode (3σ)", kind="modes", colour="#555555", width=1.2)]
    captured = np.asarray(counts) > 0
    traces = []
    if captured.any():
        traces.append(
            _lines_trace(
                _circles(modes[captured], radius),
                name="mode captured",
                kind="modes_captured",
                colour=CAPTURED_COLOUR,
                width=1.8,
            )
        )
    if (~captured).any():
        traces.append(
            _lines_trace(
                _circles(modes[~captured], radius),
                name="mode missed",
                kind="modes_missed",
                colour=MODE_COLOUR,
                width=1.8,
                dash="dot",
            )
        )
    return traces


def _stage_title(iteration: int, stage) -> tuple[str, int]:
    """The figure title and its number of explanation lines (below the first line)."""
    text = f"iteration {iteration}"
    if stage is None:
        return text, 0
    text += f" · <b>{escape_html(stage.title)}</b>"
    lines = textwrap.wrap(str(stage.explanation or ""), width=80, break_long_words=False)
    if lines:
        text += "<br><span style='font-size:12px'>" + "<br>".join(escape_html(line) for line in lines) + "</span>"
    return text, len(lines)


def main_view(
    snap: Snapshot,
    *,
    show_arrows: bool = True,
    show_field: bool = False,
    show_manifold: bool = False,
    show_density: bool = False,
    stage: Stage | None = None,
    uirevision: str = "main-view",
    height: int = 560,
) -> go.Figure:
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
    traces: list = [
        go.Heatmap(
            x=np.asarray(bg.grid_x, dtype=np.float64),
            y=np.asarray(bg.grid_y, dtype=np.float64),
            z=as_float32(bg.d_surface),
            zmin=zrange[0],
            zmax=zrange[1],
            colorscale=SURFACE_SCALE,
            zsmooth="fast",
            name=ztitle,
            showlegend=False,
            colorbar=dict(
                title=dict(text=ztitle, side="right", font=dict(size=11)),
                thickness=10,
                len=0.85,
                xpad=4,
                tickfont=dict(size=10),
            ),
            hovertemplate=f"(%{{x:.2f}}, %{{y:.2f}})<br>{ztitle}: %{{z:.3f}}<extra></extra>",
            meta={"kind": "surface"},
            uid="surface",
        )
    ]
    fake = np.asarray(bg.fake, dtype=np.float64).reshape(-1, 2)
    if show_density:
        traces.append(
            go.Histogram2dContour(
                x=as_float32(fake[:, 0]),
                y=as_float32(fake[:, 1]),
                name="density of G(z)",
                contours=dict(coloring="lines"),
                colorscale=[[0, FAKE_COLOUR], [1, FAKE_COLOUR]],
                showscale=False,
                ncontours=6,
                nbinsx=25,
                nbinsy=25,
                line=dict(width=1),
                hoverinfo="skip",
                showlegend=True,
                meta={"kind": "density"},
                uid="density",
            )
        )
    if show_manifold and bg.latent_lines is not None:
        lines = np.asarray(bg.latent_lines, dtype=np.float64)
        lines = np.concatenate([lines, np.full((len(lines), 1, 2), np.nan)], axis=1).reshape(-1, 2)
        traces.append(
            _lines_trace(lines, name="G's warped latent grid", kind="manifold", colour=MANIFOLD_COLOUR, width=1)
        )
    if show_field and bg.field_push is not None:
        field_points = np.asarray(bg.field_points, dtype=np.float64).reshape(-1, 2)
        side = max(int(round(math.sqrt(len(field_points)))), 2)
        path, _ = arrow_segments(field_points, bg.field_push, FIELD_FILL * width / (side - 1))
        traces.append(_lines_trace(path, name="push anywhere in the plane", kind="field", colour=FIELD_COLOUR, width=1))
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
            traces.append(
                _batch_trace(
                    stage.real,
                    stage.d_real,
                    name="batch: real",
                    kind="stage_real",
                    colour=REAL_COLOUR,
                    symbol="circle",
                    zrange=zrange,
                )
            )
        if stage.fake is not None:
            traces.append(
                _batch_trace(
                    stage.fake,
                    stage.d_fake,
                    name="batch: G(z)",
                    kind="stage_fake",
                    colour=FAKE_COLOUR,
                    symbol="diamond",
                    zrange=zrange,
                )
            )
            if stage.push is not None:
                path, ref = arrow_segments(stage.fake, stage.push, ARROW_FRACTION * width)
                traces.append(
                    _lines_trace(
                        path,
                        name=f"batch: −∇ G's loss (p95 |∇| {ref:.2g})",
                        kind="stage_push",
                        colour=STAGE_PUSH_COLOUR,
                        width=2.2,
                    )
                )
    title, extra_lines = _stage_title(bg.iteration, stage)
    if show_arrows:
        first, br, rest = title.partition("<br>")
        title = f"{first} · arrows to scale up to p95 |∇| = {push_p95:.2g}{br}{rest}"
    # plotly.js places a multi-line title's first line ~14 px higher than a one-line title's
    layout = go.Layout(
        title=dict(
            text=title,
            x=0.01,
            xanchor="left",
            yref="container",
            y=1.0,
            yanchor="top",
            pad=dict(t=22 if extra_lines else 8),
            font=dict(size=15),
        ),
        height=height,
        margin=dict(l=40, r=10, t=36 + (19 * extra_lines + 8 if extra_lines else 0), b=10),
        # the square plot sits next to its colour bar; the legend runs below it
        xaxis=dict(range=[xmin, xmax], constrain="domain", constraintoward="right", showgrid=False, zeroline=False),
        yaxis=dict(
            range=[ymin, ymax], scaleanchor="x", scaleratio=1, constrain="domain", showgrid=False, zeroline=False
        ),
        legend=dict(
            orientation="h",
            x=0.0,
            xanchor="left",
            y=-0.06,
            yanchor="top",
            font=dict(size=11),
            itemsizing="constant",
            bgcolor="rgba(0,0,0,0)",
        ),
        plot_bgcolor="white",
        hovermode="closest",
        uirevision=uirevision,
    )
    return go.Figure(data=traces, layout=layout)
