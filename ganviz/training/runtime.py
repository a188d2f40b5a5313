"""Where and how training runs: the device, one torch thread, evaluation mode, waiting for a GPU.

Small models are dispatcher-bound: one intra-op thread is faster than two here (measured ~30x
slower per iteration on 2 cores when extra threads spin against a web server and a browser),
and a fixed thread count keeps floating-point reductions, hence trained weights, reproducible.
"""

from __future__ import annotations

from contextlib import contextmanager

import torch

DEVICES = ("auto", "cpu", "cuda", "mps")  # "auto": cuda, then mps, then cpu


def _mps_available() -> bool:
    return bool(getattr(torch.backends, "mps", None) and torch.backends.mps.is_available())


def resolve_device(name: str) -> torch.device:
    """The torch device for a config's `device` setting; ValueError when it is not on this machine."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "mps" if _mps_available() else "cpu")
    available = {"cpu": True, "cuda": torch.cuda.is_available(), "mps": _mps_available()}
    if not available[name]:
        raise ValueError(f"{name} is not available on this machine; use auto or cpu")
    return torch.device(name)


def synchronise(device: torch.device) -> None:
    """Wait for a GPU's queued work (before reading a clock); nothing to wait for on the CPU."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


@contextmanager
def eval_mode(*modules):
    """Evaluate without side effects: batch norm uses running stats, spectral norm skips its power step."""
    was = [m.training for m in modules]
    for m in modules:
        m.eval()
    try:
        yield
    finally:
        for m, w in zip(modules, was):
            m.train(w)


def use_one_thread() -> None:
    """Put this whole process on one torch thread (the app, the CLI and the workers call it at start)."""
    if torch.get_num_threads() != 1:
        torch.set_num_threads(1)


@contextmanager
def single_thread():
    """Run the block on one torch thread, then restore the previous count.

    Does nothing where the process is already on one thread. That matters in the app: switching
    the count back and forth from a script thread of the web server while other pages train left
    the playground's later frames crawling (seen in the browser tests), so the app sets one
    thread once, at start, and this never touches it there.
    """
    before = torch.get_num_threads()
    if before == 1:
        yield
        return
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)
