"""The 2D playground: train a GAN live, see D's surface, G's samples and the forces between them.

Layout only: the run lives in `ganviz.live.LiveRun` (kept in session state), figures come from
`ganviz.plots`, settings from `GANConfig` metadata. A timer fragment trains and redraws while
playing; every other control triggers an ordinary rerun.
"""
from __future__ import annotations

import time

import streamlit as st

from ganviz.figures import curves
from ganviz.figures import gallery
from ganviz.figures import overview as overview_figures
from ganviz.figures import points
from ganviz.io import animation
from ganviz.io import checkpoints
from ganviz.io import tables
from ganviz.config import CUSTOM_DATASET, ConfigError, GANConfig, is_image_dataset, setting_fields
from ganviz.data import DataError, parse_points, read_points_csv
from ganviz.data.points_io import canvas_cells, fill_cells
from ganviz.live.run import LIVE_W1_POINTS, METRICS_EVERY_S, SPEEDS, LiveRun
from ganviz.metrics.points import EVAL_SAMPLES
from ganviz.lessons.presets import LESSONS, PRESETS
from ganviz.live.walkthrough import STAGE_KEYS
from pages._plotly_live import plotly_live
from pages._run_controls import config_from_link, install_run, show_link_messages, time_travel, weights_upload, write_link
from pages._settings import setting_widget as widget_for

FRAME_S = 0.23  # redraw period while playing (training runs on in a worker process between frames)
OVERVIEW_EVERY_S = 1.0  # the model strip's loss values
CHARTS_EVERY_S = 2.0  # the curves change slowly; each redraw costs the browser ~50 ms
FREE_PLAY = "free play"
LAYERS = {"arrows": "G's pull on fakes", "field": "gradient field", "manifold": "G's latent grid",
          "density": "fake density"}
FIELDS = {f.name: f for f in setting_fields("2d")}
ARCHITECTURE = [n for n, f in FIELDS.items() if not f.metadata["live"]]  # changing these starts a new run
LIVE = [n for n, f in FIELDS.items() if f.metadata["live"]]
WIDGET = "w_"  # session-state prefix of the settings widgets

st.title("2D playground")
st.caption("Press Play and watch the generator's samples (purple) chase the data (green) across the "
           "discriminator's decision surface. Every setting on the left changes the live run.")


# --- session: the run, its settings, the URL -----------------------------------------------------

def _new_run(config: GANConfig, points=None) -> None:
    install_run("pg_", WIDGET, config, lambda: LiveRun(config, points=points, background=True))
    st.session_state.pg_points = points


def _start_from_url() -> None:
    params = {k: st.query_params[k] for k in st.query_params}
    hide = {h.strip() for h in params.pop("hide", "").split(",") if h.strip()}
    config, lesson, messages = config_from_link(params, GANConfig(), PRESETS)
    if is_image_dataset(config.dataset):
        messages.append(f"dataset {config.dataset!r} is images: this page trains 2D points; using ring8")
        config = config.replace(dataset="ring8")
    if config.dataset == CUSTOM_DATASET:  # a link cannot carry the points themselves
        messages.append("dataset 'custom' needs your points: upload a CSV or draw them; using ring8 for now")
        config = config.replace(dataset="ring8")
    known_hide = set(FIELDS) | {f.metadata["group"] for f in FIELDS.values()} | {
        "lessons", "playback", "downloads", "time-travel", "charts", "layers", "your-data"}
    for h in sorted(hide - known_hide):
        messages.append(f"hide: {h!r} is not a control; known: settings, their groups, and "
                        "lessons, playback, downloads, time-travel, charts, layers, your-data")
    st.session_state.pg_hide = hide & known_hide
    st.session_state.pg_url_messages = messages
    st.session_state.pg_lesson = lesson or FREE_PLAY
    _new_run(config)


if "pg_run" not in st.session_state:
    _start_from_url()
run: LiveRun = st.session_state.pg_run
hidden = st.session_state.pg_hide


def shown(*names: str) -> bool:
    return not any(n in hidden for n in names)


def _write_url(config: GANConfig) -> None:
    query = config.to_query()  # non-default settings only (the seed too): defaults need no URL
    if st.session_state.pg_lesson != FREE_PLAY:
        query["lesson"] = st.session_state.pg_lesson
    if hidden:
        query["hide"] = ",".join(sorted(hidden))
    write_link(query)


show_link_messages(st.session_state.pg_url_messages)


# --- settings widgets, generated from the config's metadata --------------------------------------

