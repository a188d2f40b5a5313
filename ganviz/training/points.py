"""The 2D-points domain: a distribution in the plane (built in, or the user's own points), drawn as
GAN Lab's data space and measured with the mode-collapse literature's metrics."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ganviz.config import CUSTOM_DATASET, ConfigError
from ganviz.data import get_dataset, points_dataset
from ganviz.metrics.points import EVAL_SAMPLES, evaluate_samples
from ganviz.models.mlp import build_mlp_networks
from ganviz.training.domain import DISPLAY_SAMPLES, Domain
from ganviz.training.runtime import eval_mode

POOL_SIZE = 65_536  # real points drawn once per run; minibatches index into them
GRID_SIZE = 100  # D is evaluated on GRID_SIZE x GRID_SIZE points
FIELD_SIZE = 21  # the whole-plane gradient field is drawn as FIELD_SIZE x FIELD_SIZE arrows


@dataclass
class Snapshot:
    """Everything a plot of a 2D run needs, as plain numpy arrays (float64 unless noted)."""

    iteration: int
    extent: tuple[float, float, float, float]  # xmin, xmax, ymin, ymax of the grid
    real: np.ndarray  # (DISPLAY_SAMPLES, 2) real points
    fake: np.ndarray  # (DISPLAY_SAMPLES, 2) G(z) for the run's fixed z
    fake_push: np.ndarray  # (DISPLAY_SAMPLES, 2) -∇ₓ of G's loss at each fake point: where G's loss moves it
    grid_x: np.ndarray  # (GRID_SIZE,)
    grid_y: np.ndarray  # (GRID_SIZE,)
    d_surface: np.ndarray  # (GRID_SIZE, GRID_SIZE) D on the grid, row i = grid_y[i]
    d_output: str  # "probability" (D in [0, 1]), "score" (least squares) or "critic" (unbounded)
    field_points: np.ndarray | None  # (FIELD_SIZE², 2) a coarse grid over the plane (None: not taken)
    field_push: np.ndarray | None  # (FIELD_SIZE², 2) -∇ₓ of G's loss for a fake point placed there
    latent_lines: np.ndarray | None  # (L, P, 2) G's image of latent grid lines (noise_dim ≤ 2; None: not taken)
    modes: np.ndarray | None  # (K, 2) the data's mode centres, if it has modes
    sigma: float | None
    metrics: dict


def square_extent(points: torch.Tensor, pad: float = 0.2) -> tuple[float, float, float, float]:
    """A square (xmin, xmax, ymin, ymax) around the points, padded by `pad` of its side."""
    lo, hi = points.min(0).values.tolist(), points.max(0).values.tolist()
    centre = [(a + b) / 2 for a, b in zip(lo, hi)]
    half = max(hi[0] - lo[0], hi[1] - lo[1], 1e-3) * (0.5 + pad)
    return (centre[0] - half, centre[0] + half, centre[1] - half, centre[1] + half)


def plane_grid(extent, size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(xs, ys, points (size², 2)) of a regular grid over `extent`, row by row."""
    xmin, xmax, ymin, ymax = extent
    xs, ys = np.linspace(xmin, xmax, size), np.linspace(ymin, ymax, size)
    return xs, ys, np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2)


