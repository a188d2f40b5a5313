"""The course's chapters: what each one holds, its readings against hand-made runs, and the CLI that lists and checks
them. The full check (every chapter and its "now try", 5 seeds) is `python -m ganviz course --check`."""

import dataclasses
import re
from types import SimpleNamespace

import numpy as np
import pytest

from ganviz.config import GANConfig
from ganviz.course import CHAPTERS
from ganviz.course.chapters import LOOK_AT
from ganviz.course.check import check_chapters, play_chapter
from ganviz.course.readings import read_coverage, read_g_gradient, read_orbit, read_steepest, read_verdict
from ganviz.data.toy2d import DATASETS
from ganviz.figures.curves import CHART_PANELS
from ganviz.figures.highlight import VIEW_PARTS
from ganviz.training.history import HISTORY_KEYS, History
from support.cli import last_json, run

RING = DATASETS["ring8"]


def test_there_are_at_least_eight_chapters_covering_the_five_lectures():
    assert len(CHAPTERS) >= 8
    assert len({c.slug for c in CHAPTERS}) == len(CHAPTERS)
    assert set().union(*(c.lectures for c in CHAPTERS)) == {"000", "001", "002", "003", "004"}


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda c: c.slug)
def test_each_chapter_has_context_a_formula_a_question_and_a_now_try(chapter):
    sentences = re.findall(r"[.!?](?:\s|$)", chapter.context)
    assert 2 <= len(sentences) <= 4, chapter.context
    assert chapter.formula and chapter.question.endswith("?")
    outcomes = [c.outcome for c in chapter.choices]
    assert len(outcomes) == len(set(outcomes)) >= 3
    assert chapter.expected in outcomes  # the answer is one of the choices
    assert chapter.look_at in LOOK_AT and chapter.look_at in (*VIEW_PARTS, *CHART_PANELS)
    assert chapter.config() != chapter.now_try_config()  # the variation changes something
    assert isinstance(chapter.now_try_config(seed=3), GANConfig) and chapter.config(seed=3).seed == 3
    assert chapter.steps > 0 and chapter.now_try.steps > 0 and chapter.now_try.label


def ring_run(samples, iteration=2000, **columns):
    """A stand-in for a Trainer on the ring of 8: `samples` are G's evaluation samples; history columns given."""
    history = History()
    n = max((len(v) for v in columns.values()), default=0)
    history.append(np.stack([np.asarray(columns.get(k, np.zeros(n)), dtype=float) for k in HISTORY_KEYS], 1))
    dataset = SimpleNamespace(modes=RING.modes, sigma=RING.sigma, weights=RING.weights)
    return SimpleNamespace(
        sample=lambda: np.asarray(samples, dtype=float),
        domain=SimpleNamespace(dataset=dataset, extent=(-2.0, 2.0, -2.0, 2.0)),
        history=history,
        iteration=iteration,
        divergence=None,
    )


def on_modes(counts):
    """Samples placed exactly on the ring's modes: counts[k] of them on mode k."""
    return np.concatenate([np.repeat(RING.modes[k : k + 1], c, 0) for k, c in enumerate(counts) if c])


def test_coverage_reads_collapse_spread_and_in_between():
    collapse = read_coverage(ring_run(on_modes([600, 400, 0, 0, 0, 0, 0, 0])))
    assert collapse.outcome == "collapse"
    assert "G captures 2 of 8 modes" in collapse.sentence and "hold 100%" in collapse.sentence
    spread = read_coverage(ring_run(on_modes([125] * 8)))
    assert spread.outcome == "spread" and "8 of 8" in spread.sentence and "hold 25%" in spread.sentence
    partial = read_coverage(ring_run(on_modes([300, 300, 300, 100, 0, 0, 0, 0])))
    assert partial.outcome == "partial" and partial.measured["top2"] == pytest.approx(0.6)


def test_verdict_tells_a_winning_d_from_an_undecided_one():
    n = 200
    wins = read_verdict(ring_run(on_modes([125] * 8), d_real=np.full(n, 0.9), d_fake=np.full(n, 0.1)))
    assert wins.outcome == "d-wins" and "D said 0.90 on real points and 0.10 on G's samples" in wins.sentence
    tied = dict(d_real=np.r_[np.zeros(100), np.full(100, 0.5)], d_fake=np.full(n, 0.5))  # only the last 100 count
    assert read_verdict(ring_run(on_modes([125] * 8), **tied)).outcome == "undecided-spread"
    assert read_verdict(ring_run(on_modes([1000, 0, 0, 0, 0, 0, 0, 0]), **tied)).outcome == "undecided-clump"


