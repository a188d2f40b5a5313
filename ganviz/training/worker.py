"""Training in another process: a worker holds copies of one or more runs' Trainers and trains them in
rounds while this process does something else (draws the page, or waits for the other runs of a race).

A round is "each run n more iterations, then a frame of each". A frame holds the history rows since
the run's previous frame, its full trainer state (so the parent's own Trainer can take it over exactly)
and, when a view was asked for, a snapshot to draw. A worker holding several runs trains them in turns,
a guard chunk each (fewer switches between runs than the operating system's time slices would make).
A worker is a pure function of (configs, points, states): whatever the parent changes, it stops the
worker and starts another from the states it took back. A worker with no round left to train and no
message for `idle_s` (a closed tab, a finished race) sends its final frames and exits.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import queue
import sys
import threading
import time
import types
import weakref
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing import forkserver

import numpy as np

from ganviz.config import GANConfig
from ganviz.training.guard import GUARD_EVERY, Divergence
from ganviz.training.runtime import use_one_thread
from ganviz.training.trainer import DOMAINS, Trainer

IDLE_S = 5.0  # a worker with nothing to train and no messages for this long stops
STOP_TIMEOUT_S = 10.0


@dataclass
class Frame:
    """One run at the end of a round (or at the worker's stop)."""

    iteration: int
    snapshot: object | None  # what to draw, when a view was asked for
    rows: np.ndarray  # (n, len(HISTORY_KEYS)) history rows since the previous frame
    state: dict  # the trainer's get_state() at this iteration
    divergence: Divergence | None
    final: bool  # the worker has stopped after this frame
    seconds: float  # seconds spent training this run since its previous frame
    trained: int  # iterations trained since the previous frame
    frame_seconds: float = 0.0  # seconds the worker spent making this round's frames (its runs together)


def apply_frame(trainer: Trainer, frame: Frame) -> None:
    """Let `trainer` take over where the worker's copy is: its new history rows and its state."""
    trainer.history.append(frame.rows)
    trainer.set_state(frame.state, divergence=frame.divergence)  # also forgets history past the state


def _context():
    """forkserver where there is one: each worker is then forked from a small process that has already
    imported torch (fast to start, and safe, unlike forking the threaded web server)."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        # torch._dynamo comes with the first optimiser: ~1 s that every worker would pay again
        ctx.set_forkserver_preload([__name__, "torch._dynamo"])
        return ctx
    return multiprocessing.get_context("spawn")


_STARTING = threading.Lock()


@contextmanager
def _no_main_script():
    """While a worker starts, hide the parent's __main__ from multiprocessing, which would otherwise run it
    again in the child: under Streamlit that is the page script being run (each worker would draw the page
    without a session), and in a script without an `if __name__ == "__main__":` guard, the script itself.
    A worker needs nothing from __main__: it runs ganviz's code on the settings and states it is sent."""
    with _STARTING:
        main = sys.modules.get("__main__")
        sys.modules["__main__"] = types.ModuleType("__main__")
        try:
            yield
        finally:
            sys.modules["__main__"] = main


def prepare_workers() -> None:
    """Start the process that workers are forked from (and its resource tracker) now rather than at the first
    worker: a page that may train in the background calls this, so Play starts sooner and the server's
    processes are the same before Play and after its workers have gone."""
    if _context().get_start_method() == "forkserver":
        with _no_main_script():
            forkserver.ensure_running()


def _send(conn, obj) -> None:
    # Plain pickle, not multiprocessing's: torch registers reducers there that move every tensor into
    # shared memory, one file descriptor each, which costs more than copying ~1 MB.
    conn.send_bytes(pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL))


def _recv(conn):
    return pickle.loads(conn.recv_bytes())


def worker_trainer(config: GANConfig, points: np.ndarray | None) -> Trainer:
    """The worker's copy of a run, on data from this machine only (see `Domain.local_data`)."""
    return Trainer(config, points=points, images=DOMAINS[config.domain].local_data(config))


