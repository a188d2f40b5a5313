"""The headless CLI contract: JSON last line, every setting a flag, one-line errors with exit 2."""
import json
import subprocess
import sys

import numpy as np
import pytest
import torch

from ganviz.cli import main
from ganviz.bench.races import ratio_goal
from ganviz.config import GANConfig, choices_of, setting_fields
from ganviz.data import read_points_csv
from support.cli import last_json, run

RESULT_KEYS = {"config", "iterations", "seconds", "iters_per_sec", "modes_captured", "modes_total",
               "hq_fraction", "reverse_kl", "js", "js_units", "js_floor", "w1", "sliced_w1",
               "critic_estimate", "diverged", "device", "w1_points"}
FAST = ["--g-width", "16", "--d-width", "16", "--batch-size", "32"]


def test_train_prints_resolved_config_and_metrics(capsys, tmp_path):
    samples = tmp_path / "samples.csv"
    code, out, err = run(capsys, "train", "--steps", "20", "--seed", "3", "--loss", "hinge", "--lr-d", "0.002",
                         "--spectral-norm-d", "--samples-out", str(samples), *FAST)
    assert code == 0, err
    result = last_json(out)
    assert RESULT_KEYS <= set(result)
    assert result["iterations"] == 20 and result["modes_total"] == 8 and result["js_units"] == "nats"
    cfg = result["config"]
    assert (cfg["loss"], cfg["lr_d"], cfg["seed"], cfg["spectral_norm_d"], cfg["g_width"]) == ("hinge", 0.002, 3,
                                                                                                  True, 16)
    assert 0 <= result["js"] <= np.log(2) + 1e-9 and result["w1"] > 0
    assert isinstance(result["critic_estimate"], float)  # hinge's D is a critic
    points = read_points_csv(samples)
    assert points.shape == (2500, 2)
    assert samples.read_text().splitlines()[0] == "x,y"
    assert "iteration 20/20" in err


def test_same_seed_same_result(capsys):
    a = last_json(run(capsys, "train", "--steps", "10", "--seed", "1", *FAST)[1])
    b = last_json(run(capsys, "train", "--steps", "10", "--seed", "1", *FAST)[1])
    drop = lambda r: {k: v for k, v in r.items() if k not in ("seconds", "iters_per_sec")}
    assert drop(a) == drop(b)


def test_preset_then_flags_override(capsys):
    result = last_json(run(capsys, "train", "--preset", "grid25", "--steps", "2", "--noise-dim", "3", *FAST)[1])
    assert result["config"]["dataset"] == "grid25" and result["modes_total"] == 25
    assert result["config"]["noise_dim"] == 3


def test_config_file_round_trip(capsys, tmp_path):
    first = last_json(run(capsys, "train", "--steps", "2", "--loss", "least-squares", *FAST)[1])
    path = tmp_path / "config.json"
    path.write_text(json.dumps(first["config"]))
    second = last_json(run(capsys, "train", "--steps", "2", "--config", str(path))[1])
    assert second["config"] == first["config"]


def test_custom_csv_data(capsys, tmp_path):
    path = tmp_path / "points.csv"
    rng = np.random.default_rng(0)
    path.write_text("x,y\n" + "\n".join(f"{x},{y}" for x, y in rng.normal(size=(50, 2))))
    result = last_json(run(capsys, "train", "--steps", "3", "--data-csv", str(path), *FAST)[1])
    assert result["config"]["dataset"] == "custom"
    assert result["modes_captured"] is None and result["hq_fraction"] is None and result["w1"] > 0


@pytest.mark.parametrize("argv, expected", [
    (["--lr-d", "-1"], "--lr-d"),
    (["--lr-d", "abc"], "--lr-d"),
    (["--loss", "nope"], "--loss"),
    (["--noise-dim", "129"], "--noise-dim"),
    (["--noise-dim", "2.5"], "--noise-dim"),
    (["--dataset", "nope"], "--dataset"),
    (["--steps", "0"], "--steps"),
    (["--steps", "many"], "--steps"),
    (["--bogus", "1"], "--bogus"),
    (["--preset", "nope"], "nope"),
    (["--data-csv", "/nonexistent/points.csv"], "--data-csv"),
    (["--dataset", "custom"], "--data-csv"),
    (["--config", "/nonexistent/config.json"], "--config"),
])
def test_bad_values_exit_2_with_one_line(capsys, argv, expected):
    code, out, err = run(capsys, "train", *argv)
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ganviz: error:") and expected in lines[0]