def setting_widget(name: str, container=st) -> None:
    f = FIELDS[name]
    if shown(name, f.metadata["group"]):
        widget_for(f, WIDGET + name, container, domain="2d")


def config_from_widgets(names) -> dict:
    return {n: st.session_state[WIDGET + n] for n in names}


def load_lesson() -> None:
    name = st.session_state.pg_lesson
    config = GANConfig() if name == FREE_PLAY else PRESETS[name].config()
    _new_run(config)


def start_new_run() -> None:
    """The architecture form was submitted: new networks from the form's values."""
    values = {**st.session_state.pg_config.to_dict(), **config_from_widgets(ARCHITECTURE + LIVE)}
    points = st.session_state.pg_points if values["dataset"] == CUSTOM_DATASET else None
    if values["dataset"] == CUSTOM_DATASET and points is None:
        st.session_state.pg_error = "dataset 'custom' needs your points: upload a CSV or draw them first"
        return
    try:
        _new_run(GANConfig.from_dict(values), points)
    except ConfigError as e:
        st.session_state.pg_error = str(e)


with st.sidebar:
    if shown("lessons"):
        lesson_names = [FREE_PLAY] + [p.name for p in LESSONS]
        st.selectbox("Lesson", lesson_names, key="pg_lesson", on_change=load_lesson,
                     format_func=lambda n: n if n == FREE_PLAY else PRESETS[n].title,
                     help="Loads a setup with a fixed seed; every control is set for you.")
    st.subheader("Live settings")
    st.caption("Change these while it trains: same run, new rules from the next iteration.")
    for group, title in (("loss", "Loss"), ("optimisation", "Optimisation"), ("tricks", "Tricks")):
        if shown(group):
            with st.expander(title, expanded=group == "loss"):
                for name in LIVE:
                    if FIELDS[name].metadata["group"] == group:
                        setting_widget(name)
    if shown("data"):
        with st.expander("Noise"):
            setting_widget("noise")
    st.subheader("Data and networks")
    with st.form("architecture"):
        st.caption(":material/restart_alt: Changing these builds new networks: the current run starts over.")
        for name in ARCHITECTURE:
            setting_widget(name)
        st.form_submit_button("Start a new run with these", on_click=start_new_run, type="primary")

if "pg_error" in st.session_state:
    st.error(st.session_state.pop("pg_error"))

# Live settings apply to the running trainer at once.
live_values = {**st.session_state.pg_config.to_dict(), **config_from_widgets(LIVE)}
try:
    live_config = GANConfig.from_dict(live_values)
    run.apply(live_config)
    st.session_state.pg_config = live_config
except ConfigError as e:
    st.error(f"Setting not applied — {e}")
_write_url(st.session_state.pg_config)

if st.session_state.pg_lesson != FREE_PLAY and shown("lessons"):
    lesson = PRESETS[st.session_state.pg_lesson]
    st.info(f"**{lesson.title}** — {lesson.watch}  \n*Promise:* {lesson.promise}", icon=":material/school:")


# --- your own data: upload a CSV or draw ------------------------------------------------------------

def use_points(points) -> None:
    config = st.session_state.pg_config.replace(dataset=CUSTOM_DATASET)
    _new_run(config, points)


def use_points_from(source: str) -> None:
    """Button callback (callbacks run before the widgets exist, so the new run can set them)."""
    label = {"upload": "Uploaded file", "paste": "Pasted points", "drawing": "Drawing"}[source]
    try:
        if source == "upload":
            upload = st.session_state.pg_upload
            label = upload.name
            points = read_points_csv(upload.getvalue())
        elif source == "paste":
            points = parse_points(st.session_state.pg_paste)
        else:
            selected = [(p["x"], p["y"]) for p in st.session_state.pg_canvas.selection.points]
            points = fill_cells(selected, seed=st.session_state.pg_config.seed)
    except DataError as e:
        st.session_state.pg_data_error = f"{label}: {e}"
        return
    use_points(points)


