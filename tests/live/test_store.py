"""SnapshotStore: gap doubling and thinning, forced adds, rewinding, the memory bound, and exact resumes."""

import copy

import numpy as np
import pytest
import torch

from ganviz import GANConfig, Trainer
from ganviz.live.store import SnapshotStore

SMALL = dict(g_width=16, d_width=16, g_depth=2, d_depth=2, batch_size=32)


def small(**changes) -> GANConfig:
    return GANConfig(**{**SMALL, **changes})


def record(store, iterations, forced=False):
    """Offer each iteration to the store (dummy snapshot and state); returns what was recorded."""
    taken = []
    for it in iterations:
        if forced:
            store.add(it, f"snap{it}", {"it": it})
            taken.append(it)
        elif store.maybe_add(it, f"snap{it}", {"it": it}):
            taken.append(it)
    return taken


# --- recording and thinning ------------------------------------------------------------------------


def test_first_call_records_then_the_gap_is_respected():
    store = SnapshotStore(capacity=8, min_gap=10)
    assert store.maybe_add(7, "a", {}) is True  # the first call always records, whatever the iteration
    assert [store.maybe_add(it, "x", {}) for it in (8, 16, 17, 18, 27)] == [False, False, True, False, True]
    assert store.iterations() == [7, 17, 27]
    assert store.snapshot_at(-1) == "x" and store.snapshot_at(0) == "a"


def test_thinning_drops_every_other_entry_and_doubles_the_gap():
    store = SnapshotStore(capacity=4, min_gap=10)
    assert record(store, range(0, 41)) == [0, 10, 20, 30, 40]
    assert store.iterations() == [0, 20, 40] and store.gap == 20  # five > four: thinned
    record(store, range(41, 81))
    assert store.iterations() == [0, 40, 80] and store.gap == 40  # [0, 20, 40, 60, 80] thinned again
    store5 = SnapshotStore(capacity=5, min_gap=1)  # odd capacity: six entries, the newest is kept too
    record(store5, range(6))
    assert store5.iterations() == [0, 2, 4, 5] and store5.gap == 2


def test_long_run_stays_bounded_and_evenly_spread():
    store = SnapshotStore(capacity=16, min_gap=5)
    newest = None
    for it in range(20_000):
        if store.maybe_add(it, None, None):
            newest = it
        assert len(store) <= 16
    its = store.iterations()
    assert its[0] == 0 and its[-1] == newest
    assert 20_000 - newest <= store.gap  # the newest entry is recent
    assert len(its) >= 16 // 2 + 1
    gaps = np.diff(its)
    assert gaps.max() <= 2 * gaps.min()  # even-ish: spacing within a factor of two over the whole run
    assert store.gap == 5 * 2 ** round(np.log2(store.gap / 5))  # min_gap times a power of two


def test_forced_adds_ignore_the_gap_and_replace_the_same_iteration():
    store = SnapshotStore(capacity=4, min_gap=100)
    store.maybe_add(0, "s0", {"v": 0})
    assert store.maybe_add(3, "s3", {}) is False
    store.add(3, "paused", {"v": 3})
    store.add(3, "stepped D", {"v": 33})  # a single D step: same iteration, new networks
    assert store.iterations() == [0, 3]
    assert store.snapshot_at(1) == "stepped D" and store.state_at(1) == {"v": 33}
    assert record(store, [4, 5, 6], forced=True) == [4, 5, 6]
    assert len(store) <= 4 and store.iterations()[0] == 0 and store.iterations()[-1] == 6


def test_truncate_after_rewinding_and_clear():
    store = SnapshotStore(capacity=32, min_gap=10)
    record(store, range(0, 101))
    store.truncate_after(35)
    assert store.iterations() == [0, 10, 20, 30]
    assert store.maybe_add(40, "after resume", {}) is True and store.iterations()[-1] == 40
    # recording at an earlier iteration than the newest means the run was rewound: the rest goes
    store.add(15, "rewound", {})
    assert store.iterations() == [0, 10, 15]
    assert store.index_of(12) == 1 and store.index_of(1000) == 2 and store.index_of(-5) == 0
    record(store, range(0, 2000))
    assert store.gap > 10
    store.clear()
    assert len(store) == 0 and store.iterations() == [] and store.gap == 10 and store.nbytes() == 0


