"""Unrolled GANs: differentiable optimiser steps against the real torch optimisers, their differentiability, and
G's gradient through D's look-ahead."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.func import functional_call

from ganviz import Trainer
from ganviz.training.unrolled import differentiable_step, optimizer_state_by_name, unrolled_d_outputs
from support.runs import small

LR = 0.01
BETA1, BETA2 = 0.5, 0.999

# (kind, momentum, torch optimiser factory with the same hyperparameters)
CASES = {
    "adam": ("adam", 0.0, lambda p: torch.optim.Adam(p, lr=LR, betas=(BETA1, BETA2), eps=1e-8)),
    "sgd": ("sgd", 0.0, lambda p: torch.optim.SGD(p, lr=LR)),
    "sgd-momentum": ("sgd", 0.9, lambda p: torch.optim.SGD(p, lr=LR, momentum=0.9)),
    "rmsprop": ("rmsprop", 0.0, lambda p: torch.optim.RMSprop(p, lr=LR, alpha=0.99, eps=1e-8)),
    "rmsprop-momentum": ("rmsprop", 0.9, lambda p: torch.optim.RMSprop(p, lr=LR, alpha=0.99, eps=1e-8, momentum=0.9)),
}


def setup(seed: int = 0, dtype=torch.float32):
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    lin = nn.Linear(3, 2).to(dtype)
    x = torch.randn(8, 3, generator=gen, dtype=dtype)
    y = torch.randn(8, 2, generator=gen, dtype=dtype)
    return lin, x, y


def loss_fn(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return ((out - y) ** 2).mean() + 0.1 * out.pow(4).mean()


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_step_matches_torch_optimiser_from_its_state(case):
    kind, momentum, make = CASES[case]
    lin, x, y = setup()
    named = dict(lin.named_parameters())
    opt = make(lin.parameters())
    for step in range(5):
        # Change the batch every step so the moments are not all proportional to one gradient.
        xb = x * (1 + 0.3 * step)
        loss = loss_fn(lin(xb), y)
        grads = torch.autograd.grad(loss, list(named.values()))
        grads = dict(zip(named, grads))
        state = optimizer_state_by_name(opt, named)
        if step == 0:
            assert all(s == {} for s in state.values())
        params = {n: p.detach().clone() for n, p in named.items()}
        new_params, new_state = differentiable_step(kind, params, grads, state, LR, BETA1, BETA2, momentum)

        for n, p in named.items():
            p.grad = grads[n].clone()
        opt.step()
        for n, p in named.items():
            torch.testing.assert_close(new_params[n], p.detach(), rtol=0, atol=1e-6, msg=f"{case} step {step} {n}")
            assert not torch.equal(new_params[n], params[n])  # the step moved the parameter

        # The returned state holds the same moments as torch's.
        torch_state = optimizer_state_by_name(opt, named)
        for n in named:
            for key, value in new_state.get(n, {}).items():
                if key == "step":
                    assert value == torch_state[n]["step"] == step + 1
                else:
                    torch.testing.assert_close(value, torch_state[n][key], rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("case", sorted(CASES))
def test_chained_steps_match_torch(case):
    """k differentiable steps feeding their own state forward (as in unrolling) follow k torch steps."""
    kind, momentum, make = CASES[case]
    lin, x, y = setup(seed=1)
    named = dict(lin.named_parameters())
    opt = make(lin.parameters())
    # Two real steps first, so the unroll starts from non-trivial moments.
    for _ in range(2):
        opt.zero_grad()
        loss_fn(lin(x), y).backward()
        opt.step()
    params = {n: p.detach().clone().requires_grad_(True) for n, p in named.items()}
    state = optimizer_state_by_name(opt, named)
    for step in range(4):
        xb = x + 0.1 * step
        g = torch.autograd.grad(
            loss_fn(functional_call(lin, params, (xb,)), y), list(params.values()), create_graph=True
        )
        params, state = differentiable_step(kind, params, dict(zip(params, g)), state, LR, BETA1, BETA2, momentum)

        opt.zero_grad()
        loss_fn(lin(xb), y).backward()
        opt.step()
    for n, p in named.items():
        torch.testing.assert_close(params[n].detach(), p.detach(), rtol=0, atol=1e-6)


def test_optimizer_state_by_name_is_detached_and_keyed_by_name():
    lin, x, y = setup()
    named = dict(lin.named_parameters())
    opt = torch.optim.Adam(lin.parameters(), lr=LR)
    loss_fn(lin(x), y).backward()
    opt.step()
    state = optimizer_state_by_name(opt, named)
    assert set(state) == {"weight", "bias"}
    assert isinstance(state["weight"]["step"], float) and state["weight"]["step"] == 1.0
    for key in ("exp_avg", "exp_avg_sq"):
        assert not state["weight"][key].requires_grad
        assert state["weight"][key].shape == lin.weight.shape
        torch.testing.assert_close(state["bias"][key], opt.state[lin.bias][key])


def test_unknown_optimiser_rejected():
    p = {"w": torch.zeros(2)}
    with pytest.raises(ValueError, match="lbfgs"):
        differentiable_step("lbfgs", p, p, {}, LR, BETA1, BETA2, 0.0)


@pytest.mark.parametrize("case", sorted(CASES))
def test_step_is_differentiable_wrt_upstream_tensor(case):
    """As in unrolled GANs: the gradients come from D's loss on G's output u; a function of the
    updated parameters must back-propagate to u through the optimiser step."""
    kind, momentum, make = CASES[case]
    lin, x, y = setup(seed=2, dtype=torch.float64)
    named = dict(lin.named_parameters())
    opt = make(lin.parameters())
    for _ in range(2):  # real moments (Adam/RMSprop's first step is ~lr·sign(g), nearly flat in g)
        opt.zero_grad()
        loss_fn(lin(x), y).backward()
        opt.step()
    state = optimizer_state_by_name(opt, named)
    params = {n: p.detach().clone().requires_grad_(True) for n, p in named.items()}
    x_eval = torch.randn(5, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(9))

    def after_step(u: torch.Tensor) -> torch.Tensor:
        g = torch.autograd.grad(
            loss_fn(functional_call(lin, params, (u,)), y), list(params.values()), create_graph=True
        )
        new, _ = differentiable_step(kind, params, dict(zip(params, g)), state, 0.1, BETA1, BETA2, momentum)
        return functional_call(lin, new, (x_eval,)).pow(2).sum()

    u = x.clone().requires_grad_(True)
    (grad_u,) = torch.autograd.grad(after_step(u), u)
    assert torch.isfinite(grad_u).all()
    assert grad_u.abs().max() > 1e-6
    # And it is the right gradient: compare with central finite differences.
    assert torch.autograd.gradcheck(after_step, (u,), eps=1e-6, atol=1e-5, rtol=1e-4)


def test_unrolled_g_gradient_differs_from_plain_and_flows_through_the_lookahead():
    plain, unrolled = Trainer(small(seed=5)), Trainer(small(seed=5, unrolled_steps=3))
    fake = plain.G(plain.noise())
    out_plain = plain.D(fake)
    out_unrolled = unrolled_d_outputs(unrolled, unrolled.G(unrolled.noise()), None)
    assert not torch.allclose(out_plain, out_unrolled)
    grads = torch.autograd.grad(unrolled.loss.g_loss(out_unrolled), unrolled.g_params)
    assert all(torch.isfinite(g).all() for g in grads) and sum(g.abs().sum() for g in grads) > 0
