"""D's embedding space: its penultimate features of real and fake samples, and their 2D projections."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ganviz.latent import embedding
from ganviz.metrics.judge import predict

CLOSE = dict(rtol=1e-5, atol=1e-6)


def embedded_samples(trainer, real_pool, n_real: int, n_fake: int, seed: int):
    """The real then fake samples `embedding_features` uses (its documented recipe): n_real drawn from
    real_pool with the seed, then G at the first n_fake fixed z."""
    rng = np.random.default_rng(seed)
    idx = rng.choice(len(real_pool), size=n_real, replace=False)
    return idx, trainer.sample(trainer.domain.fixed_z[:n_fake], None)


def test_d_features_are_ds_trunk_on_real_then_fake_samples(ring_run):
    inputs = embedding.embedding_features(ring_run, n=101, seed=3)
    assert inputs.features.shape == (101, 128) and inputs.is_real.sum() == 50 and inputs.is_real[:50].all()
    assert inputs.class_name == "nearest mode" and set(inputs.classes) <= set(range(8))
    real = ring_run.domain.eval_real
    idx, fake = embedded_samples(ring_run, real, 50, 51, seed=3)
    x = np.concatenate([real[idx], fake])
    np.testing.assert_allclose(inputs.scores, ring_run.discriminate(x), **CLOSE)
    with torch.no_grad():  # the features are what D's trunk makes of the samples
        trunk = ring_run.D.trunk(torch.as_tensor(x, dtype=torch.float32)).double().numpy()
    np.testing.assert_allclose(inputs.features, trunk, **CLOSE)
    modes = ring_run.domain.dataset.modes  # each sample's nearest mode, by brute force
    np.testing.assert_array_equal(inputs.classes, ((x[:, None] - modes[None]) ** 2).sum(-1).argmin(1))
    for method in ("pca", "tsne"):
        reports = []
        out = embedding.embed(inputs.features, method, seed=0, progress=lambda f, m, seen=reports: seen.append(f))
        assert out.shape == (101, 2) and np.isfinite(out).all() and reports[0] == 0.0 and reports[-1] == 1.0
    assert embedding.tsne_perplexity(600) == 30 and embedding.tsne_perplexity(40) == 13
    with pytest.raises(ValueError, match="between 3 and 600"):
        embedding.embed(np.zeros((601, 4)))
    with pytest.raises(ValueError, match="pca or tsne"):
        embedding.embed(inputs.features, "umap")
    with pytest.raises(ValueError, match="at most 600"):
        embedding.embedding_features(ring_run, n=800)


@pytest.mark.slow
def test_d_features_and_their_embeddings(grid_run):
    inputs = embedding.embedding_features(grid_run, seed=0)
    assert inputs.features.shape == (600, 128) and inputs.is_real.sum() == 300 and inputs.is_real[:300].all()
    assert inputs.class_name == "nearest mode" and set(inputs.classes) <= set(range(25))
    real = grid_run.domain.eval_real
    idx, fake = embedded_samples(grid_run, real, 300, 300, seed=0)
    np.testing.assert_allclose(inputs.scores, grid_run.discriminate(np.concatenate([real[idx], fake])), **CLOSE)
    for method in ("pca", "tsne"):
        stages = []
        out = embedding.embed(inputs.features, method, seed=0, progress=lambda f, m, seen=stages: seen.append(f))
        assert out.shape == (600, 2) and np.isfinite(out).all() and stages[-1] == 1.0
        np.testing.assert_array_equal(out, embedding.embed(inputs.features, method, seed=0))
    # t-SNE starts from the PCA layout, so not even the seed changes it
    np.testing.assert_array_equal(
        embedding.embed(inputs.features[:90], "tsne", seed=1), embedding.embed(inputs.features[:90], "tsne", seed=2)
    )
    assert embedding.embed(inputs.features[:5], "tsne").shape == (5, 2)  # perplexity below N
    with pytest.raises(ValueError, match="between 3 and 600"):
        embedding.embed(np.zeros((601, 4)))
    with pytest.raises(ValueError, match="pca or tsne"):
        embedding.embed(inputs.features, "umap")
    with pytest.raises(ValueError, match="at most 600"):
        embedding.embedding_features(grid_run, n=800)


def test_pca_keeps_the_directions_of_largest_spread():
    rng = np.random.default_rng(0)
    features = rng.standard_normal((200, 5)) * np.array([10.0, 0.1, 3.0, 0.1, 0.1])
    out = embedding.embed(features, "pca")
    np.testing.assert_allclose(out.std(0), features[:, [0, 2]].std(0), rtol=0.05)  # axes 0 and 2, in that order
    np.testing.assert_allclose(np.abs(np.corrcoef(out.T, features[:, [0, 2]].T)[[0, 1], [2, 3]]), 1, atol=0.01)


def test_image_embedding_labels_real_digits_and_reads_the_fakes(digits_run):
    inputs = embedding.embedding_features(digits_run, n=40, seed=0)
    assert inputs.features.shape[0] == 40 and inputs.class_name == "digit"
    assert set(inputs.classes) <= set(range(10))
    data = digits_run.domain.image_data
    idx, fake = embedded_samples(digits_run, data.images, 20, 20, seed=0)
    np.testing.assert_array_equal(inputs.classes[:20], data.labels[idx])  # real: their own labels
    read = predict(digits_run.domain.judge.classifier, fake).argmax(1)
    np.testing.assert_array_equal(inputs.classes[20:], read)  # fakes: what the judge reads
    assert embedding.embed(inputs.features, "tsne", seed=0).shape == (40, 2)
