"""The xy game's update rules against their closed forms, the two generator losses against autograd, and power
iteration's convergence."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ganviz.theory import dynamics

# --- the xy game ----------------------------------------------------------------------------------

ETA, STEPS = 0.1, 1000


def radii(method: str, **kw) -> np.ndarray:
    return np.linalg.norm(dynamics.xy_trajectory(method, ETA, STEPS, **kw), axis=1)


def test_trajectory_shape_and_start_and_unknown_method():
    path = dynamics.xy_trajectory("simultaneous", ETA, 5, start=(0.5, -2.0))
    assert path.shape == (6, 2)
    np.testing.assert_array_equal(path[0], [0.5, -2.0])
    with pytest.raises(ValueError, match="simultaneous"):
        dynamics.xy_trajectory("nope", ETA, 5)


def test_simultaneous_radius_grows_by_the_closed_factor():
    r = radii("simultaneous")
    np.testing.assert_allclose(r[1:] / r[:-1], dynamics.simultaneous_radius_factor(ETA), rtol=1e-9)


def test_alternating_conserves_its_invariant():
    path = dynamics.xy_trajectory("alternating", ETA, STEPS)
    inv = dynamics.alternating_invariant(path[:, 0], path[:, 1], ETA)
    np.testing.assert_allclose(inv, inv[0], rtol=1e-9)
    # and it is not the plain radius, which does oscillate
    assert np.ptp(np.linalg.norm(path, axis=1)) > 1e-2


def test_alternating_follows_the_lecture_order_y_first():
    # Step 0y: x, y > 0 ⇒ y increases first; then x moves using the new y
    x1, y1 = dynamics.xy_trajectory("alternating", 0.5, 1, start=(1.0, 1.0))[1]
    assert (x1, y1) == (pytest.approx(1.0 - 0.5 * 1.5), pytest.approx(1.5))


@pytest.mark.parametrize("method", ["extragradient", "optimistic", "consensus"])
def test_stabilised_methods_converge(method):
    r = radii(method)
    # slowest of the three is extragradient, contracting by √(1 − η² + η⁴) ≈ 0.995 per step
    assert r[-1] < 0.01 * r[0]
    assert r[-1] < r[STEPS // 2] < r[0]


def test_extragradient_contracts_by_its_closed_factor():
    r = radii("extragradient")
    np.testing.assert_allclose(r[1:] / r[:-1], np.sqrt(1 - ETA**2 + ETA**4), rtol=1e-9)


def test_optimistic_first_step_is_plain_gda():
    np.testing.assert_allclose(
        dynamics.xy_trajectory("optimistic", ETA, 1)[1], dynamics.xy_trajectory("simultaneous", ETA, 1)[1]
    )


def test_consensus_with_gamma_zero_is_simultaneous():
    np.testing.assert_allclose(
        dynamics.xy_trajectory("consensus", ETA, 50, gamma=0.0), dynamics.xy_trajectory("simultaneous", ETA, 50)
    )


# --- generator losses -----------------------------------------------------------------------------


def test_g_loss_curves_match_autograd_on_the_logit():
    logits = torch.linspace(-8, 8, 101, dtype=torch.float64, requires_grad=True)
    curves = dynamics.g_loss_curves(torch.sigmoid(logits).detach().numpy())
    for name, loss_of in [("saturating", lambda s: torch.log(1 - s)), ("nonsaturating", lambda s: -torch.log(s))]:
        loss = loss_of(torch.sigmoid(logits))
        (grad,) = torch.autograd.grad(loss.sum(), logits)
        np.testing.assert_allclose(curves[name], loss.detach().numpy(), rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(curves[name + "_grad"], grad.numpy(), rtol=1e-9, atol=1e-12)


def test_saturating_gradient_vanishes_where_d_rejects_fakes():
    curves = dynamics.g_loss_curves(np.array([1e-4]))
    assert abs(curves["saturating_grad"][0]) < 1e-3 < abs(curves["nonsaturating_grad"][0])


# --- power iteration ------------------------------------------------------------------------------


def test_power_iteration_converges_from_below_to_the_top_singular_value():
    rng = np.random.default_rng(3)
    W = rng.standard_normal((30, 20))
    sigma = float(torch.linalg.svdvals(torch.from_numpy(W))[0])
    est = dynamics.power_iteration(W, steps=500, seed=0)
    assert est.shape == (500,)
    assert est[-1] == pytest.approx(sigma, abs=1e-6)
    assert np.all(est <= sigma + 1e-9)
    assert est[0] < sigma - 1e-6  # a single step is not already exact, so the curve means something
