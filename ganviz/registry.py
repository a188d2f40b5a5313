"""Looking a name up in one of the registries (datasets, losses, presets), with a helpful error."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

T = TypeVar("T")


def lookup(registry: Mapping[str, T], name: str, kind: str) -> T:
    """registry[name], or ValueError naming the `kind` and listing every valid name."""
    try:
        return registry[name]
    except KeyError:
        raise ValueError(f"unknown {kind} {name!r}; choose one of: {', '.join(registry)}") from None
