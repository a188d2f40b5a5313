"""Spectral normalisation (Miyato et al. 2018): each weight divided by its largest singular value,
estimated by one power-iteration step per forward pass."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils import parametrize
from torch.nn.utils.parametrizations import spectral_norm


def linear(n_in: int, n_out: int, spectral: bool) -> nn.Linear:
    """A linear layer, spectrally normalised when `spectral`."""
    layer = nn.Linear(n_in, n_out)
    return spectral_norm(layer) if spectral else layer


def spectral_norm_all(module: nn.Module) -> None:
    """Spectral norm on every weight layer of `module`: linear, conv and embeddings."""
    for m in list(module.modules()):  # a snapshot: parametrizing adds modules
        if isinstance(m, (nn.Linear, nn.Conv2d, nn.Embedding)):
            spectral_norm(m)


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
