"""Figures for comparing runs: their main views as small multiples, and every curve overlaid.

Each run keeps one colour (`RUN_COLOURS`, A to D) in every figure. The small multiples are one figure
whose panels share their axes, so zooming one zooms them all; each panel is the run's own main view
(`points.main_view`) or sample grid (`image_figures.sample_grid`) moved into its place.
"""

from __future__ import annotations

import dataclasses
import html
import math
from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from ganviz.figures import curves, points, style
from ganviz.figures import images as image_figures
from ganviz.figures.curves import downsample, metric_series

RUN_COLOURS = ("#1f77b4", "#e6550d", "#17becf", "#8c564b")  # A-D: apart from the data's green and G's purple
PANEL_GAP = 0.04  # between small multiples, as a fraction of the figure


def grid_shape(runs: int) -> tuple[int, int]:
    """(rows, columns) of the small multiples: side by side up to two runs, two by two beyond."""
    return (1, runs) if runs <= 2 else (2, 2)


def _axis_suffix(k: int) -> str:
    return "" if k == 0 else str(k + 1)


def small_multiples(
    snap,
    labels: Sequence[str],
    *,
    stopped: Mapping[str, str] | None = None,
    show_arrows: bool = False,
    height: int | None = None,
    uirevision: str = "compare-view",
) -> go.Figure:
    """The runs of a `RaceSnapshot` side by side: each panel is a run's main view (2D: D's surface,
    the data, G(z), the modes) or its sample grid (digits), titled with its label, iteration and
    headline numbers. `stopped` maps a run's name to why it stopped (e.g. its divergence).
    2D panels share their axes: zooming or panning one moves all of them."""
    stopped = stopped or {}
    rows, cols = grid_shape(len(snap.runs))
    height = height or (440 if rows == 1 else 820)
    width, tall = (1 - PANEL_GAP * (cols - 1)) / cols, (1 - PANEL_GAP * (rows - 1)) / rows
    traces, annotations, aspects = [], [], []
    images = not hasattr(snap.runs[0], "d_surface")
    layout: dict = dict(
        height=height,
        margin=dict(l=10 if images else 30, r=10, t=40, b=56),
        plot_bgcolor="white",
        hovermode="closest",
        uirevision=uirevision,
        showlegend=True,
        legend=dict(
            orientation="h",
            x=0.0,
            xanchor="left",
            y=-30 / height,
            yanchor="top",
            font=dict(size=11),
            itemsizing="constant",
            bgcolor="rgba(0,0,0,0)",
        ),
    )
    for k, (name, label, run_snap) in enumerate(zip(snap.names, labels, snap.runs)):
        row, col = divmod(k, cols)
        x0 = col * (width + PANEL_GAP)
        y1 = 1 - row * (tall + PANEL_GAP * 1.6)
        domain_x, domain_y = [x0, x0 + width], [max(y1 - tall, 0.0), y1 - 0.04]
        suffix = _axis_suffix(k)
        metrics = snap.metrics.get(name, {}) if snap.metrics else {}
        run_snap = dataclasses.replace(run_snap, metrics=metrics)
        figure = image_figures.sample_grid(run_snap) if images else points.main_view(run_snap, show_arrows=show_arrows)
        for trace in figure.data:
            kind = (trace.meta or {}).get("kind", trace.type)
            trace.update(
                xaxis=f"x{suffix}",
                yaxis=f"y{suffix}",
                uid=f"{name}-{kind}",
                meta={"kind": kind, "run": name},
                legendgroup=kind,
                showlegend=k == 0 and trace.showlegend is not False and trace.type != "heatmap",
            )
            if trace.type == "heatmap":
                trace.update(showscale=False)
            traces.append(trace)
        source = figure.layout
        aspects.append(_drawn_aspect(source) * width / (domain_y[1] - domain_y[0]))
        layout[f"xaxis{suffix}"] = dict(
            domain=domain_x,
            anchor=f"y{suffix}",
            showgrid=False,
            zeroline=False,
            showticklabels=False if images else None,
            constrain="domain",
            range=None if images else list(source.xaxis.range),
            **({} if k == 0 or images else dict(matches="x")),
        )
        layout[f"yaxis{suffix}"] = dict(
            domain=domain_y,
            anchor=f"x{suffix}",
            showgrid=False,
            zeroline=False,
            scaleanchor=f"x{suffix}",
            constrain="domain",
            **(
                dict(autorange="reversed", showticklabels=False)
                if images
                else dict(range=list(source.yaxis.range), **({} if k == 0 else dict(matches="y")))
            ),
        )
        colour = RUN_COLOURS[k]
        title = f"<b style='color:{colour}'>{html.escape(label)}</b><br>{_panel_numbers(run_snap, metrics, images)}"
        if name in stopped:
            title += f" · <span style='color:#d62728'>{html.escape(stopped[name])}</span>"
        annotations.append(
            dict(
                text=title,
                x=domain_x[0],
                xref="paper",
                xanchor="left",
                y=domain_y[1] + 0.005,
                yref="paper",
                yanchor="bottom",
                showarrow=False,
                align="left",
                font=dict(size=12),
            )
        )
    layout["annotations"] = annotations
    layout["meta"] = {"aspect": max(aspects)}  # the panels' height over their width, as in images.picture_figure
    return go.Figure(data=traces, layout=layout)


