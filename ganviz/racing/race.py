"""A race: two to four runs trained side by side on the same data, seed and clock.

A `Race` is a set of plain Trainers, one per run of its `RaceConfig`. One `step(n)` is n iterations of
every run still training, so their iteration counts stay aligned. Long steps train the runs in parallel
worker processes (`lockstep.py`), each run identical to the same run trained alone because it is that
Trainer; short ones (a Step button) train them one after another here. A run that diverges stops at its
last finite state and the race pauses (`divergence`); `resume()` leaves it behind and trains the others.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from ganviz.racing.config import RaceConfig
from ganviz.racing.lockstep import Lockstep, WorkerLost
from ganviz.training.guard import GUARD_EVERY, Divergence, TrainingDiverged
from ganviz.training.timing import TimedTraining
from ganviz.training.trainer import Trainer
from ganviz.training.worker import apply_frame

RACE_GRID_SIZE = 60  # D's surface in a small multiple: 60 x 60 points
WORKER_IDLE_S = 60.0  # a headless race's workers wait this long for its next step before they stop


@dataclass(frozen=True)
class RaceDivergence:
    """A run of the race that diverged: the race pauses until it is left behind (`Race.resume`)."""

    run: str
    divergence: Divergence

    @property
    def message(self) -> str:
        d = self.divergence
        return (
            f"Run {self.run} diverged at iteration {d.iteration}: {d.problem}. It stays at iteration "
            f"{d.iteration - 1}, its last finite state; continuing trains the other runs on without it."
        )


@dataclass
class RaceSnapshot:
    """One moment of the race: each run's snapshot, and its metrics when measured."""

    iteration: int  # the race's clock: the iteration of the runs still training
    names: tuple[str, ...]
    runs: list  # each run's snapshot (its domain's kind)
    metrics: dict  # run name -> its metrics with its own "iteration"; {} when not measured


