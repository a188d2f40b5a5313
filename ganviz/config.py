"""`GANConfig`: every setting of a GAN run (2D points or digit images), validated, with JSON and URL-query
round trips.

One flat dataclass so every setting has one name everywhere: the field `lr_d` is the CLI flag
`--lr-d`, the JSON key `"lr_d"` and the URL parameter `lr_d`. Each setting is declared once, with its
metadata: help text, range or choices (choices come from the registries: datasets, losses, models,
optimisers, ...), its `group`, its `domain` ("any", or "points" / "images" for settings only runs of
that kind use) and its `roles`:
- "live": it can change mid-run; otherwise changing it needs new networks (a new run);
- "shared": every run of a race shares it (the data, the seed, the machine); a weights file trained with
  another value still loads;
- "architecture": it shapes the networks (neither live nor shared): weights only load where these match.
Every list of settings (the CLI's flags, the pages' widgets, a race's shared settings, a weights file's
architecture) is derived from this metadata with `setting_fields` / `setting_names`.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

import torch

from ganviz.data import DATASETS, NOISE_KINDS
from ganviz.data.images import IMAGE_DATASETS
from ganviz.losses import LOSSES
from ganviz.models.image import IMAGE_MODELS
from ganviz.models.minibatch import MINIBATCH_FEATURES
from ganviz.models.mlp import ACTIVATIONS
from ganviz.training.optim import OPTIMIZERS
from ganviz.training.runtime import DEVICES
from ganviz.training.tricks import EXTRA_G_LOSSES
from ganviz.values import ConfigError, coerce, read_json, setting_text

CUSTOM_DATASET = "custom"  # the user's own points (CSV upload or drawn), passed to the Trainer
POINTS, IMAGES = "points", "images"  # the two kinds of run (`GANConfig.domain`)
DOMAINS = ("any", POINTS, IMAGES)
ROLES = ("live", "shared", "architecture")


def setting(
    default, help: str, *, min=None, max=None, choices=None, live=True, shared=False, group: str, domain: str = "any"
):
    """A config field with its validation rules, docs and roles in one place. Settings that are neither
    live nor shared shape the networks: their role is "architecture"."""
    roles = frozenset({"live"} if live else {"shared"} if shared else {"architecture"})
    return field(
        default=default,
        metadata=dict(help=help, min=min, max=max, choices=choices, roles=roles, group=group, domain=domain),
    )


def domain_of(dataset: str) -> str:
    """The kind of run a dataset makes: IMAGES for the digit datasets, POINTS for the rest."""
    return IMAGES if dataset in IMAGE_DATASETS else POINTS


@dataclass(frozen=True)
class GANConfig:
    # --- data
    dataset: str = setting(
        "ring8",
        "data: a 2D distribution, custom (your own CSV points), or digit images "
        "(mnist, or digits: scikit-learn's 8×8 digits)",
        choices=lambda: (*DATASETS, CUSTOM_DATASET, *IMAGE_DATASETS),
        live=False,
        shared=True,
        group="data",
    )
    noise_dim: int = setting(2, "dimension of the generator's noise z", min=1, max=128, live=False, group="data")
    noise: str = setting(
        "gaussian", "distribution of z: N(0, I) or uniform on [-1, 1]", choices=NOISE_KINDS, group="data"
    )
    # --- images only
    image_model: str = setting(
        "mlp-cpu",
        "image networks (G and D): see `python -m ganviz train --help`",
        choices=lambda: tuple(IMAGE_MODELS),
        live=False,
        group="images",
        domain=IMAGES,
    )
    digits: str = setting(
        "0123456789", "which digits to train on, e.g. 017", live=False, shared=True, group="images", domain=IMAGES
    )
    digit_weights: str = setting(
        "",
        "their proportions, e.g. 9,1: nine times as many of the first digit (empty: as in the data)",
        live=False,
        shared=True,
        group="images",
        domain=IMAGES,
    )
    conditional: bool = setting(
        False, "conditional GAN: G and D see the digit's class", live=False, group="images", domain=IMAGES
    )
    acgan_weight: float = setting(
        0.0,
        "ACGAN: weight of an auxiliary classifier loss in D and G (0 = off)",
        min=0.0,
        max=10.0,
        live=False,
        group="images",
        domain=IMAGES,
    )
    # --- networks (changing any of these builds new networks)
    g_depth: int = setting(3, "generator hidden layers", min=1, max=8, live=False, group="networks", domain=POINTS)
    g_width: int = setting(
        128, "generator units per hidden layer", min=1, max=1024, live=False, group="networks", domain=POINTS
    )
    g_activation: str = setting(
        "relu", "generator activation", choices=lambda: tuple(ACTIVATIONS), live=False, group="networks", domain=POINTS
    )
    d_depth: int = setting(3, "discriminator hidden layers", min=1, max=8, live=False, group="networks", domain=POINTS)
    d_width: int = setting(
        128, "discriminator units per hidden layer", min=1, max=1024, live=False, group="networks", domain=POINTS
    )
    d_activation: str = setting(
        "leaky_relu",
        "discriminator activation",
        choices=lambda: tuple(ACTIVATIONS),
        live=False,
        group="networks",
        domain=POINTS,
    )
    spectral_norm_d: bool = setting(False, "spectral normalisation on every layer of D", live=False, group="networks")
    spectral_norm_g: bool = setting(
        False, "spectral normalisation on every layer of G", live=False, group="networks", domain=POINTS
    )
    minibatch_features: str = setting(
        "none",
        "extra batch-level features in D against mode collapse",
        choices=lambda: tuple(MINIBATCH_FEATURES),
        live=False,
        group="networks",
    )
    batch_norm_g: bool = setting(
        False, "batch normalisation after each hidden layer of G", live=False, group="networks", domain=POINTS
    )
    # --- loss
    loss: str = setting("nonsaturating", "GAN objective", choices=lambda: tuple(LOSSES), group="loss")
    clip: float = setting(
        0.01, "WGAN weight clipping: D's weights are kept in [-c, c]", min=1e-4, max=10.0, group="loss"
    )
    gp_weight: float = setting(10.0, "WGAN-GP gradient-penalty weight λ", min=0.0, max=1000.0, group="loss")
    r1_weight: float = setting(
        0.1, "R1 penalty γ/2·E‖∇D(x)‖² on real data (0 = off), any loss", min=0.0, max=1000.0, group="loss"
    )
    # --- optimisation
    batch_size: int = setting(128, "samples per minibatch (real and fake each)", min=2, max=4096, group="optimisation")
    d_steps: int = setting(1, "discriminator steps per iteration (k_D)", min=1, max=20, group="optimisation")
    g_steps: int = setting(1, "generator steps per iteration (k_G)", min=1, max=20, group="optimisation")
    optimizer_d: str = setting(
        "adam", "discriminator optimiser", choices=lambda: tuple(OPTIMIZERS), group="optimisation"
    )
    optimizer_g: str = setting("adam", "generator optimiser", choices=lambda: tuple(OPTIMIZERS), group="optimisation")
    lr_d: float = setting(1e-3, "discriminator learning rate", min=1e-6, max=10.0, group="optimisation")
    lr_g: float = setting(1e-3, "generator learning rate", min=1e-6, max=10.0, group="optimisation")
    beta1_d: float = setting(0.5, "Adam β1 of D", min=0.0, max=0.999, group="optimisation")
    beta2_d: float = setting(0.999, "Adam β2 of D", min=0.0, max=0.9999, group="optimisation")
    beta1_g: float = setting(0.5, "Adam β1 of G", min=0.0, max=0.999, group="optimisation")
    beta2_g: float = setting(0.999, "Adam β2 of G", min=0.0, max=0.9999, group="optimisation")
    momentum_d: float = setting(0.0, "SGD / RMSprop momentum of D", min=0.0, max=0.999, group="optimisation")
    momentum_g: float = setting(0.0, "SGD / RMSprop momentum of G", min=0.0, max=0.999, group="optimisation")
    # --- tricks
    label_smoothing: float = setting(
        0.0,
        "one-sided label smoothing: real label 1 - s (probability and least-squares losses)",
        min=0.0,
        max=0.5,
        group="tricks",
    )
    instance_noise: float = setting(
        0.0, "std of Gaussian noise added to D's inputs, real and fake", min=0.0, max=5.0, group="tricks"
    )
    instance_noise_anneal: int = setting(
        0,
        "iterations over which instance noise decays linearly to 0 (0 = constant)",
        min=0,
        max=1_000_000,
        group="tricks",
    )
    unrolled_steps: int = setting(
        0, "unrolled D steps that G's update looks through (0 = off)", min=0, max=20, group="tricks"
    )
    ema: float = setting(
        0.999, "EMA decay of a copy of G used for sampling (0 = off, e.g. 0.999)", min=0.0, max=0.9999, group="tricks"
    )
    extra_g_loss: str = setting(
        "none",
        "extra generator loss: match D's mean features, or the data's mean and covariance",
        choices=lambda: tuple(EXTRA_G_LOSSES),
        group="tricks",
    )
    extra_g_weight: float = setting(1.0, "weight of the extra generator loss", min=0.0, max=100.0, group="tricks")
    pretrain_d: int = setting(0, "discriminator steps before the first iteration", min=0, max=100_000, group="tricks")
    # --- run
    seed: int = setting(
        0,
        "random seed: same config and seed give the same numbers on CPU",
        min=0,
        max=2**31 - 1,
        live=False,
        shared=True,
        group="run",
    )
    device: str = setting(
        "auto", "where to train (auto: cuda, then mps, then cpu)", choices=DEVICES, live=False, shared=True, group="run"
    )

    def __post_init__(self):
        for f in fields(self):
            object.__setattr__(self, f.name, coerce(f, getattr(self, f.name)))
        self.validate()

    def validate(self) -> None:
        for f in fields(self):
            value, meta = getattr(self, f.name), f.metadata
            choices = choices_of(f)
            if choices is not None and value not in choices:
                raise ConfigError(f.name, f"{value!r} is not one of: {', '.join(choices)}")
            if meta["min"] is not None and not (meta["min"] <= value <= meta["max"]):
                raise ConfigError(f.name, f"must be between {meta['min']:g} and {meta['max']:g} (got {value:g})")
        self.digit_list()
        self.digit_proportions()
        if self.acgan_weight > 0 and not self.conditional:
            raise ConfigError("acgan_weight", "the auxiliary classifier needs conditional = true")

    @property
    def domain(self) -> str:
        """POINTS or IMAGES: the kind of run this dataset makes (which domain trains it)."""
        return domain_of(self.dataset)

    # --- images
    def digit_list(self) -> list[int]:
        """`digits` as a list of distinct ints, e.g. "017" -> [0, 1, 7]."""
        text = self.digits.replace(",", "").replace(" ", "")
        if not text or not text.isdigit():
            raise ConfigError("digits", f"write the digits to train on, e.g. 017 (got {self.digits!r})")
        if len(set(text)) != len(text):
            raise ConfigError("digits", f"each digit once, please (got {self.digits!r})")
        return [int(c) for c in text]

    def digit_proportions(self) -> list[float] | None:
        """`digit_weights` normalised to sum 1, one per digit, or None (as in the data)."""
        if not self.digit_weights:
            return None
        try:
            weights = [float(w) for w in self.digit_weights.split(",")]
        except ValueError:
            raise ConfigError(
                "digit_weights", f"comma-separated numbers, e.g. 9,1 (got {self.digit_weights!r})"
            ) from None
        if len(weights) != len(self.digit_list()):
            raise ConfigError(
                "digit_weights", f"one weight per digit: {len(self.digit_list())} digits, {len(weights)} weights"
            )
        if any(not math.isfinite(w) or w < 0 for w in weights) or sum(weights) <= 0:
            raise ConfigError("digit_weights", "weights must be non-negative numbers with a positive sum")
        return [w / sum(weights) for w in weights]

    # --- round trips
    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> GANConfig:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ConfigError(unknown[0], f"unknown setting; known settings are: {', '.join(sorted(known))}")
        return cls(**values)

    @classmethod
    def from_json(cls, text: str) -> GANConfig:
        values = read_json(text)
        if not isinstance(values, dict):
            raise ConfigError("json", "expected a JSON object of settings")
        return cls.from_dict(values)

    def to_query(self) -> dict[str, str]:
        """Only the settings that differ from the defaults, as strings (for a short URL)."""
        default = GANConfig()
        return {k: setting_text(v) for k, v in self.to_dict().items() if v != getattr(default, k)}

    @classmethod
    def from_query(cls, params: dict[str, str]) -> GANConfig:
        return cls.from_dict(dict(params))

    @classmethod
    def from_query_lenient(cls, params: dict[str, str], base: GANConfig | None = None) -> tuple[GANConfig, list[str]]:
        """A config from URL parameters that never fails: out-of-range numbers are clamped, unusable
        values keep `base`'s (default: the defaults), unknown names are ignored; each such fix is
        described in a message for the page to show."""
        base = base or cls()
        values, messages = base.to_dict(), []
        known = {f.name: f for f in fields(cls)}
        for name, raw in params.items():
            f = known.get(name)
            if f is None:
                messages.append(f"ignored unknown setting {name!r}")
                continue
            try:
                value = coerce(f, raw)
            except ConfigError as e:
                messages.append(f"{name}: {e.message}; kept {values[name]!r}")
                continue
            meta = f.metadata
            choices = choices_of(f)
            if choices is not None and value not in choices:
                messages.append(f"{name}: {value!r} is not one of {', '.join(choices)}; kept {values[name]!r}")
                continue
            if meta["min"] is not None and not (meta["min"] <= value <= meta["max"]):
                clamped = type(value)(min(max(value, meta["min"]), meta["max"]))
                messages.append(f"{name}: {value:g} is outside {meta['min']:g} to {meta['max']:g}; using {clamped:g}")
                value = clamped
            values[name] = value
        return cls._consistent(values, base, messages), messages

    @classmethod
    def _consistent(cls, values: dict[str, Any], base: GANConfig, messages: list[str]) -> GANConfig:
        """The config of `values`, where each value that a check across settings refuses (digit weights that
        do not match the digits, say) goes back to `base`'s, then to the default, with a message."""
        fallbacks = [base.to_dict(), cls().to_dict()]
        while True:
            try:
                return cls(**values)
            except ConfigError as e:
                usable = [f[e.field] for f in fallbacks if f[e.field] != values[e.field]]
                if not usable:
                    raise
                messages.append(f"{e}; using {usable[0]!r}")
                values[e.field] = usable[0]

    # --- live changes
    def replace(self, **changes) -> GANConfig:
        return replace(self, **changes)

    def changes_needing_new_networks(self, other: GANConfig) -> list[str]:
        """Names of settings that differ from `other` and cannot change without rebuilding the run."""
        return [
            f.name
            for f in fields(self)
            if "live" not in f.metadata["roles"] and getattr(self, f.name) != getattr(other, f.name)
        ]


