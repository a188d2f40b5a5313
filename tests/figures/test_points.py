"""Figure builders: the dataset gallery, the main data-space view, the training charts and the model strip."""
import html

import numpy as np
import pytest

from ganviz.data import DATASETS
from ganviz.training.history import HISTORY_KEYS, History
from ganviz.figures.points import ARROW_FRACTION, ARROW_STRIDE, CIRCLE_POINTS, FIELD_FILL, MODE_RADIUS_SIGMAS, arrow_segments, main_view
from ganviz.figures.overview import HIGHLIGHT_FILL, OVERVIEW_BOXES, STAGE_BOXES, model_overview
from ganviz.figures.curves import MAX_CHART_POINTS, downsample, training_charts
from ganviz.figures.style import SURFACE_TITLES
from ganviz.figures.gallery import dataset_gallery
from ganviz.training.points import Snapshot
from ganviz.live.walkthrough import STAGE_KEYS, Stage


def _traces(fig, kind):
    return {t.meta["dataset"]: t for t in fig.data if t.meta and t.meta.get("kind") == kind}


@pytest.fixture(scope="module")
def fig():
    return dataset_gallery(DATASETS, n=300, seed=7)


def test_one_sample_trace_per_dataset_and_mode_traces_only_where_known(fig):
    samples, modes = _traces(fig, "samples"), _traces(fig, "modes")
    assert list(samples) == list(DATASETS)
    assert set(modes) == {name for name, ds in DATASETS.items() if ds.modes is not None}
    assert len(fig.data) == len(samples) + len(modes)
    for name, trace in modes.items():
        np.testing.assert_array_equal(np.column_stack([trace.x, trace.y]), DATASETS[name].modes)


def test_subplot_titles_name_every_dataset(fig):
    titles = [a.text.replace("<br>", " ") for a in fig.layout.annotations]
    assert titles == [ds.title for ds in DATASETS.values()]


def test_points_are_the_datasets_samples_for_the_seed(fig):
    for name, trace in _traces(fig, "samples").items():
        expected = DATASETS[name].sample(300, np.random.default_rng(7))
        np.testing.assert_array_equal(np.column_stack([trace.x, trace.y]), expected)


def test_panels_keep_an_equal_aspect_ratio(fig):
    for i, trace in enumerate(_traces(fig, "samples").values()):
        xaxis = fig.layout[trace.xaxis.replace("x", "xaxis")]
        yaxis = fig.layout[trace.yaxis.replace("y", "yaxis")]
        assert yaxis.scaleanchor == trace.xaxis and yaxis.scaleratio == 1
        assert np.isclose(np.ptp(xaxis.range), np.ptp(yaxis.range))


def test_subset_and_empty_input():
    one = {"ring8": DATASETS["ring8"]}
    assert len(dataset_gallery(one, n=10).data) == 2
    with pytest.raises(ValueError, match="at least one dataset"):
        dataset_gallery({})


# --- main_view --------------------------------------------------------------------------------

EXTENT = (-2.0, 2.0, -2.0, 2.0)
MODES = np.array([[-1.0, -1.0], [-1.0, 1.0], [1.0, -1.0], [1.0, 1.0]])


def make_snap(d_output="probability", *, seed=0, n=64, grid=20, field=5, iteration=1234,
              modes=MODES, mode_counts=(3, 0, 5, 0), latent=True) -> Snapshot:
    rng = np.random.default_rng(seed)
    gx = np.linspace(EXTENT[0], EXTENT[1], grid)
    gy = np.linspace(EXTENT[2], EXTENT[3], grid)
    xx, yy = np.meshgrid(gx, gy)
    if d_output == "critic":
        surface = 3.0 * xx - yy  # max |f| = 8 at a corner
    else:
        surface = 1 / (1 + np.exp(-(xx + 0.5 * yy)))  # row i is y = gy[i]
    fp = np.stack(np.meshgrid(np.linspace(-2, 2, field), np.linspace(-2, 2, field)), axis=-1).reshape(-1, 2)
    metrics = {} if mode_counts is None else {"mode_counts": list(mode_counts)}
    return Snapshot(
        iteration=iteration, extent=EXTENT, real=rng.normal(size=(n, 2)), fake=rng.normal(size=(n, 2)) * 0.5,
        fake_push=rng.normal(size=(n, 2)), grid_x=gx, grid_y=gy, d_surface=surface, d_output=d_output,
        field_points=fp, field_push=rng.normal(size=(len(fp), 2)),
        latent_lines=rng.normal(size=(3, 7, 2)) if latent else None,
        modes=modes, sigma=0.05 if modes is not None else None, metrics=metrics,
    )


