"""Benchmarks printed as JSON by `python -m ganviz bench`."""
from __future__ import annotations

import math
import platform
import time

import torch
from torch.utils._python_dispatch import TorchDispatchMode

from ganviz.config import GANConfig
from ganviz.training.trainer import GUARD_EVERY, Trainer, synchronise

WARMUP_ITERATIONS = 200  # lets allocator and autograd caches settle before timing


def bench_train_2d(config: GANConfig | None = None, seconds: float = 5.0) -> dict:
    """Headless iterations/s of a 2D config (default: the default config) after a warm-up."""
    config = config or GANConfig()
    trainer = Trainer(config)
    trainer.step(WARMUP_ITERATIONS)
    start_iteration, start = trainer.iteration, time.perf_counter()
    trainer.run_for(seconds)
    synchronise(trainer.device)
    elapsed = time.perf_counter() - start
    iterations = trainer.iteration - start_iteration
    return {
        "benchmark": "train-2d",
        "iters_per_sec": iterations / elapsed,
        "iterations": iterations,
        "seconds": elapsed,
        "config": config.to_dict(),
        "device": str(trainer.device),
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "cpu": platform.processor() or platform.machine(),
    }


RUNS_RATIO_GOAL = 1.5  # the goal for `ratio_vs_one_run` (overhead-bound devices; see the README)


def _timed_steps(step, n: int, device: torch.device) -> float:
    start = time.perf_counter()
    step(n)
    synchronise(device)
    return time.perf_counter() - start


def bench_runs(runs: int = 4, seconds: float = 5.0, config: GANConfig | None = None) -> dict:
    """`runs` runs of one config (default: the default config) trained together as a Race, against one
    run alone: the wall time of the same iterations (as many as one run trains in `seconds` after a
    warm-up). The race as the app trains it ("auto": it times stacked and one-by-one steps during its
    warm-up and keeps the faster), and each way forced; and whether each raced run ends exactly where
    the run trained alone does (weights, EMA, optimiser moments, RNG and every history row)."""
    from ganviz.racing.race import Race, RaceConfig

    config = config or GANConfig()
    alone = Trainer(config)
    alone.step(WARMUP_ITERATIONS)
    iterations = alone.run_for(seconds)  # sizes the timed part, then timed on the same footing as the races

    races = {stacking: Race(RaceConfig((config,) * runs), stacking=stacking) for stacking in ("auto", True, False)}
    for race in races.values():
        # the warm-up, the untimed part the lone run trained, and an "auto" race's timing of both ways
        while race.iteration < alone.iteration:
            race.step(min(GUARD_EVERY, alone.iteration - race.iteration))
    # Timed in turns, a guard chunk each: a machine whose speed drifts (a shared or throttled core)
    # then slows every way alike instead of whichever happened to run last.
    steps = {"one": alone.step, **{stacking: race.step for stacking, race in races.items()}}
    timings = dict.fromkeys(steps, 0.0)
    for start in range(0, iterations, GUARD_EVERY):
        for way, step in steps.items():
            timings[way] += _timed_steps(step, min(GUARD_EVERY, iterations - start), alone.device)
    seconds_one = timings["one"]

    difference = max(_max_difference(t, alone) for race in races.values() for t in race.runs)
    operations = {"one_run": _operations_per_iteration(alone.step),
                  "runs_stacked": _operations_per_iteration(races[True].step),
                  "runs_one_by_one": _operations_per_iteration(races[False].step)}
    auto = races["auto"]
    return {
        "benchmark": "runs",
        "runs": runs,
        "iterations": iterations,
        "seconds_one_run": seconds_one,
        "seconds_all_runs": timings["auto"],
        "ratio_vs_one_run": timings["auto"] / seconds_one,
        "ratio_goal": RUNS_RATIO_GOAL,
        "goal_met": timings["auto"] / seconds_one <= RUNS_RATIO_GOAL,
        "stacking": ("stacked" if auto.stacks_next() else "one by one") if auto.tuned else "not settled",
        "ratio_stacked": timings[True] / seconds_one,
        "ratio_one_by_one": timings[False] / seconds_one,
        "operations_per_iteration": operations,
        "operations_note": "computing tensor operations per iteration (views and allocations left out; each "
                           "is a kernel launch on a GPU, where networks this small are launch-bound): one run, "
                           "and all runs trained together each way",
        "identical_to_alone": difference == 0.0,
        "max_abs_difference": difference,
        "compared": "each run of the three races: its weights, EMA copy, optimiser moments, RNG state and history "
                    "rows against the same config and seed trained alone for the same iterations",
        "config": config.to_dict(),
        "device": str(alone.device),
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "cpu": platform.processor() or platform.machine(),
    }


OPERATIONS_ITERATIONS = 50  # iterations whose operations are counted (after the timed part): one guard chunk
# Operations that allocate or re-point memory without computing anything (no kernel on a GPU).
ALLOCATIONS = {"aten::empty", "aten::empty_strided", "aten::empty_like", "aten::new_empty", "aten::new_empty_strided",
               "aten::set_", "aten::resize_"}


class _OperationCounter(TorchDispatchMode):
    """Counts the computing tensor operations dispatched while it is active, forward and backward: views
    (select, transpose, detach...) and allocations left out. On a GPU each is a kernel launch."""

    def __init__(self):
        super().__init__()
        self.count = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        if not func.is_view and func._schema.name not in ALLOCATIONS:
            self.count += 1
        return func(*args, **(kwargs or {}))


def _operations_per_iteration(step) -> float:
    """Computing tensor operations that `step(n)` dispatches per iteration (see `_OperationCounter`)."""
    with _OperationCounter() as counter:
        step(OPERATIONS_ITERATIONS)
    return counter.count / OPERATIONS_ITERATIONS


def _max_difference(a: Trainer, b: Trainer) -> float:
    """The largest absolute difference between two runs' state tensors and history rows (inf when
    their shapes or iterations differ)."""
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
