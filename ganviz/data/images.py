"""Image datasets for image GANs: MNIST (28×28) and scikit-learn's 8×8 digits.

`load_images(name)` returns an `ImageData`: images (N, 1, H, W) float32 in [-1, 1] with their digit
labels. MNIST comes from, in order, a local folder (`mnist_dir` or $GANVIZ_MNIST_DIR), the download
cache, and the official mirrors; every file is verified before it is used. When no MNIST split can be
obtained, scikit-learn's digits stand in, with a `notice` that says so and how to get MNIST.

A local file that is damaged or not the official one raises `DataError` (a one-line message naming
the file); it is never skipped silently.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits

from ganviz.data.mnist import MNIST_DIR_ENV, SPLITS, Progress, gather_mnist, local_dir, mnist_source, nothing_found
from ganviz.data.points_io import DataError

IMAGE_DATASETS = ("mnist", "digits")
NUM_CLASSES = 10
CACHE_DIR_ENV = "GANVIZ_CACHE_DIR"


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
        local = local_dir(mnist_dir)
        key = ("mnist", local, default_cache_dir(), download, allow_fallback)
    with _MEMO_LOCK:
        if key not in _MEMO:
            if name == "digits":
                _MEMO[key] = _load_digits()
            else:
                _MEMO[key] = _load_mnist(local, download, allow_fallback, progress)
        return _MEMO[key]


def _load_mnist(local: Path | None, download: bool, allow_fallback: bool, progress: Progress | None) -> ImageData:
    cache = default_cache_dir()
    found = gather_mnist(local, cache, download, progress)
    splits = found.splits()
    if not splits:
        why = "; ".join(found.problems) or nothing_found(local, download)
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
    return ImageData(_to_unit_range(images, 255), labels, "mnist", mnist_source(found, splits, local), notice)


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


def _load_digits() -> ImageData:
    bunch = load_digits()  # (1797, 8, 8) float64 pixel values 0..16
    n = len(bunch.target)
    return ImageData(
        _to_unit_range(bunch.images, 16),
        bunch.target.astype(np.int64),
        "digits",
        f"scikit-learn's 8×8 digits ({n:,} images)",
    )


def _to_unit_range(pixels: np.ndarray, max_value: float) -> np.ndarray:
    """(N, H, W) pixels in 0..max_value -> (N, 1, H, W) float32 in [-1, 1]."""
    # Dividing by max/2 (127.5 and 8 are exact in float32) maps 0 and max to exactly -1 and 1.
    scaled = pixels.astype(np.float32) / np.float32(max_value / 2) - np.float32(1)
    return scaled[:, None]


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
        data,
        images=data.images[keep],
        labels=data.labels[keep],
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
    "CACHE_DIR_ENV",
    "IMAGE_DATASETS",
    "MNIST_DIR_ENV",
    "ImageData",
    "NUM_CLASSES",
    "clear_image_cache",
    "default_cache_dir",
    "load_images",
    "select_digits",
]
