"""Training for a stretch of wall time: chunks sized from the measured time per iteration. The tests run on a clock
that moves only as the run trains, so the counts are exact on any machine, however fast or busy."""

from ganviz import Trainer
from ganviz.training.guard import GUARD_EVERY
from support.clock import train_on_a_fake_clock
from support.runs import small


def record_chunks(monkeypatch, trainer) -> list[int]:
    """The n of every trainer.step(n) call from now on."""
    chunks, step = [], trainer.step
    monkeypatch.setattr(trainer, "step", lambda n: chunks.append(n) or step(n))
    return chunks


def test_run_for_trains_in_real_time_and_counts_whole_iterations():
    t = Trainer(small())
    n = t.run_for(0.3)
    assert n > 0 and t.iteration == n == len(t.history)


def test_run_for_trains_until_the_budget_is_spent_and_no_further(monkeypatch):
    t = Trainer(small())
    clock = train_on_a_fake_clock(monkeypatch, t, per_iteration=1 / 64)
    chunks = record_chunks(monkeypatch, t)
    assert t.run_for(0.5) == 32 and t.iteration == 32
    assert clock.now == 0.5
    assert chunks == [1, 31]  # one iteration to measure, then exactly what the rest of the budget allows


def test_chunks_are_at_most_one_guard_interval(monkeypatch):
    t = Trainer(small())
    train_on_a_fake_clock(monkeypatch, t, per_iteration=1 / 64)
    chunks = record_chunks(monkeypatch, t)
    assert t.run_for(2.0) == 128
    assert chunks == [1, GUARD_EVERY, GUARD_EVERY, 127 - 2 * GUARD_EVERY]


def test_run_for_sizes_its_chunks_from_earlier_calls_until_the_settings_change(monkeypatch):
    t = Trainer(small())
    train_on_a_fake_clock(monkeypatch, t, per_iteration=1 / 64)
    t.run_for(0.5)
    chunks = record_chunks(monkeypatch, t)
    assert t.run_for(0.25) == 16
    assert chunks == [16]  # measured before: no single-iteration probe
    chunks.clear()
    t.set_config(t.config.replace(d_steps=3))  # each iteration now costs more: measure again
    assert t.run_for(0.25) == 16
    assert chunks == [1, 15]
