"""Image datasets for image GANs: MNIST (28×28) and scikit-learn's 8×8 digits.

`load_images(name)` returns an `ImageData`: images (N, 1, H, W) float32 in [-1, 1] with their digit
labels. MNIST comes from, in order, a local folder (`mnist_dir` or $GANVIZ_MNIST_DIR), the download
cache, and the official mirrors; every file is verified before it is used. When no MNIST split can be
obtained, scikit-learn's digits stand in, with a `notice` that says so and how to get MNIST.

A local file that is damaged or not the official one raises `DataError` (a one-line message naming
the file); it is never skipped silently.
"""
from __future__ import annotations

import contextlib
import gzip
import hashlib
import os
import sys
import tempfile
import threading
import zlib
from dataclasses import dataclass, field, replace
from http.client import HTTPException
from pathlib import Path
from typing import Callable, Sequence
from urllib.request import urlopen

import numpy as np
from sklearn.datasets import load_digits

from .csv_points import DataError

IMAGE_DATASETS = ("mnist", "digits")
NUM_CLASSES = 10

MNIST_MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)
DOWNLOAD_TIMEOUT_S = 30
CHUNK_BYTES = 64 * 1024
GZIP_MAGIC = b"\x1f\x8b"
IDX_UINT8 = 0x08

MNIST_DIR_ENV = "GANVIZ_MNIST_DIR"
CACHE_DIR_ENV = "GANVIZ_CACHE_DIR"

# progress(done_bytes, total_bytes or None when the server does not say, file_name)
Progress = Callable[[int, "int | None", str], None]


@dataclass(frozen=True)
class MnistFile:
    """One official MNIST file: its name on the mirrors and what a genuine copy looks like."""

    file_name: str  # gzip-compressed, as the mirrors serve it
    gz_md5: str  # of the official .gz bytes: checks downloads and the download cache
    content_sha256: str  # of the decompressed IDX bytes: checks local copies, which may be recompressed
    shape: tuple[int, ...]

    @property
    def is_labels(self) -> bool:
        return len(self.shape) == 1


# The MD5s are torchvision's. Local copies are checked by the SHA-256 of their decompressed content,
# because a copy can hold the official bytes in a different gzip stream (or none at all). The two
# test-split values were computed here from the official test files; the two train-split values are
# the ones published by many independent MNIST loaders (no train files were at hand to recompute them).
# Every file is also checked for its exact shape and, for labels, values 0 to 9.
MNIST_FILES: dict[str, MnistFile] = {
    "train-images": MnistFile(
        "train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873",
        "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db", (60000, 28, 28),
    ),
    "train-labels": MnistFile(
        "train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432",
        "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5", (60000,),
    ),
    "test-images": MnistFile(
        "t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3",
        "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7", (10000, 28, 28),
    ),
    "test-labels": MnistFile(
        "t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c",
        "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2", (10000,),
    ),
}
SPLITS = ("train", "test")
# Smallest first, so an offline machine is found out by a 5 kB request, not a 10 MB one.
FETCH_ORDER = ("test-labels", "test-images", "train-labels", "train-images")


@dataclass(frozen=True, eq=False)  # eq=False: comparing arrays field by field has no single truth value
class ImageData:
    """Labelled images for an image GAN. The arrays may be shared between callers: do not modify them."""

    images: np.ndarray  # (N, 1, H, W) float32 in [-1, 1]: pixel / max * 2 - 1
    labels: np.ndarray  # (N,) int64 digit values 0..9
    name: str  # "mnist" or "digits"
    source: str  # human-readable origin, e.g. "MNIST test split (10,000 images) from /data/mnist"
    notice: str | None = None  # for the user when something was substituted: what is used and why

    @property
    def image_size(self) -> tuple[int, int]:
        """(H, W) in pixels."""
        return int(self.images.shape[2]), int(self.images.shape[3])

    @property
    def num_classes(self) -> int:
        return NUM_CLASSES


