"""The Latent page's 2D figures, drawn over the playground's view (`figures.points.main_view`: D's surface,
the data, its modes and G's fixed-z samples): interpolation paths, arithmetic, truncated samples, FGSM paths."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
import plotly.graph_objects as go

from ganviz.figures.latent.palette import PATH_COLOURS, PATH_NAMES, PICK_COLOUR, RESULT_COLOUR, psi_label
from ganviz.figures.points import main_view
from ganviz.figures.style import as_float32

if TYPE_CHECKING:
    from ganviz.latent.fgsm import FGSMResult
    from ganviz.training.points import Snapshot


def _backdrop(
    snap: Snapshot,
    *,
    title: str,
    height: int,
    uirevision: str,
    clickable_fakes: bool = False,
    fake_name: str | None = None,
    fake_opacity: float | None = None,
) -> go.Figure:
    """`figures.points.main_view` without arrows, under a title of our own. With `clickable_fakes` only the fakes
    answer the mouse (a click elsewhere would select the surface or a real point)."""
    fig = main_view(snap, show_arrows=False, height=height, uirevision=uirevision)
    fig.update_layout(title=dict(text=title, pad=dict(t=8)), margin=dict(t=40))
    for trace in fig.data:
        role = (trace.meta or {}).get("kind")
        if clickable_fakes and role in ("surface", "real"):
            trace.hoverinfo, trace.hovertemplate = "skip", None
        if role == "fake":
            if fake_name:
                trace.name = fake_name
            if fake_opacity is not None:
                trace.marker.opacity = fake_opacity
            if clickable_fakes:
                trace.customdata = np.arange(len(snap.fake))
                trace.hovertemplate = "fake #%{customdata}<br>(%{x:.2f}, %{y:.2f})<extra></extra>"
                trace.marker.size = 7
    return fig


def _fit_view(fig: go.Figure, points: np.ndarray, pad: float = 0.08) -> None:
    """Widen a main_view figure's square view, if needed, so that `points` (N, 2) are inside it too."""
    points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    points = points[np.isfinite(points).all(1)]
    (x0, x1), (y0, y1) = fig.layout.xaxis.range, fig.layout.yaxis.range
    lo = np.minimum([x0, y0], points.min(0)) if len(points) else np.array([x0, y0])
    hi = np.maximum([x1, y1], points.max(0)) if len(points) else np.array([x1, y1])
    if (lo < [x0, y0]).any() or (hi > [x1, y1]).any():
        centre, half = (lo + hi) / 2, (hi - lo).max() / 2 * (1 + pad)
        fig.update_xaxes(range=[centre[0] - half, centre[0] + half])
        fig.update_yaxes(range=[centre[1] - half, centre[1] + half])


def fake_trace_index(fig: go.Figure) -> int:
    """Position of G's fixed-z samples in `fig.data`: a click's selection names its trace by this number."""
    return next(i for i, t in enumerate(fig.data) if (t.meta or {}).get("kind") == "fake")


def _mark(xy, *, name: str, kind: str, symbol: str, colour: str, size: int = 14, text: str | None = None) -> go.Scatter:
    xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    return go.Scatter(
        x=xy[:, 0],
        y=xy[:, 1],
        mode="markers+text" if text else "markers",
        name=name,
        text=[text] * len(xy) if text else None,
        textposition="top center",
        textfont=dict(size=13, color=colour),
        marker=dict(symbol=symbol, size=size, color=colour, line=dict(color="white", width=1.5)),
        hovertemplate=f"{name}<br>(%{{x:.2f}}, %{{y:.2f}})<extra></extra>",
        meta={"kind": kind},
    )


def interpolation_2d(
    snap: Snapshot, paths: Mapping[str, np.ndarray], chosen: str, start: int, end: int, height: int = 520
) -> go.Figure:
    """G's image of latent paths over D's surface and the data: `paths` maps "spherical"/"linear" to G's
    outputs (S, 2) along each; `chosen` is drawn bold, the other dotted. Only the fakes (G's fixed-z
    samples) answer the mouse, so that a click picks one; #`start` and #`end` are marked."""
    fig = _backdrop(
        snap,
        title="Click a purple fake to start the path, another to end it",
        height=height,
        uirevision="lt-interpolation",
        clickable_fakes=True,
        fake_opacity=0.55,
    )
    for name in sorted(paths, key=lambda n: n == chosen):  # the chosen path on top
        xy, bold = np.asarray(paths[name], dtype=np.float64), name == chosen
        fig.add_trace(
            go.Scatter(
                x=xy[:, 0],
                y=xy[:, 1],
                mode="lines+markers" if bold else "lines",
                name=PATH_NAMES[name],
                line=dict(color=PATH_COLOURS[name], width=3 if bold else 1.5, dash=None if bold else "dot"),
                marker=dict(size=6, color=PATH_COLOURS[name]),
                hoverinfo="skip",  # clicks are for the fakes
                meta={"kind": f"path_{name}"},
            )
        )
    fake = np.asarray(snap.fake, dtype=np.float64)
    fig.add_trace(
        _mark(
            fake[start], name=f"start: fake #{start}", kind="start", symbol="square", colour=PICK_COLOUR, text="start"
        )
    )
    fig.add_trace(
        _mark(fake[end], name=f"end: fake #{end}", kind="end", symbol="star", colour=PICK_COLOUR, size=17, text="end")
    )
    for trace in fig.data[-2:]:
        trace.hoverinfo, trace.hovertemplate = "skip", None
    _fit_view(fig, np.concatenate([np.asarray(p, dtype=np.float64) for p in paths.values()]))
    return fig


