"""JS vs Wasserstein, live: one-parameter GANs whose generator is a pure shift, trained side by side.

The data are strips: points (x, u) with x ~ p and u ~ U[0, 1], the generator G_θ(z) = z + (θ, 0)
with z = (x, u), x ~ q. So G's distribution is q moved by θ, and JS and W1 between the strips
equal JS(p, q_θ) and W1(p, q_θ), known exactly at every step (theory.py): adding the same
independent coordinate to both sides changes neither (for W1: projecting onto x can only
shorten distances, and moving every point straight along x achieves W1 of the x parts).
Arjovsky's parallel lines are the thinnest such strips.

Why strips and not points on a line: on a line a critic's slope can only change sign by passing
through 0, which WGAN-GP's pull toward |∇f| = 1 resists; a 1D critic trained with it locks onto
the wrong slope once G overshoots the data, and G runs away. With a second coordinate the
critic's gradient can turn round instead.

A small D (or critic) is trained with a loss from the registry, and θ follows plain gradient
descent on G's loss. Plain, not Adam: Adam divides each step by the gradient's running size,
which would hide exactly what this shows — when D is confident on disjoint supports, a
probability loss gives G almost no gradient (JS sits at log 2 whatever θ is), while a critic's
W1 estimate keeps a slope of about 1 toward the data.
"""

from __future__ import annotations

import copy
import json
import math
import time
from dataclasses import asdict, dataclass, fields

import numpy as np
import torch

from ganviz.losses import LOSSES, get_loss, gradient_penalty
from ganviz.theory.divergences import LOG2, Mixture1D, js_divergence, wasserstein1
from ganviz.theory.optimal_d import Discriminator1D
from ganviz.training.runtime import single_thread

HISTORY_KEYS = ("iteration", "theta", "js", "w1", "d_estimate", "g_grad")
MAX_ITERATIONS = 3_000  # a side stops here: the lesson is long over, and the history stays small


@dataclass(frozen=True)
class ShiftGANConfig:
    """Settings of one shift GAN. Units: θ in units of x; learning rates per step."""

    loss: str = "minimax"
    theta0: float = 3.0  # the generator's starting shift
    d_steps: int = 5  # D (critic) updates per G update
    d_lr: float = 1e-3  # Adam, betas (0.5, 0.9)
    g_lr: float = 0.05  # plain gradient descent on θ
    batch: int = 256  # samples of p and of q per step
    gp_weight: float = 10.0  # WGAN-GP's λ
    clip: float = 0.05  # WGAN's weight clipping bound c
    seed: int = 0

    def __post_init__(self) -> None:
        if self.loss not in LOSSES:
            raise ValueError(f"unknown loss {self.loss!r}; choose one of: {', '.join(LOSSES)}")
        if not (math.isfinite(self.theta0) and abs(self.theta0) <= 50):
            raise ValueError(f"theta0 must be a number in [-50, 50], got {self.theta0}")
        if not 1 <= self.d_steps <= 50:
            raise ValueError(f"d_steps must be in 1..50, got {self.d_steps}")
        for name in ("d_lr", "g_lr", "clip"):
            value = getattr(self, name)
            if not (math.isfinite(value) and 0 < value <= 10):
                raise ValueError(f"{name} must be in (0, 10], got {value}")
        if not 8 <= self.batch <= 4096:
            raise ValueError(f"batch must be in 8..4096, got {self.batch}")
        if not (math.isfinite(self.gp_weight) and self.gp_weight >= 0):
            raise ValueError(f"gp_weight must be >= 0, got {self.gp_weight}")

    def replace(self, **changes) -> ShiftGANConfig:
        return ShiftGANConfig(**{**asdict(self), **changes})

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> ShiftGANConfig:
        data = json.loads(text)
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown settings: {', '.join(unknown)}")
        return cls(**data)


def estimate_kind(loss_name: str) -> str | None:
    """What D's batch statistic estimates under this loss: 'js', 'w1' or None (least squares)."""
    output = get_loss(loss_name).output
    return {"probability": "js", "critic": "w1"}.get(output)


