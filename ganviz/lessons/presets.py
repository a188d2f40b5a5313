"""Named setups: a config plus what to watch for. Loading one sets every control.

Adding a preset is one entry in `PRESETS`. Each preset's overrides are applied on top of the
defaults, so a preset names only what makes it what it is.

Lessons are presets with a `promise` (a claim in words, with numbers) and a `check` that runs the
lesson from scratch for one seed, headless, and says whether the promise held. Checks run on the CPU
so their numbers are reproducible; `python -m ganviz lessons --check` runs each over five seeds.
Every threshold was set from measurements over seeds 0-9; each promise held in at least 9 of those 10.
Lessons that show a failure turn the default stabilisers (R1 penalty, EMA) off explicitly, and use
small networks so that a check takes seconds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ganviz.config import GANConfig, image_config
from ganviz.lessons.checks import (
    D_TOO_STRONG,
    HINGE_SN,
    MINIBATCH,
    MODE_COLLAPSE,
    NON_CONVERGENCE,
    VANISHING,
    WGAN_CLIP,
    check_balance,
    check_hinge_sn,
    check_minibatch,
    check_mode_collapse,
    check_non_convergence,
    check_vanishing_gradients,
    check_wgan,
)
from ganviz.registry import lookup


@dataclass(frozen=True)
class Preset:
    name: str
    title: str
    watch: str  # two or three sentences: what the user should look for
    overrides: dict = field(default_factory=dict)
    seed: int = 0  # the fixed seed: part of the config that `config()` produces
    steps: int = 5000  # how many iterations to watch
    promise: str = ""  # lessons: the checkable claim, with numbers
    check: Callable[[int], dict] | None = None  # lessons: seed -> {"passed": bool, "measured": {...}}

    def config(self, **changes) -> GANConfig:
        return GANConfig.from_dict({"seed": self.seed, **self.overrides, **changes})


PRESETS: dict[str, Preset] = {
    p.name: p
    for p in [
        Preset(
            "ring8",
            "Ring of 8 Gaussians, default settings",
            "The defaults: non-saturating loss, Adam, a small R1 penalty and an EMA copy of G. "
            "All 8 modes should be covered with over 90 % of samples within 3σ of a mode by about "
            "5,000 iterations.",
            {"dataset": "ring8"},
        ),
        Preset(
            "grid25",
            "Grid of 25 Gaussians",
            "Twenty-five tight modes are much harder than eight: G must tear its 2D latent plane into "
            "25 pieces, and at the default learning rate it now and then drops a few modes and finds "
            "them again. Halved learning rates make it steady: all 25 modes by about 5,000 iterations, "
            "over 90 % high-quality samples by about 15,000.",
            {"dataset": "grid25", "lr_d": 5e-4, "lr_g": 5e-4},
            steps=15000,
        ),
        Preset(
            "mode-collapse",
            "Mode collapse",
            "G learns ten times faster than D, so it keeps piling all its points onto whichever spot D "
            "currently likes best. Watch the fakes travel round the ring as one tight clump: D's surface "
            "slowly sinks under them, and they hop on to the next mode. Set D's learning rate equal to G's "
            "and the clump spreads over the whole ring.",
            MODE_COLLAPSE,
            seed=0,
            steps=2000,
            promise="After 2,000 iterations at least 90 % of G's samples lie nearest to just 2 of the 8 modes and "
            "at most 2 modes are captured, and the clump has visited at least 3 different modes on the "
            "way (checked every 250 iterations); the same run with D's learning rate equal to G's "
            "captures at least 7 of 8.",
            check=check_mode_collapse,
        ),
        Preset(
            "vanishing-gradients",
            "Vanishing gradients",
            "D was pre-trained and takes 3 steps per G step, so it rejects every fake with near certainty; "
            "with the saturating loss log(1 − D(G(z))) G's arrows all but vanish, its gradient-norm chart "
            "sinks below 0.001 and the fakes sit still. After about 500 iterations switch the loss to "
            "non-saturating: the arrows reappear, G's gradient jumps a thousandfold and the fakes stream "
            "out to the ring. G uses plain SGD here because Adam would rescale even a vanishing gradient "
            "and hide the problem.",
            VANISHING,
            seed=0,
            steps=1000,
            promise="With the saturating loss, G's gradient norm (median of iterations 451-500) is below 0.001 and "
            "the samples barely move (sliced W1 changes by less than 5 %); after switching to "
            "non-saturating at iteration 500, the median over the next 50 iterations is at least 1,000 "
            "times larger and sliced W1 has halved by iteration 1,000.",
            check=check_vanishing_gradients,
        ),
        Preset(
            "balance",
            "Balance: D too strong, G too strong",
            "Here D takes 5 steps at ten times G's learning rate: on the charts D(x) climbs towards 1 and "
            "D(G(z)) sinks towards 0, and G, pushed around by a near-perfect D, mostly ends up on a few modes. Start "
            "new runs with k_D = 1 and equal learning rates (balanced: the two curves stay close and the ring "
            "fills in), then with D's rate ten times below G's (G too strong: both curves sit at 0.5, yet "
            "the samples are one clump that D has stopped telling apart).",
            D_TOO_STRONG,
            seed=0,
            steps=1000,
            promise="Three runs from the same seed, D's outputs averaged over their last 100 iterations: D too "
            "strong (k_D = 5, lr_D = 10 lr_G, 1,000 iterations) gives D(x) ≥ 0.8 and D(G(z)) ≤ 0.2; "
            "balanced (k_D = 1, equal rates, 2,000 iterations) keeps D(x) − D(G(z)) between 0.02 and "
            "0.3 and captures at least 7 of 8 modes; G too strong (lr_G = 10 lr_D, 1,000 iterations) "
            "puts both D(x) and D(G(z)) within 0.45-0.55 while at least 90 % of the samples lie "
            "nearest to 2 modes.",
            check=check_balance,
        ),
        Preset(
            "non-convergence",
            "Non-convergence: orbiting instead of settling",
            "Gradient steps on a two-player game rotate around the equilibrium instead of descending into "
            "it, and with plain SGD at learning rate 0.2 the rotation never dies down. Watch the cloud of "
            "fakes swing round and across the ring, D's surface flip back and forth and the loss curves "
            "oscillate without a trend. Set the R1 penalty to 1 and start a new run: it damps the rotation "
            "and the cloud settles.",
            NON_CONVERGENCE,
            seed=0,
            steps=2000,
            promise="Over iterations 1,001-2,000 the centre of G's samples stays on average at least 0.5 away "
            "from its own mean position and D(G(z)) swings with a standard deviation of at least 0.1; "
            "the same run with R1 = 1 wanders at most 0.2 with a standard deviation of at most 0.02.",
            check=check_non_convergence,
        ),
        Preset(
            "wgan",
            "WGAN: weight clipping vs gradient penalty",
            "Weight clipping keeps every weight of the critic in [−0.01, 0.01], which flattens it: its "
            "surface is a faint ramp, its arrows are tiny and its own W1 estimate on the critic chart "
            "reads almost 0 while the true W1 is near 1. Switch the loss to WGAN-GP and start a new run: the "
            "gradient penalty holds the critic's slope near 1 between real and fake points, so the arrows "
            "get unit length and the estimate means something.",
            WGAN_CLIP,
            seed=0,
            steps=1000,
            promise="After 500 iterations the clipped critic's slope between real and fake points (median "
            "‖∇ₓD‖) is below 0.01 and its W1 estimate is under 1 % of the true W1; the same run with "
            "the gradient penalty instead has a slope between 0.8 and 1.2.",
            check=check_wgan,
        ),
        Preset(
            "hinge-sn",
            "Hinge loss + spectral normalisation",
            "Spectral normalisation divides each of D's weight matrices by its largest singular value, so D "
            "can never get steeper than slope 1: its surface stays smooth, its values stay small and the "
            "arrows stay short, while G still learns the ring. Turn spectral norm off and start a new run "
            "with the same hinge loss: D's surface keeps getting steeper and its values keep growing.",
            HINGE_SN,
            seed=0,
            steps=2000,
            promise="After 2,000 iterations D's steepest slope over the plane (max ‖∇ₓD‖ on a 40 × 40 grid) "
            "is at most 1 and G captures at least 6 of 8 modes; without spectral norm the steepest slope "
            "exceeds 5 by iteration 1,000.",
            check=check_hinge_sn,
        ),
        Preset(
            "minibatch",
            "Minibatch discrimination against collapse",
            "The mode-collapse setup again, but D now also compares each sample with the rest of its batch, "
            "so a batch of near-identical fakes is easy to spot. Instead of one clump hopping round the ring, "
            "the fakes spread over all eight modes. Turn the minibatch features off and start a new run to "
            "see the clump come back.",
            MINIBATCH,
            seed=0,
            steps=1000,
            promise="After 1,000 iterations G captures at least 6 of 8 modes and no 2 modes hold more than 40 % of "
            "its samples; the same run without minibatch discrimination captures at most 2 and puts at "
            "least 90 % of its samples nearest to 2 modes.",
            check=check_minibatch,
        ),
    ]
}
LESSONS: tuple[Preset, ...] = tuple(p for p in PRESETS.values() if p.check is not None)


def get_preset(name: str) -> Preset:
    return lookup(PRESETS, name, "preset")


def _image_preset(name: str, title: str, watch: str, steps: int, **changes) -> Preset:
    return Preset(name, title, watch, overrides=image_config("mnist", **changes).to_dict(), steps=steps)


IMAGE_LESSONS: dict[str, Preset] = {
    p.name: p
    for p in [
        _image_preset(
            "digit-collapse",
            "Mode collapse on digits",
            "G learns 2.5 times faster than D here and takes two steps for each of D's, without the EMA copy. "
            "Within about 1,000 iterations nearly every sample is the same digit: watch the histogram shrink to one "
            "bar and the grid's cells turn alike. Compare with free play (both rates 5e-4, one G step per D step), "
            "which keeps every digit.",
            3000,
            lr_g=2e-3,
            lr_d=2e-4,
            g_steps=2,
            ema=0.0,
        ),
        _image_preset(
            "digits-wgan-gp",
            "WGAN-GP on digits",
            "A critic with a gradient penalty, five critic steps per generator step and Adam's β1 = 0.5, β2 = 0.9 "
            "(Gulrajani et al.). The critic's loss is an estimate of the Wasserstein distance: watch it fall with "
            "the FID while every digit stays in the histogram.",
            4000,
            loss="wgan-gp",
            d_steps=5,
            lr_d=1e-4,
            lr_g=1e-4,
            beta2_d=0.9,
            beta2_g=0.9,
        ),
        _image_preset(
            "digits-conditional",
            "Conditional GAN: pick the digit",
            "G and D both see the class: each row of the grid is G asked for one digit, with the same noise along "
            "each column (so a column shares its style). Set digits to, say, 38 in the run settings to train on "
            "just those two.",
            3000,
            conditional=True,
        ),
    ]
}
