"""Weights files: plain data loaded safely into a run of the same architecture, validated before anything changes,
and refused with a message that says what to fix."""

import io
import pickle
import zipfile

import numpy as np
import pytest
import torch

from ganviz import GANConfig, Trainer
from ganviz.config import setting_names
from ganviz.io import checkpoints
from ganviz.io.checkpoints import ARCHITECTURE_FIELDS, WeightsError, load_weights, weights_bytes
from support.runs import small


@pytest.fixture(scope="module")
def trained():
    """A small run trained a little, and the bytes of its weights (module-wide: read-only)."""
    t = Trainer(small(seed=1))
    t.step(20)
    return t, weights_bytes(t)


def everything(t):
    """Every tensor the trainer's networks and optimisers hold, plus the counters."""
    nets = [t.G, t.D] + ([t.ema_g] if t.ema_g is not None else [])
    out = [v.clone() for net in nets for v in net.state_dict().values()]
    for opt in (t.opt_d, t.opt_g):
        out += [v.clone() for st in opt.state_dict()["state"].values() for v in st.values()]
    return out, (t.iteration, t.d_updates, t.g_updates)


def unchanged(t, before) -> bool:
    after = everything(t)
    return (
        after[1] == before[1]
        and len(after[0]) == len(before[0])
        and all(torch.equal(a, b) for a, b in zip(after[0], before[0]))
    )


# --- weights ----------------------------------------------------------------------------------------


def test_architecture_fields_come_from_the_config_metadata():
    # the set itself is checked against a written list in tests/test_config.py
    assert ARCHITECTURE_FIELDS == setting_names(role="architecture") and "image_model" in ARCHITECTURE_FIELDS


def test_weights_round_trip_into_a_run_with_another_seed_and_dataset(trained):
    a, data = trained
    b = Trainer(small(seed=5, dataset="grid25"))
    b.step(3)
    z = torch.randn(100, 2, generator=torch.Generator().manual_seed(0))
    assert not np.array_equal(a.sample(z), b.sample(z))
    assert b.opt_g.state_dict()["state"]  # b's Adam has moments from its own 3 steps
    load_weights(b, data)
    np.testing.assert_array_equal(b.sample(z), a.sample(z))  # the EMA copy came across
    for net_a, net_b in ((a.G, b.G), (a.D, b.D)):
        assert all(torch.equal(x, y) for x, y in zip(net_a.state_dict().values(), net_b.state_dict().values()))
    # The old moments belonged to the old weights: both optimisers restart; counters stay.
    assert not b.opt_g.state_dict()["state"] and not b.opt_d.state_dict()["state"] and b.iteration == 3
    assert b.step(2) == 2  # and it trains on


def test_weights_file_is_plain_data(trained):
    a, data = trained
    payload = torch.load(io.BytesIO(data), weights_only=True)
    assert payload["format"] == "ganviz-weights" and payload["version"] == 1 and payload["iteration"] == 20
    assert GANConfig.from_dict(payload["config"]) == a.config
    assert set(payload["G"]) == set(a.G.state_dict()) and set(payload["ema_G"]) == set(a.G.state_dict())


def test_ema_is_filled_from_g_when_the_file_has_none():
    a = Trainer(small(seed=2, ema=0.0))
    a.step(10)
    b = Trainer(small(seed=3, ema=0.99))
    load_weights(b, weights_bytes(a))
    assert all(torch.equal(x, y) for x, y in zip(b.G.parameters(), b.ema_g.parameters()))
    z = torch.randn(100, 2, generator=torch.Generator().manual_seed(0))
    np.testing.assert_array_equal(b.sample(z), a.sample(z))
    c = Trainer(small(seed=4, ema=0.0))  # and a file with an EMA copy loads into a run without one
    load_weights(c, weights_bytes(b))
    np.testing.assert_array_equal(c.sample(z), a.sample(z))


@pytest.mark.parametrize(
    "change, owner",
    [
        (dict(g_width=32), "generator"),
        (dict(d_activation="tanh"), "discriminator"),
        (dict(spectral_norm_d=True), "discriminator"),
        (dict(noise_dim=3), "generator"),
        (dict(g_depth=3, d_depth=3), "networks"),
    ],
)
def test_architecture_mismatch_names_the_setting_and_leaves_the_trainer_unchanged(trained, change, owner):
    _, data = trained
    b = Trainer(small(seed=9, **change))
    before = everything(b)
    with pytest.raises(WeightsError) as info:
        load_weights(b, data)
    message = str(info.value)
    for name, value in change.items():
        ours = str(value).lower() if isinstance(value, bool) else str(value)
        theirs = getattr(small(), name)
        theirs = str(theirs).lower() if isinstance(theirs, bool) else str(theirs)
        assert f"{name}={theirs}" in message and f"{name}={ours}" in message
    assert f"current {owner}" in message and "set the architecture to match" in message and "\n" not in message
    assert info.value.changes == {k: getattr(small(), k) for k in change}
    assert isinstance(info.value, ValueError)
    assert unchanged(b, before)


