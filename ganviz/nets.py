"""MLP generator and discriminator for 2D GANs, with spectral norm, minibatch features and batch norm.

Shapes: G maps noise (B, noise_dim) -> points (B, 2). D maps points (B, 2) -> raw outputs (B,)
(a logit, a least-squares score or a critic value, depending on the loss).
"""
from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils import parametrize
from torch.nn.utils.parametrizations import spectral_norm as _spectral_norm

ACTIVATIONS = {
    "relu": nn.ReLU,
    "leaky_relu": lambda: nn.LeakyReLU(0.2),
    "tanh": nn.Tanh,
    "elu": nn.ELU,
    "gelu": nn.GELU,
    "silu": nn.SiLU,
}


def _linear(n_in: int, n_out: int, spectral: bool) -> nn.Linear:
    layer = nn.Linear(n_in, n_out)
    return _spectral_norm(layer) if spectral else layer


class MLPGenerator(nn.Module):
    def __init__(self, noise_dim: int, depth: int, width: int, activation: str = "relu",
                 batch_norm: bool = False, spectral_norm: bool = False, out_dim: int = 2):
        super().__init__()
        layers, n_in = [], noise_dim
        for _ in range(depth):
            layers.append(_linear(n_in, width, spectral_norm))
            if batch_norm:
                layers.append(nn.BatchNorm1d(width))
            layers.append(ACTIVATIONS[activation]())
            n_in = width
        layers.append(_linear(n_in, out_dim, spectral_norm))
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z)


class MinibatchStddev(nn.Module):
    """Appends one feature: the mean over features of the batch standard deviation (ProGAN).

    A collapsed generator produces batches with tiny spread, which D can then see directly.
    """

    extra_features = 1

    def forward(self, h: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:
        spread = torch.sqrt(reference.var(dim=0, unbiased=False) + 1e-8).mean()
        return torch.cat([h, spread.expand(h.shape[0], 1)], dim=1)


class MinibatchDiscrimination(nn.Module):
    """Salimans et al. (2016): for each of `kernels` projections, how close a sample is to the batch.

    h (N, A) is projected by T (A, kernels·kernel_dim); o_b(x_i) = mean_j exp(-‖M_i,b - M_j,b‖₁) over
    the reference batch (excluding x_i itself when the reference is the batch), appended to h.
    """

    def __init__(self, in_features: int, kernels: int = 16, kernel_dim: int = 4):
        super().__init__()
        self.kernels, self.kernel_dim = kernels, kernel_dim
        self.extra_features = kernels
        self.T = nn.Parameter(torch.randn(in_features, kernels * kernel_dim) * 0.1)

    def forward(self, h: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:
        m = (h @ self.T).view(-1, self.kernels, self.kernel_dim).transpose(0, 1)  # (K, N, C)
        if reference is h:  # exclude each sample's exp(0) = 1 closeness to itself
            r, n_ref, self_term = m, h.shape[0] - 1, 1.0
        else:
            r = (reference @ self.T).view(-1, self.kernels, self.kernel_dim).transpose(0, 1)
            n_ref, self_term = reference.shape[0], 0.0
        # Explicit L1 distances, not torch.cdist: penalties such as R1 need a double backward,
        # which cdist does not implement.
        l1 = (m[:, :, None, :] - r[:, None, :, :]).abs().sum(-1)  # (K, N, R)
        closeness = torch.exp(-l1).sum(-1)  # (K, N)
        o = (closeness - self_term) / max(n_ref, 1)
        return torch.cat([h, o.transpose(0, 1)], dim=1)


class MLPDiscriminator(nn.Module):
    def __init__(self, depth: int, width: int, activation: str = "leaky_relu", spectral_norm: bool = False,
                 minibatch: str = "none", in_dim: int = 2):
        super().__init__()
        layers, n_in = [], in_dim
        for _ in range(depth):
            layers += [_linear(n_in, width, spectral_norm), ACTIVATIONS[activation]()]
            n_in = width
        self.trunk = nn.Sequential(*layers)
        self.minibatch = None
        if minibatch != "none":
            self.minibatch = MinibatchDiscrimination(width) if minibatch == "discrimination" else MinibatchStddev()
            n_in += self.minibatch.extra_features
        self.head = _linear(n_in, 1, spectral_norm)

    @property
    def batch_dependent(self) -> bool:
        """True when D's output for a sample depends on the rest of its batch."""
        return self.minibatch is not None

    def features(self, x: torch.Tensor, reference: torch.Tensor | None = None) -> torch.Tensor:
        """Penultimate features (B, F). With minibatch features, `reference` (R, 2) is the batch that
        each sample is compared with (default: x's own batch)."""
        h = self.trunk(x)
        if self.minibatch is not None:
            h = self.minibatch(h, h if reference is None else self.trunk(reference))
        return h

    def forward(self, x: torch.Tensor, reference: torch.Tensor | None = None) -> torch.Tensor:
        return self.head(self.features(x, reference)).squeeze(-1)


def spectral_sigmas(module: nn.Module) -> list[float]:
    """Current power-iteration estimates u·W·v of the largest singular value of each spectrally
    normalised weight (the raw weight, before division), in module order."""
    sigmas = []
    for m in module.modules():
        if parametrize.is_parametrized(m, "weight"):
            sn = m.parametrizations.weight[0]
            w = m.parametrizations.weight.original.detach().flatten(1)
            sigmas.append(float(torch.dot(sn._u, torch.mv(w, sn._v))))
    return sigmas


def build_networks(cfg) -> tuple[MLPGenerator, MLPDiscriminator]:
    g = MLPGenerator(cfg.noise_dim, cfg.g_depth, cfg.g_width, cfg.g_activation, cfg.batch_norm_g,
                     cfg.spectral_norm_g)
    d = MLPDiscriminator(cfg.d_depth, cfg.d_width, cfg.d_activation, cfg.spectral_norm_d, cfg.minibatch_features)
    return g, d
