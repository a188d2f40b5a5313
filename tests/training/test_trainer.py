"""The Trainer: determinism, k D steps then k G steps, live settings, every loss, custom data, spectral estimates."""

import numpy as np
import pytest
import torch

from ganviz import ConfigError, GANConfig, Trainer
from ganviz.losses import LOSSES
from ganviz.training.history import HISTORY_KEYS
from support.runs import params, same, small


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
    a, b = (
        Trainer(small(seed=1, spectral_norm_d=True, batch_norm_g=True)),
        Trainer(small(seed=1, spectral_norm_d=True, batch_norm_g=True)),
    )
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


@pytest.mark.parametrize("loss", list(LOSSES))
def test_every_loss_trains_and_records_finite_history(loss):
    t = Trainer(small(loss=loss))
    t.step(20)
    h = t.history.as_dict()
    assert all(np.isfinite(h[k]).all() and len(h[k]) == 20 for k in HISTORY_KEYS)
    if LOSSES[loss].output == "probability":
        assert ((h["d_real"] > 0) & (h["d_real"] < 1)).all()
    assert (t.evaluate()["critic_estimate"] is None) == (LOSSES[loss].output != "critic")


def test_custom_points_and_missing_points():
    pts = np.random.default_rng(0).normal(size=(200, 2))
    t = Trainer(small(dataset="custom"), points=pts)
    assert t.domain.dataset.modes is None
    # every point the run trains on is one of the user's points (rows, not just coordinates)
    assert {tuple(row) for row in t.domain.pool.numpy()} <= {tuple(row) for row in pts.astype(np.float32)}
    with pytest.raises(ConfigError):
        Trainer(small(dataset="custom"))


def test_spectral_norm_estimates_are_readable_and_track_the_largest_singular_value():
    t = Trainer(small(spectral_norm_d=True))
    assert t.spectral_sigmas()["G"] == [] and len(t.spectral_sigmas()["D"]) == 3  # 2 hidden layers + head
    t.step(200)  # every D forward in training runs one power-iteration step
    for layer, estimate in zip([t.D.trunk[0], t.D.trunk[2], t.D.head], t.spectral_sigmas()["D"]):
        exact = torch.linalg.svdvals(layer.parametrizations.weight.original.detach())[0].item()
        assert estimate == pytest.approx(exact, rel=1e-2)


@pytest.mark.slow  # 1,500 iterations of the default networks: about 6 s
def test_short_training_learns_the_ring():
    t = Trainer(GANConfig(seed=0))
    before = t.evaluate()
    t.step(1500)
    after = t.evaluate()
    assert after["w1"] < 0.5 * before["w1"]
    assert after["modes_captured"] >= 6 and after["hq_fraction"] > 0.3