def test_bad_arguments():
    with pytest.raises(ValueError, match="capacity"):
        SnapshotStore(capacity=1)
    with pytest.raises(ValueError, match="min_gap"):
        SnapshotStore(min_gap=0)
    with pytest.raises(IndexError):
        SnapshotStore().index_of(0)


# --- memory ----------------------------------------------------------------------------------------


def entry_bytes(snapshot, state) -> int:
    one = SnapshotStore()
    one.add(0, snapshot, state)
    return one.nbytes()


def test_nbytes_stays_bounded_over_1000_adds():
    t = Trainer(small())
    snap = t.snapshot(with_metrics=False)
    state = t.get_state()
    per_entry = entry_bytes(snap, state)
    assert per_entry > sum(p.numel() * 4 for p in t.G.parameters()) * 5  # G, EMA, G's two Adam moments, D...
    store = SnapshotStore(capacity=8, min_gap=1)
    peak = 0
    for it in range(1000):
        # every entry has its own arrays and tensors (real points are shared, as in a run)
        own = copy.deepcopy(snap)
        own.real, own.modes = snap.real, snap.modes
        store.maybe_add(it, own, copy.deepcopy(state))
        peak = max(peak, store.nbytes())
    assert len(store) <= 8
    assert peak <= 8 * per_entry
    shared = snap.real.nbytes + snap.modes.nbytes  # counted once, however many entries hold them
    assert store.nbytes() == len(store) * (per_entry - shared) + shared


def test_one_entry_for_the_default_config_is_about_a_megabyte():
    """The docstring's estimate: two 3×128 MLPs, Adam moments, EMA copy, and one snapshot."""
    t = Trainer(GANConfig())
    t.step(1)  # Adam's moments exist from the first step on
    state = t.get_state()
    n_g = sum(p.numel() for p in t.G.parameters())
    n_d = sum(p.numel() for p in t.D.parameters())
    assert (n_g, n_d) == (33_666, 33_537)
    state_bytes = SnapshotStore()
    state_bytes.add(0, None, state)
    # G + EMA + G's exp_avg + exp_avg_sq, the same for D without EMA, all float32; plus the RNG state
    assert state_bytes.nbytes() == pytest.approx(4 * (4 * n_g + 3 * n_d), abs=8_192)
    total = entry_bytes(t.snapshot(with_metrics=False), state)
    assert 1_050_000 <= total <= 1_150_000  # ≈ 1.1 MB, ≈ 36 MB for the default capacity of 32


# --- time travel: resuming from a stored state ---------------------------------------------------


def weights(t):
    out = [p.detach().clone() for p in t.G.parameters()] + [p.detach().clone() for p in t.D.parameters()]
    out += [b.clone() for b in t.G.buffers()] + [b.clone() for b in t.D.buffers()]
    if t.ema_g is not None:
        out += [p.detach().clone() for p in t.ema_g.parameters()]
    return out


def assert_same_run(a, b):
    wa, wb = weights(a), weights(b)
    assert len(wa) == len(wb) and all(torch.equal(x, y) for x, y in zip(wa, wb))
    assert (a.iteration, a.d_updates, a.g_updates) == (b.iteration, b.d_updates, b.g_updates)
    for name in ("opt_d", "opt_g"):
        sa, sb = getattr(a, name).state_dict()["state"], getattr(b, name).state_dict()["state"]
        assert all(torch.equal(sa[i][k], sb[i][k]) for i in sa for k in sa[i])
    ha, hb = a.history.as_dict(), b.history.as_dict()
    assert all(np.array_equal(ha[k], hb[k]) for k in ha)
    np.testing.assert_array_equal(a.sample(), b.sample())


