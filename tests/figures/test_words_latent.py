"""Figures in words on the Latent page: the sentences checked against modes, counts and distances computed here
with numpy and scipy."""

import math
from types import SimpleNamespace

import numpy as np
from scipy.spatial import cKDTree

from ganviz.data.toy2d import ring_centres
from ganviz.figures import words_latent

RING = ring_centres(8, 2.0)  # mode i + 1 sits at angle 2πi/8
SIGMA = 0.02


def walk(outputs, scores, norms, d_output="probability"):
    return SimpleNamespace(
        outputs=np.asarray(outputs, float), scores=np.asarray(scores, float), norms=norms, d_output=d_output
    )


def test_a_walk_from_mode_3_to_mode_5_passes_one_sample_off_the_data():
    between = (RING[2] + RING[4]) / 2  # far from every mode
    outputs = [RING[2], RING[2] + SIGMA, between, RING[3], RING[4]]
    nearest = cKDTree(RING).query(outputs)  # an independent count of what is on which mode
    assert list(nearest[1][nearest[0] <= 3 * SIGMA] + 1) == [3, 3, 4, 5] and (nearest[0] > 3 * SIGMA).sum() == 1
    walks = {
        "spherical": walk(outputs, [0.6, 0.5, 0.1, 0.5, 0.7], np.full(5, 1.4)),
        "linear": walk(outputs, [0.6, 0.5, 0.2, 0.5, 0.7], np.array([1.4, 1.0, 0.7, 1.0, 1.4])),
    }
    text = words_latent.describe_walk(walks, "spherical", math.sqrt(2), RING, SIGMA)
    assert "G's samples move from mode 3 to mode 5 by way of mode 4, passing 1 sample off the data." in text
    assert "D's score goes from 0.6 to 0.7, lowest (0.1) at t = 0.5." in text
    assert "on the spherical path it stays near it, lowest 1.4" in text and "linear path it dips to 0.7" in text


def test_a_walk_on_one_mode_stays_there_and_digits_are_counted():
    outputs = np.repeat(RING[[6]], 4, axis=0)
    walks = {"linear": walk(outputs, [0.5] * 4, np.ones(4), "critic")}
    text = words_latent.describe_walk(walks, "linear", 1.0, RING, SIGMA)
    assert "G's samples stay on mode 7." in text and "The critic's value goes from 0.5 to 0.5" in text
    assert "Walking the linear path, 4 samples of G" in words_latent.describe_walk(walks, "linear", 1.0)


def test_arithmetic_names_each_operand_and_the_results_mode():
    operands = {"a": RING[0], "b": RING[1], "c": RING[2]}
    result, neighbours = RING[1], np.vstack([RING[[1, 1, 1]], [[0.0, 0.0]]])
    text = words_latent.describe_arithmetic(operands, result, neighbours, RING, SIGMA)
    assert text.startswith("G(a) on mode 1, G(b) on mode 2 and G(c) on mode 3; G(a − b + c) lands at (1.4, 1.4)")
    assert "on mode 2. 3 of 4 samples near a − b + c land on mode 2 too." in text


def sweep(fidelity, coverage, distance):
    return SimpleNamespace(
        psis=np.array([0.25, 0.5, 1.0, math.inf]),
        fidelity=np.array(fidelity),
        fidelity_name="high quality",
        coverage=np.array(coverage, float),
        coverage_total=8,
        coverage_name="modes captured",
        distance=np.array(distance),
        distance_name="W1",
        distance_floor=0.05,
        samples=2500,
    )


def test_truncation_compares_the_sliders_psi_with_untruncated_noise():
    s = sweep([0.95, 0.9, 0.85, 0.8], [3, 5, 8, 8], [0.9, 0.5, 0.2, 0.1])
    text = words_latent.describe_truncation(s, 0.5)
    assert text.startswith("Of 2,500 samples at ψ = 0.5: 90% high quality, 5 of 8 modes captured, W1 0.5.")
    assert "Untruncated: 80% high quality, all 8 modes captured, W1 0.1." in text
    assert "Fidelity is highest at ψ = 0.25 (95%)." in text
    assert "Untruncated:" not in words_latent.describe_truncation(s, math.inf)


