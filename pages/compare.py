"""Compare: two to four runs race on the same data and seed, side by side.

Layout only: the race is a `ganviz.Race` inside a `ganviz.live.LiveRun` (its runs train in worker processes
while playing); playback, the small multiples, the curves, time travel and downloads are the shared live
panel (pages/_live_panel.py). Every change to the runs restarts the race, so the runs always start together
from the same point and their numbers stay comparable. Other pages' runs are found with `borrowable_runs()`.
"""

from __future__ import annotations

from dataclasses import dataclass

import pages._import_once  # noqa: F401  (first: see pages/_import_once.py)

import numpy as np
import pandas as pd
import streamlit as st

from ganviz.config import (
    CUSTOM_DATASET,
    IMAGES,
    POINTS,
    ConfigError,
    GANConfig,
    choices_of,
    domain_of,
    image_config,
    setting_fields,
    setting_names,
)
from ganviz.data.points_io import DataError
from ganviz.figures import compare, words
from ganviz.io import tables
from ganviz.lessons.presets import IMAGE_LESSONS, LESSONS
from ganviz.live.run import METRICS_EVERY_S, LiveRun
from ganviz.racing.comparisons import COMPARISONS, DEFAULT_COMPARISON
from ganviz.racing.config import MAX_RUNS, SHARED_SETTINGS, RaceConfig, setting_rows
from ganviz.racing.race import run_metrics_log
from pages._first_visit import run_through_app
from pages._layout import view_beside_curves
from pages._link_builder import link_builder
from pages._links import defaults_for, link_params, race_from_link, shareable_link, show_link_messages, write_link
from pages._live_panel import (
    Download,
    LivePanel,
    LiveState,
    PanelSpec,
    install_run,
    load_images_with_progress,
    panel_widget_keys,
)
from pages._session import borrowable_runs, page_state
from pages._settings import setting_widget

run_through_app()  # first, before anything is drawn: see pages/_first_visit.py

PANELS_MIN_PX, PANELS_MAX_PX = 280, 900  # the runs' panels fit the window's height between these
PANELS_SHARE = 0.74  # of the page's width: two panels 45 % of a 1920x1080 window tall, the curves beside
STACK_BELOW_PX = 1100  # a page narrower than this (1366 px with the sidebar open) has the curves below
PREFIX = "cp_"
FRAME_S = 0.35  # redraw period of the small multiples while playing
STORE_CAPACITY = 4  # moments kept for time travel: a race's state is one run's times its runs
FIELDS = {f.name: f for f in setting_fields()}
METRIC_KEYS = {POINTS: tables.METRIC_KEYS, IMAGES: tables.IMAGE_METRIC_KEYS}  # the CSV's columns, by kind of run
LESSON_PRESETS = {p.name: p for p in LESSONS} | IMAGE_LESSONS  # what a link's lesson= may name
COMPARISON_TITLES = {f"Comparison: {c.title}": c.name for c in COMPARISONS.values()}


@dataclass
class CompareState(LiveState):
    comparison: str | None = None  # the named comparison that was started, if any
    points: np.ndarray | None = None  # the user's own data, when the runs train on it (dataset "custom")
    version: int = 0  # a new race gets fresh editing widgets

    @classmethod
    def kept_widgets(cls) -> tuple[str, ...]:
        return (*panel_widget_keys(PREFIX), PREFIX + "all_settings")


state = page_state(CompareState)


# --- where a run can come from -------------------------------------------------------------------------------


def sources() -> dict[str, tuple[GANConfig, np.ndarray | None]]:
    """Settings a new run (or a comparison of a run with its copy) can start from, with the user's points where
    they train on them: defaults, the runs other pages lend, every lesson."""
    out = {
        "2D: default settings": (GANConfig(), None),
        "Digits: default settings (scikit-learn's 8×8 digits)": (image_config("digits"), None),
        "MNIST: default settings": (image_config("mnist"), None),
    }
    for title, lent in borrowable_runs().items():
        if isinstance(lent.run.config, GANConfig):
            out[f"{title}: the current settings there"] = (lent.run.config, lent.points)
    out.update({f"2D lesson: {p.title}": (p.config(), None) for p in LESSONS})
    out.update({f"Digits lesson: {p.title}": (p.config(), None) for p in IMAGE_LESSONS.values()})
    return out


