"""The Latent page's image figures: grey pictures of G's digits like the digits page's grid, numbered for
picking, in rows along a path, and noise images along their FGSM steps. Images come as (…, 1, H, W)
arrays in [−1, 1], as G makes them."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import plotly.graph_objects as go

from ganviz.figures.images import picture_figure, tile
from ganviz.figures.latent.palette import PATH_NAMES, RESULT_COLOUR

if TYPE_CHECKING:
    from ganviz.latent.fgsm import FGSMResult


def to_unit(images) -> np.ndarray:
    """Images (…, 1, H, W) in [−1, 1] -> (…, H, W) float64 in [0, 1] for drawing."""
    images = np.asarray(images, dtype=np.float64)
    return ((images[..., 0, :, :] + 1) / 2).clip(0, 1)


def _labelled_picture(
    cells: np.ndarray,
    *,
    title: str,
    height: int,
    row_names: Sequence[str] | None = None,
    captions: Sequence[str] | None = None,
    uirevision: str,
    pad: float = 0.0,
) -> go.Figure:
    """Images (rows, cols, 1, H, W) in [−1, 1] as one picture_figure, rows named on the left and each column
    captioned underneath (`captions`, one per column)."""
    rows, cols, _, h, w = cells.shape
    fig = picture_figure(tile(to_unit(cells), pad=pad), title=title, height=height, uirevision=uirevision)
    fig.data[0].meta = {"kind": "picture"}
    if row_names is not None:
        fig.update_yaxes(
            showticklabels=True,
            tickmode="array",
            ticktext=list(row_names),
            tickvals=[r * (h + 1) + (h - 1) / 2 for r in range(rows)],
            title=None,
        )
        fig.update_layout(margin=dict(l=90))
    if captions is not None:
        fig.update_xaxes(
            showticklabels=True,
            tickmode="array",
            ticktext=list(captions),
            tickvals=[c * (w + 1) + (w - 1) / 2 for c in range(cols)],
            side="bottom",
            tickfont=dict(size=11),
        )
        fig.update_layout(margin=dict(b=30))
    return fig


def interpolation_strip(
    paths: Mapping[str, np.ndarray], chosen: str, start: int, end: int, height: int = 230
) -> go.Figure:
    """G's images along each path: `paths` maps "spherical"/"linear" to images (S, 1, H, W); the chosen
    path is the top row."""
    names = sorted(paths, key=lambda n: n != chosen)
    cells = np.stack([np.asarray(paths[n]) for n in names])
    steps = cells.shape[1]
    captions = ["start"] + [""] * (steps - 2) + ["end"]
    return _labelled_picture(
        cells,
        title=f"from sample #{start} to sample #{end}",
        height=height,
        row_names=[PATH_NAMES[n] for n in names],
        captions=captions,
        uirevision="lt-strip",
    )


def numbered_grid(
    images: np.ndarray,
    *,
    title: str,
    picked: Mapping[int, str] | None = None,
    cols: int = 10,
    labels: Sequence[int] | None = None,
    numbered: bool = True,
    height: int = 320,
) -> go.Figure:
    """Samples (N, 1, H, W) in a grid of `cols` columns, each numbered in its corner (with the digit asked
    for when `labels` are given) unless `numbered` is False; `picked` maps sample numbers to a word
    written inside their (outlined) cell."""
    images = np.asarray(images)
    n, _, h, w = images.shape
    rows = math.ceil(n / cols)
    cells = np.full((rows * cols, 1, h, w), -1.0)  # empty cells: white
    cells[:n] = images
    fig = _labelled_picture(
        cells.reshape(rows, cols, 1, h, w), title=title, height=height, uirevision=f"lt-grid-{title}"
    )
    picked = dict(picked or {})
    for i in range(n):
        r, c = divmod(i, cols)
        x0, y0 = c * (w + 1) - 0.5, r * (h + 1) - 0.5
        if numbered:
            fig.add_annotation(
                x=x0,
                y=y0,
                xanchor="left",
                yanchor="top",
                showarrow=False,
                borderpad=0,
                text=f"{i}" if labels is None else f"{i}·{labels[i]}",
                font=dict(size=10, color="#c51b7d"),
                bgcolor="rgba(255,255,255,0.7)",
            )
        if i in picked:
            fig.add_shape(type="rect", x0=x0, x1=x0 + w, y0=y0, y1=y0 + h, line=dict(color=RESULT_COLOUR, width=3))
            fig.add_annotation(
                x=x0 + w / 2,
                y=y0 + h,
                yanchor="bottom",
                text=f"<b>{picked[i]}</b>",
                showarrow=False,
                font=dict(size=11, color=RESULT_COLOUR),
                bgcolor="rgba(255,255,255,0.85)",
                borderpad=0,
            )
    return fig


def image_row(
    images: np.ndarray, captions: Sequence[str], *, title: str, uirevision: str, height: int = 170
) -> go.Figure:
    """Images (K, 1, H, W) side by side, each captioned underneath."""
    images = np.asarray(images)
    return _labelled_picture(images[None], title=title, height=height, captions=captions, uirevision=uirevision)


def fgsm_images(
    result: FGSMResult, columns: int = 6, labels: Sequence[int] | None = None, height: int = 420
) -> go.Figure:
    """Each noise image (one row per sample) at `columns` evenly spaced steps, first and last included."""
    traj = np.asarray(result.trajectory)  # (T+1, N, 1, H, W)
    steps = np.unique(np.linspace(0, len(traj) - 1, columns).round().astype(int))
    cells = traj[steps].transpose(1, 0, 2, 3, 4)  # (N, columns, 1, H, W)
    score = result.scores.mean(1)
    captions = [f"step {s}<br>D {score[s]:.2f}" for s in steps]
    names = [f"#{i}" if labels is None else f"#{i} ({labels[i]})" for i in range(len(cells))]
    return _labelled_picture(
        cells,
        title="noise pushed toward “real” (mean D under each column)",
        height=height,
        row_names=names,
        captions=captions,
        uirevision="lt-fgsm-images",
    )
