"""The 2D playground: train a GAN live, see D's surface, G's samples and the forces between them.

Layout only: the run is a `ganviz.live.LiveRun` (training in a worker process while playing), playback,
the live view, curves, time travel and downloads are the shared live panel (pages/_live_panel.py), the
settings widgets come from GANConfig's metadata (pages/_settings.py), links from pages/_links.py.
"""

from __future__ import annotations

from dataclasses import dataclass

import pages._import_once  # noqa: F401  (first: see pages/_import_once.py)

import numpy as np
import streamlit as st

from ganviz.config import CUSTOM_DATASET, POINTS, ConfigError, GANConfig, setting_fields
from ganviz.data import DataError, parse_points, read_points_csv
from ganviz.data.points_io import canvas_cells, fill_cells
from ganviz.figures import curves, gallery, points, words
from ganviz.figures import overview as overview_figures
from ganviz.io import animation, checkpoints, script, tables
from ganviz.lessons.presets import LESSONS, PRESETS
from ganviz.live.run import LIVE_W1_POINTS, METRICS_EVERY_S, LiveRun
from ganviz.metrics.points import EVAL_SAMPLES
from pages._first_visit import run_through_app
from pages._layout import view_beside_curves
from pages._link_builder import link_builder
from pages._links import hide_from_link, link_params, page_config_from_link, show_link_messages, write_link
from pages._live_panel import Download, LivePanel, LiveState, PanelSpec, install_run, panel_widget_keys
from pages._plotly_live import NO_MODEBAR, plotly_live
from pages._session import page_state
from pages._settings import (
    FREE_PLAY,
    lesson_note,
    lesson_picker,
    live_names,
    live_settings,
    load_settings,
    new_run_form,
    new_run_names,
    setting_keys,
    settings_from_widgets,
)

run_through_app()  # first, before anything is drawn: see pages/_first_visit.py

TITLE = "2D playground"  # the title other pages borrow this page's run under
PREFIX = "pg_"
FRAME_S = 0.23  # redraw period while playing (training runs on in a worker process between frames)
OVERVIEW_EVERY_S = 1.0  # the model strip's loss values, redrawn this often while playing
MAIN_VIEW_MIN_PX, MAIN_VIEW_MAX_PX = 420, 900  # the main view fits the window's height between these
LAYERS = {
    "arrows": "G's pull on fakes",
    "field": "gradient field",
    "manifold": "G's latent grid",
    "density": "fake density",
}
FIELDS = {f.name: f for f in setting_fields(POINTS)}
LESSON_KEY = PREFIX + "lesson"
LESSON_PRESETS = {p.name: p for p in LESSONS}
PARTS = ("lessons", "playback", "downloads", "time-travel", "charts", "layers", "your-data")  # hide=...


@dataclass
class PlaygroundState(LiveState):
    points: np.ndarray | None = None  # the user's own data (dataset "custom")
    hidden: frozenset[str] = frozenset()  # controls the link hides
    data_error: str | None = None

    @classmethod
    def kept_widgets(cls) -> tuple[str, ...]:
        return (
            *setting_keys(PREFIX, POINTS),
            LESSON_KEY,
            *panel_widget_keys(PREFIX, slow_motion=True),
            *(f"{PREFIX}layer_{k}" for k in LAYERS),
        )


st.title(TITLE)
st.caption(
    "Press Play: the generator's samples (purple) chase the data (green) over the discriminator's surface. "
    "The settings on the left apply at once."
)
state = page_state(PlaygroundState)


# --- the run, its settings, the URL -----------------------------------------------------------------------


def new_run(config: GANConfig, points=None) -> None:
    install_run(state, lambda: LiveRun(config, points=points, background=True), lend_as=TITLE, points=points)
    state.points = points
    load_settings(config, PREFIX, POINTS)


def start_from_link() -> None:
    params = link_params()
    hide = hide_from_link(params)
    config, lesson, messages = page_config_from_link(params, POINTS, PRESETS)
    known = set(FIELDS) | {f.metadata["group"] for f in FIELDS.values()} | set(PARTS)
    for h in sorted(hide - known):
        messages.append(f"hide: {h!r} is not a control; known: settings, their groups, and {', '.join(PARTS)}")
    state.hidden, state.link_messages = frozenset(hide & known), messages
    st.session_state[LESSON_KEY] = lesson if lesson in LESSON_PRESETS else FREE_PLAY
    new_run(config)


if state.run is None:
    start_from_link()
run: LiveRun = state.run


def shown(*names: str) -> bool:
    return not any(n in state.hidden for n in names)


def load_lesson() -> None:
    name = st.session_state[LESSON_KEY]
    new_run(GANConfig() if name == FREE_PLAY else PRESETS[name].config())


