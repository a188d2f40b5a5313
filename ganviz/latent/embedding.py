"""D's embedding space: its penultimate features of real and fake samples, reduced to 2D by PCA or t-SNE."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ganviz.latent import latent_domain
from ganviz.latent.noise import check_count
from ganviz.latent.probe import d_features, d_scores, latent_samples

if TYPE_CHECKING:
    from ganviz.training.trainer import Trainer

MAX_EMBED_POINTS = 600  # t-SNE on 600 points takes about a second on one core
TSNE_PERPLEXITY = 30.0  # scikit-learn's default; smaller sets get (N - 1) / 3
TSNE_PCA_DIMS = 50  # features are reduced to this many dimensions before t-SNE (the usual practice)


@dataclass
class EmbeddingInputs:
    """Real and fake samples as D sees them, ready for `embed`."""

    features: np.ndarray  # (N, F) D's penultimate features: real samples first, then fakes
    is_real: np.ndarray  # (N,) bool
    classes: np.ndarray | None  # (N,) digit (real: its label; fake: the classifier's reading) or nearest mode
    class_name: str | None  # "digit" or "nearest mode"; None where the data has neither
    scores: np.ndarray  # (N,) D's display values


def tsne_perplexity(n: int) -> float:
    """The perplexity `embed` gives t-SNE for n samples: scikit-learn's 30, or (n − 1)/3 below 91."""
    return min(TSNE_PERPLEXITY, (n - 1) / 3)


def embedding_features(trainer: Trainer, n: int = MAX_EMBED_POINTS, seed: int = 0) -> EmbeddingInputs:
    """D's penultimate features of n samples (at most MAX_EMBED_POINTS): ⌊n/2⌋ real ones drawn with `seed`
    (points: from the run's evaluation data; images: from its training images, with their labels), and
    G's samples for the first n − ⌊n/2⌋ of the run's fixed z. A conditional D is asked about each real
    image's own class and each fake's requested one."""
    n = check_count("n", n, at_least=4)
    if n > MAX_EMBED_POINTS:
        raise ValueError(f"n must be at most {MAX_EMBED_POINTS} (t-SNE's time grows quickly), got {n}")
    kind = latent_domain(trainer)
    n_real = n // 2
    fake = latent_samples(trainer, n - n_real)
    real, real_labels = kind.embedding_real(trainer, n_real, np.random.default_rng(seed))
    classes, class_name = kind.embedding_classes(trainer, real, real_labels, fake.outputs)
    labels = None if fake.labels is None else np.concatenate([real_labels, fake.labels])
    x = np.concatenate([real.astype(fake.outputs.dtype), fake.outputs])
    return EmbeddingInputs(
        features=d_features(trainer, x, labels),
        is_real=np.arange(n) < n_real,
        classes=classes,
        class_name=class_name,
        scores=d_scores(trainer, x, labels),
    )


def embed(
    features, method: str = "pca", seed: int = 0, progress: Callable[[float, str], None] | None = None
) -> np.ndarray:
    """Features (N, F), 3 ≤ N ≤ MAX_EMBED_POINTS, F ≥ 2, down to (N, 2) float64: the same output for the
    same features, every time.

    "pca": the two principal components (scikit-learn, full SVD; signs fixed by its svd_flip).
    "tsne": t-SNE (scikit-learn, Barnes-Hut, perplexity `tsne_perplexity(N)`) on the features reduced to
    at most TSNE_PCA_DIMS dimensions by PCA. It starts from the PCA layout (scikit-learn's default, which
    keeps the global arrangement), so it draws no random numbers: `seed` is passed on as its
    random_state but changes nothing. `progress(fraction, message)` is told each stage; t-SNE itself
    reports none (about a second for 600 points).
    """
    from sklearn.decomposition import PCA  # scikit-learn loads only when something is embedded
    from sklearn.manifold import TSNE

    x = np.asarray(features, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] < 2:
        raise ValueError(f"features must have shape (N, F) with F ≥ 2, got {x.shape}")
    if not 3 <= len(x) <= MAX_EMBED_POINTS:
        raise ValueError(f"embed needs between 3 and {MAX_EMBED_POINTS} samples, got {len(x)}")
    if not np.isfinite(x).all():
        raise ValueError("features hold NaN or infinite values")
    if method not in ("pca", "tsne"):
        raise ValueError(f"unknown method {method!r}; choose pca or tsne")
    report = progress or (lambda fraction, message: None)
    if method == "pca":
        report(0.0, "PCA")
        out = PCA(n_components=2, svd_solver="full").fit_transform(x)
        report(1.0, "PCA done")
        return out
    report(0.0, f"reducing {x.shape[1]} features to at most {TSNE_PCA_DIMS} with PCA")
    dims = min(TSNE_PCA_DIMS, x.shape[1], len(x))
    reduced = PCA(n_components=dims, svd_solver="full").fit_transform(x) if dims < x.shape[1] else x
    report(0.1, f"t-SNE on {len(x)} samples")
    out = TSNE(
        n_components=2, perplexity=tsne_perplexity(len(x)), init="pca", learning_rate="auto", random_state=seed
    ).fit_transform(reduced)
    report(1.0, "t-SNE done")
    return out.astype(np.float64)