class ShiftGAN:
    """One duel side: p the data, q the generator's base shape, G_θ(z) = z + (θ, 0) on strips.

    History rows (one per G update): iteration, θ, exact JS (nats), exact W1 (units of x),
    D's estimate (JS from the cross-entropy value, or the critic's gap as a W1 estimate; NaN for
    least squares) and |∂L_G/∂θ|.
    """

    def __init__(self, p: Mixture1D, q: Mixture1D, config: ShiftGANConfig):
        self.p, self.q, self.config = p, q, config
        self.loss = get_loss(config.loss)
        self.estimate = estimate_kind(config.loss)
        self.rng = np.random.default_rng(config.seed)
        self.torch_rng = torch.Generator().manual_seed(config.seed)
        torch.manual_seed(config.seed)  # D's initial weights: the same for every side of a duel
        self.d = Discriminator1D.for_mixtures(p, q.shifted(config.theta0), q, strip=True)
        self.d_optimizer = torch.optim.Adam(self.d.parameters(), lr=config.d_lr, betas=(0.5, 0.9))
        self.theta = torch.tensor(float(config.theta0), dtype=torch.float32, requires_grad=True)
        self.iteration = 0
        self.rows: list[tuple[float, ...]] = []
        self.diverged: str | None = None

    def sample_strip(self, m: Mixture1D) -> torch.Tensor:
        """config.batch points (x, u) with x ~ m, u ~ U[0, 1]: float32 (B, 2)."""
        n = self.config.batch
        return torch.from_numpy(np.stack([m.sample(n, self.rng), self.rng.random(n)], axis=1)).float()

    def generate(self, z: torch.Tensor, theta: torch.Tensor) -> torch.Tensor:
        """G_θ(z) = z + (θ, 0) for z (B, 2); differentiable in θ."""
        return torch.stack([z[:, 0] + theta, z[:, 1]], dim=1)

    def d_step(self) -> float:
        """One update of D; returns its estimate on this batch (see the class docstring)."""
        real, fake = self.sample_strip(self.p), self.generate(self.sample_strip(self.q), self.theta.detach())
        d_real, d_fake = self.d(real), self.d(fake)
        loss = self.loss.d_loss(d_real, d_fake)
        if self.loss.gradient_penalty and self.config.gp_weight > 0:
            loss = loss + self.config.gp_weight * gradient_penalty(self.d, real, fake, self.torch_rng)
        self.d_optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.d_optimizer.step()
        if self.loss.clip_weights:
            with torch.no_grad():
                for w in self.d.parameters():
                    w.clamp_(-self.config.clip, self.config.clip)
        with torch.no_grad():
            if self.estimate == "js":  # V(D, G) = E log D(x) + E log(1 − D(G(z))); at D*, V = 2·JS − 2·log 2
                value = -(torch.nn.functional.softplus(-d_real).mean() + torch.nn.functional.softplus(d_fake).mean())
                return float(value) / 2 + LOG2
            if self.estimate == "w1":
                return float(d_real.mean() - d_fake.mean())
        return math.nan

    def g_step(self) -> float:
        """One plain gradient step on θ; returns |∂L_G/∂θ|."""
        g_loss = self.loss.g_loss(self.d(self.generate(self.sample_strip(self.q), self.theta)))
        (grad,) = torch.autograd.grad(g_loss, self.theta)
        with torch.no_grad():
            self.theta -= self.config.g_lr * grad
        return abs(float(grad))

    def step(self, n: int = 1) -> int:
        """n iterations (d_steps D updates, then one G update each); returns how many were kept.

        An iteration that leaves θ, D's estimate or G's gradient non-finite is undone (θ, D and
        its optimiser go back to the state before it), `diverged` says what happened and no more
        steps are taken until `resume()`.
        """
        done = 0
        for _ in range(n):
            if self.diverged or self.iteration >= MAX_ITERATIONS:
                break
            saved = (
                self.theta.detach().clone(),
                copy.deepcopy(self.d.state_dict()),
                copy.deepcopy(self.d_optimizer.state_dict()),
            )
            estimate = [self.d_step() for _ in range(self.config.d_steps)][-1]
            grad = self.g_step()
            theta = self.shift
            if not all(math.isfinite(v) for v in (theta, grad)) or math.isinf(estimate):
                with torch.no_grad():
                    self.theta.copy_(saved[0])
                self.d.load_state_dict(saved[1])
                self.d_optimizer.load_state_dict(saved[2])
                self.diverged = (
                    f"iteration {self.iteration + 1} went non-finite (θ = {theta}, "
                    f"|∂L_G/∂θ| = {grad}); kept the state before it. Lower the learning rates."
                )
                break
            self.iteration += 1
            moved = self.q.shifted(theta)
            self.rows.append(
                (self.iteration, theta, js_divergence(self.p, moved), wasserstein1(self.p, moved), estimate, grad)
            )
            done += 1
        return done

    def resume(self) -> None:
        self.diverged = None

    @property
    def shift(self) -> float:
        """The current θ, in units of x."""
        return float(self.theta.detach())

    def history(self) -> dict[str, np.ndarray]:
        """Every row so far, one array (T,) per HISTORY_KEYS name."""
        table = np.array(self.rows, dtype=np.float64).reshape(-1, len(HISTORY_KEYS))
        return {k: table[:, i] for i, k in enumerate(HISTORY_KEYS)}


class ShiftDuel:
    """Two ShiftGANs from the same start (same D weights, same batches), different losses."""

    def __init__(self, p: Mixture1D, q: Mixture1D, left: ShiftGANConfig, right: ShiftGANConfig):
        self.sides = (ShiftGAN(p, q, left), ShiftGAN(p, q, right))

    def step(self, n: int = 1) -> None:
        for side in self.sides:
            side.step(n)

    def run_for(self, seconds: float, chunk: int = 5) -> int:
        """Both sides in turns of `chunk` iterations until `seconds` have passed; returns iterations
        taken by the left side."""
        start, before = time.perf_counter(), self.sides[0].iteration
        with single_thread():
            while time.perf_counter() - start < seconds and not self.finished:
                self.step(chunk)
        return self.sides[0].iteration - before

    @property
    def finished(self) -> bool:
        """True when neither side can step: both diverged or at MAX_ITERATIONS."""
        return all(s.diverged or s.iteration >= MAX_ITERATIONS for s in self.sides)
