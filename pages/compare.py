"""Compare: two to four runs race on the same data and seed, side by side.

Layout only: the race is a `ganviz.race.Race` inside a `ganviz.live.LiveRun` (it trains in a worker
process while playing), the figures come from `ganviz.plots_compare`, the settings widgets from
pages/_settings.py. Every change to the runs restarts the race, so the runs always start together
from the same point and their numbers stay comparable.
"""
from __future__ import annotations

import urllib.parse

import pandas as pd
import streamlit as st

from ganviz.figures import compare
from ganviz.io import tables
from ganviz.racing.comparisons import COMPARISONS, DEFAULT_COMPARISON
from ganviz.config import CUSTOM_DATASET, ConfigError, GANConfig, image_config, is_image_dataset, setting_fields
from ganviz.data import DATASETS
from ganviz.data.images import IMAGE_DATASETS
from ganviz.data.points_io import DataError
from ganviz.live.run import METRICS_EVERY_S, SPEEDS, LiveRun
from ganviz.lessons.presets import IMAGE_LESSONS, LESSONS
from ganviz.racing.race import MAX_RUNS, SHARED_SETTINGS, RaceConfig, run_metrics_log, setting_rows
from pages._plotly_live import plotly_live
from pages._run_controls import install_run, load_images_with_progress, show_link_messages, write_link
from pages._settings import setting_widget

FRAME_S = 0.35  # redraw period of the small multiples while playing
CHARTS_EVERY_S = 2.0
STORE_CAPACITY = 4  # moments kept for the record: a race's state is one run's times its runs
FIELDS = {f.name: f for f in setting_fields()}
POINT_NETWORKS = ("g_depth", "g_width", "g_activation", "d_depth", "d_width", "d_activation", "spectral_norm_g",
                  "batch_norm_g")  # the MLPs of 2D runs: digit runs build their networks from image_model


def editable(domain: str) -> list[str]:
    """The settings a run can change on its own: all but the shared ones, and only those its domain uses."""
    names = [f.name for f in setting_fields("2d" if domain == "2d" else None) if f.name not in SHARED_SETTINGS]
    return [n for n in names if domain == "2d" or n not in POINT_NETWORKS]


# --- where a run can come from ---------------------------------------------------------------------

def sources() -> dict[str, GANConfig]:
    """Settings a new run (or a comparison of a run with its copy) can start from: defaults, the training
    pages' current runs, every lesson."""
    out = {"2D: default settings": GANConfig()}
    if "pg_config" in st.session_state:
        out["2D: the playground's current settings"] = st.session_state.pg_config
    out.update({f"2D lesson: {p.title}": p.config() for p in LESSONS})
    out["Digits: default settings (scikit-learn's 8×8 digits)"] = image_config("digits")
    out["MNIST: default settings"] = image_config("mnist")
    if "mn_config" in st.session_state:
        out["Digits: the Digits page's current settings"] = st.session_state.mn_config
    out.update({f"Digits lesson: {p.title}": p.config() for p in IMAGE_LESSONS.values()})
    return out


def on_shared(config: GANConfig, race: RaceConfig) -> GANConfig:
    """`config` moved onto the race's data, seed and device (what every run shares)."""
    return config.replace(**{s: getattr(race.runs[0], s) for s in SHARED_SETTINGS})


# --- the race, the URL --------------------------------------------------------------------------------

def _new_race(config: RaceConfig, points=None) -> None:
    def make_run() -> LiveRun:
        dataset = config.runs[0].dataset
        images = load_images_with_progress(dataset) if is_image_dataset(dataset) else None
        with st.spinner("Preparing the runs" + (" (the first time: training the judge classifier, about 10 s)…"
                                                if images is not None else "…")):
            return LiveRun(config, points=points, images=images, background=True, capacity=STORE_CAPACITY)
    install_run("cp_", None, config, make_run)
    st.session_state.cp_comparison = None  # a named comparison says so after this
    st.session_state.cp_points = points
    st.session_state.cp_dataset, st.session_state.cp_seed = config.runs[0].dataset, config.runs[0].seed
    st.session_state.cp_version = st.session_state.get("cp_version", 0) + 1  # fresh editing widgets


def _try_new_race(config: RaceConfig, points=None) -> None:
    try:
        _new_race(config, points)
    except (ConfigError, DataError) as e:
        st.session_state.cp_error = str(e)


def copies(base: GANConfig) -> RaceConfig:
    """Runs A and B both with `base`: the start of a comparison where B changes one thing."""
    return RaceConfig((base, base))


def start_named(name: str) -> None:
    _new_race(COMPARISONS[name].config())
    st.session_state.cp_comparison = name
    st.session_state.cp_start = f"Comparison: {COMPARISONS[name].title}"  # the selector shows what is running


