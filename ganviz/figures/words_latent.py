"""Figures in words for the Latent page: sentences computed from the numbers its figures draw, in the style of
`ganviz.figures.words` (whose number and list helpers they use).

`describe_walk` (a path in latent space: the 2D picture or the digit strip, and the profile), `describe_arithmetic`
(a − b + c on 2D points), `describe_truncation` (truncated samples and the sweep across ψ), `describe_embedding`
(D's features in 2D) and `describe_fgsm` (noise pushed toward "real"). Digit pictures are described by what the
run's judge classifier reads in them: `describe_digit_samples` (a grid or row), `describe_digit_path` (the
interpolation strip) and `describe_digit_arithmetic`.

A 2D sample is on mode k (numbered from 1, as `words` numbers them) when it lies within HQ_SIGMAS σ of that mode's
centre, and "off the data" when it is that close to none.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from ganviz.figures.words import HQ_SIGMAS, listing, number, percent, place, some_of

SCORE_WORDS = {"probability": "D's score", "score": "D's score", "critic": "the critic's value"}
BELOW_TYPICAL = 0.9  # a path's |z| under this share of the typical norm "cuts inside" the noise's sphere
MIXED = 0.6  # a nearest-neighbour agreement below this: the groups are mixed


def modes_of(points, modes, sigma: float) -> np.ndarray:
    """The mode (1..K) each 2D point (N, 2) lies on, 0 where it is on none."""
    x = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    centres = np.asarray(modes, dtype=np.float64).reshape(-1, 2)
    distance = np.hypot(*(x[:, None, :] - centres[None, :, :]).transpose(2, 0, 1))  # (N, K)
    nearest = distance.argmin(axis=1)
    return np.where(distance[np.arange(len(x)), nearest] <= HQ_SIGMAS * sigma, nearest + 1, 0)


def mode_name(k: int) -> str:
    return f"mode {k}" if k else "off the data"


def journey(on: np.ndarray) -> str:
    """Where a sequence of modes (0: off the data) goes: "move from mode 3 to mode 5 by way of mode 4, passing
    2 samples off the data" or "stay on mode 3"."""
    runs = [int(k) for i, k in enumerate(on) if i == 0 or k != on[i - 1]]
    first, last = runs[0], runs[-1]
    if len(runs) == 1:
        return f"stay {'on ' if first else ''}{mode_name(first)}"
    text = f"move from {mode_name(first)} to {mode_name(last)}"
    between = [k for k in dict.fromkeys(runs[1:-1]) if k and k not in (first, last)]
    if between:
        text += f" by way of {'mode' if len(between) == 1 else 'modes'} {listing(between)}"
    off = int((on == 0).sum())
    if off and first and last:
        text += f", passing {off} {'sample' if off == 1 else 'samples'} off the data"
    return text


def describe_walk(walks: Mapping, chosen: str, typical_norm: float, modes=None, sigma: float | None = None) -> str:
    """A latent path (`walks`: path name -> `latent.probe.Walk`, `chosen` the one drawn bold): where G's samples
    go (2D data with modes), D's score along it, and how |z| compares with the noise's typical norm."""
    walk = walks[chosen]
    scores = np.asarray(walk.scores, dtype=np.float64)
    sentences = []
    if modes is not None and sigma:
        on = modes_of(walk.outputs, modes, sigma)
        sentences.append(f"Walking the {chosen} path from start to end, G's samples {journey(on)}.")
    else:
        sentences.append(f"Walking the {chosen} path, {len(scores)} samples of G from start to end.")
    low = int(scores.argmin())
    t = low / max(len(scores) - 1, 1)
    who = SCORE_WORDS.get(walk.d_output, "D's score")
    sentences.append(
        f"{who[:1].upper()}{who[1:]} goes from {number(scores[0])} to {number(scores[-1])}, lowest "
        f"({number(scores[low])}) at t = {number(t)}."
    )
    said = []
    for name, w in walks.items():
        dip = float(np.min(w.norms))
        how = "dips to" if dip < BELOW_TYPICAL * typical_norm else "stays near it, lowest"
        said.append(f"on the {name} path it {how} {number(dip)}")
    sentences.append(f"The noise's typical |z| is {number(typical_norm)}; {listing(said)}.")
    return " ".join(sentences)


