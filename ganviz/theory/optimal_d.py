"""A small discriminator trained to tell p (data) from q (generator), to set beside D* = p/(p+q).

Lecture 004's argument: for a fixed G, the best D is D*(x) = p(x) / (p(x) + q(x)), and then
V(D*, G) = 2·JS(p, q) − 2·log 2. Here a real network learns D by the usual cross-entropy on
samples, and the page shows how close it gets: its curve against D*, its value V(D, G) against
the exact V(D*, G), and the mean gap |D − D*| where the data and the fakes live.
"""

from __future__ import annotations

import time

import numpy as np
import torch
import torch.nn.functional as F

from ganviz.models.mlp import MLPDiscriminator
from ganviz.theory.divergences import Mixture1D, optimal_d, support
from ganviz.training.runtime import single_thread

QUADRATURE_CELLS = 4000  # midpoint-rule cells over the joint support for V(D, G) and the gap


class Discriminator1D(torch.nn.Module):
    """An MLP on 1D points or on strips: x (B,) or (B, 2) = (x, u) in data units -> raw output (B,).

    x is standardised with a fixed centre and scale (taken from the supports it will see),
    because the examples live anywhere in [-50, 50] and a network trains best near 0; a strip's
    second coordinate u ∈ [0, 1] is centred at 0. `strip` says which input it takes.
    """

    def __init__(
        self,
        centre: float,
        scale: float,
        depth: int = 2,
        width: int = 32,
        activation: str = "leaky_relu",
        strip: bool = False,
    ):
        super().__init__()
        if scale <= 0:
            raise ValueError(f"scale must be > 0, got {scale}")
        self.centre, self.scale, self.strip = float(centre), float(scale), strip
        self.net = MLPDiscriminator(depth, width, activation, in_dim=2 if strip else 1)

    @classmethod
    def for_mixtures(cls, *mixtures: Mixture1D, **kwargs) -> Discriminator1D:
        lo, hi = support(*mixtures)
        return cls(0.5 * (lo + hi), max(0.5 * (hi - lo), 1e-3), **kwargs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.strip:
            return self.net(torch.stack([(x[:, 0] - self.centre) / self.scale, x[:, 1] - 0.5], dim=1))
        return self.net(((x - self.centre) / self.scale).unsqueeze(-1))


def _check_positive(**values) -> None:
    for name, value in values.items():
        if not value > 0:
            raise ValueError(f"{name} must be > 0, got {value}")


class DiscriminatorFit:
    """Trains D(x) = σ(logit) by cross-entropy on batches from p (label 1) and q (label 0).

    p, q: the two densities; lr: Adam's step; batch: samples of each per step; seed fixes D's
    initial weights and every batch.
    """

    def __init__(
        self,
        p: Mixture1D,
        q: Mixture1D,
        *,
        lr: float = 3e-3,
        batch: int = 256,
        seed: int = 0,
        depth: int = 2,
        width: int = 32,
    ):
        _check_positive(lr=lr, batch=batch, depth=depth, width=width)
        self.p, self.q = p, q
        self.batch = int(batch)
        self.rng = np.random.default_rng(seed)
        torch.manual_seed(seed)
        self.d = Discriminator1D.for_mixtures(p, q, depth=depth, width=width)
        self.optimizer = torch.optim.Adam(self.d.parameters(), lr=lr, betas=(0.5, 0.999))
        self.steps = 0
        lo, hi = support(p, q)
        edges = np.linspace(lo, hi, QUADRATURE_CELLS + 1)
        self._x = 0.5 * (edges[:-1] + edges[1:])  # midpoints: never on a density's jump
        self._dx = (hi - lo) / QUADRATURE_CELLS
        self._p, self._q = p.density(self._x), q.density(self._x)

    def step(self, n: int = 1) -> None:
        """n Adam steps of −E_p log D − E_q log(1 − D)."""
        for _ in range(n):
            real = torch.from_numpy(self.p.sample(self.batch, self.rng)).float()
            fake = torch.from_numpy(self.q.sample(self.batch, self.rng)).float()
            loss = F.softplus(-self.d(real)).mean() + F.softplus(self.d(fake)).mean()
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.optimizer.step()
            self.steps += 1

    def run_for(self, seconds: float, chunk: int = 25) -> int:
        """Steps in chunks until `seconds` have passed; returns the number of steps taken."""
        start, before = time.perf_counter(), self.steps
        with single_thread():
            while time.perf_counter() - start < seconds:
                self.step(chunk)
        return self.steps - before

    @torch.no_grad()
    def probability(self, x) -> np.ndarray:
        """D(x) = P(real) at the points x (any shape) -> same shape."""
        x = np.asarray(x, dtype=np.float64)
        flat = torch.from_numpy(x.ravel()).float()
        return torch.sigmoid(self.d(flat)).double().numpy().reshape(x.shape)

    def value(self) -> float:
        """V(D, G) = E_p log D + E_q log(1 − D), by the midpoint rule over the joint support."""
        d = np.clip(self.probability(self._x), 1e-12, 1 - 1e-12)
        return float(np.sum(self._p * np.log(d) + self._q * np.log1p(-d)) * self._dx)

    def gap(self) -> float:
        """E over the half-half mixture of p and q of |D − D*|: 0 for the optimal D, at most 1."""
        weight = 0.5 * (self._p + self._q)
        return float(np.sum(weight * np.abs(self.probability(self._x) - optimal_d(self._p, self._q))) * self._dx)
