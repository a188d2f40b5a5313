"""Your own 2D points: a CSV file, pasted text, or cells drawn on a canvas, checked with messages that say what to
fix."""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import numpy as np

MIN_POINTS = 10
MAX_POINTS = 100_000
MAX_BYTES = 5 * 1024 * 1024  # 100k rows of two long floats fit well inside this


class DataError(ValueError):
    """User data that cannot be used; str(error) is a one-line instruction."""


def read_points_csv(source: str | Path | bytes) -> np.ndarray:
    """Parse a CSV of 2D points from a path or raw bytes (an upload). Returns (N, 2) float64."""
    if isinstance(source, (bytes, bytearray)):
        raw = bytes(source)
    else:
        path = Path(source)
        if not path.is_file():
            raise DataError(f"no such file: {path}; give the path of a CSV file with x,y columns")
        if path.stat().st_size > MAX_BYTES:
            raise DataError(_too_big(path.stat().st_size))
        raw = path.read_bytes()
    if len(raw) > MAX_BYTES:
        raise DataError(_too_big(len(raw)))
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DataError("the file is not UTF-8 text; save it as a plain CSV with two columns x,y") from None
    return parse_points(text)


def _too_big(size: int) -> str:
    return (
        f"the file is {size / 1e6:.1f} MB, over the {MAX_BYTES / 1e6:.0f} MB limit; keep at most {MAX_POINTS:,} points"
    )


def parse_points(text: str) -> np.ndarray:
    rows = [(n, row) for n, row in enumerate(csv.reader(io.StringIO(text)), start=1) if any(c.strip() for c in row)]
    if rows and _is_header_row(rows[0][1]):
        rows = rows[1:]  # a header line such as "x,y"
    if len(rows) < MIN_POINTS:
        raise DataError(f"the file has {len(rows)} points; give at least {MIN_POINTS} rows of x,y")
    if len(rows) > MAX_POINTS:
        raise DataError(f"the file has {len(rows):,} points; keep at most {MAX_POINTS:,} (subsample it)")
    points = np.empty((len(rows), 2), dtype=np.float64)
    for i, (line, row) in enumerate(rows):
        cells = [c.strip() for c in row]
        if len(cells) != 2:
            raise DataError(f"line {line} has {len(cells)} values; every row needs exactly two columns, x,y")
        for j, cell in enumerate(cells):
            try:
                value = float(cell)
            except ValueError:
                raise DataError(f"line {line}: {cell[:20]!r} is not a number; every value must be numeric") from None
            if not math.isfinite(value):
                raise DataError(f"line {line} holds {cell!r}; remove NaN and infinite values")
            points[i, j] = value
    return points


def _is_header_row(row: list[str]) -> bool:
    """A header has no numeric cell; a row such as `1,abc` is data with a typo, reported, not skipped."""
    return not any(_is_number(c) for c in row)


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


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
