"""Looking inside a trained GAN: interpolation and arithmetic in its latent space (`noise`, `probe`), the
truncation trick measured (`truncation`), D's embedding space (`embedding`) and FGSM from noise (`fgsm`).

What differs between 2D points and images lives in one object per kind of data (`domain.LatentDomain`);
`latent_domain(trainer)` is the one place that picks it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ganviz.latent.domain import LatentDomain
from ganviz.latent.images import ImagesLatent
from ganviz.latent.points import PointsLatent

if TYPE_CHECKING:
    from ganviz.training.trainer import Trainer

LATENT_DOMAINS: dict[str, LatentDomain] = {"points": PointsLatent(), "images": ImagesLatent()}


def latent_domain(trainer: Trainer) -> LatentDomain:
    """What the latent tools do for this run's kind of data."""
    return LATENT_DOMAINS[trainer.domain.kind]
