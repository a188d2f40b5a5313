"""The truncation trick measured: fidelity against variety across thresholds psi."""
from __future__ import annotations
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING
import numpy as np
from ganviz.training import images as image_eval
from ganviz.metrics.images import image_metrics, nearest_neighbours
from ganviz.metrics.points import mode_stats, wasserstein1_exact
from ganviz.latent.noise import TRUNCATION_PSIS, check_count, check_psi, truncated_noise
from ganviz.latent.probe import LatentSamples, d_scores, run_labels, generate
if TYPE_CHECKING:
    from ganviz.training.trainer import Trainer


W1_POINTS = 500  # exact W1 of a truncation sweep on 500 + 500 points (~20 ms a threshold)



NEAR_DATA_QUANTILE = 0.95  # "near the data": as close to a real point as 95 % of real points are



DISTANCE_REFERENCE = 1000  # real samples each "distance to the data" is measured against



DISTANCE_BASELINE = 256  # real and generated samples whose distance to the data is the yardstick



def truncated_samples(trainer: "Trainer", n: int, psi: float | None, seed: int = 0) -> LatentSamples:
    """n samples of G from the run's noise truncated at ψ (`truncated_noise`), with a conditional
    run's trained digits in turn, and D's scores."""
    z = truncated_noise(trainer.config.noise, n, trainer.config.noise_dim, psi, seed)
    labels = run_labels(trainer, len(z))
    outputs = generate(trainer, z, labels)
    return LatentSamples(z=z, labels=labels, outputs=outputs, scores=d_scores(trainer, outputs, labels))



@dataclass
class TruncationSweep:
    """Fidelity against variety across truncation thresholds, one entry per ψ, all from the same
    uniform draws (so differences come from ψ alone)."""
    psis: np.ndarray  # (P,) thresholds; inf = untruncated
    fidelity: np.ndarray  # (P,) in [0, 1], higher = samples look more like data
    fidelity_name: str
    coverage: np.ndarray  # (P,) modes or digits covered (NaN where the data has no modes)
    coverage_total: int | None
    coverage_name: str
    distance: np.ndarray  # (P,) W1 (points, data units) or Fréchet distance (images) to real data: lower = closer
    distance_name: str
    distance_floor: float  # the same distance between two real sets: what a perfect generator scores
    samples: int  # samples per threshold



def _near_data_fraction(samples: np.ndarray, real: np.ndarray, reference: np.ndarray) -> float:
    """Share of samples at most as far from their nearest real point as NEAR_DATA_QUANTILE of a second
    real set is: a precision in the spirit of Kynkäänniemi et al. (2019), for data without modes."""
    _, d_ref = nearest_neighbours(reference, real, k=1)
    _, d = nearest_neighbours(samples, real, k=1)
    return float((d[:, 0] <= np.quantile(d_ref[:, 0], NEAR_DATA_QUANTILE)).mean())



def truncation_sweep(trainer: "Trainer", psis=TRUNCATION_PSIS, n: int | None = None, seed: int = 0
                     ) -> TruncationSweep:
    """For each ψ in `psis` (None: untruncated), n samples of G (default: 2,500 points, as the 2D metrics
    use, or 1,000 images) measured against the run's real evaluation data.

    Points: fidelity = % high quality (within 3σ of a mode), coverage = modes captured, distance =
    exact W1 on 500 + 500 points (the same subsample of the data for every ψ); data without modes:
    fidelity = share of samples near the data (`_near_data_fraction`), no coverage. Images: fidelity =
    the judge classifier's mean confidence, coverage = trained digits present, distance = Fréchet
    distance on the classifier's features (`metrics.image_metrics`).
    """
    psis = [check_psi(p) for p in psis]
    if not psis:
        raise ValueError("psis must name at least one threshold")
    default_n = image_eval.IMAGE_EVAL_SAMPLES if trainer.is_image else len(trainer.eval_real)
    n = default_n if n is None else check_count("n", n, at_least=2)
    if trainer.is_image:
        model, _, real = image_eval.judge(trainer)
        digits = trainer.config.digit_list()

        def measure(samples) -> tuple[float, float, float]:
            m = image_metrics(samples, model, trainer.eval_real_images, trainer.eval_reference_images,
                              digits=digits, real=real)
            return m["mean_confidence"], m["classes_covered"], m["fid"]

        names = dict(fidelity_name="classifier's mean confidence", coverage_total=len(digits),
                     coverage_name="digits present", distance_name="Fréchet distance (classifier features)",
                     distance_floor=float(real[2]))
    else:
        ds = trainer.dataset

        def w1(samples) -> float:  # a fresh generator each time: the same subsamples for every ψ
            return wasserstein1_exact(samples, trainer.eval_real, max_points=W1_POINTS, rng=np.random.default_rng(0))

        def measure(samples) -> tuple[float, float, float]:
            if ds.modes is None:
                return _near_data_fraction(samples, trainer.eval_real, trainer.eval_reference), math.nan, w1(samples)
            stats = mode_stats(samples, ds.modes, ds.sigma, ds.weights)
            return stats["hq_fraction"], stats["modes_captured"], w1(samples)

        names = dict(fidelity_name="near the data" if ds.modes is None else "high quality (within 3σ of a mode)",
                     coverage_total=None if ds.modes is None else len(ds.modes), coverage_name="modes captured",
                     distance_name="W1 to the data (exact)", distance_floor=w1(trainer.eval_reference))
    fidelity, coverage, distance = np.array([measure(truncated_samples(trainer, n, psi, seed).outputs)
                                             for psi in psis], dtype=np.float64).T
    return TruncationSweep(psis=np.array([math.inf if p is None else p for p in psis]), fidelity=fidelity,
                           coverage=coverage, distance=distance, samples=n, **names)
