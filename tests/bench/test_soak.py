"""The soak benchmark's trend: the least-squares slope over its samples, per 10 minutes."""

import pytest

from ganviz.bench.sessions import slope_per_10_minutes


def samples(*pairs):
    return [{"minute": m, "mb": v} for m, v in pairs]


def test_the_slope_of_a_line_is_its_rise_per_10_minutes():
    assert slope_per_10_minutes(samples((1, 50.0), (2, 51.0), (3, 52.0)), "mb") == pytest.approx(10.0)
    assert slope_per_10_minutes(samples((1, 60.0), (31, 60.0)), "mb") == pytest.approx(0.0)


def test_one_transient_sample_moves_the_trend_little():
    flat = samples(*[(m, 60.0) for m in range(1, 32)])
    flat[-1]["mb"] = 70.0  # the last sample lands on a transient: the end is 17 % over the start
    assert abs(slope_per_10_minutes(flat, "mb")) < 1.0


def test_fewer_than_two_distinct_minutes_have_no_slope():
    assert slope_per_10_minutes(samples((1, 50.0)), "mb") is None
    assert slope_per_10_minutes(samples((1, 50.0), (1, 52.0)), "mb") is None
