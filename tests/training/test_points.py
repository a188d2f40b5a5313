"""A 2D run's snapshot: D's surface, the fakes and their pushes, the latent lines, the extent."""

import numpy as np
import torch

from ganviz import Trainer
from ganviz.training.domain import DISPLAY_SAMPLES
from ganviz.training.points import GRID_SIZE
from support.runs import small


def test_snapshot_arrays():
    t = Trainer(small(dataset="moons"))
    t.step(5)
    s = t.snapshot()
    assert s.d_surface.shape == (GRID_SIZE, GRID_SIZE) and GRID_SIZE >= 80
    assert s.real.shape == s.fake.shape == s.fake_push.shape == (DISPLAY_SAMPLES, 2)
    xmin, xmax, ymin, ymax = s.extent
    pool = t.domain.pool.numpy()
    assert xmin < pool[:, 0].min() and pool[:, 0].max() < xmax and ymin < pool[:, 1].min() and pool[:, 1].max() < ymax
    assert ((s.d_surface > 0) & (s.d_surface < 1)).all() and s.d_output == "probability"
    assert s.latent_lines.shape == (42, 60, 2)
    assert s.metrics["modes_captured"] is None and s.metrics["w1"] > 0
    # fixed z: the fakes shown are the same points until G changes
    np.testing.assert_array_equal(s.fake, t.snapshot(with_metrics=False).fake)


def test_fake_push_is_minus_each_points_own_loss_gradient():
    t = Trainer(small())
    t.step(3)
    s = t.snapshot(with_metrics=False)
    eps, i = 1e-3, 7
    x = torch.tensor(s.fake[i : i + 1], dtype=torch.float32)
    numeric = []
    for axis in range(2):
        dx = torch.zeros(1, 2)
        dx[0, axis] = eps
        with torch.no_grad():
            up, down = t.loss.g_loss(t.D(x + dx)), t.loss.g_loss(t.D(x - dx))
        numeric.append(-(up - down).item() / (2 * eps))
    np.testing.assert_allclose(s.fake_push[i], numeric, rtol=2e-2, atol=1e-4)


def test_critic_surface_and_latent_lines_by_noise_dim():
    t1 = Trainer(small(loss="wasserstein", noise_dim=1))
    s = t1.snapshot(with_metrics=False)
    assert s.d_output == "critic" and s.latent_lines.shape == (1, 60, 2)
    assert Trainer(small(noise_dim=3)).snapshot(with_metrics=False).latent_lines is None


def test_batch_dependent_d_surface_is_computed_against_the_fakes():
    t = Trainer(small(minibatch_features="discrimination"))
    s = t.snapshot(with_metrics=False, grid_size=20)
    assert np.isfinite(s.d_surface).all()
    direct = t.discriminate(s.real[:5], reference=s.fake)
    np.testing.assert_allclose(direct, t.discriminate(s.real[:5]), rtol=1e-5)
