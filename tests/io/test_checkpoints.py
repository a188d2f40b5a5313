"""Downloads and uploads: config JSON, metrics CSV, weights (safe loading, validation), the GIF."""
import csv
import io
import pickle
import zipfile

import numpy as np
import pytest
import torch
from PIL import Image

from ganviz import GANConfig, Trainer
from ganviz.io import checkpoints
from ganviz.io.checkpoints import ARCHITECTURE_FIELDS, WeightsError, load_weights, weights_bytes
from ganviz.io.animation import DIVERGING_STOPS, FAKE_RGB, REAL_RGB, snapshots_gif, surface_rgb
from ganviz.io.tables import METRIC_KEYS, config_json, metrics_csv
from ganviz.training.history import HISTORY_KEYS
from ganviz.training.points import Snapshot

SMALL = dict(g_width=16, d_width=16, g_depth=2, d_depth=2, batch_size=32)


def small(**changes) -> GANConfig:
    return GANConfig(**{**SMALL, **changes})


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
    return after[1] == before[1] and len(after[0]) == len(before[0]) and all(
        torch.equal(a, b) for a, b in zip(after[0], before[0]))


# --- config and metrics ----------------------------------------------------------------------------

def test_config_json_round_trips():
    cfg = GANConfig(loss="wgan-gp", g_width=64, ema=0.0, seed=7)
    assert GANConfig.from_json(config_json(cfg)) == cfg


def test_metrics_csv_has_one_row_per_iteration_and_sparse_metrics_on_their_rows():
    n = 25
    history = {k: np.arange(n) * 0.5 + i for i, k in enumerate(HISTORY_KEYS)}
    history["iteration"] = np.arange(1, n + 1)
    measured = {0: 0.69, 10: 0.31, 25: 0.12}
    log = [dict(iteration=it, js=js, js_floor=0.01, w1=js / 3, sliced_w1=js / 4, modes_captured=it // 5,
                modes_total=8, hq_fraction=0.5, reverse_kl=None, critic_estimate=None, mode_counts=[1, 2])
           for it, js in measured.items()]
    rows = list(csv.DictReader(io.StringIO(metrics_csv(history, log))))
    assert list(rows[0]) == ["iteration", *HISTORY_KEYS, *METRIC_KEYS]
    assert len(rows) == n + 1  # iterations 1..25, and 0: measured before training
    assert [int(r["iteration"]) for r in rows] == list(range(0, n + 1))
    by_it = {int(r["iteration"]): r for r in rows}
    for it in range(n + 1):
        row = by_it[it]
        if it in measured:
            assert float(row["js"]) == measured[it] and int(row["modes_captured"]) == it // 5
            assert row["modes_total"] == "8" and row["reverse_kl"] == "" and row["critic_estimate"] == ""
        else:
            assert all(row[k] == "" for k in METRIC_KEYS)
        if it == 0:
            assert all(row[k] == "" for k in HISTORY_KEYS)
        else:  # full precision
            assert float(row["loss_g"]) == history["loss_g"][it - 1] and float(row["d_real"]) == it * 0.5 - 0.5 + 2


def test_metrics_csv_from_a_real_run():
    t = Trainer(small())
    log = []
    t.step(6)
    log.append({"iteration": t.iteration, **t.evaluate()})
    t.step(4)
    rows = list(csv.DictReader(io.StringIO(metrics_csv(t.history.as_dict(), log))))
    assert len(rows) == 10 and rows[5]["iteration"] == "6"
    assert set(METRIC_KEYS) <= set(log[0])  # the columns are evaluate()'s keys
    assert float(rows[5]["w1"]) == log[0]["w1"] and rows[4]["w1"] == "" and rows[6]["js"] == ""
    assert float(rows[9]["loss_d"]) == t.history.as_dict()["loss_d"][9]
    assert metrics_csv({}, []).strip() == ",".join(["iteration", *HISTORY_KEYS, *METRIC_KEYS])
    with pytest.raises(ValueError, match="iteration"):
        metrics_csv({}, [{"js": 0.1}])


# --- weights ----------------------------------------------------------------------------------------

def test_architecture_fields_come_from_the_config_metadata():
    assert set(ARCHITECTURE_FIELDS) == {"noise_dim", "g_depth", "g_width", "g_activation", "d_depth", "d_width",
                                        "d_activation", "spectral_norm_d", "spectral_norm_g", "minibatch_features",
                                        "batch_norm_g", "image_model", "conditional", "acgan_weight"}


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


