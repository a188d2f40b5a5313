"""A clock for `run_for` that moves only when training does, so time budgets give exact iteration counts."""

from __future__ import annotations

from ganviz.training import timing


class TrainingClock:
    """Stands in for the `time` module of ganviz.training.timing: each trained iteration costs `per_iteration`
    seconds (a power of two keeps the sums exact)."""

    def __init__(self, per_iteration: float):
        self.per_iteration = per_iteration
        self.now = 0.0

    def perf_counter(self) -> float:
        return self.now


def train_on_a_fake_clock(monkeypatch, trainer, per_iteration: float = 1 / 64) -> TrainingClock:
    """Make `trainer.run_for` (a Trainer's or a Race's) see time pass only as it trains."""
    clock = TrainingClock(per_iteration)
    monkeypatch.setattr(timing, "time", clock)
    step = trainer.step

    def timed_step(n: int) -> int:
        done = step(n)
        clock.now += done * clock.per_iteration
        return done

    monkeypatch.setattr(trainer, "step", timed_step)
    return clock
