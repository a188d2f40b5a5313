"""The home page's gallery of datasets and the playground's drawing canvas."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ganviz.figures.style import MODE_COLOUR, REAL_COLOUR, as_float32, short_title, square_range


def dataset_gallery(datasets: Mapping[str, object], n: int = 1500, seed: int = 0, cols: int = 4) -> go.Figure:
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
        rows=rows,
        cols=cols,
        subplot_titles=[short_title(ds.title) for ds in items],
        horizontal_spacing=0.04,
        vertical_spacing=0.12 if rows > 1 else 0.0,
    )
    for i, ds in enumerate(items):
        row, col = divmod(i, cols)
        row, col = row + 1, col + 1
        xy = np.asarray(ds.sample(n, np.random.default_rng(seed)), dtype=np.float64)
        fig.add_trace(
            go.Scatter(
                x=xy[:, 0],
                y=xy[:, 1],
                mode="markers",
                name=ds.name,
                marker=dict(size=3, color=REAL_COLOUR, opacity=0.45),
                hoverinfo="skip",
                showlegend=False,
                meta={"dataset": ds.name, "kind": "samples"},
            ),
            row=row,
            col=col,
        )
        if getattr(ds, "modes", None) is not None:
            modes = np.asarray(ds.modes, dtype=np.float64)
            fig.add_trace(
                go.Scatter(
                    x=modes[:, 0],
                    y=modes[:, 1],
                    mode="markers",
                    name=f"{ds.name} modes",
                    marker=dict(symbol="circle-open", size=11, color=MODE_COLOUR, line=dict(width=1.5)),
                    hovertemplate="mode (%{x:.2f}, %{y:.2f})<extra></extra>",
                    showlegend=False,
                    meta={"dataset": ds.name, "kind": "modes"},
                ),
                row=row,
                col=col,
            )
        # Equal aspect: one unit on x is one unit on y, inside a square-ish panel.
        lo, hi = square_range(xy)
        axis = "" if i == 0 else str(i + 1)
        fig.update_layout(
            {
                f"xaxis{axis}": dict(range=[lo[0], hi[0]], constrain="domain"),
                f"yaxis{axis}": dict(range=[lo[1], hi[1]], scaleanchor=f"x{axis}", scaleratio=1, constrain="domain"),
            }
        )
    fig.update_xaxes(showgrid=True, zeroline=False, tickfont=dict(size=9))
    fig.update_yaxes(showgrid=True, zeroline=False, tickfont=dict(size=9))
    fig.update_annotations(font=dict(size=12))
    fig.update_layout(
        height=290 * rows + 50,
        margin=dict(l=10, r=10, t=40, b=10),
        plot_bgcolor="white",
        uirevision="dataset-gallery",
    )
    fig.update_xaxes(gridcolor="#eee")
    fig.update_yaxes(gridcolor="#eee")
    return fig


def drawing_canvas(cells: np.ndarray, height: int = 420) -> go.Figure:
    """A faint grid of selectable cell centres (N, 2) to draw data on with the lasso or box tool."""
    fig = go.Figure(
        go.Scatter(
            x=as_float32(cells[:, 0]),
            y=as_float32(cells[:, 1]),
            mode="markers",
            name="cells",
            marker=dict(size=5, color=REAL_COLOUR, opacity=0.18),
            hovertemplate="(%{x:.1f}, %{y:.1f})<extra></extra>",
            selected=dict(marker=dict(opacity=1.0, size=7)),
            unselected=dict(marker=dict(opacity=0.18)),
        )
    )
    fig.update_layout(
        height=height,
        margin=dict(l=10, r=10, t=10, b=10),
        dragmode="lasso",
        showlegend=False,
        xaxis=dict(range=[cells[:, 0].min() - 0.3, cells[:, 0].max() + 0.3], zeroline=False),
        yaxis=dict(scaleanchor="x", zeroline=False),
        uirevision="drawing",
    )
    return fig
