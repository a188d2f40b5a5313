"""What a trained GAN shows about its latent space and its discriminator (lectures 000 and 004).

- Interpolation: `lerp` and `slerp` between two noise vectors; `walk` gives G's outputs and D's score
  along any path.
- Vector arithmetic on z: `arithmetic` (a − b + c) and `around` (samples near one z).
- The truncation trick (BigGAN): `truncated_noise`, and `truncation_sweep`, fidelity against variety
  across thresholds ψ.
- D's embedding space: `d_features` (its penultimate layer), `embedding_features` (real and fake
  samples with their classes), `embed` (PCA or t-SNE down to 2D).
- FGSM from noise: `fgsm_from_noise` pushes random noise along the sign of D's gradient toward "real":
  D's score rises; how far the noise stays from the data is the lecture's case for a generator.

Works on any `Trainer`: 2D points or digit images, conditional or not, Gaussian or uniform noise.
Arrays in and out are numpy. Noise vectors z are float64 (N, noise_dim) (G gets them as float32).
G's outputs are in the data's own units: points (N, 2) float64, images (N, 1, H, W) float32 in
[-1, 1]. D's scores are its display values, named by `Trainer.loss.output`: "probability" (P(real)
in [0, 1]), "score" (the least-squares score, target 1 for real) or "critic" (unbounded).
No Streamlit here.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

import numpy as np
import torch
from scipy.special import ndtr, ndtri

from . import image_eval
from .classifier import predict
from .data.noise import NOISE_KINDS
from .metrics import image_metrics, mode_stats, nearest_neighbours, wasserstein1_exact
from .threads import single_thread
from .train import DISPLAY_SAMPLES, GRID_CHUNK, eval_mode

if TYPE_CHECKING:
    from .train import Trainer

MAX_EMBED_POINTS = 600  # t-SNE on 600 points takes about a second on one core
TSNE_PERPLEXITY = 30.0  # scikit-learn's default; smaller sets get (N - 1) / 3
TSNE_PCA_DIMS = 50  # features are reduced to this many dimensions before t-SNE (the usual practice)
TRUNCATION_PSIS = (0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, None)  # None: untruncated
W1_POINTS = 500  # exact W1 of a truncation sweep on 500 + 500 points (~20 ms a threshold)
NEAR_DATA_QUANTILE = 0.95  # "near the data": as close to a real point as 95 % of real points are
FGSM_MAX_POINTS = {"points": 1000, "images": 64}
FGSM_MAX_STEPS = 500
FGSM_MAX_SPREAD = 20.0  # noise points start in a square at most this many times the data's view
SURFACE_GRID = 80  # D's surface under the FGSM paths: SURFACE_GRID² points
_DISTANCE_REFERENCE = 1000  # real samples each "distance to the data" is measured against
_DISTANCE_BASELINE = 256  # real and generated samples whose distance to the data is the yardstick


# --- noise vectors --------------------------------------------------------------------------------

def _vector(name: str, v) -> np.ndarray:
    v = np.asarray(v, dtype=np.float64)
    if v.ndim != 1 or v.size == 0:
        raise ValueError(f"{name} must be one noise vector of shape (noise_dim,), got shape {v.shape}")
    if not np.isfinite(v).all():
        raise ValueError(f"{name} holds NaN or infinite values")
    return v


def _pair(z0, z1) -> tuple[np.ndarray, np.ndarray]:
    z0, z1 = _vector("z0", z0), _vector("z1", z1)
    if z0.shape != z1.shape:
        raise ValueError(f"z0 and z1 must have the same shape, got {z0.shape} and {z1.shape}")
    return z0, z1


def _check_count(name: str, n, at_least: int = 1) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < at_least:
        raise ValueError(f"{name} must be a whole number of at least {at_least}, got {n!r}")
    return int(n)


def lerp(z0, z1, steps: int) -> np.ndarray:
    """`steps` points on the straight line from z0 to z1 (both (dim,)): (steps, dim) float64,
    z(t) = (1 − t)·z0 + t·z1 for t evenly spaced in [0, 1]. The first and last rows are z0 and z1 exactly."""
    z0, z1 = _pair(z0, z1)
    t = np.linspace(0.0, 1.0, _check_count("steps", steps, at_least=2))[:, None]
    path = (1 - t) * z0 + t * z1
    path[0], path[-1] = z0, z1
    return path


def slerp(z0, z1, steps: int) -> np.ndarray:
    """`steps` points from z0 to z1 (both (dim,)) along the sphere: (steps, dim) float64. The direction
    turns along the great circle at constant speed (Shoemake's slerp of z0/|z0| and z1/|z1|) while the
    norm goes linearly from |z0| to |z1|:

        z(t) = ((1 − t)|z0| + t|z1|) · (sin((1 − t)ω) ẑ0 + sin(tω) ẑ1) / sin ω,   ω the angle between them.

    For vectors of equal norm this is Shoemake's slerp of z0 and z1 themselves (White 2016 for GANs), and
    for z0 ⟂ z1 of norm r, |z(t)| = r all the way where the straight line dips to r/√2: in many dimensions
    Gaussian noise lives near the sphere of radius √dim, and the line's middle is a region G rarely saw.
    (Slerping unequal vectors directly would overshoot: near ω = π its middle grows like 1/cos(ω/2).)
    When the angle is 0 or π, or a vector is zero, the arc is not defined and the straight line is
    returned. The first and last rows are z0 and z1 exactly.
    """
    z0, z1 = _pair(z0, z1)
    steps = _check_count("steps", steps, at_least=2)
    n0, n1 = np.linalg.norm(z0), np.linalg.norm(z1)
    if n0 == 0 or n1 == 0:
        return lerp(z0, z1, steps)
    u0, u1 = z0 / n0, z1 / n1
    omega = math.acos(float(np.clip(u0 @ u1, -1.0, 1.0)))
    if math.sin(omega) < 1e-6:
        return lerp(z0, z1, steps)
    t = np.linspace(0.0, 1.0, steps)[:, None]
    direction = (np.sin((1 - t) * omega) * u0 + np.sin(t * omega) * u1) / math.sin(omega)
    path = ((1 - t) * n0 + t * n1) * direction
    path[0], path[-1] = z0, z1
    return path


def typical_norm(kind: str, dim: int) -> float:
    """The norm |z| most noise vectors have: √dim for N(0, I), √(dim/3) for U(−1, 1) per coordinate
    (E|z|² = dim·E[z_i²]); in many dimensions nearly all of them lie close to it."""
    if kind not in NOISE_KINDS:
        raise ValueError(f"unknown noise {kind!r}; choose one of: {', '.join(NOISE_KINDS)}")
    return math.sqrt(_check_count("dim", dim) / (1.0 if kind == "gaussian" else 3.0))


def arithmetic(a, b, c) -> np.ndarray:
    """a − b + c for three noise vectors (dim,): DCGAN's "smiling woman − woman + man" (Radford et al. 2016)."""
    a, b, c = _vector("a", a), _vector("b", b), _vector("c", c)
    if not a.shape == b.shape == c.shape:
        raise ValueError(f"a, b and c must have the same shape, got {a.shape}, {b.shape} and {c.shape}")
    return a - b + c


def around(z, n: int, spread: float, seed: int = 0) -> np.ndarray:
    """(n, dim) float64: z itself, then n − 1 points z + spread·N(0, I) (seeded), to show what G makes
    near z (DCGAN showed its arithmetic results with such neighbours)."""
    z, n = _vector("z", z), _check_count("n", n)
    if not (isinstance(spread, (int, float, np.number)) and math.isfinite(spread) and spread >= 0):
        raise ValueError(f"spread must be a finite number ≥ 0, got {spread!r}")
    noise = np.random.default_rng(seed).standard_normal((n - 1, len(z)))
    return np.vstack([z, z + spread * noise])


def _check_psi(psi) -> float | None:
    if psi is None:
        return None
    psi = float(psi)
    if not (math.isfinite(psi) and psi > 0):
        raise ValueError(f"the truncation threshold ψ must be a finite number > 0, or None for no truncation; "
                         f"got {psi!r}")
    return psi


def truncated_normal(n: int, dim: int, psi: float | None, seed: int = 0) -> np.ndarray:
    """(n, dim) float64 draws of N(0, 1) per coordinate, each restricted to [−ψ, ψ] (BigGAN's truncation
    trick); ψ = None draws the plain normal.

    BigGAN resamples every coordinate with |z| > ψ until none is left. This draws from the same
    distribution in one pass, by the inverse CDF of the normal restricted to [−ψ, 0] and a random sign,
    so a tiny ψ costs no more than a large one. Deterministic for a seed.
    """
    n, dim, psi = _check_count("n", n), _check_count("dim", dim), _check_psi(psi)
    rng = np.random.default_rng(seed)
    if psi is None:
        return rng.standard_normal((n, dim))
    # The lower half only: ndtri is accurate near 0, not near 1.
    magnitude = -ndtri(rng.uniform(ndtr(-psi), 0.5, size=(n, dim)))
    sign = np.where(rng.random((n, dim)) < 0.5, -1.0, 1.0)
    return sign * np.clip(magnitude, 0.0, psi)


def truncated_noise(kind: str, n: int, dim: int, psi: float | None, seed: int = 0) -> np.ndarray:
    """Noise of the run's kind truncated at ψ: (n, dim) float64.

    Gaussian: `truncated_normal`. Uniform noise U(−1, 1) truncated the same way (coordinates with
    |z| > ψ redrawn) is U(−ψ, ψ), so ψ ≥ 1 changes nothing. ψ = None: untruncated.
    """
    psi = _check_psi(psi)
    if kind == "gaussian":
        return truncated_normal(n, dim, psi, seed)
    if kind == "uniform":
        n, dim = _check_count("n", n), _check_count("dim", dim)
        half = 1.0 if psi is None else min(psi, 1.0)
        return np.random.default_rng(seed).uniform(-half, half, size=(n, dim))
    raise ValueError(f"unknown noise {kind!r}; choose one of: {', '.join(NOISE_KINDS)}")


# --- G and D on numpy arrays ------------------------------------------------------------------------

def _z_tensor(trainer: "Trainer", z) -> torch.Tensor:
    z = np.asarray(z, dtype=np.float64)
    dim = trainer.config.noise_dim
    if z.ndim != 2 or z.shape[1] != dim:
        raise ValueError(f"z must have shape (N, {dim}) for this run's {dim}-D noise, got {z.shape}")
    if not np.isfinite(z).all():
        raise ValueError("z holds NaN or infinite values")
    return torch.as_tensor(z, dtype=torch.float32, device=trainer.device)


def _label_tensor(trainer: "Trainer", labels, n: int) -> torch.Tensor | None:
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
    z_t = _z_tensor(trainer, z)
    labels_t = _label_tensor(trainer, labels, len(z_t))
    with single_thread():
        if trainer.is_image:
            return image_eval.generate(trainer, z_t, labels_t)
        return trainer.sample(z_t)


def _x_tensor(trainer: "Trainer", x) -> torch.Tensor:
    x = np.asarray(x, dtype=np.float32)
    expected = (1, *trainer.image_data.image_size) if trainer.is_image else (2,)
    if x.ndim != 1 + len(expected) or x.shape[1:] != expected:
        raise ValueError(f"expected samples of shape (N, {', '.join(map(str, expected))}), got {x.shape}")
    if not np.isfinite(x).all():
        raise ValueError("the samples hold NaN or infinite values")
    return torch.as_tensor(x, device=trainer.device)


def _reference(trainer: "Trainer") -> torch.Tensor | None:
    """The batch a batch-dependent D (minibatch features) compares each sample with: G's samples for the
    run's fixed z, as `Trainer.discriminate` uses. None when D judges each sample on its own."""
    if not trainer.D.batch_dependent:
        return None
    with torch.no_grad(), eval_mode(trainer.sampler):
        return trainer.generate_with(trainer.sampler, trainer.fixed_z, trainer.fixed_labels)


def _d_raw(trainer: "Trainer", x: torch.Tensor, labels: torch.Tensor | None,
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
    x_t = _x_tensor(trainer, x)
    labels_t = _label_tensor(trainer, labels, len(x_t))
    with single_thread(), torch.no_grad(), eval_mode(trainer.D, trainer.sampler):
        ref = _reference(trainer)
        out = [fn(x_t[i:i + GRID_CHUNK], None if labels_t is None else labels_t[i:i + GRID_CHUNK], ref)
               for i in range(0, max(len(x_t), 1), GRID_CHUNK)]
    return torch.cat(out).double().cpu().numpy()


def d_scores(trainer: "Trainer", x, labels=None) -> np.ndarray:
    """D's display value (N,) float64 for samples x — points (N, 2) or images (N, 1, H, W) in [−1, 1]:
    P(real) for the probability losses, the raw score or critic value otherwise (`trainer.loss.output`).
    A conditional D needs `labels` (N,) or one int."""
    return _batched(trainer, lambda x_, l_, ref: trainer.probability(_d_raw(trainer, x_, l_, ref)), x, labels)


def d_features(trainer: "Trainer", x, labels=None) -> np.ndarray:
    """D's penultimate features (N, F) float64 for samples x (points (N, 2) or images (N, 1, H, W)): what its
    last layer turns into a score. With minibatch features each sample is compared with G's samples for
    the run's fixed z (not with its own batch), so a sample's features do not depend on its neighbours."""
    return _batched(trainer, lambda x_, l_, ref: _d_features(trainer, x_, l_, ref), x, labels)


# --- interpolation ---------------------------------------------------------------------------------

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
    n = _check_count("n", n)
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
    k = _check_count("k", k)
    if k > len(x) or not 0 <= first < len(x):
        raise ValueError(f"need 0 ≤ first < N and k ≤ N for N = {len(x)} samples, got first={first}, k={k}")
    picked = [first]
    nearest = ((x - x[first]) ** 2).sum(1)  # squared distance of each sample to the picked set
    for _ in range(k - 1):
        picked.append(int(nearest.argmax()))
        nearest = np.minimum(nearest, ((x - x[picked[-1]]) ** 2).sum(1))
    return picked


# --- the truncation trick ---------------------------------------------------------------------------

def truncated_samples(trainer: "Trainer", n: int, psi: float | None, seed: int = 0) -> LatentSamples:
    """n samples of G from the run's noise truncated at ψ (`truncated_noise`), with a conditional
    run's trained digits in turn, and D's scores."""
    z = truncated_noise(trainer.config.noise, n, trainer.config.noise_dim, psi, seed)
    labels = run_labels(trainer, len(z))
    outputs = generate(trainer, z, labels)
    return LatentSamples(z=z, labels=labels, outputs=outputs, scores=d_scores(trainer, outputs, labels))


@dataclass
class TruncationSweep:
    """Fidelity against variety across truncation thresholds, one entry per ψ, all from the same
    uniform draws (so differences come from ψ alone)."""
    psis: np.ndarray  # (P,) thresholds; inf = untruncated
    fidelity: np.ndarray  # (P,) in [0, 1], higher = samples look more like data
    fidelity_name: str
    coverage: np.ndarray  # (P,) modes or digits covered (NaN where the data has no modes)
    coverage_total: int | None
    coverage_name: str
    distance: np.ndarray  # (P,) W1 (points, data units) or Fréchet distance (images) to real data: lower = closer
    distance_name: str
    distance_floor: float  # the same distance between two real sets: what a perfect generator scores
    samples: int  # samples per threshold


def _near_data_fraction(samples: np.ndarray, real: np.ndarray, reference: np.ndarray) -> float:
    """Share of samples at most as far from their nearest real point as NEAR_DATA_QUANTILE of a second
    real set is: a precision in the spirit of Kynkäänniemi et al. (2019), for data without modes."""
    _, d_ref = nearest_neighbours(reference, real, k=1)
    _, d = nearest_neighbours(samples, real, k=1)
    return float((d[:, 0] <= np.quantile(d_ref[:, 0], NEAR_DATA_QUANTILE)).mean())


def truncation_sweep(trainer: "Trainer", psis=TRUNCATION_PSIS, n: int | None = None, seed: int = 0
                     ) -> TruncationSweep:
    """For each ψ in `psis` (None: untruncated), n samples of G (default: 2,500 points, as the 2D metrics
    use, or 1,000 images) measured against the run's real evaluation data.

    Points: fidelity = % high quality (within 3σ of a mode), coverage = modes captured, distance =
    exact W1 on 500 + 500 points (the same subsample of the data for every ψ); data without modes:
    fidelity = share of samples near the data (`_near_data_fraction`), no coverage. Images: fidelity =
    the judge classifier's mean confidence, coverage = trained digits present, distance = Fréchet
    distance on the classifier's features (`metrics.image_metrics`).
    """
    psis = [_check_psi(p) for p in psis]
    if not psis:
        raise ValueError("psis must name at least one threshold")
    default_n = image_eval.IMAGE_EVAL_SAMPLES if trainer.is_image else len(trainer.eval_real)
    n = default_n if n is None else _check_count("n", n, at_least=2)
    if trainer.is_image:
        model, _, real = image_eval.judge(trainer)
        digits = trainer.config.digit_list()

        def measure(samples) -> tuple[float, float, float]:
            m = image_metrics(samples, model, trainer.eval_real_images, trainer.eval_reference_images,
                              digits=digits, real=real)
            return m["mean_confidence"], m["classes_covered"], m["fid"]

        names = dict(fidelity_name="classifier's mean confidence", coverage_total=len(digits),
                     coverage_name="digits present", distance_name="Fréchet distance (classifier features)",
                     distance_floor=float(real[2]))
    else:
        ds = trainer.dataset

        def w1(samples) -> float:  # a fresh generator each time: the same subsamples for every ψ
            return wasserstein1_exact(samples, trainer.eval_real, max_points=W1_POINTS, rng=np.random.default_rng(0))

        def measure(samples) -> tuple[float, float, float]:
            if ds.modes is None:
                return _near_data_fraction(samples, trainer.eval_real, trainer.eval_reference), math.nan, w1(samples)
            stats = mode_stats(samples, ds.modes, ds.sigma, ds.weights)
            return stats["hq_fraction"], stats["modes_captured"], w1(samples)

        names = dict(fidelity_name="near the data" if ds.modes is None else "high quality (within 3σ of a mode)",
                     coverage_total=None if ds.modes is None else len(ds.modes), coverage_name="modes captured",
                     distance_name="W1 to the data (exact)", distance_floor=w1(trainer.eval_reference))
    fidelity, coverage, distance = np.array([measure(truncated_samples(trainer, n, psi, seed).outputs)
                                             for psi in psis], dtype=np.float64).T
    return TruncationSweep(psis=np.array([math.inf if p is None else p for p in psis]), fidelity=fidelity,
                           coverage=coverage, distance=distance, samples=n, **names)


# --- the discriminator's embedding space -------------------------------------------------------------

@dataclass
class EmbeddingInputs:
    """Real and fake samples as D sees them, ready for `embed`."""
    features: np.ndarray  # (N, F) D's penultimate features: real samples first, then fakes
    is_real: np.ndarray  # (N,) bool
    classes: np.ndarray | None  # (N,) digit (real: its label; fake: the classifier's reading) or nearest mode
    class_name: str | None  # "digit" or "nearest mode"; None where the data has neither
    scores: np.ndarray  # (N,) D's display values


def embedding_features(trainer: "Trainer", n: int = MAX_EMBED_POINTS, seed: int = 0) -> EmbeddingInputs:
    """D's penultimate features of n samples (at most MAX_EMBED_POINTS): ⌊n/2⌋ real ones drawn with `seed`
    from the run's data, and G's samples for the first n − ⌊n/2⌋ of the run's fixed z."""
    n = _check_count("n", n, at_least=4)
    if n > MAX_EMBED_POINTS:
        raise ValueError(f"n must be at most {MAX_EMBED_POINTS} (t-SNE's time grows quickly), got {n}")
    rng = np.random.default_rng(seed)
    n_real, n_fake = n // 2, n - n // 2
    fake = latent_samples(trainer, n_fake)
    if trainer.is_image:
        data = trainer.image_data
        idx = rng.choice(len(data.images), size=n_real, replace=False)
        real, real_labels = data.images[idx], data.labels[idx]
        classes = np.concatenate([real_labels, predict(image_eval.judge(trainer)[0], fake.outputs).argmax(1)])
        class_name = "digit"
        # a conditional D is asked about each real image's own class, each fake's requested one
        labels = None if fake.labels is None else np.concatenate([real_labels, fake.labels])
    else:
        real = trainer.eval_real[rng.choice(len(trainer.eval_real), size=n_real, replace=False)]
        labels, classes, class_name = None, None, None
        if trainer.dataset.modes is not None:
            both = np.concatenate([real, fake.outputs])
            classes, class_name = nearest_neighbours(both, trainer.dataset.modes, k=1)[0][:, 0], "nearest mode"
    x = np.concatenate([real.astype(fake.outputs.dtype), fake.outputs])
    return EmbeddingInputs(features=d_features(trainer, x, labels),
                           is_real=np.arange(n) < n_real, classes=classes, class_name=class_name,
                           scores=d_scores(trainer, x, labels))


def embed(features, method: str = "pca", seed: int = 0,
          progress: Callable[[float, str], None] | None = None) -> np.ndarray:
    """Features (N, F), 3 ≤ N ≤ MAX_EMBED_POINTS, F ≥ 2, down to (N, 2) float64: the same output for the
    same features, every time.

    "pca": the two principal components (scikit-learn, full SVD; signs fixed by its svd_flip).
    "tsne": t-SNE (scikit-learn, Barnes-Hut, perplexity min(30, (N − 1)/3)) on the features reduced to at
    most TSNE_PCA_DIMS dimensions by PCA. It starts from the PCA layout (scikit-learn's default, which
    keeps the global arrangement), so it draws no random numbers: `seed` is passed on as its
    random_state but changes nothing. `progress(fraction, message)` is told each stage; t-SNE itself
    reports none (about a second for 600 points).
    """
    from sklearn.decomposition import PCA  # scikit-learn loads only when something is embedded
    from sklearn.manifold import TSNE

    x = np.asarray(features, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] < 2:
        raise ValueError(f"features must have shape (N, F) with F ≥ 2, got {x.shape}")
    if not 3 <= len(x) <= MAX_EMBED_POINTS:
        raise ValueError(f"embed needs between 3 and {MAX_EMBED_POINTS} samples, got {len(x)}")
    if not np.isfinite(x).all():
        raise ValueError("features hold NaN or infinite values")
    if method not in ("pca", "tsne"):
        raise ValueError(f"unknown method {method!r}; choose pca or tsne")
    report = progress or (lambda fraction, message: None)
    if method == "pca":
        report(0.0, "PCA")
        out = PCA(n_components=2, svd_solver="full").fit_transform(x)
        report(1.0, "PCA done")
        return out
    report(0.0, f"reducing {x.shape[1]} features to at most {TSNE_PCA_DIMS} with PCA")
    dims = min(TSNE_PCA_DIMS, x.shape[1], len(x))
    reduced = PCA(n_components=dims, svd_solver="full").fit_transform(x) if dims < x.shape[1] else x
    report(0.1, f"t-SNE on {len(x)} samples")
    out = TSNE(n_components=2, perplexity=min(TSNE_PERPLEXITY, (len(x) - 1) / 3), init="pca",
               learning_rate="auto", random_state=seed).fit_transform(reduced)
    report(1.0, "t-SNE done")
    return out.astype(np.float64)


# --- FGSM from noise ------------------------------------------------------------------------------------

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
    n = _check_count("n", n)
    if n > FGSM_MAX_POINTS[kind]:
        raise ValueError(f"n must be at most {FGSM_MAX_POINTS[kind]} for {kind}, got {n}")
    steps = _check_count("steps", steps)
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
    labels = _label_tensor(trainer, labels_np, n)
    x = _x_tensor(trainer, start)
    path, raw = [x], []
    with single_thread(), eval_mode(trainer.D, trainer.sampler), torch.enable_grad():
        ref = _reference(trainer)
        for _ in range(steps):
            x_grad = x.detach().requires_grad_(True)
            out = _d_raw(trainer, x_grad, labels, ref)
            (grad,) = torch.autograd.grad(out.sum(), x_grad)  # each sample's own gradient: D is per sample
            raw.append(out.detach())
            x = x + step_size * grad.sign()
            if trainer.is_image:
                x = x.clamp(-1.0, 1.0)
            path.append(x.detach())
        with torch.no_grad():
            raw.append(_d_raw(trainer, x, labels, ref))
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
        real, reference = trainer.eval_real[:_DISTANCE_REFERENCE], trainer.eval_reference
    fakes = latent_samples(trainer, _DISTANCE_BASELINE).outputs
    out = dict(distance_to_data=np.array([_mean_distance(x, real) for x in trajectory]),
               real_distance=_mean_distance(reference[:_DISTANCE_BASELINE], real),
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
