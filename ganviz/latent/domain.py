"""What the latent tools do differently for each kind of data, as one interface.

Most of the Latent tools are the same for every run (G and D take the same arguments for points and
images). What genuinely differs is how samples are judged and where noise lives: `PointsLatent`
(`ganviz.latent.points`) and `ImagesLatent` (`ganviz.latent.images`) implement this interface, and
`ganviz.latent.latent_domain(trainer)` picks the run's one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np
import torch

if TYPE_CHECKING:
    from ganviz.training.trainer import Trainer


@dataclass(frozen=True)
class SweepMeter:
    """How a truncation sweep measures a set of G's samples, and what its three numbers are called."""

    measure: Callable[[np.ndarray], tuple[float, float, float]]  # samples -> (fidelity, coverage, distance)
    samples: int  # samples per threshold when the caller names no number
    fidelity_name: str
    coverage_total: int | None  # modes or digits there are to cover; None: the data has neither
    coverage_name: str
    distance_name: str
    distance_floor: float  # the distance between two real sets: what a perfect generator scores


class LatentDomain(Protocol):
    kind: str  # the training domain's kind: "points" or "images"
    fgsm_max_points: int  # the most noise samples FGSM pushes at once
    between: str  # where G puts a latent point that is no typical sample: "between modes", "between digits"

    def sweep_meter(self, trainer: Trainer) -> SweepMeter:
        """Fidelity, coverage and distance to the data of G's samples (`truncation.truncation_sweep`)."""
        ...

    def embedding_real(
        self, trainer: Trainer, n: int, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """n real samples drawn with rng, and their classes where the data has them (else None)."""
        ...

    def embedding_classes(
        self, trainer: Trainer, real: np.ndarray, real_labels: np.ndarray | None, fake: np.ndarray
    ) -> tuple[np.ndarray | None, str | None]:
        """A class for each real then fake sample, and what the classes are (None, None: no classes)."""
        ...

    def fgsm_noise(self, trainer: Trainer, n: int, spread: float, rng: np.random.Generator) -> np.ndarray:
        """n noise samples where FGSM starts; `spread` ≥ 1 widens the region where the data allows it."""
        ...

    def fgsm_bound(self, x: torch.Tensor) -> torch.Tensor:
        """x kept inside the data's space after a step (the identity where the space is unbounded)."""
        ...

    def fgsm_judgement(self, trainer: Trainer, trajectory: np.ndarray) -> dict:
        """The kind's own verdicts on the FGSM samples at every step, as `FGSMResult` fields."""
        ...

    def fgsm_lesson(self, result) -> str:
        """What the FGSM samples became, in words: the kind's own measures and what they teach."""
        ...
