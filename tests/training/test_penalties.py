"""D's penalties and weight clipping inside a real D step, against closed forms for a linear critic."""

import pytest
import torch

from ganviz import Trainer
from support.runs import small


def make_linear_critic(trainer, w, b):
    """Make D(x) = w·x + b exactly: zero every layer but a path that carries x through."""
    d = trainer.D
    with torch.no_grad():
        for p in d.parameters():
            p.zero_()
        first = d.trunk[0]
        first.weight[0] = torch.tensor(w)  # unit 0 carries w·x (kept positive below, so leaky ReLU is identity)
        first.bias[0] = 100.0
        for layer in list(d.trunk)[2::2]:
            layer.weight[0, 0] = 1.0
        d.head.weight[0, 0] = 1.0
        d.head.bias[0] = b - 100.0


def test_gradient_penalty_matches_closed_form_for_a_linear_critic():
    t = Trainer(small(loss="wgan-gp"))
    make_linear_critic(t, [3.0, 4.0], 0.5)
    x = torch.randn(8, 2)
    assert torch.allclose(t.D(x), x @ torch.tensor([3.0, 4.0]) + 0.5, atol=1e-4)
    penalty = t.gradient_penalty(torch.randn(16, 2), torch.randn(16, 2))
    assert penalty.item() == pytest.approx((5.0 - 1.0) ** 2, rel=1e-5)  # ‖∇D‖ = ‖w‖ = 5 everywhere


def test_r1_penalty_matches_closed_form_for_a_linear_critic():
    # With a linear critic and lr 0 nothing moves; the recorded loss is WGAN's gap plus γ/2·‖w‖².
    t = Trainer(small(loss="wasserstein", clip=10.0, r1_weight=2.0, optimizer_d="sgd", lr_d=1e-6))
    make_linear_critic(t, [0.6, 0.8], 0.0)
    stats = t.d_step()
    gap = stats["critic_gap"].item()
    assert stats["loss_d"].item() == pytest.approx(-gap + 2.0 / 2 * 1.0, abs=1e-4)


def test_weight_clipping_bounds_every_critic_weight():
    t = Trainer(small(loss="wasserstein", clip=0.02, lr_d=0.05))
    t.step(5)
    assert all(p.abs().max().item() <= 0.02 + 1e-7 for p in t.D.parameters())
