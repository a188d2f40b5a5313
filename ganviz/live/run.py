"""A live run for an interactive front end: train in time slices, snapshot, record, time-travel.

No Streamlit here: the page keeps one `LiveRun` in its session state and calls `tick()` from a
timer. Each tick trains for a time budget, takes a snapshot for drawing, measures the (costlier)
metrics only every `METRICS_EVERY_S` seconds, and records the moment for time travel.

With `background=True` (the app) ticks do not train themselves: a worker process trains without
pause (`ganviz.background`) and each tick takes in the frames it has sent. Everything else (a step,
slow motion, new settings, time travel, Pause) first stops the worker and takes back its state, so
outside of ticks the run is an ordinary in-process Trainer.
"""
from __future__ import annotations

import threading
import time
from contextlib import contextmanager

import numpy as np

from ganviz.training.worker import BackgroundTraining, Frame
from ganviz.config import GANConfig
from ganviz.live.store import SnapshotStore
from ganviz.training.runtime import use_one_thread
from ganviz.racing.race import RaceConfig, build_trainer
from ganviz.training.trainer import Snapshot
from ganviz.live.walkthrough import Stage, walk_one_iteration

METRICS_EVERY_S = 2.0  # how often a playing run measures its metrics
LIVE_W1_POINTS = 500  # exact W1 on 500 + 500 points: ~15 ms instead of ~0.1 s at 1,000
SPEEDS = {  # label -> iterations per frame (None: as many as the frame's time budget allows)
    "1 iteration / frame": 1,
    "10 iterations / frame": 10,
    "100 iterations / frame": 100,
    "full speed": None,
}


