"""Each lesson's promise as a check: train the lesson's setup for one seed and measure whether what it teaches
happened."""

from __future__ import annotations

import numpy as np

from ganviz.config import GANConfig
from ganviz.metrics.points import mode_stats, sliced_wasserstein1
from ganviz.training.trainer import Trainer

SMALL_NETS = {"g_depth": 2, "g_width": 64, "d_depth": 2, "d_width": 64}
NO_STABILISERS = {"r1_weight": 0.0, "ema": 0.0}  # the defaults' R1 penalty and EMA would hide the failure


def _trainer(overrides: dict, seed: int, **changes) -> Trainer:
    return Trainer(GANConfig.from_dict({**overrides, **changes, "seed": seed, "device": "cpu"}))


def _train(trainer: Trainer, n: int) -> bool:
    """n more iterations; False if training diverged on the way."""
    if trainer.divergence is None:
        trainer.step(n)
    return trainer.divergence is None


def _num(x: float, digits: int = 4) -> float:
    return float(f"{float(x):.{digits}g}")


def _nearest_mode_shares(trainer: Trainer) -> np.ndarray:
    """Share of G's evaluation samples whose nearest mode is each mode (K,), no distance threshold."""
    x, modes = trainer.sample(), trainer.domain.dataset.modes
    nearest = ((x[:, None, :] - modes[None, :, :]) ** 2).sum(-1).argmin(1)
    return np.bincount(nearest, minlength=len(modes)) / len(x)


def _modes_captured(trainer: Trainer) -> int:
    ds = trainer.domain.dataset
    return mode_stats(trainer.sample(), ds.modes, ds.sigma, ds.weights)["modes_captured"]


def _top2_share(trainer: Trainer) -> float:
    return float(np.sort(_nearest_mode_shares(trainer))[-2:].sum())


def _tail_mean(trainer: Trainer, key: str, n: int) -> float:
    return float(trainer.history.column(key)[-n:].mean())


def _slope(trainer: Trainer, points: np.ndarray) -> np.ndarray:
    """‖∇ₓD(x)‖ at each point (N,), for losses whose G loss is -E[D(G(z))] (critic and hinge):
    there −∇ₓ of G's loss, the arrow drawn in the live view, is ∇ₓD itself."""
    return np.linalg.norm(trainer.g_loss_push(points), axis=1)


def _interpolates(trainer: Trainer, n: int = 1000) -> np.ndarray:
    """Points on the segments between real and generated samples, where WGAN-GP puts its penalty."""
    t = np.random.default_rng(0).uniform(size=(n, 1))
    return t * trainer.domain.eval_real[:n] + (1 - t) * trainer.sample()[:n]


def _plane_grid(trainer: Trainer, size: int = 40) -> np.ndarray:
    xmin, xmax, ymin, ymax = trainer.domain.extent
    return np.stack(np.meshgrid(np.linspace(xmin, xmax, size), np.linspace(ymin, ymax, size)), -1).reshape(-1, 2)


