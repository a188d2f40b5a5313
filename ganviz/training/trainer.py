"""The Trainer: one GAN run, for 2D points or digit images, headless, in the CLI or behind the app.

One iteration is the lectures' algorithm:

    for k_D steps:  (1) update D on a real minibatch and a fake one G(z)
    for k_G steps:  (2) update G on a fresh fake minibatch, through D

`d_step` and `g_step` below are those two updates, with the loss, penalties and tricks as small named
functions. Settings that need no new networks (losses, learning rates, optimisers, k steps, tricks)
change between iterations with `set_config`. Training runs in guarded chunks (`guard.py`): a run that
goes non-finite stops at its last finite state with a `divergence` report. Observers (slow motion,
benchmarks, the app) register callbacks (`hooks.py`) instead of being threaded through the steps.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from ganviz.config import ConfigError, GANConfig
from ganviz.data.noise import sample_noise
from ganviz.losses import get_loss, gradient_penalty, r1_penalty
from ganviz.models.spectral import spectral_sigmas
from ganviz.training import guard, optim
from ganviz.training.guard import Divergence
from ganviz.training.history import History
from ganviz.training.hooks import Callbacks, DStep, GStep
from ganviz.training.images import ImageDomain
from ganviz.training.points import PointsDomain
from ganviz.training.runtime import eval_mode, resolve_device
from ganviz.training.timing import TimedTraining
from ganviz.training.tricks import EMA, EXTRA_G_LOSSES, add_noise, instance_noise_std, real_target
from ganviz.training.unrolled import unrolled_d_outputs

DOMAINS = {"points": PointsDomain, "images": ImageDomain}  # the config's `domain` -> its data side
GRID_CHUNK = 512  # samples per D forward when scoring many: minibatch discrimination holds chunk x batch x 64


class Trainer(TimedTraining):
    def __init__(self, config: GANConfig | None = None, points: np.ndarray | None = None, images=None):
        """`points` (N, 2) is the user's data, required when config.dataset == "custom". For an image
        dataset (mnist, digits), `images` may hold it already loaded (default: `load_images`)."""
        cfg = self.config = config or GANConfig()
        try:
            self.device = resolve_device(cfg.device)
        except ValueError as e:
            raise ConfigError("device", str(e)) from None
        self.loss = get_loss(cfg.loss)
        self.domain = DOMAINS[cfg.domain](cfg, self.device, points=points, images=images)
        with torch.random.fork_rng(devices=[]):  # initialisation draws from the global RNG: keep ours apart
            torch.manual_seed(cfg.seed)
            self.G, self.D = self.domain.build_networks(cfg)
        self.G.to(self.device)
        self.D.to(self.device)
        self.g_params, self.d_params = list(self.G.parameters()), list(self.D.parameters())
        self.rng = torch.Generator(device=self.device).manual_seed(cfg.seed)
        self.reset_optimizers()
        self.ema: EMA | None = EMA(self.G) if cfg.ema > 0 else None

        self.iteration = 0  # completed iterations (k_D + k_G steps each)
        self.d_updates = 0  # D optimiser steps, counting single "step D" presses and pretraining
        self.g_updates = 0
        self.pretrained = False  # whether the `pretrain_d` steps have been taken
        self.history = History()
        self.divergence: Divergence | None = None
        self.callbacks = Callbacks()

    # --- one iteration ----------------------------------------------------------------------------------

    def iteration_step(self) -> dict[str, torch.Tensor]:
        """One iteration: its D pre-training steps on the first, k_D D steps, then k_G G steps. Returns its
        history values (the last D and G step's statistics)."""
        cfg, stats = self.config, {}
        d_steps = cfg.d_steps + (0 if self.pretrained else cfg.pretrain_d)
        self.pretrained = True
        for _ in range(d_steps):
            stats.update(self.d_step())
        self.callbacks.fire("on_d_steps_done", self)
        for _ in range(cfg.g_steps):
            stats.update(self.g_step())
        self.iteration += 1
        self.callbacks.fire("on_iteration", self, stats)
        return stats

    def d_step(self) -> dict[str, torch.Tensor]:
        """(1) Update D: lower D's loss on a real minibatch and on G's fakes (G is not trained here)."""
        cfg, loss = self.config, self.loss
        real, labels = self.real_batch()
        z = self.noise()
        real = self.blur(real)
        with torch.no_grad():  # a conditional G draws the same classes as the real batch
            fake = self.blur(self.G(z, labels))
        if cfg.r1_weight > 0:
            real.requires_grad_(True)  # R1 differentiates D at the real samples
        d_real, d_fake = self.d_outputs(real, fake, labels)
        gp = self.gradient_penalty(real.detach(), fake, labels) if self.uses_gradient_penalty else None
        r1 = r1_penalty(d_real, real) if cfg.r1_weight > 0 else None

        total = loss.d_loss(d_real, d_fake, real_target(cfg))
        if gp is not None:
            total = total + cfg.gp_weight * gp
        if r1 is not None:
            total = total + cfg.r1_weight / 2 * r1
        if cfg.acgan_weight > 0:  # ACGAN: D also learns to name the class of real and fake samples
            total = total + cfg.acgan_weight * (
                F.cross_entropy(self.D.classify(real), labels) + F.cross_entropy(self.D.classify(fake), labels)
            )
        grads = optim.gradients(total, self.d_params)
        if self.callbacks.wanted("on_d_step"):
            self.callbacks.fire(
                "on_d_step",
                self,
                DStep(z, real.detach(), fake.detach(), d_real.detach(), d_fake.detach(), total.detach()),
            )
        optim.update(self.opt_d, self.d_params, grads)
        if loss.clip_weights:  # WGAN: keep D's weights in [-c, c]
            with torch.no_grad():
                torch._foreach_clamp_min_(self.d_params, -cfg.clip)
                torch._foreach_clamp_max_(self.d_params, cfg.clip)
        self.d_updates += 1
        return {
            "loss_d": total.detach(),
            "grad_norm_d": optim.gradient_norm(grads),
            **self._output_stats(d_real.detach(), d_fake.detach()),
        }

    def g_step(self) -> dict[str, torch.Tensor]:
        """(2) Update G: lower G's loss on fresh fakes, through D (D is not trained here)."""
        cfg = self.config
        labels = self.domain.fake_labels(cfg.batch_size, self.rng)
        fake = self.blur(self.G(self.noise(), labels))
        d_fake = unrolled_d_outputs(self, fake, labels) if cfg.unrolled_steps > 0 else self.D(fake, labels)

        total = self.loss.g_loss(d_fake)
        extra = EXTRA_G_LOSSES[cfg.extra_g_loss]
        if extra is not None and cfg.extra_g_weight > 0:
            total = total + cfg.extra_g_weight * extra(self.D, fake, self.blur(self.real_batch()[0]))
        if cfg.acgan_weight > 0:  # ACGAN: G is also rewarded when D names the class it was asked for
            total = total + cfg.acgan_weight * F.cross_entropy(self.D.classify(fake), labels)
        if self.callbacks.wanted("on_g_step"):
            self.callbacks.fire("on_g_step", self, GStep(fake, d_fake, total))
        grads = optim.gradients(total, self.g_params)  # D's parameters get no gradient
        optim.update(self.opt_g, self.g_params, grads)
        if self.ema is not None:
            self.ema.follow(self.g_params, EMA.decay_at(cfg.ema, self.g_updates))
        self.g_updates += 1
        return {"loss_g": total.detach(), "grad_norm_g": optim.gradient_norm(grads)}

    # --- the pieces of a step ----------------------------------------------------------------------------

    def real_batch(self) -> tuple[torch.Tensor, torch.Tensor | None]:
        return self.domain.real_batch(self.config.batch_size, self.rng)

    def noise(self) -> torch.Tensor:
        cfg = self.config
        return sample_noise(cfg.batch_size, cfg.noise_dim, cfg.noise, self.rng, self.device)

    def blur(self, x: torch.Tensor) -> torch.Tensor:
        """x with this iteration's instance noise (x itself without instance noise)."""
        return add_noise(x, instance_noise_std(self.config, self.iteration), self.rng)

    def d_outputs(
        self, real: torch.Tensor, fake: torch.Tensor, labels: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """D's raw outputs on a real and a fake batch that share `labels` (conditional runs)."""
        if self.D.batch_dependent:  # real and fake batches must not see each other's statistics
            return self.D(real, labels), self.D(fake, labels)
        both = None if labels is None else torch.cat([labels, labels])
        out = self.D(torch.cat([real, fake]), both)
        return out[: len(real)], out[len(real) :]

    @property
    def uses_gradient_penalty(self) -> bool:
        return self.loss.gradient_penalty and self.config.gp_weight > 0

    def gradient_penalty(
        self, real: torch.Tensor, fake: torch.Tensor, labels: torch.Tensor | None = None
    ) -> torch.Tensor:
        """WGAN-GP's penalty through this run's D (with the samples' classes when conditional)."""
        return gradient_penalty(lambda x: self.D(x, labels), real, fake, self.rng)

    def _output_stats(self, d_real: torch.Tensor, d_fake: torch.Tensor) -> dict[str, torch.Tensor]:
        real_mean, fake_mean = d_real.mean(-1), d_fake.mean(-1)
        probability = self.loss.output == "probability"  # else D's display value is its raw output
        return {
            "d_real": self.probability(d_real).mean(-1) if probability else real_mean,
            "d_fake": self.probability(d_fake).mean(-1) if probability else fake_mean,
            "critic_gap": real_mean - fake_mean,
        }

    def probability(self, raw: torch.Tensor) -> torch.Tensor:
        """D's display value from its raw outputs: P(real) = sigmoid(logit) for the probability losses,
        the raw score or critic value otherwise (`loss.output` names which)."""
        return torch.sigmoid(raw) if self.loss.output == "probability" else raw

    # --- training, guarded --------------------------------------------------------------------------------

    def step(self, n: int = 1) -> int:
        """Train n iterations (fewer if training diverges). Returns the number completed."""
        return guard.train_guarded(self, n, self.iteration_step, counted=True)

    def step_d(self, n: int = 1) -> int:
        """n discriminator steps only, outside the iteration count (for stepping through by hand)."""
        return guard.train_guarded(self, n, self.d_step, counted=False)

    def step_g(self, n: int = 1) -> int:
        """n generator steps only, outside the iteration count."""
        return guard.train_guarded(self, n, self.g_step, counted=False)

    @property
    def can_train(self) -> bool:
        return self.divergence is None

    def resume(self) -> None:
        """Clear a divergence report so training can continue (after changing settings, say)."""
        self.divergence = None

    # --- settings and state -----------------------------------------------------------------------------

    def _optimizer(self, which: str):
        cfg = self.config
        return optim.make_optimizer(
            getattr(cfg, f"optimizer_{which}"),
            self.d_params if which == "d" else self.g_params,
            *self._hyperparameters(which),
        )

    def _hyperparameters(self, which: str) -> tuple[float, float, float, float]:
        cfg = self.config
        return tuple(getattr(cfg, f"{name}_{which}") for name in ("lr", "beta1", "beta2", "momentum"))

    def reset_optimizers(self) -> None:
        """Fresh optimisers with the current settings (no moments): after loading other weights."""
        self.opt_d = self._optimizer("d")
        self.opt_g = self._optimizer("g")

    def set_config(self, new: GANConfig) -> None:
        """Apply settings that need no new networks; raises ConfigError naming any that do."""
        rebuild = new.changes_needing_new_networks(self.config)
        if rebuild:
            raise ConfigError(rebuild[0], f"changing {', '.join(rebuild)} needs new networks: start a new run")
        old, self.config = self.config, new
        self._seconds_per_iteration = None
        self.loss = get_loss(new.loss)
        for which in ("d", "g"):
            if getattr(new, f"optimizer_{which}") != getattr(old, f"optimizer_{which}"):
                setattr(self, f"opt_{which}", self._optimizer(which))  # a new optimiser starts with fresh moments
            else:
                optim.retune(getattr(self, f"opt_{which}"), *self._hyperparameters(which))
        if new.noise != old.noise:
            self.domain.draw_fixed_noise(new)
        if new.ema == 0:
            self.ema = None
        elif self.ema is None:
            self.ema = EMA(self.G)

    @property
    def ema_g(self) -> torch.nn.Module | None:
        """The EMA copy of G, or None when EMA is off."""
        return None if self.ema is None else self.ema.model

    def get_state(self) -> dict:
        """A deep copy of everything training depends on (networks, EMA copy, optimiser moments, RNG,
        counters): `set_state` of it resumes the run exactly as if it had never moved on."""
        return guard.capture(self)

    def set_state(self, state: dict, divergence: Divergence | None = None) -> None:
        """Resume from a state taken by `get_state` (time travel): later history is forgotten. The run
        then may train on, unless `divergence` says it had diverged there (a worker's report)."""
        guard.restore(self, state)
        self.history.truncate(self.iteration)
        self.divergence = divergence

    # --- looking at the run --------------------------------------------------------------------------------

    @property
    def sampler(self) -> torch.nn.Module:
        """The generator used for pictures and metrics: the EMA copy when EMA is on."""
        return self.ema_g if self.ema_g is not None else self.G

    def spectral_sigmas(self) -> dict[str, list[float]]:
        """Current power-iteration estimates of each spectrally normalised layer's largest singular
        value (of the raw weight), per network; empty lists where spectral norm is off."""
        return {"G": spectral_sigmas(self.G), "D": spectral_sigmas(self.D)}

    def sample(self, z=None, labels=None) -> np.ndarray:
        """The sampler's outputs as numpy, in the data's units (points (N, 2) float64, images (N, 1, H, W)
        float32 in [-1, 1]) for z (N, noise_dim) and, for a conditional run, classes (N,) (tensors or arrays);
        default: the run's fixed evaluation noise and its classes."""
        if z is None:
            z, labels = self.domain.eval_z, self.domain.eval_labels
        z = torch.as_tensor(z, dtype=torch.float32, device=self.device)
        labels = None if labels is None else torch.as_tensor(labels, dtype=torch.int64, device=self.device)
        return self.domain.generate(self, z, labels)

    def discriminate(self, x, labels=None, reference=None) -> np.ndarray:
        """D's display value (probability, score or critic value) for samples x (N, ...) -> (N,) float64.
        Batch-dependent D's compare each sample with `reference` (default: G's fixed-z samples)."""
        return self.probability(self._through_d(self.D, x, labels, reference)).double().cpu().numpy()

    def features(self, x, labels=None, reference=None) -> np.ndarray:
        """D's penultimate features (N, F) float64 for samples x: what its last layer turns into a score
        (compared with `reference`, as `discriminate`, when D is batch-dependent)."""
        return self._through_d(self.D.features, x, labels, reference).double().cpu().numpy()

    def _through_d(self, d, x, labels, reference) -> torch.Tensor:
        """`d` (D or its features) on samples x in chunks, without gradients, D and G in eval mode."""
        x = torch.as_tensor(x, dtype=torch.float32, device=self.device)
        y = None if labels is None else torch.as_tensor(labels, dtype=torch.int64, device=self.device)
        with torch.no_grad(), eval_mode(self.D, self.sampler):
            ref = self.reference_batch(reference)
            chunks = range(0, max(len(x), 1), GRID_CHUNK)  # an empty x gives an empty result
            return torch.cat(
                [d(x[i : i + GRID_CHUNK], None if y is None else y[i : i + GRID_CHUNK], reference=ref) for i in chunks]
            )

    def reference_batch(self, reference=None) -> torch.Tensor | None:
        """The batch a batch-dependent D (minibatch features, batch norm) compares each sample with when it
        judges samples outside training: `reference`, or by default G's samples for the run's fixed z. None
        when D judges each sample on its own."""
        if not self.D.batch_dependent:
            return None
        if reference is not None:
            return torch.as_tensor(reference, dtype=torch.float32, device=self.device)
        with torch.no_grad(), eval_mode(self.sampler):
            return self.sampler(self.domain.fixed_z, self.domain.fixed_labels)

    def g_loss_push(self, points, reference: torch.Tensor | None = None) -> np.ndarray:
        """-∇ₓ of G's loss for a fake sample at each of `points` (N, 2): where G's loss moves it.
        Batch-dependent D's see `reference` as the batch (default: the points themselves)."""
        x = torch.as_tensor(points, dtype=torch.float32, device=self.device).detach().clone().requires_grad_(True)
        with eval_mode(self.D):
            ref = reference if self.D.batch_dependent else None
            # The loss is a mean over points: scale by N to get each point's own gradient.
            g_loss = self.loss.g_loss(self.D(x, reference=ref)) * len(x)
            (grad,) = torch.autograd.grad(g_loss, x)
        return (-grad).double().cpu().numpy()

    def evaluate(self, w1_points: int = 1000) -> dict:
        """The domain's metrics: for points, modes, % high quality, JS, exact W1 on at most `w1_points` of
        each set; for images, the judge's Fréchet distance, digits present and confidence."""
        return self.domain.evaluate(self, w1_points)

    def snapshot(self, with_metrics: bool = True, **view):
        """What the views draw now (numpy arrays), with the metrics unless `with_metrics` is False. `view`:
        the points domain's `grid_size`, `w1_points`, `with_layers` (see `PointsDomain.snapshot`)."""
        return self.domain.snapshot(self, with_metrics=with_metrics, **view)