def describe_arithmetic(operands: Mapping[str, np.ndarray], result, neighbours, modes=None, sigma=None) -> str:
    """G(a), G(b), G(c) (`operands`: name -> (2,)), G(a − b + c) (`result` (2,)) and G near it (`neighbours`
    (M, 2)) on 2D data: where each lands, by mode where the data has modes."""
    result = np.asarray(result, dtype=np.float64)
    neighbours = np.asarray(neighbours, dtype=np.float64).reshape(-1, 2)
    if modes is None or not sigma:
        at = listing(f"G({n}) at {place(xy)}" for n, xy in operands.items())
        return f"{at}; G(a − b + c) lands at {place(result)}."
    picked = modes_of(np.stack(list(operands.values())), modes, sigma)
    said = listing(f"G({n}) {'on ' if k else ''}{mode_name(k)}" for n, k in zip(operands, picked))
    (k,) = modes_of(result, modes, sigma)
    text = f"{said}; G(a − b + c) lands at {place(result)}, {'on ' if k else ''}{mode_name(k)}."
    near = modes_of(neighbours, modes, sigma)
    if len(near):
        said = some_of(int((near == k).sum()), len(near), "samples near a − b + c")
        text += f" {said[:1].upper()}{said[1:]} land {'on ' if k else ''}{mode_name(k)} too."
    return text


def psi_words(psi: float) -> str:
    return "untruncated" if math.isinf(psi) else f"at ψ = {number(psi)}"


def describe_truncation(sweep, psi: float) -> str:
    """The truncation sweep (`latent.truncation.TruncationSweep`) at the slider's ψ against untruncated noise:
    fidelity, coverage and distance to the data, and the ψ with the highest fidelity."""
    psis = np.asarray(sweep.psis, dtype=np.float64)
    i = int(np.flatnonzero(psis == psi)[0]) if psi in psis else len(psis) - 1
    fidelity, distance = np.asarray(sweep.fidelity), np.asarray(sweep.distance)

    def at(j: int) -> str:
        text = f"{percent(fidelity[j])} {sweep.fidelity_name}"
        if sweep.coverage_total and np.isfinite(sweep.coverage[j]):
            text += f", {some_of(int(sweep.coverage[j]), sweep.coverage_total, sweep.coverage_name)}"
        return text + f", {sweep.distance_name} {number(distance[j])}"

    text = f"Of {sweep.samples:,} samples {psi_words(psis[i])}: {at(i)}."
    if i != len(psis) - 1:
        text += f" Untruncated: {at(len(psis) - 1)}."
    best = int(fidelity.argmax())
    text += (
        f" Real against real: {number(sweep.distance_floor)}. Fidelity is highest {psi_words(psis[best])} "
        f"({percent(fidelity[best])})."
    )
    return text


def neighbour_agreement(coords, labels) -> float:
    """Share of points (N, 2) whose nearest other point has the same label (N,)."""
    x = np.asarray(coords, dtype=np.float64)
    distance = ((x[:, None, :] - x[None, :, :]) ** 2).sum(-1)
    np.fill_diagonal(distance, np.inf)
    labels = np.asarray(labels)
    return float((labels[distance.argmin(axis=1)] == labels).mean())


def describe_embedding(coords, is_real, classes=None, class_name: str | None = None) -> str:
    """D's features in 2D (`coords` (N, 2)): how well real and G's samples separate, and samples of one class
    group, by the share whose nearest neighbour in the picture is of their own kind."""
    is_real = np.asarray(is_real, dtype=bool)
    sides = neighbour_agreement(coords, is_real)
    verdict = "mixed" if sides < MIXED else "apart"
    text = (
        f"{int(is_real.sum())} real and {int((~is_real).sum())} of G's samples; {percent(sides)} have a nearest "
        f"neighbour of their own side (real or fake), so the two lie {verdict}."
    )
    if classes is not None:
        text += f" {percent(neighbour_agreement(coords, classes))} sit next to a sample of the same {class_name}."
    return text