@pytest.mark.parametrize(
    "changes",
    [{}, dict(spectral_norm_d=True, batch_norm_g=True, loss="wgan-gp", d_steps=2)],
    ids=["plain", "spectral-batchnorm-wgangp"],
)
def test_resuming_from_a_stored_state_equals_an_uninterrupted_run(changes):
    cfg = small(**changes)
    a = Trainer(cfg)
    store = SnapshotStore(capacity=3, min_gap=10)
    for _ in range(8):
        a.step(5)
        store.maybe_add(a.iteration, a.snapshot(with_metrics=False, grid_size=8), a.get_state())
    assert store.iterations() == [5, 25, 35]  # [5, 15, 25, 35] was thinned
    index = store.iterations().index(25)
    # go back to iteration 25, rewrite the future: 25 more iterations
    a.set_state(store.state_at(index))
    store.truncate_after(25)
    assert a.iteration == 25 and len(a.history) == 25
    a.step(25)
    b = Trainer(cfg)  # the uninterrupted run
    b.step(50)
    assert_same_run(a, b)
    # a different trainer object with the same config resumes exactly as well
    c = Trainer(cfg)
    c.set_state(store.state_at(index))
    c.step(25)
    np.testing.assert_array_equal(c.sample(), b.sample())


def test_state_at_returns_a_private_copy():
    t = Trainer(small())
    t.step(3)
    store = SnapshotStore()
    store.add(t.iteration, None, t.get_state())
    mine = store.state_at(0)
    for tensor in [*mine["G"].values(), *(s for st in mine["opt_g"]["state"].values() for s in st.values())]:
        tensor.add_(1.0)
    again = store.state_at(0)
    assert all(torch.equal(again["G"][k], t.G.state_dict()[k]) for k in again["G"])
    assert all(
        torch.equal(again["opt_g"]["state"][i][k], v)
        for i, st in t.opt_g.state_dict()["state"].items()
        for k, v in st.items()
    )


def test_resuming_twice_from_the_same_entry_gives_the_same_run():
    """Loading optimiser state keeps references to the given tensors; the stored entry must not be
    rewritten by training after a resume."""
    t = Trainer(small())
    t.step(10)
    store = SnapshotStore()
    store.add(t.iteration, None, t.get_state())
    t.set_state(store.state_at(0))
    t.step(15)
    first = t.sample()
    t.set_state(store.state_at(0))
    t.step(15)
    np.testing.assert_array_equal(t.sample(), first)


def test_a_callable_state_is_only_called_when_recorded():
    store, calls = SnapshotStore(capacity=4, min_gap=10), []

    def state():
        calls.append(1)
        return {"n": len(calls)}

    assert store.maybe_add(0, "s0", state) and store.state_at(0) == {"n": 1}
    assert not store.maybe_add(5, "s5", state) and len(calls) == 1
    assert store.maybe_add(10, "s10", state) and len(calls) == 2


def test_a_byte_budget_keeps_as_many_entries_as_fit_and_never_fewer_than_two():
    entry = {"weights": np.zeros(1000)}  # 8,000 bytes a state; the snapshots here are strings, 0 bytes
    store = SnapshotStore(capacity=32, min_gap=1, max_bytes=40_000)
    for it in range(100):
        store.maybe_add(it, f"snap{it}", {k: v.copy() for k, v in entry.items()})
        assert len(store) <= 5
    assert store.capacity == 5 and store.nbytes() <= 40_000
    tiny = SnapshotStore(capacity=32, min_gap=1, max_bytes=100)
    for it in range(10):
        tiny.maybe_add(it, f"snap{it}", {k: v.copy() for k, v in entry.items()})
    assert tiny.capacity == 2 and len(tiny) <= 3  # at most capacity + 1, momentarily
    assert SnapshotStore(capacity=32, max_bytes=None).capacity == 32