# --- loading -------------------------------------------------------------------------------------

_MEMO: dict[tuple, ImageData] = {}
# One lock for all loads: two page runs starting at once download MNIST once, not twice.
_MEMO_LOCK = threading.Lock()


def load_images(
    name: str = "mnist",
    *,
    mnist_dir: str | Path | None = None,
    download: bool = True,
    allow_fallback: bool = True,
    progress: Progress | None = None,
) -> ImageData:
    """The image dataset `name` ("mnist" or "digits"), decoded once per process and folder.

    MNIST uses every split it can get (train 60,000 + test 10,000 images): files from `mnist_dir`
    (default $GANVIZ_MNIST_DIR) first, then the download cache, then the mirrors when `download`.
    With no split at all it returns the digits with a `notice` if `allow_fallback`, else raises.
    Results, fallbacks included, are remembered until `clear_image_cache()`: the app calls this on
    every page run, and retrying an unreachable mirror each time would stall every page.
    """
    if name not in IMAGE_DATASETS:
        raise DataError(f"unknown image dataset {name!r}; choose one of: {', '.join(IMAGE_DATASETS)}")
    if name == "digits":
        key: tuple = ("digits",)
    else:
        local = _local_dir(mnist_dir)
        key = ("mnist", local, default_cache_dir(), download, allow_fallback)
    with _MEMO_LOCK:
        if key not in _MEMO:
            if name == "digits":
                _MEMO[key] = _load_digits()
            else:
                _MEMO[key] = _load_mnist(local, download, allow_fallback, progress)
        return _MEMO[key]


def clear_image_cache() -> None:
    """Forget every decoded dataset, e.g. after MNIST files were added or the machine came online."""
    with _MEMO_LOCK:
        _MEMO.clear()


def default_cache_dir() -> Path:
    """Where downloaded MNIST files are kept: <cache root>/mnist.

    The root is $GANVIZ_CACHE_DIR, else $XDG_CACHE_HOME/ganviz, else the platform's user cache
    (~/Library/Caches/ganviz on macOS, %LOCALAPPDATA%/ganviz on Windows, ~/.cache/ganviz elsewhere).
    """
    if os.environ.get(CACHE_DIR_ENV):
        root = Path(os.environ[CACHE_DIR_ENV]).expanduser()
    elif os.environ.get("XDG_CACHE_HOME"):
        root = Path(os.environ["XDG_CACHE_HOME"]).expanduser() / "ganviz"
    elif sys.platform == "darwin":
        root = Path.home() / "Library" / "Caches" / "ganviz"
    elif sys.platform == "win32":
        root = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local") / "ganviz"
    else:
        root = Path.home() / ".cache" / "ganviz"
    return root / "mnist"


def _local_dir(mnist_dir: str | Path | None) -> Path | None:
    """The user's MNIST folder, absolute, or None when neither the argument nor the variable is set."""
    setting = mnist_dir if mnist_dir is not None else os.environ.get(MNIST_DIR_ENV) or None
    if setting is None:
        return None
    folder = Path(setting).expanduser()
    if not folder.is_dir():
        what = "mnist_dir" if mnist_dir is not None else MNIST_DIR_ENV
        raise DataError(
            f"{what} is {folder}, which is not a folder; point it at a folder with the MNIST IDX files"
        )
    return folder.resolve()


def _load_digits() -> ImageData:
    bunch = load_digits()  # (1797, 8, 8) float64 pixel values 0..16
    n = len(bunch.target)
    return ImageData(
        _to_unit_range(bunch.images, 16), bunch.target.astype(np.int64), "digits",
        f"scikit-learn's 8×8 digits ({n:,} images)",
    )