# The 2D defaults (2-D noise, lr 1e-3, R1) do not suit digits: these learn recognisable digits quickly
# (`python -m ganviz bench --mnist` measures how quickly). The lecture-003 MLP takes 100-D noise.
IMAGE_DEFAULTS = dict(
    noise_dim=64, batch_size=64, lr_d=5e-4, lr_g=5e-4, beta1_d=0.5, beta1_g=0.5, r1_weight=0.0, ema=0.999
)
# On a GPU the convolutional pair costs little more per iteration than the MLP and draws cleaner
# digits: DCGAN with the paper's batch 128 and learning rate 2e-4.
GPU_IMAGE_DEFAULTS = dict(image_model="dcgan", batch_size=128, lr_d=2e-4, lr_g=2e-4)


def default_image_model(device: str = "auto") -> str:
    """The image model a new run starts with: DCGAN where CUDA will be used, the CPU-sized MLP elsewhere."""
    return "dcgan" if _uses_cuda(device) else "mlp-cpu"


def _uses_cuda(device: str) -> bool:
    return device in ("auto", "cuda") and torch.cuda.is_available()


def image_defaults(image_model: str | None = None, device: str = "auto") -> dict[str, Any]:
    """Settings that differ from the 2D defaults for an image run with `image_model` (default: the
    device's, see `default_image_model`) on `device`."""
    image_model = image_model or default_image_model(device)
    gpu = GPU_IMAGE_DEFAULTS if image_model == "dcgan" and _uses_cuda(device) else {}
    return {
        **IMAGE_DEFAULTS,
        **gpu,
        "image_model": image_model,
        **({"noise_dim": 100} if image_model == "mlp-003" else {}),
    }


