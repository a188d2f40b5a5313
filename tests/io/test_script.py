"""Take it home as code: a 2D config exported as one standalone PyTorch training script.

The fast tests load the generated file as a module and hold its pieces against ganviz's own: the data against the
datasets, the networks' initial weights and outputs against the Trainer's, the losses, penalties and tricks against
ganviz's functions. The slow ones run exported files in a fresh Python outside the project, where ganviz cannot be
imported, and check that the default export learns the ring: all 8 modes within 6,000 steps.
"""

from __future__ import annotations

import ast
import importlib.util
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from ganviz.config import CUSTOM_DATASET, POINTS, ConfigError, GANConfig, choices_of, image_config, setting_fields
from ganviz.data import DATASETS, NOISE_KINDS, sample_noise
from ganviz.io.script import export_script, not_exported
from ganviz.losses import LOSSES, gradient_penalty, r1_penalty
from ganviz.metrics.points import mode_stats, sliced_wasserstein1
from ganviz.models.mlp import ACTIVATIONS
from ganviz.training.trainer import Trainer
from ganviz.training.tricks import EMA, feature_matching, instance_noise_std, moment_matching, real_target
from support.cli import last_json, run

ROOT = Path(__file__).resolve().parents[2]
EXTRA_G_LOSSES = [("feature-matching", feature_matching), ("moment-matching", moment_matching)]
# Configs that between them use every piece of text an export is made of.
CONFIGS = {
    "default": {},
    "wgan-gp": dict(loss="wgan-gp", r1_weight=0.0),
    "wgan-gp with R1": dict(loss="wgan-gp", gp_weight=5.0),
    "hinge, spectral norm": dict(loss="hinge", spectral_norm_d=True, spectral_norm_g=True, r1_weight=0.0),
    "saturating": dict(loss="minimax", ema=0.0),
    "wgan": dict(loss="wasserstein", optimizer_d="rmsprop", optimizer_g="sgd", momentum_g=0.5, d_steps=5),
    "lsgan, smoothed": dict(loss="least-squares", label_smoothing=0.1, dataset="grid25", noise="uniform"),
    "tricks": dict(
        label_smoothing=0.2, instance_noise=0.1, instance_noise_anneal=1000, extra_g_loss="feature-matching"
    ),
    "everything": dict(
        batch_norm_g=True,
        spectral_norm_g=True,
        g_activation="leaky_relu",
        minibatch_features="stddev",
        extra_g_loss="moment-matching",
        instance_noise=0.05,
        pretrain_d=10,
        optimizer_g="sgd",
    ),
    "not exportable": dict(unrolled_steps=5, minibatch_features="discrimination", dataset="moons"),
    "wide, deep": dict(dataset="two-clusters", g_width=256, d_width=100, g_depth=8, noise_dim=128),
}


