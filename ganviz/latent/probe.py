"""G and D on numpy arrays: samples for any z, D's scores and features for any samples, walks along a path."""
from __future__ import annotations
from dataclasses import dataclass
from typing import TYPE_CHECKING
import numpy as np
import torch
from ganviz.training import images as image_eval
from ganviz.training.runtime import single_thread
from ganviz.training.trainer import DISPLAY_SAMPLES, GRID_CHUNK, eval_mode
from ganviz.latent.noise import check_count
if TYPE_CHECKING:
    from ganviz.training.trainer import Trainer


def z_tensor(trainer: "Trainer", z) -> torch.Tensor:
    z = np.asarray(z, dtype=np.float64)
    dim = trainer.config.noise_dim
    if z.ndim != 2 or z.shape[1] != dim:
        raise ValueError(f"z must have shape (N, {dim}) for this run's {dim}-D noise, got {z.shape}")
    if not np.isfinite(z).all():
        raise ValueError("z holds NaN or infinite values")
    return torch.as_tensor(z, dtype=torch.float32, device=trainer.device)



def label_tensor(trainer: "Trainer", labels, n: int) -> torch.Tensor | None:
    """Classes (n,) for a conditional run (an int is repeated n times); None for other runs."""
    if not trainer.conditional:
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
    return torch.tensor(labels, dtype=torch.int64, device=trainer.device)  # a copy: broadcast views are read-only



def run_labels(trainer: "Trainer", n: int) -> np.ndarray | None:
    """The classes a conditional run is asked for when nothing else is chosen: its trained digits in
    turn (as its own fixed samples), (n,) int64; None for other runs."""
    if not trainer.conditional:
        return None
    digits = np.asarray(trainer.config.digit_list(), dtype=np.int64)
    return digits[np.arange(n) % len(digits)]



def generate(trainer: "Trainer", z, labels=None) -> np.ndarray:
    """G's outputs (the EMA copy when the run keeps one) for z (N, noise_dim): points (N, 2) float64 or
    images (N, 1, H, W) float32 in [−1, 1]. `labels`: a conditional run's classes (N,) or one int."""
    z_t = z_tensor(trainer, z)
    labels_t = label_tensor(trainer, labels, len(z_t))
    with single_thread():
        if trainer.is_image:
            return image_eval.generate(trainer, z_t, labels_t)
        return trainer.sample(z_t)



def x_tensor(trainer: "Trainer", x) -> torch.Tensor:
    x = np.asarray(x, dtype=np.float32)
    expected = (1, *trainer.image_data.image_size) if trainer.is_image else (2,)
    if x.ndim != 1 + len(expected) or x.shape[1:] != expected:
        raise ValueError(f"expected samples of shape (N, {', '.join(map(str, expected))}), got {x.shape}")
    if not np.isfinite(x).all():
        raise ValueError("the samples hold NaN or infinite values")
    return torch.as_tensor(x, device=trainer.device)



def reference_batch(trainer: "Trainer") -> torch.Tensor | None:
    """The batch a batch-dependent D (minibatch features) compares each sample with: G's samples for the
    run's fixed z, as `Trainer.discriminate` uses. None when D judges each sample on its own."""
    if not trainer.D.batch_dependent:
        return None
    with torch.no_grad(), eval_mode(trainer.sampler):
        return trainer.generate_with(trainer.sampler, trainer.fixed_z, trainer.fixed_labels)



def d_raw(trainer: "Trainer", x: torch.Tensor, labels: torch.Tensor | None,
           reference: torch.Tensor | None) -> torch.Tensor:
    """D's raw outputs (N,) (logit, score or critic value) for a batch of samples."""
    if trainer.is_image:
        return trainer.D(x, labels, reference=reference)
    return trainer.D(x, reference)



def _d_features(trainer: "Trainer", x: torch.Tensor, labels: torch.Tensor | None,
                reference: torch.Tensor | None) -> torch.Tensor:
    if trainer.is_image:
        return trainer.D.features(x, labels, reference=reference)
    return trainer.D.features(x, reference)



