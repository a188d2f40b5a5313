"""MLP generator and discriminator: shapes, options, and the networks a config builds."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.nn.utils import parametrize

from ganviz.config import GANConfig
from ganviz.models.minibatch import MinibatchDiscrimination, MinibatchStddev
from ganviz.models.mlp import ACTIVATIONS, MLPDiscriminator, MLPGenerator
from ganviz.models.mlp import build_mlp_networks as build_networks


def count(module: nn.Module, kind: type) -> int:
    return sum(isinstance(m, kind) for m in module.modules())


def parametrized_linears(module: nn.Module) -> list[nn.Linear]:
    return [m for m in module.modules() if isinstance(m, nn.Linear) and parametrize.is_parametrized(m, "weight")]


# --- shapes ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("depth,width", [(1, 1), (2, 8), (4, 32)])
@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_generator_shapes(depth, width, activation):
    torch.manual_seed(0)
    g = MLPGenerator(noise_dim=3, depth=depth, width=width, activation=activation)
    out = g(torch.randn(5, 3))
    assert out.shape == (5, 2)
    assert torch.isfinite(out).all()
    assert count(g, nn.Linear) == depth + 1
    assert count(g, nn.BatchNorm1d) == 0


@pytest.mark.parametrize("batch_norm", [False, True])
@pytest.mark.parametrize("spectral", [False, True])
@pytest.mark.parametrize("noise_dim", [1, 64])
def test_generator_options(batch_norm, spectral, noise_dim):
    torch.manual_seed(0)
    g = MLPGenerator(noise_dim, depth=3, width=16, batch_norm=batch_norm, spectral_norm=spectral)
    assert g(torch.randn(8, noise_dim)).shape == (8, 2)
    g.eval()
    assert g(torch.randn(1, noise_dim)).shape == (1, 2)  # eval mode works on a single sample even with BN
    assert count(g, nn.BatchNorm1d) == (3 if batch_norm else 0)
    assert len(parametrized_linears(g)) == (4 if spectral else 0)
    assert g.net[0].in_features == noise_dim


@pytest.mark.parametrize("depth,width", [(1, 1), (2, 8), (4, 32)])
@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_discriminator_shapes(depth, width, activation):
    torch.manual_seed(0)
    d = MLPDiscriminator(depth=depth, width=width, activation=activation)
    out = d(torch.randn(6, 2))
    assert out.shape == (6,)
    assert count(d, nn.Linear) == depth + 1
    assert not d.batch_dependent


@pytest.mark.parametrize("minibatch,extra", [("none", 0), ("stddev", 1), ("discrimination", 16)])
@pytest.mark.parametrize("spectral", [False, True])
def test_discriminator_options(minibatch, extra, spectral):
    torch.manual_seed(0)
    d = MLPDiscriminator(depth=2, width=12, spectral_norm=spectral, minibatch=minibatch)
    x = torch.randn(9, 2)
    assert d(x).shape == (9,)
    assert d.features(x).shape == (9, 12 + extra)
    assert d(x, reference=torch.randn(4, 2)).shape == (9,)
    assert d.head.in_features == 12 + extra
    assert d.batch_dependent == (minibatch != "none")
    assert len(parametrized_linears(d)) == (3 if spectral else 0)


# --- build_networks -------------------------------------------------------------------------------


def test_build_networks_respects_config():
    cfg = GANConfig(
        noise_dim=5,
        g_depth=2,
        g_width=16,
        g_activation="tanh",
        d_depth=4,
        d_width=8,
        d_activation="elu",
        batch_norm_g=True,
        spectral_norm_d=True,
        minibatch_features="stddev",
    )
    g, d = build_networks(cfg)
    assert count(g, nn.Linear) == 3 and count(d, nn.Linear) == 5
    assert count(g, nn.BatchNorm1d) == 2 and count(d, nn.BatchNorm1d) == 0
    assert count(g, nn.Tanh) == 2 and count(d, nn.ELU) == 4
    assert count(g, nn.ReLU) == 0
    assert len(parametrized_linears(d)) == 5 and len(parametrized_linears(g)) == 0
    linears_g = [m for m in g.modules() if isinstance(m, nn.Linear)]
    assert linears_g[0].in_features == 5 and linears_g[0].out_features == 16 and linears_g[-1].out_features == 2
    assert isinstance(d.minibatch, MinibatchStddev) and d.head.in_features == 9
    z = torch.randn(10, 5)
    assert g(z).shape == (10, 2) and d(g(z)).shape == (10,)


def test_build_networks_defaults():
    cfg = GANConfig()
    g, d = build_networks(cfg)
    assert count(g, nn.Linear) == cfg.g_depth + 1 and count(d, nn.Linear) == cfg.d_depth + 1
    assert count(g, nn.BatchNorm1d) == 0
    assert count(g, nn.ReLU) == cfg.g_depth and count(d, nn.LeakyReLU) == cfg.d_depth
    assert d.minibatch is None and not parametrized_linears(d) and not parametrized_linears(g)
    assert [m.out_features for m in g.modules() if isinstance(m, nn.Linear)][:-1] == [cfg.g_width] * cfg.g_depth
    _, d2 = build_networks(GANConfig(minibatch_features="discrimination", spectral_norm_g=True))
    assert isinstance(d2.minibatch, MinibatchDiscrimination)
