"""Per-page state, typed, and the one registry of runs a page may borrow.

Each page keeps its state in one object (`page_state(SomeState)`, a dataclass of its own) instead of loose
session keys, and never writes another page's state. A page that trains a run lends it under its title
(`lend_run`); other pages (Latent, Compare) find the runs they may read with `borrowable_runs()`: the only
way one page sees another's run.

A state class may declare `kept_widgets()`, the keys of its value widgets (settings, speed, lesson...): the
router keeps their values across page switches with `keep_widget_values()` (Streamlit forgets the value of
a widget that a run does not draw, and every visit to another page is such a run).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import streamlit as st

from ganviz.live.run import LiveRun

S = TypeVar("S")
LENT_RUNS = "lent_runs"  # the session key of the lent runs
KEPT_WIDGETS = "kept_widgets"  # the session key of the widget keys the visited pages declared


def page_state(cls: type[S]) -> S:
    """This session's state object of type `cls` (a dataclass with defaults), created on first use. The keys
    of `cls.kept_widgets()`, if it has that method, are kept from then on (see `keep_widget_values`)."""
    key = f"page_state:{cls.__module__}.{cls.__qualname__}"
    if key not in st.session_state:
        st.session_state[key] = cls()
    declared = getattr(cls, "kept_widgets", None)
    if declared is not None:
        st.session_state.setdefault(KEPT_WIDGETS, set()).update(declared())
    return st.session_state[key]


def keep_widget_values() -> None:
    """Make the declared widgets' values plain session state, so that they survive a visit to another page
    (Streamlit's documented way: assign a widget's value to its own key). Call at the top of every run."""
    for key in st.session_state.get(KEPT_WIDGETS, ()):
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


@dataclass(frozen=True)
class LentRun:
    """A run another page may read (never change): the page it belongs to, the run, and its own data."""

    page: str  # the lending page's title, e.g. "2D playground"
    run: LiveRun
    points: np.ndarray | None = None  # the user's points, when the run trains on them (dataset "custom")


def lend_run(page: str, run: LiveRun, points: np.ndarray | None = None) -> None:
    """Make `run` the run other pages see for `page` (replacing the page's earlier one)."""
    lent = st.session_state.setdefault(LENT_RUNS, {})
    lent[page] = LentRun(page, run, points)


def borrowable_runs() -> dict[str, LentRun]:
    """The runs the other pages have lent in this session, by page title, in the order they were lent."""
    return dict(st.session_state.get(LENT_RUNS, {}))
