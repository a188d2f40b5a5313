"""The latent tools on digit images: judged by the run's digit classifier (its confidence, the digits it
reads, the Fréchet distance on its features), and noise that fills the whole pixel range [−1, 1]."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import torch

from ganviz.latent.domain import SweepMeter
from ganviz.metrics.images import image_metrics
from ganviz.metrics.judge import predict
from ganviz.training.images import IMAGE_EVAL_SAMPLES

if TYPE_CHECKING:
    from ganviz.training.trainer import Trainer


FOOLED_CONFIDENCE = 0.8  # the judge's mean confidence from which FGSM's noise fools it too


def read_digits(trainer: Trainer, images) -> tuple[np.ndarray, np.ndarray]:
    """The digit the run's judge classifier reads in each image (N, 1, H, W) on G's scale, and its confidence
    (the probability it gives that digit)."""
    probs = predict(trainer.domain.judge.classifier, np.asarray(images, dtype=np.float32))
    return probs.argmax(1), probs.max(1)


class ImagesLatent:
    kind = "images"
    fgsm_max_points = 64
    between = "between digits"

    def sweep_meter(self, trainer: Trainer) -> SweepMeter:
        """The judge classifier's mean confidence, the trained digits present and the Fréchet distance on
        the classifier's features (`metrics.image_metrics`); 1,000 samples by default."""
        domain, digits = trainer.domain, trainer.config.digit_list()
        judge = domain.judge

        def measure(samples) -> tuple[float, float, float]:
            m = image_metrics(
                samples, judge.classifier, domain.eval_real, domain.eval_reference, digits=digits, real=judge.real_stats
            )
            return m["mean_confidence"], m["classes_covered"], m["fid"]

        return SweepMeter(
            measure=measure,
            samples=IMAGE_EVAL_SAMPLES,
            fidelity_name="classifier's mean confidence",
            coverage_total=len(digits),
            coverage_name="digits present",
            distance_name="Fréchet distance (classifier features)",
            distance_floor=float(judge.real_stats[2]),
        )

    def embedding_real(self, trainer: Trainer, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """n of the run's training images (its trained digits), drawn without replacement, with their labels."""
        data = trainer.domain.image_data
        idx = rng.choice(len(data.images), size=n, replace=False)
        return data.images[idx], data.labels[idx]

    def embedding_classes(self, trainer: Trainer, real, real_labels, fake) -> tuple[np.ndarray, str]:
        """Real digits by their label, generated ones by what the judge classifier reads."""
        read, _ = read_digits(trainer, fake)
        return np.concatenate([real_labels, read]), "digit"

    def fgsm_noise(self, trainer: Trainer, n: int, spread: float, rng: np.random.Generator) -> np.ndarray:
        """Uniform in [−1, 1] per pixel: the whole input space already, so `spread` must stay 1."""
        if spread != 1:
            raise ValueError("images: the noise already fills the whole pixel range [−1, 1]; spread must be 1")
        return rng.uniform(-1.0, 1.0, size=(n, *trainer.domain.eval_real.shape[1:]))

    def fgsm_bound(self, x: torch.Tensor) -> torch.Tensor:
        return x.clamp(-1.0, 1.0)  # pixels stay on G's scale

    def fgsm_judgement(self, trainer: Trainer, trajectory: np.ndarray) -> dict:
        """The judge classifier's mean confidence and its reading of each sample, at every step."""
        model = trainer.domain.judge.classifier
        probs = np.stack([predict(model, x) for x in trajectory])  # (steps+1, N, 10)
        return dict(confidence=probs.max(-1).mean(-1), predicted=probs.argmax(-1))

    def fgsm_lesson(self, result) -> str:
        readings = ", ".join(str(int(d)) for d in result.predicted[-1])
        confidence = result.confidence[-1]
        text = f"The judge classifier reads the final images as {readings}, with a mean confidence of {confidence:.0%}"
        if result.labels is not None:
            text += f" (D was asked about {', '.join(str(int(d)) for d in result.labels)})"
        if confidence >= FOOLED_CONFIDENCE:
            text += ": a classifier is a discriminative network too, and noise pushed along gradients fools it as well"
        return text + (
            ". Look at the pictures and the distance: D's approval is not the data. That is the lecture's argument "
            "for training a generator."
        )
