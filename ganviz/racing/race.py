"""A race: two to four runs trained side by side on the same data, seed and clock.

`RaceConfig` holds the runs' configs (A, B, C, D), validated so that they share what defines the
data (dataset, digits, seed, device), with JSON and URL round trips: a link names run A's settings
as the playground does and each other run's differences from A, e.g. `runs=2&B.loss=wgan-gp`.

`Race` trains the runs together: one `step(n)` is n iterations of every run, so their iteration
counts stay aligned. Runs whose networks have the same shapes (`nets.stack_key`) share each matrix
product (see `train.train_runs`); each run still draws its own batches from its own generator and
applies its own loss, optimiser and tricks, so it trains exactly as it would alone. A run that
diverges stops at its last finite state and the race pauses (`divergence`); `resume()` leaves it
behind and trains the others on.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from ganviz.config import ConfigError, GANConfig, is_image_dataset, read_json, setting_fields, setting_text
from ganviz.models.mlp import stack_key
from ganviz.training.trainer import Divergence, TimedTraining, Trainer, TrainingDiverged, synchronise, train_runs

MAX_RUNS = 4
RUN_NAMES = ("A", "B", "C", "D")
SHARED_SETTINGS = ("dataset", "digits", "digit_weights", "seed", "device")  # the same data, seed and machine
RACE_GRID_SIZE = 60  # D's surface in a small multiple: 60 x 60 points
TUNE_AFTER = 10  # iterations before an "auto" race starts timing (the first ones pay for allocations)
TUNE_ITERATIONS = 100  # iterations timed each way (stacked, one by one) before an "auto" race settles


# --- the configs --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RaceConfig:
    runs: tuple[GANConfig, ...]  # run A first

    def __post_init__(self):
        runs = tuple(self.runs)
        object.__setattr__(self, "runs", runs)
        if not 1 <= len(runs) <= MAX_RUNS:
            raise ConfigError("runs", f"a comparison has 1 to {MAX_RUNS} runs (got {len(runs)})")
        if not all(isinstance(c, GANConfig) for c in runs):
            raise ConfigError("runs", "each run needs a GANConfig")
        first = runs[0]
        for name, config in zip(RUN_NAMES[1:], runs[1:]):
            for setting in SHARED_SETTINGS:
                if getattr(config, setting) != getattr(first, setting):
                    raise ConfigError(setting, f"every run shares the {setting}: run {name} has "
                                      f"{getattr(config, setting)!r}, run A {getattr(first, setting)!r}")

    @property
    def names(self) -> tuple[str, ...]:
        return RUN_NAMES[:len(self.runs)]

    @property
    def domain(self) -> str:
        """"image" for digit races, "2d" for points: which settings matter (see `setting_rows`)."""
        return "image" if is_image_dataset(self.runs[0].dataset) else "2d"

    def differences(self, index: int) -> dict[str, Any]:
        """The settings where run `index` differs from run A, in declaration order."""
        base, config = self.runs[0].to_dict(), self.runs[index].to_dict()
        return {k: v for k, v in config.items() if v != base[k]}

    def labels(self) -> list[str]:
        """A legend label per run: "A", then e.g. "B: loss wgan-gp, d_steps 5" (differences from A)."""
        out = ["A"]
        for i, name in enumerate(self.names[1:], start=1):
            diff = [f"{k} {setting_text(v)}" for k, v in self.differences(i).items()]
            shown = ", ".join(diff[:2]) + (f" +{len(diff) - 2} more" if len(diff) > 2 else "")
            out.append(f"{name}: {shown}" if diff else f"{name}: same as A")
        return out

    def with_run(self, index: int, config: GANConfig) -> "RaceConfig":
        """Run `index` replaced by `config` (index = len(runs) adds a run)."""
        runs = list(self.runs)
        runs[index:index + 1] = [config]
        return RaceConfig(tuple(runs))

    def without_run(self, index: int) -> "RaceConfig":
        return RaceConfig(tuple(c for i, c in enumerate(self.runs) if i != index))

    # --- round trips
    def to_dict(self) -> dict[str, Any]:
        return {"runs": [c.to_dict() for c in self.runs]}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> "RaceConfig":
        if not isinstance(values, dict) or set(values) != {"runs"} or not isinstance(values["runs"], list):
            raise ConfigError("runs", 'expected {"runs": [a config object per run]}')
        runs = []
        for name, run in zip(RUN_NAMES, values["runs"]):
            if not isinstance(run, dict):
                raise ConfigError("runs", f"run {name}: expected an object of settings")
            try:
                runs.append(GANConfig.from_dict(run))
            except ConfigError as e:
                raise ConfigError(e.field, f"run {name}: {e.message}") from None
        if len(values["runs"]) > MAX_RUNS:
            raise ConfigError("runs", f"a comparison has 1 to {MAX_RUNS} runs (got {len(values['runs'])})")
        return cls(tuple(runs))

    @classmethod
    def from_json(cls, text: str) -> "RaceConfig":
        return cls.from_dict(read_json(text))

    def to_query(self) -> dict[str, str]:
        """`runs`, run A's non-default settings, and each other run's differences from A as `B.lr_d`."""
        query = {"runs": str(len(self.runs)), **self.runs[0].to_query()}
        for i, name in enumerate(self.names[1:], start=1):
            query.update({f"{name}.{k}": setting_text(v) for k, v in self.differences(i).items()})
        return query

    @classmethod
    def from_query_lenient(cls, params: dict[str, str], base: GANConfig | None = None
                           ) -> tuple["RaceConfig", list[str]]:
        """A race from URL parameters that never fails (see `GANConfig.from_query_lenient`): run A
        from the plain settings on top of `base`, each other run from its `X.` settings on top of
        run A. Each value that had to be fixed or ignored is described in a message."""
        params, messages = dict(params), []
        per_run: dict[str, dict[str, str]] = {name: {} for name in RUN_NAMES}
        for key in [k for k in params if "." in k]:
            name, _, setting = key.partition(".")
            value = params.pop(key)
            if name not in RUN_NAMES:
                messages.append(f"ignored {key!r}: runs are named {', '.join(RUN_NAMES)}")
            elif name != "A" and setting in SHARED_SETTINGS:
                messages.append(f"ignored {key!r}: every run shares the {setting} (set it without a run name)")
            else:
                per_run[name][setting] = value
        highest = max((RUN_NAMES.index(n) + 1 for n in RUN_NAMES[1:] if per_run[n]), default=2)
        count = highest
        if "runs" in params:
            text = params.pop("runs")
            try:
                count = int(text)
            except ValueError:
                messages.append(f"runs: expected a whole number (got {text!r}); using {highest}")
            if not 1 <= count <= MAX_RUNS:
                messages.append(f"runs: {count} is outside 1 to {MAX_RUNS}; using {min(max(count, 1), MAX_RUNS)}")
                count = min(max(count, 1), MAX_RUNS)
        for name in RUN_NAMES[count:]:
            if per_run[name]:
                messages.append(f"ignored the settings of run {name}: there are {count} runs")
        first, fixes = GANConfig.from_query_lenient({**params, **per_run["A"]}, base=base)
        messages += fixes
        runs = [first]
        for name in RUN_NAMES[1:count]:
            try:
                config, fixes = GANConfig.from_query_lenient(per_run[name], base=first)
            except ConfigError as e:
                config, fixes = first, [f"{e}; run {name} is a copy of run A"]
            runs.append(config)
            messages += [f"run {name}: {m}" for m in fixes]
        return cls(tuple(runs)), messages


def setting_rows(config: RaceConfig) -> list[dict[str, Any]]:
    """The settings table: a row per setting of the race's domain, {"setting", "group", "values" (one
    per run), "differs"}, in declaration order."""
    rows = []
    for f in setting_fields("2d" if config.domain == "2d" else None):
        values = [getattr(c, f.name) for c in config.runs]
        rows.append({"setting": f.name, "group": f.metadata["group"], "values": values,
                     "differs": any(v != values[0] for v in values[1:])})
    return rows


# --- the race ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RaceDivergence:
    """A run of the race that diverged: the race pauses until it is left behind (`Race.resume`)."""
    run: str
    divergence: Divergence

    @property
    def message(self) -> str:
        d = self.divergence
        return (f"Run {self.run} diverged at iteration {d.iteration}: {d.problem}. It stays at iteration "
                f"{d.iteration - 1}, its last finite state; continuing trains the other runs on without it.")


@dataclass
class RaceSnapshot:
    """One moment of the race: each run's snapshot, and its metrics when measured."""
    iteration: int  # the race's clock: the iteration of the runs still training
    names: tuple[str, ...]
    runs: list  # each run's Snapshot (2D) or ImageSnapshot (digits)
    metrics: dict  # run name -> its metrics with its own "iteration"; {} when not measured