def _drawn_aspect(layout) -> float:
    """Height over width of what a run's own figure draws: its picture's, or its axes' ranges' (equal scales)."""
    if layout.meta and "aspect" in layout.meta:
        return layout.meta["aspect"]
    (x0, x1), (y0, y1) = layout.xaxis.range, layout.yaxis.range
    return (y1 - y0) / (x1 - x0)


def _panel_numbers(run_snap, metrics: Mapping, images: bool) -> str:
    """A panel's second title line: its iteration and the numbers that matter at a glance."""
    parts = [f"iteration {run_snap.iteration:,}"]
    if images:
        if metrics.get("classes_covered") is not None:
            parts.append(f"{metrics['classes_covered']}/{metrics.get('classes_total')} digits")
        if metrics.get("fid") is not None:
            parts.append(f"FID {metrics['fid']:.3g}")
    else:
        if metrics.get("modes_captured") is not None:
            parts.append(f"{metrics['modes_captured']}/{metrics['modes_total']} modes")
        if metrics.get("w1") is not None:
            parts.append(f"W1 {metrics['w1']:.3g}")
        parts.append(style.SURFACE_TITLES[run_snap.d_output])
    return " · ".join(parts)


POINT_PANELS = (  # (title, kind of values, log scale)
    ("loss: D solid, G dotted", "losses", False),
    ("gradient norm: D solid, G dotted (log)", "grad_norms", True),
    ("JS (nats), real-vs-real floor dashed", "js", False),
    ("W1 to the data (exact)", "w1", False),
    ("modes captured", "modes_captured", False),
    ("% high-quality samples", "hq_fraction", False),
)
IMAGE_PANELS = (
    ("loss: D solid, G dotted", "losses", False),
    ("gradient norm: D solid, G dotted (log)", "grad_norms", True),
    ("Fréchet distance on the classifier's features (log), real-vs-real floor dashed", "fid", True),
    ("digits present", "classes_covered", False),
    ("the classifier's mean confidence (%)", "mean_confidence", False),
)


