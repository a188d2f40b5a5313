"""The latent tools on 2D points: judged by the data's modes (% high quality, modes captured) and exact
W1, and noise that may start far beyond the data, where D never saw any but still has a slope."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import torch

from ganviz.latent.domain import SweepMeter
from ganviz.metrics.images import nearest_neighbours
from ganviz.metrics.points import mode_stats, wasserstein1_exact
from ganviz.training.points import plane_grid
from ganviz.training.runtime import single_thread

if TYPE_CHECKING:
    from ganviz.training.trainer import Trainer

W1_POINTS = 500  # exact W1 of a truncation sweep on 500 + 500 points (~20 ms a threshold)
NEAR_DATA_QUANTILE = 0.95  # "near the data": as close to a real point as 95 % of real points are
SURFACE_GRID = 80  # D's surface under the FGSM paths: SURFACE_GRID² points


def near_data_fraction(samples: np.ndarray, real: np.ndarray, reference: np.ndarray) -> float:
    """Share of samples at most as far from their nearest real point as NEAR_DATA_QUANTILE of a second
    real set is: a precision in the spirit of Kynkäänniemi et al. (2019), for data without modes."""
    _, d_ref = nearest_neighbours(reference, real, k=1)
    _, d = nearest_neighbours(samples, real, k=1)
    return float((d[:, 0] <= np.quantile(d_ref[:, 0], NEAR_DATA_QUANTILE)).mean())


def surface_around(trainer: Trainer, points: np.ndarray) -> tuple:
    """D on a SURFACE_GRID² grid over a square holding the run's view and `points` (paths may leave the
    data far behind: D has a value everywhere, data or not): (grid_x, grid_y, values, extent)."""
    xmin, xmax, ymin, ymax = trainer.domain.extent
    lo = np.minimum(points.min(0), [xmin, ymin])
    hi = np.maximum(points.max(0), [xmax, ymax])
    centre, half = (lo + hi) / 2, (hi - lo).max() / 2 * 1.05
    extent = (centre[0] - half, centre[0] + half, centre[1] - half, centre[1] + half)
    gx, gy, grid = plane_grid(extent, SURFACE_GRID)
    with single_thread():
        values = trainer.discriminate(grid).reshape(SURFACE_GRID, SURFACE_GRID)
    return gx, gy, values, (float(gx[0]), float(gx[-1]), float(gy[0]), float(gy[-1]))


class PointsLatent:
    kind = "points"
    fgsm_max_points = 1000
    between = "between modes"

    def sweep_meter(self, trainer: Trainer) -> SweepMeter:
        """% high quality (within 3σ of a mode), modes captured and exact W1 on 500 + 500 points (the same
        subsample of the data for every ψ); data without modes: the share of samples near the data
        (`near_data_fraction`) and no coverage. 2,500 samples by default, as the 2D metrics use."""
        domain = trainer.domain
        ds, real, reference = domain.dataset, domain.eval_real, domain.eval_reference

        def w1(samples) -> float:  # a fresh generator each time: the same subsamples for every ψ
            return wasserstein1_exact(samples, real, max_points=W1_POINTS, rng=np.random.default_rng(0))

        def measure(samples) -> tuple[float, float, float]:
            if ds.modes is None:
                return near_data_fraction(samples, real, reference), np.nan, w1(samples)
            stats = mode_stats(samples, ds.modes, ds.sigma, ds.weights)
            return stats["hq_fraction"], stats["modes_captured"], w1(samples)

        return SweepMeter(
            measure=measure,
            samples=len(real),
            fidelity_name="near the data" if ds.modes is None else "high quality (within 3σ of a mode)",
            coverage_total=None if ds.modes is None else len(ds.modes),
            coverage_name="modes captured",
            distance_name="W1 to the data (exact)",
            distance_floor=w1(reference),
        )

    def embedding_real(self, trainer: Trainer, n: int, rng: np.random.Generator) -> tuple[np.ndarray, None]:
        """n of the run's real evaluation points, drawn without replacement."""
        real = trainer.domain.eval_real
        return real[rng.choice(len(real), size=n, replace=False)], None

    def embedding_classes(self, trainer: Trainer, real, real_labels, fake) -> tuple[np.ndarray | None, str | None]:
        """Each point's nearest mode, where the data has modes."""
        modes = trainer.domain.dataset.modes
        if modes is None:
            return None, None
        return nearest_neighbours(np.concatenate([real, fake]), modes, k=1)[0][:, 0], "nearest mode"

    def fgsm_noise(self, trainer: Trainer, n: int, spread: float, rng: np.random.Generator) -> np.ndarray:
        """Uniform over a square `spread` times as wide as the run's view (its data's padded square, same
        centre)."""
        xmin, xmax, ymin, ymax = trainer.domain.extent
        cx, cy, half = (xmin + xmax) / 2, (ymin + ymax) / 2, spread * max(xmax - xmin, ymax - ymin) / 2
        return np.column_stack([rng.uniform(cx - half, cx + half, n), rng.uniform(cy - half, cy + half, n)])

    def fgsm_bound(self, x: torch.Tensor) -> torch.Tensor:
        return x  # the plane has no edge

    def fgsm_judgement(self, trainer: Trainer, trajectory: np.ndarray) -> dict:
        """The share within 3σ of a mode and the modes reached at each step (data with modes), and D's
        surface as far out as the paths go."""
        ds, out = trainer.domain.dataset, {}
        if ds.modes is not None:
            stats = [mode_stats(x, ds.modes, ds.sigma, ds.weights) for x in trajectory]
            out["hq_fraction"] = np.array([m["hq_fraction"] for m in stats])
            out["modes_captured"] = np.array([m["modes_captured"] for m in stats])
            out["modes_total"] = len(ds.modes)
        out["surface"] = surface_around(trainer, trajectory.reshape(-1, 2))
        return out

    def fgsm_lesson(self, result) -> str:
        lesson = (
            "In 2D a discriminator's peaks often sit on the data, so points that start near it can land there; "
            "points that start where D never saw data climb whatever slope D has there, which need not lead to the "
            "data (widen the square to see it). And D only says how real a point looks, not how the data is spread: "
            "the points pile up wherever D's peaks are. Learning the spread is a generator's job."
        )
        if result.hq_fraction is None:
            return lesson
        hq, captured = result.hq_fraction[-1], result.modes_captured[-1]
        return (
            f"**{hq:.0%}** of them ended within 3σ of a mode, on {captured} of the {result.modes_total} modes. "
            + lesson
        )
