"""Pictures to download: the GIF of a run's snapshots (D's surface in Plotly's palette, the points in the live
view's colours) and the PNG of a sample grid."""

import io

import numpy as np
import pytest
from PIL import Image

from ganviz import Trainer
from ganviz.io.animation import DIVERGING_STOPS, FAKE_RGB, REAL_RGB, samples_png, snapshots_gif, surface_rgb
from ganviz.training.points import Snapshot
from support.runs import small

# --- GIF -------------------------------------------------------------------------------------------


def fake_snapshot(iteration, surface, d_output="probability", real=((0.5, 0.5),), fake=((-0.5, -0.5),)):
    """A Snapshot over [-1, 1]² with a 5×5 surface (row i at grid_y[i]) and chosen points."""
    g = np.linspace(-1.0, 1.0, 5)
    return Snapshot(
        iteration=iteration,
        extent=(-1.0, 1.0, -1.0, 1.0),
        real=np.array(real, float),
        fake=np.array(fake, float),
        fake_push=np.zeros((len(fake), 2)),
        grid_x=g,
        grid_y=g,
        d_surface=np.broadcast_to(np.asarray(surface, float), (5, 5)).copy(),
        d_output=d_output,
        field_points=np.zeros((0, 2)),
        field_push=np.zeros((0, 2)),
        latent_lines=None,
        modes=None,
        sigma=None,
        metrics={},
    )


def frames_rgb(gif: bytes) -> list[np.ndarray]:
    im = Image.open(io.BytesIO(gif))
    out = []
    for i in range(im.n_frames):
        im.seek(i)
        out.append(np.asarray(im.convert("RGB")))
    return out


def pixel(x, y, size=360):
    """(row, col) of the point (x, y) on [-1, 1]², y up."""
    return int((1 - y) / 2 * size), int((x + 1) / 2 * size)


def test_palette_is_plotlys_rdbu():
    import plotly.colors

    assert [f"rgb({r},{g},{b})" for r, g, b in DIVERGING_STOPS] == plotly.colors.diverging.RdBu


def test_gif_frames_size_loop_and_point_colours():
    snaps = [fake_snapshot(it, 0.5, real=((0.5, 0.5), (0.25, -0.75)), fake=((-0.5, -0.25),)) for it in (0, 10, 20)]
    gif = snapshots_gif(snaps, size=360, fps=5)
    im = Image.open(io.BytesIO(gif))
    assert im.format == "GIF" and im.n_frames == 3 and im.size == (360, 360)
    assert im.info["loop"] == 0 and im.info["duration"] == 200
    for frame in frames_rgb(gif):
        assert tuple(frame[pixel(0.5, 0.5)]) == REAL_RGB and tuple(frame[pixel(0.25, -0.75)]) == REAL_RGB
        assert tuple(frame[pixel(-0.5, -0.25)]) == FAKE_RGB
        assert tuple(frame[pixel(0.5, -0.25)]) == tuple(surface_rgb(0.5))  # no dot: D = 1/2 everywhere


def test_gif_surface_is_y_up_and_probabilities_are_centred_at_one_half():
    surface = np.zeros((5, 5))
    surface[3:] = 1.0  # rows follow grid_y: the top of the plane says "real"
    gif = snapshots_gif([fake_snapshot(1, surface, real=(), fake=())])
    frame = frames_rgb(gif)[0]
    assert tuple(frame[pixel(0.0, 0.9)]) == tuple(surface_rgb(1.0))  # blue end
    assert tuple(frame[pixel(0.0, -0.9)]) == tuple(surface_rgb(0.0))  # red end
    assert (
        frame[pixel(0.0, 0.9)][2] > frame[pixel(0.0, 0.9)][0]
        and frame[pixel(0.0, -0.9)][0] > frame[pixel(0.0, -0.9)][2]
    )


def test_gif_critic_colours_share_one_symmetric_range_over_all_frames():
    calm = fake_snapshot(1, 2.0, "critic", real=(), fake=())
    wild = np.zeros((5, 5))
    wild[:, :2], wild[:, 3:] = -4.0, 4.0
    gif = snapshots_gif([calm, fake_snapshot(2, wild, "critic", real=(), fake=())])
    first, second = frames_rgb(gif)
    # ±4 spans the whole scale; 2 is three quarters of the way in both frames
    assert tuple(first[pixel(0.0, 0.0)]) == tuple(surface_rgb(0.75))
    assert tuple(second[pixel(-0.9, 0.0)]) == tuple(surface_rgb(0.0))
    assert tuple(second[pixel(0.9, 0.0)]) == tuple(surface_rgb(1.0))
    zero = snapshots_gif([fake_snapshot(1, 0.0, "critic", real=(), fake=())])  # a flat critic: the centre
    assert tuple(frames_rgb(zero)[0][pixel(0.0, 0.0)]) == tuple(surface_rgb(0.5))


def test_gif_of_one_frame_identical_frames_and_none():
    one = Image.open(io.BytesIO(snapshots_gif([fake_snapshot(5, 0.2)], size=128)))
    assert one.n_frames == 1 and one.size == (128, 128)
    same = snapshots_gif([fake_snapshot(5, 0.2), fake_snapshot(5, 0.2)])  # e.g. two pauses, one iteration
    assert Image.open(io.BytesIO(same)).n_frames == 2
    with pytest.raises(ValueError, match="no snapshots"):
        snapshots_gif([])


def test_gif_of_a_real_run():
    t = Trainer(small(loss="hinge"))
    snaps = []
    for _ in range(3):
        t.step(5)
        snaps.append(t.snapshot(with_metrics=False))
    surfaces = [s.d_surface.copy() for s in snaps]
    frames = frames_rgb(snapshots_gif(snaps, size=200))
    assert all(np.array_equal(a, s.d_surface) for a, s in zip(surfaces, snaps))  # inputs untouched
    assert len(frames) == 3 and frames[0].shape == (200, 200, 3)
    colours = {tuple(c) for c in frames[-1].reshape(-1, 3)}
    assert REAL_RGB in colours and FAKE_RGB in colours
    assert not np.array_equal(frames[0], frames[-1])


def test_samples_png_is_the_grid_black_on_white():
    grid = np.zeros((2, 3, 8, 8))
    grid[1, 2] = 1.0  # one all-ink cell: row 1, column 2
    image = np.asarray(Image.open(io.BytesIO(samples_png(grid, scale=2))))
    assert image.shape == (2 * (2 * 9 - 1), 2 * (3 * 9 - 1))
    assert (image[18:34, 36:52] == 0).all() and image[:16, :16].min() == 255  # ink black, empty cells white
