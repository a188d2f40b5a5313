"""Plotly figures for the Latent page: interpolation, arithmetic, truncation, D's embedding space, FGSM.

Builders take arrays and snapshots (never models) and return a `plotly.graph_objects.Figure`: the 2D
figures over the playground's view (`plane`), grey pictures of digits (`pictures`) and charts that are the
same for every kind of data (`charts`). Traces carry `meta={"kind": ...}` so tests and callers can find them.
"""

from ganviz.figures.latent.charts import embedding_figure, fgsm_curves, path_profile, truncation_curve
from ganviz.figures.latent.palette import CLASS_COLOURS, PATH_COLOURS, PATH_NAMES, SCORE_NAMES, psi_label
from ganviz.figures.latent.pictures import fgsm_images, image_row, interpolation_strip, numbered_grid, to_unit
from ganviz.figures.latent.plane import (
    arithmetic_2d,
    fake_trace_index,
    fgsm_paths_2d,
    interpolation_2d,
    truncation_points,
)

__all__ = [
    "CLASS_COLOURS",
    "PATH_COLOURS",
    "PATH_NAMES",
    "SCORE_NAMES",
    "arithmetic_2d",
    "embedding_figure",
    "fake_trace_index",
    "fgsm_curves",
    "fgsm_images",
    "fgsm_paths_2d",
    "image_row",
    "interpolation_2d",
    "interpolation_strip",
    "numbered_grid",
    "path_profile",
    "psi_label",
    "to_unit",
    "truncation_curve",
    "truncation_points",
]
