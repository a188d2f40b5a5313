"""Per-iteration training curves, stored as one growing float64 array (no Python objects per step)."""

from __future__ import annotations

import numpy as np
import torch

HISTORY_KEYS = (
    "loss_d",  # D's full objective, penalties included
    "loss_g",  # G's full objective, extra loss included
    "d_real",  # mean D(x): a probability for logit losses, the raw score otherwise
    "d_fake",  # mean D(G(z)), same units
    "grad_norm_d",  # L2 norm of D's whole gradient at its last step of the iteration
    "grad_norm_g",  # L2 norm of G's whole gradient at its last step of the iteration
    "critic_gap",  # mean raw D(x) - mean raw D(G(z)): a critic's own W1 estimate
)


class History:
    def __init__(self):
        self._data = np.empty((1024, len(HISTORY_KEYS)))
        self._n = 0

    def __len__(self) -> int:
        return self._n

    def append(self, rows: np.ndarray) -> None:
        """rows: (n, len(HISTORY_KEYS)), one row per iteration, in order."""
        need = self._n + len(rows)
        if need > len(self._data):
            grown = np.empty((max(need, 2 * len(self._data)), len(HISTORY_KEYS)))
            grown[: self._n] = self._data[: self._n]
            self._data = grown
        self._data[self._n : need] = rows
        self._n = need

    def record(self, stats: list[dict[str, torch.Tensor]]) -> None:
        """Append one row per iteration's statistics (one device-to-host copy for all of them)."""
        self.append(torch.stack([torch.stack([s[k] for k in HISTORY_KEYS]) for s in stats]).double().cpu().numpy())

    def truncate(self, n: int) -> None:
        """Forget everything after the first n iterations (resuming from an earlier state)."""
        self._n = min(self._n, n)

    def rows(self) -> np.ndarray:
        """A copy of every row so far: (iterations, len(HISTORY_KEYS)), the shape `append` takes."""
        return self._data[: self._n].copy()

    def column(self, key: str) -> np.ndarray:
        return self._data[: self._n, HISTORY_KEYS.index(key)].copy()

    def as_dict(self) -> dict[str, np.ndarray]:
        """Each key -> (iterations,) array; `iteration` runs 1..n."""
        out = {k: self._data[: self._n, i].copy() for i, k in enumerate(HISTORY_KEYS)}
        out["iteration"] = np.arange(1, self._n + 1)
        return out

    def last(self) -> dict[str, float]:
        if not self._n:
            return {}
        return {k: float(v) for k, v in zip(HISTORY_KEYS, self._data[self._n - 1])}
