"""Data: named 2D distributions, user CSV points, and the generator's noise."""
from .csv_points import DataError, MAX_BYTES, MAX_POINTS, MIN_POINTS, parse_points, read_points_csv
from .noise import NOISE_KINDS, sample_noise
from .toy2d import DATASETS, Toy2D, get_dataset, points_dataset

__all__ = [
    "DATASETS", "DataError", "MAX_BYTES", "MAX_POINTS", "MIN_POINTS", "NOISE_KINDS", "Toy2D",
    "get_dataset", "parse_points", "points_dataset", "read_points_csv", "sample_noise",
]