def race_charts(
    runs: Sequence[tuple[str, str, Mapping[str, np.ndarray], Sequence[Mapping]]],
    *,
    metrics: str = "points",
    height: int | None = None,
    uirevision: str = "compare-charts",
    max_points: int = curves.MAX_CHART_POINTS,
) -> go.Figure:
    """Every run's curves overlaid, one colour per run, on stacked panels with one iteration axis.

    runs: (name, label, history, metrics_log) per run, in order A..D; history is `History.as_dict()`,
    metrics_log the run's measured metrics with its "iteration" (`race.run_metrics_log`). metrics:
    "points" (2D: losses, gradient norms, JS with its floor, exact W1, modes captured, % high quality)
    or "images" (digits: losses, gradient norms, classifier Fréchet distance with its floor, digits
    present, mean confidence). Clicking a run's name in the legend hides or shows all of its curves.
    """
    if metrics not in ("points", "images"):
        raise ValueError(f"unknown metrics {metrics!r}")
    panels = POINT_PANELS if metrics == "points" else IMAGE_PANELS
    n = len(panels)
    height = height or 190 * n
    gap = min(0.05, 40 / height)
    tall = (1 - gap * (n - 1)) / n
    layout: dict = dict(
        height=height,
        margin=dict(l=60, r=20, t=24, b=90),
        uirevision=uirevision,
        hovermode="x",
        plot_bgcolor="white",
        showlegend=True,
        legend=dict(
            orientation="h",
            x=0.0,
            xanchor="left",
            y=-40 / height,
            yanchor="top",
            font=dict(size=11),
            bgcolor="rgba(0,0,0,0)",
        ),
    )
    annotations, traces = [], []
    bottom = f"x{n}"
    for p, (title, _, log) in enumerate(panels):
        suffix = _axis_suffix(p)
        top = 1 - p * (tall + gap)
        layout[f"xaxis{suffix}"] = dict(
            anchor=f"y{suffix}",
            domain=[0, 1],
            gridcolor="#eee",
            zeroline=False,
            **(
                dict(title=dict(text="iteration", font=dict(size=11)))
                if p == n - 1
                else dict(matches=bottom, showticklabels=False)
            ),
        )
        layout[f"yaxis{suffix}"] = dict(
            anchor=f"x{suffix}",
            domain=[max(top - tall, 0.0), top],
            gridcolor="#eee",
            zeroline=False,
            tickfont=dict(size=10),
            **(dict(type="log", dtick=1) if log else {}),
        )
        annotations.append(
            dict(
                text=title,
                x=0,
                xref="paper",
                xanchor="left",
                y=top,
                yref="paper",
                yanchor="bottom",
                showarrow=False,
                font=dict(size=11, color="#555"),
            )
        )
        traces.append(
            go.Scatter(
                x=[],
                y=[],
                xaxis=f"x{suffix}",
                yaxis=f"y{suffix}",
                showlegend=False,
                hoverinfo="skip",
                meta={"kind": "placeholder"},
                uid=f"placeholder{p}",
            )
        )

    def line(name, label, colour, x, y, *, panel, kind, dash=None, markers=False, first=False, reduce=True):
        if reduce:
            x, y = downsample(x, y, max_points)
        suffix = _axis_suffix(panel)
        traces.append(
            go.Scatter(
                x=x,
                y=y,
                name=label,
                legendgroup=name,
                showlegend=first,
                mode="lines+markers" if markers else "lines",
                line=dict(color=colour, width=1.4, dash=dash),
                marker=dict(size=4),
                xaxis=f"x{suffix}",
                yaxis=f"y{suffix}",
                hovertemplate=f"{name}: %{{y:.4g}}<extra></extra>",
                meta={"kind": kind, "run": name},
                uid=f"{name}-{kind}",
            )
        )

    floor_key = "js_floor" if metrics == "points" else "fid_floor"
    for r, (name, label, history, log) in enumerate(runs):
        colour, first = RUN_COLOURS[r], True
        its = np.asarray(history.get("iteration", []))
        for p, (_, key, _) in enumerate(panels):
            if key in ("losses", "grad_norms"):
                if not len(its):
                    continue
                d_key, g_key = ("loss_d", "loss_g") if key == "losses" else ("grad_norm_d", "grad_norm_g")
                line(name, label, colour, its, history[d_key], panel=p, kind=d_key, first=first)
                line(name, label, colour, its, history[g_key], panel=p, kind=g_key, dash="dot")
                first = False
                continue
            m_its, values = metric_series(log, key)
            if not np.isfinite(values).any():
                continue
            scale = 100.0 if key in ("hq_fraction", "mean_confidence") else 1.0
            line(name, label, colour, m_its, scale * values, panel=p, kind=key, markers=True, first=first, reduce=False)
            first = False
            if key in ("js", "fid") and r == 0:  # the floor is a property of the data: run A's stands for all
                line(
                    "floor",
                    "floor (real vs real)",
                    "#999999",
                    m_its,
                    metric_series(log, floor_key)[1],
                    panel=p,
                    kind=floor_key,
                    dash="dash",
                    reduce=False,
                    first=True,
                )
    if all(t.meta["kind"] == "placeholder" for t in traces):
        annotations.append(
            dict(
                text="no training yet: press Play or Step",
                x=0.5,
                y=0.5,
                xref="paper",
                yref="paper",
                showarrow=False,
                font=dict(size=13, color="#777"),
            )
        )
        layout[f"xaxis{_axis_suffix(n - 1)}"]["range"] = [0, 100]
    if metrics == "points":
        layout[f"yaxis{_axis_suffix(2)}"]["range"] = [0, math.log(2) * 1.04]  # JS lies in [0, ln 2]
        layout[f"yaxis{_axis_suffix(5)}"]["range"] = [0, 105]
    else:
        layout[f"yaxis{_axis_suffix(4)}"]["range"] = [0, 105]
    layout["annotations"] = annotations
    return go.Figure(data=traces, layout=layout)
