"""Slow motion: one real training iteration, recorded stage by stage for the user to step through.

`walk_one_iteration(trainer)` runs `trainer.step(1)` (so the run advances exactly as a normal
step would, NaN guard included) while callbacks record the first D step and the first G step of
that iteration, and returns the eight stages with a sentence each:
sample z -> G(z) -> D on real -> D on fake -> D loss -> D update -> G loss -> G update.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

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


def _np(t) -> np.ndarray:
    return t.double().cpu().numpy()


def _record_first_steps() -> tuple[dict, dict]:
    """Callbacks that keep what slow motion shows of an iteration's first D step and first G step."""
    t: dict = {}

    def on_d_step(tr, step) -> None:
        if "d_loss" not in t:
            t.update(
                z=step.z,
                real=step.real,
                fake=step.fake,
                d_real=tr.probability(step.d_real),
                d_fake=tr.probability(step.d_fake),
                d_loss=step.loss,
            )

    def on_d_steps_done(tr) -> None:
        if "after_d" not in t:
            t["after_d"] = tr.snapshot(with_metrics=False)

    def on_g_step(tr, step) -> None:
        if "g_loss" not in t:
            # The loss is a mean over the batch: scale by B for each point's own gradient.
            (grad,) = torch.autograd.grad(step.loss, step.fake, retain_graph=True)
            t.update(
                g_fake=step.fake.detach(),
                g_d_fake=tr.probability(step.d_fake.detach()),
                g_loss=step.loss.detach(),
                g_push=-grad * len(step.fake),
            )

    return t, dict(on_d_step=on_d_step, on_d_steps_done=on_d_steps_done, on_g_step=on_g_step)


def walk_one_iteration(trainer) -> list[Stage]:
    """Train one iteration of `trainer` and return its eight stages (empty if training diverged)."""
    cfg, loss = trainer.config, trainer.loss
    before = trainer.snapshot(with_metrics=False)
    t, callbacks = _record_first_steps()
    with trainer.callbacks.watching(**callbacks):
        done = trainer.step(1)
    if done == 0:
        return []
    after = trainer.snapshot(with_metrics=False)
    b, unit = (
        len(t["real"]),
        ("D(x)" if loss.output == "probability" else "the score" if loss.output == "score" else "the critic f(x)"),
    )
    real, fake, d_real, d_fake = _np(t["real"]), _np(t["fake"]), _np(t["d_real"]), _np(t["d_fake"])
    noise = "N(0, I)" if cfg.noise == "gaussian" else "uniform on [-1, 1]"
    k_d = f" (the batches shown are from the first of the {cfg.d_steps})" if cfg.d_steps > 1 else ""
    return [
        Stage(
            "sample_z",
            "Sample noise z",
            f"Draw {b} noise vectors z of dimension {cfg.noise_dim} from {noise}: G's only source of variety.",
            z=_np(t["z"]),
            snapshot=before,
        ),
        Stage(
            "generate",
            "Generate G(z)",
            f"G maps each z to a point in the plane: these {b} fakes are what D will judge.",
            fake=fake,
            snapshot=before,
        ),
        Stage(
            "d_real",
            "D on real data",
            f"D scores a batch of {b} real points: mean {unit} = {d_real.mean():.3f} (D wants it high).",
            real=real,
            d_real=d_real,
            snapshot=before,
        ),
        Stage(
            "d_fake",
            "D on fake data",
            f"D scores the fakes: mean {unit.replace('x', 'G(z)')} = {d_fake.mean():.3f} (D wants it low, G wants "
            f"it high).",
            fake=fake,
            d_fake=d_fake,
            snapshot=before,
        ),
        Stage(
            "d_loss",
            "D's loss",
            f"{loss.title}: D's loss on this batch is {float(t['d_loss']):.4f}; its gradient says how to "
            f"raise the surface under real points and lower it under fakes.",
            real=real,
            fake=fake,
            d_real=d_real,
            d_fake=d_fake,
            snapshot=before,
        ),
        Stage(
            "d_update",
            "D update",
            f"D takes {cfg.d_steps} {cfg.optimizer_d} step(s) at learning rate {cfg.lr_d:g}: the decision "
            f"surface shifts to separate the two batches better{k_d}.",
            real=real,
            fake=fake,
            snapshot=t["after_d"],
        ),
        Stage(
            "g_loss",
            "G's loss",
            f"G's loss on a fresh batch is {float(t['g_loss']):.4f}; the arrows show −∇ₓ of it, the direction "
            f"each fake is pushed across D's new surface.",
            fake=_np(t["g_fake"]),
            d_fake=_np(t["g_d_fake"]),
            push=_np(t["g_push"]),
            snapshot=t["after_d"],
        ),
        Stage(
            "g_update",
            "G update",
            f"G takes {cfg.g_steps} {cfg.optimizer_g} step(s) at learning rate {cfg.lr_g:g}: its samples "
            f"move along the arrows. Iteration {trainer.iteration} is done.",
            fake=after.fake,
            snapshot=after,
        ),
    ]
