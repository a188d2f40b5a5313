"""`python -m ganviz bench`: headless iterations per second of one 2D run."""

from __future__ import annotations

import platform
import time

import torch

from ganviz.config import GANConfig
from ganviz.training.runtime import synchronise
from ganviz.training.trainer import Trainer

WARMUP_ITERATIONS = 200  # lets allocator and autograd caches settle before timing


def machine() -> dict:
    """What a benchmark ran on."""
    return {
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "cpu": platform.processor() or platform.machine(),
    }


def bench_train_2d(config: GANConfig | None = None, seconds: float = 5.0) -> dict:
    """Headless iterations/s of a 2D config (default: the default config) after a warm-up."""
    config = config or GANConfig()
    trainer = Trainer(config)
    trainer.step(WARMUP_ITERATIONS)
    start_iteration, start = trainer.iteration, time.perf_counter()
    trainer.run_for(seconds)
    synchronise(trainer.device)
    elapsed = time.perf_counter() - start
    iterations = trainer.iteration - start_iteration
    return {
        "benchmark": "train-2d",
        "iters_per_sec": iterations / elapsed,
        "iterations": iterations,
        "seconds": elapsed,
        "config": config.to_dict(),
        "device": str(trainer.device),
        **machine(),
    }
