"""The Trainer: determinism, k steps, live settings, the NaN guard, penalties and snapshots."""
import dataclasses
import math

import numpy as np
import pytest
import torch

from ganviz import ConfigError, GANConfig, Trainer, TrainingDiverged
from ganviz.training.history import HISTORY_KEYS
from ganviz.losses import LOSSES
from ganviz.training.domain import DISPLAY_SAMPLES
from ganviz.training.points import GRID_SIZE
from ganviz.training.tricks import instance_noise_std
from ganviz.training.unrolled import unrolled_d_outputs

SMALL = dict(g_width=16, d_width=16, g_depth=2, d_depth=2, batch_size=32)


def small(**changes) -> GANConfig:
    return GANConfig(**{**SMALL, **changes})


def params(module):
    return [p.detach().clone() for p in module.parameters()]


def same(a, b):
    return all(torch.equal(x, y) for x, y in zip(a, b))


def test_same_config_and_seed_give_identical_numbers():
    a, b = Trainer(small(seed=3)), Trainer(small(seed=3))
    a.step(40)
    b.step(40)
    np.testing.assert_array_equal(a.history.as_dict()["loss_d"], b.history.as_dict()["loss_d"])
    np.testing.assert_array_equal(a.sample(), b.sample())
    c = Trainer(small(seed=4))
    c.step(40)
    assert not np.array_equal(a.sample(), c.sample())


def test_snapshots_and_metrics_do_not_disturb_training():
    a, b = Trainer(small(seed=1, spectral_norm_d=True, batch_norm_g=True)), Trainer(
        small(seed=1, spectral_norm_d=True, batch_norm_g=True))
    for _ in range(3):
        a.step(10)
        a.snapshot()
    b.step(30)
    np.testing.assert_array_equal(a.sample(), b.sample())


def test_iteration_is_k_d_then_k_g_steps():
    t = Trainer(small(d_steps=3, g_steps=2))
    assert t.step(7) == 7
    assert (t.iteration, t.d_updates, t.g_updates, len(t.history)) == (7, 21, 14, 7)


def test_pretraining_d_happens_once_before_the_first_iteration():
    t = Trainer(small(pretrain_d=25))
    g0 = params(t.G)
    t.step(1)
    t.step(4)
    assert (t.d_updates, t.g_updates) == (25 + 5, 5)
    assert not same(g0, params(t.G))


def test_step_d_and_step_g_move_only_their_network():
    t = Trainer(small())
    g0, d0 = params(t.G), params(t.D)
    t.step_d(3)
    assert same(g0, params(t.G)) and not same(d0, params(t.D))
    d1 = params(t.D)
    t.step_g(2)
    assert same(d1, params(t.D)) and not same(g0, params(t.G))
    assert (t.iteration, t.d_updates, t.g_updates, len(t.history)) == (0, 3, 2, 0)


def test_live_settings_change_without_losing_the_run():
    t = Trainer(small())
    t.step(10)
    g0 = params(t.G)
    t.set_config(t.config.replace(lr_d=0.01, beta1_g=0.9, loss="hinge", d_steps=2, ema=0.99))
    assert t.opt_d.param_groups[0]["lr"] == 0.01
    assert t.opt_g.param_groups[0]["betas"] == (0.9, 0.999)
    assert t.iteration == 10 and same(g0, params(t.G)) and t.ema_g is not None
    t.set_config(t.config.replace(optimizer_d="sgd", momentum_d=0.5))
    assert isinstance(t.opt_d, torch.optim.SGD) and t.opt_d.param_groups[0]["momentum"] == 0.5
    t.step(5)
    assert t.iteration == 15 and t.d_updates == 10 + 2 * 5


@pytest.mark.parametrize("optimizer", ["sgd", "rmsprop"])
def test_momentum_can_be_turned_on_mid_run(optimizer):
    t = Trainer(small(optimizer_d=optimizer, optimizer_g=optimizer))
    t.step(3)
    t.set_config(t.config.replace(momentum_d=0.5, momentum_g=0.9))
    assert t.step(3) == 3 and t.divergence is None
    assert (t.opt_d.param_groups[0]["momentum"], t.opt_g.param_groups[0]["momentum"]) == (0.5, 0.9)
    assert all("momentum_buffer" in t.opt_d.state[p] for p in t.d_params)


def test_changes_that_need_new_networks_are_refused():
    t = Trainer(small())
    with pytest.raises(ConfigError) as e:
        t.set_config(t.config.replace(g_width=32))
    assert e.value.field == "g_width" and "new" in str(e.value)


def _nan_at(loss, iteration_to_fail, trainer):
    """A copy of `loss` whose D loss turns NaN when the trainer reaches the given iteration."""
    def d_loss(d_real, d_fake, real_target=1.0):
        value = loss.d_loss(d_real, d_fake, real_target)
        return value * math.nan if trainer.iteration + 1 == iteration_to_fail else value
    return dataclasses.replace(loss, d_loss=d_loss)


