"""Curves and metrics as CSV, settings as JSON: what the pages' downloads write."""

from __future__ import annotations

import csv
import io
import math

import numpy as np

from ganviz.config import GANConfig
from ganviz.training.history import HISTORY_KEYS

# The sparse metrics of Trainer.evaluate(), in the order of the CSV's columns.
METRIC_KEYS = (
    "js",
    "js_floor",
    "w1",
    "sliced_w1",
    "modes_captured",
    "modes_total",
    "hq_fraction",
    "reverse_kl",
    "critic_estimate",
)
IMAGE_METRIC_KEYS = ("fid", "fid_floor", "classes_covered", "classes_total", "mean_confidence", "classifier_accuracy")


def config_json(config: GANConfig) -> str:
    """The config as indented JSON (what `GANConfig.from_json` reads back)."""
    return config.to_json()


def metrics_csv(history: dict, metrics_log: list[dict], metric_keys: tuple[str, ...] = METRIC_KEYS) -> str:
    """One row per iteration: `iteration`, the per-iteration curves (HISTORY_KEYS) and the sparse
    metrics (METRIC_KEYS), which are filled only on the rows where they were measured.

    `history` is `History.as_dict()`; `metrics_log` is a list of `evaluate()` dicts, each with an
    `iteration` key (later entries for the same iteration win; other keys are ignored). An
    iteration measured but not in the history (iteration 0, before training) gets its own row with
    empty curve columns. Missing values are empty cells; numbers keep full precision.
    """
    return _write_csv(("iteration", *HISTORY_KEYS, *metric_keys), _metrics_rows(history, metrics_log, metric_keys))


def race_metrics_csv(runs: dict[str, tuple[dict, list[dict]]], metric_keys: tuple[str, ...] = METRIC_KEYS) -> str:
    """`metrics_csv` of several runs in one table, run by run, with a first column `run`: runs maps each
    run's name to its (history, metrics_log)."""
    rows = [
        {"run": name, **row}
        for name, (history, log) in runs.items()
        for row in _metrics_rows(history, log, metric_keys)
    ]
    return _write_csv(("run", "iteration", *HISTORY_KEYS, *metric_keys), rows)


def _metrics_rows(history: dict, metrics_log: list[dict], metric_keys: tuple[str, ...]) -> list[dict]:
    n = len(history[HISTORY_KEYS[0]]) if HISTORY_KEYS[0] in history else 0
    its = history.get("iteration", np.arange(1, n + 1))
    rows: dict[int, dict] = {}
    for i, it in enumerate(its):
        rows[int(it)] = {k: _cell(history[k][i]) for k in HISTORY_KEYS}
    for entry in metrics_log:
        if "iteration" not in entry:
            raise ValueError("every metrics_log entry needs an 'iteration' key (the iteration it was measured at)")
        row = rows.setdefault(int(entry["iteration"]), {})
        row.update({k: _cell(entry.get(k)) for k in metric_keys})
    return [{"iteration": it, **rows[it]} for it in sorted(rows)]


def _write_csv(columns: tuple[str, ...], rows: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, restval="", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, (bool, np.bool_)):
        return int(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    value = float(value)
    return repr(value) if math.isfinite(value) else ""
