"""Generated samples as files: 2D points as an x,y CSV, digits as a numpy array of images in [0, 1]."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from ganviz.training.images import IMAGE_EVAL_SAMPLES


def _points_csv(trainer, path: Path) -> None:
    """The run's 2,500 evaluation samples as x,y rows with a header."""
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["x", "y"])
        writer.writerows(trainer.sample().tolist())


def _images_npy(trainer, path: Path) -> None:
    """1,000 generated images as a numpy array (1000, H, W) of floats in [0, 1]."""
    images = trainer.sample(*trainer.domain.eval_noise(IMAGE_EVAL_SAMPLES))
    np.save(path, ((images[:, 0].astype(np.float64) + 1) / 2).clip(0, 1))


SAMPLE_WRITERS = {"points": _points_csv, "images": _images_npy}  # a run's domain -> how its samples are saved


def save_samples(trainer, path: Path) -> None:
    """Write the run's generated samples to `path` in its domain's format (OSError when it cannot)."""
    SAMPLE_WRITERS[trainer.domain.kind](trainer, Path(path))
