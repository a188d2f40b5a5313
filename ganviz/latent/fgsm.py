"""FGSM from noise: noise pushed along sign(grad D) toward 'real' raises D's score but stays noise."""
from __future__ import annotations
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING
import numpy as np
import torch
from ganviz.training import images as image_eval
from ganviz.metrics.judge import predict
from ganviz.metrics.images import nearest_neighbours
from ganviz.metrics.points import mode_stats
from ganviz.training.runtime import single_thread
from ganviz.training.trainer import eval_mode
from ganviz.latent.noise import check_count
from ganviz.latent.probe import d_raw, label_tensor, latent_samples, reference_batch, run_labels, x_tensor
from ganviz.latent.truncation import DISTANCE_BASELINE, DISTANCE_REFERENCE
if TYPE_CHECKING:
    from ganviz.training.trainer import Trainer


FGSM_MAX_POINTS = {"points": 1000, "images": 64}



FGSM_MAX_STEPS = 500



FGSM_MAX_SPREAD = 20.0  # noise points start in a square at most this many times the data's view



SURFACE_GRID = 80  # D's surface under the FGSM paths: SURFACE_GRID² points



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
    hq_fraction: np.ndarray | None  # (steps+1,) points with modes: share within 3σ of a mode
    modes_captured: np.ndarray | None  # (steps+1,) points with modes: modes with at least one of them
    confidence: np.ndarray | None  # (steps+1,) images: the judge classifier's mean confidence
    predicted: np.ndarray | None  # (steps+1, N) images: the classifier's reading of each sample
    surface: tuple | None  # points: (grid_x (G,), grid_y (G,), D on the grid (G, G), extent) under the paths



def _mean_distance(samples: np.ndarray, real: np.ndarray) -> float:
    return float(nearest_neighbours(samples, real, k=1)[1].mean())



def fgsm_from_noise(trainer: "Trainer", n: int = 64, steps: int = 40, step_size: float = 0.05,
                    seed: int = 0, spread: float = 1.0) -> FGSMResult:
    """Lecture 000's question: start from random noise and repeat x ← x + η·sign(∇ₓ D(x)), D's raw output
    (its logit for the probability losses: the targeted fast gradient sign step toward "real", the same
    direction as descending −log D(x)). Do the samples become data?

    Noise: points uniform over a square `spread` times as wide as the run's view (its data's padded
    square, same centre: D has a value everywhere, far from the data too), or images uniform in
    [−1, 1] per pixel (the whole input space; `spread` must stay 1), clamped to [−1, 1] after every
    step. η (`step_size`) is in data units per coordinate (on the [−1, 1] pixel scale for images). A
    conditional D is asked about the run's trained digits in turn. The same call gives the same result.
    """
    kind = "images" if trainer.is_image else "points"
    n = check_count("n", n)
    if n > FGSM_MAX_POINTS[kind]:
        raise ValueError(f"n must be at most {FGSM_MAX_POINTS[kind]} for {kind}, got {n}")
    steps = check_count("steps", steps)
    if steps > FGSM_MAX_STEPS:
        raise ValueError(f"steps must be at most {FGSM_MAX_STEPS}, got {steps}")
    step_size, spread = float(step_size), float(spread)
    if not (math.isfinite(step_size) and step_size > 0):
        raise ValueError(f"step_size must be a finite number > 0, got {step_size!r}")
    if not (math.isfinite(spread) and 1 <= spread <= FGSM_MAX_SPREAD):
        raise ValueError(f"spread must lie between 1 and {FGSM_MAX_SPREAD:g}, got {spread!r}")
    if trainer.is_image and spread != 1:
        raise ValueError("images: the noise already fills the whole pixel range [−1, 1]; spread must be 1")
    rng = np.random.default_rng(seed)
    if trainer.is_image:
        start = rng.uniform(-1.0, 1.0, size=(n, 1, *trainer.image_data.image_size))
    else:
        xmin, xmax, ymin, ymax = trainer.extent
        cx, cy, half = (xmin + xmax) / 2, (ymin + ymax) / 2, spread * max(xmax - xmin, ymax - ymin) / 2
        start = np.column_stack([rng.uniform(cx - half, cx + half, n), rng.uniform(cy - half, cy + half, n)])
    labels_np = run_labels(trainer, n)
    labels = label_tensor(trainer, labels_np, n)
    x = x_tensor(trainer, start)
    path, raw = [x], []
    with single_thread(), eval_mode(trainer.D, trainer.sampler), torch.enable_grad():
        ref = reference_batch(trainer)
        for _ in range(steps):
            x_grad = x.detach().requires_grad_(True)
            out = d_raw(trainer, x_grad, labels, ref)
            (grad,) = torch.autograd.grad(out.sum(), x_grad)  # each sample's own gradient: D is per sample
            raw.append(out.detach())
            x = x + step_size * grad.sign()
            if trainer.is_image:
                x = x.clamp(-1.0, 1.0)
            path.append(x.detach())
        with torch.no_grad():
            raw.append(d_raw(trainer, x, labels, ref))
        scores = trainer.probability(torch.stack(raw)).double().cpu().numpy()
    trajectory = torch.stack(path).cpu().numpy()
    if not trainer.is_image:
        trajectory = trajectory.astype(np.float64)
    return FGSMResult(trajectory=trajectory, scores=scores, d_output=trainer.loss.output, labels=labels_np,
                      step_size=step_size, **_fgsm_judgement(trainer, trajectory))



