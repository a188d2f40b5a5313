"""Train in a second process while the page draws, so training and drawing each get a core.

A playing run used to train inside the page's script for part of each frame and draw for the rest:
training stood still while the server built figures and the browser drew them. Here a child process
holds a copy of the run's `Trainer` and trains without pause; the page asks it for a `Frame` (a
snapshot to draw, the history rows since the last frame and the full trainer state) whenever it
redraws. At most one request is in flight, so a slow browser never piles up frames.

A worker is a pure function of (config, points, state, speed): changing a setting stops it and
starts a new one from the state it handed back, which keeps the page's own Trainer the single
source of truth whenever the run is paused. A worker that is not asked for a frame for `IDLE_S`
seconds (a closed tab) hands back its state and exits.
"""
from __future__ import annotations

import multiprocessing
import pickle
import queue
import threading
import time
import weakref
from dataclasses import dataclass

import numpy as np

from ganviz.config import GANConfig, is_image_dataset
from ganviz.data.images import load_images
from ganviz.racing.race import Race, RaceConfig, RaceDivergence, RaceSnapshot, build_trainer
from ganviz.training.trainer import GUARD_EVERY, Divergence, Snapshot, Trainer
from ganviz.training.runtime import use_one_thread

IDLE_S = 5.0  # a worker nobody asks for frames for this long stops
CHUNK_S = 0.1  # training between looks at the pipe: about the most a frame request waits
STOP_TIMEOUT_S = 10.0


@dataclass
class Frame:
    snapshot: Snapshot | RaceSnapshot  # what to draw; metrics only every `metrics_every_s`
    rows: np.ndarray | list[np.ndarray]  # (n, len(HISTORY_KEYS)) history rows since the previous frame (per run)
    state: dict  # the trainer's get_state() at the snapshot
    divergence: Divergence | RaceDivergence | None
    final: bool  # the worker has stopped after this frame


