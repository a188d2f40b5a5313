"""Several runs trained together: stacked networks give each run exactly what it gets alone.

`train_runs(runs, n, stacked=True)` shares every matrix product between runs whose networks have the
same shapes, while each run keeps its own batches, losses, optimiser and tricks. The claim is strong:
each run's weights, optimiser state and history equal those of the same run trained alone, bit for
bit, on the CPU. The one exception (minibatch discrimination with the R1 penalty: autograd adds T's
three gradient contributions in another order) is held to float rounding.
"""
import dataclasses
import math

import numpy as np
import pytest
import torch

from ganviz import GANConfig, Trainer, TrainingDiverged
from ganviz.losses import LOSSES
from ganviz.models.mlp import LayerBanks, build_networks, stack_key, stacked_discriminate, stacked_generate
from ganviz.training.trainer import _d_key, _parts, _run_order, train_runs

SMALL = dict(g_width=24, d_width=24, g_depth=2, d_depth=2, batch_size=32, device="cpu")


def config(**changes) -> GANConfig:
    return GANConfig(**{**SMALL, "seed": 7, **changes})


def state_tensors(t: Trainer) -> list[torch.Tensor]:
    """Every tensor training depends on: G, D, the EMA copy, both optimisers' moments, the RNG."""
    s = t.get_state()
    out = [*s["G"].values(), *s["D"].values(), *(s["ema"] or {}).values(), s["rng"]]
    for opt in ("opt_d", "opt_g"):
        for per_param in s[opt]["state"].values():
            out += [v for v in per_param.values() if isinstance(v, torch.Tensor)]
    return out


def assert_same_run(together: Trainer, alone: Trainer) -> None:
    assert (together.iteration, together.d_updates, together.g_updates) == (alone.iteration, alone.d_updates,
                                                                            alone.g_updates)
    a, b = state_tensors(together), state_tensors(alone)
    assert len(a) == len(b) and all(torch.equal(x, y) for x, y in zip(a, b))
    np.testing.assert_array_equal(together.history.rows(), alone.history.rows())


MIXES = {
    "losses and k": [{}, dict(loss="wgan-gp"), dict(d_steps=4), dict(loss="minimax", r1_weight=0.0, ema=0.0)],
    "spectral norm": [dict(spectral_norm_d=True, spectral_norm_g=True), {}, dict(spectral_norm_d=True, loss="hinge")],
    "clipping, smoothing, noise": [dict(loss="wasserstein"), dict(loss="least-squares", label_smoothing=0.2),
                                   dict(instance_noise=0.2, instance_noise_anneal=15), dict(pretrain_d=3, g_steps=2)],
    "tricks run per run": [dict(unrolled_steps=2), dict(extra_g_loss="feature-matching"),
                           dict(extra_g_loss="moment-matching")],
    "optimisers": [dict(optimizer_d="sgd", momentum_d=0.5, lr_d=0.02), dict(optimizer_g="rmsprop", momentum_g=0.3),
                   dict(lr_g=1e-4, beta1_g=0.9)],
    "noise": [dict(noise="uniform"), {}],
    "batch norm": [dict(batch_norm_g=True), dict(batch_norm_g=True, loss="wgan-gp", ema=0.0)],
    "minibatch stddev": [dict(minibatch_features="stddev"), dict(minibatch_features="stddev", loss="wgan-gp")],
    # on the CPU, batches that are not a multiple of 32 samples compute each run's losses on its own
    "batch of 40": [dict(batch_size=40), dict(batch_size=40, lr_d=3e-4), dict(batch_size=40, loss="hinge")],
    "minibatch discrimination": [dict(minibatch_features="discrimination", r1_weight=0.0),
                                 dict(minibatch_features="discrimination", r1_weight=0.0, loss="wgan-gp")],
}


@pytest.mark.parametrize("mix", list(MIXES))
def test_stacked_runs_equal_their_lone_twins_bit_for_bit(mix):
    configs = [config(**changes) for changes in MIXES[mix]]
    assert len({stack_key(c) for c in configs}) == 1
    together = [Trainer(c) for c in configs]
    assert train_runs(together, 30, stacked=True) == [30] * len(configs)
    for c, t in zip(configs, together):
        alone = Trainer(c)
        alone.step(30)
        assert_same_run(t, alone)


def test_runs_with_the_same_loss_settings_compute_their_losses_together():
    runs = [Trainer(c) for c in (config(), config(loss="wgan-gp"), config(lr_d=3e-4, d_steps=3),
                                 config(batch_size=40), config(batch_size=40))]
    ordered = [runs[i] for i in _run_order(runs)]
    d_parts = [[runs.index(t) for t in ordered[part]] for part in _parts(ordered, _d_key)]
    # the default loss at batch 32 is one part; the batch-40 runs keep their own (see `_shape_key`)
    assert sorted(map(sorted, d_parts)) == [[0, 2], [1], [3], [4]]


def test_one_by_one_runs_equal_their_lone_twins_bit_for_bit():
    configs = [config(), config(g_width=8, loss="hinge"), config(unrolled_steps=1)]  # shapes differ: not stackable
    together = [Trainer(c) for c in configs]
    assert train_runs(together, 20) == [20, 20, 20]
    for c, t in zip(configs, together):
        alone = Trainer(c)
        alone.step(20)
        assert_same_run(t, alone)


def test_minibatch_discrimination_with_r1_matches_to_float_rounding():
    configs = [config(minibatch_features="discrimination"), config(minibatch_features="discrimination", lr_d=3e-4)]
    together = [Trainer(c) for c in configs]
    train_runs(together, 20, stacked=True)
    for c, t in zip(configs, together):
        alone = Trainer(c)
        alone.step(20)
        for x, y in zip(state_tensors(t), state_tensors(alone)):
            torch.testing.assert_close(x, y, rtol=1e-5, atol=1e-6)  # T's gradient is summed in another order
        np.testing.assert_allclose(t.history.rows(), alone.history.rows(), rtol=1e-5, atol=1e-6)