class LiveRun:
    def __init__(self, config: GANConfig | RaceConfig, points: np.ndarray | None = None, capacity: int = 32,
                 background: bool = False, images=None):
        """`config`: one run's, or a race's (then `trainer` is a `Race` of its runs). `points`: the user's
        2D data (dataset custom); `images`: an image dataset already loaded (`ganviz.data.images.ImageData`;
        a background worker loads its own copy from disk)."""
        use_one_thread()
        self.lock = threading.RLock()  # downloads run on another thread than the page's script
        self.trainer = build_trainer(config, points=points, images=images)
        self.points = points
        self.store = SnapshotStore(capacity=capacity)
        self.metrics_log: list[dict] = []
        self.stages: list[Stage] = []  # the slow-motion walkthrough of the last iteration, if any
        self.stage_index = 0
        self._last_metrics = 0.0
        self.background = background
        # Whether a background worker's frames take the gradient field and latent grid (a page that does
        # not show them turns this off); snapshots taken here, when paused, always have them.
        self.with_layers = True
        self._worker: BackgroundTraining | None = None
        self.snapshot = self._observe(force_metrics=True)

    @property
    def config(self) -> GANConfig | RaceConfig:
        return self.trainer.config

    @property
    def iteration(self) -> int:
        return self.trainer.iteration

    # --- driving the run -------------------------------------------------------------------------

    @contextmanager
    def paused(self):
        """Hold the trainer still while something reads it (a download, say). A background worker
        keeps training: the trainer holds the state of the last frame taken in."""
        with self.lock:
            yield self.trainer

    def tick(self, budget_s: float, speed: str = "full speed") -> Snapshot:
        """Train for one frame: `budget_s` seconds, or the speed's fixed number of iterations.
        In background mode: take in what the worker has trained since the last tick instead."""
        with self.lock:
            if self.background:
                return self._tick_background(speed)
            return self._tick(budget_s, speed)

    def _tick_background(self, speed: str) -> Snapshot:
        self.stages = []
        if self._worker is not None and self._worker.per_frame != SPEEDS[speed]:
            self.stop()
        if self._worker is None and self.trainer.can_train:
            self._worker = BackgroundTraining(self.trainer, self.points, SPEEDS[speed], METRICS_EVERY_S,
                                              LIVE_W1_POINTS)
        if self._worker is not None:
            self._take_in(self._worker.frames(self.with_layers))
            if self.trainer.divergence is not None:
                self.stop()
            elif self._worker.finished:  # it idled out: the next tick starts a fresh one
                self._worker = None
        return self.snapshot

    def stop(self) -> None:
        """Stop a background worker and take back its state (nothing to do without one)."""
        with self.lock:
            if self._worker is not None:
                worker, self._worker = self._worker, None
                self._take_in(worker.stop())

    @property
    def training_in_background(self) -> bool:
        return self._worker is not None

    def _take_in(self, frames: list[Frame]) -> None:
        for frame in frames:
            self.trainer.history.append(frame.rows)
            # also forgets history past the state's iteration
            self.trainer.set_state(frame.state, divergence=frame.divergence)
            self._keep(frame.snapshot, frame.snapshot.metrics != {}, lambda state=frame.state: state,
                       record=frame.final)

    def _tick(self, budget_s: float, speed: str) -> Snapshot:
        self.stages = []
        if self.trainer.can_train:
            per_frame = SPEEDS[speed]
            if per_frame is None:
                self.trainer.run_for(budget_s)
            else:
                self.trainer.step(per_frame)
        return self._observe()

    def step(self, which: str = "iteration") -> Snapshot:
        """One iteration, or one step of D or of G alone (they do not count as iterations)."""
        self.stop()
        self.stages = []
        if self.trainer.can_train:
            getattr(self.trainer, {"iteration": "step", "d": "step_d", "g": "step_g"}[which])(1)
        return self._observe(force_metrics=True, record=True)

    def walk(self) -> list[Stage]:
        """Slow motion: run one iteration recorded as stages; `stage_index` walks through them."""
        self.stop()
        if self.trainer.divergence is None:
            self.stages = walk_one_iteration(self.trainer)
            self.stage_index = 0
        self._observe(force_metrics=True, record=True)
        return self.stages

    def apply(self, config: GANConfig) -> None:
        """Live settings: take effect from the next iteration, same run."""
        if config != self.trainer.config:
            self.stop()  # a worker trains with the settings it started with
            self.trainer.set_config(config)
            self.snapshot = self._observe(force_metrics=True)

    def resume_from(self, index: int) -> Snapshot:
        """Go back to recorded moment `index`; training continues from there (later records go)."""
        self.stop()
        iteration = self.store.iterations()[index]
        self.trainer.set_state(self.store.state_at(index))
        self.store.truncate_after(iteration)
        self.metrics_log = [m for m in self.metrics_log if m["iteration"] <= iteration]
        self.stages = []
        return self._observe(force_metrics=True)

    def record_now(self) -> Snapshot:
        """Measure and record the current moment (on Pause, or after loading weights)."""
        self.stop()
        return self._observe(force_metrics=True, record=True)

    def restore_last_good(self) -> None:
        """After a divergence: continue from the last finite state (the trainer already holds it)."""
        self.stop()
        self.trainer.resume()

    # --- observing ---------------------------------------------------------------------------------

    def _observe(self, force_metrics: bool = False, record: bool = False) -> Snapshot:
        now = time.perf_counter()
        measure = force_metrics or now - self._last_metrics >= METRICS_EVERY_S
        snap = self.trainer.snapshot(with_metrics=measure, w1_points=LIVE_W1_POINTS)
        if measure:
            self._last_metrics = now
        return self._keep(snap, measure, self.trainer.get_state, record)

    def _keep(self, snap: Snapshot, measured: bool, state, record: bool) -> Snapshot:
        """Log the snapshot's metrics (or show the last ones), offer it to the store, show it."""
        if measured:
            if self.metrics_log and self.metrics_log[-1]["iteration"] == snap.iteration:
                self.metrics_log.pop()  # same iteration, newer networks (a single D or G step)
            self.metrics_log.append({"iteration": snap.iteration, **snap.metrics})
        elif self.metrics_log:
            snap.metrics = {k: v for k, v in self.metrics_log[-1].items() if k != "iteration"}
        if record:
            self.store.add(snap.iteration, snap, state())
        else:  # the state (~1 MB) is copied only when the store takes the moment
            self.store.maybe_add(snap.iteration, snap, state)
        self.snapshot = snap
        return snap
