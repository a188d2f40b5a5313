"""Spectral normalisation, measured: power iteration on one matrix, and two small discriminators
trained side by side, one with spectral norm, to compare their Lipschitz constants.

Lecture 002: the Lipschitz seminorm of a composition is at most the product of its layers'
seminorms. A linear layer's is its largest singular value σ(W), and the activations offered here
are 1-Lipschitz, so for D's logit f

    |f(a) − f(b)| ≤ ∏_l σ(W_l) · ‖a − b‖.

Spectral norm divides each W by a power-iteration estimate of σ(W), which pushes that bound to
about 1. Everything the Lipschitz constant refers to here is D's *logit* (before the sigmoid),
in logit units per unit of x.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from ganviz.data import get_dataset, sample_noise
from ganviz.losses import bce_d
from ganviz.models.mlp import MLPDiscriminator
from ganviz.models.spectral import spectral_sigmas
from ganviz.theory.dynamics import power_iteration
from ganviz.training.points import square_extent
from ganviz.training.runtime import eval_mode, single_thread

# The activations of nets.ACTIVATIONS whose slope never exceeds 1: GELU and SiLU overshoot
# (max slope ≈ 1.13 and 1.10), which would break the product bound.
ONE_LIPSCHITZ_ACTIVATIONS = ("leaky_relu", "relu", "tanh", "elu")
MAX_MATRIX_SIDE = 64
MAX_POWER_STEPS = 1000
MAX_TRAIN_STEPS = 3000
MAX_DEPTH, MAX_WIDTH = 4, 256
MAX_GRID = 200


def _check_int(name: str, value, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if not lo <= value <= hi:
        raise ValueError(f"{name} must be between {lo} and {hi}, got {value}")
    return int(value)


@dataclass(frozen=True)
class PowerIterationRun:
    """Power iteration on a Gaussian matrix W (rows × cols, entries N(0, 1)).

    estimates: (steps,) the estimate uᵀWv after each step (theory.power_iteration);
    singular_values: (min(rows, cols),) W's singular values by SVD, largest first.
    """

    rows: int
    cols: int
    seed: int
    estimates: np.ndarray
    singular_values: np.ndarray

    @property
    def sigma_max(self) -> float:
        return float(self.singular_values[0])

    @property
    def gap_ratio(self) -> float:
        """σ₂/σ₁: each step shrinks the estimate's error by about (σ₂/σ₁)⁴. 0 when W has a single
        row or column: then the first step is already exact."""
        s = self.singular_values
        return float(s[1] / s[0]) if len(s) > 1 else 0.0

    @property
    def relative_errors(self) -> np.ndarray:
        """(steps,) (σ₁ − estimate)/σ₁, floored at 1e-16 so that a log axis can show an exact hit."""
        return np.maximum((self.sigma_max - self.estimates) / self.sigma_max, 1e-16)


def power_iteration_run(rows: int, cols: int, steps: int, seed: int = 0) -> PowerIterationRun:
    """W from np.random.default_rng(seed); power iteration starts from a vector drawn with seed + 1."""
    rows = _check_int("rows", rows, 1, MAX_MATRIX_SIDE)
    cols = _check_int("cols", cols, 1, MAX_MATRIX_SIDE)
    steps = _check_int("steps", steps, 1, MAX_POWER_STEPS)
    seed = _check_int("seed", seed, 0, 2**31 - 1)
    W = np.random.default_rng(seed).standard_normal((rows, cols))
    return PowerIterationRun(
        rows, cols, seed, power_iteration(W, steps, seed=seed + 1), np.linalg.svd(W, compute_uv=False)
    )


@dataclass(frozen=True)
class LipschitzEstimate:
    """One trained discriminator, measured on the comparison's grid (see SpectralComparison).

    surface: (G, G) D(x) = sigmoid(logit) in [0, 1], row i at grid_y[i], column j at grid_x[j].
    grad_max: max over the grid of ‖∇ₓ logit‖, an empirical (lower) estimate of the Lipschitz
        constant. secant_max: max of |f(a) − f(b)| / ‖a − b‖ over random pairs in the grid's square,
        the definition itself (also a lower estimate). layer_sigmas: σ_max of each linear layer's
        effective weight (after spectral normalisation, by SVD), input layer first; bound: their
        product, an upper bound. accuracy: the fraction of the real and fake points on the right side of ½.
    """

    spectral_norm: bool
    surface: np.ndarray
    grad_max: float
    secant_max: float
    layer_sigmas: tuple[float, ...]
    bound: float
    accuracy: float


@dataclass(frozen=True)
class SpectralComparison:
    """Both discriminators, trained from the same initial weights on the same points.

    real, fake: (N, 2) training points (fake: Gaussian noise N(0, I)); grid_x, grid_y: (G,) the grid
    axes, spanning `extent` = (xmin, xmax, ymin, ymax), a square around all the points.
    """

    dataset: str
    steps: int
    seed: int
    real: np.ndarray
    fake: np.ndarray
    grid_x: np.ndarray
    grid_y: np.ndarray
    extent: tuple[float, float, float, float]
    plain: LipschitzEstimate
    spectral: LipschitzEstimate


def twin_discriminators(depth: int, width: int, activation: str) -> tuple[MLPDiscriminator, MLPDiscriminator]:
    """(plain, spectral): the spectral one as nets.py builds it, the plain one given its raw weights,
    so both start from identical weights (building each from the same seed would not do: spectral
    norm draws its u, v from the RNG between layers)."""
    spectral = MLPDiscriminator(depth, width, activation, spectral_norm=True)
    plain = MLPDiscriminator(depth, width, activation)
    raw = {
        k.replace("parametrizations.weight.original", "weight"): v
        for k, v in spectral.state_dict().items()
        if not k.endswith(("._u", "._v"))
    }
    plain.load_state_dict(raw)
    return plain, spectral


def _train(d: MLPDiscriminator, real: torch.Tensor, fake: torch.Tensor, steps: int, lr: float) -> None:
    """Full-batch Adam on D's cross-entropy. One forward per step on real and fake together, so
    spectral norm does exactly one power-iteration step per update, as in GAN training."""
    optimizer = torch.optim.Adam(d.parameters(), lr=lr)
    n = len(real)
    both = torch.cat([real, fake])
    for _ in range(steps):
        logits = d(both)
        loss = bce_d(logits[:n], logits[n:])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()


def measure_discriminator(
    d: MLPDiscriminator, grid: torch.Tensor, pairs: torch.Tensor, real: torch.Tensor, fake: torch.Tensor
) -> LipschitzEstimate:
    """Measure D without changing it (spectral norm's u, v stay as they are).

    grid: (G², 2) points in the order np.meshgrid(grid_x, grid_y) gives, flattened row by row, so
    the surface comes back as (G, G) with row i at grid_y[i]. pairs: (2, P, 2), the pairs for the
    secant slopes. real, fake: (N, 2) and (M, 2), the points D should call real and fake.
    """
    side = int(round(len(grid) ** 0.5))
    if side * side != len(grid):
        raise ValueError(f"grid must hold a square number of points, got {len(grid)}")
    with eval_mode(d):  # eval: spectral norm uses its stored u, v instead of stepping them
        x = grid.clone().requires_grad_(True)
        logits = d(x)
        (grad,) = torch.autograd.grad(logits.sum(), x)  # each output depends on its own input only
        with torch.no_grad():
            secant = (d(pairs[0]) - d(pairs[1])).abs() / (pairs[0] - pairs[1]).norm(dim=1)
            correct = torch.cat([d(real) > 0, d(fake) < 0]).float().mean()
            sigmas = tuple(float(torch.linalg.svdvals(m.weight)[0]) for m in d.modules() if isinstance(m, nn.Linear))
    return LipschitzEstimate(
        spectral_norm=bool(spectral_sigmas(d)),  # any spectrally normalised layer
        surface=torch.sigmoid(logits.detach()).double().numpy().reshape(side, side),
        grad_max=float(grad.norm(dim=1).max()),
        secant_max=float(secant.max()),
        layer_sigmas=sigmas,
        bound=float(np.prod(sigmas)),
        accuracy=float(correct),
    )


def compare_spectral_norm(
    dataset: str = "two-clusters",
    *,
    steps: int = 300,
    seed: int = 0,
    points: int = 256,
    depth: int = 2,
    width: int = 64,
    activation: str = "leaky_relu",
    lr: float = 2e-3,
    grid_size: int = 80,
    pairs: int = 4000,
) -> SpectralComparison:
    """Train D without and with spectral norm to tell `points` real points of `dataset` from as
    many N(0, I) fakes, by `steps` full-batch Adam steps (learning rate `lr`) from identical
    initial weights, and measure both (under a second with the defaults on one CPU thread).

    `seed` fixes the weights, the points and the random pairs; the global torch RNG is left as it was.
    """
    data = get_dataset(dataset)  # ValueError listing the names for an unknown one
    steps = _check_int("steps", steps, 1, MAX_TRAIN_STEPS)
    seed = _check_int("seed", seed, 0, 2**31 - 1)
    points = _check_int("points", points, 8, 4096)
    depth = _check_int("depth", depth, 1, MAX_DEPTH)
    width = _check_int("width", width, 2, MAX_WIDTH)
    grid_size = _check_int("grid_size", grid_size, 10, MAX_GRID)
    pairs = _check_int("pairs", pairs, 1, 100_000)
    if activation not in ONE_LIPSCHITZ_ACTIVATIONS:
        raise ValueError(
            f"activation must be 1-Lipschitz for the product bound to hold; choose one of: "
            f"{', '.join(ONE_LIPSCHITZ_ACTIVATIONS)} (got {activation!r})"
        )
    if not (isinstance(lr, (int, float)) and 0 < lr <= 1):
        raise ValueError(f"lr must be a number in (0, 1], got {lr!r}")

    with single_thread(), torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        plain, spectral = twin_discriminators(depth, width, activation)
        generator = torch.Generator().manual_seed(seed)
        real = torch.as_tensor(data.sample(points, np.random.default_rng(seed)), dtype=torch.float32)
        fake = sample_noise(points, 2, "gaussian", generator)
        xmin, xmax, ymin, ymax = square_extent(torch.cat([real, fake]), pad=0.1)
        gx, gy = np.linspace(xmin, xmax, grid_size), np.linspace(ymin, ymax, grid_size)
        grid = torch.as_tensor(np.stack(np.meshgrid(gx, gy), axis=-1).reshape(-1, 2), dtype=torch.float32)
        low = torch.tensor([xmin, ymin])
        span = torch.tensor([xmax - xmin, ymax - ymin])
        pair_points = low + span * torch.rand(2, pairs, 2, generator=generator)
        measured = []
        for d in (plain, spectral):
            _train(d, real, fake, steps, lr)
            measured.append(measure_discriminator(d, grid, pair_points, real, fake))
    return SpectralComparison(
        dataset=dataset,
        steps=steps,
        seed=seed,
        real=real.double().numpy(),
        fake=fake.double().numpy(),
        grid_x=gx,
        grid_y=gy,
        extent=(xmin, xmax, ymin, ymax),
        plain=measured[0],
        spectral=measured[1],
    )
