"""`python -m ganviz train --dry-run`: two iterations of every loss on ring8, and of every loss with every
image model on scikit-learn's 8×8 digits, each followed by a snapshot and an evaluation. Offline and in
seconds, it shows that every path of the engine runs (pytorch/examples' habit), before any test does."""

from __future__ import annotations

import math
import time

import numpy as np

from ganviz.config import GANConfig, image_config
from ganviz.losses import LOSSES
from ganviz.models.image import IMAGE_MODELS
from ganviz.training.trainer import Trainer

SMALL_POINTS = dict(dataset="ring8", g_width=16, d_width=16, g_depth=2, d_depth=2, batch_size=32)
ITERATIONS = 2


def configs(device: str = "auto") -> list[tuple[str, GANConfig]]:
    """(name, config) of every run the dry run trains."""
    out = [(f"ring8/{loss}", GANConfig(**SMALL_POINTS, loss=loss, device=device)) for loss in LOSSES]
    for model in IMAGE_MODELS:
        for loss in LOSSES:
            config = image_config("digits", image_model=model, loss=loss, batch_size=16, device=device)
            out.append((f"digits/{model}/{loss}", config))
    conditional = image_config("digits", conditional=True, acgan_weight=1.0, batch_size=16, device=device)
    return out + [("digits/conditional-acgan", conditional)]


def _finite(value) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    return not isinstance(value, np.ndarray) or bool(np.isfinite(value).all())


def check(config: GANConfig) -> str | None:
    """Train ITERATIONS iterations, snapshot and evaluate; None when all went well, else what went wrong."""
    trainer = Trainer(config)
    if trainer.step(ITERATIONS) != ITERATIONS:
        return f"stopped early: {trainer.divergence.message}"
    snapshot = trainer.snapshot()
    bad = [k for k, v in vars(snapshot).items() if not _finite(v)]
    bad += [f"metrics[{k}]" for k, v in snapshot.metrics.items() if not _finite(v)]
    return f"non-finite {', '.join(bad)}" if bad else None


def dry_run(device: str = "auto") -> dict:
    """Every run of `configs`; the result lists any that failed (with why) and the time taken."""
    start, failed, names = time.perf_counter(), {}, []
    for name, config in configs(device):
        names.append(name)
        try:
            problem = check(config)
        except Exception as e:  # a dry run reports every failure, not only the first
            problem = f"{type(e).__name__}: {e}"
        if problem:
            failed[name] = problem
    return {
        "dry_run": True,
        "device": device,
        "iterations_each": ITERATIONS,
        "runs": len(names),
        "passed": len(names) - len(failed),
        "failed": failed,
        "seconds": time.perf_counter() - start,
    }
