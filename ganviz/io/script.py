"""Take a 2D run home as code: `export_script(config)` writes its setup as one standalone PyTorch file.

The file trains what ganviz trains: the data, G and D (built layer for layer as ganviz builds them, so a seed gives
the same initial weights), the noise, the loss, the optimisers, k_D and k_G, and the tricks in use. It imports only
the standard library, numpy and torch, reads top-down like PyTorch's DCGAN example ((1) update D, (2) update G) and
runs as `python F.py --steps N --seed S --samples-out S.csv`, the config's values being its defaults.

It is put together from the pieces of text in `script_pieces`, one per choice; only those the config uses go in.
A setting that cannot be written in a few lines (unrolled steps, minibatch discrimination, the user's own points, a
GPU) is listed at the top of the file under "Not exported", and the file trains without it: on ring8 instead of
the user's points, on the CPU instead of a GPU. Image runs (mnist, digits) are refused with a ConfigError.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from ganviz.config import CUSTOM_DATASET, POINTS, ConfigError, GANConfig, setting_fields, setting_names
from ganviz.data import DATASETS
from ganviz.io.script_pieces import (
    ACTIVATIONS,
    ANNEALED_INSTANCE_NOISE,
    BCE_D,
    BCE_D_SMOOTHED,
    DATA,
    EMA,
    EXTRA_G_LOSSES,
    GRADIENT_PENALTY,
    INSTANCE_NOISE,
    LOSSES,
    MINIBATCH_STDDEV,
    NOISE,
    OPTIMIZERS,
    OUTPUTS,
    R1,
    REAL_LABEL,
    SAMPLE_NOISE,
)
from ganviz.losses import get_loss
from ganviz.metrics.points import EVAL_SAMPLES

DEFAULT_STEPS = 5000  # as `python -m ganviz train`
HELP = {f.name: f.metadata["help"] for f in setting_fields()}
LINE_LIMIT = 88  # every generated line fits ruff's default width (and so the project's 120)


def block(piece: str) -> str:
    """A piece as it goes into the file: without the blank lines around it, ending in one newline."""
    return piece.strip("\n") + "\n"


# Settings the file leaves out, with what it does instead, when they are in use.
UNEXPORTED = {
    "unrolled_steps": (lambda c: c.unrolled_steps > 0, "G's update looks through no unrolled D steps here"),
    "minibatch_features": (lambda c: c.minibatch_features == "discrimination", "D has no minibatch features here"),
    "device": (lambda c: c.device in ("cuda", "mps"), "this file trains on the CPU"),
}
# Each choice setting's pieces: a value without one is replaced by the default's, and said so.
PIECES = dict(
    dataset=DATA,
    noise=NOISE,
    g_activation=ACTIVATIONS,
    d_activation=ACTIVATIONS,
    loss=LOSSES,
    optimizer_d=OPTIMIZERS,
    optimizer_g=OPTIMIZERS,
)


def not_exported(config: GANConfig) -> list[str]:
    """What of `config` the exported file leaves out, one line each: "setting = value: what the file does"."""
    notes = [f"{name} = {getattr(config, name)}: {why}" for name, (used, why) in UNEXPORTED.items() if used(config)]
    for name in PIECES:
        value = getattr(config, name)
        if value not in PIECES[name]:
            what = "your own points" if value == CUSTOM_DATASET else "not written"
            notes.append(f"{name} = {value}: {what}; this file uses {exported(config, name)}")
    return notes


def exported(config: GANConfig, name: str) -> str:
    """The value the file uses for the choice setting `name`: the config's where there is a piece for it,
    else the default's."""
    value = getattr(config, name)
    return value if value in PIECES[name] else getattr(GANConfig(), name)


