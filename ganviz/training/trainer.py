"""The Trainer: one engine for headless runs, the CLI and the live app, for 2D points and digit images.

One iteration = k_D discriminator steps, then k_G generator steps. Settings that need no new
networks (losses, learning rates, optimisers, k steps, tricks) change between iterations with
`set_config`. Every `GUARD_EVERY` iterations a single host sync checks that losses and weights are
finite; when they are not, the run is rolled back to the exact last finite iteration and stops
with a `Divergence` report.

The steps themselves are written for a list of runs (the end of this file): a Trainer steps as a list
of one, and `train_runs` trains several side by side, each exactly as it would train alone, sharing
the networks' arithmetic where their shapes allow (the Compare page's races).
"""
from __future__ import annotations

import copy
import time
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch.func import functional_call
from torch.optim.adam import adam as adam_functional

from ganviz.config import CUSTOM_DATASET, ConfigError, GANConfig, is_image_dataset
from ganviz.data import get_dataset, points_dataset, sample_noise
from ganviz.data.images import ImageData, load_images, select_digits
from ganviz.training.history import HISTORY_KEYS, History
from ganviz.losses import get_loss, gradient_penalties, gradient_penalty, total_of
from ganviz.metrics.points import EVAL_SAMPLES, evaluate_samples
from ganviz.training import images as image_eval
from ganviz.models.image import build_image_networks
from ganviz.models.mlp import LayerBanks, build_networks, spectral_sigmas, stack_key, stacked_discriminate, stacked_generate
from ganviz.training.unrolled import differentiable_step, optimizer_state_by_name

POOL_SIZE = 65_536  # real points drawn once per run; minibatches index into them
GUARD_EVERY = 50  # iterations between finiteness checks (each check is one host sync)
DISPLAY_SAMPLES = 384  # real and fake (fixed-z) points drawn: enough to see the shape, cheap for the browser
GRID_SIZE = 100  # D is evaluated on GRID_SIZE x GRID_SIZE points
FIELD_SIZE = 21  # the whole-plane gradient field is drawn as FIELD_SIZE x FIELD_SIZE arrows
GRID_CHUNK = 512  # grid points per D forward: minibatch discrimination holds chunk x batch x 64 floats


class TrainingDiverged(RuntimeError):
    pass


@dataclass(frozen=True)
class Divergence:
    iteration: int  # the iteration that produced a non-finite value
    problem: str  # what became non-finite

    @property
    def message(self) -> str:
        return (f"training diverged at iteration {self.iteration}: {self.problem}. The run was rolled back "
                f"to iteration {self.iteration - 1}, its last finite state; lower the learning rates or "
                f"change the loss, then continue.")


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    available = {"cpu": True, "cuda": torch.cuda.is_available(),
                 "mps": bool(getattr(torch.backends, "mps", None) and torch.backends.mps.is_available())}
    if not available[name]:
        raise ConfigError("device", f"{name} is not available on this machine; use auto or cpu")
    return torch.device(name)


def make_optimizer(kind: str, params, lr: float, beta1: float, beta2: float, momentum: float):
    # Fused kernels update all parameters in one call (measured a little faster than foreach on CPU).
    if kind == "adam":
        return torch.optim.Adam(params, lr=lr, betas=(beta1, beta2), fused=True)
    if kind == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=momentum, fused=True)
    if kind == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, momentum=momentum, foreach=True)
    raise ValueError(f"unknown optimiser {kind!r}")


def _add_missing_momentum_buffers(optimizer, group) -> None:
    """RMSprop creates momentum buffers only on a first step taken with momentum > 0; a run that
    turns momentum on later needs them (zeros: the momentum starts from rest)."""
    if isinstance(optimizer, torch.optim.RMSprop) and group["momentum"] > 0:
        for p in group["params"]:
            state = optimizer.state.get(p)
            if state and "momentum_buffer" not in state:
                state["momentum_buffer"] = torch.zeros_like(p, memory_format=torch.preserve_format)


def square_extent(points: torch.Tensor, pad: float = 0.2) -> tuple[float, float, float, float]:
    """A square (xmin, xmax, ymin, ymax) around the points, padded by `pad` of its side."""
    lo, hi = points.min(0).values.tolist(), points.max(0).values.tolist()
    centre = [(a + b) / 2 for a, b in zip(lo, hi)]
    half = max(hi[0] - lo[0], hi[1] - lo[1], 1e-3) * (0.5 + pad)
    return (centre[0] - half, centre[0] + half, centre[1] - half, centre[1] + half)


@contextmanager
def eval_mode(*modules):
    """Evaluate without side effects: batch norm uses running stats, spectral norm skips its power step."""
    was = [m.training for m in modules]
    for m in modules:
        m.eval()
    try:
        yield
    finally:
        for m, w in zip(modules, was):
            m.train(w)


