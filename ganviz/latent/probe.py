"""G and D on numpy arrays: samples for any z, D's scores and features for any samples, walks along a path.

Every network takes the same arguments, G(z, labels) and D(x, labels, reference=...), so nothing here
asks what kind of data a run has: the shapes come from the run's own real samples.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ganviz.latent.noise import check_count
from ganviz.training.domain import DISPLAY_SAMPLES
from ganviz.training.runtime import single_thread

if TYPE_CHECKING:
    from ganviz.training.trainer import Trainer


def check_z(trainer: Trainer, z) -> np.ndarray:
    """z as (N, noise_dim) float64, or ValueError naming what is wrong."""
    z = np.asarray(z, dtype=np.float64)
    dim = trainer.config.noise_dim
    if z.ndim != 2 or z.shape[1] != dim:
        raise ValueError(f"z must have shape (N, {dim}) for this run's {dim}-D noise, got {z.shape}")
    if not np.isfinite(z).all():
        raise ValueError("z holds NaN or infinite values")
    return z


def check_labels(trainer: Trainer, labels, n: int) -> np.ndarray | None:
    """Classes (n,) int64 for a conditional run (an int is repeated n times); None for other runs."""
    if not trainer.domain.conditional:
        if labels is not None:
            raise ValueError("this run is not conditional: G and D take no labels")
        return None
    if labels is None:
        raise ValueError("this run is conditional: pass labels, the digit (0-9) asked of each sample")
    labels = np.broadcast_to(np.asarray(labels), (n,)) if np.ndim(labels) == 0 else np.asarray(labels)
    if labels.shape != (n,) or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"labels must be whole numbers of shape ({n},), got {labels.dtype} of shape {labels.shape}")
    if n and (labels.min() < 0 or labels.max() > 9):
        raise ValueError("labels must be digits 0-9")
    return labels.astype(np.int64)  # a copy: broadcast views are read-only


def check_samples(trainer: Trainer, x) -> np.ndarray:
    """Samples shaped like the run's data ((N, 2) points or (N, 1, H, W) images) as float32."""
    x = np.asarray(x, dtype=np.float32)
    expected = trainer.domain.eval_real.shape[1:]
    if x.shape[1:] != expected:
        raise ValueError(f"expected samples of shape (N, {', '.join(map(str, expected))}), got {x.shape}")
    if not np.isfinite(x).all():
        raise ValueError("the samples hold NaN or infinite values")
    return x


def run_labels(trainer: Trainer, n: int) -> np.ndarray | None:
    """The classes a conditional run is asked for when nothing else is chosen: its trained digits in
    turn (as its own fixed samples), (n,) int64; None for other runs."""
    if not trainer.domain.conditional:
        return None
    digits = np.asarray(trainer.config.digit_list(), dtype=np.int64)
    return digits[np.arange(n) % len(digits)]


def generate(trainer: Trainer, z, labels=None) -> np.ndarray:
    """G's outputs (the EMA copy when the run keeps one) for z (N, noise_dim), in the data's units:
    points (N, 2) float64 or images (N, 1, H, W) float32 in [−1, 1]. `labels`: a conditional run's
    classes (N,) or one int."""
    z = check_z(trainer, z)
    labels = check_labels(trainer, labels, len(z))
    with single_thread():
        return trainer.sample(z, labels)


def d_scores(trainer: Trainer, x, labels=None) -> np.ndarray:
    """D's display value (N,) float64 for samples x shaped like the run's data: P(real) for the
    probability losses, the raw score or critic value otherwise (`trainer.loss.output`). A conditional
    D needs `labels` (N,) or one int."""
    x = check_samples(trainer, x)
    labels = check_labels(trainer, labels, len(x))
    with single_thread():
        return trainer.discriminate(x, labels)


def d_features(trainer: Trainer, x, labels=None) -> np.ndarray:
    """D's penultimate features (N, F) float64 for samples x: what its last layer turns into a score. With
    minibatch features each sample is compared with G's samples for the run's fixed z (not with its own
    batch), so a sample's features do not depend on its neighbours."""
    x = check_samples(trainer, x)
    labels = check_labels(trainer, labels, len(x))
    with single_thread():
        return trainer.features(x, labels)


@dataclass
class Walk:
    """G's outputs along a path in latent space, and what D makes of them."""

    z: np.ndarray  # (S, noise_dim) float64: the path
    outputs: np.ndarray  # (S, 2) points or (S, 1, H, W) images in [−1, 1]
    scores: np.ndarray  # (S,) D's display value at each output
    norms: np.ndarray  # (S,) |z| along the path
    d_output: str  # "probability", "score" or "critic"


def walk(trainer: Trainer, z_path, labels=None) -> Walk:
    """G along a latent path z_path (S, noise_dim), e.g. from `lerp` or `slerp`, and D's score on each
    output. A conditional run needs `labels`: one digit for the whole path, or (S,)."""
    z_path = check_z(trainer, z_path)
    outputs = generate(trainer, z_path, labels)
    return Walk(
        z=z_path,
        outputs=outputs,
        scores=d_scores(trainer, outputs, labels),
        norms=np.linalg.norm(z_path, axis=1),
        d_output=trainer.loss.output,
    )


@dataclass
class LatentSamples:
    z: np.ndarray  # (N, noise_dim) float64
    labels: np.ndarray | None  # (N,) classes asked for (conditional runs)
    outputs: np.ndarray  # (N, 2) points or (N, 1, H, W) images
    scores: np.ndarray  # (N,) D's display values


def samples_at(trainer: Trainer, z, labels=None) -> LatentSamples:
    """G's outputs for z (N, noise_dim) with `labels` (conditional runs), and D's scores on them."""
    z = check_z(trainer, z)
    outputs = generate(trainer, z, labels)
    labels = check_labels(trainer, labels, len(z))
    return LatentSamples(z=z, labels=labels, outputs=outputs, scores=d_scores(trainer, outputs, labels))


def latent_samples(trainer: Trainer, n: int) -> LatentSamples:
    """The first n of the run's fixed noise vectors (the fakes the playground draws, the digits page's
    grid) with their classes, G's outputs and D's scores; n ≤ DISPLAY_SAMPLES."""
    n = check_count("n", n)
    if n > DISPLAY_SAMPLES:
        raise ValueError(f"n must be at most {DISPLAY_SAMPLES} (the run's fixed samples), got {n}")
    domain = trainer.domain
    labels = None if domain.fixed_labels is None else domain.fixed_labels[:n].cpu().numpy()
    return samples_at(trainer, domain.fixed_z[:n].double().cpu().numpy(), labels)


def farthest_points(samples, k: int, first: int = 0) -> list[int]:
    """k indices of samples (N, ...) that lie far apart, by greedy farthest-point sampling from sample
    `first` (Euclidean over all coordinates or pixels): good default picks, not all on one mode."""
    x = np.asarray(samples, dtype=np.float64).reshape(len(samples), -1)
    k = check_count("k", k)
    if k > len(x) or not 0 <= first < len(x):
        raise ValueError(f"need 0 ≤ first < N and k ≤ N for N = {len(x)} samples, got first={first}, k={k}")
    picked = [first]
    nearest = ((x - x[first]) ** 2).sum(1)  # squared distance of each sample to the picked set
    for _ in range(k - 1):
        picked.append(int(nearest.argmax()))
        nearest = np.minimum(nearest, ((x - x[picked[-1]]) ** 2).sum(1))
    return picked