def kinds(fig):
    return [t.meta["kind"] for t in fig.data if t.meta]


def trace(fig, kind):
    found = [t for t in fig.data if t.meta and t.meta.get("kind") == kind]
    assert len(found) == 1, f"{len(found)} traces of kind {kind!r}"
    return found[0]


def xy(t):
    return np.column_stack([np.asarray(t.x, dtype=np.float64), np.asarray(t.y, dtype=np.float64)])


def arrows(t):
    """(n, ARROW_STRIDE, 2) from an arrow trace."""
    pts = xy(t)
    assert len(pts) % ARROW_STRIDE == 0
    return pts.reshape(-1, ARROW_STRIDE, 2)


@pytest.mark.parametrize("d_output", ["probability", "score", "critic"])
def test_surface_is_the_d_surface_with_its_colour_range_and_title(d_output):
    snap = make_snap(d_output)
    fig = main_view(snap)
    heat = trace(fig, "surface")
    assert heat.type == "heatmap"
    np.testing.assert_allclose(np.asarray(heat.z, dtype=np.float64), snap.d_surface, rtol=1e-6)
    np.testing.assert_allclose(np.asarray(heat.x, dtype=np.float64), snap.grid_x)
    np.testing.assert_allclose(np.asarray(heat.y, dtype=np.float64), snap.grid_y)
    if d_output == "critic":
        assert (heat.zmin, heat.zmax) == (-8.0, 8.0)  # symmetric: white is f = 0
    else:
        assert (heat.zmin, heat.zmax) == (0.0, 1.0)
    assert heat.colorbar.title.text == SURFACE_TITLES[d_output]
    assert heat.colorscale[0][1] != heat.colorscale[-1][1]  # diverging: two different ends


def test_critic_range_ignores_non_finite_values_and_survives_a_flat_surface():
    snap = make_snap("critic")
    snap.d_surface[0, 0] = np.inf
    heat = trace(main_view(snap), "surface")
    assert (heat.zmin, heat.zmax) == (-8.0, 8.0)
    snap.d_surface[:] = 0.0
    heat = trace(main_view(snap), "surface")
    assert (heat.zmin, heat.zmax) == (-1.0, 1.0)