def _fgsm_judgement(trainer: "Trainer", trajectory: np.ndarray) -> dict:
    """How like the data the FGSM samples are at every step, beside real samples and G's."""
    if trainer.is_image:
        real, reference = trainer.eval_real_images, trainer.eval_reference_images
    else:
        real, reference = trainer.eval_real[:DISTANCE_REFERENCE], trainer.eval_reference
    fakes = latent_samples(trainer, DISTANCE_BASELINE).outputs
    out = dict(distance_to_data=np.array([_mean_distance(x, real) for x in trajectory]),
               real_distance=_mean_distance(reference[:DISTANCE_BASELINE], real),
               fake_distance=_mean_distance(fakes, real),
               hq_fraction=None, modes_captured=None, confidence=None, predicted=None, surface=None)
    if trainer.is_image:
        model = image_eval.judge(trainer)[0]
        probs = np.stack([predict(model, x) for x in trajectory])  # (steps+1, N, 10)
        out.update(confidence=probs.max(-1).mean(-1), predicted=probs.argmax(-1))
        return out
    ds = trainer.dataset
    if ds.modes is not None:
        stats = [mode_stats(x, ds.modes, ds.sigma, ds.weights) for x in trajectory]
        out["hq_fraction"] = np.array([m["hq_fraction"] for m in stats])
        out["modes_captured"] = np.array([m["modes_captured"] for m in stats])
    out["surface"] = _surface_around(trainer, trajectory.reshape(-1, 2))
    return out



def _surface_around(trainer: "Trainer", points: np.ndarray) -> tuple:
    """D on a SURFACE_GRID² grid over a square holding the run's view and `points` (paths may leave the
    data far behind: D has a value everywhere, data or not)."""
    xmin, xmax, ymin, ymax = trainer.extent
    lo = np.minimum(points.min(0), [xmin, ymin])
    hi = np.maximum(points.max(0), [xmax, ymax])
    centre, half = (lo + hi) / 2, (hi - lo).max() / 2 * 1.05
    gx = np.linspace(centre[0] - half, centre[0] + half, SURFACE_GRID)
    gy = np.linspace(centre[1] - half, centre[1] + half, SURFACE_GRID)
    grid = np.stack(np.meshgrid(gx, gy), axis=-1).reshape(-1, 2)
    with single_thread():
        values = trainer.discriminate(grid).reshape(SURFACE_GRID, SURFACE_GRID)
    return gx, gy, values, (float(gx[0]), float(gx[-1]), float(gy[0]), float(gy[-1]))