def export_script(config: GANConfig, steps: int = DEFAULT_STEPS, file_name: str = "ganviz_train.py") -> str:
    """The text of a standalone training file for the 2D run `config`, training `steps` iterations by default
    (`file_name`: what its usage line calls it)."""
    if config.domain != POINTS:
        raise ConfigError("dataset", f"only 2D runs export as a script ({config.dataset} is images)")
    pieces = [
        _settings(config, steps),
        "# --- the data\n" + block(DATA[exported(config, "dataset")]),
        _noise(config),
        _networks(config),
        _loss(config),
        _tricks(config),
        _main(config),
        'if __name__ == "__main__":\n    main()\n',
    ]
    body = "\n\n".join(p for p in pieces if p)
    return _header(config, steps, file_name) + "\n" + _imports(body) + "\n" + body


def write_script(config: GANConfig, path: Path, steps: int = DEFAULT_STEPS) -> dict:
    """Write `export_script(config, steps)` to `path` (OSError when it cannot); what `export-script` prints."""
    path = Path(path)
    text = export_script(config, steps, path.name)
    path.write_text(text, encoding="utf-8")
    return {"script": str(path), "lines": len(text.splitlines()), "not_exported": not_exported(config)}


def add_export_parser(sub, parents: list) -> None:
    """`python -m ganviz export-script`: the flags of `train` (`parents`) and --out."""
    export = sub.add_parser(
        "export-script",
        parents=parents,
        help="write a 2D config as one standalone PyTorch training script",
        description="Write the config (the same flags as train; --steps: the script's default) as one readable "
        "Python file that trains it with only the standard library, numpy and PyTorch: python FILE.py --steps N "
        "--seed S --samples-out S.csv. What it cannot express is listed at its top. Prints one JSON object: the "
        "file, its lines and what it leaves out.",
    )
    export.add_argument("--out", type=Path, required=True, metavar="FILE.py", help="where to write the script")


def export_command(config: GANConfig, out: Path, steps: int, cli_error: type[Exception]) -> dict:
    """`export-script`'s work: `write_script`, its failures raised as the CLI's one-line `cli_error`."""
    try:
        return write_script(config, out, steps)
    except ConfigError as e:
        raise cli_error(f"--{e.field.replace('_', '-')}: {e.message}") from None
    except OSError as e:
        raise cli_error(f"--out: cannot write {out} ({e.strerror})") from None


# --- the file's parts, top to bottom ------------------------------------------------------------------------


def _header(config: GANConfig, steps: int, file_name: str) -> str:
    """The docstring (what it trains, how to run it, the settings that differ from ganviz's defaults) and the
    "Not exported" list."""
    dataset = DATASETS[exported(config, "dataset")]
    default = GANConfig()
    changed = [f"{k}={getattr(config, k)}" for k in setting_names(POINTS) if getattr(config, k) != getattr(default, k)]
    changed = [text for text in changed if not text.startswith("seed=")]  # the seed is --seed's default
    lines = [
        f'"""Train a GAN on {dataset.name}: {dataset.title}.',
        "",
        "Exported from ganviz (python -m ganviz export-script): its setup in one file that",
        "needs only Python, numpy and PyTorch. Settings changed from ganviz's defaults:",
        *textwrap.wrap(", ".join(changed) or "none", LINE_LIMIT - 4, initial_indent="    ", subsequent_indent="    "),
        "",
        f"    python {file_name} --steps {steps} --seed {config.seed} --samples-out samples.csv",
        '"""',
    ]
    notes = not_exported(config)
    if notes:
        lines += ["", "# Not exported: ganviz has these; this file trains without them."]
        for note in notes:
            lines += textwrap.wrap(note, LINE_LIMIT, initial_indent="# - ", subsequent_indent="#   ")
    return "\n".join(lines) + "\n"


def _imports(body: str) -> str:
    """The imports the body uses: the standard library's, then numpy's and torch's, in isort's order."""
    lines = ["import argparse"] + [f"import {m}" for m in ("copy", "math") if f"{m}." in body]
    lines += ["", "import numpy as np", "import torch"]
    lines += ["import torch.nn.functional as F"] if "F." in body else []
    lines += ["from torch import nn"]
    lines += ["from torch.nn.utils.parametrizations import spectral_norm"] if "spectral_norm(" in body else []
    return "\n".join(lines) + "\n"