def _to_unit_range(pixels: np.ndarray, max_value: float) -> np.ndarray:
    """(N, H, W) pixels in 0..max_value -> (N, 1, H, W) float32 in [-1, 1]."""
    # Dividing by max/2 (127.5 and 8 are exact in float32) maps 0 and max to exactly -1 and 1.
    scaled = pixels.astype(np.float32) / np.float32(max_value / 2) - np.float32(1)
    return scaled[:, None]


@dataclass
class _Found:
    """The MNIST files gathered so far."""

    arrays: dict[str, np.ndarray] = field(default_factory=dict)  # MNIST_FILES key -> verified uint8
    origins: dict[str, str] = field(default_factory=dict)  # MNIST_FILES key -> "local" | "cache" | "download"
    problems: list[str] = field(default_factory=list)  # why files are missing, for the notice

    def splits(self) -> list[str]:
        return [s for s in SPLITS if f"{s}-images" in self.arrays and f"{s}-labels" in self.arrays]


def _load_mnist(
    local: Path | None, download: bool, allow_fallback: bool, progress: Progress | None
) -> ImageData:
    cache = default_cache_dir()
    found = _gather_mnist(local, cache, download, progress)
    splits = found.splits()
    if not splits:
        why = "; ".join(found.problems) or _nothing_found(local, download)
        how = (
            f"set {MNIST_DIR_ENV} to a folder with the MNIST IDX files, "
            "or connect to the internet so they can be downloaded"
        )
        if not allow_fallback:
            raise DataError(f"MNIST is not available ({why}); {how}")
        digits = _load_digits()
        notice = f"MNIST is not available ({why}), so {digits.source} are used instead; to use MNIST, {how}"
        return replace(digits, notice=notice)

    images = np.concatenate([found.arrays[f"{s}-images"] for s in splits])
    labels = np.concatenate([found.arrays[f"{s}-labels"] for s in splits]).astype(np.int64)
    notice = None
    if len(splits) < len(SPLITS) and found.problems:
        notice = (
            f"Only the MNIST {splits[0]} split ({len(labels):,} images) is used: {'; '.join(found.problems)}; "
            f"for all 70,000 images put the other files in {MNIST_DIR_ENV} or connect to the internet"
        )
    return ImageData(_to_unit_range(images, 255), labels, "mnist", _mnist_source(found, splits, local), notice)


def _gather_mnist(local: Path | None, cache: Path, download: bool, progress: Progress | None) -> _Found:
    found = _Found()
    if local is not None:
        for key, spec in MNIST_FILES.items():
            path = _find_local(local, spec)
            if path is not None:  # a bad local file raises: the user put it there and must know
                found.arrays[key], found.origins[key] = _verified_local(path, spec), "local"

    offline = False
    for key in (k for k in FETCH_ORDER if k not in found.arrays):
        spec = MNIST_FILES[key]
        array = _from_cache(cache, spec, found.problems)
        if array is not None:
            found.arrays[key], found.origins[key] = array, "cache"
        elif download and not offline:
            try:
                found.arrays[key], found.origins[key] = _download(spec, cache, progress), "download"
            except _Unreachable as err:
                found.problems.append(f"downloading {spec.file_name} failed: {err}")
                offline = True  # the next files would fail the same way, each after a timeout
    return found


def _find_local(folder: Path, spec: MnistFile) -> Path | None:
    """The official name, compressed or not; which one it is, is read from the bytes, not the name."""
    for candidate in (spec.file_name, spec.file_name.removesuffix(".gz")):
        if (folder / candidate).is_file():
            return folder / candidate
    return None


def _from_cache(cache: Path, spec: MnistFile, problems: list[str]) -> np.ndarray | None:
    """The verified cached copy of `spec`, or None; a damaged copy is deleted so it is fetched again."""
    path = cache / spec.file_name
    if not path.is_file():
        return None
    try:
        return _verified_download(path, spec, str(path))
    except DataError:
        with contextlib.suppress(OSError):  # if it cannot be deleted, the download replaces it
            path.unlink()
        problems.append(f"the cached {spec.file_name} was damaged and has been deleted")
        return None


