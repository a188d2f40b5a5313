"""The 2D benchmark: iterations per second and the environment they were measured in."""

from support.cli import last_json, run


def test_bench_reports_speed_and_environment(capsys):
    code, out, _ = run(capsys, "bench", "--seconds", "0.3")
    result = last_json(out)
    assert code == 0 and result["iters_per_sec"] > 0 and result["iterations"] > 0
    assert result["device"] == "cpu" and result["torch"].startswith("2.") and result["torch_threads"] == 1