def load(text: str, folder: Path, name: str = "exported"):
    """The generated file as a module (its main() is not run)."""
    path = folder / f"{name}.py"
    path.write_text(text, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def imported_packages(text: str) -> set[str]:
    """The top-level packages a file imports, at any depth."""
    names = set()
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            names.add("." if node.level else node.module.split(".")[0])
    return names


def trainer(config: GANConfig) -> Trainer:
    return Trainer(config.replace(device="cpu"))


# --- the file ----------------------------------------------------------------------------------------------------


def test_the_default_export_compiles_imports_only_stdlib_numpy_torch_and_is_about_150_lines():
    text = export_script(GANConfig())
    compile(text, "ganviz_train.py", "exec")
    assert imported_packages(text) == {"argparse", "copy", "math", "numpy", "torch"}
    assert 100 <= len(text.splitlines()) <= 200
    assert "Not exported" not in text  # everything of the default config is written
    # it reads like the DCGAN example: (1) update D, then (2) update G, in one loop in main()
    assert 0 < text.index("(1) update D") < text.index("(2) update G") < text.index('if __name__ == "__main__"')


@pytest.mark.parametrize("name", CONFIGS)
def test_every_export_compiles_stays_short_and_imports_nothing_else(name):
    text = export_script(GANConfig(**CONFIGS[name]))
    compile(text, f"{name}.py", "exec")
    assert imported_packages(text) <= set(sys.stdlib_module_names) | {"numpy", "torch"}
    assert len(text.splitlines()) <= 200
    assert max(len(line) for line in text.splitlines()) <= 88


LOOP_LINES = {  # what the tricks put into main()'s loop
    "wgan-gp": ["loss_d = loss_d + GP_WEIGHT * gradient_penalty(D, real, fake)"],
    "wgan-gp with R1": [
        "loss_d = loss_d + GP_WEIGHT * gradient_penalty(D, real.detach(), fake)",
        "loss_d = loss_d + R1_WEIGHT / 2 * r1_penalty(d_real, real)",
    ],
    "wgan": [
        "p.clamp_(-CLIP, CLIP)",
        "opt_d = torch.optim.RMSprop(D.parameters(), lr=LR_D, momentum=MOMENTUM_D)",
        "opt_g = torch.optim.SGD(G.parameters(), lr=LR_G, momentum=MOMENTUM_G)",
    ],
    "everything": [
        "for _ in range(D_STEPS + (PRETRAIN_D if step == 0 else 0)):",
        "fake = instance_noise(G(sample_noise(BATCH_SIZE)), step)",
        "loss_g = loss_g + EXTRA_G_WEIGHT * moment_matching(D, fake, real)",
        "update_ema(G_ema, G, g_updates)",
    ],
}


@pytest.mark.parametrize("name", CONFIGS)
def test_every_export_trains_a_few_steps(name, tmp_path, monkeypatch):
    text = export_script(GANConfig(**CONFIGS[name]))
    for line in LOOP_LINES.get(name, []):
        assert line in text
    m = load(text, tmp_path)
    monkeypatch.setattr(sys, "argv", ["exported.py", "--steps", "3", "--samples-out", str(tmp_path / "s.csv")])
    threads = torch.get_num_threads()
    try:
        m.main()
    finally:
        torch.set_num_threads(threads)  # main() trains on one thread
    points = np.loadtxt(tmp_path / "s.csv", delimiter=",", skiprows=1)
    assert points.shape == (m.SAMPLES, 2) and np.isfinite(points).all()


def ruff_command() -> list[str] | None:
    if shutil.which("ruff"):
        return ["ruff"]
    return [sys.executable, "-m", "ruff"] if importlib.util.find_spec("ruff") else None


@pytest.mark.skipif(ruff_command() is None, reason="ruff is not installed")
def test_exports_pass_ruff_check_and_format_with_the_defaults_and_the_projects_settings(tmp_path):
    files = []
    for i, kwargs in enumerate(CONFIGS.values()):
        files.append(tmp_path / f"export_{i}.py")
        files[-1].write_text(export_script(GANConfig(**kwargs)), encoding="utf-8")
    project = ["--config", str(ROOT / "pyproject.toml")]  # line length 120
    strict = ["--isolated", "--select", "E,F,W,I,B,UP"]  # the project's rules at ruff's default length, 88
    for args in (["check", *strict], ["check", *project], ["format", "--check", "--diff", "--isolated"]):
        done = subprocess.run([*ruff_command(), *args, *map(str, files)], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, (args, done.stdout, done.stderr)
    done = subprocess.run([*ruff_command(), "format", "--check", *project, *map(str, files)], capture_output=True)
    assert done.returncode == 0, done.stdout


def test_the_file_holds_the_configs_values_and_no_trace_of_settings_that_are_off(tmp_path):
    config = GANConfig(
        loss="hinge",
        lr_d=0.002,
        lr_g=3e-4,
        beta1_g=0.3,
        g_width=64,
        d_depth=2,
        batch_size=64,
        d_steps=3,
        seed=7,
        ema=0.0,
        r1_weight=0.0,
    )
    text = export_script(config, steps=1234)
    m = load(text, tmp_path)
    assert (m.STEPS, m.SEED, m.LR_D, m.LR_G, m.BETA1_G, m.BETA2_G) == (1234, 7, 0.002, 3e-4, 0.3, 0.999)
    assert (m.G_WIDTH, m.G_DEPTH, m.D_WIDTH, m.D_DEPTH, m.BATCH_SIZE, m.D_STEPS) == (64, 3, 128, 2, 64, 3)
    assert "# --- the loss: Hinge" in text and "--steps 1234 --seed 7" in text
    assert "lr_d=0.002" in text  # the settings that differ from ganviz's, named in the docstring
    for off in ("EMA", "R1_WEIGHT", "update_ema", "r1_penalty", "G_ema", "CLIP", "GP_WEIGHT", "instance_noise"):
        assert not hasattr(m, off) and off not in text
    assert "G(sample_noise(SAMPLES))" in text  # without EMA the samples come from G itself


def test_with_ema_the_samples_come_from_the_average(tmp_path):
    text = export_script(GANConfig(ema=0.99))
    assert load(text, tmp_path).EMA == 0.99
    assert "G_ema(sample_noise(SAMPLES))" in text and "G(sample_noise(SAMPLES))" not in text


# --- its pieces against ganviz's -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", DATASETS)
def test_the_data_is_ganvizs_dataset(name, tmp_path):
    dataset, n = DATASETS[name], 20_000
    m = load(export_script(GANConfig(dataset=name)), tmp_path, name.replace("-", "_"))
    if dataset.has_modes:
        np.testing.assert_allclose(m.CENTRES.numpy(), dataset.modes, atol=1e-6)
        assert m.SIGMA == dataset.sigma
        weights = m.WEIGHTS.numpy() if hasattr(m, "WEIGHTS") else np.full(len(m.CENTRES), 1 / len(m.CENTRES))
        np.testing.assert_allclose(weights, dataset.weights, atol=1e-7)
    torch.manual_seed(0)
    exported = m.sample_data(n).double().numpy()
    assert exported.shape == (n, 2)
    ours, again = dataset.sample(n, np.random.default_rng(1)), dataset.sample(n, np.random.default_rng(2))
    # as close to ganviz's samples as two of ganviz's own are, give or take (a 0.05 shift adds 0.03 to 0.06)
    assert sliced_wasserstein1(exported, ours) < sliced_wasserstein1(again, ours) + 0.02


NETWORKS = {
    "default": {},
    "normalised, minibatch stddev": dict(
        spectral_norm_g=True, spectral_norm_d=True, batch_norm_g=True, minibatch_features="stddev", noise_dim=5
    ),
    **{f"{a} everywhere": dict(g_activation=a, d_activation=a, g_depth=2, d_depth=1, d_width=32) for a in ACTIVATIONS},
}


@pytest.mark.parametrize("name", NETWORKS)
def test_the_networks_start_with_ganvizs_weights_and_compute_the_same(name, tmp_path):
    config = GANConfig(seed=5, **NETWORKS[name])
    m, t = load(export_script(config), tmp_path), trainer(config)
    torch.manual_seed(config.seed)  # as the file's main() does before building them
    G, D = m.generator(), m.discriminator()
    for ours, theirs in ((G, t.G), (D, t.D)):
        assert [k.split(".")[-1] for k in ours.state_dict()] == [k.split(".")[-1] for k in theirs.state_dict()]
        assert all(torch.equal(a, b) for a, b in zip(ours.state_dict().values(), theirs.state_dict().values()))
    z, x = torch.randn(64, config.noise_dim), torch.randn(64, 2)
    torch.testing.assert_close(G(z), t.G(z))
    torch.testing.assert_close(D(x), t.D(x))
    assert D(x).shape == (64,)


@pytest.mark.parametrize("noise", NOISE_KINDS)
def test_the_noise_is_ganvizs(noise, tmp_path):
    m = load(export_script(GANConfig(noise=noise, noise_dim=3)), tmp_path)
    torch.manual_seed(4)  # the file draws from torch's global generator: the same numbers as a generator seeded so
    torch.testing.assert_close(m.sample_noise(500), sample_noise(500, 3, noise, torch.Generator().manual_seed(4)))


@pytest.mark.parametrize("smoothing", [0.0, 0.2])
@pytest.mark.parametrize("loss", LOSSES)
def test_the_losses_are_ganvizs(loss, smoothing, tmp_path):
    config = GANConfig(loss=loss, label_smoothing=smoothing)
    m = load(export_script(config), tmp_path)
    d_real, d_fake = torch.randn(2, 256, generator=torch.Generator().manual_seed(1)) * 3
    torch.testing.assert_close(m.d_loss(d_real, d_fake), LOSSES[loss].d_loss(d_real, d_fake, real_target(config)))
    torch.testing.assert_close(m.g_loss(d_fake), LOSSES[loss].g_loss(d_fake))


def test_the_penalties_are_ganvizs(tmp_path):
    t = trainer(GANConfig(loss="wgan-gp"))
    m = load(export_script(t.config), tmp_path)
    real, fake = torch.randn(32, 2).requires_grad_(), torch.randn(32, 2)
    d_real = t.D(real)
    torch.testing.assert_close(m.r1_penalty(d_real, real), r1_penalty(d_real, real))
    torch.manual_seed(3)  # the file draws ε from torch's global generator
    exported = m.gradient_penalty(t.D, real.detach(), fake)
    torch.testing.assert_close(exported, gradient_penalty(t.D, real.detach(), fake, torch.Generator().manual_seed(3)))
    assert exported.requires_grad  # D's loss steps on it


def test_the_moving_average_follows_g_as_ganvizs_does(tmp_path):
    t = trainer(GANConfig(ema=0.9, batch_norm_g=True))
    m = load(export_script(t.config), tmp_path)
    torch.manual_seed(t.config.seed)
    ours, theirs = m.generator(), EMA(t.G)  # both start as G (see above)
    for updates in range(30):
        with torch.no_grad():
            for p in t.G.parameters():
                p.add_(torch.randn_like(p))
        t.G(torch.randn(16, 2))  # batch norm's running statistics move too
        m.update_ema(ours, t.G, updates)
        theirs.follow(list(t.G.parameters()), EMA.decay_at(0.9, updates))
    for a, b in zip(ours.state_dict().values(), theirs.model.state_dict().values()):
        torch.testing.assert_close(a, b)


@pytest.mark.parametrize("extra, theirs", EXTRA_G_LOSSES)
def test_the_extra_generator_losses_are_ganvizs(extra, theirs, tmp_path):
    config = GANConfig(extra_g_loss=extra, minibatch_features="stddev", extra_g_weight=0.5)
    m, t = load(export_script(config), tmp_path), trainer(config)
    assert m.EXTRA_G_WEIGHT == 0.5
    torch.manual_seed(config.seed)
    _, D = m.generator(), m.discriminator()  # ganviz's initial weights (see above)
    fake, real = torch.randn(64, 2) * 3 + 1, torch.randn(64, 2)  # a batch of another spread, D's extra feature
    torch.testing.assert_close(getattr(m, extra.replace("-", "_"))(D, fake, real), theirs(t.D, fake, real))


def test_instance_noise_decays_to_zero_as_ganvizs(tmp_path):
    config = GANConfig(instance_noise=0.5, instance_noise_anneal=100)
    annealed, x = load(export_script(config), tmp_path), torch.zeros(20_000, 2)
    for step in (0, 50, 100, 150):
        std = instance_noise_std(config, step)  # ganviz's: 0.5, 0.25, 0, 0
        assert float(annealed.instance_noise(x, step).std()) == pytest.approx(std, abs=0.01)
    constant = load(export_script(config.replace(instance_noise_anneal=0)), tmp_path, "constant")
    assert float(constant.instance_noise(x, 10**6).std()) == pytest.approx(0.5, abs=0.01)


# --- what is not exported ------------------------------------------------------------------------------------------

EXPORTABLE = [
    (f.name, value)
    for f in setting_fields(POINTS)
    if choices_of(f, POINTS) and f.name != "device"
    for value in choices_of(f, POINTS)
    if value not in (CUSTOM_DATASET, "discrimination")
]


@pytest.mark.parametrize("setting, value", EXPORTABLE)
def test_every_choice_ganviz_offers_for_points_is_written(setting, value):
    config = GANConfig(**{setting: value})
    assert not_exported(config) == []
    assert "Not exported" not in export_script(config)


def test_settings_that_cannot_be_exported_are_listed_at_the_top_and_the_file_still_builds(tmp_path):
    config = GANConfig(unrolled_steps=5, minibatch_features="discrimination", device="cuda", dataset="spiral")
    text = export_script(config)
    top = text[: text.index("import argparse")]
    for note in ("unrolled_steps = 5", "minibatch_features = discrimination", "device = cuda"):
        assert note in top
    assert len(not_exported(config)) == 3
    m = load(text, tmp_path)
    torch.manual_seed(0)
    assert m.discriminator()(m.sample_data(8)).shape == (8,)  # D without the minibatch features


def test_the_users_own_points_fall_back_to_the_ring_and_say_so(tmp_path):
    text = export_script(GANConfig(dataset=CUSTOM_DATASET))
    assert "dataset = custom: your own points; this file uses ring8" in text[: text.index("import argparse")]
    assert text.startswith('"""Train a GAN on ring8')
    np.testing.assert_allclose(load(text, tmp_path).CENTRES.numpy(), DATASETS["ring8"].modes, atol=1e-6)


def test_image_runs_are_refused():
    with pytest.raises(ConfigError, match="only 2D runs"):
        export_script(image_config("digits"))


# --- the command line ---------------------------------------------------------------------------------------------


def test_export_script_writes_the_file_and_reports_it(capsys, tmp_path):
    out = tmp_path / "train_wgan.py"
    argv = ["export-script", "--loss", "wgan-gp", "--lr-d", "0.0003", "--g-width", "48", "--steps", "777"]
    code, stdout, err = run(capsys, *argv, "--out", str(out))
    assert code == 0, err
    assert last_json(stdout) == {"script": str(out), "lines": len(out.read_text().splitlines()), "not_exported": []}
    text = out.read_text()
    assert text == export_script(GANConfig(loss="wgan-gp", lr_d=3e-4, g_width=48), 777, "train_wgan.py")
    for expected in ("LR_D = 0.0003", "G_WIDTH = 48", "STEPS = 777", "python train_wgan.py --steps 777"):
        assert expected in text


def test_export_script_takes_a_preset_and_points_of_ones_own(capsys, tmp_path):
    code, stdout, err = run(capsys, "export-script", "--preset", "hinge-sn", "--out", str(tmp_path / "a.py"))
    assert code == 0, err
    assert "F.relu(1 - d_real)" in (tmp_path / "a.py").read_text()  # the preset's hinge loss
    points = tmp_path / "points.csv"
    points.write_text("x,y\n" + "\n".join(f"{i / 10},{math.sin(i)}" for i in range(40)))
    code, stdout, err = run(capsys, "export-script", "--data-csv", str(points), "--out", str(tmp_path / "b.py"))
    assert code == 0, err
    assert last_json(stdout)["not_exported"] == ["dataset = custom: your own points; this file uses ring8"]


@pytest.mark.parametrize(
    "argv, expected",
    [
        (["--lr-d", "-1", "--out", "f.py"], "--lr-d"),
        (["--loss", "nope", "--out", "f.py"], "--loss"),
        (["--dataset", "digits", "--out", "f.py"], "--dataset: only 2D runs"),
        (["--steps", "0", "--out", "f.py"], "--steps"),
        (["--out", "/nonexistent/folder/f.py"], "--out: cannot write"),
        ([], "--out"),
    ],
)
def test_bad_export_arguments_exit_2_with_one_line(capsys, monkeypatch, tmp_path, argv, expected):
    monkeypatch.chdir(tmp_path)
    code, stdout, err = run(capsys, "export-script", *argv)
    assert code == 2 and stdout == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ganviz: error:") and expected in lines[0]


def test_export_script_takes_every_flag_of_train(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "10000")
    helps = {}
    for command in ("train", "export-script"):
        with pytest.raises(SystemExit):
            run(capsys, command, "--help")
        helps[command] = capsys.readouterr().out
    flags = ["--preset", "--config", "--data-csv", "--steps"]
    flags += ["--" + f.name.replace("_", "-") for f in setting_fields()]
    for flag in flags:
        assert flag in helps["export-script"] and flag in helps["train"], flag
    assert "--out" in helps["export-script"] and "--dry-run" not in helps["export-script"]


# --- running exported files outside the project ---------------------------------------------------------------------


def run_exported(config: GANConfig, folder: Path, *args: str, timeout: float = 600) -> np.ndarray:
    """Export `config` to `folder`, run it there in a fresh Python that cannot import ganviz; its samples."""
    script = folder / "ganviz_train.py"
    script.write_text(export_script(config), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run(
        [sys.executable, script.name, *args, "--samples-out", "s.csv"],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, done.stderr
    assert (folder / "s.csv").read_text().splitlines()[0] == "x,y"
    return np.loadtxt(folder / "s.csv", delimiter=",", skiprows=1)


def modes_captured(points: np.ndarray, centres: np.ndarray, sigma: float) -> int:
    """As ganviz counts them (metrics.points.mode_stats): a point is of high quality when its nearest centre is
    within 3 sigma of it; a mode is captured when at least one high-quality point has it as its nearest centre."""
    distances = np.linalg.norm(points[:, None, :] - centres[None, :, :], axis=-1)
    nearest = distances.argmin(axis=1)
    high_quality = distances[np.arange(len(points)), nearest] <= 3 * sigma
    return len(np.unique(nearest[high_quality]))


@pytest.mark.slow  # 6,000 iterations: about 25 s on a quiet core
def test_the_exported_default_learns_the_ring_outside_the_project(tmp_path):
    assert str(ROOT) not in str(tmp_path.resolve())
    points = run_exported(GANConfig(), tmp_path, "--steps", "6000", "--seed", "0", timeout=1200)
    assert points.shape == (2500, 2) and np.isfinite(points).all()
    angles = 2 * np.pi * np.arange(8) / 8
    ring = 2.0 * np.stack([np.cos(angles), np.sin(angles)], axis=1)  # ring8: radius 2, sigma 0.02
    assert modes_captured(points, ring, 0.02) == 8
    assert mode_stats(points, DATASETS["ring8"].modes, DATASETS["ring8"].sigma)["modes_captured"] == 8


@pytest.mark.slow  # a fresh Python that imports torch, per config
@pytest.mark.parametrize("name", ["wgan-gp", "hinge, spectral norm", "saturating", "everything"])
def test_other_exports_run_outside_the_project(name, tmp_path):
    points = run_exported(GANConfig(**CONFIGS[name]), tmp_path, "--steps", "50", "--seed", "1")
    assert points.shape == (2500, 2) and np.isfinite(points).all()