def on_shared(config: GANConfig, race: RaceConfig) -> GANConfig:
    """`config` moved onto the race's data, seed and device (what every run shares)."""
    return config.replace(**{s: getattr(race.runs[0], s) for s in SHARED_SETTINGS})


def copies(base: GANConfig) -> RaceConfig:
    """Runs A and B both with `base`: the start of a comparison where B changes one thing."""
    return RaceConfig((base, base))


# --- the race, the URL ------------------------------------------------------------------------------------------


def new_race(config: RaceConfig, points=None) -> None:
    def make_run() -> LiveRun:
        first = config.runs[0]
        images = load_images_with_progress(first.dataset) if config.domain == IMAGES else None
        judge = " (the first time: training the judge classifier, about 10 s)" if images is not None else ""
        with st.spinner(f"Preparing the runs{judge}…"):
            return LiveRun(config, points=points, images=images, background=True, capacity=STORE_CAPACITY)

    install_run(state, make_run)
    state.comparison, state.points, state.version = None, points, state.version + 1  # a comparison says so after
    st.session_state[PREFIX + "dataset"] = config.runs[0].dataset
    st.session_state[PREFIX + "seed"] = config.runs[0].seed


def try_new_race(config: RaceConfig, points=None) -> None:
    try:
        new_race(config, points)
    except (ConfigError, DataError) as e:
        state.error = str(e)


def start_named(name: str) -> None:
    new_race(COMPARISONS[name].config())
    state.comparison = name
    st.session_state[PREFIX + "start"] = f"Comparison: {COMPARISONS[name].title}"  # the picker shows what runs


def start_from_link() -> None:
    config, comparison, state.link_messages = race_from_link(
        link_params(), COMPARISONS, DEFAULT_COMPARISON, LESSON_PRESETS
    )
    if comparison is not None:
        return start_named(comparison)
    try:
        new_race(config)
    except (ConfigError, DataError) as e:
        state.link_messages.append(f"{e}; using the default comparison")
        start_named(DEFAULT_COMPARISON)


st.title("Compare runs")
st.caption(
    "Two to four configurations race on the same data with the same seed: they train together, "
    "iteration for iteration. Change one thing in a run and watch what it does."
)

if state.run is None:
    start_from_link()
run: LiveRun = state.run
config: RaceConfig = run.config
race = run.trainer
show_link_messages(state.link_messages)
write_link(config.to_query())


def what_to_watch() -> None:
    """The named comparison's lesson and the data's notices, under the runs' panels."""
    named = COMPARISONS.get(state.comparison or "")
    if named is not None and named.config() == config:
        st.info(f"**{named.title}.** {named.watch}", icon=":material/school:")
    if race.runs[0].domain.notice:
        st.info(race.runs[0].domain.notice, icon=":material/info:")
    if config.runs[0].dataset == "mnist" and race.device.type == "cpu":
        st.info(
            f"On a CPU the {len(race.runs)} MNIST runs share one core, each at a fraction of a lone run's speed: "
            "choose the dataset digits (scikit-learn's 8×8 digits) for a quick race, or run ganviz on a machine "
            "with a GPU.",
            icon=":material/speed:",
        )


# --- changing the comparison ---------------------------------------------------------------------------------


def start_from_source() -> None:
    choice = st.session_state[PREFIX + "start"]
    if choice in COMPARISON_TITLES:
        return start_named(COMPARISON_TITLES[choice])
    base, points = sources()[choice.removeprefix("Copies of ")]
    if base.dataset == CUSTOM_DATASET and points is None:
        state.error = "the playground's data is 'custom' but it holds no points: upload or draw them there"
        return
    try_new_race(copies(base), points)


def add_run() -> None:
    source = st.session_state[PREFIX + "add"]
    if source.startswith("a copy of run "):
        new = config.runs[config.names.index(source[-1])]
    else:
        new = on_shared(sources()[source][0], config)
    try_new_race(config.with_run(len(config.runs), new), state.points)


def remove_run(index: int) -> None:
    try_new_race(config.without_run(index), state.points)


def value_key(index: int, name: str) -> str:
    return f"{PREFIX}value_{state.version}_{index}_{name}"


