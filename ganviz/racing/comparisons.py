"""Named comparisons: races set up to show one difference, with what to watch for.

Adding one is one entry in `COMPARISONS`. Each run is a set of overrides on the defaults (run A first);
all runs share the comparison's seed. Most are the lessons' own contrasts (`presets.py`), raced side
by side: a raced run trains exactly as it does alone, so the lessons' checked promises hold here too.
"""

from __future__ import annotations

from dataclasses import dataclass

from ganviz.config import GANConfig, image_config
from ganviz.lessons.checks import (
    BALANCED,
    D_TOO_STRONG,
    G_TOO_STRONG,
    HINGE_SN,
    MINIBATCH,
    MODE_COLLAPSE,
    NON_CONVERGENCE,
    VANISHING,
    WGAN_CLIP,
)
from ganviz.racing.config import RaceConfig
from ganviz.registry import lookup


@dataclass(frozen=True)
class Comparison:
    name: str
    title: str
    watch: str  # what to look for, with the numbers measured on the comparison's seed
    runs: tuple[dict, ...]  # overrides on the defaults, one dict per run (A first)
    seed: int = 0
    images: bool = False  # digit runs: overrides on `image_config("digits")` instead

    def config(self) -> RaceConfig:
        make = (lambda o: image_config("digits", **o)) if self.images else GANConfig.from_dict
        return RaceConfig(tuple(make({**o, "seed": self.seed}) for o in self.runs))


COMPARISONS: dict[str, Comparison] = {
    c.name: c
    for c in [
        Comparison(
            "nonsaturating-vs-wgan-gp",
            "Non-saturating against WGAN-GP (with its 5 critic steps)",
            "By iteration 1,500 the non-saturating run (A) has all 8 modes with 78 % of its samples within 3σ of "
            "one (90 % by 3,000; exact W1 about 0.15). WGAN-GP (B, with its recipe's 5 critic steps per G step) "
            "gathers its samples around the modes but leaves them spread: W1 about 0.6 and about 1 % within 3σ. "
            "Compare D's surfaces: a plateau against a slope.",
            ({}, {"loss": "wgan-gp", "d_steps": 5}),
        ),
        Comparison(
            "critic-steps",
            "WGAN-GP: one critic step against five",
            "With one critic step per generator step (A) the critic never nears its optimum: no mode found by "
            "iteration 3,000 (W1 about 1.7). With five (B, WGAN-GP's recipe) W1 falls to 0.95 by iteration 750 and "
            "0.66 by 1,500, and samples reach all 8 modes by 2,250. A Wasserstein critic guides G only when it is "
            "trained well.",
            ({"loss": "wgan-gp"}, {"loss": "wgan-gp", "d_steps": 5}),
        ),
        Comparison(
            "spectral-norm",
            "Hinge loss with and without spectral normalisation",
            "SN-GAN's recipe (run A) keeps D's steepest slope at most 1 and captures at least 6 of the 8 modes by "
            "iteration 2,000; without spectral norm (run B) D's slope grows past 5 by iteration 1,000 and its "
            "surface turns into sharp cliffs (the 'Hinge + spectral norm' lesson).",
            (HINGE_SN, {**HINGE_SN, "spectral_norm_d": False}),
        ),
        Comparison(
            "learning-rates",
            "Mode collapse: D ten times slower than G, against equal rates",
            "With lr_D = lr_G / 10 (run A) G's samples clump on at most 2 modes and the clump wanders from mode to "
            "mode; with equal rates (run B) G captures at least 7 of 8 by iteration 2,000 (the 'Mode collapse' "
            "lesson).",
            (MODE_COLLAPSE, {**MODE_COLLAPSE, "lr_d": 1e-3}),
        ),
        Comparison(
            "minibatch-discrimination",
            "Minibatch discrimination against collapse",
            "The collapsing setup of the mode-collapse lesson (run A) puts at least 90 % of its samples on 2 modes; "
            "with minibatch discrimination in D (run B) G captures at least 6 of 8 by iteration 1,000 (the "
            "'Minibatch discrimination' lesson).",
            (MODE_COLLAPSE, MINIBATCH),
        ),
        Comparison(
            "balance",
            "Balance: D too strong, balanced, G too strong",
            "Averaged over the last 100 of 1,000 iterations, the strong D (run A: 5 steps, 10 times G's rate) says "
            "D(x) ≥ 0.8 and D(G(z)) ≤ 0.2; the balanced pair (run B) keeps the two within 0.3 of each other and "
            "captures at least 7 modes by 2,000; with G too strong (run C) D sits at ½ on everything while G "
            "collapses onto 2 modes (the 'Balance' lesson).",
            (D_TOO_STRONG, BALANCED, G_TOO_STRONG),
        ),
        Comparison(
            "saturating-loss",
            "The saturating (minimax) G loss against the non-saturating one",
            "After 500 steps of pre-training D is confident. With the original minimax G loss (run A) G's gradient "
            "stays around 0.001 (median 0.0007 over iterations 451-500) and its samples barely move (sliced W1 "
            "1.19 -> 1.18 by iteration 500); from the same start the non-saturating loss (run B) gets gradients "
            "over a thousand times larger and pulls the samples in (sliced W1 0.29). Watch the gradient-norm panel.",
            (VANISHING, {**VANISHING, "loss": "nonsaturating"}),
        ),
        Comparison(
            "weight-clipping",
            "WGAN: weight clipping against the gradient penalty",
            "The clipped critic (run A) is nearly flat between real and fake points (median slope below 0.01) and "
            "its W1 estimate is under 1 % of the true W1 after 500 iterations; with the gradient penalty (run B) "
            "its slope is 0.8 to 1.2, as a 1-Lipschitz critic's should be (the 'WGAN' lesson).",
            (WGAN_CLIP, {**WGAN_CLIP, "loss": "wgan-gp"}),
        ),
        Comparison(
            "r1-penalty",
            "Plain gradient descent orbits; R1 settles it",
            "With plain SGD on both players (run A) the centre of G's samples keeps wandering (at least 0.5 away "
            "from its mean over iterations 1,001-2,000) and D(G(z)) swings; the R1 penalty on real data (run B) "
            "damps the orbit to at most 0.2 (the 'Non-convergence' lesson).",
            (NON_CONVERGENCE, {**NON_CONVERGENCE, "r1_weight": 1.0}),
        ),
        Comparison(
            "digits-conditional",
            "Digits: unconditional against conditional",
            "On scikit-learn's 8×8 digits, the conditional G (run B) is told which digit to draw, one row per "
            "digit; the unconditional one (run A) chooses for itself. Compare the digits present and the Fréchet "
            "distance.",
            ({}, {"conditional": True}),
            seed=0,
            images=True,
        ),
    ]
}
DEFAULT_COMPARISON = "nonsaturating-vs-wgan-gp"


def get_comparison(name: str) -> Comparison:
    return lookup(COMPARISONS, name, "comparison")
