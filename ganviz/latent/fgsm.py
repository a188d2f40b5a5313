"""FGSM from noise: noise pushed along sign(grad D) toward 'real' raises D's score but stays noise."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import torch

from ganviz.latent import latent_domain
from ganviz.latent.noise import check_count
from ganviz.latent.probe import latent_samples, run_labels
from ganviz.metrics.images import nearest_neighbours
from ganviz.training.runtime import eval_mode, single_thread

if TYPE_CHECKING:
    from ganviz.training.trainer import Trainer

FGSM_MAX_STEPS = 500
FGSM_MAX_SPREAD = 20.0  # noise points start in a square at most this many times the data's view
DISTANCE_REFERENCE = 1000  # real samples each "distance to the data" is measured against
DISTANCE_BASELINE = 256  # real and generated samples whose distance to the data is the yardstick


@dataclass
class FGSMResult:
    """Noise pushed toward "real" by D's gradient sign, and what became of it."""

    trajectory: np.ndarray  # (steps+1, N, 2) points or (steps+1, N, 1, H, W) images in [−1, 1]
    scores: np.ndarray  # (steps+1, N) D's display values
    d_output: str
    labels: np.ndarray | None  # (N,) the class a conditional D was asked about
    step_size: float
    distance_to_data: np.ndarray  # (steps+1,) mean distance of the samples to their nearest real sample
    real_distance: float  # the same for real samples (a second real set): what "like the data" measures
    fake_distance: float  # the same for G's samples
    hq_fraction: np.ndarray | None = None  # (steps+1,) points with modes: share within 3σ of a mode
    modes_captured: np.ndarray | None = None  # (steps+1,) points with modes: modes with at least one of them
    modes_total: int | None = None  # points with modes: how many modes the data has
    confidence: np.ndarray | None = None  # (steps+1,) images: the judge classifier's mean confidence
    predicted: np.ndarray | None = None  # (steps+1, N) images: the classifier's reading of each sample
    surface: tuple | None = None  # points: (grid_x (G,), grid_y (G,), D on the grid (G, G), extent) under the paths


def mean_distance_to(samples: np.ndarray, real: np.ndarray) -> float:
    """Mean Euclidean distance (over coordinates or pixels) of each sample to its nearest real one."""
    return float(nearest_neighbours(samples, real, k=1)[1].mean())


def fgsm_from_noise(
    trainer: Trainer, n: int = 64, steps: int = 40, step_size: float = 0.05, seed: int = 0, spread: float = 1.0
) -> FGSMResult:
    """Lecture 000's question: start from random noise and repeat x ← x + η·sign(∇ₓ D(x)), D's raw output
    (its logit for the probability losses: the targeted fast gradient sign step toward "real", the same
    direction as descending −log D(x)). Do the samples become data?

    Noise: points uniform over a square `spread` times as wide as the run's view (its data's padded
    square, same centre: D has a value everywhere, far from the data too), or images uniform in
    [−1, 1] per pixel (the whole input space; `spread` must stay 1), clamped to [−1, 1] after every
    step. η (`step_size`) is in data units per coordinate (on the [−1, 1] pixel scale for images). A
    conditional D is asked about the run's trained digits in turn. The same call gives the same result.
    """
    kind = latent_domain(trainer)
    n = check_count("n", n)
    if n > kind.fgsm_max_points:
        raise ValueError(f"n must be at most {kind.fgsm_max_points} for {kind.kind}, got {n}")
    steps = check_count("steps", steps)
    if steps > FGSM_MAX_STEPS:
        raise ValueError(f"steps must be at most {FGSM_MAX_STEPS}, got {steps}")
    step_size, spread = float(step_size), float(spread)
    if not (math.isfinite(step_size) and step_size > 0):
        raise ValueError(f"step_size must be a finite number > 0, got {step_size!r}")
    if not (math.isfinite(spread) and 1 <= spread <= FGSM_MAX_SPREAD):
        raise ValueError(f"spread must lie between 1 and {FGSM_MAX_SPREAD:g}, got {spread!r}")
    start = kind.fgsm_noise(trainer, n, spread, np.random.default_rng(seed))
    labels_np = run_labels(trainer, n)
    labels = None if labels_np is None else torch.as_tensor(labels_np, device=trainer.device)
    x = torch.as_tensor(start, dtype=torch.float32, device=trainer.device)
    path, raw = [x], []
    with single_thread(), eval_mode(trainer.D, trainer.sampler), torch.enable_grad():
        reference = trainer.reference_batch()
        for _ in range(steps):
            x_grad = x.detach().requires_grad_(True)
            out = trainer.D(x_grad, labels, reference=reference)
            (grad,) = torch.autograd.grad(out.sum(), x_grad)  # each sample's own gradient: D is per sample
            raw.append(out.detach())
            x = kind.fgsm_bound(x + step_size * grad.sign())
            path.append(x.detach())
        with torch.no_grad():
            raw.append(trainer.D(x, labels, reference=reference))
        scores = trainer.probability(torch.stack(raw)).double().cpu().numpy()
    trajectory = torch.stack(path).cpu().numpy().astype(trainer.domain.eval_real.dtype)  # the data's own dtype
    return FGSMResult(
        trajectory=trajectory,
        scores=scores,
        d_output=trainer.loss.output,
        labels=labels_np,
        step_size=step_size,
        **distances_to_data(trainer, trajectory),
        **kind.fgsm_judgement(trainer, trajectory),
    )


def distances_to_data(trainer: Trainer, trajectory: np.ndarray) -> dict:
    """How far the FGSM samples are from the data at every step, beside real samples and G's."""
    real = trainer.domain.eval_real[:DISTANCE_REFERENCE]
    fakes = latent_samples(trainer, DISTANCE_BASELINE).outputs
    return dict(
        distance_to_data=np.array([mean_distance_to(x, real) for x in trajectory]),
        real_distance=mean_distance_to(trainer.domain.eval_reference[:DISTANCE_BASELINE], real),
        fake_distance=mean_distance_to(fakes, real),
    )


def fgsm_verdict(trainer: Trainer, result: FGSMResult) -> str:
    """What FGSM did, in words (markdown): D's score and the distance to the data before and after, beside
    real samples and G's, then what the run's kind of data adds (`LatentDomain.fgsm_lesson`)."""
    first, last = result.scores[0].mean(), result.scores[-1].mean()
    return (
        f"D's mean score went from **{first:.3g}** to **{last:.3g}**. The samples' mean distance to the nearest "
        f"real sample went from {result.distance_to_data[0]:.3g} to **{result.distance_to_data[-1]:.3g}**; real "
        f"samples sit {result.real_distance:.3g} from it and G's samples {result.fake_distance:.3g}. "
        + latent_domain(trainer).fgsm_lesson(result)
    )
