"""The generator's input noise z: Gaussian N(0, I) or uniform on [-1, 1]^dim."""

from __future__ import annotations

import torch

NOISE_KINDS = ("gaussian", "uniform")


def sample_noise(
    n: int, dim: int, kind: str, generator: torch.Generator | None = None, device: torch.device | str = "cpu"
) -> torch.Tensor:
    """(n, dim) float32 noise on `device`, drawn from `generator` (which must live on `device`)."""
    if kind == "gaussian":
        return torch.randn(n, dim, generator=generator, device=device)
    if kind == "uniform":
        return torch.rand(n, dim, generator=generator, device=device) * 2 - 1
    raise ValueError(f"unknown noise {kind!r}; choose one of: {', '.join(NOISE_KINDS)}")
