"""`python -m ganviz bench --mnist`: iterations/s of each image model, and the time to recognisable digits.

Recognisable digits (`time_to_digits_s`): the default setup for the device is trained, and every
`CHECK_EVERY_S` seconds of training 1,000 samples from the EMA generator are shown to the project's
classifier; the clock stops when at least 9 of the 10 digits are present (each holding ≥ 2 % of the
samples, see `metrics.class_histogram`) and the classifier's mean top-class confidence is ≥ 0.9 —
a classifier that is ≥ 97 % accurate on real MNIST is that sure only of digit-shaped images. Only
training time counts: the checks pause the clock, and the classifier is trained (or loaded from its
cache) before the clock starts.
"""

from __future__ import annotations

import time

import torch

from ganviz.config import image_config
from ganviz.data.images import load_images
from ganviz.models.image import IMAGE_MODELS
from ganviz.training.runtime import resolve_device
from ganviz.training.trainer import Trainer

CHECK_EVERY_S = 2.0
MIN_CLASSES, MIN_CONFIDENCE = 9, 0.9


def _synchronize(trainer: Trainer) -> None:
    if trainer.device.type == "cuda":
        torch.cuda.synchronize()


def model_speed(config, images, seconds: float) -> float:
    """Training iterations/s of `config` after a short warm-up."""
    trainer = Trainer(config, images=images)
    trainer.step(10)
    _synchronize(trainer)
    start, first = time.perf_counter(), trainer.iteration
    trainer.run_for(seconds)
    _synchronize(trainer)
    return (trainer.iteration - first) / (time.perf_counter() - start)


def time_to_digits(config, images, max_seconds: float) -> dict:
    trainer = Trainer(config, images=images)
    trainer.evaluate()  # the judge classifier is trained (or loaded) before the clock starts
    trained_s, metrics = 0.0, {}
    while trained_s < max_seconds:
        start = time.perf_counter()
        trainer.run_for(min(CHECK_EVERY_S, max_seconds - trained_s))
        _synchronize(trainer)
        trained_s += time.perf_counter() - start
        metrics = trainer.evaluate()
        if metrics["classes_covered"] >= MIN_CLASSES and metrics["mean_confidence"] >= MIN_CONFIDENCE:
            return {"time_to_digits_s": trained_s, "iterations": trainer.iteration, "reached": True, **_brief(metrics)}
    return {"time_to_digits_s": None, "iterations": trainer.iteration, "reached": False, **_brief(metrics)}


def _brief(metrics: dict) -> dict:
    return {
        k: metrics.get(k) for k in ("classes_covered", "mean_confidence", "fid", "fid_floor", "classifier_accuracy")
    }


def bench_images(dataset: str = "mnist", seconds: float = 3.0, max_seconds: float = 300.0) -> dict:
    images = load_images(dataset)
    speeds = {name: model_speed(image_config(dataset, image_model=name), images, seconds) for name in IMAGE_MODELS}
    default = image_config(dataset)
    return {
        "benchmark": "images",
        "data": images.source,
        "notice": images.notice,
        "iters_per_sec": speeds,
        "default_config": default.to_dict(),
        "criterion": f"≥ {MIN_CLASSES} of 10 digits present and mean classifier confidence ≥ {MIN_CONFIDENCE} "
        "over 1,000 samples",
        **time_to_digits(default, images, max_seconds),
        "device": str(resolve_device(default.device)),
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
    }
