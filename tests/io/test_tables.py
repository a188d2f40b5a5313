"""Downloads as tables: the config as JSON, the metrics CSV with one row per iteration and the measurements on
their rows."""

import csv
import io

import numpy as np
import pytest

from ganviz import GANConfig, Trainer
from ganviz.io.tables import IMAGE_METRIC_KEYS, METRIC_KEYS, config_json, metrics_csv
from ganviz.training.history import HISTORY_KEYS
from support.runs import small

# --- config and metrics ----------------------------------------------------------------------------


def test_config_json_round_trips():
    cfg = GANConfig(loss="wgan-gp", g_width=64, ema=0.0, seed=7)
    assert GANConfig.from_json(config_json(cfg)) == cfg


def test_metrics_csv_has_one_row_per_iteration_and_sparse_metrics_on_their_rows():
    n = 25
    history = {k: np.arange(n) * 0.5 + i for i, k in enumerate(HISTORY_KEYS)}
    history["iteration"] = np.arange(1, n + 1)
    measured = {0: 0.69, 10: 0.31, 25: 0.12}
    log = [
        dict(
            iteration=it,
            js=js,
            js_floor=0.01,
            w1=js / 3,
            sliced_w1=js / 4,
            modes_captured=it // 5,
            modes_total=8,
            hq_fraction=0.5,
            reverse_kl=None,
            critic_estimate=None,
            mode_counts=[1, 2],
        )
        for it, js in measured.items()
    ]
    rows = list(csv.DictReader(io.StringIO(metrics_csv(history, log))))
    assert list(rows[0]) == ["iteration", *HISTORY_KEYS, *METRIC_KEYS]
    assert len(rows) == n + 1  # iterations 1..25, and 0: measured before training
    assert [int(r["iteration"]) for r in rows] == list(range(0, n + 1))
    by_it = {int(r["iteration"]): r for r in rows}
    for it in range(n + 1):
        row = by_it[it]
        if it in measured:
            assert float(row["js"]) == measured[it] and int(row["modes_captured"]) == it // 5
            assert row["modes_total"] == "8" and row["reverse_kl"] == "" and row["critic_estimate"] == ""
        else:
            assert all(row[k] == "" for k in METRIC_KEYS)
        if it == 0:
            assert all(row[k] == "" for k in HISTORY_KEYS)
        else:  # full precision
            assert float(row["loss_g"]) == history["loss_g"][it - 1] and float(row["d_real"]) == it * 0.5 - 0.5 + 2


def test_metrics_csv_from_a_real_run():
    t = Trainer(small())
    log = []
    t.step(6)
    log.append({"iteration": t.iteration, **t.evaluate()})
    t.step(4)
    rows = list(csv.DictReader(io.StringIO(metrics_csv(t.history.as_dict(), log))))
    assert len(rows) == 10 and rows[5]["iteration"] == "6"
    assert set(METRIC_KEYS) <= set(log[0])  # the columns are evaluate()'s keys
    assert float(rows[5]["w1"]) == log[0]["w1"] and rows[4]["w1"] == "" and rows[6]["js"] == ""
    assert float(rows[9]["loss_d"]) == t.history.as_dict()["loss_d"][9]
    assert metrics_csv({}, []).strip() == ",".join(["iteration", *HISTORY_KEYS, *METRIC_KEYS])
    with pytest.raises(ValueError, match="iteration"):
        metrics_csv({}, [{"js": 0.1}])


def test_image_metrics_csv_has_the_image_columns():
    text = metrics_csv({}, [{"iteration": 0, "fid": 12.5, "fid_floor": 2.0, "classes_covered": 3}], IMAGE_METRIC_KEYS)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows[0]["fid"] == "12.5" and rows[0]["classes_covered"] == "3" and "js" not in rows[0]