def _start_from_url() -> None:
    params = {k: st.query_params[k] for k in st.query_params}
    messages, st.session_state.cp_comparison = [], None
    name = params.pop("comparison", None)
    if name is not None:
        if name in COMPARISONS:
            if params:
                messages.append(f"ignored {', '.join(sorted(params))}: a comparison link sets every run")
            st.session_state.cp_url_messages = messages
            return start_named(name)
        messages.append(f"comparison {name!r} does not exist; choose one of: {', '.join(COMPARISONS)}")
    base = GANConfig()
    lesson = params.pop("lesson", None)
    if lesson is not None:
        known = {p.name: p for p in LESSONS} | IMAGE_LESSONS
        if lesson in known:
            base = known[lesson].config()
        else:
            messages.append(f"lesson {lesson!r} does not exist; choose one of: {', '.join(known)}")
    elif is_image_dataset(params.get("dataset", "")):
        base = image_config(params["dataset"])  # digits runs start from the digit defaults
    st.session_state.cp_url_messages = messages
    if not params and lesson is None:
        return start_named(DEFAULT_COMPARISON)
    config, fixes = RaceConfig.from_query_lenient(params, base=base) if params else (copies(base), [])
    messages += fixes
    if config.runs[0].dataset == CUSTOM_DATASET:  # a link cannot carry the points themselves
        messages.append("dataset 'custom' needs your points: start from the playground's settings after "
                        "uploading or drawing them; using ring8 for now")
        config = RaceConfig(tuple(c.replace(dataset="ring8") for c in config.runs))
    try:
        _new_race(config)
    except (ConfigError, DataError) as e:
        messages.append(f"{e}; using the default comparison")
        start_named(DEFAULT_COMPARISON)


st.title("Compare runs")
st.caption("Two to four configurations race on the same data with the same seed: they train together, "
           "iteration for iteration. Change one thing in a run and watch what it does.")

if "cp_run" not in st.session_state:
    _start_from_url()
run: LiveRun = st.session_state.cp_run
config: RaceConfig = st.session_state.cp_config
race = run.trainer
show_link_messages(st.session_state.cp_url_messages)
write_link(config.to_query())
domain = config.domain
named = COMPARISONS.get(st.session_state.cp_comparison or "")
if named is not None and named.config() == config:
    st.info(f"**{named.title}.** {named.watch}", icon=":material/school:")
if race.is_image and race.runs[0].all_images.notice:
    st.info(race.runs[0].all_images.notice, icon=":material/info:")
if config.runs[0].dataset == "mnist" and race.device.type == "cpu":
    st.info(f"On a CPU the {len(race.runs)} MNIST runs share one core, each at a fraction of a lone run's speed: "
            "choose the dataset digits (scikit-learn's 8×8 digits) for a quick race, or run ganviz on a machine "
            "with a GPU.", icon=":material/speed:")


# --- changing the comparison ------------------------------------------------------------------------------

def start_from_source() -> None:
    choice = st.session_state.cp_start
    if choice in COMPARISON_TITLES:
        return start_named(COMPARISON_TITLES[choice])
    base = sources()[choice.removeprefix("Copies of ")]
    points = st.session_state.get("pg_points") if base.dataset == CUSTOM_DATASET else None
    if base.dataset == CUSTOM_DATASET and points is None:
        st.session_state.cp_error = "the playground's data is 'custom' but it holds no points: upload or draw them there"
        return
    _try_new_race(copies(base), points)


def add_run() -> None:
    source = st.session_state.cp_add
    if source.startswith("a copy of run "):
        new = config.runs[config.names.index(source[-1])]
    else:
        new = on_shared(sources()[source], config)
    _try_new_race(config.with_run(len(config.runs), new), st.session_state.cp_points)


def remove_run(index: int) -> None:
    _try_new_race(config.without_run(index), st.session_state.cp_points)


def change_run(index: int) -> None:
    name = st.session_state[f"cp_pick_{index}"]
    value = st.session_state[_value_key(index, name)]
    try:
        changed = config.runs[index].replace(**{name: value})
    except ConfigError as e:
        st.session_state.cp_error = f"run {config.names[index]}: {e}"
        return
    _try_new_race(config.with_run(index, changed), st.session_state.cp_points)


def apply_shared() -> None:
    dataset, seed = st.session_state.cp_dataset, int(st.session_state.cp_seed)
    points = st.session_state.cp_points
    if dataset == CUSTOM_DATASET and points is None:
        st.session_state.cp_error = "dataset 'custom' needs your points: upload or draw them in the 2D playground"
        return
    if is_image_dataset(dataset) == (domain == "image"):
        runs = tuple(c.replace(dataset=dataset, seed=seed) for c in config.runs)
        _try_new_race(RaceConfig(runs), points)
    else:  # points <-> digits: the other kind of run starts from its own defaults
        base = image_config(dataset, seed=seed) if is_image_dataset(dataset) else GANConfig(dataset=dataset, seed=seed)
        _try_new_race(copies(base), points)