def _nothing_found(local: Path | None, download: bool) -> str:
    if local is not None:
        where = f"no complete MNIST split in {local} or the download cache"
    else:
        where = "no MNIST files in the download cache"
    return where if download else f"{where}, and downloading is off"


def _mnist_source(found: _Found, splits: list[str], local: Path | None) -> str:
    what = "train + test" if len(splits) == 2 else f"{splits[0]} split"
    n = sum(len(found.arrays[f"{s}-labels"]) for s in splits)
    origins = {found.origins[f"{s}-{part}"] for s in splits for part in ("images", "labels")}
    if origins == {"local"}:
        return f"MNIST {what} ({n:,} images) from {local}"
    wording = {"local": f"from {local}", "cache": "from the download cache", "download": "downloaded"}
    return f"MNIST {what} ({n:,} images, {', '.join(wording[o] for o in wording if o in origins)})"


# --- verification --------------------------------------------------------------------------------

def _verified_local(path: Path, spec: MnistFile) -> np.ndarray:
    """A user's copy: structure first (the more specific message), then the content checksum."""
    label = str(path)
    content = _decompress(_read_file(path), label)
    array = _checked_structure(_parse_idx(content, label), spec, label)
    if hashlib.sha256(content).hexdigest() != spec.content_sha256:
        raise DataError(
            f"{label} is not the official {spec.file_name} (SHA-256 checksum mismatch of its content); "
            "replace it with a fresh copy"
        )
    return array


def _verified_download(path: Path, spec: MnistFile, label: str) -> np.ndarray:
    """A copy from a mirror: its gzip bytes must be the official ones."""
    raw = _read_file(path)
    if hashlib.md5(raw, usedforsecurity=False).hexdigest() != spec.gz_md5:
        raise DataError(f"{label} is not the official {spec.file_name} (MD5 checksum mismatch)")
    return _checked_structure(_parse_idx(_decompress(raw, label), label), spec, label)


def _checked_structure(array: np.ndarray, spec: MnistFile, label: str) -> np.ndarray:
    if array.shape != spec.shape:
        raise DataError(
            f"{label} holds an array of shape {array.shape}; the official {spec.file_name} has shape {spec.shape}"
        )
    if spec.is_labels and array.max(initial=0) > 9:
        raise DataError(f"{label} holds the label {array.max()}; MNIST labels are 0 to 9")
    return array


# --- downloading ---------------------------------------------------------------------------------

class _Unreachable(Exception):
    """No mirror could be reached; the message says why, for the notice."""


def _download(spec: MnistFile, cache: Path, progress: Progress | None) -> np.ndarray:
    """Fetch `spec` from the first mirror that serves a genuine copy, keep it in `cache`, decode it.

    Unreachable mirrors raise `_Unreachable` (MNIST is then missing, as when offline); copies that
    arrive but fail verification on every mirror raise DataError, since retrying will not help.
    """
    try:
        cache.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise _Unreachable(f"cannot create the cache folder {cache} ({err.strerror})") from None
    unreachable, bad_copies = [], []
    for mirror in MNIST_MIRRORS:
        url = mirror + spec.file_name
        try:
            part = _fetch(url, cache, spec.file_name, progress)
        except (OSError, HTTPException) as err:  # URLError, HTTPError and timeouts are OSErrors
            unreachable.append(_one_line(getattr(err, "reason", None) or err))
            continue
        try:
            array = _verified_download(part, spec, url)
        except DataError as err:
            part.unlink(missing_ok=True)
            bad_copies.append(str(err))
            continue
        try:
            os.replace(part, cache / spec.file_name)  # atomic: nobody ever reads a half-written file
        except OSError:
            part.unlink(missing_ok=True)  # the data is good; only the cache copy is lost
        return array
    if bad_copies:
        raise DataError(f"{bad_copies[0]}; try again later, or set {MNIST_DIR_ENV} to a folder with MNIST")
    raise _Unreachable("; ".join(dict.fromkeys(unreachable)))


