"""The image benchmark: iterations per second of every image model, and the time until the samples read as digits."""

import pytest

from support.cli import last_json, run


@pytest.mark.slow  # four models for 0.2 s each, then training until the samples read as digits (up to 1 s)
def test_bench_reports_every_image_model_and_the_time_to_digits(capsys, shared_cache):
    code, out, _ = run(capsys, "bench", "--mnist", "--dataset", "digits", "--seconds", "0.2", "--max-seconds", "1")
    result = last_json(out)
    assert code == 0 and set(result["iters_per_sec"]) == {"mlp-003", "mlp-cpu", "dcgan", "keras-conv"}
    assert all(v > 0 for v in result["iters_per_sec"].values())
    assert "time_to_digits_s" in result and isinstance(result["reached"], bool) and result["iterations"] > 0