def test_bad_csv_content_is_reported_on_one_line(capsys, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("1,2\n3,4,5\n" * 10)
    code, _, err = run(capsys, "train", "--data-csv", str(path))
    assert code == 2 and len(err.strip().splitlines()) == 1 and "two columns" in err


def test_help_lists_every_setting_with_its_range(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "10000")  # no wrapping, so hyphenated choices stay whole
    with pytest.raises(SystemExit) as e:
        main(["train", "--help"])
    assert e.value.code == 0
    text = capsys.readouterr().out
    for f in setting_fields():
        flag = "--" + f.name.replace("_", "-")
        assert flag in text, flag
        meta = f.metadata
        if choices_of(f):
            assert ", ".join(choices_of(f)) in text
        elif meta["min"] is not None:
            assert f"[{meta['min']:g} to {meta['max']:g}]" in text


def test_bench_reports_speed_and_environment(capsys):
    code, out, _ = run(capsys, "bench", "--seconds", "0.3")
    result = last_json(out)
    assert code == 0 and result["iters_per_sec"] > 0 and result["iterations"] > 0
    assert result["device"] == "cpu" and result["torch"].startswith("2.") and result["torch_threads"] == 1


def test_bench_runs_reports_the_ratio_and_that_every_raced_run_equals_the_run_alone(capsys, tmp_path):
    config = tmp_path / "small.json"
    config.write_text(GANConfig(g_width=16, d_width=16, g_depth=2, d_depth=2, batch_size=32).to_json())
    code, out, _ = run(capsys, "bench", "--runs", "3", "--seconds", "0.1", "--config", str(config))
    result = last_json(out)
    assert code == 0 and result["runs"] == 3 and result["iterations"] > 0 and result["config"]["g_width"] == 16
    assert result["ratio_vs_one_run"] == pytest.approx(result["seconds_all_runs"] / result["seconds_one_run"])
    assert result["ratio_one_by_one"] > 0 and result["cores"] >= 1
    assert result["ideal_ratio"] == pytest.approx(3 / min(3, result["cores"]))
    assert result["ratio_goal"] == ratio_goal(3, result["cores"])
    assert result["goal_met"] == (result["ratio_vs_one_run"] <= result["ratio_goal"])
    # each raced run trained in its own process is that same Trainer: bit for bit the run trained alone
    assert result["identical_to_alone"] is True and result["max_abs_difference"] == 0.0


def test_the_race_goal_is_ten_percent_over_the_ideal_until_every_run_has_a_core():
    assert ratio_goal(4, 2) == 2.2 and ratio_goal(4, 4) == 1.3 and ratio_goal(2, 16) == 1.3
    assert ratio_goal(4, 1) == 4.4 and ratio_goal(3, 2) == 1.65


@pytest.mark.parametrize("argv,message", [
    (["bench", "--runs", "5"], "--runs: must be between 2 and 4"),
    (["bench", "--runs", "2", "--config", "/nonexistent.json"], "--config: cannot read"),
    (["bench", "--runs", "2", "--config", "{bad}"], "--config: {bad}: lr_d: must be between"),
    (["train", "--steps", "1", "--config", "{bad}"], "--config: {bad}: lr_d: must be between"),
])
def test_bad_bench_and_config_arguments_exit_with_one_line(capsys, tmp_path, argv, message):
    bad = tmp_path / "bad.json"
    bad.write_text('{"lr_d": 99}')
    argv = [str(bad) if a == "{bad}" else a for a in argv]
    code, _, err = run(capsys, *argv)
    assert code == 2 and err.count("\n") == 1 and message.replace("{bad}", str(bad)) in err


def test_presets_are_listed(capsys):
    result = last_json(run(capsys, "presets")[1])
    assert {"ring8", "grid25"} <= set(result) and all(p["watch"] for p in result.values())


def test_module_entry_point_runs_as_a_program():
    proc = subprocess.run([sys.executable, "-m", "ganviz", "train", "--steps", "2", *FAST],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.strip().splitlines()[-1])["iterations"] == 2
    bad = subprocess.run([sys.executable, "-m", "ganviz", "train", "--ema", "2"], capture_output=True, text=True,
                         timeout=120)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "--ema" in bad.stderr