def test_the_default_config_four_times_over_300_iterations_stays_bit_for_bit():
    # the benchmark's setting: float rounding differences would grow over hundreds of GAN iterations
    configs = [GANConfig(seed=s, device="cpu") for s in (0, 1)]
    together = [Trainer(c) for c in configs]
    train_runs(together, 300, stacked=True)
    for c, t in zip(configs, together):
        alone = Trainer(c)
        alone.step(300)
        assert_same_run(t, alone)


def test_stacked_networks_equal_each_run_s_own_forward():
    torch.manual_seed(0)
    configs = [config(spectral_norm_d=True, spectral_norm_g=True, batch_norm_g=True, minibatch_features="discrimination"),
               config(batch_norm_g=True, minibatch_features="discrimination")]
    nets = [build_networks(c) for c in configs]
    twins = [build_networks(c) for c in configs]
    for (g, d), (g2, d2) in zip(nets, twins):
        g2.load_state_dict(g.state_dict())
        d2.load_state_dict(d.state_dict())
    z, x = torch.randn(2, 32, 2), torch.randn(2, 32, 2)
    fake = stacked_generate([g for g, _ in nets], z)
    out = stacked_discriminate([d for _, d in nets], x)
    assert fake.shape == (2, 32, 2) and out.shape == (2, 32)
    for r, (g2, d2) in enumerate(twins):
        assert torch.equal(fake[r], g2(z[r])) and torch.equal(out[r], d2(x[r]))
        # batch norm's running averages and spectral norm's power iteration moved as in the lone forward
        for (name, a), b in zip(nets[r][0].state_dict().items(), g2.state_dict().values()):
            assert torch.equal(a, b), name
        for (name, a), b in zip(nets[r][1].state_dict().items(), d2.state_dict().values()):
            assert torch.equal(a, b), name


def test_banked_parameters_are_views_of_one_tensor_per_layer_and_a_subset_reads_its_rows():
    runs = [Trainer(c) for c in (config(), config(lr_d=3e-4), config(spectral_norm_d=True))]
    before = [[p.detach().clone() for p in t.g_params + t.d_params] for t in runs]
    banks = LayerBanks([[t.G, t.D] for t in runs])
    for t, saved in zip(runs, before):  # the values are kept
        assert all(torch.equal(p, s) for p, s in zip(t.g_params + t.d_params, saved))
    first = runs[0].G.net[0]
    bank, row = banks.rows_of(first.weight)
    assert row == 0 and bank.shape == (3, *first.weight.shape)
    with torch.no_grad():  # an optimiser's in-place update of a run's parameter is the bank's row
        first.weight.add_(1.0)
    assert torch.equal(bank[0], first.weight)
    # a position where one run has spectral norm is not banked, and a one-output head never is
    assert banks.rows_of(runs[0].D.trunk[0].weight) is None and banks.rows_of(runs[0].D.head.weight) is None
    z = torch.randn(2, 32, 2)
    out = stacked_generate([runs[2].G, runs[0].G], z, banks)
    assert torch.equal(out[0], runs[2].G(z[0])) and torch.equal(out[1], runs[0].G(z[1]))


def test_a_run_that_diverges_stops_exactly_where_it_would_alone_and_the_others_go_on():
    # the guard's chunks are 50 iterations: the bad run fails mid-chunk and is replayed alone
    unstable = config(optimizer_d="sgd", optimizer_g="sgd", lr_d=10.0, lr_g=10.0, loss="least-squares",
                      r1_weight=0.0, ema=0.0)
    configs = [config(), unstable, config(loss="wgan-gp")]
    together = [Trainer(c) for c in configs]
    done = train_runs(together, 80, stacked=True)
    alone_unstable = Trainer(unstable)
    alone_done = alone_unstable.step(80)
    assert done[1] == alone_done < 80 and together[1].divergence == alone_unstable.divergence
    assert_same_run(together[1], alone_unstable)
    for i in (0, 2):
        assert done[i] == 80 and together[i].divergence is None
        alone = Trainer(configs[i])
        alone.step(80)
        assert_same_run(together[i], alone)
    with pytest.raises(TrainingDiverged):
        train_runs(together, 1, stacked=True)


def test_a_nan_loss_in_one_stacked_run_leaves_the_others_untouched():
    configs = [config(), config(loss="hinge")]
    together = [Trainer(c) for c in configs]
    bad = together[1]

    def d_loss(d_real, d_fake, real_target=1.0):  # NaN at iteration 12 of run B only
        value = LOSSES["hinge"].d_loss(d_real, d_fake, real_target)
        return value * math.nan if bad.iteration + 1 == 12 else value

    bad.loss = dataclasses.replace(bad.loss, d_loss=d_loss)
    assert train_runs(together, 30, stacked=True) == [30, 11]
    assert bad.divergence.iteration == 12 and "loss_d is NaN" in bad.divergence.problem
    alone = Trainer(configs[0])
    alone.step(30)
    assert_same_run(together[0], alone)


def test_stacking_needs_2d_runs_with_the_same_shapes():
    with pytest.raises(ValueError, match="stack_key"):
        train_runs([Trainer(config()), Trainer(config(d_width=8))], 1, stacked=True)
    assert stack_key(config()) == stack_key(config(spectral_norm_d=True, loss="hinge", lr_d=0.1))
    assert stack_key(config()) != stack_key(config(batch_size=64))
