"""The latent-space engine: interpolation, arithmetic, truncation, D's embedding space, FGSM from noise."""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import norm

from ganviz import GANConfig, Trainer
from ganviz.latent import embedding
from ganviz.latent import fgsm
from ganviz.latent import noise
from ganviz.latent import probe
from ganviz.latent import truncation
from ganviz.config import image_config
from ganviz.data.images import load_images
from ganviz.training import images as image_eval

RNG = np.random.default_rng(0)


@pytest.fixture(scope="module")
def grid_run() -> Trainer:
    """Grid of 25 Gaussians, 2,000 iterations, seed 0 (~7 s): covers the grid, with the latent centre on a mode.
    On the CPU, so it is the same run on every machine (a GPU trains from other random streams, and where
    G puts the latent centre, hence whether truncation helps, depends on the run)."""
    trainer = Trainer(GANConfig(dataset="grid25", seed=0, device="cpu"))
    trainer.step(2000)
    return trainer


@pytest.fixture(scope="module")
def digits_cache(tmp_path_factory):
    """The digit classifier's cache, shared with the digits page tests: the judge trains once per session."""
    return tmp_path_factory.getbasetemp() / "digits-page-cache"


@pytest.fixture(scope="module")
def digits_run(digits_cache) -> Trainer:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GANVIZ_CACHE_DIR", str(digits_cache))
        trainer = Trainer(image_config("digits", seed=0), images=load_images("digits"))
        trainer.step(30)
        image_eval.judge(trainer)  # trained (or loaded) while the cache variable is set
        yield trainer


@pytest.fixture(scope="module")
def conditional_digits(digits_cache) -> Trainer:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GANVIZ_CACHE_DIR", str(digits_cache))
        trainer = Trainer(image_config("digits", seed=0, conditional=True, digits="038"),
                          images=load_images("digits"))
        trainer.step(20)
        image_eval.judge(trainer)
        yield trainer


# --- interpolation and arithmetic on plain vectors ----------------------------------------------------

@pytest.mark.parametrize("fn", [noise.lerp, noise.slerp])
def test_paths_start_and_end_exactly_at_the_chosen_vectors(fn):
    z0, z1 = RNG.standard_normal(64).astype(np.float32), RNG.standard_normal(64).astype(np.float32)
    path = fn(z0, z1, 9)
    assert path.shape == (9, 64) and path.dtype == np.float64
    assert np.array_equal(path[0], z0.astype(np.float64)) and np.array_equal(path[-1], z1.astype(np.float64))


def test_slerp_keeps_the_norm_where_lerp_dips_for_orthogonal_vectors_of_equal_norm():
    r, t = 3.0, np.linspace(0, 1, 11)
    z0, z1 = np.zeros(8), np.zeros(8)
    z0[2], z1[5] = r, r
    np.testing.assert_allclose(np.linalg.norm(noise.slerp(z0, z1, 11), axis=1), r, rtol=1e-12)
    np.testing.assert_allclose(np.linalg.norm(noise.lerp(z0, z1, 11), axis=1), r * np.sqrt((1 - t) ** 2 + t ** 2),
                               rtol=1e-12)  # r/√2 in the middle
    # along the arc the angle from z0 grows linearly: z(t) = r (cos(tπ/2) e0 + sin(tπ/2) e1)
    np.testing.assert_allclose(noise.slerp(z0, z1, 11)[:, [2, 5]],
                               r * np.column_stack([np.cos(t * np.pi / 2), np.sin(t * np.pi / 2)]), atol=1e-12)


def test_slerp_of_unequal_norms_turns_at_constant_speed_and_scales_linearly():
    z0, z1 = RNG.standard_normal(16), 0.2 * RNG.standard_normal(16)
    n0, n1 = np.linalg.norm(z0), np.linalg.norm(z1)
    omega = math.acos(z0 @ z1 / (n0 * n1))
    path, t = noise.slerp(z0, z1, 21), np.linspace(0, 1, 21)
    np.testing.assert_allclose(np.linalg.norm(path, axis=1), (1 - t) * n0 + t * n1, rtol=1e-10)
    angles = np.arccos(np.clip(path @ z0 / (np.linalg.norm(path, axis=1) * n0), -1, 1))
    np.testing.assert_allclose(angles, t * omega, atol=1e-6)


def test_slerp_falls_back_to_the_line_where_the_arc_is_undefined():
    z = RNG.standard_normal(4)
    np.testing.assert_array_equal(noise.slerp(z, 2 * z, 5), noise.lerp(z, 2 * z, 5))  # same direction
    np.testing.assert_array_equal(noise.slerp(z, -z, 5), noise.lerp(z, -z, 5))  # opposite: no unique arc
    np.testing.assert_array_equal(noise.slerp(np.zeros(4), z, 5), noise.lerp(np.zeros(4), z, 5))