class PointsDomain(Domain):
    kind = "points"

    def __init__(self, config, device: torch.device, points: np.ndarray | None = None, images=None):
        """`points` (N, 2): the user's data, required when the dataset is "custom"."""
        rng = np.random.default_rng(config.seed)
        if config.dataset == CUSTOM_DATASET:
            if points is None:
                raise ConfigError("dataset", "'custom' needs your points (e.g. from a CSV file)")
            self.dataset = points_dataset(points)
        else:
            self.dataset = get_dataset(config.dataset)
        self.source = self.dataset.title
        self.pool = torch.as_tensor(self.dataset.sample(POOL_SIZE, rng), dtype=torch.float32, device=device)
        self.eval_real = self.dataset.sample(EVAL_SAMPLES, rng)
        self.eval_reference = self.dataset.sample(EVAL_SAMPLES, rng)  # a second real sample: the metrics' floor
        self.display_real = self.eval_real[:DISPLAY_SAMPLES]
        self.extent = square_extent(self.pool)
        super().__init__(config, device)

    def build_networks(self, config):
        return build_mlp_networks(config)

    def generate(self, trainer, z: torch.Tensor, labels: torch.Tensor | None = None) -> np.ndarray:
        """Points (N, 2) float64."""
        with torch.no_grad(), eval_mode(trainer.sampler):
            return trainer.sampler(z.to(self.device), labels).double().cpu().numpy()

    def evaluate(self, trainer, w1_points: int = 1000) -> dict:
        """Metrics on EVAL_SAMPLES generated points (the literature's protocol) against real data. Exact W1
        uses at most `w1_points` of each (1,000: ~0.1 s; the live view uses fewer)."""
        fake = self.generate(trainer, self.eval_z)
        ds = self.dataset
        metrics = evaluate_samples(
            fake,
            self.eval_real,
            self.eval_reference,
            modes=ds.modes,
            sigma=ds.sigma,
            weights=ds.weights,
            rng=np.random.default_rng(0),
            w1_points=w1_points,
        )
        metrics["critic_estimate"] = None
        if trainer.loss.output == "critic":  # the critic's own W1 estimate E[f(x)] - E[f(G(z))]
            real_t, fake_t = (
                torch.as_tensor(a, dtype=torch.float32, device=self.device) for a in (self.eval_real, fake)
            )
            with torch.no_grad(), eval_mode(trainer.D):
                f_real, f_fake = trainer.d_outputs(real_t, fake_t)
            metrics["critic_estimate"] = float(f_real.mean() - f_fake.mean())
        return metrics

    def report(self, metrics: dict) -> dict:
        return {
            **{k: metrics[k] for k in ("modes_captured", "modes_total", "hq_fraction", "reverse_kl", "js")},
            "js_units": "nats",
            **{k: metrics[k] for k in ("js_floor", "w1", "w1_points", "sliced_w1", "critic_estimate")},
        }

    def snapshot(
        self,
        trainer,
        *,
        with_metrics: bool = True,
        grid_size: int = GRID_SIZE,
        w1_points: int = 1000,
        with_layers: bool = True,
    ) -> Snapshot:
        """`with_layers` False skips the whole-plane gradient field and the latent grid (~35 % of a
        snapshot's cost), for a view that does not show them."""
        with torch.no_grad(), eval_mode(trainer.sampler):
            fake = trainer.sampler(self.fixed_z)
        field_points = plane_grid(self.extent, FIELD_SIZE)[2] if with_layers else None
        gx, gy, grid = plane_grid(self.extent, grid_size)
        surface = trainer.discriminate(grid, reference=fake.detach().cpu().numpy()).reshape(grid_size, grid_size)
        return Snapshot(
            iteration=trainer.iteration,
            extent=self.extent,
            real=self.display_real,
            fake=fake.double().cpu().numpy(),
            fake_push=trainer.g_loss_push(fake),
            field_points=field_points,
            field_push=trainer.g_loss_push(field_points, reference=fake) if with_layers else None,
            grid_x=gx,
            grid_y=gy,
            d_surface=surface,
            d_output=trainer.loss.output,
            latent_lines=self.latent_lines(trainer, trainer.config)
            if with_layers and trainer.config.noise_dim <= 2
            else None,
            modes=self.dataset.modes,
            sigma=self.dataset.sigma,
            metrics=self.evaluate(trainer, w1_points) if with_metrics else {},
        )

    def latent_lines(self, trainer, config, lines: int = 21, points: int = 60) -> np.ndarray:
        """G's image of a regular grid of latent lines (the warped 'manifold' view): (L, P, 2)."""
        r = 2.5 if config.noise == "gaussian" else 1.0  # ±2.5σ covers 98.8 % of a Gaussian coordinate
        t = torch.linspace(-r, r, points, device=self.device)
        if config.noise_dim == 1:
            z = t[None, :, None]
        else:
            offsets = torch.linspace(-r, r, lines, device=self.device)
            horizontal = torch.stack(torch.broadcast_tensors(t[None, :], offsets[:, None]), dim=-1)
            z = torch.cat([horizontal, horizontal.flip(-1)])  # lines of constant z2, then of constant z1
        with torch.no_grad(), eval_mode(trainer.sampler):
            out = trainer.sampler(z.reshape(-1, config.noise_dim))
        return out.reshape(z.shape[0], points, 2).double().cpu().numpy()
