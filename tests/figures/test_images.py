"""Digit figures: tiles of images, the sample grid with its row labels, the digit histogram."""

import numpy as np

from ganviz.figures.images import digit_histogram, sample_grid, tile
from ganviz.figures.style import FAKE_COLOUR, MODE_COLOUR
from ganviz.training.images import ImageSnapshot

# --- digit images --------------------------------------------------------------------------------------


def test_tile_places_each_image_in_its_cell():
    images = np.arange(2 * 3 * 4 * 5, dtype=float).reshape(2, 3, 4, 5)
    out = tile(images, pad=-1.0)
    assert out.shape == (2 * 5 - 1, 3 * 6 - 1)
    np.testing.assert_array_equal(out[5:9, 12:17], images[1, 2])  # row 1, column 2
    assert (out[4] == -1).all() and (out[:, 5] == -1).all()  # the separating lines


def test_sample_grid_labels_each_row_with_its_digit():
    fig = sample_grid(ImageSnapshot(12, np.random.default_rng(0).random((3, 10, 8, 8)), [0, 1, 7], {}))
    assert fig.layout.title.text.startswith("iteration 12") and fig.data[0].z.shape == (3 * 9 - 1, 10 * 9 - 1)
    assert list(fig.layout.yaxis.ticktext) == ["0", "1", "7"]
    assert list(fig.layout.yaxis.tickvals) == [4.0, 13.0, 22.0]  # the middle of each 8-pixel row


def test_digit_histogram_marks_missing_trained_digits():
    counts = [0, 500, 5, 0, 0, 0, 0, 495, 0, 0]
    colours = digit_histogram(counts, trained=[0, 1, 7], missing=[0, 7]).data[0].marker.color
    assert colours[0] == colours[7] == MODE_COLOUR and colours[1] == FAKE_COLOUR  # 0 and 7 judged missing
    assert colours[2] not in (MODE_COLOUR, FAKE_COLOUR)  # not trained on: grey