def resave(data: bytes, edit) -> bytes:
    payload = torch.load(io.BytesIO(data), weights_only=True)
    edit(payload)
    out = io.BytesIO()
    torch.save(payload, out)
    return out.getvalue()


def bad_file(data: bytes, kind: str) -> bytes:
    def set_key(key, value):
        return lambda p: p.__setitem__(key, value)

    def reshape(p):
        p["D"]["trunk.0.weight"] = torch.zeros(7, 2)

    def poison(p):
        p["G"]["net.0.bias"][0] = float("nan")

    def drop(p):
        del p["D"]["trunk.0.bias"]

    def poison_ema_only(p):  # G and D are fine: nothing may be loaded before EMA fails its check
        p["ema_G"]["net.0.bias"][0] = float("inf")

    raw = {
        "garbage": b"this is not a weights file" * 10,
        "empty": b"",
        "truncated": data[: len(data) // 2],
        "not a dict": save_plain([1, 2, 3]),
        "zip bomb": zip_bomb(),
    }
    edits = {
        "wrong format key": set_key("format", "something-else"),
        "unknown version": set_key("version", 99),
        "wrong shape": reshape,
        "missing tensor": drop,
        "nan weights": poison,
        "bad ema only": poison_ema_only,
        "no config": set_key("config", None),
        "tensor setting": lambda p: p["config"].__setitem__("g_width", torch.tensor([16, 32])),
    }
    return raw[kind] if kind in raw else resave(data, edits[kind])


def zip_bomb() -> bytes:
    """61 kB that would unpack to 60 MB."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("archive/data.pkl", bytes(60 * 2**20))
    return out.getvalue()


def save_plain(obj) -> bytes:
    out = io.BytesIO()
    torch.save(obj, out)
    return out.getvalue()


@pytest.mark.parametrize(
    "kind",
    [
        "garbage",
        "empty",
        "truncated",
        "wrong format key",
        "unknown version",
        "not a dict",
        "wrong shape",
        "missing tensor",
        "nan weights",
        "bad ema only",
        "no config",
        "zip bomb",
        "tensor setting",
    ],
)
def test_bad_files_raise_weights_error_and_leave_the_trainer_unchanged(trained, kind):
    _, data = trained
    bad = bad_file(data, kind)
    b = Trainer(small(seed=4))
    b.step(2)
    before = everything(b)
    with pytest.raises(WeightsError) as info:
        load_weights(b, bad)
    assert "\n" not in str(info.value) and ("upload" in str(info.value) or "update ganviz" in str(info.value))
    assert unchanged(b, before)


def test_oversized_uploads_are_refused(trained, monkeypatch):
    _, data = trained
    monkeypatch.setattr(checkpoints, "MAX_UPLOAD_BYTES", len(data) - 1)
    b = Trainer(small(seed=4))
    before = everything(b)
    with pytest.raises(WeightsError, match="MB limit"):
        load_weights(b, data)
    assert unchanged(b, before)


class CreatesAFile:
    """Unpickling this calls open(path, "w"): a stand-in for any code a malicious file would run."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


@pytest.mark.parametrize("container", ["torch.save", "raw pickle"])
def test_a_malicious_pickle_is_rejected_without_running_its_code(trained, tmp_path, container):
    a, data = trained

    def evil_bytes(path):
        payload = torch.load(io.BytesIO(data), weights_only=True)
        payload["config"] = {**payload["config"], "note": CreatesAFile(path)}
        if container == "raw pickle":
            return pickle.dumps(payload)
        out = io.BytesIO()
        torch.save(payload, out)
        return out.getvalue()

    # The control: loading such bytes unsafely really runs the code.
    control = tmp_path / "control"
    unsafe = evil_bytes(control)
    if container == "raw pickle":
        pickle.loads(unsafe)
    else:
        torch.load(io.BytesIO(unsafe), weights_only=False)
    assert control.exists()

    target = tmp_path / "pwned"
    b = Trainer(small(seed=4))
    before = everything(b)
    with pytest.raises(WeightsError, match="not loaded" if container == "torch.save" else "not a ganviz weights file"):
        load_weights(b, evil_bytes(target))
    assert not target.exists()
    assert unchanged(b, before)