class RaceHistory:
    """Each run's per-iteration History, side by side: rows go in and out as one array per run."""

    def __init__(self, histories):
        self.histories = histories

    def append(self, rows: list[np.ndarray]) -> None:
        for history, r in zip(self.histories, rows):
            history.append(r)

    def rows(self) -> list[np.ndarray]:
        return [h.rows() for h in self.histories]

    def truncate(self, n: int) -> None:
        for h in self.histories:
            h.truncate(n)


class Race(TimedTraining):
    def __init__(self, config: RaceConfig, points: np.ndarray | None = None, images=None,
                 stacking: bool | str = "auto"):
        """`points`: the user's 2D data (dataset custom), shared by every run; `images`: an image
        dataset already loaded (default: loaded once, for run A, and shared). `stacking`: True, False,
        or "auto": time both ways over the race's first iterations and keep the faster."""
        self.config = config
        first = Trainer(config.runs[0], points=points, images=images)
        images = first.all_images if first.is_image else images
        self.runs = [first] + [Trainer(c, points=points, images=images) for c in config.runs[1:]]
        self.history = RaceHistory([t.history for t in self.runs])
        self.left_behind = [False] * len(self.runs)  # diverged runs the race goes on without
        # Stacking runs shares each matrix product between them: far fewer, larger operations, which pays
        # where operations are cheap to launch but many (a GPU, or small networks); on a CPU, for
        # networks as large as the default ones, one by one can be faster. "auto" times both.
        self.stacking = stacking
        self._timings = {True: [0.0, 0], False: [0.0, 0]}  # way -> [seconds, iterations] timed so far

    @property
    def names(self) -> tuple[str, ...]:
        return self.config.names

    @property
    def iteration(self) -> int:
        return max(t.iteration for t in self.runs)

    @property
    def device(self):
        return self.runs[0].device

    @property
    def is_image(self) -> bool:
        return self.runs[0].is_image

    @property
    def divergence(self) -> RaceDivergence | None:
        """The first run that diverged and has not been left behind (None: the race may go on)."""
        for name, t, behind in zip(self.names, self.runs, self.left_behind):
            if t.divergence is not None and not behind:
                return RaceDivergence(name, t.divergence)
        return None

    @property
    def can_train(self) -> bool:
        return self.divergence is None and any(t.divergence is None for t in self.runs)

    def groups(self, stacking: bool | None = None) -> list[tuple[list[Trainer], bool]]:
        """The runs still training, as (runs, stacked) groups. Stacking (default: what the race has settled
        on, see `stacking`): runs that share `nets.stack_key` are stacked; the rest (digit runs, or a
        shape of their own) train one by one, as do all runs without stacking."""
        stacking = self.stacks_next() if stacking is None else stacking
        stacks: dict[tuple, list[Trainer]] = {}
        alone: list[Trainer] = []
        for t in self.runs:
            if t.divergence is None:
                stackable = stacking and not t.is_image
                (stacks.setdefault(stack_key(t.config), []) if stackable else alone).append(t)
        groups = [(runs, True) for runs in stacks.values() if len(runs) > 1]
        alone += [runs[0] for runs in stacks.values() if len(runs) == 1]
        return groups + ([(alone, False)] if alone else [])

    def stacks_next(self) -> bool:
        """Whether to stack next: `stacking` itself, or while tuning ("auto") the way with fewer timed
        iterations, then the faster way per iteration."""
        if self.stacking != "auto":
            return self.stacking
        (stacked_s, stacked_n), (alone_s, alone_n) = self._timings[True], self._timings[False]
        if min(stacked_n, alone_n) < TUNE_ITERATIONS:
            return stacked_n <= alone_n
        return stacked_s / stacked_n <= alone_s / alone_n

    @property
    def tuned(self) -> bool:
        """Whether an "auto" race has timed both ways (stacked and one by one) and settled."""
        return min(n for _, n in self._timings.values()) >= TUNE_ITERATIONS

    def describe_stacking(self) -> str:
        """How the runs train, in words: which share their matrix products, or why none do."""
        stacks = ["+".join(self.names[self.runs.index(t)] for t in runs) for runs, stacked in self.groups(True) if stacked]
        if not stacks:
            return "runs trained one by one (no two have networks of the same shapes)"
        if self.stacking == "auto" and not self.tuned:
            return f"timing {', '.join(stacks)} stacked against one by one"
        if self.stacks_next():
            return f"{', '.join(stacks)} stacked: one matrix product per layer for all of them" + (
                " (the faster way here)" if self.stacking == "auto" else "")
        return "runs trained one by one" + (" (faster here than stacked)" if self.stacking == "auto" else "")

    def step(self, n: int = 1) -> int:
        """n iterations of every run still training (fewer for a run that diverges, which pauses the
        race). Returns the iterations the race's clock advanced."""
        if self.divergence is not None:
            raise TrainingDiverged(self.divergence.message)
        stacking = self.stacks_next()
        groups = self.groups(stacking)
        tuning = self.stacking == "auto" and not self.tuned and any(stacked for _, stacked in self.groups(True))
        start = time.perf_counter()
        done = 0
        for runs, stacked in groups:
            done = max(done, *train_runs(runs, n, stacked=stacked))
        if tuning and self.iteration > TUNE_AFTER:
            synchronise(self.device)  # GPU work is asynchronous: time it to the end
            seconds, iterations = self._timings[stacking]
            self._timings[stacking] = [seconds + time.perf_counter() - start, iterations + done]
        return done

    def resume(self) -> None:
        """Leave the diverged runs behind: the others train on (the diverged ones stay as they are)."""
        self.left_behind = [behind or t.divergence is not None for t, behind in zip(self.runs, self.left_behind)]

    def get_state(self) -> dict:
        """Everything the race's training depends on, per run (see `Trainer.get_state`)."""
        return {"runs": [t.get_state() for t in self.runs], "divergences": [t.divergence for t in self.runs],
                "left_behind": list(self.left_behind),
                "timings": {way: list(timed) for way, timed in self._timings.items()}}

    def set_state(self, state: dict, divergence=None) -> None:
        """Go back to (or take in) a state from `get_state`, divergences included, and the timings of
        stacked and one-by-one steps (a worker's race tunes once for the race, not once per worker)."""
        for t, run_state, run_divergence in zip(self.runs, state["runs"], state["divergences"]):
            t.set_state(run_state, divergence=run_divergence)
        self.left_behind = list(state["left_behind"])
        self._timings = {way: list(timed) for way, timed in state["timings"].items()}

    def evaluate(self, w1_points: int = 1000) -> dict[str, dict]:
        """Each run's metrics (`Trainer.evaluate`), by run name."""
        return {name: t.evaluate(w1_points) for name, t in zip(self.names, self.runs)}

    def snapshot(self, with_metrics: bool = True, grid_size: int = RACE_GRID_SIZE, w1_points: int = 1000,
                 with_layers: bool = False) -> RaceSnapshot:
        """Each run's snapshot for a small multiple: D on a `grid_size`² grid, no gradient field or
        latent grid unless `with_layers`."""
        snaps = [t.snapshot(with_metrics=with_metrics, grid_size=grid_size, w1_points=w1_points,
                            with_layers=with_layers) for t in self.runs]
        metrics = {name: {**s.metrics, "iteration": t.iteration}
                   for name, s, t in zip(self.names, snaps, self.runs)} if with_metrics else {}
        going = [t.iteration for t in self.runs if t.divergence is None]
        return RaceSnapshot(iteration=max(going) if going else self.iteration, names=self.names, runs=snaps,
                            metrics=metrics)


def run_metrics_log(metrics_log: list[dict], name: str) -> list[dict]:
    """Run `name`'s metrics out of a race's log (entries {"iteration": race clock, run name: metrics}),
    each with the run's own iteration, one entry per iteration (the latest measurement)."""
    by_iteration: dict[int, dict] = {}
    for entry in metrics_log:
        if name in entry:
            by_iteration[entry[name]["iteration"]] = entry[name]
    return [by_iteration[i] for i in sorted(by_iteration)]


def build_trainer(config: GANConfig | RaceConfig, points: np.ndarray | None = None, images=None
                  ) -> Trainer | Race:
    """A Trainer for one config, a Race for a RaceConfig (what a live view or a worker trains)."""
    if isinstance(config, RaceConfig):
        return Race(config, points=points, images=images)
    return Trainer(config, points=points, images=images)
