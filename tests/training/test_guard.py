"""The divergence guard: a run that goes non-finite stops exactly at its last finite state and says why."""

import dataclasses
import math

import pytest
import torch

from ganviz import Trainer, TrainingDiverged
from ganviz.losses import LOSSES
from support.runs import params, same, small


def nan_at(loss, iteration_to_fail, trainer):
    """A copy of `loss` whose D loss turns NaN when the trainer reaches the given iteration."""

    def d_loss(d_real, d_fake, real_target=1.0):
        value = loss.d_loss(d_real, d_fake, real_target)
        return value * math.nan if trainer.iteration + 1 == iteration_to_fail else value

    return dataclasses.replace(loss, d_loss=d_loss)


def test_nan_guard_stops_at_the_bad_iteration_and_keeps_the_last_finite_state():
    t = Trainer(small(seed=2))
    t.loss = nan_at(t.loss, 37, t)
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


def test_nan_guard_stops_where_a_poisoned_weight_first_makes_the_losses_non_finite():
    t = Trainer(small())
    t.step(5)
    with torch.no_grad():
        t.G.net[0].weight[0, 0] = float("inf")
    assert t.step(10) == 0
    assert t.iteration == 5 and t.divergence.iteration == 6
    assert t.divergence.problem.startswith("loss_d is ")  # the first statistic the guard checks


def test_nan_guard_names_a_non_finite_weight():
    # a weight that goes non-finite at the very end of an iteration, after its statistics were taken
    t = Trainer(small())

    def poison_at_iteration_8(trainer, stats):
        if trainer.iteration == 8:  # the 8th iteration has just been counted
            with torch.no_grad():
                trainer.G.net[-1].weight[0, 0] = float("inf")

    with t.callbacks.watching(on_iteration=poison_at_iteration_8):
        assert t.step(20) == 7
    assert t.divergence.iteration == 8 and t.iteration == 7
    assert t.divergence.problem == "G's weight net.4.weight holds non-finite values"
    assert all(torch.isfinite(p).all() for p in t.G.parameters())  # rolled back to the last finite state