def start_new_run() -> None:
    """The form was submitted: new networks from its values (and the live ones)."""
    values = settings_from_widgets(run.config, PREFIX, new_run_names(POINTS) + live_names(POINTS))
    points = state.points if values["dataset"] == CUSTOM_DATASET else None
    if values["dataset"] == CUSTOM_DATASET and points is None:
        state.error = "dataset 'custom' needs your points: upload a CSV or draw them first"
        return
    try:
        new_run(GANConfig.from_dict(values), points)
    except ConfigError as e:
        state.error = str(e)


show_link_messages(state.link_messages)
with st.sidebar:
    if shown("lessons"):
        lesson_picker(LESSON_KEY, LESSON_PRESETS, load_lesson)
    live_settings(PREFIX, POINTS, shown)
    new_run_form(PREFIX, POINTS, start_new_run, shown)
state.show_error()

try:  # live settings apply to the running trainer at once
    run.apply(GANConfig.from_dict(settings_from_widgets(run.config, PREFIX, live_names(POINTS))))
except ConfigError as e:
    st.error(f"Setting not applied — {e}")
query = run.config.to_query()  # non-default settings only (the seed too): defaults need no URL
lesson = st.session_state.get(LESSON_KEY, FREE_PLAY)
if lesson != FREE_PLAY:
    query["lesson"] = lesson
if state.hidden:
    query["hide"] = ",".join(sorted(state.hidden))
write_link(query)
if lesson != FREE_PLAY and shown("lessons"):
    lesson_note(PRESETS[lesson])


# --- your own data: upload a CSV, paste or draw ------------------------------------------------------------


def use_points_from(source: str) -> None:
    """Button callback (callbacks run before the widgets exist, so the new run can set them)."""
    label = {"upload": "Uploaded file", "paste": "Pasted points", "drawing": "Drawing"}[source]
    try:
        if source == "upload":
            upload = st.session_state[PREFIX + "upload"]
            label = upload.name
            data = read_points_csv(upload.getvalue())
        elif source == "paste":
            data = parse_points(st.session_state[PREFIX + "paste"])
        else:
            selected = [(p["x"], p["y"]) for p in st.session_state[PREFIX + "canvas"].selection.points]
            data = fill_cells(selected, seed=run.config.seed)
    except DataError as e:
        state.data_error = f"{label}: {e}"
        return
    new_run(run.config.replace(dataset=CUSTOM_DATASET), data)


def your_data() -> None:
    """Upload a CSV, paste points or draw them: a new run on them."""
    if state.data_error:
        st.error(state.data_error)
        state.data_error = None
    upload = st.file_uploader(
        "CSV of points (two numeric columns x,y; optional header; 10 to 100,000 rows)",
        type=["csv", "txt"],
        key=PREFIX + "upload",
        max_upload_size=5,
    )
    st.button(
        "Train on this file",
        key=PREFIX + "use_upload",
        disabled=upload is None,
        on_click=use_points_from,
        args=("upload",),
    )
    pasted = st.text_area(
        "…or paste the points (x,y per line)",
        key=PREFIX + "paste",
        height=100,
        placeholder="x,y\n0.5,1.2\n-0.3,0.8\n…",
    )
    st.button(
        "Train on the pasted points",
        key=PREFIX + "use_paste",
        disabled=not pasted.strip(),
        on_click=use_points_from,
        args=("paste",),
    )
    st.caption(
        "Or draw: pick the lasso or box tool on the canvas and select the cells your data "
        "should fill (each selected cell becomes 20 random points)."
    )
    canvas = st.plotly_chart(
        gallery.drawing_canvas(canvas_cells()),
        key=PREFIX + "canvas",
        on_select="rerun",
        selection_mode=("lasso", "box", "points"),
    )
    selected = len(canvas.selection.points)
    st.button(
        f"Train on the {selected} selected cells",
        key=PREFIX + "use_drawing",
        disabled=selected == 0,
        on_click=use_points_from,
        args=("drawing",),
    )


# --- the live panel ------------------------------------------------------------------------------------------


def status(run: LiveRun) -> list[str]:
    cfg = run.config  # its loss and seed are in the model strip and the settings: one line on a projector
    return [f"k_D : k_G = {cfg.d_steps} : {cfg.g_steps}"]


