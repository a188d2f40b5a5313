"""Spectral norm on the MLPs: the power-iteration estimates it exposes against the SVD."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.nn.utils import parametrize

from ganviz.models.mlp import MLPDiscriminator, MLPGenerator
from ganviz.models.spectral import spectral_sigmas


def parametrized_linears(module: nn.Module) -> list[nn.Linear]:
    return [m for m in module.modules() if isinstance(m, nn.Linear) and parametrize.is_parametrized(m, "weight")]


# --- spectral norm --------------------------------------------------------------------------------


@pytest.mark.parametrize("which", ["D", "G"])
def test_spectral_sigmas_match_svd_after_power_iterations(which):
    torch.manual_seed(0)
    net = (
        MLPDiscriminator(depth=2, width=16, spectral_norm=True)
        if which == "D"
        else MLPGenerator(4, depth=2, width=16, spectral_norm=True)
    )
    x = torch.randn(32, 2 if which == "D" else 4)
    net.train()
    with torch.no_grad():
        for _ in range(300):  # one power iteration per forward in train mode
            net(x)
    layers = parametrized_linears(net)
    sigmas = spectral_sigmas(net)
    assert len(sigmas) == len(layers) == 3
    net.eval()  # reading .weight in eval mode does not advance the power iteration
    for sigma, layer in zip(sigmas, layers):
        raw = layer.parametrizations.weight.original.detach()
        true_sigma = torch.linalg.svdvals(raw)[0].item()
        assert sigma == pytest.approx(true_sigma, rel=1e-3)
        effective = layer.weight.detach()
        assert torch.linalg.svdvals(effective)[0].item() == pytest.approx(1.0, rel=1e-3)
        torch.testing.assert_close(effective * true_sigma, raw, rtol=2e-3, atol=1e-6)


def test_spectral_sigmas_empty_without_spectral_norm():
    assert spectral_sigmas(MLPDiscriminator(depth=2, width=8)) == []
