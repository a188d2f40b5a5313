"""The loss registry: every objective against hand-written formulas on tiny tensors."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from ganviz.losses import LOSSES

R = [0.0, 2.0]  # D's raw outputs on real data
FK = [-1.0, 0.5]  # D's raw outputs on fakes


def sig(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def mean(xs) -> float:
    xs = list(xs)
    return sum(xs) / len(xs)


def relu(x: float) -> float:
    return max(0.0, x)


# Hand-written objectives (plain floats, math module only).
def bce_d(r, f, t):
    real = mean(-(t * math.log(sig(x)) + (1 - t) * math.log(1 - sig(x))) for x in r)
    fake = mean(-math.log(1 - sig(x)) for x in f)
    return real + fake


def ls_d(r, f, t):
    return mean(0.5 * (x - t) ** 2 for x in r) + mean(0.5 * x**2 for x in f)


def w_d(r, f, t):
    return mean(f) - mean(r)


def hinge_d(r, f, t):
    return mean(relu(1 - x) for x in r) + mean(relu(1 + x) for x in f)


EXPECTED = {
    "minimax": (bce_d, lambda f: mean(math.log(1 - sig(x)) for x in f)),
    "nonsaturating": (bce_d, lambda f: mean(-math.log(sig(x)) for x in f)),
    "least-squares": (ls_d, lambda f: mean(0.5 * (x - 1) ** 2 for x in f)),
    "wasserstein": (w_d, lambda f: -mean(f)),
    "wgan-gp": (w_d, lambda f: -mean(f)),
    "hinge": (hinge_d, lambda f: -mean(f)),
}


def t(xs) -> torch.Tensor:
    return torch.tensor(xs, dtype=torch.float64)


def test_every_registered_loss_has_a_hand_check():
    assert set(LOSSES) == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
@pytest.mark.parametrize("target", [1.0, 0.9, 0.75])
def test_d_loss_matches_hand_formula(name, target):
    loss = LOSSES[name]
    got = loss.d_loss(t(R), t(FK), target)
    assert got.dim() == 0
    assert got.item() == pytest.approx(EXPECTED[name][0](R, FK, target), rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_d_loss_default_target_is_one(name):
    loss = LOSSES[name]
    assert loss.d_loss(t(R), t(FK)).item() == pytest.approx(EXPECTED[name][0](R, FK, 1.0), rel=1e-12)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_g_loss_matches_hand_formula(name):
    got = LOSSES[name].g_loss(t(FK))
    assert got.dim() == 0
    assert got.item() == pytest.approx(EXPECTED[name][1](FK), rel=1e-12, abs=1e-12)


def test_hand_values_spot_check():
    # A few numbers written out in full, independent of the helper functions above.
    assert LOSSES["hinge"].d_loss(t(R), t(FK)).item() == pytest.approx((1 + 0) / 2 + (0 + 1.5) / 2)
    assert LOSSES["wasserstein"].d_loss(t(R), t(FK)).item() == pytest.approx(-0.25 - 1.0)
    assert LOSSES["least-squares"].d_loss(t(R), t(FK)).item() == pytest.approx(0.5 * (1 + 1) / 2 + 0.5 * (1 + 0.25) / 2)
    assert LOSSES["least-squares"].g_loss(t(FK)).item() == pytest.approx(0.5 * (4 + 0.25) / 2)
    # BCE at logit 0 is log 2 on both sides.
    assert LOSSES["minimax"].d_loss(t([0.0]), t([0.0])).item() == pytest.approx(2 * math.log(2))


@pytest.mark.parametrize("target", [1.0, 0.9, 0.7])
def test_bce_matches_torch_bce_with_logits(target):
    gen = torch.Generator().manual_seed(0)
    r = torch.randn(64, generator=gen, dtype=torch.float64) * 3
    f = torch.randn(64, generator=gen, dtype=torch.float64) * 3
    ref = F.binary_cross_entropy_with_logits(r, torch.full_like(r, target)) + F.binary_cross_entropy_with_logits(
        f, torch.zeros_like(f)
    )
    for name in ("minimax", "nonsaturating"):
        assert LOSSES[name].d_loss(r, f, target).item() == pytest.approx(ref.item(), rel=1e-12)
    ns_ref = F.binary_cross_entropy_with_logits(f, torch.ones_like(f))
    assert LOSSES["nonsaturating"].g_loss(f).item() == pytest.approx(ns_ref.item(), rel=1e-12)
    mm_ref = -F.binary_cross_entropy_with_logits(f, torch.zeros_like(f))  # E[log(1 - D)]
    assert LOSSES["minimax"].g_loss(f).item() == pytest.approx(mm_ref.item(), rel=1e-12)


def test_bce_is_stable_for_large_logits():
    r, f = t([80.0, -80.0]), t([-80.0, 80.0])
    d = LOSSES["minimax"].d_loss(r, f)
    # -log σ(80) ≈ 0, -log σ(-80) ≈ 80; same for fakes.
    assert d.item() == pytest.approx(80.0, rel=1e-9)
    assert torch.isfinite(LOSSES["minimax"].g_loss(f))
    assert torch.isfinite(LOSSES["nonsaturating"].g_loss(f))


@pytest.mark.parametrize("name", ["wasserstein", "wgan-gp", "hinge"])
def test_critic_losses_ignore_the_label(name):
    loss = LOSSES[name]
    assert not loss.uses_labels
    assert loss.d_loss(t(R), t(FK), 0.8).item() == loss.d_loss(t(R), t(FK), 1.0).item()


@pytest.mark.parametrize("name", ["minimax", "nonsaturating", "least-squares"])
def test_label_losses_use_the_label(name):
    loss = LOSSES[name]
    assert loss.uses_labels
    assert loss.d_loss(t(R), t(FK), 0.8).item() != pytest.approx(loss.d_loss(t(R), t(FK), 1.0).item())


def _grad_of_g_loss(name: str, logit: float) -> float:
    x = torch.tensor([logit], dtype=torch.float64, requires_grad=True)
    LOSSES[name].g_loss(x).backward()
    return x.grad.item()


def test_minimax_saturates_where_d_rejects_fakes_and_nonsaturating_does_not():
    # D(G(z)) = σ(-10) ≈ 4.5e-5: D confidently rejects the fake.
    mm = _grad_of_g_loss("minimax", -10.0)
    ns = _grad_of_g_loss("nonsaturating", -10.0)
    assert abs(mm) < 1e-4
    assert mm == pytest.approx(-sig(-10.0), rel=1e-9)  # d/dl log(1 - σ(l)) = -σ(l)
    assert ns == pytest.approx(-1.0, abs=1e-4)
    assert ns == pytest.approx(sig(-10.0) - 1.0, rel=1e-9)  # d/dl -log σ(l) = σ(l) - 1
    # The vanishing gradient gets worse as D gets more confident.
    assert abs(_grad_of_g_loss("minimax", -20.0)) < abs(mm) < abs(_grad_of_g_loss("minimax", -5.0))


def test_at_logit_zero_both_generator_gradients_are_half():
    mm = _grad_of_g_loss("minimax", 0.0)
    ns = _grad_of_g_loss("nonsaturating", 0.0)
    assert abs(mm) == pytest.approx(0.5, abs=1e-12)
    assert abs(ns) == pytest.approx(0.5, abs=1e-12)
    # Both push the logit up (descent direction increases D(G(z))).
    assert mm < 0 and ns < 0


def test_registry_outputs_and_flags():
    for name, loss in LOSSES.items():
        assert loss.name == name
        assert loss.output in {"probability", "score", "critic"}
        assert loss.title and loss.formula_d and loss.formula_g
    assert [n for n, loss in LOSSES.items() if loss.clip_weights] == ["wasserstein"]
    assert [n for n, loss in LOSSES.items() if loss.gradient_penalty] == ["wgan-gp"]
    assert LOSSES["minimax"].output == LOSSES["nonsaturating"].output == "probability"
    assert LOSSES["least-squares"].output == "score"