class _Serving:
    """The child process's side: its runs, how far each may train, the rounds whose frames are owed."""

    def __init__(self, conn, trainers: list[Trainer], idle_s: float):
        self.conn, self.trainers, self.idle_s = conn, trainers, idle_s
        self.targets = [t.iteration for t in trainers]  # trains nothing until a round is asked for
        self.rounds: list[tuple[list[int], dict | None]] = []  # (each run's iteration at its end, view)
        self.seconds = [0.0] * len(trainers)
        self.trained = [0] * len(trainers)
        self.outbox: queue.Queue = queue.Queue()  # frames (~1 MB a run) are sent by a thread while training goes on

    def frames(self, view: dict | None, final: bool = False) -> list[Frame]:
        start, out = time.perf_counter(), []
        for i, t in enumerate(self.trainers):
            snapshot = None if view is None else t.snapshot(**view)
            rows = t.history.rows()
            t.history.truncate(0)
            out.append(
                Frame(t.iteration, snapshot, rows, t.get_state(), t.divergence, final, self.seconds[i], self.trained[i])
            )
        self.seconds, self.trained = [0.0] * len(self.trainers), [0] * len(self.trainers)
        for frame in out:
            frame.frame_seconds = time.perf_counter() - start
        return out

    def _left(self, i: int, limits: list[int]) -> int:
        t = self.trainers[i]
        return max(0, limits[i] - t.iteration) if t.can_train else 0

    def busy(self) -> bool:
        return any(self._left(i, self.targets) for i in range(len(self.trainers)))

    def serve_due_frames(self) -> None:
        while self.rounds and not any(self._left(i, self.rounds[0][0]) for i in range(len(self.trainers))):
            _, view = self.rounds.pop(0)
            self.outbox.put(self.frames(view))

    def train_a_little(self) -> None:
        """A guard chunk of every run that still has iterations to train before the oldest owed round's end."""
        limits = self.rounds[0][0] if self.rounds else self.targets
        for i, t in enumerate(self.trainers):
            left = self._left(i, limits)
            if left:
                start, before = time.perf_counter(), t.iteration
                t.step(min(GUARD_EVERY, left))
                self.seconds[i] += time.perf_counter() - start
                self.trained[i] += t.iteration - before

    def handle(self, message) -> bool:
        """Take in one message; False when it says stop."""
        kind, *args = message
        if kind == "round":
            n, view = args
            self.targets = [target + n for target in self.targets]
            self.rounds.append((list(self.targets), view))
        return kind != "stop"

    def run(self) -> None:
        sender = threading.Thread(target=self.send_frames, daemon=True)
        sender.start()
        last_message = time.monotonic()
        try:
            while True:
                if self.conn.poll(0 if self.busy() else 0.05):
                    last_message = time.monotonic()
                    if not self.handle(_recv(self.conn)):
                        break
                    continue
                self.serve_due_frames()
                if self.busy():
                    self.train_a_little()
                elif time.monotonic() - last_message > self.idle_s:
                    break  # nothing to train and nobody asking
        except (EOFError, BrokenPipeError, ConnectionResetError):
            return  # the parent went away
        self.outbox.put(self.frames(None, final=True))  # the states only: the parent draws its own view
        self.outbox.put(None)
        # A parent that stopped reading (its browser tab closed) leaves ~1 MB of state in a full pipe: the
        # process exits anyway, after as long as a parent waits for final frames
        sender.join(timeout=STOP_TIMEOUT_S)

    def send_frames(self) -> None:
        try:
            while (item := self.outbox.get()) is not None:
                _send(self.conn, item)
        except (BrokenPipeError, ConnectionResetError, OSError):
            pass


def _serve(conn, payload: bytes) -> None:
    """The child process: build the runs' Trainers from the parent's states, then serve them."""
    runs, points, idle_s = pickle.loads(payload)
    use_one_thread()
    try:  # a CPU-bound batch job (Linux): the page's server and the browser come first when they wake up
        os.sched_setscheduler(0, os.SCHED_BATCH, os.sched_param(0))
    except (AttributeError, OSError):
        pass
    trainers = []
    for config, state, divergence in runs:
        trainers.append(worker_trainer(config, points))
        trainers[-1].set_state(state, divergence=divergence)
    _Serving(conn, trainers, idle_s).run()


def _shutdown(process, conn) -> None:
    try:
        conn.close()
    finally:
        if process.is_alive():
            process.terminate()
            process.join(timeout=2)


class Worker:
    """One worker process training copies of `trainers` from their current states (the parent's side).
    Frames come as lists, one frame per run in the order of `trainers`."""

    def __init__(self, trainers: list[Trainer], points: np.ndarray | None = None, idle_s: float = IDLE_S):
        ctx = _context()
        self._conn, child = ctx.Pipe()
        runs = [(t.config, t.get_state(), t.divergence) for t in trainers]
        payload = pickle.dumps((runs, points, idle_s), protocol=pickle.HIGHEST_PROTOCOL)
        self.process = ctx.Process(target=_serve, args=(child, payload), daemon=True, name="ganviz-training")
        with _no_main_script():
            self.process.start()
        child.close()
        self.finished = False
        self._finalizer = weakref.finalize(self, _shutdown, self.process, self._conn)

    def _tell(self, *message) -> None:
        """Send a message; a worker that has gone is found out when its frames are read."""
        try:
            _send(self._conn, message)
        except (BrokenPipeError, ConnectionResetError, OSError):
            pass

    def request_round(self, n: int, view: dict | None = None) -> None:
        """Each run n more iterations, then a frame of each, with a snapshot `trainer.snapshot(**view)` unless
        `view` is None. A run that diverges stops at its last finite state and its frame comes early."""
        self._tell("round", n, view)

    def frames(self) -> list[list[Frame]]:
        """The rounds' frames that have arrived, oldest first (never blocks)."""
        out = []
        try:
            while not self.finished and self._conn.poll(0):
                out.append(_recv(self._conn))
                self.finished = out[-1][0].final
        except (EOFError, BrokenPipeError, ConnectionResetError):
            self._died()
        return out

    def next_frames(self, timeout: float | None = None) -> list[Frame] | None:
        """The next round's frames, waiting up to `timeout` seconds (None: as long as it takes)."""
        try:
            if not self.finished and self._conn.poll(timeout):
                frames = _recv(self._conn)
                self.finished = frames[0].final
                return frames
        except (EOFError, BrokenPipeError, ConnectionResetError):
            self._died()
        return None

    def stop(self) -> list[list[Frame]]:
        """Stop training; returns the rounds' frames still to come, the final ones (no snapshot) last; none if
        it died."""
        out = []
        if not self.finished:
            self._tell("stop")
        deadline = time.monotonic() + STOP_TIMEOUT_S
        while not self.finished:
            frames = self.next_frames(max(deadline - time.monotonic(), 0))
            if frames is None:
                break
            out.append(frames)
        self._died()
        return out

    def _died(self) -> None:
        self.finished = True
        self._finalizer()