@pytest.mark.parametrize("args, message", [
    ((np.zeros(3), np.zeros(3), 1), "at least 2"),
    ((np.zeros(3), np.zeros(4), 5), "same shape"),
    ((np.zeros((2, 3)), np.zeros(3), 5), "one noise vector"),
    ((np.array([0.0, np.nan]), np.zeros(2), 5), "NaN"),
    ((np.zeros(3), np.zeros(3), 2.5), "whole number"),
])
def test_paths_reject_bad_arguments(args, message):
    for fn in (noise.lerp, noise.slerp):
        with pytest.raises(ValueError, match=message):
            fn(*args)


def test_arithmetic_and_samples_around_a_point():
    a, b, c = (RNG.standard_normal(5) for _ in range(3))
    np.testing.assert_array_equal(noise.arithmetic(a, b, c), a - b + c)
    with pytest.raises(ValueError, match="same shape"):
        noise.arithmetic(a, b, np.zeros(4))
    near = noise.around(a, 7, 0.25, seed=3)
    assert near.shape == (7, 5) and np.array_equal(near[0], a)
    assert np.array_equal(near, noise.around(a, 7, 0.25, seed=3))
    assert not np.array_equal(near, noise.around(a, 7, 0.25))
    assert 0.05 < np.std(near[1:] - a) < 0.6
    with pytest.raises(ValueError, match="spread"):
        noise.around(a, 3, -1.0)
    with pytest.raises(ValueError, match="at least 1"):
        noise.around(a, 0, 0.1)


def test_farthest_points_pick_spread_out_samples():
    points = np.array([[0.0, 0.0], [0.1, 0.0], [5.0, 0.0], [0.0, 3.0], [4.9, 0.1]])
    assert probe.farthest_points(points, 3) == [0, 2, 3]
    assert probe.farthest_points(points, 2, first=2) == [2, 3]
    with pytest.raises(ValueError, match="k ≤ N"):
        probe.farthest_points(points, 6)


# --- truncated noise -------------------------------------------------------------------------------------

@pytest.mark.parametrize("psi", [0.05, 0.5, 1.0, 2.0])
def test_truncated_normal_respects_the_threshold_and_has_the_truncated_variance(psi):
    z = noise.truncated_normal(20_000, 4, psi, seed=1)
    assert z.shape == (20_000, 4) and np.abs(z).max() <= psi
    # variance of N(0, 1) restricted to [-ψ, ψ]: 1 − 2ψφ(ψ)/(2Φ(ψ) − 1)
    expected = 1 - 2 * psi * norm.pdf(psi) / (2 * norm.cdf(psi) - 1)
    assert z.var() == pytest.approx(expected, rel=0.03)
    assert abs(z.mean()) < 0.02 * psi + 0.01
    np.testing.assert_array_equal(z, noise.truncated_normal(20_000, 4, psi, seed=1))


def test_untruncated_and_uniform_noise():
    z = noise.truncated_normal(50_000, 2, None, seed=0)
    assert z.var() == pytest.approx(1.0, rel=0.03) and np.abs(z).max() > 3
    u = noise.truncated_noise("uniform", 10_000, 3, 0.4, seed=0)
    assert np.abs(u).max() <= 0.4 and u.var() == pytest.approx(0.4 ** 2 / 3, rel=0.05)
    # uniform noise lives in [-1, 1]: any ψ ≥ 1 is no truncation at all
    np.testing.assert_array_equal(noise.truncated_noise("uniform", 10, 3, 2.0),
                                  noise.truncated_noise("uniform", 10, 3, None))
    with pytest.raises(ValueError, match="unknown noise"):
        noise.truncated_noise("cauchy", 10, 3, 1.0)
    for bad in (0.0, -1.0, math.nan, math.inf):
        with pytest.raises(ValueError, match="ψ"):
            noise.truncated_normal(10, 2, bad)
    assert noise.typical_norm("gaussian", 64) == 8.0 and noise.typical_norm("uniform", 12) == 2.0


# --- G and D along paths, on a trained 2D run ----------------------------------------------------------------

# G and D work in float32, and a batch of 12 rounds differently from one of 50: outputs of the same z
# agree to ~1e-7 of their size, not bit for bit.
CLOSE = dict(rtol=1e-5, atol=1e-6)