def _batched(trainer: "Trainer", fn, x, labels) -> np.ndarray:
    """fn(x chunk, labels chunk, reference) over x in chunks, without gradients, D and G in eval mode:
    concatenated float64 numpy."""
    x_t = x_tensor(trainer, x)
    labels_t = label_tensor(trainer, labels, len(x_t))
    with single_thread(), torch.no_grad(), eval_mode(trainer.D, trainer.sampler):
        ref = reference_batch(trainer)
        out = [fn(x_t[i:i + GRID_CHUNK], None if labels_t is None else labels_t[i:i + GRID_CHUNK], ref)
               for i in range(0, max(len(x_t), 1), GRID_CHUNK)]
    return torch.cat(out).double().cpu().numpy()



def d_scores(trainer: "Trainer", x, labels=None) -> np.ndarray:
    """D's display value (N,) float64 for samples x — points (N, 2) or images (N, 1, H, W) in [−1, 1]:
    P(real) for the probability losses, the raw score or critic value otherwise (`trainer.loss.output`).
    A conditional D needs `labels` (N,) or one int."""
    return _batched(trainer, lambda x_, l_, ref: trainer.probability(d_raw(trainer, x_, l_, ref)), x, labels)



def d_features(trainer: "Trainer", x, labels=None) -> np.ndarray:
    """D's penultimate features (N, F) float64 for samples x (points (N, 2) or images (N, 1, H, W)): what its
    last layer turns into a score. With minibatch features each sample is compared with G's samples for
    the run's fixed z (not with its own batch), so a sample's features do not depend on its neighbours."""
    return _batched(trainer, lambda x_, l_, ref: _d_features(trainer, x_, l_, ref), x, labels)



@dataclass
class Walk:
    """G's outputs along a path in latent space, and what D makes of them."""
    z: np.ndarray  # (S, noise_dim) float64: the path
    outputs: np.ndarray  # (S, 2) points or (S, 1, H, W) images in [−1, 1]
    scores: np.ndarray  # (S,) D's display value at each output
    norms: np.ndarray  # (S,) |z| along the path
    d_output: str  # "probability", "score" or "critic"



def walk(trainer: "Trainer", z_path, labels=None) -> Walk:
    """G along a latent path z_path (S, noise_dim), e.g. from `lerp` or `slerp`, and D's score on each
    output. A conditional run needs `labels`: one digit for the whole path, or (S,)."""
    z_path = np.asarray(z_path, dtype=np.float64)
    outputs = generate(trainer, z_path, labels)
    return Walk(z=z_path, outputs=outputs, scores=d_scores(trainer, outputs, labels),
                norms=np.linalg.norm(z_path, axis=1), d_output=trainer.loss.output)



@dataclass
class LatentSamples:
    z: np.ndarray  # (N, noise_dim) float64
    labels: np.ndarray | None  # (N,) classes asked for (conditional runs)
    outputs: np.ndarray  # (N, 2) points or (N, 1, H, W) images
    scores: np.ndarray  # (N,) D's display values



def latent_samples(trainer: "Trainer", n: int) -> LatentSamples:
    """The first n of the run's fixed noise vectors (the fakes the playground draws, the digits page's
    grid) with their classes, G's outputs and D's scores; n ≤ DISPLAY_SAMPLES."""
    n = check_count("n", n)
    if n > DISPLAY_SAMPLES:
        raise ValueError(f"n must be at most {DISPLAY_SAMPLES} (the run's fixed samples), got {n}")
    z = trainer.fixed_z[:n].double().cpu().numpy()
    labels = None if trainer.fixed_labels is None else trainer.fixed_labels[:n].cpu().numpy()
    outputs = generate(trainer, z, labels)
    return LatentSamples(z=z, labels=labels, outputs=outputs, scores=d_scores(trainer, outputs, labels))



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
