"""Runs trained in worker processes, in rounds that end at the same iteration for every run.

A round is "each run n more iterations, then a frame": every run reaches the round's end before its
frame is sent, so the frames of a round show every run at the same moment. There are as many worker
processes as cores (at most one per run); a worker with several runs trains them in turns. Each run
trains exactly as it would alone, because each worker holds plain Trainers built from the runs' states.
"""

from __future__ import annotations

import os
import time

import numpy as np

from ganviz.training.trainer import Trainer
from ganviz.training.worker import IDLE_S, STOP_TIMEOUT_S, Frame, Worker


class WorkerLost(RuntimeError):
    """A worker process ended without answering (killed, out of memory)."""


def worker_count(runs: int) -> int:
    """Worker processes for `runs` runs: one per core, at most one per run."""
    return max(1, min(runs, os.cpu_count() or 1))


class Lockstep:
    def __init__(
        self,
        trainers: list[Trainer],
        points: np.ndarray | None = None,
        idle_s: float = IDLE_S,
        workers: int | None = None,
    ):
        """Workers (default: `worker_count`) holding the trainers between them, from their current states."""
        self.trainers = list(trainers)
        k = workers or worker_count(len(self.trainers))
        self._shares = [list(range(i, len(self.trainers), k)) for i in range(k)]  # run indices per worker
        self.workers = [Worker([self.trainers[i] for i in share], points, idle_s) for share in self._shares]
        self.outstanding = 0  # rounds asked for and not yet complete
        self._arrived: list[list[list[Frame]]] = [[] for _ in self.workers]  # per worker, its rounds' frames

    def request_round(self, n: int, view: dict | None = None) -> None:
        """Each run n more iterations, then a frame (with `trainer.snapshot(**view)` unless view is None)."""
        for worker in self.workers:
            worker.request_round(n, view)
        self.outstanding += 1

    def completed_rounds(self, wait_s: float = 0.0) -> list[list[Frame]]:
        """The rounds completed since the last call, oldest first, each a frame per run. With none complete
        yet, waits up to `wait_s` seconds for the oldest outstanding one (default: never blocks)."""
        self._collect()
        if wait_s > 0 and self.outstanding:
            deadline = time.perf_counter() + wait_s
            for arrived, worker in zip(self._arrived, self.workers):
                while not arrived and not worker.finished:
                    frames = worker.next_frames(max(0.0, deadline - time.perf_counter()))
                    if frames is None:
                        break
                    if not frames[0].final:
                        arrived.append(frames)
        if any(w.finished and len(a) < self.outstanding for w, a in zip(self.workers, self._arrived)):
            raise WorkerLost("a training process stopped unexpectedly")
        return self._take_complete()

    def wait_round(self) -> list[Frame]:
        """The oldest outstanding round, waiting for it."""
        if not self.outstanding:
            raise RuntimeError("no round was requested")
        self._wait_for(1)
        return self._take_complete(limit=1)[0]

    def seconds_per_iteration(self, frames: list[Frame]) -> float | None:
        """How long one iteration of every run took in a round (the slowest worker's training time per
        iteration of its runs together); None when nothing was trained."""
        per_worker = []
        for share in self._shares:
            done = [frames[i] for i in share if frames[i].trained]
            if done:
                per_worker.append(sum(f.seconds / f.trained for f in done))
        return max(per_worker, default=None)

    def frame_seconds(self, frames: list[Frame]) -> float:
        """How long the slowest worker took to make its frames of a round (snapshots and states)."""
        return max((frames[share[0]].frame_seconds for share in self._shares if share), default=0.0)

    @property
    def alive(self) -> bool:
        """False once any worker has stopped (after idling out with nothing to do, say)."""
        self._collect()
        return not any(worker.finished for worker in self.workers)

    def stop(self) -> list[list[Frame]]:
        """Let every worker finish the rounds asked for (so the runs stay aligned), stop them all, and
        return each run's frames not taken yet, in order: the last one holds its final state. A run whose
        worker was lost gets the frames that arrived before."""
        try:
            self._wait_for(self.outstanding, timeout=STOP_TIMEOUT_S)
        except WorkerLost:
            pass
        by_worker = [arrived + worker.stop() for arrived, worker in zip(self._arrived, self.workers)]
        out: list[list[Frame]] = [[] for _ in self.trainers]
        for share, rounds in zip(self._shares, by_worker):
            for frames in rounds:
                for i, frame in zip(share, frames):
                    out[i].append(frame)
        self._arrived = [[] for _ in self.workers]
        self.outstanding = 0
        return out

    # --- bookkeeping ------------------------------------------------------------------------------------

    def _collect(self) -> None:
        for arrived, worker in zip(self._arrived, self.workers):
            arrived += [frames for frames in worker.frames() if not frames[0].final]

    def _wait_for(self, rounds: int, timeout: float | None = None) -> None:
        """Wait until every worker has sent its frames of the oldest `rounds` outstanding rounds."""
        for arrived, worker in zip(self._arrived, self.workers):
            while len(arrived) < rounds:
                frames = worker.next_frames(timeout)
                if frames is None or frames[0].final:
                    raise WorkerLost("a training process stopped unexpectedly")
                arrived.append(frames)

    def _take_complete(self, limit: int | None = None) -> list[list[Frame]]:
        complete = min(len(arrived) for arrived in self._arrived)
        complete = complete if limit is None else min(complete, limit)
        rounds = []
        for k in range(complete):
            frames: list[Frame | None] = [None] * len(self.trainers)
            for share, arrived in zip(self._shares, self._arrived):
                for i, frame in zip(share, arrived[k]):
                    frames[i] = frame
            rounds.append(frames)
        for arrived in self._arrived:
            del arrived[:complete]
        self.outstanding -= complete
        return rounds
