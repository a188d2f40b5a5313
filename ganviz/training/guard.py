"""The divergence guard: train in chunks, check once per chunk that everything is finite, and when
it is not, go back and stop exactly at the last finite state.

Every `GUARD_EVERY` steps a single host sync checks that the steps' statistics and both networks'
weights are finite. A chunk that went non-finite is rolled back and replayed one step at a time, so the
run stops at its last finite state with a `Divergence` report saying what became NaN or infinite.
`capture` and `restore` are the exact state a run's training depends on (time travel uses them too).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass

import torch

GUARD_EVERY = 50  # steps between finiteness checks (each check is one host sync)


class TrainingDiverged(RuntimeError):
    pass


@dataclass(frozen=True)
class Divergence:
    iteration: int  # the iteration that produced a non-finite value
    problem: str  # what became non-finite

    @property
    def message(self) -> str:
        return (
            f"training diverged at iteration {self.iteration}: {self.problem}. The run was rolled back "
            f"to iteration {self.iteration - 1}, its last finite state; lower the learning rates or "
            f"change the loss, then continue."
        )


def _clone(state: dict) -> dict:
    return {k: v.clone() for k, v in state.items()}


def capture(trainer) -> dict:
    """A deep copy of everything the run's training depends on: networks, EMA copy, optimiser moments,
    random generator and counters."""
    ema = trainer.ema_g
    return {
        "G": _clone(trainer.G.state_dict()),
        "D": _clone(trainer.D.state_dict()),
        "ema": _clone(ema.state_dict()) if ema is not None else None,
        "opt_d": copy.deepcopy(trainer.opt_d.state_dict()),
        "opt_g": copy.deepcopy(trainer.opt_g.state_dict()),
        "rng": trainer.rng.get_state(),
        "counters": (trainer.iteration, trainer.d_updates, trainer.g_updates, trainer.pretrained),
    }


def restore(trainer, saved: dict) -> None:
    """Put the run back into a state from `capture` (which stays untouched: torch's optimisers keep the
    tensors they load, and training would then change them in place)."""
    trainer.G.load_state_dict(saved["G"])
    trainer.D.load_state_dict(saved["D"])
    ema = trainer.ema_g
    if ema is not None:  # a state from before EMA was switched on starts the average from G
        ema.load_state_dict(saved["ema"] if saved["ema"] is not None else trainer.G.state_dict())
    trainer.opt_d.load_state_dict(copy.deepcopy(saved["opt_d"]))
    trainer.opt_g.load_state_dict(copy.deepcopy(saved["opt_g"]))
    trainer.rng.set_state(saved["rng"])
    trainer.iteration, trainer.d_updates, trainer.g_updates, trainer.pretrained = saved["counters"]


def _all_finite(trainer, stats: list[dict[str, torch.Tensor]]) -> bool:
    values = torch.stack([v for s in stats for v in s.values()])
    norms = torch.stack(torch._foreach_norm(trainer.g_params + trainer.d_params))
    return bool(torch.isfinite(values).all() & torch.isfinite(norms).all())  # the chunk's one host sync


def find_problem(trainer, stats: dict[str, torch.Tensor]) -> str | None:
    """What is non-finite after a step (a statistic or a weight), or None."""
    bad = [f"{k} is {'NaN' if torch.isnan(v) else 'infinite'}" for k, v in stats.items() if not torch.isfinite(v)]
    if bad:
        return ", ".join(bad)
    for net_name, net in (("G", trainer.G), ("D", trainer.D)):
        for name, p in net.named_parameters():
            if not torch.isfinite(p).all():
                return f"{net_name}'s weight {name} holds non-finite values"
    return None


def train_guarded(trainer, n: int, step: Callable[[], dict], counted: bool) -> int:
    """n calls of `step` (an iteration, or a lone D or G step) in guarded chunks; `counted` steps are
    iterations, recorded in the history. Returns the steps completed (fewer when the run diverged, which
    then holds its last finite state and a `trainer.divergence`)."""
    if trainer.divergence is not None:
        raise TrainingDiverged(trainer.divergence.message + " Call resume() to continue.")
    done = 0
    while done < n and trainer.divergence is None:
        chunk = min(GUARD_EVERY, n - done)
        saved = capture(trainer)
        stats = [step() for _ in range(chunk)]
        if _all_finite(trainer, stats):
            if counted:
                trainer.history.record(stats)
            done += chunk
        else:
            restore(trainer, saved)
            done += _replay_to_divergence(trainer, chunk, step, counted)
    return done


def _replay_to_divergence(trainer, chunk: int, step: Callable[[], dict], counted: bool) -> int:
    """Something in the last chunk became non-finite: replay it one step at a time to find exactly where.
    Returns the steps completed before it."""
    for completed in range(chunk):
        saved = capture(trainer)
        stats = step()
        problem = find_problem(trainer, stats)
        if problem:
            restore(trainer, saved)
            trainer.divergence = Divergence(trainer.iteration + 1 if counted else trainer.iteration, problem)
            return completed
        if counted:
            trainer.history.record([stats])
    return chunk
