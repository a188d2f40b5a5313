"""Each lesson's promise as a check: train the lesson's setup for one seed and measure whether what it teaches
happened."""

from __future__ import annotations

import numpy as np

from ganviz.lessons.measures import (
    centre_wander,
    interpolates,
    modes_captured,
    nearest_mode_shares,
    new_trainer,
    plane_grid,
    rounded,
    sliced_w1,
    slope,
    tail_mean,
    top2_share,
    train_more,
)

SMALL_NETS = {"g_depth": 2, "g_width": 64, "d_depth": 2, "d_width": 64}
NO_STABILISERS = {"r1_weight": 0.0, "ema": 0.0}  # the defaults' R1 penalty and EMA would hide the failure


# Metz et al.'s vanilla baseline for unrolled GANs: G learns 10x faster than D.
MODE_COLLAPSE = {"dataset": "ring8", **SMALL_NETS, **NO_STABILISERS, "lr_d": 1e-4, "lr_g": 1e-3, "batch_size": 64}


def check_mode_collapse(seed: int) -> dict:
    tr = new_trainer(MODE_COLLAPSE, seed)
    visited = set()
    for _ in range(8):
        train_more(tr, 250)
        visited.add(int(nearest_mode_shares(tr).argmax()))
    captured, top2 = modes_captured(tr), top2_share(tr)
    contrast = new_trainer(MODE_COLLAPSE, seed, lr_d=1e-3)
    ok = train_more(contrast, 2000) and tr.divergence is None
    contrast_captured = modes_captured(contrast)
    return {
        "passed": ok and captured <= 2 and top2 >= 0.9 and len(visited) >= 3 and contrast_captured >= 7,
        "measured": {
            "modes_captured": captured,
            "top2_share": rounded(top2),
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
    tr = new_trainer(VANISHING, seed)
    w_start = sliced_w1(tr)
    train_more(tr, 500)
    w_saturated = sliced_w1(tr)
    tr.set_config(tr.config.replace(loss="nonsaturating"))
    train_more(tr, 500)
    g = tr.history.column("grad_norm_g")
    if len(g) < 1000:
        return {"passed": False, "measured": {"diverged_at": tr.divergence.iteration}}
    g_saturating, g_nonsaturating = float(np.median(g[450:500])), float(np.median(g[500:550]))
    w_end = sliced_w1(tr)
    moved = abs(w_saturated - w_start) / w_start
    return {
        "passed": g_saturating < 1e-3
        and moved < 0.05
        and g_nonsaturating >= 1000 * g_saturating
        and w_end <= 0.5 * w_saturated,
        "measured": {
            "grad_norm_g_saturating": rounded(g_saturating),
            "grad_norm_g_nonsaturating": rounded(g_nonsaturating),
            "sliced_w1_start": rounded(w_start),
            "sliced_w1_at_500": rounded(w_saturated),
            "sliced_w1_at_1000": rounded(w_end),
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
        tr = new_trainer(overrides, seed)
        ok &= train_more(tr, steps)
        measured[f"{name}_d_real"] = rounded(tail_mean(tr, "d_real", 100))
        measured[f"{name}_d_fake"] = rounded(tail_mean(tr, "d_fake", 100))
        measured[f"{name}modes_captured"] = modes_captured(tr)
        if name == "g_strong":
            measured["g_strong_top2_share"] = rounded(top2_share(tr))
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
        tr = new_trainer(NON_CONVERGENCE, seed, **changes)
        ok &= train_more(tr, 1000)
        measured[f"{name}centre_wander"] = rounded(centre_wander(tr, 1000))
        measured[f"{name}d_fake_std"] = rounded(tr.history.column("d_fake")[-1000:].std())
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
        tr = new_trainer(WGAN_CLIP, seed, loss=loss)
        ok &= train_more(tr, 500)
        metrics = tr.evaluate()
        measured[f"{name}slope"] = rounded(np.median(slope(tr, interpolates(tr))))
        measured[f"{name}_critic_estimate"] = rounded(metrics["critic_estimate"])
        measured[f"{name}_w1"] = rounded(metrics["w1"])
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
    sn = new_trainer(HINGE_SN, seed)
    ok = train_more(sn, 2000)
    plain = new_trainer(HINGE_SN, seed, spectral_norm_d=False)
    ok &= train_more(plain, 1000)
    measured = {
        "sn_max_slope": rounded(slope(sn, plane_grid(sn)).max()),
        "sn_modes_captured": modes_captured(sn),
        "no_sn_max_slope": rounded(slope(plain, plane_grid(plain)).max()),
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
        tr = new_trainer(overrides, seed)
        ok &= train_more(tr, 1000)
        measured[f"{name}modes_captured"] = modes_captured(tr)
        measured[f"{name}top2_share"] = rounded(top2_share(tr))
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