def change_run(index: int) -> None:
    name = st.session_state[f"{PREFIX}pick_{index}"]
    try:
        changed = config.runs[index].replace(**{name: st.session_state[value_key(index, name)]})
    except ConfigError as e:
        state.error = f"run {config.names[index]}: {e}"
        return
    try_new_race(config.with_run(index, changed), state.points)


def apply_shared() -> None:
    dataset, seed = st.session_state[PREFIX + "dataset"], int(st.session_state[PREFIX + "seed"])
    if dataset == CUSTOM_DATASET and state.points is None:
        state.error = "dataset 'custom' needs your points: upload or draw them in the 2D playground"
        return
    if domain_of(dataset) == config.domain:
        try_new_race(RaceConfig(tuple(c.replace(dataset=dataset, seed=seed) for c in config.runs)), state.points)
    else:  # points <-> digits: the other kind of run starts from its own defaults
        try_new_race(copies(defaults_for(dataset, seed=seed)), state.points)


with st.sidebar:
    st.subheader("Start a comparison")
    st.selectbox(
        "from",
        [*COMPARISON_TITLES, *(f"Copies of {s}" for s in sources())],
        key=PREFIX + "start",
        help="A named comparison sets every run and says what to watch; settings start runs A and B "
        "as copies: then change one thing in B.",
    )
    st.button("Start a new comparison", key=PREFIX + "start_button", on_click=start_from_source, type="primary")
    st.subheader("Data and seed (every run)")
    datasets = [d for d in choices_of(FIELDS["dataset"]) if d != CUSTOM_DATASET or state.points is not None]
    st.session_state.setdefault(PREFIX + "dataset", config.runs[0].dataset)  # after a visit to another page
    st.session_state.setdefault(PREFIX + "seed", config.runs[0].seed)
    st.selectbox("dataset", datasets, key=PREFIX + "dataset", help=FIELDS["dataset"].metadata["help"])
    st.number_input(
        "seed",
        0,
        2**31 - 1,
        step=1,
        key=PREFIX + "seed",
        help="every run uses this seed: the same "
        "data sample, the same noise and the same initial networks wherever their shapes agree",
    )
    st.button("Apply to every run (restarts the race)", key=PREFIX + "apply_shared", on_click=apply_shared)
state.show_error()


# --- the live panel ------------------------------------------------------------------------------------------


def stopped(race) -> dict[str, str]:
    return {
        name: f"diverged at iteration {t.divergence.iteration:,}, stopped"
        for name, t in zip(race.names, race.runs)
        if t.divergence is not None
    }


def charts(run: LiveRun):
    race = run.trainer
    runs = [
        (name, label, t.history.as_dict(), run_metrics_log(run.metrics_log, name))
        for name, label, t in zip(race.names, config.labels(), race.runs)
    ]
    return compare.race_charts(runs, metrics=config.domain)


def metrics_csv(run: LiveRun) -> str:
    race = run.trainer
    return tables.race_metrics_csv(
        {n: (t.history.as_dict(), run_metrics_log(run.metrics_log, n)) for n, t in zip(race.names, race.runs)},
        METRIC_KEYS[config.domain],
    )


panel = LivePanel(
    state,
    PanelSpec(
        prefix=PREFIX,
        frame_s=FRAME_S,
        status=lambda run: [f"seed {config.runs[0].seed}"],
        reset=lambda: try_new_race(config, state.points),
        reset_help="every run starts again: new networks, same settings and seed",
        main_view=lambda run, snap, stage: compare.small_multiples(
            snap, config.labels(), stopped=stopped(run.trainer), height=PANELS_MAX_PX
        ),
        main_fit_min=PANELS_MIN_PX,
        describe=lambda run, snap: words.describe_race(snap, config.labels(), stopped=stopped(run.trainer)),
        charts=charts,
        describe_charts=lambda run: words.describe_race_curves(
            [
                (n, n, t.history.as_dict(), run_metrics_log(run.metrics_log, n))
                for n, t in zip(config.names, run.trainer.runs)
            ],
            metrics=config.domain,
        ),
        charts_caption=f"Metrics are measured every {METRICS_EVERY_S:g} s while playing and at every step. Click a run "
        "in the legend to hide or show its curves.",
        downloads=(
            Download(
                "the runs' settings (JSON)",
                lambda run: config.to_json(),
                "ganviz-comparison.json",
                "application/json",
                "config",
            ),
            Download(
                "every run's curves and metrics (CSV)", metrics_csv, "ganviz-comparison.csv", "text/csv", "metrics"
            ),
        ),
    ),
)
# A projector shows the race in one screen: the controls, the runs' panels fitted to the window's height (what
# to watch under them), and the curves beside them (below, on a narrower page).
panel.controls()
panels_column, curves_column = view_beside_curves(PREFIX + "race", PANELS_SHARE, stack_below_px=STACK_BELOW_PX)
with panels_column:
    panel.live_view()
    what_to_watch()