def test_real_and_fake_points_have_their_legend_names():
    snap = make_snap()
    fig = main_view(snap)
    real, fake = trace(fig, "real"), trace(fig, "fake")
    assert (real.name, fake.name) == ("real data", "G(z), fixed z")
    np.testing.assert_allclose(xy(real), snap.real, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(xy(fake), snap.fake, rtol=1e-6, atol=1e-6)
    assert real.marker.color != fake.marker.color


def test_arrows_start_at_the_fakes_and_point_along_the_push():
    snap = make_snap()
    a = arrows(trace(main_view(snap), "push"))
    assert len(a) == len(snap.fake)
    np.testing.assert_allclose(a[:, 0], snap.fake, atol=1e-5)  # tails
    assert np.isnan(a[:, 5]).all()  # one NaN row separates arrows
    shaft = a[:, 1] - a[:, 0]
    cos = (shaft * snap.fake_push).sum(1) / (np.linalg.norm(shaft, axis=1) * np.linalg.norm(snap.fake_push, axis=1))
    np.testing.assert_allclose(cos, 1.0, atol=1e-4)
    lengths = np.linalg.norm(shaft, axis=1)
    width = EXTENT[1] - EXTENT[0]
    np.testing.assert_allclose(lengths.max(), ARROW_FRACTION * width, rtol=1e-5)
    # arrowheads: both barbs start at the tip and lie behind it
    np.testing.assert_allclose(a[:, 3], a[:, 1], atol=1e-6)
    for barb in (a[:, 2], a[:, 4]):
        back = ((barb - a[:, 1]) * shaft).sum(1)
        assert (back <= 1e-9).all()
        assert (np.linalg.norm(barb - a[:, 1], axis=1) <= lengths * 0.5).all()


def test_one_huge_gradient_does_not_shrink_the_other_arrows():
    starts = np.zeros((100, 2))
    norms = np.linspace(0.01, 1.0, 100)
    vectors = np.column_stack([norms, np.zeros(100)])
    vectors[-1] = [1e6, 0.0]  # an outlier
    path, ref = arrow_segments(starts, vectors, max_length=0.32)
    lengths = path.reshape(-1, ARROW_STRIDE, 2)[:, 1, 0]
    p95 = np.percentile(np.hypot(vectors[:, 0], vectors[:, 1]), 95)
    assert ref == pytest.approx(p95)
    below = norms[:-1] <= p95
    np.testing.assert_allclose(lengths[:-1][below], norms[:-1][below] / p95 * 0.32)  # linear up to p95
    assert lengths.max() == pytest.approx(0.32)  # everything above p95 is capped at the longest length
    assert lengths[-1] == pytest.approx(0.32)


def test_zero_and_non_finite_gradients():
    path, ref = arrow_segments(np.zeros((5, 2)), np.zeros((5, 2)), 1.0)
    assert path.shape == (0, 2) and ref == 0.0
    vectors = np.ones((5, 2))
    vectors[2] = np.nan
    path, _ = arrow_segments(np.arange(10.0).reshape(5, 2), vectors, 1.0)
    tails = path.reshape(-1, ARROW_STRIDE, 2)[:, 0]
    np.testing.assert_array_equal(tails, np.arange(10.0).reshape(5, 2)[[0, 1, 3, 4]])
    snap = make_snap()
    snap.fake_push[:] = 0.0
    assert len(trace(main_view(snap), "push").x) == 0


def test_captured_and_missed_modes_follow_mode_counts():
    snap = make_snap(mode_counts=(3, 0, 5, 0))
    fig = main_view(snap)
    captured, missed = trace(fig, "modes_captured"), trace(fig, "modes_missed")
    assert (captured.name, missed.name) == ("mode captured", "mode missed")
    assert captured.line.color != missed.line.color and missed.line.color == "#d62728"
    for t, which in ((captured, [0, 2]), (missed, [1, 3])):
        circles = xy(t).reshape(-1, CIRCLE_POINTS + 1, 2)
        assert np.isnan(circles[:, -1]).all()
        ring = circles[:, :-1]
        centres = (ring.max(axis=1) + ring.min(axis=1)) / 2
        np.testing.assert_allclose(centres, MODES[which], atol=1e-5)
        radii = np.linalg.norm(ring - MODES[which][:, None], axis=2)
        np.testing.assert_allclose(radii, MODE_RADIUS_SIGMAS * snap.sigma, rtol=1e-5)
    all_caught = main_view(make_snap(mode_counts=(1, 1, 1, 1)))
    assert "modes_captured" in kinds(all_caught) and "modes_missed" not in kinds(all_caught)


def test_modes_without_counts_and_data_without_modes():
    fig = main_view(make_snap(mode_counts=None))
    assert "modes" in kinds(fig) and not {"modes_captured", "modes_missed"} & set(kinds(fig))
    fig = main_view(make_snap(modes=None, mode_counts=None))
    assert not any(k.startswith("modes") for k in kinds(fig))


def test_toggles_add_and_remove_exactly_their_traces():
    snap = make_snap()
    base = kinds(main_view(snap))
    assert base == ["surface", "modes_captured", "modes_missed", "real", "fake", "push"]
    assert kinds(main_view(snap, show_arrows=False)) == [k for k in base if k != "push"]
    for flag, kind in (("show_field", "field"), ("show_manifold", "manifold"), ("show_density", "density")):
        added = kinds(main_view(snap, **{flag: True}))
        assert sorted(added) == sorted(base + [kind]), flag
    every = kinds(main_view(snap, show_field=True, show_manifold=True, show_density=True))
    assert sorted(every) == sorted(base + ["field", "manifold", "density"])
    no_latent = make_snap(latent=False)
    assert "manifold" not in kinds(main_view(no_latent, show_manifold=True))


def test_field_manifold_and_density_layers():
    snap = make_snap()
    fig = main_view(snap, show_field=True, show_manifold=True, show_density=True)
    field = arrows(trace(fig, "field"))
    assert len(field) == len(snap.field_points)
    np.testing.assert_allclose(field[:, 0], snap.field_points, atol=1e-6)
    spacing = (EXTENT[1] - EXTENT[0]) / (5 - 1)
    longest = np.linalg.norm(field[:, 1] - field[:, 0], axis=1).max()
    assert longest == pytest.approx(FIELD_FILL * spacing, rel=1e-5)
    manifold = xy(trace(fig, "manifold")).reshape(3, 8, 2)
    assert np.isnan(manifold[:, -1]).all()
    np.testing.assert_allclose(manifold[:, :-1], snap.latent_lines, rtol=1e-6, atol=1e-6)
    density = trace(fig, "density")
    assert density.type == "histogram2dcontour" and density.contours.coloring == "lines"
    assert density.showscale is False
    np.testing.assert_allclose(xy(density), snap.fake, rtol=1e-6, atol=1e-6)


def test_layout_keeps_zoom_equal_aspect_and_the_extent():
    fig = main_view(make_snap(iteration=1234), uirevision="run-7", height=480)
    lay = fig.layout
    assert lay.uirevision == "run-7" and lay.height == 480
    assert lay.yaxis.scaleanchor == "x" and lay.yaxis.scaleratio == 1
    assert tuple(lay.xaxis.range) == EXTENT[:2] and tuple(lay.yaxis.range) == EXTENT[2:]
    assert lay.title.text.startswith("iteration 1234 · arrows to scale up to p95 |∇| = ")
    assert main_view(make_snap(iteration=1234), show_arrows=False).layout.title.text == "iteration 1234"
    assert lay.legend.orientation == "h"
    assert len({t.uid for t in fig.data}) == len(fig.data)  # stable, unique ids


def make_stage(snapshot=None, key="g_update") -> Stage:
    rng = np.random.default_rng(5)
    return Stage(
        key=key, title="G update", explanation="G moved 16 samples; D(G(z)) rose from 0.31 to 0.35 < 0.5.",
        real=rng.normal(size=(16, 2)), fake=rng.normal(size=(16, 2)), d_real=rng.random(16),
        d_fake=rng.random(16), push=rng.normal(size=(16, 2)), z=rng.normal(size=(16, 2)), snapshot=snapshot,
    )


def test_stage_highlights_its_batch_and_heads_the_figure():
    snap = make_snap()
    stage = make_stage()
    fig = main_view(snap, stage=stage)
    title = fig.layout.title.text
    assert "G update" in title and "iteration 1234" in title
    assert html.escape("0.35 < 0.5") in title and "< 0.5" not in title  # escaped for Plotly's markup
    real, fake = trace(fig, "stage_real"), trace(fig, "stage_fake")
    np.testing.assert_allclose(xy(real), stage.real, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(np.asarray(real.marker.color, dtype=np.float64), stage.d_real, rtol=1e-6)
    np.testing.assert_allclose(np.asarray(fake.marker.color, dtype=np.float64), stage.d_fake, rtol=1e-6)
    assert (real.marker.cmin, real.marker.cmax) == (0.0, 1.0)
    push = arrows(trace(fig, "stage_push"))
    np.testing.assert_allclose(push[:, 0], stage.fake, atol=1e-5)
    assert np.linalg.norm(push[:, 1] - push[:, 0], axis=1).max() == pytest.approx(ARROW_FRACTION * 4.0, rel=1e-5)
    assert kinds(fig)[-3:] == ["stage_real", "stage_fake", "stage_push"]  # drawn on top
    assert trace(fig, "real").marker.opacity < trace(main_view(snap), "real").marker.opacity  # dimmed
    assert fig.layout.margin.t > main_view(snap).layout.margin.t  # room for the explanation


def test_stage_snapshot_replaces_the_background():
    snap = make_snap("probability", iteration=10)
    later = make_snap("critic", seed=3, iteration=11)
    fig = main_view(snap, stage=make_stage(snapshot=later))
    np.testing.assert_allclose(np.asarray(trace(fig, "surface").z, dtype=np.float64), later.d_surface, rtol=1e-6)
    np.testing.assert_allclose(xy(trace(fig, "fake")), later.fake, rtol=1e-6, atol=1e-6)
    assert fig.layout.title.text.startswith("iteration 11")
    assert trace(fig, "stage_fake").marker.cmin == -8.0  # the batch shares the critic's colour range


def test_stage_with_only_noise_draws_no_batch():
    stage = Stage(key="sample_z", title="Sample z", explanation="16 noise vectors.", z=np.zeros((16, 2)))
    fig = main_view(make_snap(), stage=stage)
    assert not any(k.startswith("stage_") for k in kinds(fig))
    assert "Sample z" in fig.layout.title.text


def test_main_view_at_full_size_serialises():
    rng = np.random.default_rng(0)
    snap = make_snap(n=512, grid=100, field=21)
    snap.latent_lines = rng.normal(size=(42, 60, 2))
    fig = main_view(snap, show_field=True, show_manifold=True, show_density=True)
    spec = fig.to_json()
    assert '"bdata"' in spec  # arrays travel as binary, not as long decimal lists
    assert len(arrows(trace(fig, "push"))) == 512 and len(arrows(trace(fig, "field"))) == 441


# --- training_charts ------------------------------------------------------------------------

def make_history(n=300, seed=0) -> dict:
    rng = np.random.default_rng(seed)
    h = {k: rng.random(n) + 0.1 for k in HISTORY_KEYS}
    h["iteration"] = np.arange(1, n + 1)
    return h


def make_log(n=300, every=50, modes=True, critic=False) -> list[dict]:
    log = []
    for i in range(every, n + 1, every):
        rec = dict(iteration=i, js=0.5 / i ** 0.5, js_floor=0.01, w1=2.0 / i, sliced_w1=1.5 / i,
                   modes_captured=min(8, i // 40) if modes else None, modes_total=8 if modes else None,
                   hq_fraction=min(1.0, i / 400) if modes else None, reverse_kl=None, mode_counts=None,
                   critic_estimate=1.8 / i if critic else None)
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


# --- model_overview -------------------------------------------------------------------------

OVERVIEW = dict(noise_dim=2, noise="gaussian", g_desc="2×64 ReLU", d_desc="2×32 ReLU",
                loss_title="Non-saturating", d_steps=2, g_steps=1)


def lit_boxes(fig):
    return {s.name for s in fig.layout.shapes if s.fillcolor == HIGHLIGHT_FILL}


def test_every_stage_lights_known_boxes():
    assert set(STAGE_BOXES) == set(STAGE_KEYS)
    assert all(set(boxes) <= set(OVERVIEW_BOXES) and boxes for boxes in STAGE_BOXES.values())


@pytest.mark.parametrize("key", STAGE_KEYS)
def test_overview_highlights_exactly_the_stage_boxes(key):
    fig = model_overview(**OVERVIEW, stage_key=key)
    assert lit_boxes(fig) == set(STAGE_BOXES[key])
    lit = [s for s in fig.layout.shapes if s.name in STAGE_BOXES[key]]
    assert all(s.line.width > 1 for s in lit)


def test_overview_without_stage_highlights_nothing_and_rejects_unknown_stages():
    fig = model_overview(**OVERVIEW)
    assert lit_boxes(fig) == set()
    assert {s.name for s in fig.layout.shapes} == set(OVERVIEW_BOXES)
    with pytest.raises(ValueError, match="unknown stage"):
        model_overview(**OVERVIEW, stage_key="nope")


def test_overview_shows_the_model_and_the_numbers():
    fig = model_overview(**{**OVERVIEW, "d_steps": 3}, loss_d=1.23456, loss_g=0.5, d_real=0.8, d_fake=0.25)
    text = " ".join(a.text for a in fig.layout.annotations)
    assert "losses: D 1.235, G 0.500" in text
    assert "D(x) 0.800" in text and "D(G(z)) 0.250" in text
    assert "k<sub>D</sub> : k<sub>G</sub> = 3 : 1" in text
    assert "ℝ<sup>2</sup>" in text and "N(0, I)" in text
    assert "2×64 ReLU" in text and "2×32 ReLU" in text and "Non-saturating" in text
    assert "G(z)" in text and "real data" in text
    empty = " ".join(a.text for a in model_overview(**OVERVIEW).layout.annotations)
    assert "losses: D –, G –" in empty


def test_overview_has_no_axes_and_a_transparent_background():
    fig = model_overview(**OVERVIEW, height=150)
    assert len(fig.data) == 0
    assert fig.layout.xaxis.visible is False and fig.layout.yaxis.visible is False
    assert fig.layout.paper_bgcolor == "rgba(0,0,0,0)" and fig.layout.plot_bgcolor == "rgba(0,0,0,0)"
    assert fig.layout.height == 150


# --- digit images --------------------------------------------------------------------------------------

def test_tile_places_each_image_in_its_cell():
    from ganviz.figures.images import tile
    images = np.arange(2 * 3 * 4 * 5, dtype=float).reshape(2, 3, 4, 5)
    out = tile(images, pad=-1.0)
    assert out.shape == (2 * 5 - 1, 3 * 6 - 1)
    np.testing.assert_array_equal(out[5:9, 12:17], images[1, 2])  # row 1, column 2
    assert (out[4] == -1).all() and (out[:, 5] == -1).all()  # the separating lines


def test_sample_grid_labels_each_row_with_its_digit():
    from ganviz.training.images import ImageSnapshot
    from ganviz.figures.images import sample_grid
    fig = sample_grid(ImageSnapshot(12, np.random.default_rng(0).random((3, 10, 8, 8)), [0, 1, 7], {}))
    assert fig.layout.title.text.startswith("iteration 12") and fig.data[0].z.shape == (3 * 9 - 1, 10 * 9 - 1)
    assert list(fig.layout.yaxis.ticktext) == ["0", "1", "7"]
    assert list(fig.layout.yaxis.tickvals) == [4.0, 13.0, 22.0]  # the middle of each 8-pixel row


def test_digit_histogram_marks_missing_trained_digits():
    from ganviz.figures.style import FAKE_COLOUR, MODE_COLOUR
    from ganviz.figures.images import digit_histogram
    counts = [0, 500, 5, 0, 0, 0, 0, 495, 0, 0]
    colours = digit_histogram(counts, trained=[0, 1, 7], missing=[0, 7]).data[0].marker.color
    assert colours[0] == colours[7] == MODE_COLOUR and colours[1] == FAKE_COLOUR  # 0 and 7 judged missing
    assert colours[2] not in (MODE_COLOUR, FAKE_COLOUR)  # not trained on: grey


def test_image_charts_show_fid_with_its_floor_and_digit_coverage():
    log = [{"iteration": i, "fid": 500.0 / i, "fid_floor": 4.0, "classes_covered": min(i, 10), "classes_total": 10,
            "mean_confidence": 0.5 + 0.04 * i} for i in (1, 5, 10)]
    history = {k: np.ones(10) for k in ("loss_d", "loss_g", "d_real", "d_fake", "grad_norm_d", "grad_norm_g")}
    fig = training_charts(history, log, loss_output="probability", metrics="images")
    kinds = {t.meta["kind"]: t for t in fig.data}
    assert {"fid", "fid_floor", "classes_covered", "mean_confidence"} <= set(kinds)
    assert "js" not in kinds and fig.layout.yaxis4.type == "log"
    np.testing.assert_allclose(kinds["mean_confidence"].y, [54, 70, 90])
    with pytest.raises(ValueError, match="metrics"):
        training_charts(history, log, loss_output="probability", metrics="nope")
