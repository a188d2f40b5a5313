"""Colours and small helpers every figure shares."""

from __future__ import annotations

import html

import numpy as np
import plotly.graph_objects as go

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


def short_title(title: str, width: int = 28) -> str:
    """Wrap a long subplot title onto two lines so neighbouring titles never overlap: before a
    parenthesis when there is one ("Ring of 8 Gaussians<br>(radius 2, σ 0.02)"), else at a space."""
    if len(title) <= width:
        return title
    cut = title.find(" (")
    if cut <= 0:
        cut = title.rfind(" ", 0, width + 1)
    if cut <= 0:
        return title
    return title[:cut] + "<br>" + title[cut + 1 :]


def square_range(xy: np.ndarray, pad: float = 0.08) -> tuple[np.ndarray, np.ndarray]:
    """A square box around the points (same span on both axes), padded by `pad` of the span."""
    lo, hi = xy.min(axis=0), xy.max(axis=0)
    centre = (lo + hi) / 2
    half = max(float((hi - lo).max()), 1e-6) * (0.5 + pad)
    return centre - half, centre + half


def as_float32(a) -> np.ndarray:
    """Arrays for the browser: float32 halves the payload; what is drawn needs no more precision."""
    return np.asarray(a, dtype=np.float32)


def escape_html(text: str) -> str:
    """Text for Plotly's HTML-like labels: a '<' in a sentence must not open a tag."""
    return html.escape(str(text), quote=False)


# Diverging purple (D says fake) -> near white (0.5 / 0) -> green (D says real), light enough at
# both ends that the purple fakes and green reals stay visible on top.
SURFACE_SCALE = [[0.0, "#b294c7"], [0.25, "#dcc8e5"], [0.5, "#f7f7f7"], [0.75, "#cdebc5"], [1.0, "#8fce86"]]
SURFACE_TITLES = {
    "probability": "D(x) = P(real)",
    "score": "D(x) (least-squares score)",
    "critic": "critic f(x)",
}
FONT = dict(size=12)


def finish_panels(
    fig: go.Figure, *, height: int, legend_y: float, uirevision: str, margin: dict | None = None
) -> go.Figure:
    """The layout every side-by-side figure here shares: panel titles, a horizontal legend below."""
    fig.update_annotations(font=dict(size=13))
    fig.update_layout(
        height=height,
        margin=margin or dict(l=45, r=10, t=40, b=40),
        plot_bgcolor="white",
        legend=dict(orientation="h", x=0, y=legend_y, yanchor="top", font=FONT),
        uirevision=uirevision,
    )
    return fig
