"""Digits: train an image GAN live, watch digits form, and catch mode collapse as it happens.

Layout only: the run is a `ganviz.live.LiveRun` (training in a worker process while playing), the
figures come from `ganviz.plots`, the settings from `GANConfig` metadata (pages/_settings.py).
"""
from __future__ import annotations

import streamlit as st

from ganviz.figures import curves
from ganviz.figures import images as image_figures
from ganviz.io import animation
from ganviz.io import checkpoints
from ganviz.io import tables
from ganviz.config import ConfigError, GANConfig, image_config, is_image_dataset, setting_fields
from ganviz.data.images import IMAGE_DATASETS
from ganviz.data.points_io import DataError
from ganviz.training.images import IMAGE_EVAL_SAMPLES, generate
from ganviz.live.run import METRICS_EVERY_S, SPEEDS, LiveRun
from ganviz.metrics.images import nearest_neighbours
from ganviz.lessons.presets import IMAGE_LESSONS
from pages._plotly_live import plotly_live
from pages._run_controls import config_from_link, install_run, load_images_with_progress, show_link_messages, time_travel, weights_upload, write_link
from pages._settings import setting_widget

FRAME_S = 0.5  # redraw period of the sample grid while playing
CHARTS_EVERY_S = 2.0
STORE_CAPACITY = 8  # an image run's state is ~20 MB: keep fewer moments than the 2D page
FREE_PLAY = "free play"
FIELDS = {f.name: f for f in setting_fields()}
RUN_SETTINGS = ["dataset", "image_model", "digits", "digit_weights", "conditional", "acgan_weight", "noise_dim",
                "spectral_norm_d", "minibatch_features", "seed", "device"]  # these start a new run
LIVE_SETTINGS = {"Loss": ["loss", "clip", "gp_weight", "r1_weight"],
                 "Optimisation": ["batch_size", "d_steps", "g_steps", "lr_d", "lr_g", "beta1_d", "beta1_g"],
                 "Tricks": ["label_smoothing", "instance_noise", "ema", "extra_g_loss"]}
LIVE = [n for names in LIVE_SETTINGS.values() for n in names]
WIDGET = "mw_"

st.title("Digits")
st.caption("Train a GAN on handwritten digits and watch them form. A classifier trained by ganviz reads "
           "every sample: when digits vanish from its histogram, the generator is collapsing.")


# --- data, the run, the URL ----------------------------------------------------------------------

def _new_run(config: GANConfig) -> None:
    def make_run() -> LiveRun:
        data = load_images_with_progress(config.dataset)
        with st.spinner("Preparing the run (the first time: training the judge classifier, about 10 s)…"):
            return LiveRun(config, images=data, background=True, capacity=STORE_CAPACITY)
    install_run("mn_", WIDGET, config, make_run)
    st.session_state.mn_neighbours = None


def _start_from_url() -> None:
    params = {k: st.query_params[k] for k in st.query_params}
    dataset = params.get("dataset", "mnist")
    base = image_config(dataset if is_image_dataset(dataset) else "mnist")
    config, lesson, messages = config_from_link(params, base, IMAGE_LESSONS)
    if not is_image_dataset(config.dataset):
        messages.append(f"dataset {config.dataset!r} is 2D points: this page trains digits; using mnist")
        config = config.replace(dataset="mnist")
    st.session_state.mn_url_messages = messages
    st.session_state.mn_lesson = lesson or FREE_PLAY
    try:
        _new_run(config)
    except (DataError, ConfigError) as e:
        st.session_state.mn_url_messages.append(f"{e}; using the default setup")
        _new_run(image_config("digits" if isinstance(e, DataError) else "mnist"))


if "mn_run" not in st.session_state:
    _start_from_url()
run: LiveRun = st.session_state.mn_run
show_link_messages(st.session_state.mn_url_messages)
data = run.trainer.all_images
if data.notice:
    st.info(data.notice, icon=":material/info:")


def _write_url(config: GANConfig) -> None:
    base = image_config(config.dataset, image_model=config.image_model)
    query = {k: v for k, v in config.to_query().items() if getattr(config, k) != getattr(base, k) or k == "dataset"}
    if st.session_state.mn_lesson != FREE_PLAY:
        query["lesson"] = st.session_state.mn_lesson
    write_link(query)


