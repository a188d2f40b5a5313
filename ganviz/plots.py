"""Plotly figure builders.

Every builder takes numpy arrays or dataset objects (never models) and returns a
`plotly.graph_objects.Figure`. No Streamlit here: pages decide where a figure goes.

Traces carry `meta={"dataset": name, "kind": ...}` so tests and callers can find them
without relying on trace order.
"""
from __future__ import annotations

import math
from typing import Mapping

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

# One colour for real data everywhere, one for what the engine knows about it (mode centres).
REAL_COLOUR = "#1f77b4"
MODE_COLOUR = "#d62728"


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