def describe_fgsm(result) -> str:
    """FGSM from noise (`latent.fgsm.FGSMResult`): D's mean score and the distance to the data at the first and
    last step, beside the distance real and G's samples have; modes reached where the data has them."""
    scores = np.asarray(result.scores, dtype=np.float64)
    distance = np.asarray(result.distance_to_data, dtype=np.float64)
    who = SCORE_WORDS.get(result.d_output, "D's score")
    text = (
        f"After {len(scores) - 1:,} steps of η = {number(result.step_size)}, the mean of {who} over "
        f"{scores.shape[1]} noise samples went from {number(scores[0].mean())} to {number(scores[-1].mean())}"
        f"; their mean distance to the nearest real sample went from {number(distance[0])} to "
        f"{number(distance[-1])}, where real samples sit {number(result.real_distance)} and G's "
        f"{number(result.fake_distance)}."
    )
    if result.hq_fraction is not None:
        captured = some_of(int(result.modes_captured[-1]), result.modes_total, "modes")
        text += f" {percent(result.hq_fraction[-1])} ended within {HQ_SIGMAS:g}σ of a mode, on {captured}."
    return text


# --- digit pictures, as the judge classifier reads them ------------------------------------------------------


def tally(read) -> str:
    """The digits read and how often, the most frequent first: "1 (9), 7 (8) and 3 (6)"."""
    digits, counts = np.unique(np.asarray(read, dtype=np.int64), return_counts=True)
    order = np.lexsort((digits, -counts))
    return listing(f"{digits[i]} ({counts[i]})" for i in order)


def describe_digit_samples(read, confidence, what: str, *, trained=None, asked=None) -> str:
    """Digit pictures as the judge classifier reads them (`read`: a digit per picture, `confidence`: its
    probability): which digits and how often, with its mean confidence; the trained digits that none shows;
    and, where G was asked for a digit per picture (`asked`), how many read as asked."""
    read = np.asarray(read, dtype=np.int64)
    kinds = len(np.unique(read))
    text = (
        f"The judge classifier reads {what} ({len(read)} pictures) as {kinds} different digit{'s' * (kinds != 1)}: "
        f"{tally(read)}, with a mean confidence of {percent(np.mean(confidence))}"
    )
    if asked is not None:
        asked = np.asarray(asked, dtype=np.int64)
        wrong = [f"{a} as {r}" for a, r in zip(asked, read) if a != r]
        text += f". {some_of(len(read) - len(wrong), len(read), 'pictures').capitalize()} read as the digit asked for"
        text += f" (it reads {listing(wrong)})" if wrong else ""
    if trained is not None:
        missing = sorted(set(int(d) for d in trained) - set(read.tolist()))
        if missing:
            text += f". Of the trained digits, {listing(missing)} {'is' if len(missing) == 1 else 'are'} missing"
        else:
            text += ". Every trained digit is there"
    return text + "."


def describe_digit_path(read, confidence) -> str:
    """A strip of pictures along a path in latent space (`read`: a digit per step): the digits it passes
    through, each with the steps (from 1) where it is read, and the step where the judge is least sure."""
    read = np.asarray(read, dtype=np.int64)
    confidence = np.asarray(confidence, dtype=np.float64)
    starts = [0] + [i for i in range(1, len(read)) if read[i] != read[i - 1]]
    ends = starts[1:] + [len(read)]
    legs = [f"{read[s]} (step{f's {s + 1}–{e}' if e - s > 1 else f' {s + 1}'})" for s, e in zip(starts, ends)]
    weakest = int(confidence.argmin())
    return (
        f"Along the path's {len(read)} steps the judge classifier reads {' → '.join(legs)}; its confidence is "
        f"lowest ({percent(confidence[weakest])}) at step {weakest + 1}."
    )


def describe_digit_arithmetic(read, confidence) -> str:
    """a, b, c, a − b + c and the samples near it (`read`, `confidence`: in that order), as the judge reads
    them."""
    read = np.asarray(read, dtype=np.int64)
    near = read[4:]
    text = (
        f"The judge classifier reads a as {read[0]}, b as {read[1]}, c as {read[2]} and a − b + c as {read[3]} "
        f"({percent(confidence[3])} sure)"
    )
    return text + (f"; the {len(near)} samples near it as {tally(near)}." if len(near) else ".")
