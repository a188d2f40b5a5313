"""A race's settings: two to four runs (A, B, C, D) on the same data, seed and machine.

`RaceConfig` holds the runs' configs, validated so that they share the settings whose role is "shared"
(dataset, digits, seed, device...), with JSON and URL round trips: a link names run A's settings as the
playground does and each other run's differences from A, e.g. `runs=2&B.loss=wgan-gp`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ganviz.config import ConfigError, GANConfig, read_json, setting_fields, setting_names, setting_text

MAX_RUNS = 4
RUN_NAMES = ("A", "B", "C", "D")
SHARED_SETTINGS = setting_names(role="shared")  # the same data, seed and machine


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
                    raise ConfigError(
                        setting,
                        f"every run shares the {setting}: run {name} has "
                        f"{getattr(config, setting)!r}, run A {getattr(first, setting)!r}",
                    )

    @property
    def names(self) -> tuple[str, ...]:
        return RUN_NAMES[: len(self.runs)]

    @property
    def domain(self) -> str:
        """POINTS or IMAGES: the kind of runs this race has (they share their dataset)."""
        return self.runs[0].domain

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

    def with_run(self, index: int, config: GANConfig) -> RaceConfig:
        """Run `index` replaced by `config` (index = len(runs) adds a run)."""
        runs = list(self.runs)
        runs[index : index + 1] = [config]
        return RaceConfig(tuple(runs))

    def without_run(self, index: int) -> RaceConfig:
        return RaceConfig(tuple(c for i, c in enumerate(self.runs) if i != index))

    # --- round trips
    def to_dict(self) -> dict[str, Any]:
        return {"runs": [c.to_dict() for c in self.runs]}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> RaceConfig:
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
    def from_json(cls, text: str) -> RaceConfig:
        return cls.from_dict(read_json(text))

    def to_query(self) -> dict[str, str]:
        """`runs`, run A's non-default settings, and each other run's differences from A as `B.lr_d`."""
        query = {"runs": str(len(self.runs)), **self.runs[0].to_query()}
        for i, name in enumerate(self.names[1:], start=1):
            query.update({f"{name}.{k}": setting_text(v) for k, v in self.differences(i).items()})
        return query

    @classmethod
    def from_query_lenient(cls, params: dict[str, str], base: GANConfig | None = None) -> tuple[RaceConfig, list[str]]:
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
            config, fixes = GANConfig.from_query_lenient(per_run[name], base=first)
            runs.append(config)
            messages += [f"run {name}: {m}" for m in fixes]
        return cls(tuple(runs)), messages


def setting_rows(config: RaceConfig) -> list[dict[str, Any]]:
    """The settings table: a row per setting of the race's domain, {"setting", "group", "values" (one
    per run), "differs"}, in declaration order."""
    rows = []
    for f in setting_fields(config.domain):
        values = [getattr(c, f.name) for c in config.runs]
        rows.append(
            {
                "setting": f.name,
                "group": f.metadata["group"],
                "values": values,
                "differs": any(v != values[0] for v in values[1:]),
            }
        )
    return rows
