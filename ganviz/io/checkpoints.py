"""Weights files: written as plain tensors and read back safely (checked, never unpickled)."""

from __future__ import annotations

import io
import pickle
import warnings
import zipfile

import torch

from ganviz.config import GANConfig, setting_names

WEIGHTS_FORMAT = "ganviz-weights"
WEIGHTS_VERSION = 1
KNOWN_VERSIONS = (1,)
MAX_UPLOAD_BYTES = 50 * 1024 * 1024  # the default networks' file is ≈ 0.4 MB; 1024-wide ones ≈ 25 MB


# Settings that shape the networks: weights load only into a run where these match (the data, the seed
# and the device may differ: their role is "shared").
ARCHITECTURE_FIELDS = setting_names(role="architecture")


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
        "format": WEIGHTS_FORMAT,
        "version": WEIGHTS_VERSION,
        "config": trainer.config.to_dict(),
        "iteration": int(trainer.iteration),
        "G": cpu(trainer.G),
        "D": cpu(trainer.D),
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
        raise WeightsError(
            f"the file is {len(data) / 2**20:.1f} MB, over the {MAX_UPLOAD_BYTES // 2**20} MB limit "
            f"for weights; upload a file saved with 'Download weights'"
        )
    payload = _read(bytes(data), trainer.device)
    new_g, new_d, new_ema = _validate(trainer, payload)

    current = [
        (net, {k: v.clone() for k, v in net.state_dict().items()})
        for net in (trainer.G, trainer.D, trainer.ema_g)
        if net is not None
    ]
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
    unreadable = (
        "the file is not a ganviz weights file or is incomplete (it could not be read); "
        "upload a file saved with 'Download weights'"
    )
    # torch.save writes a zip archive of uncompressed records; anything else is not ours, and a
    # compressed archive must not unpack to more than the upload limit.
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        raise WeightsError(unreadable) from None
    if unpacked > MAX_UPLOAD_BYTES:
        raise WeightsError(
            f"the file unpacks to {unpacked / 2**20:.0f} MB, over the {MAX_UPLOAD_BYTES // 2**20} MB "
            f"limit for weights; upload a file saved with 'Download weights'"
        )
    try:
        with warnings.catch_warnings():  # whatever an uploaded file provokes is answered by the error below
            warnings.simplefilter("ignore")
            return torch.load(io.BytesIO(data), weights_only=True, map_location=device)
    except pickle.UnpicklingError as e:
        if "weights only" in str(e).lower() or "weights_only" in str(e).lower():
            raise WeightsError(
                "the file holds objects other than weights (possibly code), so it was not "
                "loaded; upload a file saved with 'Download weights'"
            ) from None
        raise WeightsError(unreadable) from None
    except Exception:
        raise WeightsError(unreadable) from None


def _validate(trainer, payload) -> tuple[dict, dict, dict | None]:
    again = "upload a file saved with 'Download weights'"
    if not isinstance(payload, dict) or payload.get("format") != WEIGHTS_FORMAT:
        raise WeightsError(f"the file is not a ganviz weights file (no '{WEIGHTS_FORMAT}' format marker); {again}")
    version = payload.get("version")
    if version not in KNOWN_VERSIONS:
        raise WeightsError(
            f"the file is weights format version {version!r}, which this ganviz does not know "
            f"(it reads version {', '.join(map(str, KNOWN_VERSIONS))}); update ganviz or {again}"
        )
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
        raise WeightsError(
            f"these weights are for {theirs} but the current {owner} {has} {ours}; "
            f"set the architecture to match, then upload again",
            changes,
        )

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
            raise WeightsError(
                f"the file's {title} {name} has shape {tuple(got.shape)} but the current one has "
                f"{tuple(want.shape)}; {again}"
            )
        if got.dtype != want.dtype:
            raise WeightsError(f"the file's {title} {name} is {got.dtype} but the current one is {want.dtype}; {again}")
        if got.is_floating_point() and not torch.isfinite(got).all():
            raise WeightsError(
                f"the file's {title} {name} holds NaN or infinite values; upload weights saved "
                f"from a run that had not diverged"
            )
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
