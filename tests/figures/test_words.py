"""Figures in words: the sentences under each live figure, checked against the data they describe (numpy and scipy
counts computed here, not the module's own earlier output)."""

import dataclasses
import math
import re

import numpy as np
import pytest
from figures.test_points import make_snap  # the fake 2D Snapshot builder of the main view's tests
from scipy.spatial import cKDTree
from scipy.spatial.distance import cdist

from ganviz.data.toy2d import ring_centres
from ganviz.figures import words
from ganviz.figures.points import main_view
from ganviz.metrics.points import mode_stats
from ganviz.racing.race import RaceSnapshot
from ganviz.theory.dynamics import xy_trajectory
from ganviz.training.images import ImageSnapshot
from ganviz.training.trainer import Trainer
from support.runs import small

RING = ring_centres(8, 2.0)  # mode i + 1 sits at angle 2πi/8
SIGMA = 0.02


def ring_snap(fake, *, push=None, real=None, metrics=None, surface=None, d_output="probability", grid=40):
    """make_snap's Snapshot on the ring of 8 (radius 2, σ 0.02) with the given samples and pushes."""
    snap = make_snap(d_output, modes=RING, mode_counts=None, grid=grid)
    extent = (-2.5, 2.5, -2.5, 2.5)
    gx, gy = np.linspace(-2.5, 2.5, grid), np.linspace(-2.5, 2.5, grid)
    fake = np.asarray(fake, dtype=np.float64)
    rng = np.random.default_rng(1)
    real = RING[rng.integers(8, size=200)] + SIGMA * rng.standard_normal((200, 2)) if real is None else real
    return dataclasses.replace(
        snap,
        extent=extent,
        grid_x=gx,
        grid_y=gy,
        d_surface=np.full((grid, grid), 0.5) if surface is None else surface,
        real=real,
        fake=fake,
        fake_push=np.zeros_like(fake) if push is None else np.asarray(push, dtype=np.float64),
        sigma=SIGMA,
        metrics=metrics or {},
    )


def on_modes(modes: list[int], per_mode: int = 10, seed: int = 0) -> np.ndarray:
    """Samples within 1σ of the given modes (numbered from 1)."""
    rng = np.random.default_rng(seed)
    centres = np.repeat(RING[[m - 1 for m in modes]], per_mode, axis=0)
    return centres + 0.5 * SIGMA * rng.uniform(-1, 1, size=centres.shape)


def coverage_in(sentence: str) -> tuple[int, int, list[int] | None]:
    """(captured, total, the missing modes listed or None) read back from a sentence."""
    if m := re.search(r"all (\d+) modes captured", sentence):
        return int(m[1]), int(m[1]), []
    if m := re.search(r"none of the (\d+) modes captured", sentence):
        return 0, int(m[1]), None
    m = re.search(r"(\d+) of (\d+) modes captured, ([\d, and]+?) missing", sentence)
    listed = [int(v) for v in re.findall(r"\d+", m[3])]
    missing = None if len(listed) == 1 and int(m[2]) - int(m[1]) > 1 else listed  # "20 missing": a count
    return int(m[1]), int(m[2]), missing


def values_after(label: str, sentence: str) -> float:
    """The number said right after `label`."""
    m = re.search(re.escape(label) + r" (-?[\d.,]+(?:e-?\d+)?)", sentence)
    assert m, (label, sentence)
    return float(m[1].replace(",", ""))


def close_to_said(said: float, exact: float) -> bool:
    """Whether `said` is `exact` rounded to two significant figures (or to a whole number from 10 up)."""
    digits = 0 if abs(exact) >= 10 else 2 - math.floor(math.log10(abs(exact))) - 1 if exact else 2
    return abs(said - exact) <= 0.5 * 10**-digits + 1e-12


# --- numbers ----------------------------------------------------------------------------------------------


