"""Named setups: a config plus what to watch for. Loading one sets every control.

Adding a preset is one entry in `PRESETS`. Each preset's overrides are applied on top of the
defaults, so a preset names only what makes it what it is.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .config import GANConfig


@dataclass(frozen=True)
class Preset:
    name: str
    title: str
    watch: str  # two or three sentences: what the user should look for
    overrides: dict = field(default_factory=dict)

    def config(self, **changes) -> GANConfig:
        return GANConfig.from_dict({**self.overrides, **changes})


PRESETS: dict[str, Preset] = {
    p.name: p
    for p in [
        Preset(
            "ring8", "Ring of 8 Gaussians, default settings",
            "The defaults: non-saturating loss, Adam, a small R1 penalty and an EMA copy of G. "
            "All 8 modes should be covered with over 90 % of samples within 3σ of a mode by about "
            "5,000 iterations.",
            {"dataset": "ring8"},
        ),
        Preset(
            "grid25", "Grid of 25 Gaussians",
            "Twenty-five tight modes are much harder than eight: G must tear its 2D latent plane into "
            "25 pieces, and at the default learning rate it now and then drops a few modes and finds "
            "them again. Halved learning rates make it steady: all 25 modes by about 5,000 iterations, "
            "over 90 % high-quality samples by about 15,000.",
            {"dataset": "grid25", "lr_d": 5e-4, "lr_g": 5e-4},
        ),
    ]
}


def get_preset(name: str) -> Preset:
    try:
        return PRESETS[name]
    except KeyError:
        raise ValueError(f"unknown preset {name!r}; choose one of: {', '.join(PRESETS)}") from None
