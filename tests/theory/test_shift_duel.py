"""The live JS-vs-W1 duel: shift generators on strips, trained with losses from the registry."""

import math

import numpy as np
import ot
import pytest

from ganviz.losses import LOSSES
from ganviz.metrics.points import wasserstein1_1d
from ganviz.theory import divergences
from ganviz.theory.divergences import LECTURE_MU, LECTURE_NU, LOG2, UNIT_INTERVAL
from ganviz.theory.shift_duel import HISTORY_KEYS, ShiftDuel, ShiftGAN, ShiftGANConfig, estimate_kind


def test_strips_keep_w1_of_the_x_parts():
    """W1 between strips equals W1 of their x parts: projecting onto x can only shorten distances
    (a lower bound), and for the populations moving every point straight along x meets it."""
    gan = ShiftGAN(LECTURE_MU, LECTURE_NU, ShiftGANConfig(theta0=-4.0, batch=1500))
    real = gan.sample_strip(LECTURE_MU).numpy()
    fake = gan.generate(gan.sample_strip(LECTURE_NU), gan.theta.detach()).numpy()
    assert real.shape == fake.shape == (1500, 2)
    assert 0 <= real[:, 1].min() and real[:, 1].max() <= 1
    w1_strips = ot.emd2([], [], ot.dist(real, fake, metric="euclidean"), numItermax=1_000_000)
    w1_x = wasserstein1_1d(real[:, 0], fake[:, 0])
    # a 1,500-sample W1 is off by about spread/√n ≈ 0.1 (the exact 1D value is tested at 100k elsewhere)
    assert w1_x == pytest.approx(divergences.wasserstein1(LECTURE_MU, LECTURE_NU.shifted(-4.0)), abs=0.2)
    # samples: the x-sorted pairing, with its u's as they fall, is one coupling of the strips
    order_r, order_f = np.argsort(real[:, 0]), np.argsort(fake[:, 0])
    sorted_pairing = np.linalg.norm(real[order_r] - fake[order_f], axis=1).mean()
    assert w1_x - 1e-9 <= w1_strips <= sorted_pairing
    assert sorted_pairing - w1_x < 0.2  # and the u's add little even before optimising them


def test_history_rows_hold_the_exact_divergences_at_each_theta():
    gan = ShiftGAN(UNIT_INTERVAL, UNIT_INTERVAL, ShiftGANConfig(loss="nonsaturating", theta0=0.5))
    assert gan.step(30) == 30
    h = gan.history()
    assert list(h) == list(HISTORY_KEYS) and len(h["theta"]) == 30
    np.testing.assert_array_equal(h["iteration"], np.arange(1, 31))
    # U[0,1] against U[θ, 1+θ]: JS = min(|θ|, 1)·log 2, W1 = |θ|
    np.testing.assert_allclose(h["js"], np.minimum(np.abs(h["theta"]), 1) * LOG2, atol=1e-12)
    np.testing.assert_allclose(h["w1"], np.abs(h["theta"]), atol=1e-12)


def test_theta_moves_by_learning_rate_times_gradient():
    gan = ShiftGAN(UNIT_INTERVAL, UNIT_INTERVAL, ShiftGANConfig(loss="wgan-gp", theta0=3.0, g_lr=0.05))
    gan.step(40)
    h = gan.history()
    steps = np.abs(np.diff(np.concatenate([[3.0], h["theta"]])))
    np.testing.assert_allclose(steps, 0.05 * h["g_grad"], rtol=1e-4, atol=1e-7)


@pytest.mark.slow  # 250 iterations of two duelling sides: about 5 s
def test_minimax_stalls_at_log2_while_wgan_gp_reaches_the_data():
    """The lesson itself: disjoint supports, a confident D, no gradient for the saturating loss."""
    duel = ShiftDuel(
        UNIT_INTERVAL,
        UNIT_INTERVAL,
        ShiftGANConfig(loss="minimax", theta0=3.0),
        ShiftGANConfig(loss="wgan-gp", theta0=3.0),
    )
    duel.step(250)
    minimax, wgan = (side.history() for side in duel.sides)
    assert minimax["theta"][-1] > 2.5  # barely moved from 3
    assert minimax["js"][-1] == pytest.approx(LOG2)  # still disjoint
    assert minimax["g_grad"][-50:].max() < 1e-3  # the gradient vanished
    assert minimax["d_estimate"][-1] == pytest.approx(LOG2, abs=0.01)  # D's JS estimate saturates
    assert abs(wgan["theta"][-1]) < 0.5  # the critic's slope pulled G onto the data
    assert wgan["w1"][-1] < 0.5 and wgan["g_grad"][:100].max() > 0.5


def test_both_sides_start_from_the_same_discriminator_and_batches():
    duel = ShiftDuel(LECTURE_MU, LECTURE_NU, ShiftGANConfig(loss="minimax"), ShiftGANConfig(loss="hinge"))
    left, right = duel.sides
    for a, b in zip(left.d.state_dict().values(), right.d.state_dict().values()):
        assert (a == b).all()
    assert (left.sample_strip(LECTURE_MU) == right.sample_strip(LECTURE_MU)).all()


def test_divergence_undoes_the_step_and_pauses(monkeypatch):
    gan = ShiftGAN(UNIT_INTERVAL, UNIT_INTERVAL, ShiftGANConfig(loss="nonsaturating", theta0=2.0))
    gan.step(3)
    theta = float(gan.theta.detach())
    g_step = gan.g_step

    def overflowing_g_step():  # as a too-large learning rate would: θ and its gradient blow up
        g_step()
        gan.theta.data.fill_(math.inf)
        return math.inf

    monkeypatch.setattr(gan, "g_step", overflowing_g_step)
    assert gan.step(5) == 0
    assert gan.diverged and "non-finite" in gan.diverged
    assert float(gan.theta.detach()) == theta and len(gan.history()["theta"]) == 3
    monkeypatch.setattr(gan, "g_step", g_step)
    gan.resume()
    assert gan.step(2) == 2


@pytest.mark.parametrize("loss", list(LOSSES))
def test_every_loss_trains_and_reports_its_estimate(loss):
    gan = ShiftGAN(UNIT_INTERVAL, UNIT_INTERVAL, ShiftGANConfig(loss=loss, theta0=2.0, d_steps=2))
    assert gan.step(5) == 5
    h = gan.history()
    assert np.isfinite(h["theta"]).all() and np.isfinite(h["g_grad"]).all()
    assert np.isnan(h["d_estimate"]).all() == (estimate_kind(loss) is None)


def test_config_validates_and_round_trips():
    config = ShiftGANConfig(loss="hinge", theta0=-2.5, d_steps=3)
    assert ShiftGANConfig.from_json(config.to_json()) == config
    for bad, message in [
        ({"loss": "nope"}, "unknown loss"),
        ({"theta0": math.nan}, "theta0"),
        ({"d_steps": 0}, "d_steps"),
        ({"g_lr": 0}, "g_lr"),
        ({"batch": 4}, "batch"),
        ({"gp_weight": -1}, "gp_weight"),
    ]:
        with pytest.raises(ValueError, match=message):
            config.replace(**bad)
    with pytest.raises(ValueError, match="unknown settings: colour"):
        ShiftGANConfig.from_json('{"colour": 1}')


def test_estimate_kind_follows_the_loss_output():
    assert estimate_kind("minimax") == estimate_kind("nonsaturating") == "js"
    assert estimate_kind("wgan-gp") == estimate_kind("wasserstein") == estimate_kind("hinge") == "w1"
    assert estimate_kind("least-squares") is None
