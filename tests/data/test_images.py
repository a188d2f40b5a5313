"""Image datasets: the digits fallback when MNIST cannot be had, the digits themselves, the cache folder, and
choosing digits in given proportions."""

from __future__ import annotations

import numpy as np
import pytest

from ganviz.data import mnist
from ganviz.data.images import IMAGE_DATASETS, ImageData, default_cache_dir, load_images, select_digits
from ganviz.data.points_io import DataError

pytestmark = pytest.mark.usefixtures("offline_images")


# --- offline fallback ----------------------------------------------------------------------------


def test_offline_without_local_files_falls_back_to_digits():
    data = load_images("mnist")

    assert data.name == "digits"
    assert data.images.shape == (1797, 1, 8, 8)
    assert data.images.dtype == np.float32
    assert data.images.min() == -1.0 and data.images.max() == 1.0
    assert data.image_size == (8, 8)
    assert "GANVIZ_MNIST_DIR" in data.notice and "internet" in data.notice
    assert "network is unreachable" in data.notice  # says why
    assert "\n" not in data.notice


def test_offline_without_fallback_is_an_error():
    with pytest.raises(DataError, match="GANVIZ_MNIST_DIR") as err:
        load_images("mnist", allow_fallback=False)
    assert "MNIST is not available" in str(err.value)


def test_an_empty_local_folder_without_downloads_falls_back(tmp_path, monkeypatch):
    monkeypatch.setattr(mnist, "urlopen", lambda *a, **k: pytest.fail("download=False must not download"))
    data = load_images("mnist", mnist_dir=tmp_path, download=False)
    assert data.name == "digits"
    assert "downloading is off" in data.notice and str(tmp_path) in data.notice


def test_digits_and_unknown_names():
    data = load_images("digits")
    assert data.name == "digits" and data.notice is None
    assert data.source == "scikit-learn's 8×8 digits (1,797 images)"
    assert data.images.shape == (1797, 1, 8, 8) and data.labels.dtype == np.int64
    assert sorted(set(data.labels.tolist())) == list(range(10))
    assert IMAGE_DATASETS == ("mnist", "digits")
    with pytest.raises(DataError, match="choose one of: mnist, digits"):
        load_images("cifar")


def test_cache_dir_follows_the_environment(monkeypatch, tmp_path):
    assert default_cache_dir() == tmp_path / "cache" / "mnist"
    monkeypatch.delenv("GANVIZ_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "ganviz" / "mnist"


# --- choosing digits -----------------------------------------------------------------------------


def labelled(counts: dict[int, int]) -> ImageData:
    """Images whose pixel (0, 0) holds the label and pixel (0, 1) the original index."""
    labels = np.concatenate([np.full(n, d, dtype=np.int64) for d, n in counts.items()])
    images = np.zeros((len(labels), 1, 2, 2), dtype=np.float32)
    images[:, 0, 0, 0] = labels
    images[:, 0, 0, 1] = np.arange(len(labels))
    return ImageData(images, labels, "mnist", "test data", None)


COUNTS = {0: 40, 1: 500, 2: 30, 7: 300, 9: 20}


def test_select_digits_keeps_exactly_the_chosen_digits():
    data = labelled(COUNTS)
    kept = select_digits(data, [0, 1, 7], None, np.random.default_rng(0))
    assert set(kept.labels.tolist()) == {0, 1, 7}
    assert len(kept.labels) == 40 + 500 + 300
    np.testing.assert_array_equal(kept.images[:, 0, 0, 0], kept.labels)  # images stay with their labels
    assert select_digits(data, None, None, np.random.default_rng(0)) is data


def test_select_digits_matches_proportions_with_the_most_images():
    data = labelled(COUNTS)
    kept = select_digits(data, [1, 7], [0.9, 0.1], np.random.default_rng(0))

    # 500 ones at 90 % allow at most floor(500 / 0.9) = 555 images; the sevens (300) are plentiful.
    assert len(kept.labels) == 555
    freq = np.mean(kept.labels == 1)
    assert abs(freq - 0.9) < 0.01
    ids = kept.images[:, 0, 0, 1].astype(int)
    assert len(np.unique(ids)) == len(ids)  # drawn without replacement
    np.testing.assert_array_equal(data.labels[ids], kept.labels)
    np.testing.assert_array_equal(ids, np.sort(ids))  # original order kept

    same = select_digits(data, [1, 7], [9, 1], np.random.default_rng(0))  # weights are normalised
    np.testing.assert_array_equal(same.labels, kept.labels)
    only_ones = select_digits(data, [1, 7], [1.0, 0.0], np.random.default_rng(0))
    assert only_ones.labels.tolist() == [1] * 500


def test_select_digits_on_the_real_test_split(mnist_dir):
    data = load_images("mnist", mnist_dir=mnist_dir, download=False)
    kept = select_digits(data, [1, 7], [0.9, 0.1], np.random.default_rng(1))
    assert len(kept.labels) == int(1135 / 0.9)  # 1,261: every 1 is used
    assert abs(np.mean(kept.labels == 1) - 0.9) < 0.01
    assert set(kept.labels.tolist()) == {1, 7}


@pytest.mark.parametrize(
    "digits, proportions, expected",
    [
        ([10], None, "not a digit"),
        ([-1], None, "not a digit"),
        (["3"], None, "not a digit"),
        ([1, 1], None, "listed more than once"),
        ([], None, "at least one digit"),
        ([5], None, "no images of digit 5"),
        ([1, 7], [1.0], "one proportion per digit"),
        ([1, 7], [0.5, -0.1], "negative"),
        ([1, 7], [0.0, 0.0], "add up to 0"),
        ([1, 7], [float("nan"), 1.0], "finite"),
    ],
)
def test_select_digits_rejects_bad_choices(digits, proportions, expected):
    with pytest.raises(DataError, match=expected) as err:
        select_digits(labelled(COUNTS), digits, proportions, np.random.default_rng(0))
    assert "\n" not in str(err.value)
