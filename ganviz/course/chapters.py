"""The guided course: chapters that follow the five GAN lectures, each a prediction, a run and its reading.

A chapter gives 2-4 sentences of context with the lecture's formula, asks a multiple-choice question
before anything runs, then plays its run to a checkpoint. At the checkpoint its live check (a reading,
see readings.py) decides which choice happened, measured on that run; the reveal says whether the
prediction was right and why. One "now try" variation (a new run with a few settings changed, or the same
run continued with them) comes with its own reading and expected outcome. Every setup is a lesson's
(ganviz/lessons/checks.py), so the course and the lessons teach from the same measured configurations.

Adding a chapter is one `Chapter(...)` in `CHAPTERS`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ganviz.config import GANConfig
from ganviz.course.readings import (
    Reading,
    read_coverage,
    read_critic_slope,
    read_g_gradient,
    read_orbit,
    read_steepest,
    read_verdict,
)
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

# What a chapter points the student at: a part of the main view (ganviz.figures.highlight.VIEW_PARTS, drawn
# with an arrow) or a panel of the curves (ganviz.figures.curves.CHART_PANELS, framed).
LOOK_AT = {
    "surface": "D's surface: the background colour, D's verdict at every point of the plane",
    "samples": "G's samples (purple) against the data's modes (circles)",
    "arrows": "the arrows on G's samples: where G's loss pushes each one",
    "outputs": "the chart of D(x) and D(G(z))",
    "grad_norms": "the chart of the gradient norms (log scale)",
    "modes": "the chart of modes captured",
}


@dataclass(frozen=True)
class Choice:
    outcome: str  # the reading's outcome that makes this choice right
    text: str


@dataclass(frozen=True)
class NowTry:
    """One click: `changes` on top of the chapter's setup, as a new run (or, with `continue_run`, applied to
    the run as it stands); read `steps` iterations later."""

    label: str
    changes: dict
    steps: int
    read: Callable[[object, int], Reading]
    expected: str  # the outcome it should show
    watch: str  # what to look for, one sentence
    continue_run: bool = False


@dataclass(frozen=True)
class Chapter:
    slug: str
    title: str
    lectures: tuple[str, ...]  # the lectures (000-004) it follows
    context: str  # 2-4 sentences
    formula: str  # LaTeX
    question: str
    choices: tuple[Choice, ...]
    setup: dict  # GANConfig overrides
    steps: int  # the checkpoint: the run is read here
    read: Callable[[object, int], Reading]
    expected: str  # the outcome the run shows (in at least 4 of 5 seeds: `course --check`)
    why: str  # the reveal's explanation
    now_try: NowTry
    look_at: str  # a key of LOOK_AT

    def config(self, seed: int = 0, **changes) -> GANConfig:
        return GANConfig.from_dict({**self.setup, **changes, "seed": seed})

    def now_try_config(self, seed: int = 0) -> GANConfig:
        return self.config(seed, **self.now_try.changes)

    def choice_for(self, outcome: str) -> Choice | None:
        return next((c for c in self.choices if c.outcome == outcome), None)

    def as_dict(self) -> dict:
        """The chapter in plain values (the CLI's listing)."""
        return {
            "slug": self.slug,
            "title": self.title,
            "lectures": list(self.lectures),
            "question": self.question,
            "choices": [c.text for c in self.choices],
            "answer": self.choice_for(self.expected).text,
            "checkpoint": self.steps,
            "setup": self.config().to_query(),
            "now_try": {"label": self.now_try.label, "changes": self.now_try.changes, "steps": self.now_try.steps},
        }


COVERAGE_CHOICES = (
    Choice("spread", "They spread over (nearly) all 8 modes"),
    Choice("partial", "They cover a few modes, unevenly"),
    Choice("collapse", "1 or 2 modes hold almost every sample"),
)

CHAPTERS: tuple[Chapter, ...] = (
    Chapter(
        "the-game",
        "The game, and D's surface",
        ("000", "002", "003"),
        "A GAN is two networks in a game. The discriminator D learns to say 1 on real data and 0 on the "
        "generator's samples; the generator G learns to move its samples to where D says 1. The colour behind "
        "the points is D's verdict at every place of the plane: G's samples follow its slope.",
        r"\min_G \max_D \; \mathbb{E}_{x\sim p_{data}}[\log D(x)] + \mathbb{E}_{z\sim p_z}[\log(1 - D(G(z)))]",
        "D and G learn at the same rate. After 2,000 iterations, what will D say about real points and about "
        "G's samples?",
        (
            Choice("d-wins", "About 1 on real points and about 0 on G's samples: D still tells them apart"),
            Choice("undecided-spread", "Both near 0.5: G's samples lie on the data, and D can no longer tell"),
            Choice("in-between", "Something else: D keeps changing its mind"),
        ),
        BALANCED,
        2000,
        read_verdict,
        "undecided-spread",
        "At the game's equilibrium G's samples are distributed like the data, and the best D can do is say 1/2 "
        "everywhere: the optimal D is p_data / (p_data + p_G) = 1/2.",
        NowTry(
            "Make D too strong: 5 D steps per G step, G's rate ten times lower",
            {"d_steps": 5, "lr_g": D_TOO_STRONG["lr_g"]},
            1000,
            read_verdict,
            "d-wins",
            "D(x) climbs towards 1 and D(G(z)) sinks towards 0: D wins, and G is pushed around by a near-perfect D.",
        ),
        "surface",
    ),
    Chapter(
        "saturating-loss",
        "Saturating vs non-saturating: vanishing gradients",
        ("001", "002"),
        "The original G loss, log(1 − D(G(z))), is flat where D is sure a sample is fake: early in training, "
        "exactly when G most needs to learn. Goodfellow et al. suggest G maximise log D(G(z)) instead. Here D "
        "was pre-trained and takes 3 steps per G step, and G uses plain SGD, whose steps are proportional to "
        "the gradient.",
        r"\nabla_{\theta_G} \log(1 - D(G(z))) \to 0 \quad\text{as}\quad D(G(z)) \to 0",
        "D rejects every fake with near certainty. With the saturating loss, how large will G's gradient be "
        "after 500 iterations?",
        (
            Choice("strong", "Large: D's verdict is clear, so G gets a strong signal"),
            Choice("weak", "Small but useful: the fakes creep towards the data"),
            Choice("vanished", "Almost zero (below 0.001): the fakes sit still"),
        ),
        VANISHING,
        500,
        read_g_gradient,
        "vanished",
        "Where D(G(z)) ≈ 0 the sigmoid is flat, and so is log(1 − D(G(z))): its gradient carries a factor "
        "D(G(z)) that is nearly 0. The non-saturating loss −log D(G(z)) carries 1 − D(G(z)) ≈ 1 instead.",
        NowTry(
            "Switch G's loss to non-saturating, same run",
            {"loss": "nonsaturating"},
            50,
            read_g_gradient,
            "returned",
            "G's gradient jumps a thousandfold within a few iterations, the arrows reappear and the fakes stream out.",
            continue_run=True,
        ),
        "grad_norms",
    ),
    Chapter(
        "mode-collapse",
        "Mode collapse",
        ("001", "002"),
        "G is rewarded for each sample D believes, not for covering the data. If G learns much faster than D, "
        "it can pile every sample onto whichever spot D likes best right now; D then learns to reject that "
        "spot, and G moves on. The data here has 8 modes on a ring.",
        r"G^* = \arg\min_G \max_D V(D, G) \;\neq\; \max_D \arg\min_G V(D, G)",
        "G learns ten times faster than D. After 2,000 iterations, where will G's samples be?",
        COVERAGE_CHOICES,
        MODE_COLLAPSE,
        2000,
        read_coverage,
        "collapse",
        "Alternating steps solve min over G of max over D only if D keeps up. A fast G answers the current D with "
        "one point, and D's answer just moves the clump: G never sees a reason to spread out.",
        NowTry(
            "Let D learn as fast as G (both rates 0.001)",
            {"lr_d": MODE_COLLAPSE["lr_g"]},
            2000,
            read_coverage,
            "spread",
            "The clump spreads over the ring: with D keeping up, every mode G leaves empty is one D can point at.",
        ),
        "samples",
    ),
    Chapter(
        "minibatch-discrimination",
        "Fighting collapse: minibatch discrimination",
        ("001", "002"),
        "Mode collapse is easy to see in a batch: the samples are all alike. Minibatch discrimination gives D "
        "features that compare each sample with the rest of its batch (Salimans et al. 2016), so D can reject a "
        "batch of near-identical fakes even where each one alone looks real.",
        r"o(x_i) = \sum_{j} \exp\!\left(-\lVert M_i - M_j \rVert_{L_1}\right)",
        "The same collapsing setup (G ten times faster than D), but D sees minibatch features. After 1,000 "
        "iterations, where will G's samples be?",
        COVERAGE_CHOICES,
        MINIBATCH,
        1000,
        read_coverage,
        "spread",
        "A clump has small distances within the batch, and D learns that such batches are fake: G is pushed to "
        "make its batch as varied as the data's, which means covering the modes.",
        NowTry(
            "Turn the minibatch features off",
            {"minibatch_features": "none"},
            1000,
            read_coverage,
            "collapse",
            "Without the batch features the clump comes back.",
        ),
        "samples",
    ),
    Chapter(
        "when-d-says-half",
        "When D says 0.5, has G won?",
        ("002", "003"),
        "D's outputs are easy to watch, and D(G(z)) ≈ 0.5 looks like success. But D only judges what it has "
        "learnt to judge: a D that is too weak to keep up also ends near 0.5, whatever G does.",
        r"D^*(x) = \frac{p_{data}(x)}{p_{data}(x) + p_G(x)}",
        "G learns ten times faster than D. After 1,000 iterations, D(x) and D(G(z)) will both be near 0.5. "
        "What will G's samples look like?",
        (
            Choice("undecided-spread", "Like the data: all 8 modes covered"),
            Choice("undecided-clump", "One clump on 1 or 2 modes, which D has stopped telling apart"),
            Choice("in-between", "D will not be near 0.5 after all"),
        ),
        G_TOO_STRONG,
        1000,
        read_verdict,
        "undecided-clump",
        "D ≈ 0.5 only says D cannot tell the two apart *now*. The formula's 1/2 is the optimal D's answer "
        "to a perfect G; a D that lags behind G says 1/2 too. Look at the samples, not just the curves.",
        NowTry(
            "Balance the players: D's rate up to G's, for 2,000 iterations",
            {"lr_d": BALANCED["lr_d"]},
            2000,
            read_verdict,
            "undecided-spread",
            "D still says about 0.5, and now the samples cover the ring: the same numbers, a different G.",
        ),
        "outputs",
    ),
    Chapter(
        "non-convergence",
        "Non-convergence: orbiting instead of settling",
        ("002",),
        "Gradient descent on a two-player game does not descend into the equilibrium: each player's step "
        "changes the other's landscape, and the joint update rotates around the solution. On the toy game "
        "min_x max_y xy simultaneous gradient steps spiral outwards. Here both players use plain SGD at rate 0.2.",
        r"\dot{x} = -y,\quad \dot{y} = x \quad\Rightarrow\quad x^2 + y^2 = \text{const}",
        "After 2,000 iterations, what will G's samples and D's verdict on them do?",
        (
            Choice("settle", "Settle on the ring, with D's verdict steady"),
            Choice("orbit", "Keep swinging around: D's verdict on them keeps flipping"),
            Choice("diverged", "Blow up: training diverges"),
        ),
        NON_CONVERGENCE,
        2000,
        read_orbit,
        "orbit",
        "The game's vector field has a rotation at the equilibrium; plain gradient steps follow it round "
        "instead of in. A penalty on D's gradient at real data (R1, Mescheder et al. 2018) adds the damping.",
        NowTry(
            "Add the R1 penalty (weight 1)",
            {"r1_weight": 1.0},
            2000,
            read_orbit,
            "settle",
            "The swinging dies down and the cloud settles on the data.",
        ),
        "outputs",
    ),
    Chapter(
        "wasserstein-clipping",
        "From JS to Wasserstein: weight clipping",
        ("001", "002"),
        "When the real and fake distributions do not overlap, the JS divergence is stuck at log 2 and gives G "
        "no direction. The Wasserstein distance keeps measuring how far apart they are; its dual needs a "
        "critic with slope at most 1. The WGAN paper enforces that by clipping every critic weight to "
        "[−0.01, 0.01].",
        r"W_1(p, q) = \sup_{\lVert f \rVert_L \le 1} \mathbb{E}_{p}[f(x)] - \mathbb{E}_{q}[f(x)]",
        "The critic's weights are clipped to [−0.01, 0.01]. After 500 iterations, what will its slope be "
        "between the real and the fake points?",
        (
            Choice("unit", "About 1: the steepest the duality allows"),
            Choice("flat", "Almost 0: a faint ramp, and its W1 estimate near 0"),
            Choice("steep", "Far above 1"),
        ),
        WGAN_CLIP,
        500,
        read_critic_slope,
        "flat",
        "Clipping bounds every weight, and a product of small weights is a very flat function: the critic "
        "is far inside the 1-Lipschitz ball, so its estimate of W1 is a tiny fraction of the true distance.",
        NowTry(
            "Replace clipping by the gradient penalty (WGAN-GP)",
            {"loss": "wgan-gp"},
            500,
            read_critic_slope,
            "unit",
            "The penalty holds the slope near 1 between real and fake points: the arrows get unit length.",
        ),
        "arrows",
    ),
    Chapter(
        "gradient-penalty",
        "The gradient penalty",
        ("002",),
        "WGAN-GP drops clipping and instead penalises the critic wherever its slope differs from 1, on points "
        "between real and fake samples (Gulrajani et al. 2017). The critic can then be as steep as the duality "
        "allows, and its loss estimates W1.",
        r"L_D = \mathbb{E}[D(\tilde x)] - \mathbb{E}[D(x)] + \lambda\, \mathbb{E}_{\hat x}"
        r"\big[(\lVert \nabla_{\hat x} D(\hat x) \rVert_2 - 1)^2\big]",
        "With the gradient penalty (λ = 10), what slope will the critic have between real and fake points after "
        "500 iterations?",
        (
            Choice("unit", "About 1"),
            Choice("flat", "Almost 0, as with clipping"),
            Choice("steep", "Far above 1: nothing stops it"),
        ),
        {**WGAN_CLIP, "loss": "wgan-gp"},
        500,
        read_critic_slope,
        "unit",
        "The penalty's minimum is slope exactly 1 on the segments between real and fake points, and the "
        "critic's own objective wants to be as steep as it can: the two meet at 1.",
        NowTry(
            "Go back to weight clipping",
            {"loss": "wasserstein"},
            500,
            read_critic_slope,
            "flat",
            "The slope collapses to almost 0 and the critic's W1 estimate with it.",
        ),
        "arrows",
    ),
    Chapter(
        "hinge-spectral-norm",
        "Hinge loss and spectral normalisation",
        ("002", "004"),
        "Spectral normalisation divides each of D's weight matrices by its largest singular value, so every "
        "layer, and so D, has slope at most 1 (Miyato et al. 2018). With the hinge loss it is the recipe of "
        "SN-GAN, SAGAN and BigGAN.",
        r"\bar W = W / \sigma(W), \qquad L_D = \mathbb{E}[\max(0, 1 - D(x))] + \mathbb{E}[\max(0, 1 + D(G(z)))]",
        "D uses the hinge loss and spectral normalisation. After 2,000 iterations, how steep will D's surface "
        "be at its steepest?",
        (
            Choice("bounded", "At most slope 1, anywhere on the plane"),
            Choice("moderate", "A little above 1"),
            Choice("steep", "Steep: slope 5 or more, and growing"),
        ),
        HINGE_SN,
        2000,
        read_steepest,
        "bounded",
        "Each normalised layer has spectral norm 1 and the activations have slope at most 1, so their "
        "composition cannot be steeper than 1: a bound by construction, whatever the loss asks.",
        NowTry(
            "Turn spectral normalisation off",
            {"spectral_norm_d": False},
            1000,
            read_steepest,
            "steep",
            "D's surface keeps getting steeper and its values keep growing.",
        ),
        "surface",
    ),
)

CHAPTER_BY_SLUG = {c.slug: c for c in CHAPTERS}
