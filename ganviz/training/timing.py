"""Training for a stretch of wall time, for anything with `step(n)` and a `divergence` (a run, a race)."""

from __future__ import annotations

import time

from ganviz.training.guard import GUARD_EVERY


class TimedTraining:
    """Adds `run_for(seconds)` to a class with `step(n) -> int` and `divergence` (None while it may go on)."""

    _seconds_per_iteration: float | None = None  # run_for's measurement (new settings: measured anew)

    def run_for(self, seconds: float, limit: int | None = None) -> int:
        """Train for about `seconds` of wall time, and at most `limit` iterations; returns iterations completed.
        Chunks are sized from the measured time per iteration, remembered across calls: many short calls (a
        worker's) then train in chunks as long as one long call's, not one iteration at a time."""
        deadline, done = time.perf_counter() + seconds, 0
        while self.divergence is None and (limit is None or done < limit):
            left = deadline - time.perf_counter()
            per_iteration = self._seconds_per_iteration
            chunk = 1 if per_iteration is None else int(max(1, min(GUARD_EVERY, left / per_iteration)))
            if limit is not None:
                chunk = min(chunk, limit - done)
            start = time.perf_counter()
            k = self.step(chunk)
            done += k
            if k:
                self._seconds_per_iteration = (time.perf_counter() - start) / k
            if deadline - time.perf_counter() <= 0 or k == 0:
                break
        return done