def arithmetic_2d(
    snap: Snapshot, operands: Mapping[str, np.ndarray], result: np.ndarray, neighbours: np.ndarray, height: int = 460
) -> go.Figure:
    """G(a), G(b), G(c) (`operands`: name -> point (2,)), G(a − b + c) (`result` (2,)) and G at noise near
    a − b + c (`neighbours` (M, 2)), over D's surface and the data."""
    fig = _backdrop(snap, title="G(a − b + c)", height=height, uirevision="lt-arithmetic", fake_opacity=0.25)
    fig.add_trace(
        go.Scatter(
            x=neighbours[:, 0],
            y=neighbours[:, 1],
            mode="markers",
            name="G(z) for z near a − b + c",
            marker=dict(size=6, color=RESULT_COLOUR, opacity=0.5),
            meta={"kind": "neighbours"},
        )
    )
    for name, symbol in zip(operands, ("circle", "diamond", "square")):
        fig.add_trace(
            _mark(
                operands[name],
                name=f"G({name})",
                kind=f"operand_{name}",
                symbol=symbol,
                colour=PICK_COLOUR,
                size=12,
                text=name,
            )
        )
    fig.add_trace(
        _mark(
            result, name="G(a − b + c)", kind="result", symbol="star", colour=RESULT_COLOUR, size=18, text="a − b + c"
        )
    )
    _fit_view(fig, np.vstack([np.reshape(result, (1, 2)), neighbours]))
    return fig


def truncation_points(snap: Snapshot, samples: np.ndarray, psi: float, height: int = 460) -> go.Figure:
    """G's samples for noise truncated at ψ (`samples` (N, 2); ψ = inf: untruncated) over the data, beside
    G's untruncated fixed-z samples (faint)."""
    fig = _backdrop(
        snap,
        title=f"G(z) with z truncated at ψ = {psi_label(psi)}",
        height=height,
        uirevision="lt-truncation",
        fake_name="G(z), untruncated",
        fake_opacity=0.2,
    )
    fig.add_trace(
        go.Scatter(
            x=as_float32(samples[:, 0]),
            y=as_float32(samples[:, 1]),
            mode="markers",
            name=f"G(z), ψ = {psi_label(psi)}",
            marker=dict(size=5, color=RESULT_COLOUR, opacity=0.8),
            meta={"kind": "truncated"},
        )
    )
    _fit_view(fig, samples)
    return fig


def fgsm_paths_2d(snap: Snapshot, result: FGSMResult, height: int = 520) -> go.Figure:
    """Each noise point's FGSM path over D's surface (`result.surface`, which reaches as far as the paths
    do), with the data, its modes and G's fixed-z samples for comparison."""
    gx, gy, values, extent = result.surface
    view = dataclasses.replace(snap, grid_x=gx, grid_y=gy, d_surface=values, extent=extent)
    fig = _backdrop(
        view,
        title=f"FGSM from noise: {len(result.trajectory) - 1} steps of η = {result.step_size:g}",
        height=height,
        uirevision="lt-fgsm",
        fake_opacity=0.35,
    )
    traj = np.asarray(result.trajectory, dtype=np.float64)  # (T+1, N, 2)
    gaps = np.full((1, traj.shape[1], 2), np.nan)
    lines = np.concatenate([traj, gaps]).transpose(1, 0, 2).reshape(-1, 2)  # each point's path, NaN between
    fig.add_trace(
        go.Scatter(
            x=as_float32(lines[:, 0]),
            y=as_float32(lines[:, 1]),
            mode="lines",
            name="FGSM paths",
            line=dict(color="rgba(20, 20, 20, 0.45)", width=1),
            hoverinfo="skip",
            meta={"kind": "paths"},
        )
    )
    fig.add_trace(_mark(traj[0], name="noise (start)", kind="start", symbol="circle-open", colour="#444", size=7))
    fig.add_trace(_mark(traj[-1], name="after the last step", kind="end", symbol="x", colour=RESULT_COLOUR, size=8))
    return fig
