"""MNIST from IDX files: found locally, in the cache, or downloaded from public mirrors, each file checked
against the official checksums."""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import os
import tempfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from http.client import HTTPException
from pathlib import Path
from urllib.request import urlopen

import numpy as np

from ganviz.data.points_io import DataError

MNIST_MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)
DOWNLOAD_TIMEOUT_S = 30
CHUNK_BYTES = 64 * 1024
GZIP_MAGIC = b"\x1f\x8b"
IDX_UINT8 = 0x08
MNIST_DIR_ENV = "GANVIZ_MNIST_DIR"


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
        "train-images-idx3-ubyte.gz",
        "f68b3c2dcbeaaa9fbdd348bbdeb94873",
        "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        (60000, 28, 28),
    ),
    "train-labels": MnistFile(
        "train-labels-idx1-ubyte.gz",
        "d53e105ee54ea40749a09fcbcd1e9432",
        "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        (60000,),
    ),
    "test-images": MnistFile(
        "t10k-images-idx3-ubyte.gz",
        "9fb629c4189551a2d022fa330f9573f3",
        "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        (10000, 28, 28),
    ),
    "test-labels": MnistFile(
        "t10k-labels-idx1-ubyte.gz",
        "ec29112dd5afa0611ce80d1b7f02629c",
        "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
        (10000,),
    ),
}
SPLITS = ("train", "test")


# Smallest first, so an offline machine is found out by a 5 kB request, not a 10 MB one.
FETCH_ORDER = ("test-labels", "test-images", "train-labels", "train-images")


def local_dir(mnist_dir: str | Path | None) -> Path | None:
    """The user's MNIST folder, absolute, or None when neither the argument nor the variable is set."""
    setting = mnist_dir if mnist_dir is not None else os.environ.get(MNIST_DIR_ENV) or None
    if setting is None:
        return None
    folder = Path(setting).expanduser()
    if not folder.is_dir():
        what = "mnist_dir" if mnist_dir is not None else MNIST_DIR_ENV
        raise DataError(f"{what} is {folder}, which is not a folder; point it at a folder with the MNIST IDX files")
    return folder.resolve()


@dataclass
class _Found:
    """The MNIST files gathered so far."""

    arrays: dict[str, np.ndarray] = field(default_factory=dict)  # MNIST_FILES key -> verified uint8
    origins: dict[str, str] = field(default_factory=dict)  # MNIST_FILES key -> "local" | "cache" | "download"
    problems: list[str] = field(default_factory=list)  # why files are missing, for the notice

    def splits(self) -> list[str]:
        return [s for s in SPLITS if f"{s}-images" in self.arrays and f"{s}-labels" in self.arrays]


def gather_mnist(local: Path | None, cache: Path, download: bool, progress: Progress | None) -> _Found:
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


def nothing_found(local: Path | None, download: bool) -> str:
    if local is not None:
        where = f"no complete MNIST split in {local} or the download cache"
    else:
        where = "no MNIST files in the download cache"
    return where if download else f"{where}, and downloading is off"


def mnist_source(found: _Found, splits: list[str], local: Path | None) -> str:
    what = "train + test" if len(splits) == 2 else f"{splits[0]} split"
    n = sum(len(found.arrays[f"{s}-labels"]) for s in splits)
    origins = {found.origins[f"{s}-{part}"] for s in splits for part in ("images", "labels")}
    if origins == {"local"}:
        return f"MNIST {what} ({n:,} images) from {local}"
    wording = {"local": f"from {local}", "cache": "from the download cache", "download": "downloaded"}
    return f"MNIST {what} ({n:,} images, {', '.join(wording[o] for o in wording if o in origins)})"


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
