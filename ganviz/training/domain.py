"""What a kind of data brings to a run: its real samples, the fixed noise its pictures are drawn from,
its networks, and how it is looked at and measured. `points.PointsDomain` and `images.ImageDomain` are
the two kinds; a Trainer holds one and never asks which.
"""

from __future__ import annotations

import numpy as np
import torch

from ganviz.data.noise import sample_noise
from ganviz.metrics.points import EVAL_SAMPLES

DISPLAY_SAMPLES = 384  # fixed-z samples drawn in the views: enough to see the shape, cheap for the browser


class Domain:
    """The data side of a run. Subclasses set, in `__init__`: `pool` (N, ...) real samples on the device,
    `pool_labels` (N,) int64 classes or None, `conditional` (G and D see classes), `eval_real` and
    `eval_reference` (two disjoint real sets, numpy: the metrics' data and their floor), `source` (where
    the data comes from, in words) and `notice` (None, or what was substituted and why)."""

    kind: str  # "points" or "images", the config's `domain`
    pool: torch.Tensor
    pool_labels: torch.Tensor | None = None
    all_images = None  # an image dataset as loaded (images only): other runs of a race can share it
    conditional: bool = False
    notice: str | None = None

    def __init__(self, config, device: torch.device):
        self.device = device
        self.draw_fixed_noise(config)

    # --- minibatches ----------------------------------------------------------------------------------

    def real_batch(self, batch_size: int, rng: torch.Generator) -> tuple[torch.Tensor, torch.Tensor | None]:
        """A minibatch of real data and, for a conditional run, its classes (else None)."""
        idx = torch.randint(len(self.pool), (batch_size,), generator=rng, device=self.device)
        return self.pool[idx], self.pool_labels[idx] if self.conditional else None

    def fake_labels(self, batch_size: int, rng: torch.Generator) -> torch.Tensor | None:
        """Classes for G's samples: drawn like the data's, so each class is asked for as often as it occurs."""
        if not self.conditional:
            return None
        idx = torch.randint(len(self.pool), (batch_size,), generator=rng, device=self.device)
        return self.pool_labels[idx]

    # --- the noise the pictures and metrics use -----------------------------------------------------------

    def draw_fixed_noise(self, config) -> None:
        """The z shown in pictures (`fixed_z`) and used for metrics (`eval_z`): fixed, so motion on screen is
        G learning. A conditional run also fixes the classes they are drawn with, cycling through its digits."""
        fixed = torch.Generator(device=self.device).manual_seed(config.seed + 1)
        self.fixed_z = sample_noise(DISPLAY_SAMPLES, config.noise_dim, config.noise, fixed, self.device)
        self.eval_z = sample_noise(EVAL_SAMPLES, config.noise_dim, config.noise, fixed, self.device)
        self.fixed_labels = self.eval_labels = None
        if self.conditional:
            self.fixed_labels = self.cycled_labels(DISPLAY_SAMPLES, config)
            self.eval_labels = self.cycled_labels(EVAL_SAMPLES, config)

    def eval_noise(self, n: int) -> tuple[torch.Tensor, torch.Tensor | None]:
        """The first n evaluation z and their classes (None unless conditional)."""
        return self.eval_z[:n], None if self.eval_labels is None else self.eval_labels[:n]

    def cycled_labels(self, n: int, config) -> torch.Tensor:
        """n classes cycling through the run's digits: 0 1 7 0 1 7 ... for digits 017."""
        digits = torch.as_tensor(config.digit_list(), device=self.device)
        return digits[torch.arange(n, device=self.device) % len(digits)]

    # --- what subclasses provide --------------------------------------------------------------------------

    @classmethod
    def local_data(cls, config):
        """The data a copy of this run in another process trains on, from this machine only (never a
        download): None where the domain needs none loaded (points are drawn from the config)."""
        return None

    def build_networks(self, config) -> tuple[torch.nn.Module, torch.nn.Module]:
        raise NotImplementedError

    def generate(self, trainer, z: torch.Tensor, labels: torch.Tensor | None) -> np.ndarray:
        """The sampler's outputs for z (N, noise_dim) as numpy, in the data's own units."""
        raise NotImplementedError

    def snapshot(self, trainer, *, with_metrics: bool = True, **view):
        raise NotImplementedError

    def evaluate(self, trainer, w1_points: int = 1000) -> dict:
        raise NotImplementedError

    def report(self, metrics: dict) -> dict:
        """The metrics a headless run prints (the CLI's JSON), from `evaluate`'s."""
        raise NotImplementedError
