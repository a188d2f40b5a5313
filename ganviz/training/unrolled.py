"""Unrolled GANs (Metz et al., 2017): G's update looks through k differentiable D steps.

G's update looks at D *after* k more D steps, and back-propagates through those steps, so G is
penalised for moves that D would punish next. The steps reproduce D's own optimiser (Adam, SGD or
RMSprop with its current moments) as differentiable tensor arithmetic on a copy of D's parameters.
"""

from __future__ import annotations

import torch
from torch.func import functional_call

from ganviz.training.runtime import eval_mode
from ganviz.training.tricks import real_target

Params = dict[str, torch.Tensor]


def differentiable_step(
    kind: str,
    params: Params,
    grads: Params,
    state: dict[str, dict],
    lr: float,
    beta1: float,
    beta2: float,
    momentum: float,
) -> tuple[Params, dict[str, dict]]:
    """One optimiser step on `params` that keeps the autograd graph. `state[name]` is the torch
    optimiser's state for that parameter (possibly empty); returns new params and new state."""
    new_params, new_state = {}, {}
    for name, p in params.items():
        g, s = grads[name], state.get(name, {})
        if kind == "adam":
            t = float(s.get("step", 0)) + 1
            m = beta1 * s.get("exp_avg", torch.zeros_like(p)) + (1 - beta1) * g
            v = beta2 * s.get("exp_avg_sq", torch.zeros_like(p)) + (1 - beta2) * g * g
            # The tiny constant keeps sqrt differentiable where a gradient is exactly zero.
            update = (m / (1 - beta1**t)) / (torch.sqrt(v / (1 - beta2**t) + 1e-30) + 1e-8)
            new_state[name] = {"step": t, "exp_avg": m, "exp_avg_sq": v}
        elif kind == "sgd":
            update = g
            if momentum > 0:
                buf = s.get("momentum_buffer")
                update = g if buf is None else momentum * buf + g
                new_state[name] = {"momentum_buffer": update}
        elif kind == "rmsprop":
            square_avg = 0.99 * s.get("square_avg", torch.zeros_like(p)) + 0.01 * g * g
            update = g / (torch.sqrt(square_avg + 1e-30) + 1e-8)
            new_state[name] = {"square_avg": square_avg}
            if momentum > 0:
                buf = s.get("momentum_buffer")
                update = update if buf is None else momentum * buf + update
                new_state[name]["momentum_buffer"] = update
        else:
            raise ValueError(f"unknown optimiser {kind!r}")
        new_params[name] = p - lr * update
    return new_params, new_state


def optimizer_state_by_name(optimizer: torch.optim.Optimizer, named_params: Params) -> dict[str, dict]:
    """The optimiser's per-parameter state, keyed by parameter name, detached."""
    out = {}
    for name, p in named_params.items():
        s = optimizer.state.get(p, {})
        out[name] = {
            k: (v.detach() if torch.is_tensor(v) and k != "step" else float(v) if k == "step" else v)
            for k, v in s.items()
        }
    return out


def unrolled_d_outputs(trainer, fake_for_g: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
    """D's outputs on G's samples after `unrolled_steps` differentiable D updates, taken on fresh batches
    with D's own optimiser and its current moments: G sees how D would react to its move."""
    cfg, loss, D = trainer.config, trainer.loss, trainer.D
    named = dict(D.named_parameters())
    params = {n: p.detach().requires_grad_(True) for n, p in named.items()}
    state = optimizer_state_by_name(trainer.opt_d, named)
    with eval_mode(D):  # no power-iteration side effects on D's buffers while looking ahead
        for _ in range(cfg.unrolled_steps):
            real, real_labels = trainer.real_batch()
            real = trainer.blur(real)
            fake = trainer.blur(trainer.G(trainer.noise(), real_labels))  # not detached: G sees D's reaction
            d_real = functional_call(D, params, (real, real_labels))
            d_fake = functional_call(D, params, (fake, real_labels))
            d_loss = loss.d_loss(d_real, d_fake, real_target(cfg))
            grads = torch.autograd.grad(d_loss, list(params.values()), create_graph=True)
            params, state = differentiable_step(
                cfg.optimizer_d,
                params,
                dict(zip(params, grads)),
                state,
                cfg.lr_d,
                cfg.beta1_d,
                cfg.beta2_d,
                cfg.momentum_d,
            )
        return functional_call(D, params, (fake_for_g, labels))
