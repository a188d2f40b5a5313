"""A trained 1D discriminator against the closed-form optimum D* = p/(p+q) (lecture 004)."""

import numpy as np
import pytest
import torch

from ganviz.theory import divergences
from ganviz.theory.divergences import LECTURE_MU, LECTURE_NU, LOG2, UNIT_INTERVAL
from ganviz.theory.optimal_d import Discriminator1D, DiscriminatorFit

OVERLAPPING = (LECTURE_MU, LECTURE_NU.shifted(-4.0))  # μ′ on [1, 3]: overlaps μ's first piece


def test_quadrature_of_the_optimal_d_reproduces_the_exact_value(monkeypatch):
    # V(D, G) by the fit's own midpoint rule, for D = D*, must equal value_at_optimum
    p, q = OVERLAPPING
    fit = DiscriminatorFit(p, q)
    monkeypatch.setattr(fit, "probability", lambda x: divergences.optimal_d(p.density(x), q.density(x)))
    assert fit.gap() == 0.0  # the fit now is D*
    # cells straddling a jump mix two constants: error O(jumps × cell width) ≈ 1e-3
    assert fit.value() == pytest.approx(divergences.value_at_optimum(p, q), abs=2e-3)


def test_trained_d_approaches_the_optimum_and_never_beats_it():
    p, q = OVERLAPPING
    fit = DiscriminatorFit(p, q, seed=0)
    start_gap = fit.gap()
    fit.step(1200)
    exact = divergences.value_at_optimum(p, q)
    assert fit.steps == 1200
    assert fit.gap() < 0.05 < start_gap
    # D* maximises V: any D's value is below it (up to the 2e-3 quadrature error above)
    assert exact - 0.06 < fit.value() <= exact + 2e-3
    # where only p lives D* = 1, where only q lives D* = 0, where both live D* = ¼/(¼ + ½) = 1/3
    np.testing.assert_allclose(fit.probability(np.array([3.5, 2.5, 1.5])), [1.0, 0.0, 1 / 3], atol=0.08)


def test_d_is_one_half_everywhere_when_p_equals_q():
    fit = DiscriminatorFit(UNIT_INTERVAL, UNIT_INTERVAL, seed=1)
    fit.step(600)
    np.testing.assert_allclose(fit.probability(np.linspace(0.05, 0.95, 10)), 0.5, atol=0.03)
    assert fit.value() == pytest.approx(-2 * LOG2, abs=2e-3)  # V = 2·JS − 2 log 2 with JS = 0


def test_same_seed_same_d_and_probability_keeps_shape():
    a, b = DiscriminatorFit(*OVERLAPPING, seed=3), DiscriminatorFit(*OVERLAPPING, seed=3)
    a.step(20)
    b.step(20)
    x = np.linspace(0, 11, 12).reshape(3, 4)
    assert a.probability(x).shape == (3, 4)
    np.testing.assert_array_equal(a.probability(x), b.probability(x))


def test_run_for_steps_in_whole_chunks_until_the_time_is_up():
    fit = DiscriminatorFit(*OVERLAPPING)
    taken = fit.run_for(0.05, chunk=5)
    assert taken == fit.steps > 0 and taken % 5 == 0


@pytest.mark.parametrize("kwargs", [{"lr": 0}, {"batch": 0}, {"width": -1}])
def test_bad_settings_raise(kwargs):
    with pytest.raises(ValueError, match="must be > 0"):
        DiscriminatorFit(*OVERLAPPING, **kwargs)


def test_strip_discriminator_standardises_x_and_centres_u():
    torch.manual_seed(0)
    d = Discriminator1D(centre=5.0, scale=2.0, strip=True)
    x = torch.tensor([[5.0, 0.5], [7.0, 1.0]])
    expected = d.net(torch.tensor([[0.0, 0.0], [1.0, 0.5]]))
    torch.testing.assert_close(d(x), expected)
    with pytest.raises(ValueError, match="scale"):
        Discriminator1D(centre=0.0, scale=0.0)
