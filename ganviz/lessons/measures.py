"""Measurements on a run, shared by the lessons' checks and the course's live readings: what G's samples
cover, how D's surface slopes, how far the samples wander. Each takes a Trainer as it is now."""

from __future__ import annotations

import numpy as np

from ganviz.config import GANConfig
from ganviz.metrics.points import mode_stats, sliced_wasserstein1
from ganviz.training.trainer import Trainer


def new_trainer(overrides: dict, seed: int, **changes) -> Trainer:
    return Trainer(GANConfig.from_dict({**overrides, **changes, "seed": seed, "device": "cpu"}))


def train_more(trainer: Trainer, n: int) -> bool:
    """n more iterations; False if training diverged on the way."""
    if trainer.divergence is None:
        trainer.step(n)
    return trainer.divergence is None


def rounded(x: float, digits: int = 4) -> float:
    return float(f"{float(x):.{digits}g}")


def nearest_mode_shares(trainer: Trainer) -> np.ndarray:
    """Share of G's evaluation samples whose nearest mode is each mode (K,), no distance threshold."""
    x, modes = trainer.sample(), trainer.domain.dataset.modes
    nearest = ((x[:, None, :] - modes[None, :, :]) ** 2).sum(-1).argmin(1)
    return np.bincount(nearest, minlength=len(modes)) / len(x)


def modes_captured(trainer: Trainer) -> int:
    ds = trainer.domain.dataset
    return mode_stats(trainer.sample(), ds.modes, ds.sigma, ds.weights)["modes_captured"]


def top2_share(trainer: Trainer) -> float:
    return float(np.sort(nearest_mode_shares(trainer))[-2:].sum())


def tail_mean(trainer: Trainer, key: str, n: int) -> float:
    return float(trainer.history.column(key)[-n:].mean())


def slope(trainer: Trainer, points: np.ndarray) -> np.ndarray:
    """‖∇ₓD(x)‖ at each point (N,), for losses whose G loss is -E[D(G(z))] (critic and hinge):
    there −∇ₓ of G's loss, the arrow drawn in the live view, is ∇ₓD itself."""
    return np.linalg.norm(trainer.g_loss_push(points), axis=1)


def interpolates(trainer: Trainer, n: int = 1000) -> np.ndarray:
    """Points on the segments between real and generated samples, where WGAN-GP puts its penalty."""
    t = np.random.default_rng(0).uniform(size=(n, 1))
    return t * trainer.domain.eval_real[:n] + (1 - t) * trainer.sample()[:n]


def plane_grid(trainer: Trainer, size: int = 40) -> np.ndarray:
    xmin, xmax, ymin, ymax = trainer.domain.extent
    return np.stack(np.meshgrid(np.linspace(xmin, xmax, size), np.linspace(ymin, ymax, size)), -1).reshape(-1, 2)


def centre_wander(trainer: Trainer, n: int, every: int = 10) -> float:
    """Train n iterations; mean distance of the centre of G's fixed-z samples from its own average
    position over them (sampled every `every` iterations). Near 0 when G has settled."""
    centres = []
    for _ in range(n // every):
        if not train_more(trainer, every):
            break
        centres.append(trainer.sample(trainer.domain.fixed_z).mean(0))
    centres = np.array(centres)
    return float(np.linalg.norm(centres - centres.mean(0), axis=1).mean()) if len(centres) else float("nan")


def sliced_w1(trainer: Trainer) -> float:
    return sliced_wasserstein1(trainer.sample(), trainer.domain.eval_real)