def test_numbers_are_rounded_as_a_person_says_them():
    assert [words.percent(x) for x in (0, 0.004, 0.412, 0.996, 1)] == ["0%", "under 1%", "41%", "over 99%", "100%"]
    said = [words.number(x) for x in (123456.7, 12.34, 1.234, 0.6234, 0.0347, 0.0, -0.5, 1.24e-5, -4.6e147, math.nan)]
    assert said == ["123,457", "12", "1.2", "0.62", "0.035", "0", "-0.5", "1.2e-5", "-4.6e147", "not a number"]
    assert [words.listing(x) for x in ([3], [3, 7], [2, 5, 8])] == ["3", "3 and 7", "2, 5 and 8"]
    assert words.place((1.4142, -1.4142)) == "(1.4, -1.4)" and words.place((1e-16, -2.0)) == "(0, -2)"


# --- the 2D main view -------------------------------------------------------------------------------------


def test_samples_on_six_of_the_eight_modes_say_which_two_are_missing_and_where():
    fake = np.concatenate([on_modes([1, 2, 3, 4, 5, 6]), np.zeros((20, 2))])  # 20 far from every mode
    sentence = words.describe_points(ring_snap(fake))
    # independently: the nearest centre of each sample and its distance
    distance = cdist(fake, RING)
    hq = distance.min(axis=1) <= 3 * SIGMA
    captured = sorted(set(distance.argmin(axis=1)[hq] + 1))
    assert captured == [1, 2, 3, 4, 5, 6]
    assert "Iteration 1,234: 6 of 8 modes captured, 7 and 8 missing, at (0, -2) and (1.4, -1.4)." in sentence
    assert f"{round(100 * hq.mean())}% of the {len(fake)} samples shown lie within 3σ of a mode" in sentence


@pytest.mark.parametrize(
    "modes, expected",
    [(list(range(1, 9)), "all 8 modes captured"), ([], "none of the 8 modes captured"), ([5], "1 of 8 modes captured")],
)
def test_all_none_and_many_missing_modes(modes, expected):
    fake = on_modes(modes) if modes else np.zeros((5, 2))
    sentence = words.describe_points(ring_snap(fake))
    assert expected in sentence
    if modes == [5]:  # seven missing: counted, not named
        assert coverage_in(sentence) == (1, 8, None) and "7 missing." in sentence


def test_measured_mode_counts_win_and_agree_with_the_figures_mode_circles():
    counts = [4, 0, 9, 0, 2, 2, 0, 1]
    snap = ring_snap(on_modes([1]), metrics={"mode_counts": counts, "hq_fraction": 0.412})
    sentence = words.describe_points(snap)
    assert "5 of 8 modes captured, 2, 4 and 7 missing" in sentence
    assert "41% of G's samples lie within 3σ of a mode" in sentence
    # the figure draws the missed modes as dotted circles: their centres are the modes the words name
    (missed,) = [t for t in main_view(snap).data if (t.meta or {}).get("kind") == "modes_missed"]
    points = np.column_stack([np.asarray(missed.x, dtype=np.float64), np.asarray(missed.y, dtype=np.float64)])
    circles = points[np.isfinite(points).all(axis=1)].reshape(3, -1, 2)
    centres = circles[:, :-1].mean(axis=1)  # the last point of each circle repeats its first
    named = [int(n) for n in re.findall(r"\d+", re.search(r"captured, (.*?) missing", sentence)[1])]
    np.testing.assert_allclose(centres, RING[[n - 1 for n in named]], atol=1e-5)
    assert f"at {words.place(RING[1])}, {words.place(RING[3])} and {words.place(RING[6])}" in sentence


def test_data_without_modes_says_no_modes():
    snap = dataclasses.replace(ring_snap(on_modes([1])), modes=None, sigma=None)
    sentence = words.describe_points(snap)
    assert sentence.startswith("Iteration 1,234.") and "mode" not in sentence