def test_embedding_says_apart_for_separate_clusters_and_mixed_for_one_cloud():
    rng = np.random.default_rng(0)
    is_real = np.arange(200) < 100
    apart = np.where(is_real[:, None], 0.0, 10.0) + rng.standard_normal((200, 2))
    text = words_latent.describe_embedding(apart, is_real)
    assert text.startswith("100 real and 100 of G's samples; 100% have a nearest neighbour of their own side")
    assert "lie apart" in text
    mixed = rng.standard_normal((200, 2))
    _, nearest = cKDTree(mixed).query(mixed, k=2)
    same = (is_real[nearest[:, 1]] == is_real).mean()  # scipy's count of the same thing
    text = words_latent.describe_embedding(mixed, is_real, np.arange(200) % 2, "digit")
    assert f"{100 * same:.0f}% have a nearest neighbour" in text and "lie mixed" in text
    assert "sit next to a sample of the same digit" in text


def test_fgsm_says_the_score_rise_and_distance_beside_real_and_g_samples():
    result = SimpleNamespace(
        scores=np.array([[0.1, 0.3], [0.5, 0.7], [0.8, 1.0]]),
        distance_to_data=np.array([2.0, 1.8, 1.6]),
        real_distance=0.05,
        fake_distance=0.08,
        step_size=0.05,
        d_output="probability",
        hq_fraction=np.array([0.0, 0.0, 0.5]),
        modes_captured=np.array([0, 0, 1]),
        modes_total=8,
    )
    text = words_latent.describe_fgsm(result)
    assert text.startswith("After 2 steps of η = 0.05, the mean of D's score over 2 noise samples went from 0.2 to 0.9")
    assert "went from 2.0 to 1.6, where real samples sit 0.05 and G's 0.08." in text
    assert "50% ended within 3σ of a mode, on 1 of 8 modes." in text


def test_digit_pictures_are_tallied_most_frequent_first_with_the_missing_and_the_misread():
    read = np.array([7, 1, 7, 3, 1, 7])
    confidence = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4])  # mean 0.65
    text = words_latent.describe_digit_samples(read, confidence, "G's samples", trained=[1, 3, 5, 7, 9])
    assert text == (
        "The judge classifier reads G's samples (6 pictures) as 3 different digits: 7 (3), 1 (2) and 3 (1), with a "
        "mean confidence of 65%. Of the trained digits, 5 and 9 are missing."
    )
    asked = np.array([7, 1, 1, 3, 1, 9])  # pictures 3 and 6 are misread
    text = words_latent.describe_digit_samples(read, confidence, "them", trained=[1, 3, 7], asked=asked)
    assert "4 of 6 pictures read as the digit asked for (it reads 1 as 7 and 9 as 7)" in text
    assert text.endswith("Every trained digit is there.")
    assert (
        "all 3 pictures read as the digit asked for."
        in words_latent.describe_digit_samples([2, 0, 4], [1, 1, 1], "a row", asked=[2, 0, 4]).lower()
    )


def test_a_digit_path_names_each_run_of_steps_and_the_least_sure_step():
    text = words_latent.describe_digit_path([4, 4, 4, 9, 1, 1], [0.99, 0.9, 0.8, 0.41, 0.7, 0.95])
    assert text == (
        "Along the path's 6 steps the judge classifier reads 4 (steps 1–3) → 9 (step 4) → 1 (steps 5–6); its "
        "confidence is lowest (41%) at step 4."
    )


def test_digit_arithmetic_reads_the_operands_the_result_and_its_neighbours():
    read = [3, 5, 8, 6, 6, 0, 6]
    text = words_latent.describe_digit_arithmetic(read, [0.9, 0.9, 0.9, 0.72, 0.9, 0.9, 0.9])
    assert text == (
        "The judge classifier reads a as 3, b as 5, c as 8 and a − b + c as 6 (72% sure); the 3 samples near it as "
        "6 (2) and 0 (1)."
    )
