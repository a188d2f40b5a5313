"""Pictures of digits: a tiled sample grid, the judge's histogram, nearest training images."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from ganviz.figures.style import FAKE_COLOUR, MODE_COLOUR, as_float32, short_title


def tile(images: np.ndarray, pad: float = 1.0) -> np.ndarray:
    """(rows, cols, H, W) in [0, 1] -> one (rows·(H+1)-1, cols·(W+1)-1) picture, cells split by `pad` lines."""
    rows, cols, h, w = images.shape
    out = np.full((rows * (h + 1) - 1, cols * (w + 1) - 1), pad)
    for r in range(rows):
        for c in range(cols):
            out[r * (h + 1) : r * (h + 1) + h, c * (w + 1) : c * (w + 1) + w] = images[r, c]
    return out


def picture_figure(
    picture: np.ndarray, *, title: str, height: int, row_labels=None, cell: int = 0, uirevision: str = "picture"
) -> go.Figure:
    """A grey picture (y down) as one heatmap: cheap for plotly.js to redraw, whatever its size."""
    yaxis = dict(autorange="reversed", scaleanchor="x", showgrid=False, zeroline=False, showticklabels=False, ticks="")
    if row_labels is not None:
        yaxis.update(
            showticklabels=True,
            tickmode="array",
            ticktext=[str(d) for d in row_labels],
            tickvals=[r * (cell + 1) + cell / 2 for r in range(len(row_labels))],
            title="digit asked for",
        )
    return go.Figure(
        go.Heatmap(z=as_float32(picture), colorscale="gray_r", zmin=0, zmax=1, showscale=False, hoverinfo="skip"),
        layout=dict(
            title=dict(text=title, x=0.01, font=dict(size=15)),
            height=height,
            margin=dict(l=40 if row_labels is not None else 10, r=10, t=40, b=10),
            xaxis=dict(showgrid=False, zeroline=False, showticklabels=False, ticks="", constrain="domain"),
            yaxis=yaxis,
            plot_bgcolor="white",
            uirevision=uirevision,
            # its plot area's height over its width: a window-fitted view is drawn no taller than that needs
            meta={"aspect": picture.shape[0] / picture.shape[1]},
        ),
    )


def sample_grid(snap, height: int = 520) -> go.Figure:
    """G's samples for the run's fixed z (an `ImageSnapshot`), one row per digit when conditional."""
    rows, cols, h, w = snap.grid.shape
    return picture_figure(
        tile(snap.grid, pad=0.0),
        title=f"iteration {snap.iteration}: G(z) for a fixed z",
        height=height,
        row_labels=snap.row_labels,
        cell=h,
        uirevision="samples",
    )


def digit_histogram(
    class_counts: Sequence[int], trained: Sequence[int], missing: Sequence[int], height: int = 260
) -> go.Figure:
    """How many of G's samples the classifier calls each digit: trained digits present in purple, trained
    but `missing` ones (as `metrics.class_histogram` judges them) in red, digits not trained on in grey."""
    counts = np.asarray(class_counts, dtype=np.int64)
    total = max(int(counts.sum()), 1)
    colours = [(MODE_COLOUR if d in missing else FAKE_COLOUR) if d in trained else "#bbbbbb" for d in range(10)]
    return go.Figure(
        go.Bar(
            x=[str(d) for d in range(10)],
            y=counts,
            marker_color=colours,
            hovertemplate="digit %{x}: %{y} samples<extra></extra>",
        ),
        layout=dict(
            height=height,
            margin=dict(l=50, r=10, t=36, b=40),
            plot_bgcolor="white",
            title=dict(text="digits G makes (as the classifier reads them)", x=0.01, font=dict(size=14)),
            xaxis=dict(title="digit", type="category"),
            yaxis=dict(title=f"of {total} samples", gridcolor="#eee"),
        ),
    )


def neighbours_figure(
    samples: np.ndarray, neighbours: np.ndarray, distances: np.ndarray, height: int = 320
) -> go.Figure:
    """Each generated digit (first column) beside its nearest training images: samples (M, H, W),
    neighbours (M, k, H, W), both in [0, 1]; distances (M, k) in pixel units of [-1, 1] images."""
    m, k, h, w = neighbours.shape
    cells = np.concatenate([samples[:, None], neighbours], axis=1)
    title = (
        "generated | its nearest training images (distance "
        + "; ".join(", ".join(f"{d:.1f}" for d in row) for row in distances)
        + ")"
    )
    return picture_figure(tile(cells, pad=0.0), title=short_title(title, 120), height=height, uirevision="neighbours")
