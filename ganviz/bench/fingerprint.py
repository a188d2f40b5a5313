"""A fingerprint of what training computes: the CLI's JSON (timings left out) for fixed configs covering every
loss, the tricks, every image model, a conditional run and a race, with a hash of each run's final weights.

`python -m ganviz bench --fingerprint` prints it; `--check FILE` compares it with one recorded earlier and
says whether it is identical (the same code on the same machine must give the same numbers bit for bit; on
another CPU, float rounding may move the last digits). A refactoring that keeps the fingerprint keeps the
behaviour.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable

from ganviz.config import GANConfig
from ganviz.racing.config import RaceConfig
from ganviz.racing.race import Race

TIMINGS = ("seconds", "iters_per_sec")
_DIGITS = dict(dataset="digits", r1_weight=0.0)
CONFIGS: dict[str, tuple[int, dict]] = {  # name -> (iterations, the settings that differ from the defaults)
    "ring8-nonsaturating-defaults": (200, {}),
    "grid25-minimax-pretrain": (
        150,
        dict(
            dataset="grid25",
            loss="minimax",
            g_depth=2,
            g_width=64,
            d_depth=2,
            d_width=64,
            pretrain_d=20,
            r1_weight=0.0,
            ema=0.0,
            seed=3,
        ),
    ),
    "spiral-least-squares-smoothing-noise": (
        150,
        dict(
            dataset="spiral",
            loss="least-squares",
            label_smoothing=0.1,
            instance_noise=0.1,
            instance_noise_anneal=100,
            batch_size=100,
            seed=1,
        ),
    ),
    "ring8-wasserstein-clip-rmsprop": (
        120,
        dict(
            loss="wasserstein",
            d_steps=5,
            optimizer_d="rmsprop",
            optimizer_g="rmsprop",
            lr_d=5e-05,
            lr_g=5e-05,
            r1_weight=0.0,
            seed=2,
        ),
    ),
    "moons-wgan-gp-batchnorm": (
        120,
        dict(
            dataset="moons",
            loss="wgan-gp",
            d_steps=3,
            beta1_d=0.0,
            beta2_d=0.9,
            beta1_g=0.0,
            beta2_g=0.9,
            batch_norm_g=True,
            seed=4,
        ),
    ),
    "ring8-hinge-spectral-sgd": (
        150,
        dict(
            loss="hinge",
            spectral_norm_d=True,
            spectral_norm_g=True,
            optimizer_d="sgd",
            optimizer_g="sgd",
            momentum_d=0.9,
            momentum_g=0.5,
            lr_d=0.01,
            lr_g=0.01,
            seed=5,
        ),
    ),
    "ring8-minibatch-r1-feature-matching": (
        80,
        dict(
            minibatch_features="discrimination",
            r1_weight=1.0,
            extra_g_loss="feature-matching",
            g_width=64,
            d_width=64,
            batch_size=64,
            seed=6,
        ),
    ),
    "grid25-unrolled-stddev-moments": (
        40,
        dict(
            dataset="grid25",
            unrolled_steps=3,
            minibatch_features="stddev",
            extra_g_loss="moment-matching",
            extra_g_weight=0.5,
            noise="uniform",
            noise_dim=4,
            g_width=64,
            d_width=64,
            batch_size=64,
            g_steps=2,
            seed=7,
        ),
    ),
    "digits-mlp-cpu": (
        60,
        dict(_DIGITS, noise_dim=64, batch_size=64, lr_d=0.0005, lr_g=0.0005, ema=0.999, image_model="mlp-cpu", seed=0),
    ),
    "digits-dcgan-conditional-acgan": (
        30,
        dict(
            _DIGITS,
            noise_dim=64,
            batch_size=32,
            lr_d=0.0002,
            lr_g=0.0002,
            image_model="dcgan",
            conditional=True,
            acgan_weight=1.0,
            digits="0137",
            seed=1,
        ),
    ),
    "digits-keras-wgan-gp-weighted": (
        20,
        dict(
            _DIGITS,
            noise_dim=32,
            batch_size=32,
            loss="wgan-gp",
            image_model="keras-conv",
            digits="17",
            digit_weights="3,1",
            minibatch_features="stddev",
            seed=2,
        ),
    ),
    "digits-mlp003-hinge-conditional": (
        30,
        dict(
            dataset="digits",
            noise_dim=100,
            batch_size=64,
            loss="hinge",
            image_model="mlp-003",
            conditional=True,
            spectral_norm_d=True,
            extra_g_loss="moment-matching",
            seed=3,
        ),
    ),
}
RACE_ITERATIONS = 100
RACE_RUNS = ({}, dict(loss="wgan-gp", d_steps=5), dict(loss="hinge", spectral_norm_d=True))


def weights_sha256(trainer) -> str:
    """A hash of G's and D's final weights and buffers: equal only when they are equal bit for bit."""
    h = hashlib.sha256()
    for net in (trainer.G, trainer.D):
        for name, value in net.state_dict().items():
            h.update(name.encode())
            h.update(value.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()


def fingerprint(train_json: Callable) -> dict:
    """Every config's `train_json(config, steps)` -> (CLI JSON, trainer), timings left out, and the race's runs'
    metrics. `train_json` is the CLI's own (passed in: the CLI imports this module)."""
    out = {}
    for name, (steps, changes) in CONFIGS.items():
        result, trainer = train_json(GANConfig(**changes), steps)
        out[name] = {
            "cli": {k: v for k, v in result.items() if k not in TIMINGS},
            "weights_sha256": weights_sha256(trainer),
        }
    race = Race(RaceConfig(tuple(GANConfig(**changes) for changes in RACE_RUNS)))
    race.step(RACE_ITERATIONS)
    metrics = race.evaluate()
    out["race"] = {
        name: {"metrics": metrics[name], "iteration": t.iteration, "weights_sha256": weights_sha256(t)}
        for name, t in zip(race.names, race.runs)
    }
    return out


def differences(expected, actual, path: str = "", close: Callable[[float, float], bool] | None = None) -> list[str]:
    """Where two fingerprints differ, as "path: expected -> actual" lines. Numbers must be equal, or
    `close(expected, actual)` when given (hashes are then not compared: they change with any rounding)."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        out = [f"{path}/{k}: missing" for k in sorted(set(expected) ^ set(actual))]
        for k in sorted(set(expected) & set(actual)):
            if close is None or k != "weights_sha256":
                out += differences(expected[k], actual[k], f"{path}/{k}", close)
        return out
    if isinstance(expected, list) and isinstance(actual, list) and len(expected) == len(actual):
        return [
            line for i, (e, a) in enumerate(zip(expected, actual)) for line in differences(e, a, f"{path}[{i}]", close)
        ]
    numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (expected, actual))
    if numbers and close is not None and close(expected, actual):
        return []
    if numbers and math.isnan(expected) and math.isnan(actual):
        return []
    return [] if expected == actual else [f"{path}: {expected!r} -> {actual!r}"]
