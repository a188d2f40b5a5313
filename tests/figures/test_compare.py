"""The Compare page's figures: small multiples in sync, every curve overlaid with one colour per run."""

import numpy as np
import pytest

from ganviz.config import GANConfig, image_config
from ganviz.figures.compare import RUN_COLOURS, grid_shape, race_charts, small_multiples
from ganviz.figures.images import picture_figure
from ganviz.racing.race import Race, RaceConfig, run_metrics_log
from support.pages import plotly_array

SMALL = dict(g_width=16, d_width=16, g_depth=2, d_depth=2, batch_size=32, device="cpu")


@pytest.fixture(scope="module")
def race():
    race = Race(RaceConfig((GANConfig(**SMALL), GANConfig(**SMALL, loss="wgan-gp"), GANConfig(**SMALL, d_steps=3))))
    race.step(12)
    return race


def traces(fig, **meta):
    return [t for t in fig.data if all((t.meta or {}).get(k) == v for k, v in meta.items())]


def test_grid_shapes():
    assert [grid_shape(n) for n in (1, 2, 3, 4)] == [(1, 1), (1, 2), (2, 2), (2, 2)]


def test_small_multiples_put_each_run_in_its_own_panel_with_shared_axes(race):
    snap = race.snapshot()
    fig = small_multiples(snap, race.config.labels(), stopped={"C": "diverged at iteration 9, stopped"})
    for k, name in enumerate(race.names):
        suffix = "" if k == 0 else str(k + 1)
        (surface,) = traces(fig, run=name, kind="surface")
        assert surface.xaxis == f"x{suffix}" and surface.showscale is False
        np.testing.assert_array_equal(surface.z, snap.runs[k].d_surface.astype(np.float32))
        (fake,) = traces(fig, run=name, kind="fake")
        np.testing.assert_allclose(plotly_array(fake.x), snap.runs[k].fake[:, 0], rtol=1e-6)
    layout = fig.layout
    assert layout.xaxis2.matches == "x" and layout.xaxis3.matches == "x" and layout.yaxis3.matches == "y"
    assert list(layout.xaxis.range) == list(layout.xaxis3.range)
    # two panels on top, one below: the domains do not overlap
    assert layout.xaxis.domain[1] < layout.xaxis2.domain[0] and layout.yaxis3.domain[1] < layout.yaxis.domain[0]
    titles = [a.text for a in layout.annotations]
    assert RUN_COLOURS[1] in titles[1] and "B: loss wgan-gp" in titles[1] and "critic f(x)" in titles[1]
    a = snap.metrics["A"]
    assert f"{a['modes_captured']}/{a['modes_total']} modes" in titles[0]  # run A's own count
    assert "diverged at iteration 9" in titles[2] and "diverged" not in titles[0]
    assert sum(bool(t.showlegend) for t in fig.data) == len({t.meta["kind"] for t in traces(fig, run="A")}) - 1


def test_panels_show_each_run_s_own_metrics(race):
    snap = race.snapshot()
    fig = small_multiples(snap, race.config.labels())
    for name, annotation in zip(race.names, fig.layout.annotations):
        m = snap.metrics[name]
        assert f"{m['modes_captured']}/{m['modes_total']} modes" in annotation.text
        assert f"W1 {m['w1']:.3g}" in annotation.text
    unmeasured = small_multiples(race.snapshot(with_metrics=False), race.config.labels())
    assert "modes" not in unmeasured.layout.annotations[0].text.split("<br>")[1].replace("modes captured", "")