def _context():
    """forkserver where there is one: each worker is then forked from a small process that has already
    imported torch (fast to start, and safe, unlike forking the threaded web server)."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload([__name__])
        return ctx
    return multiprocessing.get_context("spawn")


def _send(conn, obj) -> None:
    # Plain pickle, not multiprocessing's: torch registers reducers there that move every tensor into
    # shared memory, one file descriptor each, which costs more than copying ~1 MB.
    conn.send_bytes(pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL))


def _recv(conn):
    return pickle.loads(conn.recv_bytes())


def worker_trainer(config: GANConfig | RaceConfig, points: np.ndarray | None) -> Trainer | Race:
    """The worker's copy of the run (or race). Image data comes from the files the page already has
    (never a download: offline, that would wait for the mirrors' timeouts on every Play), which gives
    the same images, or the same fallback, as the page's."""
    dataset = (config.runs[0] if isinstance(config, RaceConfig) else config).dataset
    images = load_images(dataset, download=False) if is_image_dataset(dataset) else None
    return build_trainer(config, points=points, images=images)


def _serve(conn, payload: bytes) -> None:
    """The child process: train; answer "frame" with a Frame, "stop" with a final Frame."""
    config, points, state, per_frame, metrics_every_s, w1_points, idle_s = pickle.loads(payload)
    use_one_thread()
    trainer = worker_trainer(config, points)
    trainer.set_state(state)
    owed = 0  # iterations still to train for the last frame (fixed speeds)
    last_request = last_metrics = time.monotonic()
    last_metrics -= metrics_every_s  # the first frame is measured

    with_layers = True  # the gradient field and latent grid, as the page's last request asked

    def frame(final: bool) -> Frame:
        nonlocal last_metrics
        now = time.monotonic()
        measure = now - last_metrics >= metrics_every_s
        if measure:
            last_metrics = now
        snap = trainer.snapshot(with_metrics=measure, w1_points=w1_points, with_layers=with_layers)
        rows = trainer.history.rows()
        trainer.history.truncate(0)
        return Frame(snap, rows, trainer.get_state(), trainer.divergence, final)

    # A frame (~1 MB) fills the pipe until the page reads it at its next tick: a thread sends it, so
    # training goes on meanwhile (the write releases the GIL).
    outbox: queue.Queue = queue.Queue()

    def send_frames():
        try:
            while (item := outbox.get()) is not None:
                _send(conn, item)
        except (BrokenPipeError, ConnectionResetError, OSError):
            pass

    sender = threading.Thread(target=send_frames, daemon=True)
    sender.start()

    def finish():
        outbox.put(frame(final=True))
        outbox.put(None)
        sender.join()

    try:
        while True:
            busy = trainer.can_train and (per_frame is None or owed > 0)
            if conn.poll(0 if busy else 0.05):
                kind, with_layers = _recv(conn)
                if kind == "stop":
                    return finish()
                outbox.put(frame(final=False))  # kind == "frame"
                owed = per_frame or 0
                last_request = time.monotonic()
                continue
            if time.monotonic() - last_request > idle_s:
                return finish()
            if busy:
                if per_frame is None:
                    trainer.run_for(CHUNK_S)
                else:
                    done = trainer.step(min(owed, GUARD_EVERY))
                    owed = owed - done if trainer.can_train else 0
    except (EOFError, BrokenPipeError, ConnectionResetError):
        return  # the page went away


def _shutdown(process, conn) -> None:
    try:
        conn.close()
    finally:
        if process.is_alive():
            process.terminate()
            process.join(timeout=2)


class BackgroundTraining:
    """One worker process training a copy of `trainer` from its current state.

    per_frame: iterations per frame request (None: train continuously). `frames()` returns what has
    arrived (never blocks) and asks for the next; `stop()` returns the final frame.
    """

    def __init__(self, trainer: Trainer | Race, points: np.ndarray | None, per_frame: int | None,
                 metrics_every_s: float, w1_points: int, idle_s: float = IDLE_S):
        ctx = _context()
        self._conn, child = ctx.Pipe()
        payload = pickle.dumps((trainer.config, points, trainer.get_state(), per_frame, metrics_every_s, w1_points,
                                idle_s), protocol=pickle.HIGHEST_PROTOCOL)
        self.process = ctx.Process(target=_serve, args=(child, payload), daemon=True, name="ganviz-training")
        self.process.start()
        child.close()
        self.per_frame = per_frame
        self.finished = False
        self._requested = False
        self._finalizer = weakref.finalize(self, _shutdown, self.process, self._conn)

    def frames(self, with_layers: bool = True) -> list[Frame]:
        """Frames that have arrived, oldest first; asks for the next one (with the gradient field and
        latent grid if `with_layers`) if none is outstanding."""
        out = []
        try:
            while not self.finished and self._conn.poll(0):
                out.append(_recv(self._conn))
                self._requested = False
                self.finished = out[-1].final
            if not self.finished and not self._requested:
                _send(self._conn, ("frame", with_layers))
                self._requested = True
        except (EOFError, BrokenPipeError, ConnectionResetError):
            self._died()
        return out

    def stop(self) -> list[Frame]:
        """Stop training; returns the frames still to come, the final one last (none if it died)."""
        out = []
        try:
            if not self.finished:
                try:
                    _send(self._conn, ("stop", True))
                except (BrokenPipeError, ConnectionResetError):
                    pass  # it has exited already: what it sent before is still to be read
            deadline = time.monotonic() + STOP_TIMEOUT_S
            while not self.finished:
                if not self._conn.poll(max(deadline - time.monotonic(), 0)):
                    break
                out.append(_recv(self._conn))
                self.finished = out[-1].final
        except (EOFError, BrokenPipeError, ConnectionResetError):
            pass
        self._died()
        return out

    def _died(self) -> None:
        self.finished = True
        self._finalizer()