# --- settings --------------------------------------------------------------------------------------

def load_lesson() -> None:
    name = st.session_state.mn_lesson
    _new_run(image_config("mnist") if name == FREE_PLAY else IMAGE_LESSONS[name].config())


def start_new_run() -> None:
    values = {**st.session_state.mn_config.to_dict(), **{n: st.session_state[WIDGET + n] for n in RUN_SETTINGS + LIVE}}
    try:
        _new_run(GANConfig.from_dict(values))
    except (ConfigError, DataError) as e:
        st.session_state.mn_error = str(e)


with st.sidebar:
    st.selectbox("Lesson", [FREE_PLAY, *IMAGE_LESSONS], key="mn_lesson", on_change=load_lesson,
                 format_func=lambda n: n if n == FREE_PLAY else IMAGE_LESSONS[n].title,
                 help="Loads a setup with a fixed seed; every control is set for you.")
    st.subheader("Live settings")
    st.caption("Change these while it trains: same run, new rules from the next iteration.")
    for title, names in LIVE_SETTINGS.items():
        with st.expander(title, expanded=title == "Loss"):
            for name in names:
                setting_widget(FIELDS[name], WIDGET + name)
    st.subheader("Data and networks")
    with st.form("mn_run_settings"):
        st.caption(":material/restart_alt: Changing these starts a new run.")
        for name in RUN_SETTINGS:
            if name == "dataset":
                st.selectbox("dataset", IMAGE_DATASETS, key=WIDGET + name, help=FIELDS[name].metadata["help"])
            else:
                setting_widget(FIELDS[name], WIDGET + name)
        st.form_submit_button("Start a new run with these", on_click=start_new_run, type="primary")
    if st.session_state.get("mn_error"):
        st.error(st.session_state.pop("mn_error"))

live_config = st.session_state.mn_config.replace(**{n: st.session_state[WIDGET + n] for n in LIVE})
try:
    run.apply(live_config)
    st.session_state.mn_config = live_config
except ConfigError as e:
    st.error(str(e))
_write_url(run.config)
if st.session_state.mn_lesson != FREE_PLAY:
    lesson = IMAGE_LESSONS[st.session_state.mn_lesson]
    st.info(f"**{lesson.title}.** {lesson.watch}", icon=":material/school:")


# --- playback ------------------------------------------------------------------------------------------

def toggle_play() -> None:
    st.session_state.mn_travel = None
    st.session_state.mn_playing = not st.session_state.mn_playing
    if not st.session_state.mn_playing:
        run.record_now()


def do_step() -> None:
    st.session_state.mn_travel = None
    st.session_state.mn_playing = False
    run.step("iteration")


cols = st.columns([1.2, 1, 1, 3])
playing = st.session_state.mn_playing
cols[0].button("Pause" if playing else "Play", key="mn_play", on_click=toggle_play, type="primary",
               icon=":material/pause:" if playing else ":material/play_arrow:", use_container_width=True)
cols[1].button("Step", key="mn_step", on_click=do_step, help="one iteration", use_container_width=True)
cols[2].button("Reset", key="mn_reset", on_click=lambda: _new_run(st.session_state.mn_config),
               help="new networks, same settings and seed", use_container_width=True)
cols[3].select_slider("speed", list(SPEEDS), value="full speed", key="mn_speed", label_visibility="collapsed")


# --- the live view -------------------------------------------------------------------------------------

def _status(run: LiveRun) -> str:
    t, cfg = run.trainer, run.config
    return (f"iteration **{t.iteration:,}** · D updates {t.d_updates:,} · G updates {t.g_updates:,} · "
            f"{cfg.image_model} on {t.image_data.source} · loss {cfg.loss} · seed {cfg.seed} · "
            f"device **{t.device.type}**")