def test_a_walk_starts_and_ends_at_g_of_the_picked_samples(grid_run):
    picks = probe.latent_samples(grid_run, 50)
    np.testing.assert_allclose(picks.outputs, grid_run.sample(grid_run.fixed_z[:50]), **CLOSE)  # the playground's fakes
    for fn in (noise.lerp, noise.slerp):
        w = probe.walk(grid_run, fn(picks.z[3], picks.z[41], 12))
        assert w.outputs.shape == (12, 2) and w.scores.shape == (12,) and w.d_output == "probability"
        np.testing.assert_array_equal(w.z[[0, -1]], picks.z[[3, 41]])
        np.testing.assert_allclose(w.outputs[[0, -1]], picks.outputs[[3, 41]], **CLOSE)
        np.testing.assert_allclose(w.scores[[0, -1]], picks.scores[[3, 41]], **CLOSE)
        assert ((w.scores > 0) & (w.scores < 1)).all()
    np.testing.assert_allclose(picks.scores, grid_run.discriminate(picks.outputs), **CLOSE)
    with pytest.raises(ValueError, match=r"shape \(N, 2\)"):
        probe.generate(grid_run, np.zeros((3, 5)))
    with pytest.raises(ValueError, match="not conditional"):
        probe.generate(grid_run, np.zeros((3, 2)), labels=[1, 2, 3])


def test_fidelity_rises_and_variety_falls_as_psi_falls_on_the_grid(grid_run):
    sweep = truncation.truncation_sweep(grid_run, [0.1, 0.25, 0.5, 1.0, None], seed=0)
    assert sweep.psis.tolist() == [0.1, 0.25, 0.5, 1.0, math.inf] and sweep.samples == 2500
    assert sweep.fidelity_name.startswith("high quality") and sweep.coverage_total == 25
    assert np.all(np.diff(sweep.fidelity[:4]) < 0)  # % high quality: 0.1 > 0.25 > 0.5 > 1
    assert sweep.fidelity[0] > sweep.fidelity[-1] + 0.3
    # modes captured grow with ψ (on some CPUs this run holds 1 mode at both ψ = 0.1 and 0.25: float
    # kernels differ between instruction sets, and so does the trained run)
    assert np.all(np.diff(sweep.coverage) >= 0) and sweep.coverage[-1] == 25
    assert sweep.coverage[0] < sweep.coverage[2] < sweep.coverage[3] < sweep.coverage[-1]
    assert sweep.distance[0] > 3 * sweep.distance[-1] and sweep.distance[-1] > sweep.distance_floor  # less variety
    again = truncation.truncation_sweep(grid_run, [0.1, None], seed=0)
    np.testing.assert_array_equal(again.fidelity, sweep.fidelity[[0, -1]])


def test_d_features_and_their_embeddings(grid_run):
    inputs = embedding.embedding_features(grid_run, seed=0)
    assert inputs.features.shape == (600, 128) and inputs.is_real.sum() == 300
    assert inputs.class_name == "nearest mode" and set(inputs.classes) <= set(range(25))
    np.testing.assert_allclose(inputs.scores, grid_run.discriminate(_embedded_points(grid_run, seed=0)), **CLOSE)
    for method in ("pca", "tsne"):
        stages = []
        out = embedding.embed(inputs.features, method, seed=0, progress=lambda f, m: stages.append(f))
        assert out.shape == (600, 2) and np.isfinite(out).all() and stages[-1] == 1.0
        np.testing.assert_array_equal(out, embedding.embed(inputs.features, method, seed=0))
    # t-SNE starts from the PCA layout, so not even the seed changes it
    np.testing.assert_array_equal(embedding.embed(inputs.features[:90], "tsne", seed=1),
                                  embedding.embed(inputs.features[:90], "tsne", seed=2))
    assert embedding.embed(inputs.features[:5], "tsne").shape == (5, 2)  # perplexity below N
    with pytest.raises(ValueError, match="between 3 and 600"):
        embedding.embed(np.zeros((601, 4)))
    with pytest.raises(ValueError, match="pca or tsne"):
        embedding.embed(inputs.features, "umap")
    with pytest.raises(ValueError, match="at most 600"):
        embedding.embedding_features(grid_run, n=800)


def _embedded_points(trainer, seed):
    """The real then fake points `embedding_features` uses (its documented recipe)."""
    rng = np.random.default_rng(seed)
    real = trainer.eval_real[rng.choice(len(trainer.eval_real), size=300, replace=False)]
    return np.concatenate([real, trainer.sample(trainer.fixed_z[:300])])