def brute_force_mask(snap) -> np.ndarray:
    """The grid points within max(3σ, one grid spacing) of a real point, by a k-d tree over the real points."""
    gx, gy = np.meshgrid(snap.grid_x, snap.grid_y)
    spacing = max(snap.grid_x[1] - snap.grid_x[0], snap.grid_y[1] - snap.grid_y[0])
    radius = max(3 * (snap.sigma or 0), spacing)
    distance, _ = cKDTree(snap.real).query(np.column_stack([gx.ravel(), gy.ravel()]))
    return (distance <= radius * (1 + 1e-12)).reshape(gx.shape)


@pytest.mark.parametrize("grid, sigma", [(40, SIGMA), (100, SIGMA), (60, 0.2), (33, None)])
def test_the_data_mask_is_every_grid_point_near_a_real_point(grid, sigma):
    rng = np.random.default_rng(grid)
    real = np.concatenate([rng.uniform(-3, 3, size=(150, 2)), RING + 0.01])  # some outside the grid
    snap = dataclasses.replace(ring_snap(on_modes([1]), real=real, grid=grid), sigma=sigma)
    expected = brute_force_mask(snap)
    assert expected.any() and not expected.all()
    np.testing.assert_array_equal(words.data_mask(snap), expected)


def test_d_on_the_data_and_elsewhere_follows_the_surface():
    snap = ring_snap(on_modes([1]))
    near = brute_force_mask(snap)
    piecewise = dataclasses.replace(snap, d_surface=np.where(near, 0.5, 0.1))
    assert "D is about 0.5 on the data and 0.1 elsewhere." in words.describe_points(piecewise)

    xx, yy = np.meshgrid(snap.grid_x, snap.grid_y)
    smooth = 1 / (1 + np.exp(30 * (np.hypot(xx, yy) - 2) ** 2 - 3))  # high on the ring, low off it
    sentence = words.describe_points(dataclasses.replace(snap, d_surface=smooth))
    on, off = re.search(r"D is about ([\d.]+) on the data and ([\d.]+) elsewhere", sentence).groups()
    assert close_to_said(float(on), smooth[near].mean()) and close_to_said(float(off), smooth[~near].mean())
    assert float(on) > 0.7 > 0.3 > float(off)


def test_a_critic_says_the_gap_and_a_score_is_called_a_score():
    snap = ring_snap(on_modes([1]), d_output="critic")
    near = brute_force_mask(snap)
    higher = words.describe_points(dataclasses.replace(snap, d_surface=np.where(near, 3.0, 1.0)))
    assert "The critic is higher on the data than elsewhere by 2.0." in higher and "about" not in higher
    lower = words.describe_points(dataclasses.replace(snap, d_surface=np.where(near, -0.5, 0.25)))
    assert "The critic is lower on the data than elsewhere by 0.75." in lower
    score = dataclasses.replace(snap, d_output="score", d_surface=np.where(near, 0.9, 0.2))
    assert "D's score is about 0.9 on the data and 0.2 elsewhere." in words.describe_points(score)


def test_the_push_says_where_the_samples_head_and_the_mode_that_way():
    rng = np.random.default_rng(0)
    fake = 0.1 * rng.standard_normal((100, 2))  # a blob in the ring's middle
    push = np.column_stack([0.2 * rng.standard_normal(100), 1 + 0.2 * rng.standard_normal(100)])  # mostly up
    sentence = words.describe_points(ring_snap(fake, push=push))
    angle = math.degrees(math.atan2(*push.mean(axis=0)[::-1]))
    assert abs(angle - 90) < 20  # the mean arrow points up: mode 3 at (0, 2) is the one that way
    assert "G's loss pushes its samples up, toward mode 3." in sentence
    pushed_left_down = ring_snap(fake, push=-np.ones_like(fake))  # 225°: mode 6 at (-1.4, -1.4)
    assert "pushes its samples down and to the left, toward mode 6." in words.describe_points(pushed_left_down)
    assert "push" not in words.describe_points(ring_snap(fake, push=push), arrows=False)


