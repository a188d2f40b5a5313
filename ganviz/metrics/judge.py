"""The digit classifier that judges generated digits: which class each sample looks like, and
the features the Fréchet distance compares.

Images are float32 arrays (N, 1, H, W) in [-1, 1] with H = W (28 for MNIST, 8 for scikit-learn's
digits); labels are int64 0..9. One small CNN serves both sizes. Training is deterministic for a
given seed, takes seconds on a CPU, and the result is cached on disk keyed by the data, so the
app trains it once per dataset.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ganviz.training.runtime import single_thread

CLASSIFIER_VERSION = 1  # bump when the architecture or training changes: old cache files stop matching
NUM_CLASSES = 10
FEATURE_DIM = 64  # penultimate width: small enough for a well-conditioned covariance from ~1,000 samples
TRAIN_STEPS = 1000  # Adam steps; ~10 s for 28x28 and ~2 s for 8x8 on one CPU thread
BATCH_SIZE = 64
LEARNING_RATE = 3e-3  # peak of the one-cycle schedule
INFER_BATCH = 256  # images per inference batch: twice as fast as 1000 on 28x28 (activations stay in cache)


class DigitClassifier(nn.Module):
    """Two 3x3 conv layers (16 and 32 channels, ReLU, 2x2 max-pool), a FEATURE_DIM feature layer, 10 logits.

    `image_size` is H = W. Each pool halves the side while it is at least 4
    (28 -> 14 -> 7, 8 -> 4 -> 2), so the same code fits both datasets.
    """

    def __init__(self, image_size: int):
        super().__init__()
        self.image_size = image_size
        self.conv1 = nn.Conv2d(1, 16, 3, padding=1)
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1)
        self.pool1, side = _pool_plan(image_size)
        self.pool2, side = _pool_plan(side)
        self.fc = nn.Linear(32 * side * side, FEATURE_DIM)
        self.out = nn.Linear(FEATURE_DIM, NUM_CLASSES)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Penultimate layer (N, FEATURE_DIM) for x (N, 1, H, W), taken before its ReLU.

        Before the ReLU because a quarter or so of the units end up inactive on every image:
        after it they would be constant zeros, wasted dimensions for the Fréchet distance.
        """
        h = F.relu(self.conv1(x))
        h = F.max_pool2d(h, 2) if self.pool1 else h
        h = F.relu(self.conv2(h))
        h = F.max_pool2d(h, 2) if self.pool2 else h
        return self.fc(h.flatten(1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits (N, 10) for x (N, 1, H, W)."""
        return self.logits(self.features(x))

    def logits(self, features: torch.Tensor) -> torch.Tensor:
        """(N, 10) logits from `features` (N, FEATURE_DIM): forward's last layers, for callers that
        already have the features."""
        return self.out(F.relu(features))


def _pool_plan(side: int) -> tuple[bool, int]:
    """Whether to pool a side x side map, and the side afterwards (pooling a map below 4 loses too much)."""
    return (True, side // 2) if side >= 4 else (False, side)


def _check_data(images, labels) -> tuple[np.ndarray, np.ndarray]:
    images = np.ascontiguousarray(images, dtype=np.float32)
    labels = np.ascontiguousarray(labels, dtype=np.int64)
    if images.ndim != 4 or images.shape[1] != 1 or images.shape[2] != images.shape[3]:
        raise ValueError(f"expected images of shape (N, 1, H, H), got {images.shape}")
    if labels.shape != (len(images),):
        raise ValueError(f"expected labels of shape ({len(images)},), got {labels.shape}")
    if labels.size and (labels.min() < 0 or labels.max() >= NUM_CLASSES):
        raise ValueError("labels must lie in 0..9")
    return images, labels


def stratified_split(labels: np.ndarray, fraction: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(train indices, held-out indices): round(fraction * n_c) random images of each class c held out.

    Stratified so the held-out accuracy weighs the classes as the data does, even for small N.
    """
    held = []
    for c in range(NUM_CLASSES):
        members = rng.permutation(np.flatnonzero(labels == c))
        held.append(members[: round(fraction * len(members))])
    held = np.sort(np.concatenate(held))
    train = np.setdiff1d(np.arange(len(labels)), held)
    return train, held


def train_classifier(
    images: np.ndarray, labels: np.ndarray, *, seed: int = 0, heldout_fraction: float = 0.15, steps: int = TRAIN_STEPS
) -> tuple[DigitClassifier, float]:
    """Train on images (N, 1, H, H) in [-1, 1] with labels (N,) 0..9; return (model in eval mode, accuracy).

    `accuracy` in [0, 1] is measured on a stratified held-out `heldout_fraction` of the data that
    the model never trains on. `steps` minibatches of BATCH_SIZE are drawn by reshuffling the
    training part with numpy's rng (seed `seed`); the initial weights come from torch's RNG seeded
    with `seed` inside a forked RNG state, so the caller's global RNG is left untouched. The same
    data and seed give bit-identical weights.
    """
    images, labels = _check_data(images, labels)
    if not 0.0 < heldout_fraction < 1.0:
        raise ValueError(f"heldout_fraction must lie in (0, 1), got {heldout_fraction}")
    rng = np.random.default_rng(seed)
    train_idx, held_idx = stratified_split(labels, heldout_fraction, rng)
    if len(train_idx) == 0 or len(held_idx) == 0:
        raise ValueError(f"too few images ({len(images)}) to hold out {heldout_fraction:.0%}")

    x, y = torch.from_numpy(images), torch.from_numpy(labels)
    with single_thread(), torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = DigitClassifier(images.shape[-1])
        _fit(model, x, y, train_idx, steps, rng)
        model.eval()
        with torch.inference_mode():
            accuracy = (model(x[held_idx]).argmax(1) == y[held_idx]).double().mean().item()
    return model, accuracy


def _fit(
    model: DigitClassifier,
    x: torch.Tensor,
    y: torch.Tensor,
    train_idx: np.ndarray,
    steps: int,
    rng: np.random.Generator,
) -> None:
    """Adam with a one-cycle learning rate (warm-up, then anneal to ~0): converges in few steps."""
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    schedule = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=LEARNING_RATE, total_steps=steps, pct_start=0.15)
    batch = min(BATCH_SIZE, len(train_idx))
    order, pos = rng.permutation(train_idx), 0
    for _ in range(steps):
        if pos + batch > len(order):  # epoch done: reshuffle, so every image is seen once per epoch
            order, pos = rng.permutation(train_idx), 0
        b = torch.from_numpy(order[pos : pos + batch])
        pos += batch
        loss = F.cross_entropy(model(x[b]), y[b])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        schedule.step()


def cache_key(images: np.ndarray, labels: np.ndarray, seed: int = 0) -> str:
    """16 hex digits naming (shape, data bytes, labels, seed, CLASSIFIER_VERSION).

    The fingerprint hashes every byte of the float32 images and int64 labels (BLAKE2b runs at
    ~0.7 GB/s, so 60,000 MNIST images cost ~0.3 s): any change to the data gives a new key.
    """
    images, labels = _check_data(images, labels)
    h = hashlib.blake2b(digest_size=8)
    h.update(repr((CLASSIFIER_VERSION, seed, images.shape)).encode())
    h.update(images.tobytes())
    h.update(labels.tobytes())
    return h.hexdigest()


def load_or_train_classifier(
    images: np.ndarray, labels: np.ndarray, *, cache_dir: Path, seed: int = 0
) -> tuple[DigitClassifier, float]:
    """`train_classifier(images, labels, seed=seed)`, cached as cache_dir / f"classifier-{key}.pt".

    A cache file that is missing, unreadable or does not fit the model is ignored and
    overwritten by a fresh training: the cache can only save time, never break a run.
    """
    images, labels = _check_data(images, labels)
    path = Path(cache_dir) / f"classifier-{cache_key(images, labels, seed)}.pt"
    cached = _load(path, images.shape[-1])
    if cached is not None:
        return cached
    model, accuracy = train_classifier(images, labels, seed=seed)
    _save_atomically(
        path,
        {
            "version": CLASSIFIER_VERSION,
            "image_size": images.shape[-1],
            "accuracy": accuracy,
            "state_dict": model.state_dict(),
        },
    )
    return model, accuracy


def _load(path: Path, image_size: int) -> tuple[DigitClassifier, float] | None:
    if not path.exists():
        return None
    try:
        # weights_only: a cache file is data, and must never be able to run code when loaded
        payload = torch.load(path, map_location="cpu", weights_only=True)
        if payload["version"] != CLASSIFIER_VERSION or payload["image_size"] != image_size:
            return None
        accuracy = float(payload["accuracy"])
        if not 0.0 <= accuracy <= 1.0:
            return None
        model = DigitClassifier(image_size)
        model.load_state_dict(payload["state_dict"])  # strict: missing or misshapen tensors raise
    except Exception:  # truncated, garbage, or a foreign pickle: all mean "no usable cache"
        return None
    return model.eval(), accuracy


def _save_atomically(path: Path, payload: dict) -> None:
    """Write to a temporary file in the same folder, then rename over `path`.

    A rename is atomic, so a crash mid-write or a second process reading at the same time never
    sees half a file. A folder that cannot be written is not an error: the model is still returned.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    except OSError:
        return
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(payload, f)
        os.replace(tmp, path)
    except OSError:
        Path(tmp).unlink(missing_ok=True)


def _batched(model: DigitClassifier, images: np.ndarray, batch_size: int, fn) -> np.ndarray:
    """fn(model, batch tensor) over images (N, 1, H, W) in batches, concatenated as float64 (N, ...)."""
    images = np.ascontiguousarray(images, dtype=np.float32)
    if images.ndim != 4:
        raise ValueError(f"expected images of shape (N, 1, H, W), got {images.shape}")
    model.eval()
    device = next(model.parameters()).device
    out = []
    with torch.inference_mode():
        # max(N, 1): zero images still make one (empty) batch, so the result keeps its trailing shape
        for start in range(0, max(len(images), 1), batch_size):
            batch = torch.from_numpy(images[start : start + batch_size]).to(device)
            out.append(fn(model, batch).double().cpu().numpy())
    return np.concatenate(out)


def predict(model: DigitClassifier, images: np.ndarray, batch_size: int = INFER_BATCH) -> np.ndarray:
    """Class probabilities (N, 10) float64, rows summing to 1, for images (N, 1, H, W) in [-1, 1]."""
    return _batched(model, images, batch_size, lambda m, x: torch.softmax(m(x).double(), dim=1))


def features_and_probs(
    model: DigitClassifier, images: np.ndarray, batch_size: int = INFER_BATCH
) -> tuple[np.ndarray, np.ndarray]:
    """`features` and `predict` of the same images in one pass: (N, FEATURE_DIM) and (N, 10), float64."""

    def both(m, x):
        f = m.features(x)
        return torch.cat([f.double(), torch.softmax(m.logits(f).double(), dim=1)], dim=1)

    out = _batched(model, images, batch_size, both)
    return out[:, :FEATURE_DIM], out[:, FEATURE_DIM:]


def features(model: DigitClassifier, images: np.ndarray, batch_size: int = INFER_BATCH) -> np.ndarray:
    """Penultimate-layer features (N, FEATURE_DIM) float64 for images (N, 1, H, W) in [-1, 1]."""
    return _batched(model, images, batch_size, lambda m, x: m.features(x))
