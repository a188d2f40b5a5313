"""The race benchmark: the time of N runs raced against one run alone, the goal for that ratio, and that every raced
run is bit for bit the run trained alone (the same Trainer code in a worker process)."""

import pytest

from ganviz.bench.races import ratio_goal
from ganviz.config import GANConfig
from support.cli import last_json, run


@pytest.mark.slow  # times one run alone, the runs one by one and raced: several seconds
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