def _value_key(index: int, name: str) -> str:
    return f"cp_value_{st.session_state.cp_version}_{index}_{name}"


COMPARISON_TITLES = {f"Comparison: {c.title}": c.name for c in COMPARISONS.values()}  # as start_named writes them

with st.sidebar:
    st.subheader("Start a comparison")
    st.selectbox("from", [*COMPARISON_TITLES, *(f"Copies of {s}" for s in sources())], key="cp_start",
                 help="A named comparison sets every run and says what to watch; settings start runs A and B "
                      "as copies: then change one thing in B.")
    st.button("Start a new comparison", key="cp_start_button", on_click=start_from_source, type="primary")
    st.subheader("Data and seed (every run)")
    data_choices = [*DATASETS, *IMAGE_DATASETS] + ([CUSTOM_DATASET] if st.session_state.cp_points is not None else [])
    st.session_state.setdefault("cp_dataset", config.runs[0].dataset)
    st.session_state.setdefault("cp_seed", config.runs[0].seed)
    st.selectbox("dataset", data_choices, key="cp_dataset", help=FIELDS["dataset"].metadata["help"])
    st.number_input("seed", 0, 2**31 - 1, step=1, key="cp_seed", help="every run uses this seed: the same "
                    "data sample, the same noise and the same initial networks wherever their shapes agree")
    st.button("Apply to every run (restarts the race)", key="cp_apply_shared", on_click=apply_shared)

if st.session_state.get("cp_error"):
    st.error(st.session_state.pop("cp_error"))


# --- playback -----------------------------------------------------------------------------------------------

def toggle_play() -> None:
    st.session_state.cp_playing = not st.session_state.cp_playing
    if not st.session_state.cp_playing:
        run.record_now()


def do_step() -> None:
    st.session_state.cp_playing = False
    run.step("iteration")


def continue_others() -> None:
    run.restore_last_good()


playing = st.session_state.cp_playing
cols = st.columns([1.2, 1, 1, 3])
cols[0].button("Pause" if playing else "Play", key="cp_play", on_click=toggle_play, type="primary",
               icon=":material/pause:" if playing else ":material/play_arrow:", width="stretch",
               disabled=not race.can_train and not playing)
cols[1].button("Step", key="cp_step", on_click=do_step, help="one iteration of every run",
               width="stretch", disabled=not race.can_train)
cols[2].button("Reset", key="cp_reset", on_click=lambda: _try_new_race(config, st.session_state.cp_points),
               help="every run starts again: new networks, same settings and seed", width="stretch")
st.session_state.setdefault("cp_speed", "full speed")  # kept across pages by the router: no default value here
cols[3].select_slider("speed", list(SPEEDS), key="cp_speed", label_visibility="collapsed")


# --- the live view ----------------------------------------------------------------------------------------

def _status(race) -> str:
    return (f"iteration **{race.iteration:,}** · {len(race.runs)} runs · seed {race.config.runs[0].seed} · "
            f"device **{race.device.type}** · {race.describe_stacking()}")


def _stopped(race) -> dict[str, str]:
    return {name: f"diverged at iteration {t.divergence.iteration:,}, stopped"
            for name, t in zip(race.names, race.runs) if t.divergence is not None}


@st.fragment(run_every=FRAME_S if st.session_state.cp_playing else None)
def live_view() -> None:
    run: LiveRun = st.session_state.cp_run
    if st.session_state.cp_playing:
        run.with_layers = False
        run.tick(FRAME_S, st.session_state.get("cp_speed", "full speed"))
    race = run.trainer
    if race.divergence is not None:
        if st.session_state.cp_playing:
            st.session_state.cp_playing = False
            st.rerun()  # the whole page: Play turns back into Play
        st.error(race.divergence.message, icon=":material/warning:")
        st.button(f"Continue the other runs without run {race.divergence.run}", key="cp_continue",
                  on_click=continue_others)
    elif not race.can_train:
        st.warning("Every run has diverged. Change their settings (lower learning rates, another loss) to race again.",
                   icon=":material/warning:")
    st.markdown(_status(race))
    plotly_live(compare.small_multiples(run.snapshot, config.labels(), stopped=_stopped(race)), key="cp_view",
                config={"displayModeBar": False})


