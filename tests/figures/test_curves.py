"""The training charts: one shared x axis, the history and the metrics on their panels, long histories
downsampled, and notes where there is nothing to draw yet."""

import numpy as np
import pytest

from ganviz.figures.curves import MAX_CHART_POINTS, downsample, training_charts
from ganviz.training.history import HISTORY_KEYS, History

# --- training_charts ------------------------------------------------------------------------


def make_history(n=300, seed=0) -> dict:
    rng = np.random.default_rng(seed)
    h = {k: rng.random(n) + 0.1 for k in HISTORY_KEYS}
    h["iteration"] = np.arange(1, n + 1)
    return h


def make_log(n=300, every=50, modes=True, critic=False) -> list[dict]:
    log = []
    for i in range(every, n + 1, every):
        rec = dict(
            iteration=i,
            js=0.5 / i**0.5,
            js_floor=0.01,
            w1=2.0 / i,
            sliced_w1=1.5 / i,
            modes_captured=min(8, i // 40) if modes else None,
            modes_total=8 if modes else None,
            hq_fraction=min(1.0, i / 400) if modes else None,
            reverse_kl=None,
            mode_counts=None,
            critic_estimate=1.8 / i if critic else None,
        )
        log.append(rec)
    return log


def data_traces(fig):
    return {t.meta["kind"]: t for t in fig.data if t.meta and t.meta["kind"] != "placeholder"}


def test_charts_share_one_x_axis():
    fig = training_charts(make_history(), make_log(), loss_output="probability")
    lay = fig.layout
    for name in ("xaxis", "xaxis2", "xaxis3", "xaxis4"):
        assert lay[name].matches == "x5" and lay[name].showticklabels is False
    assert lay.xaxis5.title.text == "iteration"
    assert {t.xaxis for t in fig.data} == {"x", "x2", "x3", "x4", "x5"}
    assert lay.uirevision == "charts"


def test_chart_traces_are_the_history_and_the_metrics():
    h, log = make_history(), make_log()
    fig = training_charts(h, log, loss_output="probability")
    traces = data_traces(fig)
    panel = {"loss_d": "y", "loss_g": "y", "d_real": "y2", "d_fake": "y2", "grad_norm_d": "y3", "grad_norm_g": "y3"}
    for key, yaxis in panel.items():
        np.testing.assert_array_equal(traces[key].y, h[key])
        np.testing.assert_array_equal(traces[key].x, h["iteration"])
        assert traces[key].yaxis == yaxis
    its = [r["iteration"] for r in log]
    for key in ("js", "js_floor", "w1", "modes_captured"):
        np.testing.assert_array_equal(traces[key].x, its)
        np.testing.assert_allclose(traces[key].y, [r[key] for r in log])
    np.testing.assert_allclose(traces["hq_fraction"].y, [100 * r["hq_fraction"] for r in log])
    assert traces["js_floor"].line.dash == "dash"
    assert traces["w1"].yaxis == "y6" and fig.layout.yaxis6.overlaying == "y4"  # W1 on its own axis
    assert traces["hq_fraction"].yaxis == "y7" and fig.layout.yaxis7.overlaying == "y5"
    assert "critic_estimate" not in traces
    assert fig.layout.yaxis3.type == "log"
    assert tuple(fig.layout.yaxis2.range) == (0, 1)
    assert fig.layout.yaxis4.title.text == "JS (nats)"
    assert "8" in fig.layout.yaxis5.title.text


@pytest.mark.parametrize("loss_output", ["probability", "score", "critic"])
def test_critic_estimate_only_for_critic_losses(loss_output):
    log = make_log(critic=loss_output == "critic")
    fig = training_charts(make_history(), log, loss_output=loss_output)
    traces = data_traces(fig)
    assert ("critic_estimate" in traces) == (loss_output == "critic")
    if loss_output == "critic":
        np.testing.assert_allclose(traces["critic_estimate"].y, [r["critic_estimate"] for r in log])
        assert traces["critic_estimate"].yaxis == traces["w1"].yaxis  # beside the exact W1
    if loss_output != "probability":
        assert fig.layout.yaxis2.range is None  # unbounded outputs autorange


def test_downsample_keeps_ends_and_spikes_and_caps_length():
    x = np.arange(1, 100_001)
    y = np.sin(x / 500.0)
    y[54_321] = 50.0
    y[7_777] = -50.0
    dx, dy = downsample(x, y, 2000)
    assert len(dx) <= 2000 and len(dx) == len(dy)
    assert (dx[0], dx[-1]) == (1, 100_000)
    assert np.all(np.diff(dx) > 0)
    np.testing.assert_array_equal(dy, y[dx - 1])  # real points, not averages
    assert 50.0 in dy and -50.0 in dy
    sx, sy = downsample(x[:500], y[:500], 2000)
    np.testing.assert_array_equal(sx, x[:500])
    np.testing.assert_array_equal(sy, y[:500])


def test_long_histories_draw_capped_traces():
    h = make_history(100_000)
    fig = training_charts(h, make_log(100_000, every=1000), loss_output="probability")
    for kind, t in data_traces(fig).items():
        assert len(t.x) <= MAX_CHART_POINTS, kind
        if kind in HISTORY_KEYS:
            assert (t.x[0], t.x[-1]) == (1, 100_000)


@pytest.mark.parametrize("history", [{}, "empty History"])
def test_empty_history_shows_a_note(history):
    if history == "empty History":
        history = History().as_dict()
    fig = training_charts(history, [], loss_output="probability")
    assert data_traces(fig) == {}
    assert any("press Play or Step" in a.text for a in fig.layout.annotations)
    assert {t.yaxis for t in fig.data} == {"y", "y2", "y3", "y4", "y5"}  # every panel keeps its axes
    fig.to_json()


def test_data_without_modes_shows_a_note_instead_of_empty_lines():
    fig = training_charts(make_history(), make_log(modes=False), loss_output="probability")
    traces = data_traces(fig)
    assert "modes_captured" not in traces and "hq_fraction" not in traces
    assert "js" in traces
    notes = [a for a in fig.layout.annotations if a.text == "no discrete modes in this dataset"]
    assert len(notes) == 1 and notes[0].yref == "y5 domain"


def test_metrics_not_yet_computed():
    fig = training_charts(make_history(), [], loss_output="critic")
    assert set(data_traces(fig)) == set(HISTORY_KEYS) - {"critic_gap"}
    assert sum(a.text == "no metrics yet" for a in fig.layout.annotations) == 2


def test_image_charts_show_fid_with_its_floor_and_digit_coverage():
    log = [
        {
            "iteration": i,
            "fid": 500.0 / i,
            "fid_floor": 4.0,
            "classes_covered": min(i, 10),
            "classes_total": 10,
            "mean_confidence": 0.5 + 0.04 * i,
        }
        for i in (1, 5, 10)
    ]
    history = {k: np.ones(10) for k in ("loss_d", "loss_g", "d_real", "d_fake", "grad_norm_d", "grad_norm_g")}
    fig = training_charts(history, log, loss_output="probability", metrics="images")
    kinds = {t.meta["kind"]: t for t in fig.data}
    assert {"fid", "fid_floor", "classes_covered", "mean_confidence"} <= set(kinds)
    assert "js" not in kinds and fig.layout.yaxis4.type == "log"
    np.testing.assert_allclose(kinds["mean_confidence"].y, [54, 70, 90])
    with pytest.raises(ValueError, match="metrics"):
        training_charts(history, log, loss_output="probability", metrics="nope")
