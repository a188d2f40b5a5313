"""FGSM from noise: sign steps up D's gradient raise its score but do not make data."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ganviz.latent import fgsm
from ganviz.latent.points import SURFACE_GRID
from ganviz.metrics.points import mode_stats


def test_fgsm_takes_sign_steps_and_measures_where_they_end(ring_run):
    result = fgsm.fgsm_from_noise(ring_run, n=32, steps=10, step_size=0.05, seed=0, spread=2)
    assert result.trajectory.shape == (11, 32, 2) and result.scores.shape == (11, 32)
    assert result.trajectory.dtype == np.float64 and result.d_output == "probability" and result.labels is None
    steps = np.abs(np.diff(result.trajectory, axis=0))
    assert np.allclose(steps[steps > 0], 0.05, atol=1e-6)  # each coordinate moves by exactly η
    xmin, xmax, ymin, ymax = ring_run.domain.extent
    centre, half = np.array([xmin + xmax, ymin + ymax]) / 2, (xmax - xmin)  # a square twice the view's side
    assert (np.abs(result.trajectory[0] - centre) <= half).all()
    for t in (0, -1):
        np.testing.assert_allclose(result.scores[t], ring_run.discriminate(result.trajectory[t]), rtol=1e-5, atol=1e-6)
    ds = ring_run.domain.dataset
    last = mode_stats(result.trajectory[-1], ds.modes, ds.sigma)
    assert result.hq_fraction[-1] == last["hq_fraction"] and result.modes_captured[-1] == last["modes_captured"]
    assert result.modes_total == 8 and result.confidence is None and result.predicted is None
    # the distance to the data, by brute force: the mean over samples of the nearest real point's distance
    real = ring_run.domain.eval_real[: fgsm.DISTANCE_REFERENCE]
    nearest = np.sqrt(((result.trajectory[-1][:, None] - real[None]) ** 2).sum(-1)).min(1).mean()
    assert result.distance_to_data[-1] == pytest.approx(nearest, rel=1e-9)
    gx, gy, values, extent = result.surface  # D's surface under the paths, as far out as they go
    assert values.shape == (len(gy), len(gx)) == (SURFACE_GRID, SURFACE_GRID)
    assert extent[0] <= result.trajectory[..., 0].min() and extent[1] >= result.trajectory[..., 0].max()
    np.testing.assert_allclose(values[0, 0], ring_run.discriminate(np.array([[gx[0], gy[0]]]))[0], rtol=1e-5)
    verdict = fgsm.fgsm_verdict(ring_run, result)
    assert f"went from **{result.scores[0].mean():.3g}** to **{result.scores[-1].mean():.3g}**" in verdict
    assert f"on {result.modes_captured[-1]} of the 8 modes" in verdict and "generator's job" in verdict


@pytest.mark.slow
def test_fgsm_from_noise_raises_d_monotonically_with_sign_steps(grid_run):
    result = fgsm.fgsm_from_noise(grid_run, n=64, steps=40, step_size=0.02, seed=0)
    assert result.trajectory.shape == (41, 64, 2) and result.scores.shape == (41, 64)
    assert np.all(np.diff(result.scores.mean(1)) > 0)  # D's mean score rises at every step
    steps = np.abs(np.diff(result.trajectory, axis=0))
    assert np.allclose(steps[steps > 0], 0.02, atol=1e-6)  # each coordinate moves by exactly η
    xmin, xmax, ymin, ymax = grid_run.domain.extent
    start = result.trajectory[0]
    assert (start[:, 0] >= xmin).all() and (start[:, 0] <= xmax).all() and (start[:, 1] <= ymax).all()
    assert result.distance_to_data.shape == (41,) and result.hq_fraction.shape == (41,)
    assert result.real_distance < result.fake_distance < result.distance_to_data[0]
    gx, gy, values, extent = result.surface
    assert values.shape == (len(gy), len(gx)) and extent[0] <= result.trajectory[..., 0].min()
    np.testing.assert_array_equal(
        result.trajectory, fgsm.fgsm_from_noise(grid_run, n=64, steps=40, step_size=0.02, seed=0).trajectory
    )
    wide = fgsm.fgsm_from_noise(grid_run, n=64, steps=2, step_size=0.02, seed=0, spread=4)
    assert np.ptp(wide.trajectory[0], axis=0).min() > 2 * (xmax - xmin)  # noise from a square 4 times wider


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(n=0), "at least 1"),
        (dict(n=5000), "at most 1000"),
        (dict(steps=0), "at least 1"),
        (dict(steps=501), "at most 500"),
        (dict(step_size=0.0), "step_size"),
        (dict(step_size=math.nan), "step_size"),
        (dict(spread=0.5), "spread"),
    ],
)
def test_fgsm_rejects_bad_arguments(ring_run, kwargs, message):
    with pytest.raises(ValueError, match=message):
        fgsm.fgsm_from_noise(ring_run, **kwargs)


def test_image_fgsm_stays_in_the_pixel_range_and_is_judged(digits_run):
    result = fgsm.fgsm_from_noise(digits_run, n=6, steps=30, step_size=0.2, seed=0)
    assert result.trajectory.shape == (31, 6, 1, 8, 8) and result.trajectory.dtype == np.float32
    assert result.trajectory.min() == -1.0 and result.trajectory.max() == 1.0  # big steps hit the clamp
    assert result.scores.mean(1)[-1] > result.scores.mean(1)[0]
    assert result.confidence.shape == (31,) and result.predicted.shape == (31, 6) and result.surface is None
    assert result.hq_fraction is None and result.real_distance < result.distance_to_data[-1]
    verdict = fgsm.fgsm_verdict(digits_run, result)
    readings = ", ".join(str(d) for d in result.predicted[-1])
    assert f"reads the final images as {readings}, with a mean confidence of {result.confidence[-1]:.0%}" in verdict
    assert "D was asked about" not in verdict  # not conditional
    with pytest.raises(ValueError, match="at most 64"):
        fgsm.fgsm_from_noise(digits_run, n=65)
    with pytest.raises(ValueError, match="spread must be 1"):
        fgsm.fgsm_from_noise(digits_run, n=2, spread=2)
