"""Downloads and uploads: the config as JSON, the curves as CSV, the weights, and a GIF of the run.

Everything returns `str` or `bytes` ready for a download button; nothing here writes files.
Uploaded weights are read with `torch.load(..., weights_only=True)`, which only rebuilds tensors and
plain containers and never runs code from the file, then validated completely before any of it
touches the trainer.
"""
from __future__ import annotations

import csv
import io
import math
import pickle
import warnings
import zipfile
from dataclasses import fields

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFont

from .config import GANConfig
from .history import HISTORY_KEYS
from .plots import FAKE_COLOUR, REAL_COLOUR

# --- config and curves ---------------------------------------------------------------------------

# The sparse metrics of Trainer.evaluate(), in the order of the CSV's columns.
METRIC_KEYS = ("js", "js_floor", "w1", "sliced_w1", "modes_captured", "modes_total", "hq_fraction",
               "reverse_kl", "critic_estimate")
IMAGE_METRIC_KEYS = ("fid", "fid_floor", "classes_covered", "classes_total", "mean_confidence",
                     "classifier_accuracy")


def config_json(config: GANConfig) -> str:
    """The config as indented JSON (what `GANConfig.from_json` reads back)."""
    return config.to_json()


def metrics_csv(history: dict, metrics_log: list[dict], metric_keys: tuple[str, ...] = METRIC_KEYS) -> str:
    """One row per iteration: `iteration`, the per-iteration curves (HISTORY_KEYS) and the sparse
    metrics (METRIC_KEYS), which are filled only on the rows where they were measured.

    `history` is `History.as_dict()`; `metrics_log` is a list of `evaluate()` dicts, each with an
    `iteration` key (later entries for the same iteration win; other keys are ignored). An
    iteration measured but not in the history (iteration 0, before training) gets its own row with
    empty curve columns. Missing values are empty cells; numbers keep full precision.
    """
    return _write_csv(("iteration", *HISTORY_KEYS, *metric_keys), _metrics_rows(history, metrics_log, metric_keys))


def race_metrics_csv(runs: dict[str, tuple[dict, list[dict]]], metric_keys: tuple[str, ...] = METRIC_KEYS) -> str:
    """`metrics_csv` of several runs in one table, run by run, with a first column `run`: runs maps each
    run's name to its (history, metrics_log)."""
    rows = [{"run": name, **row} for name, (history, log) in runs.items()
            for row in _metrics_rows(history, log, metric_keys)]
    return _write_csv(("run", "iteration", *HISTORY_KEYS, *metric_keys), rows)


def _metrics_rows(history: dict, metrics_log: list[dict], metric_keys: tuple[str, ...]) -> list[dict]:
    n = len(history[HISTORY_KEYS[0]]) if HISTORY_KEYS[0] in history else 0
    its = history.get("iteration", np.arange(1, n + 1))
    rows: dict[int, dict] = {}
    for i, it in enumerate(its):
        rows[int(it)] = {k: _cell(history[k][i]) for k in HISTORY_KEYS}
    for entry in metrics_log:
        if "iteration" not in entry:
            raise ValueError("every metrics_log entry needs an 'iteration' key (the iteration it was measured at)")
        row = rows.setdefault(int(entry["iteration"]), {})
        row.update({k: _cell(entry.get(k)) for k in metric_keys})
    return [{"iteration": it, **rows[it]} for it in sorted(rows)]


