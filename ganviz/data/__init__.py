"""Data: named 2D distributions, user CSV points, and the generator's noise."""

from ganviz.data.noise import NOISE_KINDS, sample_noise
from ganviz.data.points_io import MAX_BYTES, MAX_POINTS, MIN_POINTS, DataError, parse_points, read_points_csv
from ganviz.data.toy2d import DATASETS, Toy2D, get_dataset, points_dataset

__all__ = [
    "DATASETS",
    "DataError",
    "MAX_BYTES",
    "MAX_POINTS",
    "MIN_POINTS",
    "NOISE_KINDS",
    "Toy2D",
    "get_dataset",
    "parse_points",
    "points_dataset",
    "read_points_csv",
    "sample_noise",
]