def overview(run: LiveRun, stage) -> None:
    """GAN Lab's model strip with the latest losses (redrawn every OVERVIEW_EVERY_S while playing, below)."""
    t, cfg = run.trainer, run.config
    last = t.history.last()
    figure = overview_figures.model_overview(
        noise_dim=cfg.noise_dim,
        noise=cfg.noise,
        g_desc=f"{cfg.g_depth}×{cfg.g_width} {cfg.g_activation}",
        d_desc=f"{cfg.d_depth}×{cfg.d_width} {cfg.d_activation}",
        loss_title=t.loss.title,
        d_steps=cfg.d_steps,
        g_steps=cfg.g_steps,
        loss_d=last.get("loss_d"),
        loss_g=last.get("loss_g"),
        d_real=last.get("d_real"),
        d_fake=last.get("d_fake"),
        stage_key=stage.key if stage else None,
    )
    plotly_live(figure, key=PREFIX + "overview", config=NO_MODEBAR)


def gif(run: LiveRun) -> bytes:
    return animation.snapshots_gif([run.store.snapshot_at(i) for i in range(len(run.store))])


panel = LivePanel(
    state,
    PanelSpec(
        prefix=PREFIX,
        frame_s=FRAME_S,
        steps=("iteration", "d", "g"),
        slow_motion=True,
        status=status,
        main_fit_min=MAIN_VIEW_MIN_PX,
        reset=lambda: new_run(run.config, state.points),
        main_view=lambda run, snap, stage: points.main_view(
            snap,
            height=MAIN_VIEW_MAX_PX,
            show_arrows=layers["arrows"],
            show_field=layers["field"],
            show_manifold=layers["manifold"],
            show_density=layers["density"],
            stage=stage,
        ),
        describe=lambda run, snap: words.describe_points(snap, arrows=layers["arrows"]),
        describe_charts=lambda run: words.describe_curves(
            run.trainer.history.as_dict(), list(run.metrics_log), loss_output=run.trainer.loss.output
        ),
        charts=lambda run: curves.training_charts(
            run.trainer.history.as_dict(), list(run.metrics_log), loss_output=run.trainer.loss.output
        ),
        charts_caption=f"Metrics are measured every {METRICS_EVERY_S:g} s while playing and at every step, on "
        f"{EVAL_SAMPLES:,} samples; the exact W1 uses {LIVE_W1_POINTS} + {LIVE_W1_POINTS} of them. JS is "
        "in nats (at most log 2 ≈ 0.693); its floor is the same estimator on two real samples.",
        downloads=(
            Download(
                "config (JSON)",
                lambda run: tables.config_json(run.config),
                "ganviz-config.json",
                "application/json",
                "config",
            ),
            Download(
                "metrics (CSV)",
                lambda run: tables.metrics_csv(run.trainer.history.as_dict(), run.metrics_log),
                "ganviz-metrics.csv",
                "text/csv",
                "metrics",
            ),
            Download(
                "weights (.pt)",
                lambda run: checkpoints.weights_bytes(run.trainer),
                "ganviz-weights.pt",
                "application/octet-stream",
                "weights",
            ),
            Download("animation (GIF)", gif, "ganviz-run.gif", "image/gif", "gif", needs_records=True),
            Download(
                "training script (.py)",
                lambda run: script.export_script(run.config),
                "ganviz_train.py",
                "text/x-python",
                "script",
            ),
        ),
        upload_mb=50,
    ),
)
# A projector shows the run in one screen: the controls and D's surface on the left, fitted to the window's
# height; the model strip and the curves on the right.
if shown("playback"):
    panel.controls()
view_column, curves_column = view_beside_curves(PREFIX + "run", 0.56)
if shown("layers"):
    with curves_column:
        for col, (k, label) in zip(st.columns(2) * 2, LAYERS.items()):
            st.session_state.setdefault(f"{PREFIX}layer_{k}", k == "arrows")  # kept across pages: no value= here
            col.toggle(label, key=f"{PREFIX}layer_{k}")
layers = {
    k: st.session_state.get(f"{PREFIX}layer_{k}", k == "arrows") if shown("layers") else k == "arrows" for k in LAYERS
}
run.with_layers = layers["field"] or layers["manifold"]  # a playing run's frames compute them only if shown
with view_column:
    panel.live_view()
if shown("charts"):
    with curves_column:
        panel.charts()


@st.fragment(run_every=OVERVIEW_EVERY_S if state.playing else None)
def model_strip() -> None:
    overview(run, run.stages[run.stage_index] if run.stages else None)


model_strip()
if shown("your-data", "data"):
    with st.expander("Your own data: upload a CSV or draw points"):
        your_data()
if shown("time-travel"):
    with st.expander("Time travel: scrub back through the run"):
        panel.time_travel()
if shown("downloads"):
    with st.expander("Download and upload"):
        panel.downloads()
link_builder(
    "playground",
    "lesson",
    {name: p.title for name, p in LESSON_PRESETS.items()},
    (*PARTS, *dict.fromkeys(f.metadata["group"] for f in FIELDS.values())),
    current=lesson if lesson != FREE_PLAY else None,
    free_play=FREE_PLAY,
)
