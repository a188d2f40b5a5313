"""The balance tricks that act inside a training step, each a small function: instance noise, one-sided
label smoothing, the extra generator losses and the EMA copy of G used for sampling."""

from __future__ import annotations

import copy

import torch
from torch import nn

# --- instance noise (Sønderby et al. 2016; Arjovsky & Bottou 2017) ------------------------------------


def instance_noise_std(config, iteration: int) -> float:
    """The std of the noise added to D's inputs at `iteration`: constant, or annealed linearly to 0."""
    if config.instance_noise == 0:
        return 0.0
    if config.instance_noise_anneal == 0:
        return config.instance_noise
    return config.instance_noise * max(0.0, 1.0 - iteration / config.instance_noise_anneal)


def add_noise(x: torch.Tensor, std: float, rng: torch.Generator) -> torch.Tensor:
    """x blurred by N(0, std²) noise (x itself when std is 0: no random draw)."""
    if std == 0:
        return x
    return x + std * torch.randn(x.shape, generator=rng, device=x.device)


# --- one-sided label smoothing (Salimans et al. 2016) ---------------------------------------------------


def real_target(config) -> float:
    """The label D is trained to give real data: 1, or 1 - s with one-sided label smoothing s."""
    return 1.0 - config.label_smoothing


# --- extra generator losses ---------------------------------------------------------------------------


def feature_matching(D: nn.Module, fake: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
    """Salimans et al. (2016): match D's mean penultimate features on real data."""
    with torch.no_grad():
        target = D.features(real).mean(0)
    return (D.features(fake).mean(0) - target).pow(2).sum()


def moment_matching(D: nn.Module, fake: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
    """Independent of D: match the data's mean and covariance (over all pixels for images)."""
    fake, real = fake.flatten(1), real.flatten(1)
    mean_gap = (fake.mean(0) - real.mean(0)).pow(2).sum()
    cov_gap = (torch.cov(fake.T) - torch.cov(real.T)).pow(2).sum()
    return mean_gap + cov_gap


EXTRA_G_LOSSES = {"none": None, "feature-matching": feature_matching, "moment-matching": moment_matching}


# --- the EMA copy of G (Yazıcı et al. 2019) ----------------------------------------------------------


class EMA:
    """An exponential moving average of G's weights: a copy that follows G and draws the pictures."""

    def __init__(self, generator: nn.Module):
        self.model = copy.deepcopy(generator).requires_grad_(False)
        # what the average moves, listed once (module traversals cost more than the update itself)
        self._params = list(self.model.parameters())
        self._buffers = list(zip(self.model.buffers(), generator.buffers()))

    @staticmethod
    def decay_at(decay: float, updates: int) -> float:
        """Warm-up (as in TensorFlow's moving averages): early on, the average must not cling to the random
        initialisation for the ~1/(1-decay) steps a fixed decay would take."""
        return min(decay, (1 + updates) / (10 + updates))

    @torch.no_grad()
    def follow(self, generator_params: list[torch.Tensor], decay: float) -> None:
        torch._foreach_lerp_(self._params, generator_params, 1.0 - decay)
        for average, current in self._buffers:
            average.copy_(current)