def test_g_gradient_reads_a_vanished_gradient_and_its_return():
    g = np.r_[np.full(500, 2e-4), np.full(50, 0.5)]
    assert read_g_gradient(ring_run(on_modes([125] * 8), grad_norm_g=g[:500])).outcome == "vanished"
    back = read_g_gradient(ring_run(on_modes([125] * 8), grad_norm_g=g), start=500)
    assert back.outcome == "returned" and back.measured["ratio"] == pytest.approx(2500)
    assert "2,500 times larger" in back.sentence


def test_orbit_reads_the_swing_of_d_on_the_fakes():
    t = np.arange(1000)
    swinging = read_orbit(ring_run(on_modes([125] * 8), d_fake=0.5 + 0.2 * np.sin(2 * np.pi * t / 100)))
    assert swinging.outcome == "orbit"
    assert swinging.measured["d_fake_std"] == pytest.approx(0.2 / np.sqrt(2), rel=1e-9)  # a whole number of periods
    assert read_orbit(ring_run(on_modes([125] * 8), d_fake=np.full(1000, 0.4))).outcome == "settle"


def test_steepest_slope_is_the_largest_push_on_the_plane():
    run_ = ring_run(on_modes([125] * 8))
    run_.g_loss_push = lambda points: 0.3 * np.asarray(points)  # D(x) = 0.15 |x|^2: slope 0.3 |x|
    reading = read_steepest(run_)
    assert reading.measured["max_slope"] == pytest.approx(0.3 * np.hypot(2, 2))  # at the grid's corners
    assert reading.outcome == "bounded"
    run_.g_loss_push = lambda points: 3 * np.asarray(points)
    assert read_steepest(run_).outcome == "steep"  # 3 * 2.83 = 8.5


def test_a_diverged_run_reads_as_diverged():
    run_ = ring_run(on_modes([125] * 8), d_fake=np.full(10, 0.5))
    run_.divergence = SimpleNamespace(iteration=7)
    assert read_coverage(run_).outcome == read_orbit(run_).outcome == "diverged"


def short(chapter, steps=20):
    """The chapter with its checkpoints brought forward (plumbing, not the phenomenon)."""
    return dataclasses.replace(
        chapter, steps=steps, now_try=dataclasses.replace(chapter.now_try, steps=max(steps // 2, 1))
    )


@pytest.mark.parametrize("slug", ["saturating-loss", "mode-collapse"])  # a continued and a new-run "now try"
def test_playing_a_chapter_reads_the_run_and_its_now_try(slug):
    chapter = short(next(c for c in CHAPTERS if c.slug == slug))
    result = play_chapter(chapter, seed=0)
    assert result["held"] == (
        result["outcome"] == chapter.expected and result["now_try_outcome"] == chapter.now_try.expected
    )
    assert result["reading"] and result["now_try_reading"]
    if chapter.now_try.continue_run:
        assert "before iteration 20" in result["now_try_reading"]  # it compares with the run before the switch
    summary = check_chapters([chapter], seeds=[0, 1], need=2)
    assert summary["chapters"][0]["of"] == 2 and summary["passed"] == (summary["chapters"][0]["held"] == 2)


def test_cli_lists_the_chapters(capsys):
    code, out, _ = run(capsys, "course")
    listing = last_json(out)["chapters"]
    assert code == 0 and [c["slug"] for c in listing] == [c.slug for c in CHAPTERS]
    first = listing[0]
    assert first["chapter"] == 1 and first["answer"] in first["choices"] and first["checkpoint"] == CHAPTERS[0].steps


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--only", "nope"], "unknown chapter 'nope'"),
        (["--seeds", "3"], "--seeds: only with --check"),
        (["--check", "--seeds", "0"], "--seeds: must be between 1 and 20"),
    ],
)
def test_cli_refuses_bad_arguments_in_one_line(capsys, argv, message):
    code, _, err = run(capsys, "course", *argv)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1


@pytest.mark.slow  # trains the chapter and its "now try" to their checkpoints: about 10 s
def test_cli_check_runs_a_chapter_and_says_whether_it_held(capsys):
    code, out, err = run(capsys, "course", "--check", "--only", "saturating-loss", "--seeds", "1")
    result = last_json(out)
    (chapter,) = result["chapters"]
    assert chapter["slug"] == "saturating-loss" and chapter["of"] == 1
    assert code == (0 if chapter["held"] == 1 else 1) and result["passed"] == (code == 0)
    assert "chapter 1 saturating-loss: held in" in err