@st.fragment(run_every=FRAME_S if st.session_state.mn_playing else None)
def live_view() -> None:
    run: LiveRun = st.session_state.mn_run
    if st.session_state.mn_playing:
        run.tick(FRAME_S, st.session_state.get("mn_speed", "full speed"))
    t = run.trainer
    if t.divergence is not None:
        st.session_state.mn_playing = False
        st.error(t.divergence.message, icon=":material/warning:")
        st.button(f"Continue from iteration {t.iteration:,}, the last finite state", key="mn_restore",
                  on_click=run.restore_last_good)
    snap = run.snapshot
    travel = st.session_state.get("mn_travel")
    if travel is not None and not st.session_state.mn_playing and travel < len(run.store) - 1:
        snap = run.store.snapshot_at(travel)
    st.markdown(_status(run))
    left, right = st.columns([3, 2])
    with left:
        plotly_live(image_figures.sample_grid(snap), key="mn_samples", config={"displayModeBar": False})
    with right:
        m = snap.metrics
        if m:
            trained = run.config.digit_list()
            plotly_live(image_figures.digit_histogram(m["class_counts"], trained, m["missing"]), key="mn_histogram",
                        config={"displayModeBar": False})
            st.markdown(f"FID **{m['fid']:.1f}** (real vs real: {m['fid_floor']:.1f}) · digits present "
                        f"**{m['classes_covered']} of {len(trained)}** · classifier's mean confidence "
                        f"**{m['mean_confidence']:.0%}**")
            if m["missing"] and t.iteration >= 500:
                st.warning(f"Digits {', '.join(map(str, m['missing']))} have vanished from G's samples: "
                           "mode collapse (or not learnt yet).", icon=":material/visibility_off:")
            st.caption(f"Judged on {IMAGE_EVAL_SAMPLES:,} samples every {METRICS_EVERY_S:g} s by a classifier "
                       f"with {m['classifier_accuracy']:.1%} held-out accuracy on the real digits.")


@st.fragment(run_every=CHARTS_EVERY_S if st.session_state.mn_playing else None)
def charts() -> None:
    run: LiveRun = st.session_state.mn_run
    with run.paused() as t:
        history, metrics_log, output = t.history.as_dict(), list(run.metrics_log), t.loss.output
    plotly_live(curves.training_charts(history, metrics_log, loss_output=output, metrics="images"), key="mn_charts")


live_view()
charts()


# --- memorisation, time travel, downloads ------------------------------------------------------------------

def find_neighbours() -> None:
    t = run.trainer
    samples = generate(t, t.fixed_z[:4], None if t.fixed_labels is None else t.fixed_labels[:4])
    idx, dist = nearest_neighbours(samples, t.image_data.images, k=3)
    st.session_state.mn_neighbours = ((samples[:, 0] + 1) / 2, (t.image_data.images[idx][:, :, 0] + 1) / 2, dist)


with st.expander("Memorisation check: a generated digit beside its nearest training images"):
    st.button("Find the nearest training images for four samples", key="mn_find_neighbours",
              on_click=find_neighbours, disabled=st.session_state.mn_playing)
    if st.session_state.mn_neighbours is not None:
        samples, neighbours, dist = st.session_state.mn_neighbours
        st.plotly_chart(image_figures.neighbours_figure(samples, neighbours, dist), key="mn_neighbours_figure")
        st.caption("Near-copies (distance close to 0) would mean G memorised training images rather than "
                   "learning to draw digits.")

with st.expander("Time travel: scrub back through the sample grid"):
    time_travel(run, "mn_")

with st.expander("Download and upload"):
    c = st.columns(4)
    c[0].download_button("samples (PNG)", lambda: animation.samples_png(run.snapshot.grid), "ganviz-digits.png",
                         "image/png", key="mn_dl_png")
    c[1].download_button("metrics (CSV)", lambda: tables.metrics_csv(
        run.trainer.history.as_dict(), list(run.metrics_log), tables.IMAGE_METRIC_KEYS), "ganviz-metrics.csv",
        "text/csv", key="mn_dl_metrics")
    c[2].download_button("weights (.pt)", lambda: checkpoints.weights_bytes(run.trainer), "ganviz-digits.pt",
                         "application/octet-stream", key="mn_dl_weights")
    c[3].download_button("config (JSON)", lambda: tables.config_json(run.config), "ganviz-config.json",
                         "application/json", key="mn_dl_config")
    weights_upload(run, "mn_", max_mb=200)