with curves_column:
    panel.charts()


# --- the runs: what each one changes, and changing it ----------------------------------------------------------

st.subheader("The runs")
st.caption("Each run changes what you choose; everything else is as in run A. Changing a run restarts the race.")
choices = [n for n in setting_names(config.domain) if n not in SHARED_SETTINGS]
for i, (col, name, label, t) in enumerate(zip(st.columns(len(config.runs)), config.names, config.labels(), race.runs)):
    with col.container(border=True):
        st.markdown(
            f"<span style='color:{compare.RUN_COLOURS[i]}; font-weight:700; font-size:1.2em'>{name}</span> "
            f"{label.partition(': ')[2] if i else 'the reference run'}",
            unsafe_allow_html=True,
        )
        if t.divergence is not None:
            st.caption(f":red[diverged at iteration {t.divergence.iteration:,}]")
        pick = st.selectbox(
            "change",
            choices,
            key=f"{PREFIX}pick_{i}",
            index=choices.index("loss"),
            format_func=lambda n: f"{n.replace('_', ' ')} ({FIELDS[n].metadata['group']})",
        )
        key = value_key(i, pick)
        if key not in st.session_state:
            st.session_state[key] = getattr(config.runs[i], pick)
        setting_widget(FIELDS[pick], key, domain=config.domain)
        st.button(
            f"Apply to run {name}",
            key=f"{PREFIX}apply_{i}",
            on_click=change_run,
            args=(i,),
            disabled=st.session_state[key] == getattr(config.runs[i], pick),
            width="stretch",
        )
        if len(config.runs) > 1:
            st.button(f"Remove run {name}", key=f"{PREFIX}remove_{i}", on_click=remove_run, args=(i,), width="stretch")

if len(config.runs) < MAX_RUNS:
    add_sources = [f"a copy of run {n}" for n in config.names] + [
        s for s, (c, _) in sources().items() if c.domain == config.domain
    ]
    a, b = st.columns([3, 1], vertical_alignment="bottom")
    a.selectbox(
        "Add a run",
        add_sources,
        key=PREFIX + "add",
        help="A lesson's or another page's settings join on this comparison's data and seed.",
    )
    b.button("Add the run", key=PREFIX + "add_button", on_click=add_run, width="stretch")
else:
    st.caption(f"{MAX_RUNS} runs is the most: remove one to add another.")


# --- the settings side by side, time travel, export ------------------------------------------------------------

with st.expander("Settings side by side", expanded=True):
    show_all = st.toggle("show every setting", key=PREFIX + "all_settings")
    rows = [r for r in setting_rows(config) if show_all or r["differs"]]
    if rows:
        table = pd.DataFrame(
            [
                {"setting": r["setting"], "group": r["group"], **{n: str(v) for n, v in zip(config.names, r["values"])}}
                for r in rows
            ]
        )
        differs = [r["differs"] for r in rows]
        styled = table.style.apply(
            lambda row: ["background-color: #fff3bf" if differs[row.name] else ""] * len(row), axis=1
        )
        st.dataframe(styled, hide_index=True, width="stretch", key=PREFIX + "table")
        st.caption("Highlighted: the settings where the runs differ.")
    else:
        st.caption("The runs have the same settings: change one of them above.")

with st.expander("Time travel: scrub back through the race"):
    panel.time_travel()

with st.expander("Export and share"):
    panel.downloads()
    st.markdown("**Link to this comparison** (the address bar holds it too):")
    st.code(shareable_link(config.to_query(), "/compare"), language=None)
    st.caption(
        "The link names run A's settings and what each other run changes: opening it restarts the race "
        "from the beginning with the same seed."
    )
link_builder("compare", "comparison", {name: c.title for name, c in COMPARISONS.items()}, (), current=state.comparison)