def test_arrows_that_cancel_out_have_no_common_heading():
    fake = on_modes(list(range(1, 9)), per_mode=5)
    outward = fake / np.linalg.norm(fake, axis=1, keepdims=True)  # every sample pushed away from the middle
    assert np.linalg.norm(outward.mean(axis=0)) < 0.01
    sentence = words.describe_points(ring_snap(fake, push=outward))
    assert "G's loss pushes its samples in different directions." in sentence and "toward" not in sentence


@pytest.mark.parametrize("with_metrics", [True, False])
def test_a_real_snapshot_says_what_mode_stats_counts_on_the_same_samples(with_metrics):
    t = Trainer(small(g_width=32, d_width=32, batch_size=64))
    t.step(150)
    snap = t.snapshot(with_metrics=with_metrics, with_layers=False, w1_points=100)
    samples = t.sample() if with_metrics else snap.fake  # the measured samples, or the ones shown
    stats = mode_stats(samples, t.domain.dataset.modes, t.domain.dataset.sigma)
    sentence = words.describe_points(snap)
    captured, total, missing = coverage_in(sentence)
    expected_missing = [i + 1 for i, c in enumerate(stats["mode_counts"]) if c == 0]
    assert (captured, total) == (stats["modes_captured"], stats["modes_total"])
    assert missing is None or missing == expected_missing
    hq = stats["hq_fraction"]
    assert (f"{round(100 * hq)}% of " if hq == 0 or hq >= 0.005 else "under 1% of ") in sentence
    assert sentence.startswith(f"Iteration {t.iteration:,}:")
    assert ("samples shown" in sentence) != with_metrics


# --- digits -----------------------------------------------------------------------------------------------


def image_snap(counts=None, *, row_labels=None, fid=None, digits=range(10)):
    grid = np.random.default_rng(0).random((len(row_labels) if row_labels else 6, 10, 8, 8))
    metrics = {}
    if counts is not None:
        counts = np.asarray(counts)
        trained = sorted(digits)
        covered = [d for d in trained if counts[d] >= counts.sum() / (5 * len(trained))]
        metrics = {
            "class_counts": list(counts),
            "classes_covered": len(covered),
            "classes_total": len(trained),
            "missing": [d for d in trained if d not in covered],
            "fid": fid,
            "fid_floor": 3.14 if fid is not None else None,
        }
    return ImageSnapshot(2400, grid, row_labels, metrics)


def test_digits_say_which_are_missing_and_which_dominates_and_the_fid():
    counts = np.array([80, 410, 90, 0, 100, 1, 95, 84, 70, 70])  # 1000 samples; 3 and 5 below 2 %
    sentence = words.describe_images(image_snap(counts, fid=12.34), digits=range(10))
    top = int(counts.argmax())
    assert sentence.startswith("Iteration 2,400: 60 samples for a fixed z.")
    assert "The classifier finds 8 of 10 digits in G's samples, 3 and 5 missing" in sentence
    assert f"{top} dominates with {round(100 * counts[top] / counts.sum())}% of them" in sentence
    assert "FID 12 (real against real: 3.1)." in sentence


def test_even_digits_have_no_dominant_one_and_unjudged_digits_say_so():
    even = words.describe_images(image_snap(np.full(10, 100)))
    assert "finds all 10 digits in G's samples." in even and "dominates" not in even and "FID" not in even
    assert words.describe_images(image_snap()).endswith("The digits are not judged yet.")
    counts = np.zeros(10, dtype=int)
    counts[6] = 60  # 6 % of the samples: under a fifth of its fair share, so not present; the rest is not a digit
    counts[0] = 940
    one = words.describe_images(image_snap(counts, digits=[1, 2]), digits=[1, 2])
    assert "finds none of the 2 digits in G's samples; 0 dominates with 94% of them." in one


