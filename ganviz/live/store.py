"""Time travel with bounded memory: a thinning store of (iteration, Snapshot, trainer state).

The app records the run as it trains and lets the user scrub back through it, and resume training
from any recorded point. Recording every iteration would grow without bound, so the store keeps at
most `capacity` entries by *thinning*: entries are recorded at least `gap` iterations apart (the gap
starts at `min_gap`); when one more than `capacity` are held, every other entry is dropped (the
first and the newest always stay) and the gap doubles. After k thinnings the gap is min_gap·2^k and
the entries still cover the whole run, roughly evenly spaced, however long it trains.

Memory bound: at most capacity + 1 entries (momentarily, before a thinning), each holding one
Snapshot's arrays plus one full trainer state (G, D, the EMA copy, both optimisers' state, the
RNG). For the default config (two 3×128 MLPs, Adam, EMA on, noise_dim 2), measured with `nbytes()`:

    trainer state  ≈ 946 kB:  G 134.7 kB + D 134.1 kB + EMA 134.7 kB
                              + Adam moments (exp_avg, exp_avg_sq) 268.3 kB (D) + 269.4 kB (G)
                              + RNG state 5 kB
    Snapshot       ≈ 152 kB:  d_surface 100×100 float64 80 kB, latent lines 40 kB, fake points,
                              their push vectors and the gradient field ≈ 31 kB
                              (real points 8 kB and mode centres are shared by every snapshot)
    one entry      ≈ 1.1 MB,  so the default capacity of 32 holds ≈ 36 MB (≈ 37 MB at 33 entries).

Wider networks grow the state quadratically (g_width = d_width = 1024: ≈ 59 MB per entry, ≈ 1.9 GB
at capacity 32): with `max_bytes` the store keeps only as many entries as fit (never fewer than 2), which
the app uses to bound each session's time travel.
"""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

import numpy as np
import torch


class SnapshotStore:
    """Recorded (iteration, Snapshot, trainer state) entries, oldest first, at most `capacity`.

    `state` is whatever `Trainer.get_state()` returns; the store keeps the object it is given (the
    trainer hands out copies) and `state_at` returns a deep copy, so nothing done with a returned
    state (torch's optimiser `load_state_dict` keeps references to the tensors it is given, which
    training then updates in place) can alter a stored entry.
    """

    def __init__(self, capacity: int = 32, min_gap: int = 10, max_bytes: int | None = None):
        """At most `capacity` entries, and with `max_bytes`, at most as many as fit in it (the first entry's
        size tells), but never fewer than 2."""
        if capacity < 2:
            raise ValueError(f"capacity must be at least 2 (got {capacity})")
        if min_gap < 1:
            raise ValueError(f"min_gap must be at least 1 (got {min_gap})")
        self.capacity = capacity
        self.max_bytes = max_bytes
        self.min_gap = min_gap
        self.gap = min_gap  # doubles at every thinning
        self._entries: list[tuple[int, Any, Any]] = []

    # --- recording -------------------------------------------------------------------------------

    def maybe_add(self, iteration: int, snapshot, state) -> bool:
        """Record if `iteration` is at least `gap` after the newest entry (the first call always
        records). Returns whether it recorded. An iteration before the newest entry means the run
        was rewound: entries after it are dropped first (see `truncate_after`). `state` may be a
        callable that returns the state, so that it is only copied when it is recorded."""
        iteration = int(iteration)
        self._rewind_to(iteration)
        if self._entries and iteration < self._entries[-1][0] + self.gap:
            return False
        self._append(iteration, snapshot, state() if callable(state) else state)
        return True

    def add(self, iteration: int, snapshot, state) -> None:
        """Record now, whatever the gap (on Pause or Step, say). Recording again at the newest
        entry's iteration replaces that entry (single D or G steps change the networks but not the
        iteration); an earlier iteration drops the entries after it first, as in `maybe_add`."""
        iteration = int(iteration)
        self._rewind_to(iteration)
        if self._entries and self._entries[-1][0] == iteration:
            self._entries.pop()
        self._append(iteration, snapshot, state)

    def _append(self, iteration: int, snapshot, state) -> None:
        if not self._entries and self.max_bytes is not None:
            entry = _nbytes(snapshot, set()) + _nbytes(state, set())
            self.capacity = max(2, min(self.capacity, self.max_bytes // max(entry, 1)))
        self._entries.append((iteration, snapshot, state))
        if len(self._entries) > self.capacity:
            self._thin()

    def _thin(self) -> None:
        """Drop every other entry, keeping the first and the newest; double the gap."""
        kept = self._entries[::2]
        if kept[-1] is not self._entries[-1]:
            kept.append(self._entries[-1])
        self._entries = kept
        self.gap *= 2

    def _rewind_to(self, iteration: int) -> None:
        if self._entries and iteration < self._entries[-1][0]:
            self.truncate_after(iteration)

    # --- reading ---------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._entries)

    def iterations(self) -> list[int]:
        return [it for it, _, _ in self._entries]

    def snapshot_at(self, index: int):
        """The Snapshot of entry `index` (negative indices count from the newest)."""
        return self._entries[index][1]

    def state_at(self, index: int):
        """A private deep copy of entry `index`'s trainer state, safe to load and train from."""
        return copy.deepcopy(self._entries[index][2])

    def index_of(self, iteration: int) -> int:
        """Index of the newest entry recorded at or before `iteration` (0 if all are later)."""
        if not self._entries:
            raise IndexError("the store is empty")
        index = 0
        for i, (it, _, _) in enumerate(self._entries):
            if it <= iteration:
                index = i
        return index

    # --- forgetting ------------------------------------------------------------------------------

    def truncate_after(self, iteration: int) -> None:
        """Drop entries recorded after `iteration`: resuming from a past entry rewrites the future.
        The gap is kept, so new entries continue the existing spacing."""
        self._entries = [e for e in self._entries if e[0] <= iteration]

    def clear(self) -> None:
        """Forget everything (a new run) and start again at `min_gap`."""
        self._entries = []
        self.gap = self.min_gap

    # --- memory ----------------------------------------------------------------------------------

    def nbytes(self) -> int:
        """Bytes held by every numpy array and torch tensor in the stored snapshots and states,
        each buffer counted once (snapshots share their real points and mode centres)."""
        seen: set[int] = set()
        return sum(_nbytes(snapshot, seen) + _nbytes(state, seen) for _, snapshot, state in self._entries)


def _nbytes(obj, seen: set[int]) -> int:
    if isinstance(obj, torch.Tensor):
        key = obj.untyped_storage().data_ptr() if obj.device.type != "meta" else id(obj)
        if key in seen:
            return 0
        seen.add(key)
        return obj.untyped_storage().nbytes()
    if isinstance(obj, np.ndarray):
        if id(obj) in seen:
            return 0
        seen.add(id(obj))
        return obj.nbytes
    if isinstance(obj, dict):
        return sum(_nbytes(v, seen) for v in obj.values())
    if isinstance(obj, (list, tuple)):
        return sum(_nbytes(v, seen) for v in obj)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return sum(_nbytes(getattr(obj, f.name), seen) for f in dataclasses.fields(obj))
    return 0
