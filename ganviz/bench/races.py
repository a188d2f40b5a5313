"""`python -m ganviz bench --runs N`: N runs raced against one run alone, for the same iterations.

The race trains its runs in worker processes, one per run, in lockstep rounds (the Compare page's way);
the lone run trains in this process. Both are timed in turns, so a machine whose speed drifts slows
both alike. On C cores the best a race can do is N / min(N, C) times one run's time.
"""

from __future__ import annotations

import math
import os
import time

import torch

from ganviz.bench.train import WARMUP_ITERATIONS, machine
from ganviz.config import GANConfig
from ganviz.racing.config import RaceConfig
from ganviz.racing.race import Race
from ganviz.training.runtime import synchronise
from ganviz.training.trainer import Trainer

TURNS = 5  # the timed iterations are split into this many turns of each way


def ratio_goal(runs: int, cores: int) -> float:
    """The goal for `ratio_vs_one_run`: within 10 % of the ideal N / C while runs outnumber the cores (2.2
    for four runs on two cores), and 1.3 where every run has a core of its own."""
    return 1.3 if cores >= runs else round(1.1 * runs / cores, 2)


def _timed(step, n: int, device) -> float:
    start = time.perf_counter()
    step(n)
    synchronise(device)
    return time.perf_counter() - start


def bench_runs(runs: int = 4, seconds: float = 5.0, config: GANConfig | None = None) -> dict:
    """`runs` runs of one config (default: the default config) trained as a Race against one run alone: the
    wall time of the same iterations (as many as one run trains in `seconds` after a warm-up), and whether
    each raced run ends exactly where the run trained alone does (weights, EMA, optimiser moments, RNG and
    every history row). One after another in this process is timed too, for comparison."""
    config = config or GANConfig()
    cores = os.cpu_count() or 1
    alone = Trainer(config)
    alone.step(WARMUP_ITERATIONS)
    iterations = alone.run_for(seconds)  # sizes the timed part, then timed on the same footing as the race
    race = Race(RaceConfig((config,) * runs), parallel=True)
    start = time.perf_counter()
    race.step(alone.iteration)  # the warm-up and the untimed part the lone run trained: workers start here
    warm_up_seconds = time.perf_counter() - start
    one_by_one = [Trainer(config) for _ in range(runs)]
    for t in one_by_one:
        t.step(WARMUP_ITERATIONS)

    def each_in_turn(n: int) -> None:
        for t in one_by_one:
            t.step(n)

    ways = {"one": alone.step, "race": race.step, "one_by_one": each_in_turn}
    timings = dict.fromkeys(ways, 0.0)
    turn = math.ceil(iterations / TURNS)
    for done in range(0, iterations, turn):
        for way, step in ways.items():
            timings[way] += _timed(step, min(turn, iterations - done), alone.device)
    race.stop_workers()
    difference = max(max_difference(t, alone) for t in race.runs)
    ratio = timings["race"] / timings["one"]
    return {
        "benchmark": "runs",
        "runs": runs,
        "cores": cores,
        "iterations": iterations,
        "seconds_one_run": timings["one"],
        "seconds_all_runs": timings["race"],
        "ratio_vs_one_run": ratio,
        "ideal_ratio": runs / min(runs, cores),
        "ratio_goal": ratio_goal(runs, cores),
        "goal_met": ratio <= ratio_goal(runs, cores),
        "ratio_one_by_one": timings["one_by_one"] / timings["one"],
        "worker_start_and_warm_up_seconds": warm_up_seconds,
        "identical_to_alone": difference == 0.0,
        "max_abs_difference": difference,
        "compared": "each raced run against the same config and seed trained alone for the same iterations: "
        "weights, EMA copy, optimiser moments, RNG state and history rows",
        "config": config.to_dict(),
        "device": str(alone.device),
        **machine(),
    }


def max_difference(a: Trainer, b: Trainer) -> float:
    """The largest absolute difference between two runs' state tensors and history rows (inf when their
    shapes or iterations differ)."""
    if a.iteration != b.iteration or len(a.history) != len(b.history):
        return math.inf
    sa, sb = a.get_state(), b.get_state()
    pairs = [(x, y) for key in ("G", "D", "ema") for x, y in zip((sa[key] or {}).values(), (sb[key] or {}).values())]
    for opt in ("opt_d", "opt_g"):
        for per_a, per_b in zip(sa[opt]["state"].values(), sb[opt]["state"].values()):
            pairs += [(per_a[k], per_b[k]) for k in per_a if isinstance(per_a[k], torch.Tensor)]
    pairs.append((sa["rng"], sb["rng"]))
    tensors = max((float((x.double() - y.double()).abs().max()) for x, y in pairs if x.numel()), default=0.0)
    return max(tensors, float(abs(a.history.rows() - b.history.rows()).max(initial=0.0)))