def test_nan_guard_stops_at_the_bad_iteration_and_keeps_the_last_finite_state():
    t = Trainer(small(seed=2))
    t.loss = _nan_at(t.loss, 37, t)
    done = t.step(100)
    assert done == 36 and t.iteration == 36 and len(t.history) == 36
    assert t.divergence.iteration == 37 and "loss_d is NaN" in t.divergence.problem
    assert "rolled back to iteration 36" in t.divergence.message
    reference = Trainer(small(seed=2))
    reference.step(36)  # the rollback must be exact: same weights as a clean run of 36 iterations
    assert same(params(t.G), params(reference.G)) and same(params(t.D), params(reference.D))
    with pytest.raises(TrainingDiverged):
        t.step(1)
    t.resume()
    t.loss = LOSSES[t.config.loss]
    assert t.step(3) == 3


def test_nan_guard_names_a_non_finite_weight():
    t = Trainer(small())
    t.step(5)
    with torch.no_grad():
        t.G.net[0].weight[0, 0] = float("inf")
    assert t.step(10) == 0
    assert t.divergence is not None and t.iteration == 5
    assert "inf" in t.divergence.problem.lower() or "NaN" in t.divergence.problem


def _linear_critic(trainer, w, b):
    """Make D(x) = w·x + b exactly: zero every layer but a path that carries x through."""
    d = trainer.D
    with torch.no_grad():
        for p in d.parameters():
            p.zero_()
        first = d.trunk[0]
        first.weight[0] = torch.tensor(w)  # unit 0 carries w·x (kept positive below, so leaky ReLU is identity)
        first.bias[0] = 100.0
        for layer in list(d.trunk)[2::2]:
            layer.weight[0, 0] = 1.0
        d.head.weight[0, 0] = 1.0
        d.head.bias[0] = b - 100.0


def test_gradient_penalty_matches_closed_form_for_a_linear_critic():
    t = Trainer(small(loss="wgan-gp"))
    _linear_critic(t, [3.0, 4.0], 0.5)
    x = torch.randn(8, 2)
    assert torch.allclose(t.D(x), x @ torch.tensor([3.0, 4.0]) + 0.5, atol=1e-4)
    penalty = t.gradient_penalty(torch.randn(16, 2), torch.randn(16, 2))
    assert penalty.item() == pytest.approx((5.0 - 1.0) ** 2, rel=1e-5)  # ‖∇D‖ = ‖w‖ = 5 everywhere


def test_r1_penalty_matches_closed_form_for_a_linear_critic():
    # With a linear critic and lr 0 nothing moves; the recorded loss is WGAN's gap plus γ/2·‖w‖².
    t = Trainer(small(loss="wasserstein", clip=10.0, r1_weight=2.0, optimizer_d="sgd", lr_d=1e-6))
    _linear_critic(t, [0.6, 0.8], 0.0)
    stats = t.d_step()
    gap = stats["critic_gap"].item()
    assert stats["loss_d"].item() == pytest.approx(-gap + 2.0 / 2 * 1.0, abs=1e-4)


def test_weight_clipping_bounds_every_critic_weight():
    t = Trainer(small(loss="wasserstein", clip=0.02, lr_d=0.05))
    t.step(5)
    assert all(p.abs().max().item() <= 0.02 + 1e-7 for p in t.D.parameters())


@pytest.mark.parametrize("loss", list(LOSSES))
def test_every_loss_trains_and_records_finite_history(loss):
    t = Trainer(small(loss=loss))
    t.step(20)
    h = t.history.as_dict()
    assert all(np.isfinite(h[k]).all() and len(h[k]) == 20 for k in HISTORY_KEYS)
    if LOSSES[loss].output == "probability":
        assert ((h["d_real"] > 0) & (h["d_real"] < 1)).all()
    assert (t.evaluate()["critic_estimate"] is None) == (LOSSES[loss].output != "critic")


@pytest.mark.parametrize("changes", [
    dict(label_smoothing=0.2), dict(instance_noise=0.3, instance_noise_anneal=10), dict(unrolled_steps=3),
    dict(unrolled_steps=2, optimizer_d="sgd", momentum_d=0.5), dict(unrolled_steps=2, optimizer_d="rmsprop"),
    dict(ema=0.9), dict(extra_g_loss="feature-matching"), dict(extra_g_loss="moment-matching"),
    dict(minibatch_features="stddev"), dict(minibatch_features="discrimination"), dict(spectral_norm_d=True),
    dict(spectral_norm_g=True, batch_norm_g=True), dict(noise="uniform", noise_dim=5), dict(r1_weight=1.0),
    dict(optimizer_g="rmsprop", optimizer_d="sgd", momentum_d=0.9),
])
def test_every_trick_trains(changes):
    t = Trainer(small(**changes))
    g0 = params(t.G)
    assert t.step(8) == 8 and t.divergence is None
    assert not same(g0, params(t.G))
    assert np.isfinite(t.sample()).all()