def _fetch(url: str, cache: Path, file_name: str, progress: Progress | None) -> Path:
    """Stream `url` into a new temporary file in `cache`, reporting progress; returns its path."""
    with urlopen(url, timeout=DOWNLOAD_TIMEOUT_S) as response:
        length = response.headers.get("Content-Length")
        total = int(length) if length and length.isdigit() else None
        fd, name = tempfile.mkstemp(prefix=file_name + ".", suffix=".part", dir=cache)
        part = Path(name)
        try:
            with os.fdopen(fd, "wb") as out:
                done = 0
                while chunk := response.read(CHUNK_BYTES):
                    out.write(chunk)
                    done += len(chunk)
                    if progress is not None:
                        progress(done, total, file_name)
        except BaseException:
            part.unlink(missing_ok=True)
            raise
    return part


def _one_line(reason: object) -> str:
    return " ".join(str(reason).split())


# --- IDX files -----------------------------------------------------------------------------------

def read_idx(source: str | Path | bytes, *, name: str | None = None) -> np.ndarray:
    """Decode an IDX file (gzip-compressed or not) from a path or raw bytes into a uint8 array.

    The header is big-endian: two zero bytes, the type code (only 0x08, unsigned bytes, is
    supported), the number of dimensions, then each dimension as a uint32. The result has the shape
    the header gives. Errors name the file (or `name`, for bytes).
    """
    if isinstance(source, (bytes, bytearray, memoryview)):
        raw, label = bytes(source), name or "the IDX data"
    else:
        raw, label = _read_file(Path(source)), name or str(source)
    return _parse_idx(_decompress(raw, label), label)


