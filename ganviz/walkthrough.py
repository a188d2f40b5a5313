"""Slow motion: one real training iteration, recorded stage by stage for the user to step through.

`walk_one_iteration(trainer)` runs `trainer.step(1)` (so the run advances exactly as a normal
step would, NaN guard included) while the trainer records the first D step and the first G step of
that iteration, and returns the eight stages with a sentence each:
sample z -> G(z) -> D on real -> D on fake -> D loss -> D update -> G loss -> G update.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

STAGE_KEYS = ("sample_z", "generate", "d_real", "d_fake", "d_loss", "d_update", "g_loss", "g_update")


@dataclass
class Stage:
    key: str  # one of STAGE_KEYS
    title: str  # a few words, e.g. "D on real data"
    explanation: str  # one sentence with this iteration's numbers
    real: np.ndarray | None = None  # (B, 2) the real batch D saw (stages d_real ...)
    fake: np.ndarray | None = None  # (B, 2) the fake batch (stages generate ...)
    d_real: np.ndarray | None = None  # (B,) D's display values on the real batch
    d_fake: np.ndarray | None = None  # (B,) D's display values on the fake batch
    push: np.ndarray | None = None  # (B, 2) -∇ₓ of G's loss at each fake of the G step
    z: np.ndarray | None = None  # (B, noise_dim) the noise batch
    snapshot: object | None = None  # a Snapshot of the whole view at this stage (before / after updates)