def _write_csv(columns: tuple[str, ...], rows: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, restval="", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, (bool, np.bool_)):
        return int(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    value = float(value)
    return repr(value) if math.isfinite(value) else ""


# --- weights -------------------------------------------------------------------------------------

WEIGHTS_FORMAT = "ganviz-weights"
WEIGHTS_VERSION = 1
KNOWN_VERSIONS = (1,)
MAX_UPLOAD_BYTES = 50 * 1024 * 1024  # the default networks' file is ≈ 0.4 MB; 1024-wide ones ≈ 25 MB

# Settings that need new networks but do not change their shapes or wiring: weights trained on one
# dataset, seed or device load into a run with another.
NOT_ARCHITECTURE = ("dataset", "digits", "digit_weights", "seed", "device")  # data and run, not networks
ARCHITECTURE_FIELDS = tuple(f.name for f in fields(GANConfig)
                            if not f.metadata["live"] and f.name not in NOT_ARCHITECTURE)


class WeightsError(ValueError):
    """An uploaded weights file that cannot be loaded; str() is one line saying what to do.
    `changes` maps each mismatching architecture setting to the file's value (empty otherwise)."""

    def __init__(self, message: str, changes: dict | None = None):
        super().__init__(message)
        self.changes = dict(changes or {})


def weights_bytes(trainer) -> bytes:
    """The trainer's networks as a `torch.save` file of plain containers and CPU tensors."""
    def cpu(module):
        return {k: v.detach().cpu() for k, v in module.state_dict().items()}
    payload = {
        "format": WEIGHTS_FORMAT, "version": WEIGHTS_VERSION, "config": trainer.config.to_dict(),
        "iteration": int(trainer.iteration), "G": cpu(trainer.G), "D": cpu(trainer.D),
        "ema_G": cpu(trainer.ema_g) if trainer.ema_g is not None else None,
    }
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    return buffer.getvalue()


def load_weights(trainer, data: bytes) -> None:
    """Load an uploaded weights file into the trainer's G, D and EMA copy, or raise WeightsError.

    Everything is checked before anything is loaded, so a failed upload leaves the trainer as it
    was. The networks change and both optimisers restart (their moments belonged to the old
    weights); RNG, counters and history stay as they are. A file without an EMA copy loaded into a
    run with EMA on sets the EMA copy to G.
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise WeightsError(f"expected the uploaded file's bytes (got {type(data).__name__}); upload the file again")
    if len(data) > MAX_UPLOAD_BYTES:
        raise WeightsError(f"the file is {len(data) / 2**20:.1f} MB, over the {MAX_UPLOAD_BYTES // 2**20} MB limit "
                           f"for weights; upload a file saved with 'Download weights'")
    payload = _read(bytes(data), trainer.device)
    new_g, new_d, new_ema = _validate(trainer, payload)

    current = [(net, {k: v.clone() for k, v in net.state_dict().items()})
               for net in (trainer.G, trainer.D, trainer.ema_g) if net is not None]
    try:
        trainer.G.load_state_dict(new_g)
        trainer.D.load_state_dict(new_d)
        if trainer.ema_g is not None:
            trainer.ema_g.load_state_dict(new_ema if new_ema is not None else new_g)
    except Exception as e:  # validated above, so this is not expected: put everything back
        for net, state in current:
            net.load_state_dict(state)
        raise WeightsError(f"the weights could not be loaded ({_one_line(e)}); the run is unchanged") from None
    trainer.reset_optimizers()


def _read(data: bytes, device) -> object:
    unreadable = ("the file is not a ganviz weights file or is incomplete (it could not be read); "
                  "upload a file saved with 'Download weights'")
    # torch.save writes a zip archive of uncompressed records; anything else is not ours, and a
    # compressed archive must not unpack to more than the upload limit.
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        raise WeightsError(unreadable) from None
    if unpacked > MAX_UPLOAD_BYTES:
        raise WeightsError(f"the file unpacks to {unpacked / 2**20:.0f} MB, over the {MAX_UPLOAD_BYTES // 2**20} MB "
                           f"limit for weights; upload a file saved with 'Download weights'")
    try:
        with warnings.catch_warnings():  # whatever an uploaded file provokes is answered by the error below
            warnings.simplefilter("ignore")
            return torch.load(io.BytesIO(data), weights_only=True, map_location=device)
    except pickle.UnpicklingError as e:
        if "weights only" in str(e).lower() or "weights_only" in str(e).lower():
            raise WeightsError("the file holds objects other than weights (possibly code), so it was not "
                               "loaded; upload a file saved with 'Download weights'") from None
        raise WeightsError(unreadable) from None
    except Exception:
        raise WeightsError(unreadable) from None


def _validate(trainer, payload) -> tuple[dict, dict, dict | None]:
    again = "upload a file saved with 'Download weights'"
    if not isinstance(payload, dict) or payload.get("format") != WEIGHTS_FORMAT:
        raise WeightsError(f"the file is not a ganviz weights file (no '{WEIGHTS_FORMAT}' format marker); {again}")
    version = payload.get("version")
    if version not in KNOWN_VERSIONS:
        raise WeightsError(f"the file is weights format version {version!r}, which this ganviz does not know "
                           f"(it reads version {', '.join(map(str, KNOWN_VERSIONS))}); update ganviz or {again}")
    saved = payload.get("config")
    if not isinstance(saved, dict):
        raise WeightsError(f"the file has no settings to check its architecture against; {again}")

    current, default = trainer.config, GANConfig()
    theirs_by_name = {name: saved.get(name, getattr(default, name)) for name in ARCHITECTURE_FIELDS}
    odd = [name for name, value in theirs_by_name.items() if not isinstance(value, (bool, int, float, str))]
    if odd:
        raise WeightsError(f"the file's setting {odd[0]} is not a plain value; {again}")
    changes = {name: value for name, value in theirs_by_name.items() if value != getattr(current, name)}
    if changes:
        theirs = ", ".join(f"{k}={_text(v)}" for k, v in changes.items())
        ours = ", ".join(f"{k}={_text(getattr(current, k))}" for k in changes)
        owners = {_owner(k) for k in changes}
        owner = owners.pop() if len(owners) == 1 else "networks"
        has = "have" if owner == "networks" else "has"
        raise WeightsError(f"these weights are for {theirs} but the current {owner} {has} {ours}; "
                           f"set the architecture to match, then upload again", changes)

    new_g = _check_state("G", payload.get("G"), trainer.G, "generator")
    new_d = _check_state("D", payload.get("D"), trainer.D, "discriminator")
    new_ema = None
    if payload.get("ema_G") is not None:
        new_ema = _check_state("ema_G", payload["ema_G"], trainer.G, "generator's EMA copy")
    return new_g, new_d, new_ema


def _check_state(key: str, state, net: torch.nn.Module, title: str) -> dict:
    again = "upload a file saved with 'Download weights' by a run with these settings"
    expected = net.state_dict()
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise WeightsError(f"the file's {title} weights ({key}) are missing or not tensors; {again}")
    missing, extra = sorted(set(expected) - set(state)), sorted(set(state) - set(expected))
    if missing or extra:
        what = f"lacks {missing[0]}" if missing else f"has an unexpected {extra[0]}"
        raise WeightsError(f"the file's {title} {what}, so it was built differently; {again}")
    for name, want in expected.items():
        got = state[name]
        if got.shape != want.shape:
            raise WeightsError(f"the file's {title} {name} has shape {tuple(got.shape)} but the current one has "
                               f"{tuple(want.shape)}; {again}")
        if got.dtype != want.dtype:
            raise WeightsError(f"the file's {title} {name} is {got.dtype} but the current one is {want.dtype}; {again}")
        if got.is_floating_point() and not torch.isfinite(got).all():
            raise WeightsError(f"the file's {title} {name} holds NaN or infinite values; upload weights saved "
                               f"from a run that had not diverged")
    return {name: state[name] for name in expected}


def _owner(name: str) -> str:
    if name == "noise_dim" or name.startswith("g_") or name.endswith("_g"):
        return "generator"
    if name.startswith("d_") or name.endswith("_d") or name == "minibatch_features":
        return "discriminator"
    return "networks"


def _text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _one_line(e: Exception) -> str:
    text = str(e).strip().splitlines()
    return text[0] if text else type(e).__name__


# --- GIF of the recorded snapshots ---------------------------------------------------------------

def _rgb(hex_colour: str) -> tuple[int, int, int]:
    return tuple(int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))


# Plotly's "RdBu" diverging scale (plotly.colors.diverging.RdBu), low (red) to high (blue): D's
# surface is red where it says "fake" and blue where it says "real", as with colorscale="RdBu".
DIVERGING_STOPS = ((103, 0, 31), (178, 24, 43), (214, 96, 77), (244, 165, 130), (253, 219, 199),
                   (247, 247, 247), (209, 229, 240), (146, 197, 222), (67, 147, 195), (33, 102, 172),
                   (5, 48, 97))
SURFACE_OPACITY = 0.6  # the surface over a white page, so dots on it stay visible
REAL_RGB = _rgb(REAL_COLOUR)  # the same dot colours as the live view
FAKE_RGB = _rgb(FAKE_COLOUR)
TEXT_RGB = (0, 0, 0)
LABEL_BG_RGB = (255, 255, 255)
_LEVELS = 201  # surface colours; odd, so the centre value maps exactly to the middle stop
_REAL, _FAKE, _TEXT, _LABEL_BG = _LEVELS, _LEVELS + 1, _LEVELS + 2, _LEVELS + 3


def surface_rgb(t: np.ndarray) -> np.ndarray:
    """Colours (..., 3) uint8 of positions t in [0, 1] on the diverging scale, blended on white."""
    t = np.clip(np.asarray(t, dtype=np.float64), 0.0, 1.0)
    stops = np.asarray(DIVERGING_STOPS, dtype=np.float64)
    x = np.linspace(0.0, 1.0, len(stops))
    rgb = np.stack([np.interp(t, x, stops[:, c]) for c in range(3)], axis=-1)
    rgb = SURFACE_OPACITY * rgb + (1 - SURFACE_OPACITY) * 255.0
    return np.rint(rgb).astype(np.uint8)


def _palette() -> list[int]:
    colours = list(map(tuple, surface_rgb(np.linspace(0.0, 1.0, _LEVELS))))
    colours += [REAL_RGB, FAKE_RGB, TEXT_RGB, LABEL_BG_RGB]
    colours += [(0, 0, 0)] * (256 - len(colours))
    return [c for rgb in colours for c in rgb]


def _colour_ranges(snapshots) -> dict[str, tuple[float, float]]:
    """(centre, half-width) of the colour scale per kind of D output, shared by every frame:
    probabilities 0..1 around 0.5; critics symmetric around 0 over ALL frames; least-squares
    scores around 0.5, covering at least 0..1 and every frame's values."""
    def largest(kind, centre):
        values = [np.abs(np.asarray(s.d_surface, dtype=np.float64) - centre) for s in snapshots if s.d_output == kind]
        finite = [v[np.isfinite(v)] for v in values]
        return max((float(v.max()) for v in finite if v.size), default=0.0)
    critic = largest("critic", 0.0)
    return {"probability": (0.5, 0.5), "score": (0.5, max(0.5, largest("score", 0.5))),
            "critic": (0.0, critic if critic > 0 else 1.0)}


def _sample_surface(snap, size: int) -> np.ndarray:
    """D's surface bilinearly resampled at the centres of a size×size pixel grid, row 0 at the top."""
    xmin, xmax, ymin, ymax = snap.extent
    px = xmin + (np.arange(size) + 0.5) / size * (xmax - xmin)
    py = ymax - (np.arange(size) + 0.5) / size * (ymax - ymin)
    gx, gy = np.asarray(snap.grid_x, dtype=np.float64), np.asarray(snap.grid_y, dtype=np.float64)
    surface = np.nan_to_num(np.asarray(snap.d_surface, dtype=np.float64), nan=0.0)
    fx = np.interp(px, gx, np.arange(len(gx)))  # fractional column of each pixel
    fy = np.interp(py, gy, np.arange(len(gy)))  # fractional row (rows follow grid_y)
    x0 = np.clip(np.floor(fx).astype(int), 0, len(gx) - 2)
    y0 = np.clip(np.floor(fy).astype(int), 0, len(gy) - 2)
    wx, wy = (fx - x0)[None, :], (fy - y0)[:, None]
    a, b = surface[y0][:, x0], surface[y0][:, x0 + 1]
    c, d = surface[y0 + 1][:, x0], surface[y0 + 1][:, x0 + 1]
    return (a * (1 - wx) + b * wx) * (1 - wy) + (c * (1 - wx) + d * wx) * wy


def _stamp(index: np.ndarray, points, extent, colour: int, radius: int) -> None:
    """Draw each (x, y) point as a filled disc of palette index `colour`, y up."""
    points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    points = points[np.isfinite(points).all(axis=1)]
    size_y, size_x = index.shape
    xmin, xmax, ymin, ymax = extent
    col = np.floor((points[:, 0] - xmin) / (xmax - xmin) * size_x).astype(np.int64)
    row = np.floor((ymax - points[:, 1]) / (ymax - ymin) * size_y).astype(np.int64)
    for dy in range(-radius, radius + 1):
        for dx in range(-radius, radius + 1):
            if dx * dx + dy * dy > radius * radius + radius:  # a round-ish disc
                continue
            r, c = row + dy, col + dx
            ok = (r >= 0) & (r < size_y) & (c >= 0) & (c < size_x)
            index[r[ok], c[ok]] = colour


def _font(size: int):
    try:
        return ImageFont.load_default(size=max(10, size // 26))
    except TypeError:  # a Pillow without the scalable default font
        return ImageFont.load_default()


def snapshots_gif(snapshots: list, *, size: int = 360, fps: float = 8) -> bytes:
    """An animated GIF (looping forever) of recorded snapshots, one frame each.

    Each size×size frame shows D's surface over the snapshot's extent (y up) on the diverging scale
    (probabilities centred at 0.5; critic values centred at 0 with one symmetric range over all
    frames, so colours compare across frames), the real points and G's fixed-z samples as small
    dots, the iteration, the frame number and a legend. All frames share one palette, so the
    colours are exact (no dithering).
    """
    snapshots = list(snapshots)
    if not snapshots:
        raise ValueError("no snapshots to animate: train for a while (snapshots are recorded as it runs), "
                         "then export again")
    if size < 64:
        raise ValueError(f"size must be at least 64 pixels (got {size})")
    if not fps > 0:
        raise ValueError(f"fps must be positive (got {fps})")
    ranges = _colour_ranges(snapshots)
    palette, font = _palette(), _font(size)
    radius = max(1, round(size / 180))
    frames = []
    for i, snap in enumerate(snapshots):
        centre, half = ranges.get(snap.d_output, (0.5, 0.5))
        t = 0.5 + (_sample_surface(snap, size) - centre) / (2 * half)
        index = np.rint(np.clip(t, 0.0, 1.0) * (_LEVELS - 1)).astype(np.uint8)
        _stamp(index, snap.real, snap.extent, _REAL, radius)
        _stamp(index, snap.fake, snap.extent, _FAKE, radius)
        frame = Image.new("P", (size, size))
        frame.frombytes(np.ascontiguousarray(index).tobytes())
        frame.putpalette(palette)
        _label(ImageDraw.Draw(frame), font, size, f"iteration {snap.iteration:,}", f"{i + 1}/{len(snapshots)}")
        frames.append(frame)
    out = io.BytesIO()
    frames[0].save(out, format="GIF", save_all=True, append_images=frames[1:], loop=0,
                   duration=max(20, round(1000 / fps)), optimize=False)
    return out.getvalue()


def _label(draw: ImageDraw.ImageDraw, font, size: int, title: str, counter: str) -> None:
    """Iteration top left, frame counter top right (it also keeps frames distinct, so the GIF
    writer never merges two), legend bottom left: each on a white box."""
    pad = max(2, size // 120)

    def box(x, y, text, anchor):
        left, top, right, bottom = draw.textbbox((x, y), text, font=font, anchor=anchor)
        draw.rectangle((left - pad, top - pad, right + pad, bottom + pad), fill=_LABEL_BG)
        draw.text((x, y), text, font=font, fill=_TEXT, anchor=anchor)

    box(2 * pad, 2 * pad, title, "la")
    box(size - 2 * pad, 2 * pad, counter, "ra")
    # legend: a dot in each colour, then its name
    _, top, _, bottom = draw.textbbox((0, 0), "realfake", font=font, anchor="la")
    height = bottom - top
    r = max(2, height // 3)
    items = [("real", _REAL), ("fake", _FAKE)]
    width = sum(2 * r + pad + draw.textlength(name, font=font) for name, _ in items) + 3 * pad * (len(items) - 1)
    x, y = 2 * pad, size - 2 * pad - height  # top of the legend's text line
    draw.rectangle((x - pad, y - pad, x + width + pad, y + height + pad), fill=_LABEL_BG)
    for name, colour in items:
        cy = y + height // 2
        draw.ellipse((x, cy - r, x + 2 * r, cy + r), fill=colour)
        x += 2 * r + pad
        draw.text((x, y - top), name, font=font, fill=_TEXT, anchor="la")
        x += draw.textlength(name, font=font) + 3 * pad


def samples_png(grid: np.ndarray, scale: int = 4) -> bytes:
    """A sample grid (rows, cols, H, W) in [0, 1] as a PNG: black digits on white, cells split by
    white lines, each pixel `scale`×`scale`."""
    from .plots import tile  # plots imports plotly: only when someone downloads
    picture = np.kron(tile(grid, pad=0.0), np.ones((scale, scale)))
    out = io.BytesIO()
    Image.fromarray((255 * (1 - picture.clip(0, 1))).astype(np.uint8), mode="L").save(out, format="PNG")
    return out.getvalue()