def test_fgsm_from_noise_raises_d_monotonically_with_sign_steps(grid_run):
    result = fgsm.fgsm_from_noise(grid_run, n=64, steps=40, step_size=0.02, seed=0)
    assert result.trajectory.shape == (41, 64, 2) and result.scores.shape == (41, 64)
    assert np.all(np.diff(result.scores.mean(1)) > 0)  # D's mean score rises at every step
    steps = np.abs(np.diff(result.trajectory, axis=0))
    assert np.allclose(steps[steps > 0], 0.02, atol=1e-6)  # each coordinate moves by exactly η
    xmin, xmax, ymin, ymax = grid_run.extent
    start = result.trajectory[0]
    assert (start[:, 0] >= xmin).all() and (start[:, 0] <= xmax).all() and (start[:, 1] <= ymax).all()
    assert result.distance_to_data.shape == (41,) and result.hq_fraction.shape == (41,)
    assert result.real_distance < result.fake_distance < result.distance_to_data[0]
    gx, gy, values, extent = result.surface
    assert values.shape == (len(gy), len(gx)) and extent[0] <= result.trajectory[..., 0].min()
    np.testing.assert_array_equal(result.trajectory,
                                  fgsm.fgsm_from_noise(grid_run, n=64, steps=40, step_size=0.02, seed=0).trajectory)
    wide = fgsm.fgsm_from_noise(grid_run, n=64, steps=2, step_size=0.02, seed=0, spread=4)
    assert np.ptp(wide.trajectory[0], axis=0).min() > 2 * (xmax - xmin)  # noise from a square 4 times wider


@pytest.mark.parametrize("kwargs, message", [
    (dict(n=0), "at least 1"), (dict(n=5000), "at most 1000"), (dict(steps=0), "at least 1"),
    (dict(steps=501), "at most 500"), (dict(step_size=0.0), "step_size"), (dict(step_size=math.nan), "step_size"),
    (dict(spread=0.5), "spread"),
])
def test_fgsm_rejects_bad_arguments(grid_run, kwargs, message):
    with pytest.raises(ValueError, match=message):
        fgsm.fgsm_from_noise(grid_run, **kwargs)


def test_batch_dependent_d_compares_with_the_fixed_fakes_not_with_its_batch():
    trainer = Trainer(GANConfig(dataset="ring8", minibatch_features="discrimination", seed=0))
    x = RNG.uniform(-2, 2, size=(40, 2))
    features = probe.d_features(trainer, x)
    assert features.shape == (40, 128 + 16)
    np.testing.assert_allclose(probe.d_features(trainer, x[:3]), features[:3], **CLOSE)
    np.testing.assert_allclose(probe.d_scores(trainer, x), trainer.discriminate(x), **CLOSE)
    result = fgsm.fgsm_from_noise(trainer, n=8, steps=3)
    assert result.scores.shape == (4, 8)


def test_uniform_noise_runs_truncate_their_own_noise():
    trainer = Trainer(GANConfig(dataset="ring8", noise="uniform", seed=0))
    samples = truncation.truncated_samples(trainer, 30, 0.5, seed=0)
    assert np.abs(samples.z).max() <= 0.5 and samples.outputs.shape == (30, 2)


# --- image runs -------------------------------------------------------------------------------------------

def test_image_walks_and_samples(digits_run):
    picks = probe.latent_samples(digits_run, 12)
    assert picks.outputs.shape == (12, 1, 8, 8) and picks.labels is None
    w = probe.walk(digits_run, noise.slerp(picks.z[0], picks.z[7], 6))
    assert w.outputs.shape == (6, 1, 8, 8) and w.norms.shape == (6,)
    np.testing.assert_allclose(w.outputs[[0, -1]], picks.outputs[[0, 7]], **CLOSE)
    assert w.outputs.min() >= -1 and w.outputs.max() <= 1


def test_image_fgsm_stays_in_the_pixel_range_and_is_judged(digits_run):
    result = fgsm.fgsm_from_noise(digits_run, n=6, steps=30, step_size=0.2, seed=0)
    assert result.trajectory.shape == (31, 6, 1, 8, 8)
    assert result.trajectory.min() == -1.0 and result.trajectory.max() == 1.0  # big steps hit the clamp
    assert result.scores.mean(1)[-1] > result.scores.mean(1)[0]
    assert result.confidence.shape == (31,) and result.predicted.shape == (31, 6) and result.surface is None
    assert result.hq_fraction is None and result.real_distance < result.distance_to_data[-1]
    with pytest.raises(ValueError, match="at most 64"):
        fgsm.fgsm_from_noise(digits_run, n=65)
    with pytest.raises(ValueError, match="spread must be 1"):
        fgsm.fgsm_from_noise(digits_run, n=2, spread=2)


def test_image_truncation_sweep_and_embedding(digits_run):
    sweep = truncation.truncation_sweep(digits_run, [0.5, None], n=200, seed=0)
    assert sweep.samples == 200 and sweep.coverage_total == 10 and sweep.fidelity_name.startswith("classifier")
    assert ((sweep.fidelity > 0) & (sweep.fidelity <= 1)).all() and (sweep.distance > 0).all()
    inputs = embedding.embedding_features(digits_run, n=40, seed=0)
    assert inputs.features.shape[0] == 40 and inputs.class_name == "digit"
    assert set(inputs.classes) <= set(range(10))
    assert embedding.embed(inputs.features, "tsne", seed=0).shape == (40, 2)


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
