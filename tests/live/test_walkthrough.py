"""Slow motion records one real iteration without changing what it computes."""

import numpy as np
import pytest
import torch

from ganviz import GANConfig, Trainer
from ganviz.live.walkthrough import STAGE_KEYS, walk_one_iteration
from ganviz.training.hooks import EVENTS

SMALL = dict(g_width=16, d_width=16, g_depth=2, d_depth=2, batch_size=32)


@pytest.mark.parametrize("changes", [{}, dict(d_steps=3, loss="wgan-gp"), dict(minibatch_features="stddev")])
def test_walkthrough_is_exactly_one_normal_iteration(changes):
    walked, stepped = Trainer(GANConfig(**SMALL, **changes)), Trainer(GANConfig(**SMALL, **changes))
    walked.step(4)
    stepped.step(5)
    stages = walk_one_iteration(walked)
    assert [s.key for s in stages] == list(STAGE_KEYS)
    assert walked.iteration == 5 and len(walked.history) == 5
    assert not any(walked.callbacks.wanted(e) for e in EVENTS)  # the observers are gone after the walk
    for a, b in zip(walked.G.parameters(), stepped.G.parameters()):
        assert torch.equal(a, b)
    np.testing.assert_array_equal(walked.history.as_dict()["loss_d"], stepped.history.as_dict()["loss_d"])


def test_stages_carry_the_batches_and_numbers_they_describe():
    t = Trainer(GANConfig(**SMALL))
    stages = {s.key: s for s in walk_one_iteration(t)}
    assert stages["sample_z"].z.shape == (32, 2)
    d_real = stages["d_real"]
    assert d_real.real.shape == (32, 2) and ((d_real.d_real > 0) & (d_real.d_real < 1)).all()
    assert f"{d_real.d_real.mean():.3f}" in d_real.explanation
    assert f"{stages['d_fake'].d_fake.mean():.3f}" in stages["d_fake"].explanation
    # The first D step's loss is what the history records when k_D = 1.
    assert f"{t.history.as_dict()['loss_d'][0]:.4f}" in stages["d_loss"].explanation
    assert stages["g_loss"].push.shape == (32, 2) and np.abs(stages["g_loss"].push).sum() > 0
    # D's surface changes at the D update, G's samples at the G update.
    assert stages["d_update"].snapshot.iteration == 0 and stages["g_update"].snapshot.iteration == 1
    assert not np.array_equal(stages["d_loss"].snapshot.d_surface, stages["d_update"].snapshot.d_surface)
    np.testing.assert_array_equal(stages["g_update"].fake, t.snapshot(with_metrics=False).fake)


def test_walkthrough_push_is_each_points_own_gradient():
    t = Trainer(GANConfig(**SMALL))
    g_loss = walk_one_iteration(t)[6]
    # G's update leaves D untouched, so today's D is the D of the G step: recompute the push.
    np.testing.assert_allclose(g_loss.push, t.g_loss_push(g_loss.fake), rtol=1e-4, atol=1e-6)
