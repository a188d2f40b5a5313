"""Point a reader at one part of a figure: an arrow with a label on the main view, a frame around a chart's panel.

The course uses these to show where each chapter's phenomenon is. Both add to a finished figure and change
nothing else in it.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from ganviz.figures.curves import CHART_PANELS

HIGHLIGHT_COLOUR = "#ff7f00"
VIEW_PARTS = ("surface", "samples", "arrows")


def view_target(snap, part: str) -> tuple[float, float, str]:
    """Where on the 2D main view `part` is, and its label: the surface at D's highest point, the centre of G's
    samples, or the sample G's loss pushes hardest."""
    fake = np.asarray(snap.fake, dtype=np.float64).reshape(-1, 2)
    if part == "surface":
        i, j = np.unravel_index(np.nanargmax(snap.d_surface), snap.d_surface.shape)
        return float(snap.grid_x[j]), float(snap.grid_y[i]), "D's surface: highest here"
    if part == "samples":
        x, y = fake.mean(0)
        return float(x), float(y), "G's samples"
    if part == "arrows":
        k = int(np.nanargmax(np.linalg.norm(snap.fake_push, axis=1)))
        return float(fake[k, 0]), float(fake[k, 1]), "strongest push on a sample"
    raise ValueError(f"unknown part {part!r}; one of {', '.join(VIEW_PARTS)}")


def point_at(fig: go.Figure, snap, part: str) -> go.Figure:
    """An arrow with a label at `part` of a 2D main view (see `view_target`)."""
    x, y, label = view_target(snap, part)
    centre_x, centre_y = float(np.mean(snap.grid_x)), float(np.mean(snap.grid_y))
    fig.add_annotation(
        x=x,
        y=y,
        text=f"<b>{label}</b>",
        showarrow=True,
        arrowhead=2,
        arrowwidth=3,
        arrowcolor=HIGHLIGHT_COLOUR,
        ax=-60 if x > centre_x else 60,  # the label sits towards the middle of the plane: never off the plot
        ay=60 if y > centre_y else -60,  # (pixels; positive is down)
        font=dict(size=14, color=HIGHLIGHT_COLOUR),
        bgcolor="rgba(255,255,255,0.85)",
        name="highlight",
    )
    return fig


def frame_panel(fig: go.Figure, panel: str) -> go.Figure:
    """A frame around one panel of `ganviz.figures.curves.training_charts` (a name in CHART_PANELS)."""
    row = CHART_PANELS.index(panel) + 1
    y0, y1 = fig.layout[f"yaxis{'' if row == 1 else row}"].domain
    fig.add_shape(
        type="rect",
        xref="paper",
        yref="paper",
        x0=-0.06,
        x1=1.06,
        y0=y0 - 0.01,
        y1=y1 + 0.03,
        line=dict(color=HIGHLIGHT_COLOUR, width=3),
        name="highlight",
    )
    return fig
