"""Training curves on one iteration axis: losses, D's outputs, gradient norms, distances, modes."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from ganviz.figures.style import CAPTURED_COLOUR, FAKE_COLOUR, REAL_COLOUR

MAX_CHART_POINTS = 2000  # points per drawn trace; longer series are reduced to per-bucket min/max
CHART_PANELS = ("losses", "outputs", "grad_norms", "distances", "modes")
D_COLOUR, G_COLOUR = "#2c7bb6", FAKE_COLOUR
JS_COLOUR, W1_COLOUR, HQ_COLOUR = "#333333", "#e66101", "#5e8fb5"
OUTPUT_AXIS_TITLES = {"probability": "mean D (probability)", "score": "mean D score", "critic": "mean critic f"}
OUTPUT_NAMES = {
    "probability": ("D(x), real", "D(G(z)), fake"),
    "score": ("D(x), real", "D(G(z)), fake"),
    "critic": ("f(x), real", "f(G(z)), fake"),
}


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
    idx = np.concatenate([[0, n - 1], base + lo.reshape(used, size).argmin(1), base + hi.reshape(used, size).argmax(1)])
    idx = np.unique(idx[idx < n])
    return x[idx], y[idx]


def metric_series(metrics_log: Sequence[Mapping], key: str) -> tuple[np.ndarray, np.ndarray]:
    its = np.array([rec.get("iteration", np.nan) for rec in metrics_log], dtype=np.float64)
    vals = np.array([np.nan if rec.get(key) is None else float(rec[key]) for rec in metrics_log], dtype=np.float64)
    return its, vals


def training_charts(
    history: Mapping[str, np.ndarray],
    metrics_log: Sequence[Mapping],
    *,
    loss_output: str,
    uirevision: str = "charts",
    height: int = 720,
    max_points: int = MAX_CHART_POINTS,
    metrics: str = "points",
) -> go.Figure:
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
        height=height,
        margin=dict(l=60, r=60, t=28, b=40),
        uirevision=uirevision,
        hovermode="x",
        plot_bgcolor="white",
        showlegend=True,
    )
    for r in range(1, rows + 1):
        suffix = "" if r == 1 else str(r)
        layout[f"xaxis{suffix}"] = dict(
            anchor=f"y{suffix}",
            domain=[0, 1],
            showgrid=True,
            gridcolor="#eee",
            zeroline=False,
            **({} if r == rows else dict(matches=bottom, showticklabels=False)),
        )
        layout[f"yaxis{suffix}"] = dict(
            anchor=f"x{suffix}",
            domain=domains[r - 1],
            gridcolor="#eee",
            zeroline=False,
            title=dict(font=dict(size=11)),
            tickfont=dict(size=10),
        )
        layout[f"legend{suffix}"] = dict(
            x=0.0,
            xanchor="left",
            y=domains[r - 1][1],
            yanchor="bottom",
            orientation="h",
            font=dict(size=10),
            bgcolor="rgba(0,0,0,0)",
            tracegroupgap=0,
            itemwidth=30,
        )
    layout[f"xaxis{rows}"].update(title=dict(text="iteration", font=dict(size=11)), tickfont=dict(size=10))
    w1_axis, hq_axis = f"y{rows + 1}", f"y{rows + 2}"
    layout[f"yaxis{rows + 1}"] = dict(
        anchor="x4",
        overlaying="y4",
        side="right",
        showgrid=False,
        zeroline=False,
        rangemode="tozero",
        tickmode="auto",
        tickfont=dict(size=10),
        title=dict(text="W1 (data units)", font=dict(size=11)),
    )
    layout[f"yaxis{rows + 2}"] = dict(
        anchor="x5",
        overlaying="y5",
        side="right",
        showgrid=False,
        zeroline=False,
        range=[0, 105],
        tickmode="array",
        tickvals=[0, 25, 50, 75, 100],
        ticktext=["0%", "25%", "50%", "75%", "100%"],
        tickfont=dict(size=10),
        title=dict(text="% high quality", font=dict(size=11)),
    )
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
        annotations.append(
            dict(
                text=text,
                showarrow=False,
                font=dict(size=12, color="#777"),
                xref="paper",
                x=0.5,
                yref="paper" if row is None else ("y domain" if row == 1 else f"y{row} domain"),
                y=0.5,
            )
        )

    # One empty trace per panel: plotly.js draws only the subplots that traces use, and an empty
    # panel must still show its axes (and its note).
    traces: list = [
        go.Scatter(
            x=[],
            y=[],
            xaxis=f"x{'' if r == 1 else r}",
            yaxis=f"y{'' if r == 1 else r}",
            showlegend=False,
            hoverinfo="skip",
            meta={"kind": "placeholder"},
            uid=f"placeholder{r}",
        )
        for r in range(1, rows + 1)
    ]

    def line(x, y, *, name, kind, row, colour, yaxis=None, dash=None, markers=False, reduce=True):
        if reduce:
            x, y = downsample(x, y, max_points)
        suffix = "" if row == 1 else str(row)
        traces.append(
            go.Scatter(
                x=x,
                y=y,
                name=name,
                mode="lines+markers" if markers else "lines",
                line=dict(color=colour, width=1.3, dash=dash),
                marker=dict(size=4),
                xaxis=f"x{suffix}",
                yaxis=yaxis or f"y{suffix}",
                legend=f"legend{suffix}",
                meta={"kind": kind},
                uid=kind,
            )
        )

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
        line(
            m_its,
            metric_series(metrics_log, "fid_floor")[1],
            name="floor (real vs real)",
            kind="fid_floor",
            row=4,
            colour="#999999",
            dash="dash",
        )
        total = int(metrics_log[-1].get("classes_total") or 10)
        line(
            m_its,
            metric_series(metrics_log, "classes_covered")[1],
            name=f"digits present (of {total})",
            kind="classes_covered",
            row=5,
            colour=CAPTURED_COLOUR,
            markers=True,
        )
        line(
            m_its,
            100 * metric_series(metrics_log, "mean_confidence")[1],
            name="classifier's mean confidence (right axis)",
            kind="mean_confidence",
            row=5,
            colour=HQ_COLOUR,
            yaxis=hq_axis,
            markers=True,
        )
        layout[f"yaxis{rows}"].update(
            range=[0, total * 1.08 + 0.1], title=dict(text=f"digits (of {total})", font=dict(size=11))
        )
    elif metrics_log:
        m_its, js = metric_series(metrics_log, "js")
        line(m_its, js, name="JS (nats)", kind="js", row=4, colour=JS_COLOUR, markers=True)
        line(
            m_its,
            metric_series(metrics_log, "js_floor")[1],
            name="JS floor (real vs real)",
            kind="js_floor",
            row=4,
            colour="#999999",
            dash="dash",
        )
        line(
            m_its,
            metric_series(metrics_log, "w1")[1],
            name="W1 exact (right axis)",
            kind="w1",
            row=4,
            colour=W1_COLOUR,
            yaxis=w1_axis,
            markers=True,
        )
        if loss_output == "critic":
            line(
                m_its,
                metric_series(metrics_log, "critic_estimate")[1],
                name="critic's W1 estimate (right axis)",
                kind="critic_estimate",
                row=4,
                colour=W1_COLOUR,
                yaxis=w1_axis,
                dash="dot",
            )
        captured = metric_series(metrics_log, "modes_captured")[1]
        totals = [rec.get("modes_total") for rec in metrics_log if rec.get("modes_total") is not None]
        if np.isfinite(captured).any() and totals:
            total = int(totals[-1])
            line(
                m_its,
                captured,
                name=f"modes captured (of {total})",
                kind="modes_captured",
                row=5,
                colour=CAPTURED_COLOUR,
                markers=True,
            )
            line(
                m_its,
                100 * metric_series(metrics_log, "hq_fraction")[1],
                name="% high quality (right axis)",
                kind="hq_fraction",
                row=5,
                colour=HQ_COLOUR,
                yaxis=hq_axis,
                markers=True,
            )
            layout[f"yaxis{rows}"].update(
                range=[0, total * 1.08 + 0.1], title=dict(text=f"modes (of {total})", font=dict(size=11))
            )
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
