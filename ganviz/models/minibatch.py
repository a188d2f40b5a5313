"""Minibatch features: D sees how a sample relates to the rest of its batch, so a collapsed G shows.

Both layers take h (N, F) and the batch each sample is compared with, `reference` (R, F), and return
(N, F + extra_features). `MINIBATCH_FEATURES` is the registry the config's choices come from.
"""

from __future__ import annotations

import torch
from torch import nn


class MinibatchStddev(nn.Module):
    """Appends one feature: the mean over features of the batch standard deviation (ProGAN).

    A collapsed generator produces batches with tiny spread, which D can then see directly.
    """

    extra_features = 1

    def forward(self, h: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:
        spread = torch.sqrt(reference.var(dim=-2, unbiased=False) + 1e-8).mean(-1, keepdim=True)  # (1,)
        return torch.cat([h, spread.unsqueeze(-2).expand(*h.shape[:-1], 1)], dim=-1)


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
        shape = (self.kernels, self.kernel_dim)
        m = (h @ self.T).unflatten(-1, shape).transpose(-3, -2)  # (K, N, C)
        if reference is h:  # exclude each sample's exp(0) = 1 closeness to itself
            r, n_ref, self_term = m, h.shape[-2] - 1, 1.0
        else:
            r = (reference @ self.T).unflatten(-1, shape).transpose(-3, -2)
            n_ref, self_term = reference.shape[-2], 0.0
        # Explicit L1 distances, not torch.cdist: penalties such as R1 need a double backward,
        # which cdist does not implement.
        l1 = (m[..., :, None, :] - r[..., None, :, :]).abs().sum(-1)  # (K, N, R)
        closeness = torch.exp(-l1).sum(-1)  # (K, N)
        o = (closeness - self_term) / max(n_ref, 1)
        return torch.cat([h, o.transpose(-1, -2)], dim=-1)


def _stddev(in_features: int) -> MinibatchStddev:
    return MinibatchStddev()


# name -> a builder taking D's feature count (None: no minibatch features)
MINIBATCH_FEATURES = {"none": None, "stddev": _stddev, "discrimination": MinibatchDiscrimination}


def minibatch_layer(kind: str, in_features: int) -> nn.Module | None:
    """The minibatch layer `kind` for D's `in_features` features, or None for "none"."""
    if kind not in MINIBATCH_FEATURES:
        raise ValueError(f"minibatch_features must be one of {tuple(MINIBATCH_FEATURES)}, got {kind!r}")
    build = MINIBATCH_FEATURES[kind]
    return None if build is None else build(in_features)


def compare_with_batch(
    trunk_features, minibatch: nn.Module | None, h: torch.Tensor, reference: torch.Tensor | None
) -> torch.Tensor:
    """h's features with the minibatch features appended: each sample compared with `reference`
    (passed through `trunk_features` first), or with h's own batch when no reference is given."""
    if minibatch is None:
        return h
    return minibatch(h, h if reference is None else trunk_features(reference))