@pytest.mark.parametrize("change, owner", [
    (dict(g_width=32), "generator"), (dict(d_activation="tanh"), "discriminator"),
    (dict(spectral_norm_d=True), "discriminator"), (dict(noise_dim=3), "generator"),
    (dict(g_depth=3, d_depth=3), "networks"),
])
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


def _resave(data: bytes, edit) -> bytes:
    payload = torch.load(io.BytesIO(data), weights_only=True)
    edit(payload)
    out = io.BytesIO()
    torch.save(payload, out)
    return out.getvalue()


def _bad_file(data: bytes, kind: str) -> bytes:
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

    raw = {"garbage": b"this is not a weights file" * 10, "empty": b"", "truncated": data[: len(data) // 2],
           "not a dict": _save_plain([1, 2, 3]), "zip bomb": _zip_bomb()}
    edits = {"wrong format key": set_key("format", "something-else"), "unknown version": set_key("version", 99),
             "wrong shape": reshape, "missing tensor": drop, "nan weights": poison,
             "bad ema only": poison_ema_only, "no config": set_key("config", None),
             "tensor setting": lambda p: p["config"].__setitem__("g_width", torch.tensor([16, 32]))}
    return raw[kind] if kind in raw else _resave(data, edits[kind])


def _zip_bomb() -> bytes:
    """61 kB that would unpack to 60 MB."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("archive/data.pkl", bytes(60 * 2**20))
    return out.getvalue()


def _save_plain(obj) -> bytes:
    out = io.BytesIO()
    torch.save(obj, out)
    return out.getvalue()


@pytest.mark.parametrize("kind", ["garbage", "empty", "truncated", "wrong format key", "unknown version", "not a dict",
                                  "wrong shape", "missing tensor", "nan weights", "bad ema only", "no config",
                                  "zip bomb", "tensor setting"])
def test_bad_files_raise_weights_error_and_leave_the_trainer_unchanged(trained, kind):
    _, data = trained
    bad = _bad_file(data, kind)
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


class _CreatesAFile:
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
        payload["config"] = {**payload["config"], "note": _CreatesAFile(path)}
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


# --- GIF -------------------------------------------------------------------------------------------

def fake_snapshot(iteration, surface, d_output="probability", real=((0.5, 0.5),), fake=((-0.5, -0.5),)):
    """A Snapshot over [-1, 1]² with a 5×5 surface (row i at grid_y[i]) and chosen points."""
    g = np.linspace(-1.0, 1.0, 5)
    return Snapshot(iteration=iteration, extent=(-1.0, 1.0, -1.0, 1.0), real=np.array(real, float),
                    fake=np.array(fake, float), fake_push=np.zeros((len(fake), 2)), grid_x=g, grid_y=g,
                    d_surface=np.broadcast_to(np.asarray(surface, float), (5, 5)).copy(), d_output=d_output,
                    field_points=np.zeros((0, 2)), field_push=np.zeros((0, 2)), latent_lines=None, modes=None,
                    sigma=None, metrics={})


def frames_rgb(gif: bytes) -> list[np.ndarray]:
    im = Image.open(io.BytesIO(gif))
    out = []
    for i in range(im.n_frames):
        im.seek(i)
        out.append(np.asarray(im.convert("RGB")))
    return out


def pixel(x, y, size=360):
    """(row, col) of the point (x, y) on [-1, 1]², y up."""
    return int((1 - y) / 2 * size), int((x + 1) / 2 * size)


def test_palette_is_plotlys_rdbu():
    import plotly.colors
    assert [f"rgb({r},{g},{b})" for r, g, b in DIVERGING_STOPS] == plotly.colors.diverging.RdBu


def test_gif_frames_size_loop_and_point_colours():
    snaps = [fake_snapshot(it, 0.5, real=((0.5, 0.5), (0.25, -0.75)), fake=((-0.5, -0.25),)) for it in (0, 10, 20)]
    gif = snapshots_gif(snaps, size=360, fps=5)
    im = Image.open(io.BytesIO(gif))
    assert im.format == "GIF" and im.n_frames == 3 and im.size == (360, 360)
    assert im.info["loop"] == 0 and im.info["duration"] == 200
    for frame in frames_rgb(gif):
        assert tuple(frame[pixel(0.5, 0.5)]) == REAL_RGB and tuple(frame[pixel(0.25, -0.75)]) == REAL_RGB
        assert tuple(frame[pixel(-0.5, -0.25)]) == FAKE_RGB
        assert tuple(frame[pixel(0.5, -0.25)]) == tuple(surface_rgb(0.5))  # no dot: D = 1/2 everywhere


def test_gif_surface_is_y_up_and_probabilities_are_centred_at_one_half():
    surface = np.zeros((5, 5))
    surface[3:] = 1.0  # rows follow grid_y: the top of the plane says "real"
    gif = snapshots_gif([fake_snapshot(1, surface, real=(), fake=())])
    frame = frames_rgb(gif)[0]
    assert tuple(frame[pixel(0.0, 0.9)]) == tuple(surface_rgb(1.0))  # blue end
    assert tuple(frame[pixel(0.0, -0.9)]) == tuple(surface_rgb(0.0))  # red end
    assert frame[pixel(0.0, 0.9)][2] > frame[pixel(0.0, 0.9)][0] and frame[pixel(0.0, -0.9)][0] > frame[pixel(0.0, -0.9)][2]


def test_gif_critic_colours_share_one_symmetric_range_over_all_frames():
    calm = fake_snapshot(1, 2.0, "critic", real=(), fake=())
    wild = np.zeros((5, 5))
    wild[:, :2], wild[:, 3:] = -4.0, 4.0
    gif = snapshots_gif([calm, fake_snapshot(2, wild, "critic", real=(), fake=())])
    first, second = frames_rgb(gif)
    # ±4 spans the whole scale; 2 is three quarters of the way in both frames
    assert tuple(first[pixel(0.0, 0.0)]) == tuple(surface_rgb(0.75))
    assert tuple(second[pixel(-0.9, 0.0)]) == tuple(surface_rgb(0.0))
    assert tuple(second[pixel(0.9, 0.0)]) == tuple(surface_rgb(1.0))
    zero = snapshots_gif([fake_snapshot(1, 0.0, "critic", real=(), fake=())])  # a flat critic: the centre
    assert tuple(frames_rgb(zero)[0][pixel(0.0, 0.0)]) == tuple(surface_rgb(0.5))


def test_gif_of_one_frame_identical_frames_and_none():
    one = Image.open(io.BytesIO(snapshots_gif([fake_snapshot(5, 0.2)], size=128)))
    assert one.n_frames == 1 and one.size == (128, 128)
    same = snapshots_gif([fake_snapshot(5, 0.2), fake_snapshot(5, 0.2)])  # e.g. two pauses, one iteration
    assert Image.open(io.BytesIO(same)).n_frames == 2
    with pytest.raises(ValueError, match="no snapshots"):
        snapshots_gif([])


def test_gif_of_a_real_run():
    t = Trainer(small(loss="hinge"))
    snaps = []
    for _ in range(3):
        t.step(5)
        snaps.append(t.snapshot(with_metrics=False))
    surfaces = [s.d_surface.copy() for s in snaps]
    frames = frames_rgb(snapshots_gif(snaps, size=200))
    assert all(np.array_equal(a, s.d_surface) for a, s in zip(surfaces, snaps))  # inputs untouched
    assert len(frames) == 3 and frames[0].shape == (200, 200, 3)
    colours = {tuple(c) for c in frames[-1].reshape(-1, 3)}
    assert REAL_RGB in colours and FAKE_RGB in colours
    assert not np.array_equal(frames[0], frames[-1])


def test_samples_png_is_the_grid_black_on_white():
    from ganviz.io.animation import samples_png
    grid = np.zeros((2, 3, 8, 8))
    grid[1, 2] = 1.0  # one all-ink cell: row 1, column 2
    image = np.asarray(Image.open(io.BytesIO(samples_png(grid, scale=2))))
    assert image.shape == (2 * (2 * 9 - 1), 2 * (3 * 9 - 1))
    assert (image[18:34, 36:52] == 0).all() and image[:16, :16].min() == 255  # ink black, empty cells white


def test_image_metrics_csv_has_the_image_columns():
    from ganviz.io.tables import IMAGE_METRIC_KEYS
    text = metrics_csv({}, [{"iteration": 0, "fid": 12.5, "fid_floor": 2.0, "classes_covered": 3}], IMAGE_METRIC_KEYS)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows[0]["fid"] == "12.5" and rows[0]["classes_covered"] == "3" and "js" not in rows[0]
