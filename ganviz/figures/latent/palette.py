"""Colours, names and labels shared by the Latent page's figures."""

from __future__ import annotations

import math

PATH_COLOURS = {"spherical": "#e66101", "linear": "#2c7bb6"}
PATH_NAMES = {"spherical": "spherical (slerp)", "linear": "linear (lerp)"}
PICK_COLOUR = "#111111"
RESULT_COLOUR = "#e66101"


# Ten distinguishable colours for digits 0-9 or mode indices (cycled past ten): Plotly's D3 set.
CLASS_COLOURS = [
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
]
SCORE_NAMES = {"probability": "D(x) = P(real)", "score": "D(x) (least-squares score)", "critic": "critic f(x)"}
FONT = dict(size=12)


def psi_label(psi: float) -> str:
    return "none" if math.isinf(psi) else f"{psi:g}"
