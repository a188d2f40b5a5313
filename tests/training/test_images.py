"""The Trainer on digit images: same engine as 2D, with labels, image-shaped penalties and classifier metrics.

Runs on scikit-learn's 8×8 digits (bundled, fast); the classifier is cached in the session's temporary folder.
"""

import numpy as np
import pytest
import torch
from torch import nn

from ganviz.config import image_config
from ganviz.data.images import load_images
from ganviz.training.trainer import Trainer
from support.runs import params, same

FAST = dict(batch_size=16)


pytestmark = pytest.mark.usefixtures("shared_cache")  # the classifier is trained once per session


@pytest.fixture(scope="module")
def digits():
    return load_images("digits")


def config(**changes):
    return image_config("digits", **{**FAST, **changes})


def test_an_image_run_trains_records_and_draws(digits):
    t = Trainer(config(), images=digits)
    t.step(5)
    assert t.iteration == 5 and len(t.history) == 5 and np.isfinite(t.history.column("loss_d")).all()
    snap = t.snapshot(with_metrics=False)
    assert snap.grid.shape == (10, 10, 8, 8) and 0 <= snap.grid.min() and snap.grid.max() <= 1
    assert snap.row_labels is None and snap.iteration == 5


def test_same_seed_same_run_and_the_seed_matters(digits):
    a, b, c = (Trainer(config(seed=s), images=digits) for s in (3, 3, 4))
    for t in (a, b, c):
        t.step(4)
    assert same(params(a.G), params(b.G)) and not same(params(a.G), params(c.G))


def test_only_the_chosen_digits_in_their_proportions_are_trained_on(digits):
    t = Trainer(config(digits="17", digit_weights="3,1"), images=digits)
    labels = t.domain.pool_labels.numpy()
    assert set(labels) == {1, 7}
    assert np.mean(labels == 1) == pytest.approx(0.75, abs=0.01)


def test_a_conditional_grid_has_one_row_per_trained_digit_and_follows_the_label(digits):
    t = Trainer(config(digits="038", conditional=True, image_model="mlp-cpu"), images=digits)
    t.step(3)
    snap = t.snapshot(with_metrics=False)
    assert snap.grid.shape == (3, 10, 8, 8) and snap.row_labels == [0, 3, 8]
    assert not np.allclose(snap.grid[0], snap.grid[1])  # same z, different digit asked for
    np.testing.assert_array_equal(t.domain.fixed_labels[:6].numpy(), [0, 3, 8, 0, 3, 8])


@pytest.mark.parametrize(
    "changes",
    [
        dict(loss="wgan-gp", d_steps=2),
        dict(loss="wasserstein"),
        dict(loss="hinge", spectral_norm_d=True, image_model="dcgan"),
        dict(r1_weight=1.0, minibatch_features="stddev"),
        dict(minibatch_features="discrimination", image_model="keras-conv"),
        dict(unrolled_steps=2, image_model="mlp-cpu"),
        dict(extra_g_loss="moment-matching"),
        dict(extra_g_loss="feature-matching"),
        dict(conditional=True, acgan_weight=1.0, loss="least-squares", instance_noise=0.1, label_smoothing=0.1),
    ],
    ids=lambda c: ",".join(f"{k}={v}" for k, v in c.items()),
)
def test_every_loss_and_trick_trains_images(digits, changes):
    t = Trainer(config(**changes), images=digits)
    before = [p.detach().clone() for p in t.G.parameters()]
    t.step(3)
    assert t.divergence is None and np.isfinite(t.history.column("loss_g")).all()
    assert any(not torch.equal(p, q) for p, q in zip(before, t.G.parameters()))


class LinearCritic(nn.Module):
    """D(x) = <w, x>: its input gradient is w everywhere, so the penalties have closed forms."""

    batch_dependent = False

    def __init__(self, w: torch.Tensor):
        super().__init__()
        self.w = nn.Parameter(w)

    def forward(self, x, labels=None, *, reference=None):
        return x.flatten(1) @ self.w


def test_penalties_use_the_whole_image_gradient(digits):
    t = Trainer(config(), images=digits)
    w = torch.linspace(-0.2, 0.3, 64)
    t.D = LinearCritic(w)
    real, fake = t.domain.pool[:8], t.domain.pool[8:16]
    gp = t.gradient_penalty(real, fake)
    assert float(gp.detach()) == pytest.approx((float(w.norm()) - 1) ** 2, rel=1e-5)  # (‖∇D‖ - 1)², ‖∇D‖ = ‖w‖


def test_image_metrics_judge_samples_with_the_classifier(digits):
    t = Trainer(config(), images=digits)
    m = t.evaluate()
    assert m["classifier_accuracy"] >= 0.95
    assert m["fid"] > 10 * m["fid_floor"] > 0  # an untrained G is far from real digits; two real sets are close
    assert 0 <= m["classes_covered"] <= 10 and len(m["class_counts"]) == 10 and sum(m["class_counts"]) == 1000


def test_new_image_runs_default_to_dcgan_where_cuda_will_be_used(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    gpu = image_config("mnist")
    assert (gpu.image_model, gpu.batch_size, gpu.lr_g) == ("dcgan", 128, 2e-4)
    assert image_config("mnist", device="cpu").image_model == "mlp-cpu"  # asked for the CPU: the CPU default
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert image_config("mnist").image_model == "mlp-cpu"
