"""Data drawn in the browser: the user selects cells of a canvas grid; each becomes a patch of points."""
from __future__ import annotations

import numpy as np

from .csv_points import MIN_POINTS, DataError

CANVAS_HALF_WIDTH = 4.0  # the canvas covers [-4, 4]², like the largest built-in dataset
CANVAS_CELLS = 41  # cells per axis
POINTS_PER_CELL = 20


def canvas_cells() -> np.ndarray:
    """Centres (CANVAS_CELLS², 2) of the selectable cells."""
    c = np.linspace(-CANVAS_HALF_WIDTH, CANVAS_HALF_WIDTH, CANVAS_CELLS)
    return np.stack(np.meshgrid(c, c), axis=-1).reshape(-1, 2)


def cell_size() -> float:
    return 2 * CANVAS_HALF_WIDTH / (CANVAS_CELLS - 1)


def fill_cells(cells, seed: int = 0, per_cell: int = POINTS_PER_CELL) -> np.ndarray:
    """Points spread uniformly over each selected cell: (len(cells) * per_cell, 2).

    Raises DataError with a one-line instruction when the selection is too small to train on.
    """
    cells = np.asarray(cells, dtype=np.float64).reshape(-1, 2)
    if len(cells) * per_cell < MIN_POINTS or len(cells) == 0:
        raise DataError("select at least one cell on the canvas with the lasso or box tool")
    rng = np.random.default_rng(seed)
    h = cell_size() / 2
    return np.repeat(cells, per_cell, axis=0) + rng.uniform(-h, h, size=(len(cells) * per_cell, 2))