if shown("your-data", "data"):
    with st.expander("Your own data: upload a CSV or draw points"):
        if "pg_data_error" in st.session_state:
            st.error(st.session_state.pop("pg_data_error"))
        upload = st.file_uploader("CSV of points (two numeric columns x,y; optional header; 10 to 100,000 rows)",
                                  type=["csv", "txt"], key="pg_upload", max_upload_size=5)
        st.button("Train on this file", key="pg_use_upload", disabled=upload is None, on_click=use_points_from,
                  args=("upload",))
        pasted = st.text_area("…or paste the points (x,y per line)", key="pg_paste", height=100,
                              placeholder="x,y\n0.5,1.2\n-0.3,0.8\n…")
        st.button("Train on the pasted points", key="pg_use_paste", disabled=not pasted.strip(),
                  on_click=use_points_from, args=("paste",))
        st.caption("Or draw: pick the lasso or box tool on the canvas and select the cells your data "
                   "should fill (each selected cell becomes 20 random points).")
        canvas = st.plotly_chart(gallery.drawing_canvas(canvas_cells()), key="pg_canvas", on_select="rerun",
                                 selection_mode=("lasso", "box", "points"))
        selected = len(canvas.selection.points)
        st.button(f"Train on the {selected} selected cells", key="pg_use_drawing", disabled=selected == 0,
                  on_click=use_points_from, args=("drawing",))


# --- playback ------------------------------------------------------------------------------------------

def leave_time_travel() -> None:
    st.session_state.pg_travel = None


def toggle_play() -> None:
    leave_time_travel()
    st.session_state.pg_playing = not st.session_state.pg_playing
    if not st.session_state.pg_playing:
        run.record_now()


def do_step(which: str) -> None:
    leave_time_travel()
    st.session_state.pg_playing = False
    run.step(which)


def do_reset() -> None:
    _new_run(st.session_state.pg_config, st.session_state.pg_points)


def next_stage() -> None:
    leave_time_travel()
    st.session_state.pg_playing = False
    if run.stages and run.stage_index < len(run.stages) - 1:
        run.stage_index += 1
    else:
        run.walk()


slow_motion = st.session_state.get("pg_slow", False)
if shown("playback"):
    cols = st.columns([1.2, 1, 1, 1, 1, 2.2, 1.6])
    playing = st.session_state.pg_playing
    cols[0].button("Pause" if playing else "Play", key="pg_play", on_click=toggle_play, type="primary",
                   icon=":material/pause:" if playing else ":material/play_arrow:", disabled=slow_motion,
                   use_container_width=True)
    cols[1].button("Step", key="pg_step", on_click=do_step, args=("iteration",), help="one iteration: "
                   "k_D discriminator steps, then k_G generator steps", use_container_width=True)
    cols[2].button("Step D", key="pg_step_d", on_click=do_step, args=("d",), help="one discriminator step only",
                   use_container_width=True)
    cols[3].button("Step G", key="pg_step_g", on_click=do_step, args=("g",), help="one generator step only",
                   use_container_width=True)
    cols[4].button("Reset", key="pg_reset", on_click=do_reset, help="new networks, same settings and seed",
                   use_container_width=True)
    cols[5].select_slider("speed", list(SPEEDS), value="full speed", key="pg_speed", label_visibility="collapsed")
    cols[6].toggle("slow motion", key="pg_slow", help="walk through one iteration stage by stage")
    if slow_motion:
        label = "Next stage" if run.stages and run.stage_index < len(run.stages) - 1 else "Next iteration, stage by stage"
        st.button(label, key="pg_next_stage", on_click=next_stage, icon=":material/slow_motion_video:")

if shown("layers"):
    layer_cols = st.columns(len(LAYERS) + 1)
    layers = {k: layer_cols[i].toggle(v, value=(k == "arrows"), key=f"pg_layer_{k}") for i, (k, v) in enumerate(LAYERS.items())}
else:
    layers = {k: k == "arrows" for k in LAYERS}


# --- the live view ----------------------------------------------------------------------------------------

def _status(run: LiveRun) -> str:
    t = run.trainer
    return (f"iteration **{t.iteration:,}** · D updates {t.d_updates:,} · G updates {t.g_updates:,} · "
            f"loss {t.config.loss} · k_D : k_G = {t.config.d_steps} : {t.config.g_steps} · "
            f"seed {t.config.seed} · device **{t.device.type}**")


def overview(run: LiveRun, stage) -> None:
    """GAN Lab's model strip with the latest losses. Part of the live view's fragment (every fragment
    run re-renders the whole app in the browser), but rebuilt at most every OVERVIEW_EVERY_S while
    playing: in between the same figure goes out again, which the browser skips."""
    now = time.monotonic()
    cached = st.session_state.get("pg_overview_figure")
    if st.session_state.pg_playing and cached is not None and now - cached[0] < OVERVIEW_EVERY_S:
        figure = cached[1]
    else:
        t, cfg = run.trainer, run.config
        last = t.history.last()
        figure = overview_figures.model_overview(
            noise_dim=cfg.noise_dim, noise=cfg.noise, g_desc=f"{cfg.g_depth}×{cfg.g_width} {cfg.g_activation}",
            d_desc=f"{cfg.d_depth}×{cfg.d_width} {cfg.d_activation}", loss_title=t.loss.title,
            d_steps=cfg.d_steps, g_steps=cfg.g_steps, loss_d=last.get("loss_d"), loss_g=last.get("loss_g"),
            d_real=last.get("d_real"), d_fake=last.get("d_fake"), stage_key=stage.key if stage else None)
        st.session_state.pg_overview_figure = (now, figure)
    plotly_live(figure, key="pg_overview", config={"displayModeBar": False})


