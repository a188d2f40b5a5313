"""The main data-space view: D's surface, the real and fake points, the arrows that push the fakes, the modes,
the optional layers, and a slow-motion stage on top."""

import html

import numpy as np
import pytest

from ganviz.figures.points import (
    ARROW_FRACTION,
    ARROW_STRIDE,
    CIRCLE_POINTS,
    FIELD_FILL,
    MODE_RADIUS_SIGMAS,
    arrow_segments,
    main_view,
)
from ganviz.figures.style import SURFACE_TITLES
from ganviz.live.walkthrough import Stage
from ganviz.training.points import Snapshot

# --- main_view --------------------------------------------------------------------------------

EXTENT = (-2.0, 2.0, -2.0, 2.0)
MODES = np.array([[-1.0, -1.0], [-1.0, 1.0], [1.0, -1.0], [1.0, 1.0]])


def make_snap(
    d_output="probability",
    *,
    seed=0,
    n=64,
    grid=20,
    field=5,
    iteration=1234,
    modes=MODES,
    mode_counts=(3, 0, 5, 0),
    latent=True,
) -> Snapshot:
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
        iteration=iteration,
        extent=EXTENT,
        real=rng.normal(size=(n, 2)),
        fake=rng.normal(size=(n, 2)) * 0.5,
        fake_push=rng.normal(size=(n, 2)),
        grid_x=gx,
        grid_y=gy,
        d_surface=surface,
        d_output=d_output,
        field_points=fp,
        field_push=rng.normal(size=(len(fp), 2)),
        latent_lines=rng.normal(size=(3, 7, 2)) if latent else None,
        modes=modes,
        sigma=0.05 if modes is not None else None,
        metrics=metrics,
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
        key=key,
        title="G update",
        explanation="G moved 16 samples; D(G(z)) rose from 0.31 to 0.35 < 0.5.",
        real=rng.normal(size=(16, 2)),
        fake=rng.normal(size=(16, 2)),
        d_real=rng.random(16),
        d_fake=rng.random(16),
        push=rng.normal(size=(16, 2)),
        z=rng.normal(size=(16, 2)),
        snapshot=snapshot,
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