class Race(TimedTraining):
    def __init__(self, config: RaceConfig, points: np.ndarray | None = None, images=None, parallel: bool | None = None):
        """`points`: the user's 2D data (dataset custom), shared by every run; `images`: an image dataset
        already loaded (default: loaded once, for run A, and shared). `parallel`: train long steps in
        worker processes (default: where the machine has more than one core)."""
        self.config = config
        first = Trainer(config.runs[0], points=points, images=images)
        images = first.domain.all_images or images  # loaded once, shared by every run
        self.runs = [first] + [Trainer(c, points=points, images=images) for c in config.runs[1:]]
        self.points = points
        self.left_behind = [False] * len(self.runs)  # diverged runs the race goes on without
        self.parallel = (os.cpu_count() or 1) > 1 if parallel is None else parallel
        self._lockstep: Lockstep | None = None

    @property
    def names(self) -> tuple[str, ...]:
        return self.config.names

    @property
    def iteration(self) -> int:
        return max(t.iteration for t in self.runs)

    @property
    def device(self):
        return self.runs[0].device

    @property
    def domain(self) -> str:
        return self.config.domain

    @property
    def divergence(self) -> RaceDivergence | None:
        """The first run that diverged and has not been left behind (None: the race may go on)."""
        for name, t, behind in zip(self.names, self.runs, self.left_behind):
            if t.divergence is not None and not behind:
                return RaceDivergence(name, t.divergence)
        return None

    @property
    def can_train(self) -> bool:
        return self.divergence is None and any(t.divergence is None for t in self.runs)

    def training(self) -> list[Trainer]:
        """The runs still training."""
        return [t for t in self.runs if t.divergence is None]

    def step(self, n: int = 1) -> int:
        """n iterations of every run still training (fewer for a run that diverges, which pauses the race).
        Returns the iterations the race's clock advanced."""
        if self.divergence is not None:
            raise TrainingDiverged(self.divergence.message)
        going = self.training()
        start, targets = self.iteration, [t.iteration + n for t in going]
        if self._lockstep is not None and (self._lockstep.trainers != going or not self._lockstep.alive):
            self.stop_workers()
        if self.parallel and len(going) > 1 and (self._lockstep is not None or n >= GUARD_EVERY):
            self._lockstep = self._lockstep or Lockstep(going, self.points, idle_s=WORKER_IDLE_S)
            try:
                self._lockstep.request_round(n)
                for t, frame in zip(going, self._lockstep.wait_round()):
                    apply_frame(t, frame)
            except WorkerLost:  # what the workers did not train, this process trains below
                self.stop_workers()
        for t, target in zip(going, targets):
            if t.can_train and t.iteration < target:
                t.step(target - t.iteration)
        if self.divergence is not None:
            self.stop_workers()
        return self.iteration - start

    @property
    def training_in_workers(self) -> bool:
        """Whether worker processes hold the runs (a long step started them; changes stop them)."""
        return self._lockstep is not None

    def stop_workers(self) -> None:
        """Stop the worker processes (their states are taken back): before changing a run from outside."""
        if self._lockstep is not None:
            lockstep, self._lockstep = self._lockstep, None
            for t, frames in zip(lockstep.trainers, lockstep.stop()):
                for frame in frames:
                    apply_frame(t, frame)

    def resume(self) -> None:
        """Leave the diverged runs behind: the others train on (the diverged ones stay as they are)."""
        self.stop_workers()
        self.left_behind = [behind or t.divergence is not None for t, behind in zip(self.runs, self.left_behind)]

    def get_state(self) -> dict:
        """Everything the race's training depends on, per run (see `Trainer.get_state`)."""
        self.stop_workers()
        return {
            "runs": [t.get_state() for t in self.runs],
            "divergences": [t.divergence for t in self.runs],
            "left_behind": list(self.left_behind),
        }

    def set_state(self, state: dict, divergence=None) -> None:
        """Go back to (or take in) a state from `get_state`, divergences included."""
        self.stop_workers()
        for t, run_state, run_divergence in zip(self.runs, state["runs"], state["divergences"]):
            t.set_state(run_state, divergence=run_divergence)
        self.left_behind = list(state["left_behind"])

    def evaluate(self, w1_points: int = 1000) -> dict[str, dict]:
        """Each run's metrics (`Trainer.evaluate`), by run name."""
        self.stop_workers()
        return {name: t.evaluate(w1_points) for name, t in zip(self.names, self.runs)}

    def snapshot(
        self,
        with_metrics: bool = True,
        grid_size: int = RACE_GRID_SIZE,
        w1_points: int = 1000,
        with_layers: bool = False,
    ) -> RaceSnapshot:
        """Each run's snapshot for a small multiple: D on a `grid_size`² grid, no gradient field or latent
        grid unless `with_layers`."""
        self.stop_workers()
        view = dict(grid_size=grid_size, w1_points=w1_points, with_layers=with_layers)
        return self.combine([t.snapshot(with_metrics=with_metrics, **view) for t in self.runs])

    def combine(self, snapshots: list) -> RaceSnapshot:
        """The race's moment from each run's snapshot (taken at the runs' current iterations)."""
        metrics = {
            name: {**s.metrics, "iteration": t.iteration}
            for name, s, t in zip(self.names, snapshots, self.runs)
            if s.metrics
        }
        going = [t.iteration for t in self.training()]
        return RaceSnapshot(
            iteration=max(going) if going else self.iteration, names=self.names, runs=snapshots, metrics=metrics
        )


def run_metrics_log(metrics_log: list[dict], name: str) -> list[dict]:
    """Run `name`'s metrics out of a race's log (entries {"iteration": race clock, run name: metrics}),
    each with the run's own iteration, one entry per iteration (the latest measurement)."""
    by_iteration: dict[int, dict] = {}
    for entry in metrics_log:
        if name in entry:
            by_iteration[entry[name]["iteration"]] = entry[name]
    return [by_iteration[i] for i in sorted(by_iteration)]


def build_trainer(config, points: np.ndarray | None = None, images=None) -> Trainer | Race:
    """A Trainer for one config, a Race for a RaceConfig (what a live view trains)."""
    if isinstance(config, RaceConfig):
        return Race(config, points=points, images=images)
    return Trainer(config, points=points, images=images)