@st.fragment(run_every=CHARTS_EVERY_S if st.session_state.cp_playing else None)
def charts() -> None:
    run: LiveRun = st.session_state.cp_run
    with run.paused() as race:  # a download may be reading the race on another thread
        runs = [(name, label, t.history.as_dict(), run_metrics_log(run.metrics_log, name))
                for name, label, t in zip(race.names, config.labels(), race.runs)]
    plotly_live(compare.race_charts(runs, metrics="images" if race.is_image else "points"), key="cp_charts")
    st.caption(f"Metrics are measured every {METRICS_EVERY_S:g} s while playing and at every step. Click a run in "
               "the legend to hide or show its curves.")


live_view()


# --- the runs: what each one changes, and changing it -------------------------------------------------------

st.subheader("The runs")
st.caption("Each run changes what you choose; everything else is as in run A. Changing a run restarts the race.")
choices = editable(domain)
run_cols = st.columns(len(config.runs))
for i, (col, name, label, t) in enumerate(zip(run_cols, config.names, config.labels(), race.runs)):
    with col.container(border=True):
        colour = compare.RUN_COLOURS[i]
        st.markdown(f"<span style='color:{colour}; font-weight:700; font-size:1.2em'>{name}</span> "
                    f"{label.partition(': ')[2] if i else 'the reference run'}", unsafe_allow_html=True)
        if t.divergence is not None:
            st.caption(f":red[diverged at iteration {t.divergence.iteration:,}]")
        pick = st.selectbox("change", choices, key=f"cp_pick_{i}", index=choices.index("loss"),
                            format_func=lambda n: f"{n.replace('_', ' ')} ({FIELDS[n].metadata['group']})")
        key = _value_key(i, pick)
        if key not in st.session_state:
            st.session_state[key] = getattr(config.runs[i], pick)
        setting_widget(FIELDS[pick], key, domain="2d" if domain == "2d" else None)
        st.button(f"Apply to run {name}", key=f"cp_apply_{i}", on_click=change_run, args=(i,),
                  disabled=st.session_state[key] == getattr(config.runs[i], pick), width="stretch")
        if len(config.runs) > 1:
            st.button(f"Remove run {name}", key=f"cp_remove_{i}", on_click=remove_run, args=(i,),
                      width="stretch")

if len(config.runs) < MAX_RUNS:
    add_sources = [f"a copy of run {n}" for n in config.names] + [
        s for s, c in sources().items() if (is_image_dataset(c.dataset) == (domain == "image"))]
    a, b = st.columns([3, 1], vertical_alignment="bottom")
    a.selectbox("Add a run", add_sources, key="cp_add",
                help="A lesson's or another page's settings join on this comparison's data and seed.")
    b.button("Add the run", key="cp_add_button", on_click=add_run, width="stretch")
else:
    st.caption(f"{MAX_RUNS} runs is the most: remove one to add another.")

charts()


# --- the settings side by side -----------------------------------------------------------------------------

with st.expander("Settings side by side", expanded=True):
    show_all = st.toggle("show every setting", key="cp_all_settings")
    rows = [r for r in setting_rows(config) if show_all or r["differs"]]
    if rows:
        table = pd.DataFrame([{"setting": r["setting"], "group": r["group"],
                               **{n: str(v) for n, v in zip(config.names, r["values"])}} for r in rows])
        differs = [r["differs"] for r in rows]
        styled = table.style.apply(lambda row: ["background-color: #fff3bf" if differs[row.name] else ""] * len(row),
                                   axis=1)
        st.dataframe(styled, hide_index=True, width="stretch", key="cp_table")
        st.caption("Highlighted: the settings where the runs differ.")
    else:
        st.caption("The runs have the same settings: change one of them above.")


# --- export and share ------------------------------------------------------------------------------------

with st.expander("Export and share"):
    def metrics_file() -> str:
        with run.paused() as race:
            return tables.race_metrics_csv(
                {n: (t.history.as_dict(), run_metrics_log(run.metrics_log, n)) for n, t in zip(race.names, race.runs)},
                tables.IMAGE_METRIC_KEYS if race.is_image else tables.METRIC_KEYS)

    c = st.columns(2)
    c[0].download_button("the runs' settings (JSON)", config.to_json(), "ganviz-comparison.json", "application/json",
                         key="cp_dl_config")
    c[1].download_button("every run's curves and metrics (CSV)", metrics_file, "ganviz-comparison.csv", "text/csv",
                         key="cp_dl_metrics")
    page_url = (st.context.url or "").split("?")[0] or "/compare"
    st.markdown("**Link to this comparison** (the address bar holds it too):")
    st.code(f"{page_url}?{urllib.parse.urlencode(config.to_query())}", language=None)
    st.caption("The link names run A's settings and what each other run changes: opening it restarts the race "
               "from the beginning with the same seed.")
