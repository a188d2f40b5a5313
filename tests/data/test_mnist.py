"""MNIST files: IDX parsing, verification of local copies, the download cache and the mirrors.

No test touches the network: the `offline_images` fixture replaces the URL opener with one that fails, and the
download tests serve synthetic "official" files from memory.
"""

from __future__ import annotations

import gzip
import hashlib
import io
from dataclasses import replace
from urllib.error import URLError

import numpy as np
import pytest

from ganviz.data import mnist
from ganviz.data.images import clear_image_cache, default_cache_dir, load_images
from ganviz.data.mnist import MNIST_FILES, read_idx
from ganviz.data.points_io import DataError
from support.offline import unreachable

pytestmark = pytest.mark.usefixtures("offline_images")

TEST_SPLIT_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
TEST_IMAGES = MNIST_FILES["test-images"].file_name
TEST_LABELS = MNIST_FILES["test-labels"].file_name


def idx_bytes(array: np.ndarray, type_code: int = 0x08) -> bytes:
    """The IDX encoding of a uint8 array: 0, 0, type, ndim, big-endian uint32 dims, then the data."""
    header = bytes([0, 0, type_code, array.ndim]) + np.array(array.shape, dtype=">u4").tobytes()
    return header + np.ascontiguousarray(array, dtype=np.uint8).tobytes()


def gz(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=6, mtime=0)


def assert_one_line_naming(err: pytest.ExceptionInfo, file_name: str) -> None:
    message = str(err.value)
    assert file_name in message
    assert "\n" not in message


# --- IDX parsing ---------------------------------------------------------------------------------


@pytest.mark.parametrize("compress", [False, True])
@pytest.mark.parametrize("shape", [(7,), (5, 4, 3)])
def test_read_idx_round_trips_files_and_bytes(tmp_path, compress, shape):
    array = np.arange(np.prod(shape), dtype=np.uint8).reshape(shape) * 3
    data = idx_bytes(array)
    data = gz(data) if compress else data
    # Deliberately misleading suffixes: compression is detected from the bytes, not the name.
    path = tmp_path / ("plain.idx" if compress else "looks-compressed.gz")
    path.write_bytes(data)

    for decoded in (read_idx(path), read_idx(str(path)), read_idx(data)):
        assert decoded.dtype == np.uint8
        assert decoded.shape == shape
        np.testing.assert_array_equal(decoded, array)


