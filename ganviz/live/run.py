"""A live run for an interactive front end: train in frames, snapshot, record, time-travel.

No Streamlit here: a page keeps one `LiveRun` (of one run, or of a race) and calls `tick()` from a
timer. With `background=True` (the app) the runs train in worker processes, one per run, in rounds
that end at the same iteration (`racing.lockstep`): each tick takes in the rounds that have arrived
(the history, the state and a snapshot to draw) and asks for more, so the workers never wait for the
page. Everything else (a step, slow motion, new settings, time travel, Pause) first stops the workers and
takes back their state, so outside of ticks the run is an ordinary in-process Trainer or Race.
Without `background`, each tick trains here. Metrics cost more than a frame: they are measured every
`METRICS_EVERY_S` seconds, and a frame in between shows the last ones.
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager

import numpy as np

from ganviz.config import GANConfig
from ganviz.live.store import SnapshotStore
from ganviz.live.turns import SERVER_TURNS, Standing, Turns
from ganviz.live.walkthrough import Stage, walk_one_iteration
from ganviz.racing.config import RaceConfig
from ganviz.racing.lockstep import Lockstep, WorkerLost, worker_count
from ganviz.racing.race import RACE_GRID_SIZE, Race, build_trainer
from ganviz.training.runtime import use_one_thread
from ganviz.training.worker import apply_frame, prepare_workers

METRICS_EVERY_S = 2.0  # how often a playing run measures its metrics
LIVE_W1_POINTS = 500  # exact W1 on 500 + 500 points: ~15 ms instead of ~0.1 s at 1,000
FIRST_ROUND = 10  # iterations in a playing run's first round, before its speed is measured
LATE_ROUND_WAIT_S = 0.1  # a tick with no new round waits this long for one: a late round is drawn, not skipped
STORE_MAX_BYTES = 64 * 2**20  # time travel per session: as many moments as fit, never fewer than 2
ROUNDS_AHEAD = 2  # rounds asked for ahead at full speed: the workers train on while a frame is drawn


class LiveRun:
    def __init__(
        self,
        config: GANConfig | RaceConfig,
        points: np.ndarray | None = None,
        capacity: int = 32,
        background: bool = False,
        images=None,
        turns: Turns | None = None,
    ):
        """`config`: one run's, or a race's (then `trainer` is a `Race` of its runs). `points`: the user's
        2D data (dataset custom); `images`: an image dataset already loaded (`ganviz.data.images.ImageData`;
        a worker loads its own copy from disk). `turns`: the training slots it shares with other sessions
        while training in the background (default: the server's, `SERVER_TURNS`)."""
        use_one_thread()
        self.lock = threading.RLock()  # downloads run on another thread than the page's script
        self.trainer = build_trainer(config, points=points, images=images)
        self.is_race = isinstance(self.trainer, Race)
        self.points = points
        self.store = SnapshotStore(capacity=capacity, max_bytes=STORE_MAX_BYTES)
        self.metrics_log: list[dict] = []
        self.stages: list[Stage] = []  # the slow-motion walkthrough of the last iteration, if any
        self.stage_index = 0
        self._last_metrics = 0.0
        self.background = background
        self.turns = turns or SERVER_TURNS
        self._turn_key = object()  # this run in the queue: a token, so a forgotten session's run is not kept alive
        if background:
            prepare_workers()
        # Whether a playing run's frames take the gradient field and latent grid (a page that does not show
        # them turns this off); snapshots taken here, when paused, always have them.
        self.with_layers = True
        self.stop_at: int | None = None  # a checkpoint: playing trains up to this iteration and no further
        self._requested = 0  # the iteration the workers were asked to train up to
        self._lockstep: Lockstep | None = None
        self._per_frame: int | None = None  # the speed the workers were started for
        self._seconds_per_iteration: float | None = None  # of every run together, measured from the frames
        self._frame_seconds = 0.0  # what making a round's frames took the workers, measured too
        self.snapshot = self._observe(force_metrics=True)

    @property
    def config(self) -> GANConfig | RaceConfig:
        return self.trainer.config

    @property
    def iteration(self) -> int:
        return self.trainer.iteration

    @property
    def runs(self) -> list:
        """The Trainers still training (one for a single run)."""
        return self.trainer.training() if self.is_race else [self.trainer] if self.trainer.can_train else []

    # --- driving the run -------------------------------------------------------------------------

    @contextmanager
    def paused(self):
        """Hold the trainer still while something reads it (a download, say). Workers keep training: the
        trainer holds the state of the last round taken in."""
        with self.lock:
            yield self.trainer

    def tick(self, budget_s: float, per_frame: int | None = None):
        """Train for one frame: `budget_s` seconds, or `per_frame` iterations (None: as many as the budget
        allows). In background mode: take in what the workers have trained since the last tick instead."""
        with self.lock:
            self.stages = []
            if self.background:
                self._tick_background(budget_s, per_frame)
            elif self.trainer.can_train and self.iterations_left != 0:
                if per_frame is None:
                    self.trainer.run_for(budget_s, limit=self.iterations_left)
                else:
                    self.trainer.step(
                        per_frame if self.iterations_left is None else min(per_frame, self.iterations_left)
                    )
                self._observe()
            return self.snapshot

    @property
    def iterations_left(self) -> int | None:
        """Iterations to train before `stop_at` (None: no checkpoint)."""
        return None if self.stop_at is None else max(0, self.stop_at - self.iteration)

    @property
    def at_checkpoint(self) -> bool:
        """Whether the run has reached `stop_at`: playing trains no further."""
        return self.iterations_left == 0

    def _tick_background(self, budget_s: float, per_frame: int | None) -> None:
        if self._lockstep is not None and self._per_frame != per_frame:
            self._stop_workers()  # a new speed: new workers
        if self.at_checkpoint:
            self.stop()  # the workers' state comes back and the training slots go to others
            return
        if self.trainer.can_train and not self.turns.ask(self._turn_key, worker_count(len(self.runs))):
            self._stop_workers()  # others' turn: the state comes back here, the slots go to them
            return
        if self._lockstep is None and self.trainer.can_train:
            if self.is_race:
                self.trainer.stop_workers()
            self._lockstep, self._per_frame = Lockstep(self.runs, self.points), per_frame
            self._requested = self.iteration
        if self._lockstep is None:
            return
        try:
            for frames in self._lockstep.completed_rounds(wait_s=LATE_ROUND_WAIT_S):
                self._take_in(frames)
        except WorkerLost:
            self._stop_workers()  # the next tick starts new ones
            return
        if not self.trainer.can_train:
            self.stop()
        elif not self._lockstep.alive:  # it idled out: the next tick starts afresh
            self._lockstep = None
        else:
            while self._lockstep.outstanding < (ROUNDS_AHEAD if per_frame is None else 1):
                n = self._round_size(budget_s, per_frame)
                if self.stop_at is not None:
                    n = min(n, self.stop_at - self._requested)
                if n <= 0:
                    break
                self._lockstep.request_round(n, self._view(self._measure_now()))
                self._requested += n

    def _round_size(self, budget_s: float, per_frame: int | None) -> int:
        if per_frame is not None:
            return per_frame
        if self._seconds_per_iteration is None:
            return FIRST_ROUND
        # a round's training and its frames fit in one frame of the page: a new picture at every tick
        return max(1, round((budget_s - self._frame_seconds) / self._seconds_per_iteration))

    def _view(self, with_metrics: bool) -> dict:
        view = dict(with_metrics=with_metrics, w1_points=LIVE_W1_POINTS)
        if self.is_race:
            return {**view, "grid_size": RACE_GRID_SIZE, "with_layers": False}
        return {**view, "with_layers": self.with_layers}

    def _measure_now(self, force: bool = False) -> bool:
        now = time.perf_counter()
        if force or now - self._last_metrics >= METRICS_EVERY_S:
            self._last_metrics = now
            return True
        return False

    def _take_in(self, frames) -> None:
        """A round's frames: each run takes its worker's state, and the round's snapshot is shown."""
        for t, frame in zip(self._lockstep.trainers, frames):
            apply_frame(t, frame)
        seconds = self._lockstep.seconds_per_iteration(frames)
        if seconds:
            self._seconds_per_iteration = seconds
        self._frame_seconds = self._lockstep.frame_seconds(frames)
        snapshots = [f.snapshot for f in frames]
        if self.is_race:  # runs left behind do not train: their last snapshots stand
            by_run = dict(zip(map(id, self._lockstep.trainers), snapshots))
            snapshots = [by_run.get(id(t), old) for t, old in zip(self.trainer.runs, self.snapshot.runs)]
            snap = self.trainer.combine(snapshots)
        else:
            snap = snapshots[0]
        self._keep(snap, snap.metrics != {}, self.trainer.get_state, record=False)

    def stop(self) -> None:
        """Stop the workers, take back their state, and show and record where they stopped (nothing to do
        without workers); the run's training slots go to the next session waiting."""
        self._stop_workers()
        if self.background:
            self.turns.leave(self._turn_key)

    def standing(self) -> Standing:
        """Where this run stands among the server's sessions that train in the background."""
        return self.turns.standing(self._turn_key)

    def _stop_workers(self) -> None:
        with self.lock:
            if self._lockstep is not None:
                lockstep, self._lockstep = self._lockstep, None
                for t, frames in zip(lockstep.trainers, lockstep.stop()):
                    for frame in frames:
                        apply_frame(t, frame)
                self._observe(record=True)

    @property
    def training_in_background(self) -> bool:
        return self._lockstep is not None

    @property
    def workers(self) -> list:
        """The worker processes' handles while the runs train in them (one per run), else []."""
        return [] if self._lockstep is None else list(self._lockstep.workers)

    def step(self, which: str = "iteration"):
        """One iteration, or one step of D or of G alone (they do not count as iterations; single runs)."""
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
            self.stop()  # the workers train with the settings they started with
            self.trainer.set_config(config)
            self.snapshot = self._observe(force_metrics=True)

    def resume_from(self, index: int):
        """Go back to recorded moment `index`; training continues from there (later records go)."""
        self.stop()
        iteration = self.store.iterations()[index]
        self.trainer.set_state(self.store.state_at(index))
        self.store.truncate_after(iteration)
        self.metrics_log = [m for m in self.metrics_log if m["iteration"] <= iteration]
        self.stages = []
        return self._observe(force_metrics=True)

    def record_now(self):
        """Measure and record the current moment (on Pause, or after loading weights)."""
        self.stop()
        return self._observe(force_metrics=True, record=True)

    def restore_last_good(self) -> None:
        """After a divergence: continue from the last finite state (the trainer already holds it)."""
        self.stop()
        self.trainer.resume()

    # --- observing ---------------------------------------------------------------------------------

    def _observe(self, force_metrics: bool = False, record: bool = False):
        measure = self._measure_now(force_metrics)
        snap = self.trainer.snapshot(with_metrics=measure, w1_points=LIVE_W1_POINTS)
        return self._keep(snap, measure, self.trainer.get_state, record)

    def _keep(self, snap, measured: bool, state, record: bool):
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