def test_a_conditional_grid_names_its_rows_and_judges_only_the_trained_digits():
    counts = np.zeros(10, dtype=int)
    counts[[0, 1, 7]] = [450, 400, 150]
    sentence = words.describe_images(image_snap(counts, row_labels=[0, 1, 7], digits=[0, 1, 7]))
    assert "one row of samples per digit asked for, 0, 1 and 7." in sentence
    assert "finds all 3 digits" in sentence and "dominates" not in sentence  # 45 % < 1.5 × a third


# --- a race -----------------------------------------------------------------------------------------------


def test_a_race_says_each_runs_modes_and_which_one_stopped():
    a, b = ring_snap(on_modes([1, 2, 3, 4, 5, 6])), ring_snap(on_modes([2]))
    race = RaceSnapshot(3000, ("A", "B"), [a, b], {"B": {"mode_counts": [0, 5, 0, 0, 0, 0, 0, 0], "hq_fraction": 1}})
    sentence = words.describe_race(race, ["A", "B: loss hinge"], stopped={"B": "diverged at iteration 2,990"})
    assert sentence.startswith("Iteration 3,000, 2 runs, B stopped.")
    assert "A: 6 of 8 modes captured, 7 and 8 missing." in sentence  # counted on A's samples: no measurement
    assert "B (loss hinge): 1 of 8 modes captured, 7 missing, diverged at iteration 2,990." in sentence
    calm = words.describe_race(dataclasses.replace(race, metrics={}), ["A", "B: loss hinge"])
    assert calm.startswith("Iteration 3,000, 2 runs, none diverged.") and "diverged at" not in calm


def test_a_digit_race_says_digits_and_fid():
    race = RaceSnapshot(
        50, ("A", "B"), [image_snap(), image_snap()], {"A": {"classes_covered": 9, "classes_total": 10, "fid": 123.4}}
    )
    sentence = words.describe_race(race)
    assert "A: 9 of 10 digits, FID 123." in sentence and "B: not measured yet." in sentence


# --- curves -----------------------------------------------------------------------------------------------


def history(n: int, **columns) -> dict:
    its = np.arange(1, n + 1)
    out = {k: np.full(n, 1.0) for k in ("loss_d", "loss_g", "d_real", "d_fake", "grad_norm_d", "grad_norm_g")}
    out.update({k: np.asarray(v(its), dtype=np.float64) for k, v in columns.items()})
    return {**out, "critic_gap": np.zeros(n), "iteration": its}


def test_curves_say_recent_values_and_trends_over_the_last_500_iterations():
    rng = np.random.default_rng(0)
    h = history(
        2400,
        loss_d=lambda i: 1.3 + 0.05 * rng.standard_normal(len(i)),  # noisy but flat
        loss_g=lambda i: 0.5 + i / 2400,  # rising
        d_real=lambda i: np.full(len(i), 0.62),
        d_fake=lambda i: np.full(len(i), 0.41),
        grad_norm_d=lambda i: np.full(len(i), 0.5),
        grad_norm_g=lambda i: 0.3 * np.exp(-i / 300),  # falling
    )
    log = [
        {
            "iteration": i,
            "js": 0.6 - i / 5000,
            "js_floor": 0.01,
            "w1": 0.3,
            "mode_counts": [1] * 6 + [0] * 2,
            "hq_fraction": 0.92,
        }
        for i in range(0, 2401, 100)
    ]
    sentence = words.describe_curves(h, log)
    recent = {k: v[-100:].mean() for k, v in h.items()}  # the last fifth of the last 500 iterations
    assert sentence.startswith(
        "Iteration 2,400; values are means of the last 100 iterations, trends over the last 500."
    )
    losses = re.search(r"Losses: D ([\d.]+), steady, and G ([\d.]+), rising\.", sentence)
    assert close_to_said(float(losses[1]), recent["loss_d"]) and close_to_said(float(losses[2]), recent["loss_g"])
    assert "D outputs: D(x) 0.62 and D(G(z)) 0.41, both steady." in sentence
    norms = re.search(r"Gradient norms: D 0.5, steady, and G ([\d.e-]+), falling\.", sentence)
    assert norms and close_to_said(float(norms[1]), recent["grad_norm_g"])
    in_window = [m["js"] for m in log if m["iteration"] > 2400 - 500]  # 5 measurements: the last fifth is one
    assert in_window[-1] < in_window[0]
    assert f"JS {in_window[-1]:.2f} nats, falling (real against real: 0.01)" in sentence
    assert "W1 0.3, steady" in sentence
    assert "6 of 8 modes captured, 7 and 8 missing; 92% of samples high quality." in sentence