def _settings(c: GANConfig, steps: int) -> str:
    """The config's values the file uses, as constants named after ganviz's settings."""
    values = [
        ("STEPS", steps, "iterations: k_D steps of D, then k_G steps of G"),
        ("SEED", c.seed, "seeds the initial weights and every draw"),
        ("BATCH_SIZE", c.batch_size, "real and fake points per minibatch"),
        ("NOISE_DIM", c.noise_dim, "dimension of G's input z"),
        ("G_DEPTH", c.g_depth, "hidden layers of G"),
        ("G_WIDTH", c.g_width, "units per hidden layer of G"),
        ("D_DEPTH", c.d_depth, "hidden layers of D"),
        ("D_WIDTH", c.d_width, "units per hidden layer of D"),
        ("D_STEPS", c.d_steps, "k_D: D updates per iteration"),
        ("G_STEPS", c.g_steps, "k_G: G updates per iteration"),
    ]
    for w in ("d", "g"):
        values.append((f"LR_{w.upper()}", getattr(c, f"lr_{w}"), f"learning rate of {w.upper()}"))
        values += [(f"{h.upper()}_{w.upper()}", getattr(c, f"{h}_{w}"), HELP[f"{h}_{w}"]) for h in _optimizer(c, w)]
    optional = [
        ("PRETRAIN_D", c.pretrain_d, c.pretrain_d > 0, "extra D steps before the first iteration"),
        ("LABEL_SMOOTHING", c.label_smoothing, _smoothing(c), "the label of real data is 1 - this"),
        ("CLIP", c.clip, _loss_of(c).clip_weights, "WGAN: D's weights stay in [-CLIP, CLIP]"),
        ("GP_WEIGHT", c.gp_weight, _gradient_penalty(c), "λ of WGAN-GP's gradient penalty"),
        ("R1_WEIGHT", c.r1_weight, c.r1_weight > 0, "γ: D's loss adds γ/2 · R1"),
        ("INSTANCE_NOISE", c.instance_noise, c.instance_noise > 0, "std of the noise on D's inputs"),
        ("INSTANCE_NOISE_ANNEAL", c.instance_noise_anneal, _annealed(c), "iterations to decay it to 0"),
        ("EXTRA_G_WEIGHT", c.extra_g_weight, _extra_g_loss(c) is not None, f"weight of {c.extra_g_loss}"),
        ("EMA", c.ema, c.ema > 0, "decay of G_ema, the average of G that draws the samples"),
    ]
    values += [(name, value, why) for name, value, used, why in optional if used]
    values.append(("SAMPLES", EVAL_SAMPLES, "points of G written at the end"))
    lines = ["# --- settings: ganviz's names, upper case"]
    for name, value, why in values:
        line = f"{name} = {value!r}"
        lines.append(f"{line}  # {why}" if why and len(line) + len(why) + 4 <= LINE_LIMIT else line)
    return "\n".join(lines) + "\n"


def _loss_of(c: GANConfig):
    return get_loss(exported(c, "loss"))


def _optimizer(c: GANConfig, w: str) -> tuple[str, ...]:
    """The settings (beta1, beta2 or momentum) that the optimiser of D (w = "d") or G uses."""
    return OPTIMIZERS[exported(c, f"optimizer_{w}")][2]


def _smoothing(c: GANConfig) -> bool:
    return c.label_smoothing > 0 and _loss_of(c).uses_labels


def _gradient_penalty(c: GANConfig) -> bool:
    return _loss_of(c).gradient_penalty and c.gp_weight > 0


def _annealed(c: GANConfig) -> bool:
    return c.instance_noise > 0 and c.instance_noise_anneal > 0


def _extra_g_loss(c: GANConfig) -> tuple[str, str] | None:
    """The extra generator loss's (function name, code), or None when there is none (or its weight is 0)."""
    return EXTRA_G_LOSSES.get(c.extra_g_loss) if c.extra_g_weight > 0 else None


def _noise(c: GANConfig) -> str:
    what, code = NOISE[exported(c, "noise")]
    return block(SAMPLE_NOISE.format(what=what, code=code))


