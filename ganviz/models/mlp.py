"""MLP generator and discriminator for 2D points, with spectral norm, minibatch features and batch norm.

The calling convention every network of ganviz follows: `G(z, labels=None)` maps noise (B, noise_dim)
to samples, here points (B, 2); `D(x, labels=None, *, reference=None)` maps samples to raw outputs (B,)
(a logit, a least-squares score or a critic value, depending on the loss). These MLPs are not
class-conditional: their `labels` must be None.
"""

from __future__ import annotations

import torch
from torch import nn

from ganviz.models.minibatch import compare_with_batch, minibatch_layer
from ganviz.models.spectral import linear

ACTIVATIONS = {
    "relu": nn.ReLU,
    "leaky_relu": lambda: nn.LeakyReLU(0.2),
    "tanh": nn.Tanh,
    "elu": nn.ELU,
    "gelu": nn.GELU,
    "silu": nn.SiLU,
}


def _no_labels(labels) -> None:
    if labels is not None:
        raise ValueError("the 2D networks are not class-conditional: labels must be None")


class MLPGenerator(nn.Module):
    def __init__(
        self,
        noise_dim: int,
        depth: int,
        width: int,
        activation: str = "relu",
        batch_norm: bool = False,
        spectral_norm: bool = False,
        out_dim: int = 2,
    ):
        super().__init__()
        layers, n_in = [], noise_dim
        for _ in range(depth):
            layers.append(linear(n_in, width, spectral_norm))
            if batch_norm:
                layers.append(nn.BatchNorm1d(width))
            layers.append(ACTIVATIONS[activation]())
            n_in = width
        layers.append(linear(n_in, out_dim, spectral_norm))
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        _no_labels(labels)
        return self.net(z)


class MLPDiscriminator(nn.Module):
    def __init__(
        self,
        depth: int,
        width: int,
        activation: str = "leaky_relu",
        spectral_norm: bool = False,
        minibatch: str = "none",
        in_dim: int = 2,
    ):
        super().__init__()
        layers, n_in = [], in_dim
        for _ in range(depth):
            layers += [linear(n_in, width, spectral_norm), ACTIVATIONS[activation]()]
            n_in = width
        self.trunk = nn.Sequential(*layers)
        self.minibatch = minibatch_layer(minibatch, width)
        if self.minibatch is not None:
            n_in += self.minibatch.extra_features
        self.head = linear(n_in, 1, spectral_norm)

    @property
    def batch_dependent(self) -> bool:
        """True when D's output for a sample depends on the rest of its batch."""
        return self.minibatch is not None

    def features(
        self, x: torch.Tensor, labels: torch.Tensor | None = None, *, reference: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Penultimate features (B, F). With minibatch features, `reference` (R, 2) is the batch that
        each sample is compared with (default: x's own batch)."""
        _no_labels(labels)
        return compare_with_batch(self.trunk, self.minibatch, self.trunk(x), reference)

    def forward(
        self, x: torch.Tensor, labels: torch.Tensor | None = None, *, reference: torch.Tensor | None = None
    ) -> torch.Tensor:
        return self.head(self.features(x, labels, reference=reference)).squeeze(-1)


def build_mlp_networks(cfg) -> tuple[MLPGenerator, MLPDiscriminator]:
    """G and D for 2D points from a config's network settings."""
    g = MLPGenerator(cfg.noise_dim, cfg.g_depth, cfg.g_width, cfg.g_activation, cfg.batch_norm_g, cfg.spectral_norm_g)
    d = MLPDiscriminator(cfg.d_depth, cfg.d_width, cfg.d_activation, cfg.spectral_norm_d, cfg.minibatch_features)
    return g, d