def synchronise(device: torch.device) -> None:
    """Wait for a GPU's queued work (before reading a clock); nothing to wait for on the CPU."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _set_grads(params, grads) -> None:
    for p, g in zip(params, grads):
        p.grad = g


@dataclass
class Snapshot:
    """Everything a plot needs, as plain numpy arrays (float64 unless noted)."""
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


class TimedTraining:
    """`run_for` for a trainer with `step(n)` and a `divergence` (None while it may go on)."""

    _seconds_per_iteration: float | None = None  # run_for's measurement (new settings: measured anew)

    def run_for(self, seconds: float) -> int:
        """Train for about `seconds` of wall time; returns iterations completed. Chunks are sized from
        the measured time per iteration, remembered across calls: many short calls (a live worker's)
        then train in chunks as long as one long call's, not one iteration at a time."""
        deadline, done = time.perf_counter() + seconds, 0
        while self.divergence is None:
            left = deadline - time.perf_counter()
            per_iteration = self._seconds_per_iteration
            chunk = 1 if per_iteration is None else int(max(1, min(GUARD_EVERY, left / per_iteration)))
            start = time.perf_counter()
            k = self.step(chunk)
            done += k
            if k:
                self._seconds_per_iteration = (time.perf_counter() - start) / k
            if deadline - time.perf_counter() <= 0 or k == 0:
                break
        return done


class Trainer(TimedTraining):
    def __init__(self, config: GANConfig | None = None, points: np.ndarray | None = None,
                 images: ImageData | None = None):
        """`points` (N, 2) is the user's data, required when config.dataset == "custom". For an image
        dataset (mnist, digits), `images` may hold it already loaded (default: `load_images`)."""
        cfg = self.config = config or GANConfig()
        self.device = resolve_device(cfg.device)
        self.loss = get_loss(cfg.loss)
        rng = np.random.default_rng(cfg.seed)
        self.is_image = is_image_dataset(cfg.dataset)
        self.pool_labels: torch.Tensor | None = None  # (N,) digit classes of an image pool
        if self.is_image:
            self.all_images = images or load_images(cfg.dataset)
            self.image_data = select_digits(self.all_images, cfg.digit_list(), cfg.digit_proportions(), rng)
            self.pool = torch.as_tensor(self.image_data.images, device=self.device)
            self.pool_labels = torch.as_tensor(self.image_data.labels, device=self.device)
            self.dataset = None
            # two disjoint real sets for the metrics: one to compare with, one for the real-vs-real floor
            order = rng.permutation(len(self.image_data.images))
            n = min(image_eval.IMAGE_EVAL_SAMPLES, len(order) // 2)
            self.eval_real_images = self.image_data.images[order[:n]]
            self.eval_reference_images = self.image_data.images[order[n:2 * n]]
        else:
            if cfg.dataset == CUSTOM_DATASET:
                if points is None:
                    raise ConfigError("dataset", "'custom' needs your points (e.g. from a CSV file)")
                self.dataset = points_dataset(points)
            else:
                self.dataset = get_dataset(cfg.dataset)
            self.pool = torch.as_tensor(self.dataset.sample(POOL_SIZE, rng), dtype=torch.float32, device=self.device)
            self.eval_real = self.dataset.sample(EVAL_SAMPLES, rng)
            self.eval_reference = self.dataset.sample(EVAL_SAMPLES, rng)  # a second real sample: the metrics' floor
            self.display_real = self.eval_real[:DISPLAY_SAMPLES]
            self.extent = square_extent(self.pool)

        with torch.random.fork_rng(devices=[]):  # initialisation draws from the global RNG: keep ours apart
            torch.manual_seed(cfg.seed)
            if self.is_image:
                self.G, self.D = build_image_networks(
                    cfg.image_model, noise_dim=cfg.noise_dim, image_size=self.image_data.image_size,
                    conditional=cfg.conditional, aux_classifier=cfg.acgan_weight > 0,
                    spectral_norm_d=cfg.spectral_norm_d, minibatch_features=cfg.minibatch_features)
            else:
                self.G, self.D = build_networks(cfg)
        self.G.to(self.device)
        self.D.to(self.device)
        self.g_params, self.d_params = list(self.G.parameters()), list(self.D.parameters())
        self.rng = torch.Generator(device=self.device).manual_seed(cfg.seed)
        self._draw_fixed_noise()
        self.reset_optimizers()
        self.ema_g = None
        self._sync_ema()

        self.iteration = 0  # completed iterations (k_D + k_G steps each)
        self.d_updates = 0  # D optimiser steps, counting single "step D" presses and pretraining
        self.g_updates = 0
        self._pretrained = False
        self.history = History()
        self.divergence: Divergence | None = None
        self.trace: dict | None = None  # when a dict, the next iteration records its first D and G step

    # --- construction helpers ---------------------------------------------------------------------

    def _optimizer(self, which: str):
        cfg = self.config
        params = self.d_params if which == "d" else self.g_params
        return make_optimizer(getattr(cfg, f"optimizer_{which}"), params, getattr(cfg, f"lr_{which}"),
                              getattr(cfg, f"beta1_{which}"), getattr(cfg, f"beta2_{which}"),
                              getattr(cfg, f"momentum_{which}"))

    def reset_optimizers(self) -> None:
        """Fresh optimisers with the current settings (no moments): after loading other weights."""
        self.opt_d = self._optimizer("d")
        self.opt_g = self._optimizer("g")

    def _draw_fixed_noise(self):
        """The z shown in plots and used for metrics: fixed, so motion on screen is G learning.
        Image runs also fix the classes those z are drawn with (cycling through the trained digits)."""
        cfg = self.config
        fixed = torch.Generator(device=self.device).manual_seed(cfg.seed + 1)
        self.fixed_z = sample_noise(DISPLAY_SAMPLES, cfg.noise_dim, cfg.noise, fixed, self.device)
        self.eval_z = sample_noise(EVAL_SAMPLES, cfg.noise_dim, cfg.noise, fixed, self.device)
        self.fixed_labels = self.eval_labels = None
        if self.is_image and cfg.conditional:
            digits = torch.as_tensor(cfg.digit_list(), device=self.device)
            self.fixed_labels = digits[torch.arange(DISPLAY_SAMPLES, device=self.device) % len(digits)]
            self.eval_labels = digits[torch.arange(EVAL_SAMPLES, device=self.device) % len(digits)]

    def _sync_ema(self):
        if self.config.ema > 0 and self.ema_g is None:
            self.ema_g = copy.deepcopy(self.G).requires_grad_(False)
        elif self.config.ema == 0:
            self.ema_g = None
        # what the average moves, listed once (module traversals cost more than the update itself)
        self._ema_params = [] if self.ema_g is None else list(self.ema_g.parameters())
        self._ema_buffers = [] if self.ema_g is None else list(zip(self.ema_g.buffers(), self.G.buffers()))

    # --- live settings ------------------------------------------------------------------------------

    def set_config(self, new: GANConfig) -> None:
        """Apply settings that need no new networks; raises ConfigError naming any that do."""
        rebuild = new.changes_needing_new_networks(self.config)
        if rebuild:
            raise ConfigError(rebuild[0], f"changing {', '.join(rebuild)} needs new networks: start a new run")
        old, self.config = self.config, new
        self._seconds_per_iteration = None
        self.loss = get_loss(new.loss)
        for which, opt_attr in (("d", "opt_d"), ("g", "opt_g")):
            if getattr(new, f"optimizer_{which}") != getattr(old, f"optimizer_{which}"):
                setattr(self, opt_attr, self._optimizer(which))  # a new optimiser starts with fresh moments
                continue
            for group in getattr(self, opt_attr).param_groups:
                group["lr"] = getattr(new, f"lr_{which}")
                if "betas" in group:
                    group["betas"] = (getattr(new, f"beta1_{which}"), getattr(new, f"beta2_{which}"))
                if "momentum" in group:
                    group["momentum"] = getattr(new, f"momentum_{which}")
                    _add_missing_momentum_buffers(getattr(self, opt_attr), group)
        if new.noise != old.noise:
            self._draw_fixed_noise()
        self._sync_ema()

    # --- one step of each network -----------------------------------------------------------------

    def _real_batch(self) -> tuple[torch.Tensor, torch.Tensor | None]:
        """A minibatch of real data and, for a conditional model, its classes (else None)."""
        idx = torch.randint(len(self.pool), (self.config.batch_size,), generator=self.rng, device=self.device)
        return self.pool[idx], self.pool_labels[idx] if self.conditional else None

    @property
    def conditional(self) -> bool:
        return self.is_image and self.config.conditional

    def _noise(self) -> torch.Tensor:
        cfg = self.config
        return sample_noise(cfg.batch_size, cfg.noise_dim, cfg.noise, self.rng, self.device)

    def _fake_labels(self) -> torch.Tensor | None:
        """Classes for G's samples: drawn like the data's, so each class is asked for as often as it occurs."""
        if not self.conditional:
            return None
        idx = torch.randint(len(self.pool), (self.config.batch_size,), generator=self.rng, device=self.device)
        return self.pool_labels[idx]

    def generate_with(self, net, z: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        """`net` (G or its EMA copy) on noise z (N, noise_dim), with classes (N,) when conditional."""
        return net(z) if labels is None else net(z, labels)

    def _discriminate(self, x: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        return self.D(x) if labels is None else self.D(x, labels)

    def instance_noise_std(self) -> float:
        cfg = self.config
        if cfg.instance_noise == 0:
            return 0.0
        if cfg.instance_noise_anneal == 0:
            return cfg.instance_noise
        return cfg.instance_noise * max(0.0, 1.0 - self.iteration / cfg.instance_noise_anneal)

    def _blur(self, x: torch.Tensor) -> torch.Tensor:
        std = self.instance_noise_std()
        if std == 0:
            return x
        return x + std * torch.randn(x.shape, generator=self.rng, device=self.device)

    def _real_target(self) -> float:
        return 1.0 - self.config.label_smoothing

    def _d_outputs(self, real: torch.Tensor, fake: torch.Tensor, labels: torch.Tensor | None = None
                   ) -> tuple[torch.Tensor, torch.Tensor]:
        """D on a real and a fake batch that share `labels` (conditional models)."""
        if self.D.batch_dependent:  # real and fake batches must not see each other's statistics
            return self._discriminate(real, labels), self._discriminate(fake, labels)
        both = None if labels is None else torch.cat([labels, labels])
        out = self._discriminate(torch.cat([real, fake]), both)
        return out[: len(real)], out[len(real):]

    def probability(self, raw: torch.Tensor) -> torch.Tensor:
        """D's display value from its raw outputs: P(real) = sigmoid(logit) for the probability losses,
        the raw score or critic value otherwise (`loss.output` names which)."""
        return torch.sigmoid(raw) if self.loss.output == "probability" else raw

    def _d_step(self) -> dict[str, torch.Tensor]:
        """One discriminator step; returns its statistics (see `_d_steps`)."""
        return _d_steps([self], ONE_BY_ONE)[0]

    def _g_step(self) -> dict[str, torch.Tensor]:
        """One generator step; returns its statistics (see `_g_steps`)."""
        return _g_steps([self], ONE_BY_ONE)[0]

    def _gradient_penalty(self, real: torch.Tensor, fake: torch.Tensor, labels: torch.Tensor | None = None
                          ) -> torch.Tensor:
        """losses.gradient_penalty through this run's D (with the samples' labels when conditional)."""
        return gradient_penalty(lambda x: self._discriminate(x, labels), real, fake, self.rng)

    def _extra_g_loss(self, fake: torch.Tensor) -> torch.Tensor:
        real = self._blur(self._real_batch()[0])
        if self.config.extra_g_loss == "feature-matching":  # Salimans et al. (2016): match D's mean features
            with torch.no_grad():
                target = self.D.features(real).mean(0)
            return (self.D.features(fake).mean(0) - target).pow(2).sum()
        # moment matching, independent of D: the data's mean and covariance (over all pixels for images)
        fake, real = fake.flatten(1), real.flatten(1)
        mean_gap = (fake.mean(0) - real.mean(0)).pow(2).sum()
        cov_gap = (torch.cov(fake.T) - torch.cov(real.T)).pow(2).sum()
        return mean_gap + cov_gap

    def _unrolled_d(self, fake_for_g: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """D's outputs on G's samples after `unrolled_steps` differentiable D updates (Metz et al.)."""
        cfg, loss = self.config, self.loss
        named = dict(self.D.named_parameters())
        params = {n: p.detach().requires_grad_(True) for n, p in named.items()}
        state = optimizer_state_by_name(self.opt_d, named)
        with eval_mode(self.D):  # no power-iteration side effects on D's buffers while looking ahead
            for _ in range(cfg.unrolled_steps):
                real, real_labels = self._real_batch()
                real = self._blur(real)
                # not detached: G sees how D would react
                fake = self._blur(self.generate_with(self.G, self._noise(), real_labels))
                d_real = functional_call(self.D, params, (real,) if real_labels is None else (real, real_labels))
                d_fake = functional_call(self.D, params, (fake,) if real_labels is None else (fake, real_labels))
                d_loss = loss.d_loss(d_real, d_fake, self._real_target())
                grads = torch.autograd.grad(d_loss, list(params.values()), create_graph=True)
                params, state = differentiable_step(cfg.optimizer_d, params, dict(zip(params, grads)), state,
                                                    cfg.lr_d, cfg.beta1_d, cfg.beta2_d, cfg.momentum_d)
            return functional_call(self.D, params, (fake_for_g,) if labels is None else (fake_for_g, labels))

    # --- guarded stepping -----------------------------------------------------------------------------

    def step(self, n: int = 1) -> int:
        """Train n iterations (fewer if training diverges). Returns the number completed."""
        return self._guarded(n, _iterations, record=True)

    def step_d(self, n: int = 1) -> int:
        """n discriminator steps only, outside the iteration count (for stepping through by hand)."""
        return self._guarded(n, _d_steps, record=False)

    def step_g(self, n: int = 1) -> int:
        """n generator steps only, outside the iteration count."""
        return self._guarded(n, _g_steps, record=False)

    def _guarded(self, n: int, steps, record: bool) -> int:
        if self.divergence is not None:
            raise TrainingDiverged(self.divergence.message + " Call resume() to continue.")
        return _train_together([self], n, steps, record, ONE_BY_ONE)[0]

    def _record(self, stats: list[dict[str, torch.Tensor]]) -> None:
        """Append one history row per iteration's stats (one device-to-host copy for all of them)."""
        self.history.append(torch.stack([torch.stack([s[k] for k in HISTORY_KEYS]) for s in stats])
                            .double().cpu().numpy())

    @property
    def can_train(self) -> bool:
        return self.divergence is None

    def resume(self) -> None:
        """Clear a divergence report so training can continue (after changing settings, say)."""
        self.divergence = None

    def _all_finite(self, stats: list[dict[str, torch.Tensor]]) -> bool:
        values = torch.stack([v for s in stats for v in s.values()])
        norms = torch.stack(torch._foreach_norm(self.g_params + self.d_params))
        return bool(torch.isfinite(values).all() & torch.isfinite(norms).all())  # the chunk's one host sync

    def _find_problem(self, stats: dict[str, torch.Tensor]) -> str | None:
        bad = [f"{k} is {'NaN' if torch.isnan(v) else 'infinite'}" for k, v in stats.items() if not torch.isfinite(v)]
        if bad:
            return ", ".join(bad)
        for net_name, net in (("G", self.G), ("D", self.D)):
            for name, p in net.named_parameters():
                if not torch.isfinite(p).all():
                    return f"{net_name}'s weight {name} holds non-finite values"
        return None

    def get_state(self) -> dict:
        """A deep copy of everything training depends on (networks, EMA copy, optimiser moments, RNG,
        counters): `set_state` of it resumes the run exactly as if it had never moved on."""
        return self._capture()

    def set_state(self, state: dict, divergence: Divergence | None = None) -> None:
        """Resume from a state taken by `get_state` (time travel): later history is forgotten. The run
        then may train on, unless `divergence` says it had diverged there (a live worker's report)."""
        self._restore({k: copy.deepcopy(v) if k in ("opt_d", "opt_g") else v for k, v in state.items()})
        self.history.truncate(self.iteration)
        self.divergence = divergence

    def _capture(self) -> dict:
        def clone(state):
            return {k: v.clone() for k, v in state.items()}
        return {
            "G": clone(self.G.state_dict()), "D": clone(self.D.state_dict()),
            "ema": clone(self.ema_g.state_dict()) if self.ema_g is not None else None,
            "opt_d": copy.deepcopy(self.opt_d.state_dict()), "opt_g": copy.deepcopy(self.opt_g.state_dict()),
            "rng": self.rng.get_state(),
            "counters": (self.iteration, self.d_updates, self.g_updates, self._pretrained),
        }

    def _restore(self, saved: dict) -> None:
        self.G.load_state_dict(saved["G"])
        self.D.load_state_dict(saved["D"])
        if saved["ema"] is not None and self.ema_g is not None:
            self.ema_g.load_state_dict(saved["ema"])
        elif self.ema_g is not None:  # the state predates EMA being switched on: start it from G
            self.ema_g.load_state_dict(self.G.state_dict())
        self.opt_d.load_state_dict(saved["opt_d"])
        self.opt_g.load_state_dict(saved["opt_g"])
        self.rng.set_state(saved["rng"])
        self.iteration, self.d_updates, self.g_updates, self._pretrained = saved["counters"]

    # --- looking at the run ------------------------------------------------------------------------------

    @property
    def sampler(self) -> torch.nn.Module:
        """The generator used for pictures and metrics: the EMA copy when EMA is on."""
        return self.ema_g if self.ema_g is not None else self.G

    def spectral_sigmas(self) -> dict[str, list[float]]:
        """Current power-iteration estimates of each spectrally normalised layer's largest singular
        value (of the raw weight), per network; empty lists where spectral norm is off."""
        return {"G": spectral_sigmas(self.G), "D": spectral_sigmas(self.D)}

    def sample(self, z: torch.Tensor | None = None) -> np.ndarray:
        """G(z) as an (N, 2) float64 array; default z: the run's fixed EVAL_SAMPLES evaluation noise."""
        with torch.no_grad(), eval_mode(self.sampler):
            return self.sampler(self.eval_z if z is None else z.to(self.device)).double().cpu().numpy()

    def discriminate(self, points: np.ndarray, reference: np.ndarray | None = None) -> np.ndarray:
        """D's display value (probability, score or critic value) at points (N, 2) -> (N,).
        Batch-dependent D's compare each point with `reference` (default: G's fixed-z samples)."""
        x = torch.as_tensor(points, dtype=torch.float32, device=self.device)
        with torch.no_grad(), eval_mode(self.D, self.sampler):
            ref = None
            if self.D.batch_dependent:
                ref = self.sampler(self.fixed_z) if reference is None else torch.as_tensor(
                    reference, dtype=torch.float32, device=self.device)
            out = torch.cat([self.D(c, ref) for c in x.split(GRID_CHUNK)])
            return self.probability(out).double().cpu().numpy()

    def g_loss_push(self, points, reference: torch.Tensor | None = None) -> np.ndarray:
        """-∇ₓ of G's loss for a fake sample at each of `points` (N, 2): where G's loss moves it.
        Batch-dependent D's see `reference` as the batch (default: the points themselves)."""
        x = torch.as_tensor(points, dtype=torch.float32, device=self.device).detach().clone().requires_grad_(True)
        with eval_mode(self.D):
            ref = reference if self.D.batch_dependent else None
            # The loss is a mean over points: scale by N to get each point's own gradient.
            g_loss = self.loss.g_loss(self.D(x, ref)) * len(x)
            (grad,) = torch.autograd.grad(g_loss, x)
        return (-grad).double().cpu().numpy()

    def evaluate(self, w1_points: int = 1000) -> dict:
        """Metrics on EVAL_SAMPLES generated points (the literature's protocol) against real data.
        Exact W1 uses at most `w1_points` of each (1,000: ~0.1 s; the live view uses fewer).
        Image runs: the classifier-judged metrics of `image_eval.evaluate`."""
        if self.is_image:
            return image_eval.evaluate(self)
        fake = self.sample()
        ds = self.dataset
        metrics = evaluate_samples(fake, self.eval_real, self.eval_reference, modes=ds.modes, sigma=ds.sigma,
                                   weights=ds.weights, rng=np.random.default_rng(0), w1_points=w1_points)
        metrics["critic_estimate"] = None
        if self.loss.output == "critic":  # the critic's own W1 estimate E[f(x)] - E[f(G(z))]
            real_t, fake_t = (torch.as_tensor(a, dtype=torch.float32, device=self.device) for a in (self.eval_real, fake))
            with torch.no_grad(), eval_mode(self.D):
                f_real, f_fake = self._d_outputs(real_t, fake_t)
            metrics["critic_estimate"] = float(f_real.mean() - f_fake.mean())
        return metrics

    def snapshot(self, with_metrics: bool = True, grid_size: int = GRID_SIZE, w1_points: int = 1000,
                 with_layers: bool = True):
        """A `Snapshot` of a 2D run (an `image_eval.ImageSnapshot` of an image run). `with_layers`
        False skips the whole-plane gradient field and the latent grid (~35 % of a snapshot's cost),
        for a live view that does not show them."""
        if self.is_image:
            return image_eval.snapshot(self, with_metrics)
        cfg = self.config
        with torch.no_grad(), eval_mode(self.sampler):
            fake = self.sampler(self.fixed_z)
        xmin, xmax, ymin, ymax = self.extent
        field_points = None
        if with_layers:
            fx, fy = np.linspace(xmin, xmax, FIELD_SIZE), np.linspace(ymin, ymax, FIELD_SIZE)
            field_points = np.stack(np.meshgrid(fx, fy), axis=-1).reshape(-1, 2)
        gx, gy = np.linspace(xmin, xmax, grid_size), np.linspace(ymin, ymax, grid_size)
        grid = np.stack(np.meshgrid(gx, gy), axis=-1).reshape(-1, 2)
        surface = self.discriminate(grid, reference=fake.detach().cpu().numpy()).reshape(grid_size, grid_size)
        return Snapshot(
            iteration=self.iteration, extent=self.extent, real=self.display_real,
            fake=fake.double().cpu().numpy(), fake_push=self.g_loss_push(fake),
            field_points=field_points,
            field_push=self.g_loss_push(field_points, reference=fake) if with_layers else None,
            grid_x=gx, grid_y=gy, d_surface=surface, d_output=self.loss.output,
            latent_lines=self._latent_lines() if with_layers and cfg.noise_dim <= 2 else None,
            modes=self.dataset.modes, sigma=self.dataset.sigma,
            metrics=self.evaluate(w1_points) if with_metrics else {},
        )

    def _latent_lines(self, lines: int = 21, points: int = 60) -> np.ndarray:
        """G's image of a regular grid of latent lines (the warped 'manifold' view): (L, P, 2)."""
        cfg = self.config
        r = 2.5 if cfg.noise == "gaussian" else 1.0  # ±2.5σ covers 98.8 % of a Gaussian coordinate
        t = torch.linspace(-r, r, points, device=self.device)
        if cfg.noise_dim == 1:
            z = t[None, :, None]
        else:
            offsets = torch.linspace(-r, r, lines, device=self.device)
            horizontal = torch.stack(torch.broadcast_tensors(t[None, :], offsets[:, None]), dim=-1)
            z = torch.cat([horizontal, horizontal.flip(-1)])  # lines of constant z2, then of constant z1
        with torch.no_grad(), eval_mode(self.sampler):
            out = self.sampler(z.reshape(-1, cfg.noise_dim))
        return out.reshape(z.shape[0], points, 2).double().cpu().numpy()


# --- training steps, for one run or several at once -----------------------------------------------------
#
# Each function below takes a list of runs and trains every one of them by one step, exactly as the
# run would step alone: each draws its own batches from its own random generator, in its own order,
# and applies its own loss, penalties, optimiser and tricks. Only arithmetic is shared, in two ways:
# - `nets` evaluates all the runs' generators (or discriminators) for a stage, one by one
#   (`ONE_BY_ONE`, any runs) or as one stack of weights (`_Stacked`, runs that share a `nets.stack_key`);
# - a *part* (consecutive runs whose loss settings match: equal `_d_key` or `_g_key`) computes its
#   losses, penalties and statistics as one tensor program over a leading run axis, so a stage costs
#   the same few operations for one run or four.
# Runs never mix: a run's gradients depend on its own losses only.
#
# A stage's values for the runs are *per-run values*: a list (one tensor per run) from ONE_BY_ONE, or
# one tensor whose leading axis is the run from `_Stacked`. `values[i]` is run i's, either way.


def _stack(values) -> torch.Tensor:
    """Per-run values as one tensor with a leading run axis."""
    return values if isinstance(values, torch.Tensor) else torch.stack(values)


def _part_of(values, part: slice = slice(None)) -> torch.Tensor:
    """The values of the runs in `part` as one tensor (R', ...) with a run axis, except a lone run's from
    a list: its own tensor. The losses reduce over the batch (last) axis only, so either works."""
    if isinstance(values, torch.Tensor):
        return values[part]
    chosen = values[part]
    return chosen[0] if len(chosen) == 1 else torch.stack(chosen)


def _per_run(value: torch.Tensor) -> list[torch.Tensor]:
    """A part's statistic, (R',) or a lone run's scalar, as one scalar per run."""
    return list(value.unbind(0)) if value.dim() else [value]


VECTOR_BATCH = 32  # batch sizes whose runs share a part on the CPU (see `_shape_key`)


def _shape_key(t: Trainer) -> tuple:
    """Runs' values stack when they hold the same kind of data and batch size. On the CPU, only batches of a
    multiple of VECTOR_BATCH samples share a part: an elementwise kernel (softplus, sigmoid) runs its
    vector loop over blocks of twice the vector width (32 floats with AVX-512) and rounds the rest one by
    one, so a run's last B mod 32 outputs would round differently in a part's long (R', B) row than in
    its own (B,) one, and the run would drift from its lone twin."""
    alone = t.device.type == "cpu" and t.config.batch_size % VECTOR_BATCH != 0
    return (t.is_image, t.config.batch_size, id(t) if alone else 0)


def _d_key(t: Trainer) -> tuple:
    """Runs with equal keys compute their D losses, penalties and statistics together."""
    cfg = t.config
    return (*_shape_key(t), cfg.loss, cfg.label_smoothing,
            cfg.gp_weight if t.loss.gradient_penalty else 0.0, cfg.r1_weight, cfg.acgan_weight)


def _g_key(t: Trainer) -> tuple:
    """Runs with equal keys compute their G losses and statistics together."""
    cfg = t.config
    extra = cfg.extra_g_loss if cfg.extra_g_weight > 0 else "none"
    return (*_shape_key(t), cfg.unrolled_steps > 0, cfg.loss, extra, cfg.extra_g_weight, cfg.acgan_weight)


def _run_order(runs: list[Trainer]) -> list[int]:
    """An order of the runs in which equal keys are neighbours (so that parts are slices), and runs whose
    G looks ahead at an unrolled D come last (the others' D outputs then come from one evaluation)."""
    return sorted(range(len(runs)), key=lambda i: (runs[i].config.unrolled_steps > 0, _d_key(runs[i]),
                                                   _g_key(runs[i])))


def _parts(runs: list[Trainer], key) -> list[slice]:
    """The runs as slices of neighbours with equal key(run)."""
    parts, start = [], 0
    for i in range(1, len(runs) + 1):
        if i == len(runs) or key(runs[i]) != key(runs[start]):
            parts.append(slice(start, i))
            start = i
    return parts


def _blurred(runs: list[Trainer], xs):
    """Each run's samples with its instance noise added (the per-run values unchanged when no run adds any)."""
    if all(t.instance_noise_std() == 0 for t in runs):
        return xs
    return [t._blur(xs[i]) for i, t in enumerate(runs)]


class _OneByOne:
    """Each run's own networks, one after another (any networks, 2D or images)."""

    @staticmethod
    def inputs(xs: list[torch.Tensor]) -> list[torch.Tensor]:
        return list(xs)

    @staticmethod
    def generate(runs, zs, labels) -> list[torch.Tensor]:
        return [t.generate_with(t.G, z, y) for t, z, y in zip(runs, zs, labels)]

    @staticmethod
    def discriminate(runs, xs, labels) -> list[torch.Tensor]:
        return [t._discriminate(xs[i], y) for i, (t, y) in enumerate(zip(runs, labels))]

    @staticmethod
    def d_outputs(runs, reals, fakes, labels) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        outputs = [t._d_outputs(reals[i], fakes[i], y) for i, (t, y) in enumerate(zip(runs, labels))]
        return [o[0] for o in outputs], [o[1] for o in outputs]

    @staticmethod
    def gradients(total: torch.Tensor, wrt: list[list[torch.Tensor]]) -> list[list[torch.Tensor]]:
        """Gradients of `total` (the sum of every run's loss) with respect to each run's own tensors wrt[i],
        from one backward pass."""
        # Contiguous: a linear layer's weight gradient arrives transposed (it is the gradient of the weight's
        # transpose), and the fused optimisers read a gradient as flat memory in its parameter's layout,
        # silently misreading it (torch 2.13).
        flat = [g.contiguous() for g in torch.autograd.grad(total, [x for xs in wrt for x in xs])]
        out, start = [], 0
        for xs in wrt:
            out.append(list(flat[start:start + len(xs)]))
            start += len(xs)
        return out


class _Stacked:
    """The runs' networks as one stack (2D points, equal `nets.stack_key`): one batched product per layer
    for all runs, reading the layers' weights from banks (`nets.LayerBanks`) that the runs' parameters are
    views of while they train together. Any subset of the runs can step through it."""

    def __init__(self, runs: list[Trainer]):
        # an unrolled D's look-ahead runs a lone G whose gradient G's optimiser needs: such a G stays unbanked
        unrolled = any(t.config.unrolled_steps > 0 for t in runs)
        self.banks = LayerBanks([[t.D] if unrolled else [t.G, t.D] for t in runs])

    inputs = staticmethod(_stack)

    def generate(self, runs, zs, labels) -> torch.Tensor:
        return stacked_generate([t.G for t in runs], torch.stack(zs), self.banks)

    def discriminate(self, runs, xs, labels) -> torch.Tensor:
        return stacked_discriminate([t.D for t in runs], _stack(xs), self.banks)

    def d_outputs(self, runs, reals, fakes, labels) -> tuple[torch.Tensor, torch.Tensor]:
        if runs[0].D.batch_dependent:  # real and fake batches must not see each other's statistics
            return self.discriminate(runs, reals, labels), self.discriminate(runs, fakes, labels)
        reals = _stack(reals)
        out = stacked_discriminate([t.D for t in runs], torch.cat([reals, _stack(fakes)], dim=1), self.banks)
        return out[:, :reals.shape[1]], out[:, reals.shape[1]:]

    def gradients(self, total: torch.Tensor, wrt: list[list[torch.Tensor]]) -> list[list[torch.Tensor]]:
        """As `_OneByOne.gradients`; a banked parameter's gradient is its row of its bank's gradient."""
        sources, where, plans = [], {}, []
        for xs in wrt:
            plan = []
            for x in xs:
                source, row = self.banks.rows_of(x) or (x, None)
                if id(source) not in where:
                    where[id(source)] = len(sources)
                    sources.append(source)
                plan.append((where[id(source)], row))
            plans.append(plan)
        grads = [g.contiguous() for g in torch.autograd.grad(total, sources)]  # contiguous: see _OneByOne
        return [[grads[k] if row is None else grads[k][row] for k, row in plan] for plan in plans]


ONE_BY_ONE = _OneByOne()


def _sum_of_parts(part_totals: list[torch.Tensor]) -> torch.Tensor:
    """The sum of every run's loss, each part's given as (R',) or a lone run's scalar."""
    return total_of([total.sum() if total.dim() else total for total in part_totals])


def _global_norms(grads_by_run: list[list[torch.Tensor]]) -> list[torch.Tensor]:
    """Each run's gradient norm over all its parameters together (one scalar per run)."""
    norms = torch._foreach_norm([g for grads in grads_by_run for g in grads])
    if len(grads_by_run) > 1 and len({len(grads) for grads in grads_by_run}) == 1:
        return _per_run(torch.linalg.vector_norm(torch.stack(norms).view(len(grads_by_run), -1), dim=1))
    out, start = [], 0
    for grads in grads_by_run:
        out.append(torch.linalg.vector_norm(torch.stack(norms[start:start + len(grads)])))
        start += len(grads)
    return out


def _step_optimizers(optimizers: list[torch.optim.Optimizer]) -> None:
    """Each optimiser's step on the gradients its parameters hold. Fused Adam optimisers with the same
    settings step together: one call of torch's functional Adam over all their parameters, each with
    its own moments and step count (the same element-wise arithmetic, one kernel launch instead of one
    per run). An optimiser steps alone on its first step (which creates its state) or when it is alone."""
    together: dict[tuple, list] = {}
    for opt in optimizers:
        group = opt.param_groups[0]
        if (len(optimizers) > 1 and isinstance(opt, torch.optim.Adam) and len(opt.param_groups) == 1
                and group["fused"] and not group["amsgrad"] and all(opt.state.get(p) for p in group["params"])):
            key = (group["lr"], group["betas"], group["eps"], group["weight_decay"], group["maximize"],
                   group["decoupled_weight_decay"], group["capturable"])
            together.setdefault(key, []).append(opt)
        else:
            opt.step()
    for (lr, (beta1, beta2), eps, weight_decay, maximize, decoupled, capturable), opts in together.items():
        if len(opts) == 1:
            opts[0].step()
            continue
        params = [p for opt in opts for p in opt.param_groups[0]["params"]]
        states = [opt.state[p] for opt in opts for p in opt.param_groups[0]["params"]]
        with torch.no_grad():
            adam_functional(params, [p.grad for p in params], [s["exp_avg"] for s in states],
                            [s["exp_avg_sq"] for s in states], [], [s["step"] for s in states], fused=True,
                            capturable=capturable, differentiable=False, foreach=None, grad_scale=None,
                            found_inf=None, has_complex=False, decoupled_weight_decay=decoupled, amsgrad=False,
                            beta1=beta1, beta2=beta2, lr=lr, weight_decay=weight_decay, eps=eps, maximize=maximize)


def _update_d(runs: list[Trainer], grads_by_run: list[list[torch.Tensor]]) -> None:
    """Each run's D optimiser step on its gradients, then WGAN's weight clipping."""
    for t, grads in zip(runs, grads_by_run):
        _set_grads(t.d_params, grads)
    _step_optimizers([t.opt_d for t in runs])
    for t in runs:
        if t.loss.clip_weights:
            with torch.no_grad():
                torch._foreach_clamp_min_(t.d_params, -t.config.clip)
                torch._foreach_clamp_max_(t.d_params, t.config.clip)
        t.d_updates += 1


def _update_g(runs: list[Trainer], grads_by_run: list[list[torch.Tensor]]) -> None:
    """Each run's G optimiser step on its gradients, then its EMA copy follows G (runs whose averages
    move by the same decay move in one call)."""
    for t, grads in zip(runs, grads_by_run):
        _set_grads(t.g_params, grads)
    _step_optimizers([t.opt_g for t in runs])
    by_decay: dict[float, list[Trainer]] = {}
    for t in runs:
        if t.ema_g is not None:
            # Warm-up (as in TensorFlow's moving averages): early on, the average must not cling to
            # the random initialisation for the ~1/(1-decay) steps a fixed decay would take.
            by_decay.setdefault(min(t.config.ema, (1 + t.g_updates) / (10 + t.g_updates)), []).append(t)
        t.g_updates += 1
    with torch.no_grad():
        for decay, following in by_decay.items():
            torch._foreach_lerp_([p for t in following for p in t._ema_params],
                                 [p for t in following for p in t.g_params], 1.0 - decay)
            for t in following:
                for b_ema, b in t._ema_buffers:
                    b_ema.copy_(b)


def _d_steps(runs: list[Trainer], nets) -> list[dict[str, torch.Tensor]]:
    """One discriminator step of each run; returns each run's statistics."""
    batches = [t._real_batch() for t in runs]
    zs = [t._noise() for t in runs]
    labels = [y for _, y in batches]
    reals = _blurred(runs, [x for x, _ in batches])
    with torch.no_grad():  # a conditional G draws the same classes as the real batch
        fakes = _blurred(runs, nets.generate(runs, zs, labels))
    sample_dims = reals[0].dim() - 1  # the axes of one sample (after the run and batch axes)
    reals = nets.inputs(reals)
    # R1 takes D's gradient at the real samples: the stacked reals, or each R1 run's own
    r1 = [i for i, t in enumerate(runs) if t.config.r1_weight > 0]
    r1_inputs = [] if not r1 else [reals] if isinstance(reals, torch.Tensor) else [reals[i] for i in r1]
    for x in r1_inputs:
        x.requires_grad_(True)
    d_reals, d_fakes = nets.d_outputs(runs, reals, fakes, labels)
    parts = _parts(runs, _d_key)

    gp = [i for i, t in enumerate(runs) if t.loss.gradient_penalty and t.config.gp_weight > 0]
    penalties: list = [None] * len(runs)
    if gp:  # one evaluation of D for every run's interpolates
        penalties_gp = gradient_penalties(
            lambda xs: nets.discriminate([runs[i] for i in gp], xs, [labels[i] for i in gp]),
            [reals[i].detach() for i in gp], [fakes[i] for i in gp], [runs[i].rng for i in gp])
        for i, penalty in zip(gp, penalties_gp):
            penalties[i] = penalty
    grads_real: list | torch.Tensor = [None] * len(runs)
    if r1_inputs:  # each R1 run's D gradients at its real samples, from one backward pass
        r1_outputs = [_part_of(d_reals, part).sum() for part in parts if runs[part.start].config.r1_weight > 0]
        grads = torch.autograd.grad(total_of(r1_outputs), r1_inputs, create_graph=True)
        if isinstance(reals, torch.Tensor):
            grads_real = grads[0]
        else:
            for i, grad in zip(r1, grads):
                grads_real[i] = grad

    part_totals, part_outputs = [], []
    for part in parts:
        t, cfg = runs[part.start], runs[part.start].config
        d_real, d_fake = _part_of(d_reals, part), _part_of(d_fakes, part)
        total = t.loss.d_loss(d_real, d_fake, t._real_target())
        if part.start in gp:
            total = total + cfg.gp_weight * _part_of(penalties, part)
        if cfg.r1_weight > 0:
            grad = _part_of(grads_real, part)
            grad = grad.flatten(-sample_dims) if sample_dims > 1 else grad
            total = total + cfg.r1_weight / 2 * grad.pow(2).sum(-1).mean(-1)
        if cfg.acgan_weight > 0:  # ACGAN: D also learns to name the class of real and fake samples
            total = total + cfg.acgan_weight * _part_of([
                F.cross_entropy(runs[i].D.classify(reals[i]), labels[i])
                + F.cross_entropy(runs[i].D.classify(fakes[i]), labels[i]) for i in range(part.start, part.stop)])
        part_totals.append(total)
        part_outputs.append((d_real.detach(), d_fake.detach()))
    totals = [total for part_total in part_totals for total in _per_run(part_total)]
    grads_by_run = nets.gradients(_sum_of_parts(part_totals), [t.d_params for t in runs])
    for i, t in enumerate(runs):
        if t.trace is not None and "d_loss" not in t.trace:
            t.trace.update(z=zs[i], real=reals[i].detach(), fake=fakes[i].detach(),
                           d_real=t.probability(d_reals[i].detach()), d_fake=t.probability(d_fakes[i].detach()),
                           d_loss=totals[i].detach())
    _update_d(runs, grads_by_run)

    stats = [{"loss_d": total.detach(), "grad_norm_d": norm} for total, norm in zip(totals, _global_norms(grads_by_run))]
    for part, (d_real, d_fake) in zip(parts, part_outputs):
        t = runs[part.start]
        real_mean, fake_mean = d_real.mean(-1), d_fake.mean(-1)
        probability = t.loss.output == "probability"  # else D's display value is its raw output
        part_stats = {"d_real": t.probability(d_real).mean(-1) if probability else real_mean,
                      "d_fake": t.probability(d_fake).mean(-1) if probability else fake_mean,
                      "critic_gap": real_mean - fake_mean}
        for key, value in part_stats.items():
            for s, v in zip(stats[part], _per_run(value)):
                s[key] = v
    return stats


def _g_steps(runs: list[Trainer], nets) -> list[dict[str, torch.Tensor]]:
    """One generator step of each run; returns each run's statistics."""
    labels = [t._fake_labels() for t in runs]
    zs = [t._noise() for t in runs]
    fakes = _blurred(runs, nets.generate(runs, zs, labels))
    n_plain = sum(t.config.unrolled_steps == 0 for t in runs)  # the first runs (see `_run_order`)
    assert all(t.config.unrolled_steps == 0 for t in runs[:n_plain]), "runs must be in `_run_order`"
    d_plain = nets.discriminate(runs[:n_plain], fakes[:n_plain], labels[:n_plain]) if n_plain else []
    d_unrolled = {i: runs[i]._unrolled_d(fakes[i], labels[i]) for i in range(n_plain, len(runs))}

    parts = _parts(runs, _g_key)
    part_totals = []
    for part in parts:
        t, cfg = runs[part.start], runs[part.start].config
        each = range(part.start, part.stop)
        d_fake = _part_of([d_unrolled[i] for i in each]) if cfg.unrolled_steps > 0 else _part_of(d_plain, part)
        total = t.loss.g_loss(d_fake)
        if cfg.extra_g_loss != "none" and cfg.extra_g_weight > 0:
            total = total + cfg.extra_g_weight * _part_of([runs[i]._extra_g_loss(fakes[i]) for i in each])
        if cfg.acgan_weight > 0:  # ACGAN: G is also rewarded when D names the class it was asked for
            total = total + cfg.acgan_weight * _part_of([F.cross_entropy(runs[i].D.classify(fakes[i]), labels[i])
                                                        for i in each])
        part_totals.append(total)
    totals = [total for part_total in part_totals for total in _per_run(part_total)]
    # D's parameters get no gradient here; a traced step also takes the gradient at each fake
    traced = [i for i, t in enumerate(runs) if t.trace is not None and "g_loss" not in t.trace]
    at_fakes = [] if not traced else [fakes] if isinstance(fakes, torch.Tensor) else [fakes[i] for i in traced]
    *grads_by_run, grads_at_fakes = nets.gradients(_sum_of_parts(part_totals),
                                                  [t.g_params for t in runs] + [at_fakes])
    for j, i in enumerate(traced):
        t, fake = runs[i], fakes[i]
        fake_grad = grads_at_fakes[0][i] if isinstance(fakes, torch.Tensor) else grads_at_fakes[j]
        d_fake = d_plain[i] if i < n_plain else d_unrolled[i]
        # The loss is a mean over the batch: scale by B for each point's own gradient.
        t.trace.update(g_fake=fake.detach(), g_d_fake=t.probability(d_fake.detach()), g_loss=totals[i].detach(),
                       g_push=-fake_grad * len(fake))
    _update_g(runs, grads_by_run)
    return [{"loss_g": total.detach(), "grad_norm_g": norm} for total, norm in zip(totals, _global_norms(grads_by_run))]


def _each_run_steps(steps, runs: list[Trainer], counts: list[int], nets, stats: list[dict]) -> None:
    """counts[i] steps of run i (`steps` is `_d_steps` or `_g_steps`): in each round, the runs with steps
    left take them together. stats[i] ends with run i's last step's statistics."""
    for round_ in range(max(counts)):
        taking = [i for i, count in enumerate(counts) if count > round_]
        for i, s in zip(taking, steps([runs[i] for i in taking], nets)):
            stats[i].update(s)


def _iterations(runs: list[Trainer], nets) -> list[dict[str, torch.Tensor]]:
    """One iteration of each run: its D pre-training steps if it has not pre-trained yet, k_D
    discriminator steps, then k_G generator steps. Returns each run's history statistics."""
    d_counts = [(0 if t._pretrained else t.config.pretrain_d) + t.config.d_steps for t in runs]
    for t in runs:
        t._pretrained = True
    stats: list[dict] = [{} for _ in runs]
    _each_run_steps(_d_steps, runs, d_counts, nets, stats)
    for t in runs:
        if t.trace is not None and "after_d" not in t.trace:
            t.trace["after_d"] = t.snapshot(with_metrics=False)
    _each_run_steps(_g_steps, runs, [t.config.g_steps for t in runs], nets, stats)
    for t in runs:
        t.iteration += 1
    return stats


def _train_together(runs: list[Trainer], n: int, steps, record: bool, nets) -> list[int]:
    """n steps of each run (`steps`: `_iterations`, or `_d_steps` / `_g_steps` alone), in chunks of
    GUARD_EVERY with one finiteness check per run and chunk. A run whose chunk went non-finite is
    rolled back and replayed alone, one step at a time, to stop exactly at its last finite state
    (its `divergence` says where); the other runs go on. Returns the steps each run completed."""
    order = _run_order(runs)
    runs = [runs[i] for i in order]
    done = [0] * len(runs)
    going = list(range(len(runs)))
    while going and done[going[0]] < n:
        chunk = min(GUARD_EVERY, n - done[going[0]])
        together = [runs[i] for i in going]
        saved = [t._capture() for t in together]
        stats = [steps(together, nets) for _ in range(chunk)]
        for j, i in enumerate(going):
            t, run_stats = runs[i], [s[j] for s in stats]
            if t._all_finite(run_stats):
                if record:
                    t._record(run_stats)
                done[i] += chunk
            else:
                t._restore(saved[j])
                done[i] += _replay_to_divergence(t, chunk, steps, record, nets)
        going = [i for i in going if runs[i].divergence is None]
    return [done[order.index(i)] for i in range(len(runs))]


def _replay_to_divergence(t: Trainer, chunk: int, steps, record: bool, nets) -> int:
    """Something in the last chunk became non-finite: replay it one step at a time to find exactly where.
    Returns the steps completed before it."""
    for completed in range(chunk):
        saved = t._capture()
        s = steps([t], nets)[0]
        problem = t._find_problem(s)
        if problem:
            t._restore(saved)
            t.divergence = Divergence(t.iteration + 1 if record else t.iteration, problem)
            return completed
        if record:
            t._record([s])
    return chunk


def train_runs(runs: list[Trainer], n: int, stacked: bool = False) -> list[int]:
    """Train each of `runs` n iterations, side by side, each exactly as it would train alone (with
    `stacked`, to float rounding); fewer for a run that diverges, which then stops at its last finite
    state. Returns the iterations each run completed.

    stacked: evaluate the runs' networks as one stack of weights, one batched product per layer for
    all runs (the runs must be 2D and share `nets.stack_key`); otherwise each run's networks are
    evaluated on their own, one after another."""
    for t in runs:
        if t.divergence is not None:
            raise TrainingDiverged(t.divergence.message + " Call resume() to continue.")
    if stacked and (any(t.is_image for t in runs) or len({stack_key(t.config) for t in runs}) != 1):
        raise ValueError("stacked runs must be 2D runs with equal nets.stack_key")
    return _train_together(runs, n, _iterations, True, _Stacked(runs) if stacked else ONE_BY_ONE)
