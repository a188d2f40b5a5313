"""Small runs for engine tests: a config that trains in milliseconds, and comparisons of networks."""

from __future__ import annotations

import torch

from ganviz.config import GANConfig

SMALL = dict(g_width=16, d_width=16, g_depth=2, d_depth=2, batch_size=32)


def small(**changes) -> GANConfig:
    """The default run with small networks and batches, and `changes`."""
    return GANConfig(**{**SMALL, **changes})


def params(module: torch.nn.Module) -> list[torch.Tensor]:
    """Copies of a network's parameters."""
    return [p.detach().clone() for p in module.parameters()]


def same(a: list[torch.Tensor], b: list[torch.Tensor]) -> bool:
    """Whether two lists of tensors are equal, bit for bit."""
    return len(a) == len(b) and all(torch.equal(x, y) for x, y in zip(a, b))
