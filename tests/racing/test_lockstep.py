"""Lockstep: runs trained in worker processes in rounds that end at the same iteration for every run, each
run exactly as it trains alone (the tricks the old tensor stacking needed special code for included), a run
that diverges stopping where it stops alone."""

import numpy as np
import pytest
import torch

from ganviz import GANConfig, Trainer
from ganviz.config import image_config
from ganviz.racing.lockstep import Lockstep
from ganviz.training.worker import apply_frame

SMALL = dict(g_width=16, d_width=16, g_depth=2, d_depth=2, batch_size=32, device="cpu")
EXPLODING = dict(
    optimizer_d="sgd", optimizer_g="sgd", lr_d=10.0, lr_g=10.0, r1_weight=0.0, ema=0.0, loss="least-squares"
)
TRICKY_RUNS = [  # what the stacked engine once had to write twice, each in a run of its own
    dict(minibatch_features="discrimination", r1_weight=1.0, loss="nonsaturating"),
    dict(minibatch_features="stddev", loss="wgan-gp", d_steps=2),
    dict(spectral_norm_d=True, spectral_norm_g=True, loss="hinge", batch_norm_g=True),
    dict(unrolled_steps=2, label_smoothing=0.1, instance_noise=0.1, instance_noise_anneal=20),
    dict(optimizer_d="rmsprop", optimizer_g="sgd", momentum_g=0.5, loss="wasserstein", clip=0.02, ema=0.9),
    dict(extra_g_loss="feature-matching", g_steps=2, noise="uniform", noise_dim=3),
]


def small(**changes) -> GANConfig:
    return GANConfig(**{**SMALL, **changes})


def assert_same_run(a: Trainer, b: Trainer) -> None:
    """Bit for bit the same run: iteration, every weight and buffer, the EMA copy and every history row."""
    assert a.iteration == b.iteration
    for net_a, net_b in [(a.G, b.G), (a.D, b.D)] + ([(a.ema_g, b.ema_g)] if a.ema_g else []):
        for (name, x), y in zip(net_a.state_dict().items(), net_b.state_dict().values()):
            assert torch.equal(x, y), name
    assert np.array_equal(a.history.rows(), b.history.rows())


def trained_alone(config: GANConfig, iterations: int) -> Trainer:
    alone = Trainer(config)
    alone.step(iterations)
    return alone


def take_in(lockstep: Lockstep, rounds: list) -> None:
    for frames in rounds:
        for trainer, frame in zip(lockstep.trainers, frames):
            apply_frame(trainer, frame)


@pytest.mark.slow  # two workers and six runs: about 9 s
def test_rounds_end_at_the_same_iteration_for_every_run_and_each_run_trains_as_alone():
    configs = [small(seed=3, **changes) for changes in TRICKY_RUNS]
    trainers = [Trainer(c) for c in configs]
    lockstep = Lockstep(trainers, workers=2)  # three runs a worker, trained in turns
    for n in (7, 13):
        lockstep.request_round(n, view=dict(with_metrics=False))
    first = lockstep.wait_round()
    assert [f.snapshot.iteration for f in first] == [7] * len(configs)
    take_in(lockstep, [first])
    rounds = lockstep.completed_rounds(wait_s=120.0)  # the second round, waited for
    assert len(rounds) == 1 and [f.trained for f in rounds[0]] == [13] * len(configs)
    take_in(lockstep, rounds)
    take_in(lockstep, zip(*lockstep.stop()))
    for trainer, config in zip(trainers, configs):
        assert_same_run(trainer, trained_alone(config, 20))


def test_an_image_run_with_labels_trains_in_a_worker_as_alone():
    config = image_config("digits", conditional=True, acgan_weight=0.5, batch_size=16, seed=1, device="cpu")
    trainer = Trainer(config)
    lockstep = Lockstep([trainer])
    lockstep.request_round(6)
    take_in(lockstep, [lockstep.wait_round()])
    lockstep.stop()
    assert_same_run(trainer, trained_alone(config, 6))


def test_a_run_that_diverges_in_a_worker_stops_where_it_stops_alone():
    config, steady = small(**EXPLODING), small(loss="hinge")
    alone = Trainer(config)
    alone.step(60)
    assert alone.divergence is not None and alone.iteration < 60
    trainers = [Trainer(config), Trainer(steady)]
    lockstep = Lockstep(trainers, workers=1)
    lockstep.request_round(60)
    take_in(lockstep, [lockstep.wait_round()])
    lockstep.stop()
    assert trainers[0].divergence is not None
    assert trainers[0].divergence.iteration == alone.divergence.iteration
    assert_same_run(trainers[0], alone)
