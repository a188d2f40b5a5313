"""One torch thread for the small models this project trains.

Small models are dispatcher-bound: one intra-op thread is faster than two here (measured ~30x
slower per iteration on 2 cores when extra threads spin against a web server and a browser),
and a fixed thread count keeps floating-point reductions, hence trained weights, reproducible.
"""
from __future__ import annotations
from contextlib import contextmanager
import torch


def use_one_thread() -> None:
    """Put this whole process on one torch thread (the app and the CLI call it at start)."""
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
