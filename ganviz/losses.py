"""The loss registry: name -> the discriminator's and the generator's objectives.

Every function takes D's raw outputs (logits for probability losses, scores for the others),
shape (B,), and returns a scalar to *minimise*; given (R, B), several runs' outputs, it returns each
run's loss (R,) (a mean over the batch axis only). `real_target` is the label for real data
(1, or 1 - s with one-sided label smoothing s); losses without labels ignore it.
The penalties that need D's input gradients (WGAN-GP, R1) are functions here too; the trainer
applies them and WGAN's weight clipping, driven by the flags and weights of the run's settings.
Adding a loss is one function plus one line in `LOSSES`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from ganviz.registry import lookup

Tensor = torch.Tensor


# --- discriminator objectives -------------------------------------------------------------------


def bce_d(d_real: Tensor, d_fake: Tensor, real_target: float = 1.0) -> Tensor:
    """-[t log D(x) + (1-t) log(1-D(x))] - log(1 - D(G(z))), D = sigmoid(logit)."""
    real = real_target * F.softplus(-d_real) + (1 - real_target) * F.softplus(d_real)
    return real.mean(-1) + F.softplus(d_fake).mean(-1)


def least_squares_d(d_real: Tensor, d_fake: Tensor, real_target: float = 1.0) -> Tensor:
    """½ E[(D(x) - t)²] + ½ E[D(G(z))²]  (LSGAN with a=0, b=t, c=1)."""
    return 0.5 * ((d_real - real_target) ** 2).mean(-1) + 0.5 * (d_fake**2).mean(-1)


def wasserstein_d(d_real: Tensor, d_fake: Tensor, real_target: float = 1.0) -> Tensor:
    """E[f(G(z))] - E[f(x)]: the critic maximises the gap, an estimate of W1 when f is 1-Lipschitz."""
    return d_fake.mean(-1) - d_real.mean(-1)


def hinge_d(d_real: Tensor, d_fake: Tensor, real_target: float = 1.0) -> Tensor:
    """E[max(0, 1 - D(x))] + E[max(0, 1 + D(G(z)))]."""
    return F.relu(1 - d_real).mean(-1) + F.relu(1 + d_fake).mean(-1)


# --- generator objectives -----------------------------------------------------------------------


def minimax_g(d_fake: Tensor) -> Tensor:
    """E[log(1 - D(G(z)))]: the original, saturating objective (no gradient once D is confident)."""
    return -F.softplus(d_fake).mean(-1)


def nonsaturating_g(d_fake: Tensor) -> Tensor:
    """-E[log D(G(z))]: same fixed point, strong gradient where D rejects the fakes."""
    return F.softplus(-d_fake).mean(-1)


def least_squares_g(d_fake: Tensor) -> Tensor:
    """½ E[(D(G(z)) - 1)²]."""
    return 0.5 * ((d_fake - 1) ** 2).mean(-1)


def critic_g(d_fake: Tensor) -> Tensor:
    """-E[f(G(z))]: used by WGAN, WGAN-GP and hinge."""
    return -d_fake.mean(-1)


# --- penalties -----------------------------------------------------------------------------------


def gradient_penalty(
    discriminate: Callable[[Tensor], Tensor], real: Tensor, fake: Tensor, generator: torch.Generator | None = None
) -> Tensor:
    """E[(‖∇D(x̂)‖ - 1)²] at x̂ = εx + (1-ε)G(z), ε ~ U[0, 1] per sample (Gulrajani et al.).

    real, fake: (B, ...) on one device; `discriminate` maps (B, ...) -> (B,). The norm is over all
    of a sample's coordinates (1 for a 1D point, 2 for points, H·W for images). The result keeps
    its graph (create_graph), so D's optimiser can step on it.
    """
    eps = torch.rand(len(real), *([1] * (real.dim() - 1)), generator=generator, device=real.device)
    x_hat = (eps * real + (1 - eps) * fake).requires_grad_(True)
    (grad,) = torch.autograd.grad(discriminate(x_hat).sum(), x_hat, create_graph=True)
    return ((grad.reshape(len(grad), -1).norm(dim=1) - 1) ** 2).mean()


def r1_penalty(d_real: Tensor, real: Tensor) -> Tensor:
    """E[‖∇D(x)‖²] at the real samples (Mescheder et al. 2018); `real` must require gradients and
    `d_real` (B,) be D's outputs on it. The R1 term of D's loss is γ/2 times this. Keeps its graph."""
    (grad,) = torch.autograd.grad(d_real.sum(), real, create_graph=True)
    return grad.flatten(1).pow(2).sum(-1).mean(-1)


# --- the registry -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Loss:
    name: str
    title: str
    d_loss: Callable[..., Tensor]
    g_loss: Callable[[Tensor], Tensor]
    output: str  # "probability": D's output is a logit; "score": LSGAN's target-0/1 score; "critic": unbounded
    formula_d: str  # LaTeX of what D minimises
    formula_g: str  # LaTeX of what G minimises
    clip_weights: bool = False  # WGAN: clip D's weights to [-c, c] after each step
    gradient_penalty: bool = False  # WGAN-GP: λ E[(‖∇D(x̂)‖ - 1)²] on real/fake interpolates

    @property
    def uses_labels(self) -> bool:
        return self.output != "critic"


LOSSES: dict[str, Loss] = {
    loss.name: loss
    for loss in [
        Loss(
            "minimax",
            "Minimax (saturating)",
            bce_d,
            minimax_g,
            "probability",
            r"-\mathbb{E}[\log D(x)] - \mathbb{E}[\log(1-D(G(z)))]",
            r"\mathbb{E}[\log(1-D(G(z)))]",
        ),
        Loss(
            "nonsaturating",
            "Non-saturating",
            bce_d,
            nonsaturating_g,
            "probability",
            r"-\mathbb{E}[\log D(x)] - \mathbb{E}[\log(1-D(G(z)))]",
            r"-\mathbb{E}[\log D(G(z))]",
        ),
        Loss(
            "least-squares",
            "Least squares (LSGAN)",
            least_squares_d,
            least_squares_g,
            "score",
            r"\tfrac12\mathbb{E}[(D(x)-1)^2] + \tfrac12\mathbb{E}[D(G(z))^2]",
            r"\tfrac12\mathbb{E}[(D(G(z))-1)^2]",
        ),
        Loss(
            "wasserstein",
            "WGAN (weight clipping)",
            wasserstein_d,
            critic_g,
            "critic",
            r"\mathbb{E}[f(G(z))] - \mathbb{E}[f(x)],\ |w| \le c",
            r"-\mathbb{E}[f(G(z))]",
            clip_weights=True,
        ),
        Loss(
            "wgan-gp",
            "WGAN-GP (gradient penalty)",
            wasserstein_d,
            critic_g,
            "critic",
            r"\mathbb{E}[f(G(z))] - \mathbb{E}[f(x)] + \lambda\,\mathbb{E}[(\lVert\nabla f(\hat x)\rVert-1)^2]",
            r"-\mathbb{E}[f(G(z))]",
            gradient_penalty=True,
        ),
        Loss(
            "hinge",
            "Hinge",
            hinge_d,
            critic_g,
            "critic",
            r"\mathbb{E}[\max(0,1-D(x))] + \mathbb{E}[\max(0,1+D(G(z)))]",
            r"-\mathbb{E}[D(G(z))]",
        ),
    ]
}


def get_loss(name: str) -> Loss:
    return lookup(LOSSES, name, "loss")