def test_curves_before_training_and_of_a_critic_on_digits():
    assert words.describe_curves(history(0), []) == "No training yet."
    h = history(3, d_real=lambda i: 2.0 * i, d_fake=lambda i: -i)
    sentence = words.describe_curves(h, [], loss_output="critic", metrics="images")
    assert sentence.startswith("Iteration 3; values are the last iteration's.")
    assert "Critic outputs: f(x) 6.0 and f(G(z)) -3.0." in sentence and "steady" not in sentence
    assert sentence.endswith("No metrics yet.")
    log = [
        {
            "iteration": 1,
            "fid": 80.0,
            "fid_floor": 2.0,
            "classes_covered": 7,
            "classes_total": 10,
            "mean_confidence": 0.8,
        },
        {
            "iteration": 3,
            "fid": 40.0,
            "fid_floor": 2.0,
            "classes_covered": 9,
            "classes_total": 10,
            "mean_confidence": 0.9,
        },
    ]
    digits = words.describe_curves(h, log, metrics="images")
    assert (
        "FID 40, falling (real against real: 2.0); 9 of 10 digits present; the classifier's mean confidence 90%."
        in digits
    )


def test_race_curves_say_each_runs_losses_and_distance():
    flat = history(600)
    rising = history(600, loss_g=lambda i: i / 100.0)
    runs = [
        ("A", "A", flat, [{"iteration": 200, "js": 0.5}, {"iteration": 600, "js": 0.2}]),
        ("B", "B", rising, []),
        ("C", "C", history(0), []),
    ]
    sentence = words.describe_race_curves(runs)
    assert "A: losses D 1.0 and G 1.0, both steady; JS 0.2, falling." in sentence
    assert f"B: losses D 1.0, steady, and G {words.number(np.arange(501, 601).mean() / 100)}, rising." in sentence
    assert "C: no training yet." in sentence


# --- the xy game ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("eta, steps", [(0.1, 200), (0.3, 50)])
def test_the_xy_paths_say_each_methods_final_distance_against_the_closed_forms(eta, steps):
    paths = {m: xy_trajectory(m, eta, steps, (1.0, 1.0)) for m in ("simultaneous", "alternating", "extragradient")}
    sentence = words.describe_xy_paths(paths)
    assert sentence.startswith(f"Distance to the equilibrium (0, 0) after {steps} steps from (1, 1), at distance 1.4:")
    # simultaneous GDA multiplies the radius by √(1+η²) per step; alternating GDA conserves x² + y² + ηxy
    simultaneous = values_after("simultaneous", sentence)
    assert close_to_said(simultaneous, math.sqrt(2) * (1 + eta**2) ** (steps / 2))
    assert re.search(r"simultaneous [\d.,]+, growing;", sentence) and re.search(
        r"alternating [\d.]+, steady;", sentence
    )
    end = paths["extragradient"][-1]
    assert close_to_said(values_after("extragradient", sentence), math.hypot(*end))
    assert re.search(r"extragradient [\d.]+, shrinking\.$", sentence)


def test_a_path_that_overflows_is_said_to_run_off():
    path = np.array([[1.0, 1.0], [10.0, 10.0], [np.inf, 1.0]])
    assert words.describe_xy_paths({"simultaneous": path}).endswith("simultaneous infinite.")