def test_race_charts_overlay_every_run_in_its_colour(race):
    log = [{"iteration": 12, **race.snapshot().metrics}]
    runs = [
        (n, label, t.history.as_dict(), run_metrics_log(log, n))
        for n, label, t in zip(race.names, race.config.labels(), race.runs)
    ]
    fig = race_charts(runs)
    for k, (name, label, history, _) in enumerate(runs):
        (loss_d,) = traces(fig, run=name, kind="loss_d")
        assert loss_d.line.color == RUN_COLOURS[k] and loss_d.name == label and loss_d.legendgroup == name
        np.testing.assert_array_equal(plotly_array(loss_d.y), history["loss_d"])
        (loss_g,) = traces(fig, run=name, kind="loss_g")
        assert loss_g.line.dash == "dot" and not loss_g.showlegend  # one legend entry per run
        (w1,) = traces(fig, run=name, kind="w1")
        assert list(w1.y) == [log[0][name]["w1"]] and w1.yaxis == "y4"
        (hq,) = traces(fig, run=name, kind="hq_fraction")
        assert list(hq.y) == [100 * log[0][name]["hq_fraction"]]
    assert len(traces(fig, kind="js_floor")) == 1  # the data's floor, drawn once
    assert sum(bool(t.showlegend) for t in fig.data) == 4  # A, B, C and the floor
    assert fig.layout.yaxis2.type == "log" and list(fig.layout.yaxis3.range)[1] == pytest.approx(np.log(2) * 1.04)
    assert fig.layout.xaxis.matches == "x6"


def test_race_charts_before_any_training_say_so():
    empty = [("A", "A", {}, []), ("B", "B: loss hinge", {}, [])]
    fig = race_charts(empty)
    assert all(t.meta["kind"] == "placeholder" for t in fig.data)
    assert any("press Play" in a.text for a in fig.layout.annotations)
    with pytest.raises(ValueError, match="unknown metrics"):
        race_charts(empty, metrics="sounds")


def test_digit_races_draw_sample_grids_and_image_panels(tmp_path, monkeypatch):
    monkeypatch.setenv("GANVIZ_CACHE_DIR", str(tmp_path))
    race = Race(
        RaceConfig((image_config("digits", batch_size=16), image_config("digits", batch_size=16, loss="hinge")))
    )
    race.step(2)
    snap = race.snapshot(with_metrics=False)
    fig = small_multiples(snap, race.config.labels())
    assert [t.type for t in fig.data] == ["heatmap", "heatmap"] and fig.layout.yaxis2.autorange == "reversed"
    assert fig.layout.xaxis2.matches is None  # pictures: nothing to zoom together
    log = [
        {
            "iteration": 2,
            "A": {"iteration": 2, "fid": 50.0, "fid_floor": 2.0, "classes_covered": 4, "mean_confidence": 0.5},
        }
    ]
    charts = race_charts(
        [(n, n, t.history.as_dict(), run_metrics_log(log, n)) for n, t in zip(race.names, race.runs)], metrics="images"
    )
    assert list(traces(charts, run="A", kind="mean_confidence")[0].y) == [50.0]
    assert traces(charts, kind="fid_floor") and not traces(charts, run="B", kind="fid")


def panel_px(layout, suffix: str, width: float, height: float) -> tuple[float, float]:
    """A panel's width and height in pixels, for a figure drawn `width` × `height` (its margins, its domains)."""
    m = layout.margin
    x0, x1 = layout[f"xaxis{suffix}"].domain
    y0, y1 = layout[f"yaxis{suffix}"].domain
    return (width - m.l - m.r) * (x1 - x0), (height - m.t - m.b) * (y1 - y0)


@pytest.mark.parametrize("runs", [2, 3])
def test_drawn_at_its_aspect_the_tightest_panel_is_exactly_square(race, runs):
    """`layout.meta.aspect` (what a window-fitted view is drawn no taller than) leaves no empty band: drawn
    `width` wide and that aspect's height, the least tall panel is as tall as it is wide (2D ranges are square)."""
    snap = race.snapshot()
    snap = type(snap)(**{**vars(snap), "names": snap.names[:runs], "runs": snap.runs[:runs]})
    fig = small_multiples(snap, race.config.labels()[:runs])
    layout, width = fig.layout, 1000
    height = (width - layout.margin.l - layout.margin.r) * layout.meta["aspect"] + layout.margin.t + layout.margin.b
    sizes = [panel_px(layout, "" if k == 0 else str(k + 1), width, height) for k in range(runs)]
    assert min(h / w for w, h in sizes) == pytest.approx(1.0)


def test_a_digits_grid_s_aspect_is_its_picture_s():
    fig = picture_figure(np.zeros((53, 89)), title="", height=500)
    assert fig.layout.meta["aspect"] == 53 / 89
