"""G and D on numpy arrays: samples, scores, features and walks, checked against the networks themselves."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ganviz import GANConfig, Trainer
from ganviz.latent import LATENT_DOMAINS, fgsm, latent_domain, noise, probe
from ganviz.training.runtime import eval_mode
from ganviz.training.trainer import DOMAINS

RNG = np.random.default_rng(0)
# G and D work in float32, and a batch of 12 rounds differently from one of 50: outputs of the same z
# agree to ~1e-7 of their size, not bit for bit.
CLOSE = dict(rtol=1e-5, atol=1e-6)


def network_outputs(trainer: Trainer, z: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """G(z) and sigmoid(D(G(z))) straight from the networks: G's EMA copy, which draws the pictures, and a
    D that judges each sample alone."""
    with torch.no_grad(), eval_mode(trainer.sampler, trainer.D):
        x = trainer.sampler(z)
        return x.double().numpy(), torch.sigmoid(trainer.D(x)).double().numpy()


def test_every_kind_of_data_has_a_latent_side():
    assert set(LATENT_DOMAINS) == set(DOMAINS)
    for kind, side in LATENT_DOMAINS.items():
        assert side.kind == kind and side.fgsm_max_points >= 1 and side.between.startswith("between")


def test_a_walk_starts_and_ends_at_g_of_the_picked_samples(ring_run):
    assert latent_domain(ring_run) is LATENT_DOMAINS["points"]
    picks = probe.latent_samples(ring_run, 50)
    outputs, scores = network_outputs(ring_run, ring_run.domain.fixed_z[:50])
    np.testing.assert_allclose(picks.outputs, outputs, **CLOSE)  # the playground's fakes
    np.testing.assert_allclose(picks.scores, scores, **CLOSE)
    np.testing.assert_array_equal(picks.z, ring_run.domain.fixed_z[:50].double().numpy())
    for fn in (noise.lerp, noise.slerp):
        w = probe.walk(ring_run, fn(picks.z[3], picks.z[41], 12))
        assert w.outputs.shape == (12, 2) and w.scores.shape == (12,) and w.d_output == "probability"
        np.testing.assert_array_equal(w.z[[0, -1]], picks.z[[3, 41]])
        np.testing.assert_allclose(w.outputs[[0, -1]], picks.outputs[[3, 41]], **CLOSE)
        np.testing.assert_allclose(w.scores[[0, -1]], picks.scores[[3, 41]], **CLOSE)
        np.testing.assert_allclose(w.norms, np.linalg.norm(w.z, axis=1), rtol=1e-12)
        assert ((w.scores > 0) & (w.scores < 1)).all()
    np.testing.assert_allclose(picks.scores, ring_run.discriminate(picks.outputs), **CLOSE)
    with pytest.raises(ValueError, match=r"shape \(N, 2\)"):
        probe.generate(ring_run, np.zeros((3, 5)))
    with pytest.raises(ValueError, match="not conditional"):
        probe.generate(ring_run, np.zeros((3, 2)), labels=[1, 2, 3])
    with pytest.raises(ValueError, match=r"samples of shape \(N, 2\)"):
        probe.d_scores(ring_run, np.zeros((3, 3)))
    with pytest.raises(ValueError, match="at most 384"):
        probe.latent_samples(ring_run, 385)


def test_farthest_points_pick_spread_out_samples():
    points = np.array([[0.0, 0.0], [0.1, 0.0], [5.0, 0.0], [0.0, 3.0], [4.9, 0.1]])
    assert probe.farthest_points(points, 3) == [0, 2, 3]
    assert probe.farthest_points(points, 2, first=2) == [2, 3]
    with pytest.raises(ValueError, match="k ≤ N"):
        probe.farthest_points(points, 6)


def test_batch_dependent_d_compares_with_the_fixed_fakes_not_with_its_batch():
    trainer = Trainer(GANConfig(dataset="ring8", minibatch_features="discrimination", seed=0))
    x = RNG.uniform(-2, 2, size=(40, 2))
    features = probe.d_features(trainer, x)
    assert features.shape == (40, 128 + 16)
    np.testing.assert_allclose(probe.d_features(trainer, x[:3]), features[:3], **CLOSE)  # its neighbours don't count
    with torch.no_grad():  # D's last layer on those features is D's score
        head = trainer.D.head(torch.as_tensor(features, dtype=torch.float32)).squeeze(-1)
    np.testing.assert_allclose(probe.d_scores(trainer, x), torch.sigmoid(head).double().numpy(), **CLOSE)
    np.testing.assert_allclose(probe.d_scores(trainer, x), trainer.discriminate(x), **CLOSE)
    result = fgsm.fgsm_from_noise(trainer, n=8, steps=3)
    assert result.scores.shape == (4, 8)


def test_image_walks_and_samples(digits_run):
    picks = probe.latent_samples(digits_run, 12)
    assert picks.outputs.shape == (12, 1, 8, 8) and picks.labels is None
    w = probe.walk(digits_run, noise.slerp(picks.z[0], picks.z[7], 6))
    assert w.outputs.shape == (6, 1, 8, 8) and w.norms.shape == (6,)
    np.testing.assert_allclose(w.outputs[[0, -1]], picks.outputs[[0, 7]], **CLOSE)
    assert w.outputs.min() >= -1 and w.outputs.max() <= 1
    with pytest.raises(ValueError, match=r"samples of shape \(N, 1, 8, 8\)"):
        probe.d_features(digits_run, np.zeros((2, 2)))


def test_conditional_runs_need_labels_and_switch_digit_keeping_z(conditional_digits):
    z = noise.truncated_normal(1, 64, None, seed=0)
    with pytest.raises(ValueError, match="conditional"):
        probe.generate(conditional_digits, z)
    with pytest.raises(ValueError, match="digits 0-9"):
        probe.generate(conditional_digits, z, labels=[12])
    switched = probe.generate(conditional_digits, np.repeat(z, 3, axis=0), [0, 3, 8])
    assert switched.shape == (3, 1, 8, 8) and not np.allclose(switched[0], switched[1])
    np.testing.assert_allclose(probe.generate(conditional_digits, z, 3)[0], switched[1], **CLOSE)
    picks = probe.latent_samples(conditional_digits, 6)
    assert picks.labels.tolist() == [0, 3, 8, 0, 3, 8]  # the trained digits in turn
    assert probe.run_labels(conditional_digits, 4).tolist() == [0, 3, 8, 0]
    assert fgsm.fgsm_from_noise(conditional_digits, n=3, steps=2).labels.tolist() == [0, 3, 8]