def _read_file(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as err:
        reason = err.strerror or _one_line(err)
        raise DataError(f"cannot read {path} ({reason}); check that the file exists and is readable") from None


def _decompress(raw: bytes, label: str) -> bytes:
    """`raw` itself, or its gzip content when it starts with the gzip magic bytes."""
    if raw[:2] != GZIP_MAGIC:
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as err:
        reason = _one_line(err)
        raise DataError(f"{label} is a damaged gzip file ({reason}); replace it with a fresh copy") from None


def _parse_idx(content: bytes, label: str) -> np.ndarray:
    if len(content) < 4 or content[:2] != b"\0\0":
        raise DataError(f"{label} is not an IDX file (it must start with two zero bytes); use the MNIST IDX files")
    type_code, ndim = content[2], content[3]
    if type_code != IDX_UINT8:
        raise DataError(
            f"{label} holds IDX type 0x{type_code:02x}; only unsigned bytes (0x08), as in MNIST, are supported"
        )
    header_bytes = 4 + 4 * ndim
    if len(content) < header_bytes:
        raise DataError(f"{label} is truncated inside its header; replace it with a fresh copy")
    shape = tuple(int(d) for d in np.frombuffer(content, dtype=">u4", count=ndim, offset=4))
    expected = header_bytes + int(np.prod(shape, dtype=np.int64))
    if len(content) < expected:
        raise DataError(
            f"{label} is truncated: its header promises {expected:,} bytes but it holds {len(content):,}; "
            "replace it with a fresh copy"
        )
    if len(content) > expected:
        raise DataError(
            f"{label} has {len(content) - expected:,} bytes after the {expected:,} its header promises; "
            "replace it with a fresh copy"
        )
    return np.frombuffer(content, dtype=np.uint8, offset=header_bytes).reshape(shape).copy()


# --- choosing digits -----------------------------------------------------------------------------

def select_digits(
    data: ImageData,
    digits: Sequence[int] | None,
    proportions: Sequence[float] | None,
    rng: np.random.Generator,
) -> ImageData:
    """Keep the images of `digits` (default all ten), optionally subsampled to class `proportions`.

    `proportions` (one non-negative weight per digit, normalised to sum 1) picks, without
    replacement, the largest number of images N for which every digit has its N * p_i images; the
    counts are N * p_i rounded (largest remainders) to sum to N. Labels keep their digit values and
    the images keep their original order. Returns `data` itself when both are None.
    """
    if digits is None and proportions is None:
        return data
    chosen = _checked_digits(digits)
    weights = None if proportions is None else _checked_proportions(proportions, len(chosen))
    pools = [np.flatnonzero(data.labels == d) for d in chosen]
    for d, pool, p in zip(chosen, pools, weights if weights is not None else [1.0] * len(chosen)):
        if p > 0 and len(pool) == 0:
            raise DataError(f"the {data.name} data has no images of digit {d}; choose digits it contains")
    if weights is None:
        keep = np.sort(np.concatenate(pools))
    else:
        counts = _class_counts(np.array([len(pool) for pool in pools]), weights)
        picked = [rng.choice(pool, size=c, replace=False) for pool, c in zip(pools, counts)]
        keep = np.sort(np.concatenate(picked))
    return replace(
        data, images=data.images[keep], labels=data.labels[keep],
        source=f"{data.source}; digits {', '.join(map(str, chosen))} ({len(keep):,} images)",
    )


def _checked_digits(digits: Sequence[int] | None) -> list[int]:
    if digits is None:
        return list(range(NUM_CLASSES))
    chosen = list(digits)
    if not chosen:
        raise DataError("choose at least one digit from 0 to 9")
    for d in chosen:
        if isinstance(d, bool) or not isinstance(d, (int, np.integer)) or not 0 <= d < NUM_CLASSES:
            raise DataError(f"{d!r} is not a digit; choose digits from 0 to 9")
    repeated = sorted({int(d) for d in chosen if chosen.count(d) > 1})
    if repeated:
        raise DataError(f"digit {repeated[0]} is listed more than once; list each digit once")
    return [int(d) for d in chosen]


def _checked_proportions(proportions: Sequence[float], n_digits: int) -> np.ndarray:
    try:
        p = np.asarray(proportions, dtype=np.float64)
    except (TypeError, ValueError):
        raise DataError("proportions must be numbers, one per digit, such as 0.9, 0.1") from None
    if p.shape != (n_digits,):
        raise DataError(f"give one proportion per digit: {n_digits} digits but {p.size} proportions")
    if not np.isfinite(p).all():
        raise DataError("proportions must be finite numbers")
    if (p < 0).any():
        raise DataError(f"proportion {p.min():g} is negative; use non-negative weights such as 0.9, 0.1")
    if p.sum() <= 0:
        raise DataError("the proportions add up to 0; give at least one digit a positive weight")
    return p / p.sum()


def _class_counts(available: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Per-class counts summing to the largest N with N * p_i <= available_i for every class."""
    positive = p > 0
    # The 1e-9 absorbs rounding, e.g. 1000 / 0.1 evaluating to 9999.999999.
    total = int(np.floor(np.min(available[positive] / p[positive]) + 1e-9))
    if total == 0:
        raise DataError("too few images to match these proportions; give the rarest digit a larger weight")
    exact = total * p
    counts = np.minimum(np.floor(exact + 1e-9).astype(np.int64), available)
    # Largest remainder method: the rounding shortfall goes to the classes with the largest fractions.
    shortfall = total - int(counts.sum())
    for i in np.argsort(-(exact - counts), kind="stable"):
        if shortfall == 0:
            break
        if positive[i] and counts[i] < available[i]:
            counts[i] += 1
            shortfall -= 1
    return counts


__all__ = [
    "CACHE_DIR_ENV", "IMAGE_DATASETS", "MNIST_DIR_ENV", "MNIST_FILES", "MNIST_MIRRORS", "ImageData",
    "MnistFile", "NUM_CLASSES", "clear_image_cache", "default_cache_dir", "load_images", "read_idx",
    "select_digits",
]