def _layers(items: list[str], indent: str) -> list[str]:
    """`layers += [...]` of the items, or one append per item where that line would be too long."""
    line = f"{indent}layers += [{', '.join(items)}]"
    return [line] if len(line) <= LINE_LIMIT else [f"{indent}layers.append({item})" for item in items]


def _network(c: GANConfig, who: str) -> str:
    """generator() or discriminator(): ganviz's MLPGenerator / MLPDiscriminator as one nn.Sequential."""
    spectral = c.spectral_norm_g if who == "G" else c.spectral_norm_d

    def linear(n_in: str, n_out: str) -> str:
        return f"spectral_norm(nn.Linear({n_in}, {n_out}))" if spectral else f"nn.Linear({n_in}, {n_out})"

    hidden = [linear("n_in", f"{who}_WIDTH")]
    hidden += ["nn.BatchNorm1d(G_WIDTH)"] if who == "G" and c.batch_norm_g else []
    hidden += [ACTIVATIONS[exported(c, f"{who.lower()}_activation")]]
    if who == "G":
        name, n_in, doc, last = "generator", "NOISE_DIM", "noise (B, NOISE_DIM) -> points (B, 2)", [linear("n_in", "2")]
    else:
        name, n_in, doc = "discriminator", "2", f"points (B, 2) -> (B,), {OUTPUTS[_loss_of(c).output]}"
        last = [linear("n_in", "1"), "nn.Flatten(0)"]
    stddev = who == "D" and c.minibatch_features == "stddev"
    lines = [
        f"def {name}():",
        f'    """{who}: {doc}{", spectrally normalised" if spectral else ""}."""',
        f"    layers, n_in = [], {n_in}",
        f"    for _ in range({who}_DEPTH):",
        *_layers(hidden, "        "),
        f"        n_in = {who}_WIDTH",
        *(["    layers.append(MinibatchStddev())", "    n_in += 1"] if stddev else []),
        f"    return nn.Sequential(*layers, {', '.join(last)})",
    ]
    return "\n".join(lines) + "\n"


def _networks(c: GANConfig) -> str:
    stddev = [block(MINIBATCH_STDDEV)] if c.minibatch_features == "stddev" else []
    parts = [*stddev, _network(c, "G"), _network(c, "D")]
    return "# --- the networks: MLPs, layer for layer as ganviz builds them\n" + "\n\n".join(parts)


def _loss(c: GANConfig) -> str:
    loss = _loss_of(c)
    d_loss, g_loss = LOSSES[loss.name]
    if _smoothing(c):
        d_loss = BCE_D_SMOOTHED if d_loss == BCE_D else d_loss.replace(REAL_LABEL, "(1 - LABEL_SMOOTHING)")
    return f"# --- the loss: {loss.title}\n" + block(d_loss.replace(REAL_LABEL, "1")) + "\n\n" + block(g_loss)


def _tricks(c: GANConfig) -> str:
    pieces = [GRADIENT_PENALTY] if _gradient_penalty(c) else []
    pieces += [R1] if c.r1_weight > 0 else []
    if c.instance_noise > 0:
        pieces.append(ANNEALED_INSTANCE_NOISE if _annealed(c) else INSTANCE_NOISE)
    pieces += [_extra_g_loss(c)[1]] if _extra_g_loss(c) else []
    pieces += [EMA] if c.ema > 0 else []
    return "# --- the tricks\n" + "\n\n".join(block(p) for p in pieces) if pieces else ""


def _optimizer_line(c: GANConfig, who: str) -> str:
    name, hyper, _ = OPTIMIZERS[exported(c, f"optimizer_{who.lower()}")]
    return f"    opt_{who.lower()} = torch.optim.{name}({who}.parameters(), lr=LR_{who}, {hyper.format(W=who)})"


