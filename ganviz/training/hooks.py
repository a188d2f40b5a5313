"""Callbacks: how the outside world watches a Trainer step without being threaded through it (minGPT's
pattern). Slow motion, benchmarks and the app register a function for an event; the Trainer fires it.

Events and their arguments:
- "on_d_step" (trainer, DStep): a discriminator step's batches and outputs, before D's update.
- "on_d_steps_done" (trainer): an iteration's D steps are done; its G steps come next.
- "on_g_step" (trainer, GStep): a generator step's fakes and loss (its graph alive), before G's update.
- "on_iteration" (trainer, stats): an iteration is done; stats are its history values (tensors).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass

import torch

EVENTS = ("on_d_step", "on_d_steps_done", "on_g_step", "on_iteration")


@dataclass
class DStep:
    z: torch.Tensor  # (B, noise_dim) the noise batch
    real: torch.Tensor  # (B, ...) the real batch D saw (after instance noise)
    fake: torch.Tensor  # (B, ...) G(z), detached
    d_real: torch.Tensor  # (B,) D's raw outputs on the real batch
    d_fake: torch.Tensor  # (B,) D's raw outputs on the fakes
    loss: torch.Tensor  # D's whole loss, penalties included


@dataclass
class GStep:
    fake: torch.Tensor  # (B, ...) G(z), with its graph: the loss can be differentiated with respect to it
    d_fake: torch.Tensor  # (B,) D's raw outputs on the fakes
    loss: torch.Tensor  # G's whole loss, extra losses included


class Callbacks:
    """Functions registered per event, called in the order they were added."""

    def __init__(self):
        self._by_event: dict[str, list[Callable]] = {event: [] for event in EVENTS}

    def add(self, event: str, fn: Callable) -> None:
        if event not in self._by_event:
            raise ValueError(f"unknown event {event!r}; events are: {', '.join(EVENTS)}")
        self._by_event[event].append(fn)

    def remove(self, event: str, fn: Callable) -> None:
        self._by_event[event].remove(fn)

    def wanted(self, event: str) -> bool:
        """Whether anything listens to `event` (so a step builds its record only when it is read)."""
        return bool(self._by_event[event])

    def fire(self, event: str, *args) -> None:
        for fn in self._by_event[event]:
            fn(*args)

    @contextmanager
    def watching(self, **functions: Callable):
        """Register `event=function` pairs for the length of a block."""
        for event, fn in functions.items():
            self.add(event, fn)
        try:
            yield
        finally:
            for event, fn in functions.items():
                self.remove(event, fn)
