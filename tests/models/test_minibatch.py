"""Minibatch discrimination and minibatch stddev against hand computations, inside D, and their gradients."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from ganviz.models.minibatch import MinibatchDiscrimination, MinibatchStddev
from ganviz.models.mlp import MLPDiscriminator

# --- minibatch discrimination ---------------------------------------------------------------------


def hand_minibatch_features(
    h: np.ndarray, T: np.ndarray, kernels: int, kdim: int, reference: np.ndarray | None
) -> np.ndarray:
    """o_b(x_i) = mean over j of exp(-‖M_ib - M_jb‖₁), j ranging over the reference (j ≠ i for the batch itself)."""
    m = (h @ T).reshape(len(h), kernels, kdim)
    r = m if reference is None else (reference @ T).reshape(len(reference), kernels, kdim)
    out = np.zeros((len(h), kernels))
    for i in range(len(h)):
        for b in range(kernels):
            terms = [
                math.exp(-np.abs(m[i, b] - r[j, b]).sum()) for j in range(len(r)) if reference is not None or j != i
            ]
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
    np.testing.assert_allclose(
        out_copy, hand_minibatch_features(h.numpy(), mbd.T.detach().numpy(), 4, 2, h.numpy()), rtol=1e-10
    )


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
    np.testing.assert_allclose(
        d.features(x)[:, 8:].detach().numpy(), hand_minibatch_features(h, T, 16, 4, None), rtol=1e-4, atol=1e-6
    )


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
        np.full(11, h_ref.std(axis=0).mean()), rel=1e-4
    )
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