def bad_idx_files() -> dict[str, bytes]:
    good = idx_bytes(np.arange(24, dtype=np.uint8).reshape(2, 3, 4))
    compressed = gz(good)
    flipped = bytearray(compressed)
    flipped[len(flipped) // 2] ^= 0xFF
    return {
        "wrong-magic": b"\x01\x02" + good[2:],
        "float-type": good[:2] + b"\x0d" + good[3:],
        "truncated-data": good[:-1],
        "truncated-header": good[:9],
        "trailing-bytes": good + b"\x00\x00",
        "corrupt-gzip": bytes(flipped),
        "cut-gzip": compressed[: len(compressed) // 2],
        "not-gzip-after-magic": b"\x1f\x8b" + b"garbage" * 10,
    }


@pytest.mark.parametrize(
    "case, expected",
    [
        ("wrong-magic", "not an IDX file"),
        ("float-type", "0x0d"),
        ("truncated-data", "truncated"),
        ("truncated-header", "truncated"),
        ("trailing-bytes", "2 bytes after"),
        ("corrupt-gzip", "damaged gzip"),
        ("cut-gzip", "damaged gzip"),
        ("not-gzip-after-magic", "damaged gzip"),
    ],
)
def test_read_idx_rejects_bad_files_naming_them(tmp_path, case, expected):
    path = tmp_path / f"{case}-idx3-ubyte"
    path.write_bytes(bad_idx_files()[case])
    with pytest.raises(DataError, match=expected) as err:
        read_idx(path)
    assert_one_line_naming(err, path.name)


def test_read_idx_names_raw_bytes_by_the_given_name():
    with pytest.raises(DataError, match="upload.idx"):
        read_idx(b"\x00\x00\x08\x01\x00\x00\x00\x05abc", name="upload.idx")


def test_read_idx_missing_file_is_a_data_error(tmp_path):
    with pytest.raises(DataError, match="missing.idx"):
        read_idx(tmp_path / "missing.idx")


# --- the real MNIST test split -------------------------------------------------------------------


def test_real_test_split_loads_from_the_env_folder(monkeypatch, mnist_dir):
    monkeypatch.setenv("GANVIZ_MNIST_DIR", str(mnist_dir))
    data = load_images("mnist", download=False)

    assert data.name == "mnist"
    assert data.images.shape == (10000, 1, 28, 28)
    assert data.images.dtype == np.float32
    assert data.images.min() == -1.0 and data.images.max() == 1.0
    assert data.labels.dtype == np.int64
    assert np.bincount(data.labels, minlength=10).tolist() == TEST_SPLIT_COUNTS
    assert data.image_size == (28, 28) and data.num_classes == 10
    assert data.notice is None
    assert data.source == f"MNIST test split (10,000 images) from {mnist_dir}"
    # The first test image is a 7 whose stroke reaches full intensity.
    assert data.labels[0] == 7 and data.images[0].max() == 1.0
    assert load_images("mnist", download=False) is data  # remembered, not decoded again


def test_uncompressed_and_recompressed_local_copies_are_accepted(tmp_path, mnist_dir):
    folder = tmp_path / "mine"
    folder.mkdir()
    images = gzip.decompress((mnist_dir / TEST_IMAGES).read_bytes())
    labels = gzip.decompress((mnist_dir / TEST_LABELS).read_bytes())
    (folder / TEST_IMAGES.removesuffix(".gz")).write_bytes(images)
    (folder / TEST_LABELS).write_bytes(gzip.compress(labels, compresslevel=1, mtime=123))

    data = load_images("mnist", mnist_dir=folder, download=False)

    assert np.bincount(data.labels, minlength=10).tolist() == TEST_SPLIT_COUNTS
    pixels = np.frombuffer(images[16:], np.uint8).reshape(-1, 28, 28)
    np.testing.assert_allclose(data.images[:, 0], pixels / 127.5 - 1, atol=1e-6)


@pytest.mark.parametrize("download", [False, True])
def test_a_corrupted_local_copy_is_an_error_not_a_fallback(tmp_path, mnist_dir, download):
    folder = tmp_path / "mine"
    folder.mkdir()
    content = bytearray(gzip.decompress((mnist_dir / TEST_LABELS).read_bytes()))
    content[8] ^= 0x01  # the first label, 7, becomes 6: still a valid digit, so only the checksum can tell
    (folder / TEST_LABELS).write_bytes(gz(bytes(content)))
    (folder / TEST_IMAGES).write_bytes((mnist_dir / TEST_IMAGES).read_bytes())

    with pytest.raises(DataError, match="checksum mismatch") as err:
        load_images("mnist", mnist_dir=folder, download=download, allow_fallback=True)
    assert_one_line_naming(err, TEST_LABELS)


def test_a_local_file_with_the_wrong_shape_is_an_error(tmp_path):
    (tmp_path / TEST_LABELS.removesuffix(".gz")).write_bytes(idx_bytes(np.zeros(5, np.uint8)))
    with pytest.raises(DataError, match="shape") as err:
        load_images("mnist", mnist_dir=tmp_path)
    assert_one_line_naming(err, TEST_LABELS.removesuffix(".gz"))


def test_local_labels_above_nine_are_an_error(tmp_path):
    (tmp_path / TEST_LABELS).write_bytes(gz(idx_bytes(np.full(10000, 10, np.uint8))))
    with pytest.raises(DataError, match="label 10") as err:
        load_images("mnist", mnist_dir=tmp_path)
    assert_one_line_naming(err, TEST_LABELS)


def test_a_local_folder_that_does_not_exist_is_an_error(tmp_path, monkeypatch):
    monkeypatch.setenv("GANVIZ_MNIST_DIR", str(tmp_path / "nowhere"))
    with pytest.raises(DataError, match="GANVIZ_MNIST_DIR") as err:
        load_images("mnist")
    assert_one_line_naming(err, "nowhere")


# --- downloading ---------------------------------------------------------------------------------


def synthetic_test_split() -> tuple[np.ndarray, np.ndarray]:
    """(10000, 28, 28) images whose every pixel is label * 25, and (10000,) labels 0..9."""
    labels = np.random.default_rng(0).integers(0, 10, size=10000).astype(np.uint8)
    images = np.broadcast_to((labels * 25)[:, None, None], (10000, 28, 28))
    return images, labels


class FakeResponse(io.BytesIO):
    def __init__(self, data: bytes):
        super().__init__(data)
        self.headers = {"Content-Length": str(len(data))}


class FakeMirrors:
    """Serves `files` by name from the mirrors in `up`; every other request fails like a dead network."""

    def __init__(self, files: dict[str, bytes], up: tuple[str, ...] = mnist.MNIST_MIRRORS):
        self.files, self.up, self.requests = files, up, []

    def __call__(self, url: str, timeout: float | None = None):
        self.requests.append(url)
        mirror, _, name = url.rpartition("/")
        if mirror + "/" not in self.up or name not in self.files:
            raise URLError("connection refused (test)")
        return FakeResponse(self.files[name])

    def fetched(self, name: str) -> int:
        return sum(url.endswith("/" + name) for url in self.requests)


@pytest.fixture(scope="module")
def served_test_split() -> dict[str, bytes]:
    images, labels = synthetic_test_split()
    return {TEST_IMAGES: gz(idx_bytes(images)), TEST_LABELS: gz(idx_bytes(labels))}


@pytest.fixture
def official_synthetic(monkeypatch, served_test_split) -> dict[str, bytes]:
    """Make the synthetic test files "official" by giving their MD5s to MNIST_FILES."""
    for key in ("test-images", "test-labels"):
        spec = MNIST_FILES[key]
        md5 = hashlib.md5(served_test_split[spec.file_name]).hexdigest()
        monkeypatch.setitem(MNIST_FILES, key, replace(spec, gz_md5=md5))
    return served_test_split


@pytest.mark.parametrize("up", [mnist.MNIST_MIRRORS, mnist.MNIST_MIRRORS[1:]], ids=["both-mirrors", "second-only"])
def test_download_lands_in_the_cache_and_reports_progress(monkeypatch, tmp_path, official_synthetic, up):
    mirrors = FakeMirrors(official_synthetic, up)
    monkeypatch.setattr(mnist, "urlopen", mirrors)
    monkeypatch.setattr(mnist, "CHUNK_BYTES", 1000)  # several chunks even for the small labels file
    seen: list[tuple[int, int | None, str]] = []

    data = load_images("mnist", progress=lambda done, total, name: seen.append((done, total, name)))

    images, labels = synthetic_test_split()
    np.testing.assert_array_equal(data.labels, labels)
    np.testing.assert_allclose(data.images[:, 0], images / 127.5 - 1, atol=1e-6)
    assert data.source == "MNIST test split (10,000 images, downloaded)"
    assert "train" in data.notice and "GANVIZ_MNIST_DIR" in data.notice  # the train files were not served
    cache = tmp_path / "cache" / "mnist"
    assert default_cache_dir() == cache
    for name, blob in official_synthetic.items():
        assert (cache / name).read_bytes() == blob
        done = [d for d, _, n in seen if n == name]
        assert len(done) > 1
        assert all(b > a for a, b in zip(done, done[1:]))
        assert done[-1] == len(blob)
        assert {t for _, t, n in seen if n == name} == {len(blob)}
    assert not list(cache.glob("*.part"))  # temporary files are renamed or removed


def test_the_cache_is_used_and_a_damaged_cached_file_is_fetched_again(monkeypatch, tmp_path, official_synthetic):
    mirrors = FakeMirrors(official_synthetic)
    monkeypatch.setattr(mnist, "urlopen", mirrors)
    first = load_images("mnist")
    assert load_images("mnist") is first  # remembered in memory: no second round of requests
    assert mirrors.fetched(TEST_IMAGES) == 1 and mirrors.fetched(TEST_LABELS) == 1

    cached_labels = tmp_path / "cache" / "mnist" / TEST_LABELS
    cached_labels.write_bytes(official_synthetic[TEST_LABELS][:100])  # an interrupted earlier download
    monkeypatch.setattr(mnist, "urlopen", unreachable)
    clear_image_cache()
    stranded = load_images("mnist")
    assert stranded.name == "digits" and f"cached {TEST_LABELS} was damaged" in stranded.notice
    assert not cached_labels.exists()  # deleted, so it is never trusted again

    monkeypatch.setattr(mnist, "urlopen", mirrors)
    clear_image_cache()
    again = load_images("mnist")

    assert mirrors.fetched(TEST_IMAGES) == 1  # still good in the cache
    assert mirrors.fetched(TEST_LABELS) == 2
    assert cached_labels.read_bytes() == official_synthetic[TEST_LABELS]
    np.testing.assert_array_equal(again.labels, first.labels)
    assert again.source == "MNIST test split (10,000 images, from the download cache, downloaded)"


def test_a_download_that_fails_verification_on_every_mirror_is_an_error(monkeypatch, tmp_path, served_test_split):
    monkeypatch.setattr(mnist, "urlopen", FakeMirrors(served_test_split))  # not the official MD5s
    with pytest.raises(DataError, match="MD5 checksum mismatch") as err:
        load_images("mnist")
    assert_one_line_naming(err, TEST_LABELS)
    assert not list((tmp_path / "cache" / "mnist").iterdir())  # nothing unverified is kept


def test_downloads_stop_after_the_network_fails_once(monkeypatch):
    mirrors = FakeMirrors({})
    monkeypatch.setattr(mnist, "urlopen", mirrors)
    load_images("mnist")
    # Two mirrors for the first file, then no more attempts (each could wait for a timeout).
    assert len(mirrors.requests) == len(mnist.MNIST_MIRRORS)