def _main(c: GANConfig) -> str:
    """main(): the command line, the networks and optimisers, the loop ((1) update D, (2) update G), the samples."""
    noisy, r1, extra = c.instance_noise > 0, c.r1_weight > 0, _extra_g_loss(c)

    def blur(x: str) -> str:
        return f"instance_noise({x}, step)" if noisy else x

    d_steps = "D_STEPS + (PRETRAIN_D if step == 0 else 0)" if c.pretrain_d > 0 else "D_STEPS"
    sampler = "G_ema" if c.ema > 0 else "G"
    lines = [
        "def main():",
        "    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])",
        '    parser.add_argument("--steps", type=int, default=STEPS, help="iterations")',
        '    parser.add_argument("--seed", type=int, default=SEED, help="random seed")',
        '    parser.add_argument("--samples-out", default="samples.csv", help="x,y CSV")',
        "    args = parser.parse_args()",
        "    torch.set_num_threads(1)  # networks this small train fastest on one thread",
        "    torch.manual_seed(args.seed)",
        "    G, D = generator(), discriminator()  # in ganviz's order: the same initial weights",
        *(["    G_ema = copy.deepcopy(G).requires_grad_(False)"] if c.ema > 0 else []),
        _optimizer_line(c, "D"),
        _optimizer_line(c, "G"),
        "",
        *(["    g_updates = 0"] if c.ema > 0 else []),
        "    for step in range(args.steps):",
        "        # (1) update D on a real and a fake minibatch (G is not trained here)",
        f"        for _ in range({d_steps}):",
        f"            real = {blur('sample_data(BATCH_SIZE)')}",
        *(["            real.requires_grad_()  # R1 differentiates D at the real points"] if r1 else []),
        "            with torch.no_grad():",
        f"                fake = {blur('G(sample_noise(BATCH_SIZE))')}",
        "            d_real, d_fake = D(real), D(fake)",
        "            loss_d = d_loss(d_real, d_fake)",
    ]
    if _gradient_penalty(c):
        real = "real.detach()" if r1 else "real"  # the penalty takes its own input gradients, not R1's
        lines.append(f"            loss_d = loss_d + GP_WEIGHT * gradient_penalty(D, {real}, fake)")
    if r1:
        lines.append("            loss_d = loss_d + R1_WEIGHT / 2 * r1_penalty(d_real, real)")
    lines += ["            opt_d.zero_grad()", "            loss_d.backward()", "            opt_d.step()"]
    if _loss_of(c).clip_weights:
        lines += [
            "            with torch.no_grad():  # WGAN: D's weights stay in [-CLIP, CLIP]",
            "                for p in D.parameters():",
            "                    p.clamp_(-CLIP, CLIP)",
        ]
    lines += [
        "",
        "        # (2) update G on fresh fakes, through D (only G's weights step)",
        "        for _ in range(G_STEPS):",
        f"            fake = {blur('G(sample_noise(BATCH_SIZE))')}",
        "            loss_g = g_loss(D(fake))",
    ]
    if extra:
        lines += [
            f"            real = {blur('sample_data(BATCH_SIZE)')}",
            f"            loss_g = loss_g + EXTRA_G_WEIGHT * {extra[0]}(D, fake, real)",
        ]
    lines += ["            opt_g.zero_grad()", "            loss_g.backward()", "            opt_g.step()"]
    if c.ema > 0:
        lines += ["            update_ema(G_ema, G, g_updates)", "            g_updates += 1"]
    lines += [
        "",
        "        if (step + 1) % max(1, args.steps // 10) == 0:",
        '            losses = f"loss_d {loss_d.item():.3f}  loss_g {loss_g.item():.3f}"',
        '            print(f"step {step + 1}/{args.steps}  {losses}", flush=True)',
        "",
        f"    {sampler}.eval()  # batch norm: running statistics; spectral norm: no power step",
        "    with torch.no_grad():",
        f"        points = {sampler}(sample_noise(SAMPLES)).numpy()",
        '    np.savetxt(args.samples_out, points, delimiter=",", header="x,y", comments="")',
        '    print(f"wrote {len(points)} points of G to {args.samples_out}")',
    ]
    return "\n".join(lines) + "\n"