def _centre_wander(trainer: Trainer, n: int, every: int = 10) -> float:
    """Train n iterations; mean distance of the centre of G's fixed-z samples from its own average
    position over them (sampled every `every` iterations). Near 0 when G has settled."""
    centres = []
    for _ in range(n // every):
        if not _train(trainer, every):
            break
        centres.append(trainer.sample(trainer.domain.fixed_z).mean(0))
    centres = np.array(centres)
    return float(np.linalg.norm(centres - centres.mean(0), axis=1).mean()) if len(centres) else float("nan")


def _sliced_w1(trainer: Trainer) -> float:
    return sliced_wasserstein1(trainer.sample(), trainer.domain.eval_real)


# Metz et al.'s vanilla baseline for unrolled GANs: G learns 10x faster than D.
MODE_COLLAPSE = {"dataset": "ring8", **SMALL_NETS, **NO_STABILISERS, "lr_d": 1e-4, "lr_g": 1e-3, "batch_size": 64}


def check_mode_collapse(seed: int) -> dict:
    tr = _trainer(MODE_COLLAPSE, seed)
    visited = set()
    for _ in range(8):
        _train(tr, 250)
        visited.add(int(_nearest_mode_shares(tr).argmax()))
    captured, top2 = _modes_captured(tr), _top2_share(tr)
    contrast = _trainer(MODE_COLLAPSE, seed, lr_d=1e-3)
    ok = _train(contrast, 2000) and tr.divergence is None
    contrast_captured = _modes_captured(contrast)
    return {
        "passed": ok and captured <= 2 and top2 >= 0.9 and len(visited) >= 3 and contrast_captured >= 7,
        "measured": {
            "modes_captured": captured,
            "top2_share": _num(top2),
            "modes_visited": len(visited),
            "equal_lr_modes_captured": contrast_captured,
        },
    }


# D pre-trained and 3 steps per G step; G on plain SGD, whose steps are proportional to the gradient
# (Adam would rescale a vanishing gradient and hide the problem).
VANISHING = {
    "dataset": "ring8",
    **SMALL_NETS,
    **NO_STABILISERS,
    "loss": "minimax",
    "pretrain_d": 500,
    "d_steps": 3,
    "optimizer_g": "sgd",
    "lr_g": 0.03,
}


def check_vanishing_gradients(seed: int) -> dict:
    tr = _trainer(VANISHING, seed)
    w_start = _sliced_w1(tr)
    _train(tr, 500)
    w_saturated = _sliced_w1(tr)
    tr.set_config(tr.config.replace(loss="nonsaturating"))
    _train(tr, 500)
    g = tr.history.column("grad_norm_g")
    if len(g) < 1000:
        return {"passed": False, "measured": {"diverged_at": tr.divergence.iteration}}
    g_saturating, g_nonsaturating = float(np.median(g[450:500])), float(np.median(g[500:550]))
    w_end = _sliced_w1(tr)
    moved = abs(w_saturated - w_start) / w_start
    return {
        "passed": g_saturating < 1e-3
        and moved < 0.05
        and g_nonsaturating >= 1000 * g_saturating
        and w_end <= 0.5 * w_saturated,
        "measured": {
            "grad_norm_g_saturating": _num(g_saturating),
            "grad_norm_g_nonsaturating": _num(g_nonsaturating),
            "sliced_w1_start": _num(w_start),
            "sliced_w1_at_500": _num(w_saturated),
            "sliced_w1_at_1000": _num(w_end),
        },
    }


D_TOO_STRONG = {
    "dataset": "ring8",
    **SMALL_NETS,
    **NO_STABILISERS,
    "batch_size": 64,
    "d_steps": 5,
    "lr_d": 1e-3,
    "lr_g": 1e-4,
}
G_TOO_STRONG = {**D_TOO_STRONG, "d_steps": 1, "lr_d": 1e-4, "lr_g": 1e-3}  # = MODE_COLLAPSE
BALANCED = {**D_TOO_STRONG, "d_steps": 1, "lr_d": 1e-3, "lr_g": 1e-3}


def check_balance(seed: int) -> dict:
    measured, ok = {}, True
    for name, overrides, steps in (
        ("d_strong", D_TOO_STRONG, 1000),
        ("balanced", BALANCED, 2000),
        ("g_strong", G_TOO_STRONG, 1000),
    ):
        tr = _trainer(overrides, seed)
        ok &= _train(tr, steps)
        measured[f"{name}_d_real"] = _num(_tail_mean(tr, "d_real", 100))
        measured[f"{name}_d_fake"] = _num(_tail_mean(tr, "d_fake", 100))
        measured[f"{name}_modes_captured"] = _modes_captured(tr)
        if name == "g_strong":
            measured["g_strong_top2_share"] = _num(_top2_share(tr))
    m = measured
    d_strong = m["d_strong_d_real"] >= 0.8 and m["d_strong_d_fake"] <= 0.2
    balanced = 0.02 <= m["balanced_d_real"] - m["balanced_d_fake"] <= 0.3 and m["balanced_modes_captured"] >= 7
    g_strong = all(0.45 <= m[f"g_strong_{k}"] <= 0.55 for k in ("d_real", "d_fake")) and m["g_strong_top2_share"] >= 0.9
    return {"passed": bool(ok and d_strong and balanced and g_strong), "measured": measured}


NON_CONVERGENCE = {
    "dataset": "ring8",
    **SMALL_NETS,
    **NO_STABILISERS,
    "optimizer_d": "sgd",
    "optimizer_g": "sgd",
    "lr_d": 0.2,
    "lr_g": 0.2,
}


def check_non_convergence(seed: int) -> dict:
    measured, ok = {}, True
    for name, changes in (("", {}), ("r1_", {"r1_weight": 1.0})):
        tr = _trainer(NON_CONVERGENCE, seed, **changes)
        ok &= _train(tr, 1000)
        measured[f"{name}centre_wander"] = _num(_centre_wander(tr, 1000))
        measured[f"{name}d_fake_std"] = _num(tr.history.column("d_fake")[-1000:].std())
        ok &= tr.divergence is None
    m = measured
    return {
        "passed": bool(
            ok
            and m["centre_wander"] >= 0.5
            and m["d_fake_std"] >= 0.1
            and m["r1_centre_wander"] <= 0.2
            and m["r1_d_fake_std"] <= 0.02
        ),
        "measured": measured,
    }


WGAN_CLIP = {
    "dataset": "ring8",
    **SMALL_NETS,
    **NO_STABILISERS,
    "loss": "wasserstein",
    "d_steps": 5,
    "lr_d": 1e-4,
    "lr_g": 1e-4,
    "beta2_d": 0.9,
    "beta2_g": 0.9,
}


def check_wgan(seed: int) -> dict:
    measured, ok = {}, True
    for name, loss in (("clip", "wasserstein"), ("gp", "wgan-gp")):
        tr = _trainer(WGAN_CLIP, seed, loss=loss)
        ok &= _train(tr, 500)
        metrics = tr.evaluate()
        measured[f"{name}_slope"] = _num(np.median(_slope(tr, _interpolates(tr))))
        measured[f"{name}_critic_estimate"] = _num(metrics["critic_estimate"])
        measured[f"{name}_w1"] = _num(metrics["w1"])
    m = measured
    return {
        "passed": bool(
            ok
            and m["clip_slope"] < 0.01
            and abs(m["clip_critic_estimate"]) < 0.01 * m["clip_w1"]
            and 0.8 <= m["gp_slope"] <= 1.2
        ),
        "measured": measured,
    }


# SN-GAN's recipe: hinge loss, spectral norm in D, Adam with beta1 = 0, D's rate 4x G's.
HINGE_SN = {
    "dataset": "ring8",
    **SMALL_NETS,
    **NO_STABILISERS,
    "loss": "hinge",
    "spectral_norm_d": True,
    "lr_d": 4e-3,
    "lr_g": 1e-3,
    "beta1_d": 0.0,
    "beta2_d": 0.9,
    "beta1_g": 0.0,
    "beta2_g": 0.9,
}


def check_hinge_sn(seed: int) -> dict:
    sn = _trainer(HINGE_SN, seed)
    ok = _train(sn, 2000)
    plain = _trainer(HINGE_SN, seed, spectral_norm_d=False)
    ok &= _train(plain, 1000)
    measured = {
        "sn_max_slope": _num(_slope(sn, _plane_grid(sn)).max()),
        "sn_modes_captured": _modes_captured(sn),
        "no_sn_max_slope": _num(_slope(plain, _plane_grid(plain)).max()),
    }
    m = measured
    return {
        "passed": bool(ok and m["sn_max_slope"] <= 1 and m["sn_modes_captured"] >= 6 and m["no_sn_max_slope"] >= 5),
        "measured": measured,
    }


MINIBATCH = {**MODE_COLLAPSE, "minibatch_features": "discrimination"}


def check_minibatch(seed: int) -> dict:
    measured, ok = {}, True
    for name, overrides in (("mbd", MINIBATCH), ("plain", MODE_COLLAPSE)):
        tr = _trainer(overrides, seed)
        ok &= _train(tr, 1000)
        measured[f"{name}_modes_captured"] = _modes_captured(tr)
        measured[f"{name}_top2_share"] = _num(_top2_share(tr))
    m = measured
    return {
        "passed": bool(
            ok
            and m["mbd_modes_captured"] >= 6
            and m["mbd_top2_share"] <= 0.4
            and m["plain_modes_captured"] <= 2
            and m["plain_top2_share"] >= 0.9
        ),
        "measured": measured,
    }
