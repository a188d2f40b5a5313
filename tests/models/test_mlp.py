"""MLP generator/discriminator: shapes, spectral norm, minibatch features, config wiring."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn
from torch.nn.utils import parametrize

from ganviz.config import GANConfig
from ganviz.models.minibatch import MinibatchDiscrimination, MinibatchStddev
from ganviz.models.mlp import ACTIVATIONS, MLPDiscriminator, MLPGenerator, build_mlp_networks as build_networks
from ganviz.models.spectral import spectral_sigmas


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


# --- spectral norm --------------------------------------------------------------------------------

@pytest.mark.parametrize("which", ["D", "G"])
def test_spectral_sigmas_match_svd_after_power_iterations(which):
    torch.manual_seed(0)
    net = (MLPDiscriminator(depth=2, width=16, spectral_norm=True) if which == "D"
           else MLPGenerator(4, depth=2, width=16, spectral_norm=True))
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


# --- minibatch discrimination ---------------------------------------------------------------------

def hand_minibatch_features(h: np.ndarray, T: np.ndarray, kernels: int, kdim: int,
                            reference: np.ndarray | None) -> np.ndarray:
    """o_b(x_i) = mean over j of exp(-‖M_ib - M_jb‖₁), j ranging over the reference (j ≠ i for the batch itself)."""
    m = (h @ T).reshape(len(h), kernels, kdim)
    r = m if reference is None else (reference @ T).reshape(len(reference), kernels, kdim)
    out = np.zeros((len(h), kernels))
    for i in range(len(h)):
        for b in range(kernels):
            terms = [math.exp(-np.abs(m[i, b] - r[j, b]).sum())
                     for j in range(len(r)) if reference is not None or j != i]
            out[i, b] = sum(terms) / len(terms)
    return out


def make_mbd(in_features=3, kernels=4, kdim=2, seed=0):
    torch.manual_seed(seed)
    mbd = MinibatchDiscrimination(in_features, kernels=kernels, kernel_dim=kdim).double()
    with torch.no_grad():
        mbd.T.mul_(10)  # make distances O(1) so exp(-L1) is informative
    return mbd


def test_minibatch_discrimination_matches_hand_computation_self_excluded():
    mbd = make_mbd()
    h = torch.randn(5, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(1)) * 0.3
    out = mbd(h, h)
    assert out.shape == (5, 3 + 4)
    torch.testing.assert_close(out[:, :3], h)
    expected = hand_minibatch_features(h.numpy(), mbd.T.detach().numpy(), 4, 2, None)
    np.testing.assert_allclose(out[:, 3:].detach().numpy(), expected, rtol=1e-10, atol=1e-12)
    assert (expected < 1).all() and (expected > 1e-6).all()  # the check is not vacuous


def test_minibatch_discrimination_two_points_excludes_self_term():
    mbd = make_mbd()
    h = torch.tensor([[0.1, 0.0, -0.2], [0.0, 0.05, 0.1]], dtype=torch.float64)
    out = mbd(h, h)[:, 3:].detach()
    m = (h @ mbd.T.detach()).view(2, 4, 2)
    d = (m[0] - m[1]).abs().sum(-1)  # (K,) L1 distance per kernel
    # Each sample's only other sample is the other one: exp(-d), not (1 + exp(-d)) / 2.
    torch.testing.assert_close(out[0], torch.exp(-d))
    torch.testing.assert_close(out[1], torch.exp(-d))
    assert not torch.allclose(out[0], (1 + torch.exp(-d)) / 2)


def test_minibatch_discrimination_against_other_reference():
    mbd = make_mbd()
    gen = torch.Generator().manual_seed(2)
    h = torch.randn(4, 3, dtype=torch.float64, generator=gen) * 0.3
    ref = torch.randn(6, 3, dtype=torch.float64, generator=gen) * 0.3
    out = mbd(h, ref)[:, 3:].detach().numpy()
    expected = hand_minibatch_features(h.numpy(), mbd.T.detach().numpy(), 4, 2, ref.numpy())
    np.testing.assert_allclose(out, expected, rtol=1e-10, atol=1e-12)
    # A copy of h (not the same tensor) as reference includes each sample's own exp(0) = 1 term.
    out_copy = mbd(h, h.clone())[:, 3:].detach().numpy()
    np.testing.assert_allclose(out_copy, hand_minibatch_features(h.numpy(), mbd.T.detach().numpy(), 4, 2,
                                                                 h.numpy()), rtol=1e-10)


def test_identical_batch_gives_closeness_one_and_spread_batch_less():
    mbd = make_mbd(kernels=5, kdim=3)
    same = torch.tensor([[0.3, -1.0, 2.0]], dtype=torch.float64).repeat(6, 1)
    out_same = mbd(same, same)[:, 3:]
    torch.testing.assert_close(out_same, torch.ones(6, 5, dtype=torch.float64))
    pair = same[:2]
    torch.testing.assert_close(mbd(pair, pair)[:, 3:], torch.ones(2, 5, dtype=torch.float64))
    spread = torch.randn(6, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(3)) * 5
    out_spread = mbd(spread, spread)[:, 3:]
    assert (out_spread < 0.5).all()


def test_discriminator_reference_changes_output():
    torch.manual_seed(0)
    d = MLPDiscriminator(depth=2, width=8, minibatch="discrimination")
    with torch.no_grad():
        d.minibatch.T.mul_(5)
    gen = torch.Generator().manual_seed(4)
    x = torch.randn(10, 2, generator=gen)
    other = torch.randn(10, 2, generator=gen) * 3 + 2
    own = d(x)
    with_self = d(x, reference=x)
    with_other = d(x, reference=other)
    assert not torch.allclose(own, with_other, atol=1e-4)
    assert not torch.allclose(with_self, with_other, atol=1e-4)
    # The default compares the batch with itself, self excluded: same as the hand formula on trunk features.
    h = d.trunk(x).detach().double().numpy()
    T = d.minibatch.T.detach().double().numpy()
    np.testing.assert_allclose(d.features(x)[:, 8:].detach().numpy(),
                               hand_minibatch_features(h, T, 16, 4, None), rtol=1e-4, atol=1e-6)


# --- minibatch stddev -----------------------------------------------------------------------------

def test_minibatch_stddev_appends_mean_feature_std_of_reference():
    gen = torch.Generator().manual_seed(5)
    h = torch.randn(4, 3, dtype=torch.float64, generator=gen)
    ref = torch.randn(7, 3, dtype=torch.float64, generator=gen) * torch.tensor([0.5, 2.0, 3.0], dtype=torch.float64)
    out = MinibatchStddev()(h, ref)
    assert out.shape == (4, 4)
    torch.testing.assert_close(out[:, :3], h)
    expected = np.std(ref.numpy(), axis=0, ddof=0).mean()
    np.testing.assert_allclose(out[:, 3].numpy(), np.full(4, expected), rtol=1e-7)
    # Identical reference rows: spread ~ 0 (only the 1e-8 stabiliser, sqrt = 1e-4).
    flat = MinibatchStddev()(h, ref[:1].repeat(5, 1))
    assert (flat[:, 3] < 2e-4).all()


def test_discriminator_stddev_feature_is_spread_of_trunk_features():
    torch.manual_seed(0)
    d = MLPDiscriminator(depth=2, width=6, minibatch="stddev").double()
    x = torch.randn(11, 2, dtype=torch.float64)
    ref = torch.randn(5, 2, dtype=torch.float64)
    feats = d.features(x).detach()
    h = d.trunk(x).detach().numpy()
    # rel 1e-4: the module adds a 1e-8 stabiliser under the square root.
    assert feats[:, -1].numpy() == pytest.approx(np.full(11, h.std(axis=0).mean()), rel=1e-4)
    h_ref = d.trunk(ref).detach().numpy()
    assert d.features(x, reference=ref)[:, -1].detach().numpy() == pytest.approx(
        np.full(11, h_ref.std(axis=0).mean()), rel=1e-4)
    assert h_ref.std(axis=0).mean() != pytest.approx(h.std(axis=0).mean(), rel=1e-2)


# --- gradients ------------------------------------------------------------------------------------

@pytest.mark.parametrize("minibatch", ["stddev", "discrimination"])
def test_gradients_flow_through_minibatch_features(minibatch):
    torch.manual_seed(0)
    d = MLPDiscriminator(depth=2, width=8, minibatch=minibatch, spectral_norm=True)
    x = torch.randn(6, 2)
    x = torch.cat([x, x[:2]])  # duplicates: zero L1 distances inside cdist
    x.requires_grad_(True)
    ref = torch.randn(5, 2, requires_grad=True)
    (d(x).sum() + d(x, reference=ref).sum()).backward()
    for name, p in d.named_parameters():
        assert p.grad is not None, name
        assert torch.isfinite(p.grad).all(), name
    assert torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0
    assert torch.isfinite(ref.grad).all() and ref.grad.abs().sum() > 0
    if minibatch == "discrimination":
        assert d.minibatch.T.grad.abs().sum() > 0


# --- build_networks -------------------------------------------------------------------------------

def test_build_networks_respects_config():
    cfg = GANConfig(noise_dim=5, g_depth=2, g_width=16, g_activation="tanh", d_depth=4, d_width=8,
                    d_activation="elu", batch_norm_g=True, spectral_norm_d=True, minibatch_features="stddev")
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