def starting_values(dataset: str, image_model: str | None = None, device: str = "auto") -> dict[str, Any]:
    """The settings a new run on `dataset` starts from where they differ from the defaults (which suit
    2D points): for digits, `image_defaults`."""
    return DOMAIN_DEFAULTS[domain_of(dataset)](image_model, device)


def image_config(dataset: str = "mnist", **changes) -> GANConfig:
    """A config for digit images: `image_defaults` for the model and device, then `changes`."""
    defaults = image_defaults(changes.get("image_model"), changes.get("device", "auto"))
    return GANConfig(**{**defaults, "dataset": dataset, **changes})


DOMAIN_DEFAULTS = {POINTS: lambda image_model, device: {}, IMAGES: image_defaults}


def setting_fields(domain: str | None = None, role: str | None = None) -> tuple:
    """The dataclass fields with their metadata, in declaration order: all of them, or those a run of
    `domain` (POINTS or IMAGES) uses, and those with `role` ("live", "shared" or "architecture")."""
    if domain not in (None, POINTS, IMAGES) or role not in (None, *ROLES):
        raise ValueError(f"unknown domain {domain!r} or role {role!r}")
    return tuple(
        f
        for f in fields(GANConfig)
        if (domain is None or f.metadata["domain"] in ("any", domain)) and (role is None or role in f.metadata["roles"])
    )


def setting_names(domain: str | None = None, role: str | None = None) -> tuple[str, ...]:
    """The names of `setting_fields(domain, role)`."""
    return tuple(f.name for f in setting_fields(domain, role))


def choices_of(f, domain: str | None = None) -> tuple | None:
    """A field's allowed values (from its registry); for a `domain`, the datasets of that kind only."""
    c = f.metadata["choices"]
    choices = c() if callable(c) else c
    if domain is not None and f.name == "dataset":
        choices = tuple(name for name in choices if domain_of(name) == domain)
    return choices