@st.fragment(run_every=FRAME_S if st.session_state.pg_playing else None)
def live_view() -> None:
    run: LiveRun = st.session_state.pg_run
    if st.session_state.pg_playing:
        run.with_layers = layers["field"] or layers["manifold"]
        run.tick(FRAME_S, st.session_state.get("pg_speed", "full speed"))
    t = run.trainer
    stage = run.stages[run.stage_index] if run.stages else None
    overview(run, stage)
    if t.divergence is not None:
        st.session_state.pg_playing = False
        st.error(t.divergence.message, icon=":material/warning:")
        c = st.columns(2)
        c[0].button(f"Continue from iteration {t.iteration:,}, the last finite state", key="pg_restore",
                    on_click=run.restore_last_good)
        if len(run.store):
            c[1].button(f"Go back to iteration {run.store.iterations()[-1]:,}, the last recorded moment",
                        key="pg_restore_recorded", on_click=run.resume_from, args=(len(run.store) - 1,))
    snap = run.snapshot
    travel = st.session_state.get("pg_travel")
    if travel is not None and not st.session_state.pg_playing and travel < len(run.store) - 1:
        snap = run.store.snapshot_at(travel)
    st.markdown(_status(run))
    if stage is not None:
        st.info(f"**Stage {STAGE_KEYS.index(stage.key) + 1} of {len(STAGE_KEYS)} — {stage.title}.** "
                f"{stage.explanation}", icon=":material/slow_motion_video:")
    plotly_live(points.main_view(snap, show_arrows=layers["arrows"], show_field=layers["field"],
                                show_manifold=layers["manifold"], show_density=layers["density"], stage=stage),
                key="pg_main")


@st.fragment(run_every=CHARTS_EVERY_S if st.session_state.pg_playing else None)
def charts() -> None:
    """The curves change slowly: redrawn every CHARTS_EVERY_S, not every frame."""
    run: LiveRun = st.session_state.pg_run
    with run.paused() as t:  # a download may be reading the run on another thread
        history, metrics_log, loss_output = t.history.as_dict(), list(run.metrics_log), t.loss.output
    plotly_live(curves.training_charts(history, metrics_log, loss_output=loss_output), key="pg_charts")
    st.caption(f"Metrics are measured every {METRICS_EVERY_S:g} s while playing and at every step, on "
               f"{EVAL_SAMPLES:,} samples; the exact W1 uses {LIVE_W1_POINTS} + {LIVE_W1_POINTS} of them. JS is in "
               "nats (at most log 2 ≈ 0.693); its floor is the same estimator on two real samples.")


live_view()
if shown("charts"):
    charts()


# --- time travel -------------------------------------------------------------------------------------

if shown("time-travel"):
    with st.expander("Time travel: scrub back through the run", expanded=False):
        time_travel(run, "pg_")


# --- downloads -------------------------------------------------------------------------------------------

if shown("downloads"):
    with st.expander("Download and upload"):
        c = st.columns(4)
        def metrics_file() -> str:
            with run.paused() as t:
                return tables.metrics_csv(t.history.as_dict(), list(run.metrics_log))

        def weights_file() -> bytes:
            with run.paused() as t:
                return checkpoints.weights_bytes(t)

        def gif_file() -> bytes:
            with run.paused():
                snapshots = [run.store.snapshot_at(i) for i in range(len(run.store))]
            return animation.snapshots_gif(snapshots)

        c[0].download_button("config (JSON)", lambda: tables.config_json(run.config), "ganviz-config.json",
                             "application/json", key="pg_dl_config")
        c[1].download_button("metrics (CSV)", metrics_file, "ganviz-metrics.csv", "text/csv", key="pg_dl_metrics")
        c[2].download_button("weights (.pt)", weights_file, "ganviz-weights.pt", "application/octet-stream",
                             key="pg_dl_weights")
        c[3].download_button("animation (GIF)", gif_file, "ganviz-run.gif", "image/gif", key="pg_dl_gif",
                             disabled=len(run.store) == 0)
        weights_upload(run, "pg_", max_mb=50)
