"""The image domain: digits (MNIST or scikit-learn's 8×8), drawn as a grid of G's samples for a fixed z
and judged by a classifier that ganviz trains on the real digits.

The classifier (the judge) is trained once on all the run's real images (every digit, not only the
trained ones: it must be able to say "this is not a 7"), cached to disk, and its held-out accuracy is
reported with the metrics. Metrics use `IMAGE_EVAL_SAMPLES` generated digits against as many real ones,
beside the same Fréchet distance between two disjoint real sets (the floor a perfect generator scores).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ganviz.data.images import ImageData, default_cache_dir, load_images, select_digits
from ganviz.metrics.images import image_metrics, real_feature_stats
from ganviz.metrics.judge import load_or_train_classifier
from ganviz.models.image import build_image_networks
from ganviz.training.domain import Domain
from ganviz.training.runtime import eval_mode

IMAGE_EVAL_SAMPLES = 1000
GRID_COLUMNS = UNCONDITIONAL_ROWS = 10
GENERATE_BATCH = 500  # images per forward pass when generating many


@dataclass
class ImageSnapshot:
    """What the page draws for an image run, as numpy arrays."""

    iteration: int
    grid: np.ndarray  # (rows, GRID_COLUMNS, H, W) float64 in [0, 1]: G's samples for the fixed z
    row_labels: list[int] | None  # conditional runs: the digit asked for in each row
    metrics: dict


@dataclass(frozen=True)
class Judge:
    """The classifier that reads generated digits, its held-out accuracy, and the feature statistics of
    the run's two real sets (`metrics.images.real_feature_stats`)."""

    classifier: torch.nn.Module
    accuracy: float
    real_stats: tuple


class ImageDomain(Domain):
    kind = "images"

    def __init__(self, config, device: torch.device, points=None, images: ImageData | None = None):
        """`images`: the dataset already loaded (default: `load_images(config.dataset)`)."""
        rng = np.random.default_rng(config.seed)
        self.all_images = images or load_images(config.dataset)
        self.image_data = select_digits(self.all_images, config.digit_list(), config.digit_proportions(), rng)
        self.source, self.notice = self.image_data.source, self.all_images.notice
        self.pool = torch.as_tensor(self.image_data.images, device=device)
        self.pool_labels = torch.as_tensor(self.image_data.labels, device=device)
        self.conditional = config.conditional
        # two disjoint real sets for the metrics: one to compare with, one for the real-vs-real floor
        order = rng.permutation(len(self.image_data.images))
        n = min(IMAGE_EVAL_SAMPLES, len(order) // 2)
        self.eval_real = self.image_data.images[order[:n]]
        self.eval_reference = self.image_data.images[order[n : 2 * n]]
        self._judge: Judge | None = None
        super().__init__(config, device)

    @classmethod
    def local_data(cls, config) -> ImageData:
        """The files the parent process already has (offline, a download would wait for the mirrors'
        timeouts on every start): the same images, or the same fallback, as the parent's."""
        return load_images(config.dataset, download=False)

    def build_networks(self, config):
        return build_image_networks(
            config.image_model,
            noise_dim=config.noise_dim,
            image_size=self.image_data.image_size,
            conditional=config.conditional,
            aux_classifier=config.acgan_weight > 0,
            spectral_norm_d=config.spectral_norm_d,
            minibatch_features=config.minibatch_features,
        )

    @property
    def judge(self) -> Judge:
        """Trained on (or loaded for) all of the run's real images, once per run."""
        if self._judge is None:
            data = self.all_images
            model, accuracy = load_or_train_classifier(
                data.images, data.labels, cache_dir=default_cache_dir().parent / "classifiers"
            )
            self._judge = Judge(model, accuracy, real_feature_stats(model, self.eval_real, self.eval_reference))
        return self._judge

    def generate(self, trainer, z: torch.Tensor, labels: torch.Tensor | None = None) -> np.ndarray:
        """Images (N, 1, H, W) float32 in [-1, 1], GENERATE_BATCH at a time."""
        with torch.no_grad(), eval_mode(trainer.sampler):
            out = [
                trainer.sampler(z[i : i + GENERATE_BATCH], None if labels is None else labels[i : i + GENERATE_BATCH])
                for i in range(0, len(z), GENERATE_BATCH)
            ]
        return torch.cat(out).float().cpu().numpy()

    def evaluate(self, trainer, w1_points: int = 1000) -> dict:
        """fid, fid_floor, classes_covered, mean_confidence, class_counts, missing, classifier_accuracy."""
        judge, n = self.judge, IMAGE_EVAL_SAMPLES
        samples = self.generate(trainer, *self.eval_noise(n))
        metrics = image_metrics(
            samples,
            judge.classifier,
            self.eval_real,
            self.eval_reference,
            digits=trainer.config.digit_list(),
            real=judge.real_stats,
        )
        metrics["classifier_accuracy"] = judge.accuracy
        return metrics

    def report(self, metrics: dict) -> dict:
        return {
            "data": self.source,
            "notice": self.notice,
            **{
                k: metrics[k]
                for k in (
                    "fid",
                    "fid_floor",
                    "classes_covered",
                    "classes_total",
                    "mean_confidence",
                    "missing",
                    "class_counts",
                    "classifier_accuracy",
                )
            },
        }

    def snapshot(self, trainer, *, with_metrics: bool = True, **view) -> ImageSnapshot:
        """The sample grid: one row per trained digit for a conditional run (the same z down a column),
        else ten rows of the fixed z (square: as large as a window's height allows). `view` options of the points
        domain do not apply and are ignored."""
        digits = trainer.config.digit_list()
        if self.conditional:
            rows = len(digits)
            z = self.fixed_z[:GRID_COLUMNS].repeat(rows, 1)
            labels = torch.as_tensor(digits, device=self.device).repeat_interleave(GRID_COLUMNS)
        else:
            rows = UNCONDITIONAL_ROWS
            z, labels = self.fixed_z[: rows * GRID_COLUMNS], None
        images = self.generate(trainer, z, labels)
        h, w = images.shape[-2:]
        return ImageSnapshot(
            iteration=trainer.iteration,
            grid=((images.reshape(rows, GRID_COLUMNS, h, w).astype(np.float64) + 1) / 2).clip(0, 1),
            row_labels=digits if self.conditional else None,
            metrics=self.evaluate(trainer) if with_metrics else {},
        )
