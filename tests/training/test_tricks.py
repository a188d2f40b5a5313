"""The balance tricks: each trains, instance noise anneals, the EMA copy of G is what samples."""

import numpy as np
import pytest

from ganviz import Trainer
from ganviz.training.tricks import instance_noise_std
from support.runs import params, same, small


@pytest.mark.parametrize(
    "changes",
    [
        dict(label_smoothing=0.2),
        dict(instance_noise=0.3, instance_noise_anneal=10),
        dict(unrolled_steps=3),
        dict(unrolled_steps=2, optimizer_d="sgd", momentum_d=0.5),
        dict(unrolled_steps=2, optimizer_d="rmsprop"),
        dict(ema=0.9),
        dict(extra_g_loss="feature-matching"),
        dict(extra_g_loss="moment-matching"),
        dict(minibatch_features="stddev"),
        dict(minibatch_features="discrimination"),
        dict(spectral_norm_d=True),
        dict(spectral_norm_g=True, batch_norm_g=True),
        dict(noise="uniform", noise_dim=5),
        dict(r1_weight=1.0),
        dict(optimizer_g="rmsprop", optimizer_d="sgd", momentum_d=0.9),
    ],
)
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


def test_ema_copy_tracks_generator():
    t = Trainer(small(ema=0.99))
    t.step(30)
    ema, g = params(t.ema_g), params(t.G)
    assert not same(ema, g)
    assert np.array_equal(t.sample(), t.ema_g(t.domain.eval_z).detach().double().numpy())
    t.set_config(t.config.replace(ema=0.0))
    assert t.ema_g is None