def test_instance_noise_anneals_linearly_to_zero():
    t = Trainer(small(instance_noise=0.4, instance_noise_anneal=100))
    assert instance_noise_std(t.config, t.iteration) == pytest.approx(0.4)
    t.step(50)
    assert instance_noise_std(t.config, t.iteration) == pytest.approx(0.2)
    t.step(60)
    assert instance_noise_std(t.config, t.iteration) == 0.0


def test_unrolled_g_gradient_differs_from_plain_and_flows_through_the_lookahead():
    plain, unrolled = Trainer(small(seed=5)), Trainer(small(seed=5, unrolled_steps=3))
    fake = plain.G(plain.noise())
    out_plain = plain.D(fake)
    out_unrolled = unrolled_d_outputs(unrolled, unrolled.G(unrolled.noise()), None)
    assert not torch.allclose(out_plain, out_unrolled)
    grads = torch.autograd.grad(unrolled.loss.g_loss(out_unrolled), unrolled.g_params)
    assert all(torch.isfinite(g).all() for g in grads) and sum(g.abs().sum() for g in grads) > 0


def test_ema_copy_tracks_generator():
    t = Trainer(small(ema=0.99))
    t.step(30)
    ema, g = params(t.ema_g), params(t.G)
    assert not same(ema, g)
    assert np.array_equal(t.sample(), t.ema_g(t.domain.eval_z).detach().double().numpy())
    t.set_config(t.config.replace(ema=0.0))
    assert t.ema_g is None


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
    x = torch.tensor(s.fake[i:i + 1], dtype=torch.float32)
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
    s = t.snapshot(with_metrics=False)
    assert np.isfinite(s.d_surface).all()
    direct = t.discriminate(s.real[:5], reference=s.fake)
    np.testing.assert_allclose(direct, t.discriminate(s.real[:5]), rtol=1e-5)


def test_custom_points_and_missing_points():
    pts = np.random.default_rng(0).normal(size=(200, 2))
    t = Trainer(small(dataset="custom"), points=pts)
    assert t.domain.dataset.modes is None
    assert set(np.round(t.domain.pool.numpy()[:50].astype(np.float64), 5).ravel()) <= set(np.round(pts.astype(np.float32).astype(np.float64), 5).ravel())
    with pytest.raises(ConfigError):
        Trainer(small(dataset="custom"))


def test_run_for_trains_within_its_budget():
    t = Trainer(small())
    n = t.run_for(0.3)
    assert n > 0 and t.iteration == n


def test_short_training_learns_the_ring():
    t = Trainer(GANConfig(seed=0))
    before = t.evaluate()
    t.step(1500)
    after = t.evaluate()
    assert after["w1"] < 0.5 * before["w1"]
    assert after["modes_captured"] >= 6 and after["hq_fraction"] > 0.3


def test_spectral_norm_estimates_are_readable_and_track_the_largest_singular_value():
    t = Trainer(small(spectral_norm_d=True))
    assert t.spectral_sigmas()["G"] == [] and len(t.spectral_sigmas()["D"]) == 3  # 2 hidden layers + head
    t.step(200)  # every D forward in training runs one power-iteration step
    for layer, estimate in zip([t.D.trunk[0], t.D.trunk[2], t.D.head], t.spectral_sigmas()["D"]):
        exact = torch.linalg.svdvals(layer.parametrizations.weight.original.detach())[0].item()
        assert estimate == pytest.approx(exact, rel=1e-2)


def test_run_for_sizes_its_chunks_from_earlier_calls_until_the_settings_change():
    t = Trainer(small())
    t.run_for(0.2)
    chunks = []
    step = t.step
    t.step = lambda n: chunks.append(n) or step(n)
    t.run_for(0.05)
    assert chunks[0] > 1  # measured before: no single-iteration probe
    chunks.clear()
    t.set_config(t.config.replace(d_steps=3))  # each iteration now costs more: measure again
    t.run_for(0.05)
    assert chunks[0] == 1


def test_history_rows_are_a_copy_that_append_takes_back():
    from ganviz.training.history import History
    h = History()
    rows = np.arange(3 * len(HISTORY_KEYS), dtype=float).reshape(3, -1)
    h.append(rows)
    out = h.rows()
    np.testing.assert_array_equal(out, rows)
    out[0, 0] = -1.0  # a copy: the history keeps its values
    assert h.column(HISTORY_KEYS[0])[0] == 0.0
    again = History()
    again.append(h.rows())
    np.testing.assert_array_equal(again.rows(), rows)
