"""Looking at an image run: the sample grid from a fixed z, and metrics judged by the project's classifier.

The classifier is trained once on all the run's real images (every digit, not only the trained ones:
it must be able to say "this is not a 7"), cached to disk, and its held-out accuracy is reported with
the metrics. Metrics use `IMAGE_EVAL_SAMPLES` generated digits against as many real ones, beside the
same Fréchet distance between two disjoint real sets (the floor a perfect generator would score).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import torch

from ganviz.metrics.judge import load_or_train_classifier
from ganviz.data.images import default_cache_dir
from ganviz.metrics.images import image_metrics, real_feature_stats

if TYPE_CHECKING:  # the trainer imports this module
    from ganviz.training.trainer import Trainer

IMAGE_EVAL_SAMPLES = 1000
GRID_COLUMNS = 10


@dataclass
class ImageSnapshot:
    """What the page draws for an image run, as numpy arrays."""
    iteration: int
    grid: np.ndarray  # (rows, GRID_COLUMNS, H, W) float64 in [0, 1]: G's samples for the fixed z
    row_labels: list[int] | None  # conditional runs: the digit asked for in each row
    metrics: dict


def judge(trainer: "Trainer") -> tuple:
    """The run's judge: (classifier, its held-out accuracy, `real_feature_stats` of the run's two real
    sets). The classifier is trained on (or loaded for) all of the run's real images; all three are
    computed once per trainer."""
    if getattr(trainer, "_judge", None) is None:
        data = trainer.all_images
        model, accuracy = load_or_train_classifier(data.images, data.labels,
                                                   cache_dir=default_cache_dir().parent / "classifiers")
        real = real_feature_stats(model, trainer.eval_real_images, trainer.eval_reference_images)
        trainer._judge = (model, accuracy, real)
    return trainer._judge


def generate(trainer: "Trainer", z: torch.Tensor, labels: torch.Tensor | None, batch: int = 500) -> np.ndarray:
    """G's images for z (N, noise_dim) and classes (N,) or None: (N, 1, H, W) float32 in [-1, 1]."""
    from ganviz.training.trainer import eval_mode

    with torch.no_grad(), eval_mode(trainer.sampler):
        out = [trainer.generate_with(trainer.sampler, z[i:i + batch],
                                     None if labels is None else labels[i:i + batch])
               for i in range(0, len(z), batch)]
    return torch.cat(out).float().cpu().numpy()


def evaluate(trainer: "Trainer") -> dict:
    """fid, fid_floor, classes_covered, mean_confidence, class_counts, missing, classifier_accuracy."""
    model, accuracy, real = judge(trainer)
    n = IMAGE_EVAL_SAMPLES
    samples = generate(trainer, trainer.eval_z[:n], None if trainer.eval_labels is None else trainer.eval_labels[:n])
    metrics = image_metrics(samples, model, trainer.eval_real_images, trainer.eval_reference_images,
                            digits=trainer.config.digit_list(), real=real)
    metrics["classifier_accuracy"] = accuracy
    return metrics


def snapshot(trainer: "Trainer", with_metrics: bool = True) -> ImageSnapshot:
    cfg = trainer.config
    digits = cfg.digit_list()
    if trainer.conditional:  # one row per trained digit, the same z across a column
        rows = len(digits)
        z = trainer.fixed_z[:GRID_COLUMNS].repeat(rows, 1)
        labels = torch.as_tensor(digits, device=trainer.device).repeat_interleave(GRID_COLUMNS)
    else:
        rows = 6
        z, labels = trainer.fixed_z[: rows * GRID_COLUMNS], None
    images = generate(trainer, z, labels)
    h, w = images.shape[-2:]
    return ImageSnapshot(
        iteration=trainer.iteration,
        grid=((images.reshape(rows, GRID_COLUMNS, h, w).astype(np.float64) + 1) / 2).clip(0, 1),
        row_labels=digits if trainer.conditional else None,
        metrics=evaluate(trainer) if with_metrics else {},
    )
