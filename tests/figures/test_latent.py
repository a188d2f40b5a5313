"""The Latent page's figures: what they compute from the arrays they are given."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ganviz import Snapshot
from ganviz.figures import latent
from ganviz.latent.fgsm import FGSMResult
from ganviz.latent.truncation import TruncationSweep

EXTENT = (-2.0, 2.0, -2.0, 2.0)
MODES = np.array([[-1.0, -1.0], [-1.0, 1.0], [1.0, -1.0], [1.0, 1.0]])


def make_snap(seed: int = 0, n: int = 64, grid: int = 20) -> Snapshot:
    """A 2D snapshot with random points and a smooth D surface over EXTENT."""
    rng = np.random.default_rng(seed)
    gx, gy = np.linspace(EXTENT[0], EXTENT[1], grid), np.linspace(EXTENT[2], EXTENT[3], grid)
    xx, yy = np.meshgrid(gx, gy)
    return Snapshot(
        iteration=1234,
        extent=EXTENT,
        real=rng.normal(size=(n, 2)),
        fake=rng.normal(size=(n, 2)) * 0.5,
        fake_push=rng.normal(size=(n, 2)),
        grid_x=gx,
        grid_y=gy,
        d_surface=1 / (1 + np.exp(-(xx + 0.5 * yy))),
        d_output="probability",
        field_points=None,
        field_push=None,
        latent_lines=None,
        modes=MODES,
        sigma=0.05,
        metrics={},
    )


def kinds(fig):
    return [(t.meta or {}).get("kind") for t in fig.data]


def trace(fig, kind):
    found = [t for t in fig.data if (t.meta or {}).get("kind") == kind]
    assert len(found) == 1, f"{len(found)} traces of kind {kind!r}"
    return found[0]


def xy(t):
    return np.column_stack([np.asarray(t.x, dtype=np.float64), np.asarray(t.y, dtype=np.float64)])


def test_to_unit_maps_g_range_to_grey_levels():
    images = np.array([[[[-1.0, 0.0], [1.0, 3.0]]]])  # (1, 1, 2, 2)
    np.testing.assert_array_equal(latent.to_unit(images), [[[0.0, 0.5], [1.0, 1.0]]])


def test_interpolation_figure_marks_the_picks_and_only_fakes_answer_clicks():
    snap = make_snap()
    paths = {"spherical": np.linspace(snap.fake[2], snap.fake[9], 7), "linear": np.linspace(snap.fake[2], [5, 5], 7)}
    fig = latent.interpolation_2d(snap, paths, "linear", 2, 9)
    assert fig.data[latent.fake_trace_index(fig)].meta["kind"] == "fake"
    np.testing.assert_array_equal(fig.data[latent.fake_trace_index(fig)].customdata, np.arange(len(snap.fake)))
    np.testing.assert_allclose(xy(trace(fig, "start"))[0], snap.fake[2])
    np.testing.assert_allclose(xy(trace(fig, "end"))[0], snap.fake[9])
    np.testing.assert_allclose(xy(trace(fig, "path_linear")), paths["linear"])
    assert trace(fig, "path_linear").line.width > trace(fig, "path_spherical").line.width  # the chosen one bold
    assert kinds(fig)[-3:] == ["path_linear", "start", "end"]  # drawn on top
    clickable = [t.meta["kind"] for t in fig.data if t.hoverinfo != "skip"]
    assert clickable == ["fake"]
    assert fig.layout.xaxis.range[1] >= 5 and fig.layout.yaxis.range[1] >= 5  # the view widened to the path


def test_path_profile_draws_scores_norms_and_the_typical_norm():
    t = np.linspace(0, 1, 5)
    norms = {"spherical": np.full(5, 2.0), "linear": np.array([2, 1.5, 1.4, 1.5, 2])}
    fig = latent.path_profile(t, {"spherical": t, "linear": 1 - t}, norms, "spherical", "probability", typical_norm=8.0)
    assert trace(fig, "typical_norm").y == (8.0, 8.0)
    np.testing.assert_array_equal(trace(fig, "norm_linear").y, norms["linear"])
    np.testing.assert_array_equal(trace(fig, "score_linear").y, 1 - t)
    assert trace(fig, "score_spherical").line.width > trace(fig, "score_linear").line.width
    assert fig.layout.yaxis2.range[1] == pytest.approx(9.2) and fig.layout.yaxis.range[1] > 1
    with pytest.raises(KeyError):
        latent.path_profile(t, {"spherical": t}, {"spherical": t}, "spherical", "logit", 1.0)


def test_numbered_grid_and_rows_of_images():
    images = np.random.default_rng(0).uniform(-1, 1, size=(13, 1, 8, 8))
    fig = latent.numbered_grid(images, title="pick", picked={0: "start", 12: "end"}, labels=list(range(13)))
    z = np.asarray(fig.data[0].z)
    assert z.shape == (2 * 9 - 1, 10 * 9 - 1)  # two rows of ten cells of 8 pixels, 1-pixel gaps
    np.testing.assert_allclose(z[9:17, 18:26], latent.to_unit(images[12]), atol=1e-6)  # cell 12: row 1, column 2
    assert (z[9:17, 27:] == 0).all()  # the cells after the last sample are blank
    texts = [a.text for a in fig.layout.annotations]
    assert "12·12" in texts and "<b>end</b>" in texts and len(fig.layout.shapes) == 2
    assert not any(a.text == "0" for a in latent.numbered_grid(images, title="t", numbered=False).layout.annotations)
    row = latent.image_row(images[:4], ["a", "b", "c", "a − b + c"], title="r", uirevision="r")
    assert list(row.layout.xaxis.ticktext) == ["a", "b", "c", "a − b + c"]
    strip = latent.interpolation_strip({"spherical": images[:5], "linear": images[5:10]}, "linear", 3, 4)
    assert list(strip.layout.yaxis.ticktext) == ["linear (lerp)", "spherical (slerp)"]  # the chosen path on top
    np.testing.assert_allclose(np.asarray(strip.data[0].z)[:8, :8], latent.to_unit(images[5]), atol=1e-6)


def sweep(coverage=(1.0, 4.0, 8.0)) -> TruncationSweep:
    return TruncationSweep(
        psis=np.array([0.25, 1.0, math.inf]),
        fidelity=np.array([0.9, 0.7, 0.6]),
        fidelity_name="high quality",
        coverage=np.array(coverage),
        coverage_total=8,
        coverage_name="modes captured",
        distance=np.array([2.0, 0.5, 0.2]),
        distance_name="W1",
        distance_floor=0.1,
        samples=100,
    )


def test_truncation_curve_rings_the_chosen_psi():
    fig = latent.truncation_curve(sweep(), 1.0)
    assert list(trace(fig, "fidelity").x) == ["0.25", "1", "none"]
    np.testing.assert_allclose(trace(fig, "fidelity").y, [90, 70, 60])
    assert trace(fig, "chosen").x == ("1",) and trace(fig, "chosen_coverage").y == (4.0,)
    assert trace(fig, "chosen_tradeoff").x == (0.5,)
    assert list(trace(fig, "tradeoff").text) == ["ψ 0.25", "ψ 1", "ψ none"]
    assert trace(latent.truncation_curve(sweep(), math.inf), "chosen").x == ("none",)
    no_modes = latent.truncation_curve(sweep(coverage=(math.nan,) * 3), 0.25)
    assert "coverage" not in kinds(no_modes) and "tradeoff" in kinds(no_modes)
    assert [a.text for a in no_modes.layout.annotations][:2] == ["fidelity", "fidelity against distance to the data"]
    with pytest.raises(ValueError, match="not one of"):
        latent.truncation_curve(sweep(), 0.5)


def test_embedding_figure_splits_real_fake_and_classes():
    coords = np.arange(20, dtype=float).reshape(10, 2)
    is_real = np.arange(10) < 4
    classes = np.array([0, 1, 1, 2, 0, 0, 1, 2, 2, 2])
    fig = latent.embedding_figure(coords, is_real, classes, "digit", title="PCA", scores=np.linspace(0, 1, 10))
    assert len(trace(fig, "real").x) == 4 and len(trace(fig, "fake").x) == 6
    np.testing.assert_allclose(trace(fig, "fake").customdata, np.linspace(0, 1, 10)[4:])
    by_class = [t for t in fig.data if t.meta["kind"] == "class"]
    assert sum(len(t.x) for t in by_class) == 10
    assert {(t.meta["class"], t.meta["real"]) for t in by_class} == {
        (0, True),
        (1, True),
        (2, True),
        (0, False),
        (1, False),
        (2, False),
    }
    assert sum(t.showlegend is not False for t in by_class) == 3  # one legend entry per class
    assert "class" not in kinds(latent.embedding_figure(coords, is_real, None, None, title="no classes"))


def fgsm_result(images: bool) -> FGSMResult:
    rng = np.random.default_rng(0)
    shape = (11, 3, 1, 4, 4) if images else (11, 3, 2)
    surface = None if images else (np.linspace(-5, 5, 6), np.linspace(-5, 5, 6), np.zeros((6, 6)), (-5, 5, -5, 5))
    return FGSMResult(
        trajectory=rng.uniform(-1, 1, shape),
        scores=np.linspace(0, 1, 33).reshape(11, 3),
        d_output="probability",
        labels=None,
        step_size=0.1,
        distance_to_data=np.linspace(3, 2, 11),
        real_distance=0.5,
        fake_distance=0.7,
        surface=surface,
    )


def test_fgsm_figures():
    result = fgsm_result(images=False)
    fig = latent.fgsm_paths_2d(make_snap(), result)
    paths = xy(trace(fig, "paths"))
    assert len(paths) == 3 * 12 and np.isnan(paths[11::12]).all()  # one polyline per point, NaN between
    np.testing.assert_allclose(paths[:11], result.trajectory[:, 0])
    np.testing.assert_allclose(xy(trace(fig, "end")), result.trajectory[-1])
    assert fig.layout.xaxis.range == (-5, 5)  # D's surface as far out as the paths go
    curves = latent.fgsm_curves(result)
    np.testing.assert_allclose(trace(curves, "score_mean").y, result.scores.mean(1))
    np.testing.assert_allclose(trace(curves, "distance").y, result.distance_to_data)
    assert trace(curves, "distance_real").y == (0.5, 0.5) and trace(curves, "distance_fake").y == (0.7, 0.7)
    images = latent.fgsm_images(fgsm_result(images=True), columns=4)
    score = result.scores.mean(1)
    assert list(images.layout.xaxis.ticktext) == [f"step {s}<br>D {score[s]:.2f}" for s in (0, 3, 7, 10)]
    assert len(images.layout.yaxis.ticktext) == 3
