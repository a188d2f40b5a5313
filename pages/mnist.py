"""Digits: train an image GAN live, watch digits form, and catch mode collapse as it happens.

Layout only: the run is a `ganviz.live.LiveRun` (training in a worker process while playing), playback,
the live view, curves, time travel and downloads are the shared live panel (pages/_live_panel.py), the
settings widgets come from GANConfig's metadata (pages/_settings.py), links from pages/_links.py.
"""

from __future__ import annotations

from dataclasses import dataclass

import pages._import_once  # noqa: F401  (first: see pages/_import_once.py)

import streamlit as st

from ganviz.config import IMAGES, ConfigError, GANConfig, image_config
from ganviz.data.points_io import DataError
from ganviz.figures import curves, words
from ganviz.figures import images as image_figures
from ganviz.io import animation, checkpoints, tables
from ganviz.lessons.presets import IMAGE_LESSONS
from ganviz.live.run import METRICS_EVERY_S, LiveRun
from ganviz.metrics.images import nearest_neighbours
from ganviz.training.images import IMAGE_EVAL_SAMPLES
from pages._first_visit import run_through_app
from pages._layout import view_beside_curves
from pages._link_builder import link_builder
from pages._links import link_params, link_query, page_config_from_link, show_link_messages, write_link
from pages._live_panel import (
    Download,
    LivePanel,
    LiveState,
    PanelSpec,
    install_run,
    load_images_with_progress,
    panel_widget_keys,
)
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

TITLE = "Digits"  # the title other pages borrow this page's run under
PREFIX = "mn_"
FRAME_S = 0.5  # redraw period of the sample grid while playing
STORE_CAPACITY = 8  # an image run's state is ~20 MB: keep fewer moments than the 2D page
LESSON_KEY = PREFIX + "lesson"
GRID_MIN_PX, GRID_MAX_PX = 300, 640  # the sample grid fits the window's height between these
HISTOGRAM_PX = 200  # with the numbers under it, a curve still shows in a 768-pixel window
NEIGHBOUR_SAMPLES, NEIGHBOURS = 4, 3  # the memorisation check: samples, and training images beside each


@dataclass
class DigitsState(LiveState):
    neighbours: tuple | None = None  # the memorisation check: (samples, their nearest images, distances)

    @classmethod
    def kept_widgets(cls) -> tuple[str, ...]:
        return (*setting_keys(PREFIX, IMAGES), LESSON_KEY, *panel_widget_keys(PREFIX))


st.title(TITLE)
st.caption(
    "Train a GAN on handwritten digits and watch them form. A classifier trained by ganviz reads "
    "every sample: when digits vanish from its histogram, the generator is collapsing."
)
state = page_state(DigitsState)


# --- data, the run, the URL ------------------------------------------------------------------------------


def new_run(config: GANConfig) -> None:
    def make_run() -> LiveRun:
        data = load_images_with_progress(config.dataset)
        with st.spinner("Preparing the run (the first time: training the judge classifier, about 10 s)…"):
            return LiveRun(config, images=data, background=True, capacity=STORE_CAPACITY)

    install_run(state, make_run, lend_as=TITLE)
    state.neighbours = None
    load_settings(config, PREFIX, IMAGES)


def start_from_link() -> None:
    config, lesson, messages = page_config_from_link(link_params(), IMAGES, IMAGE_LESSONS)
    state.link_messages = messages
    st.session_state[LESSON_KEY] = lesson or FREE_PLAY
    try:
        new_run(config)
    except (DataError, ConfigError) as e:
        messages.append(f"{e}; using the default setup")
        new_run(image_config("digits" if isinstance(e, DataError) else "mnist"))


if state.run is None:
    start_from_link()
run: LiveRun = state.run
show_link_messages(state.link_messages)
if run.trainer.domain.notice:
    st.info(run.trainer.domain.notice, icon=":material/info:")


def load_lesson() -> None:
    name = st.session_state[LESSON_KEY]
    new_run(image_config("mnist") if name == FREE_PLAY else IMAGE_LESSONS[name].config())


def start_new_run() -> None:
    try:
        new_run(
            GANConfig.from_dict(settings_from_widgets(run.config, PREFIX, new_run_names(IMAGES) + live_names(IMAGES)))
        )
    except (ConfigError, DataError) as e:
        state.error = str(e)


with st.sidebar:
    lesson_picker(LESSON_KEY, IMAGE_LESSONS, load_lesson)
    live_settings(PREFIX, IMAGES)
    new_run_form(PREFIX, IMAGES, start_new_run)
    state.show_error()

try:  # live settings apply to the running trainer at once
    run.apply(GANConfig.from_dict(settings_from_widgets(run.config, PREFIX, live_names(IMAGES))))
except ConfigError as e:
    st.error(f"Setting not applied — {e}")
# The link names the data and the model, then what differs from their defaults (see page_config_from_link).
query = {
    "dataset": run.config.dataset,
    "image_model": run.config.image_model,
    **link_query(run.config, image_config(run.config.dataset, image_model=run.config.image_model)),
}
lesson = st.session_state.get(LESSON_KEY, FREE_PLAY)
if lesson != FREE_PLAY:
    query["lesson"] = lesson
    lesson_note(IMAGE_LESSONS[lesson])
write_link(query)


# --- the live panel ------------------------------------------------------------------------------------------


def status(run: LiveRun) -> list[str]:
    """The model, the data (its digits only where some are left out: a short line leaves the grid its room), the
    loss and the seed."""
    cfg, domain = run.config, run.trainer.domain
    every_digit = len(domain.image_data.images) == len(domain.all_images.images)
    data = domain.all_images.source if every_digit else domain.source
    return [f"{cfg.image_model} on {data}", f"loss {cfg.loss}", f"seed {cfg.seed}"]


def judge_view(run: LiveRun, snap) -> None:
    """Above the curves: which digits G makes, as the judge reads them, and the numbers."""
    m = snap.metrics
    if not m:
        return
    trained = run.config.digit_list()
    plotly_live(
        image_figures.digit_histogram(m["class_counts"], trained, m["missing"], height=HISTOGRAM_PX),
        key=PREFIX + "histogram",
        config=NO_MODEBAR,
    )
    vanished = (
        f"  \n:red[**Digits {', '.join(map(str, m['missing']))} have vanished** from G's samples: mode collapse "
        "(or not learnt yet).]"
        if m["missing"] and snap.iteration >= 500
        else ""
    )
    st.markdown(
        f"FID **{m['fid']:.1f}** (real vs real: {m['fid_floor']:.1f}) · digits present "
        f"**{m['classes_covered']} of {len(trained)}** · classifier's mean confidence "
        f"**{m['mean_confidence']:.0%}**{vanished}",
        help=f"Judged on {IMAGE_EVAL_SAMPLES:,} samples every {METRICS_EVERY_S:g} s by a classifier "
        f"with {m['classifier_accuracy']:.1%} held-out accuracy on the real digits.",
    )


panel = LivePanel(
    state,
    PanelSpec(
        prefix=PREFIX,
        frame_s=FRAME_S,
        status=status,
        reset=lambda: new_run(run.config),
        main_view=lambda run, snap, stage: image_figures.sample_grid(snap, height=GRID_MAX_PX),
        main_fit_min=GRID_MIN_PX,
        describe=lambda run, snap: words.describe_images(snap, digits=run.config.digit_list()),
        describe_charts=lambda run: words.describe_curves(
            run.trainer.history.as_dict(), list(run.metrics_log), loss_output=run.trainer.loss.output, metrics=IMAGES
        ),
        above_charts=judge_view,
        charts=lambda run: curves.training_charts(
            run.trainer.history.as_dict(), list(run.metrics_log), loss_output=run.trainer.loss.output, metrics=IMAGES
        ),
        downloads=(
            Download(
                "samples (PNG)",
                lambda run: animation.samples_png(run.snapshot.grid),
                "ganviz-digits.png",
                "image/png",
                "png",
            ),
            Download(
                "metrics (CSV)",
                lambda run: tables.metrics_csv(
                    run.trainer.history.as_dict(), run.metrics_log, tables.IMAGE_METRIC_KEYS
                ),
                "ganviz-metrics.csv",
                "text/csv",
                "metrics",
            ),
            Download(
                "weights (.pt)",
                lambda run: checkpoints.weights_bytes(run.trainer),
                "ganviz-digits.pt",
                "application/octet-stream",
                "weights",
            ),
            Download(
                "config (JSON)",
                lambda run: tables.config_json(run.config),
                "ganviz-config.json",
                "application/json",
                "config",
            ),
        ),
        upload_mb=200,
    ),
)
# A projector shows the run in one screen: the controls and the sample grid on the left, fitted to the window's
# height; what the judge reads in G's samples and the curves on the right.
panel.controls()
grid_column, curves_column = view_beside_curves(PREFIX + "run", 0.6)
with grid_column:
    panel.live_view()
with curves_column:
    panel.charts()


# --- memorisation, time travel, downloads --------------------------------------------------------------------


def find_neighbours() -> None:
    """The first samples of the current grid (G's fixed z) and their nearest training images."""
    with run.paused() as t:
        grid = run.snapshot.grid  # (rows, columns, H, W) in [0, 1]
        training = t.domain.image_data.images  # (N, 1, H, W) in [-1, 1]
    samples = grid.reshape(-1, *grid.shape[-2:])[:NEIGHBOUR_SAMPLES]
    index, distances = nearest_neighbours(samples * 2 - 1, training, k=NEIGHBOURS)
    state.neighbours = (samples, (training[index][:, :, 0] + 1) / 2, distances)


with st.expander("Memorisation check: a generated digit beside its nearest training images"):
    st.button(
        f"Find the nearest training images for {NEIGHBOUR_SAMPLES} samples",
        key=PREFIX + "find_neighbours",
        on_click=find_neighbours,
        disabled=state.playing,
    )
    if state.neighbours is not None:
        samples, neighbours, distances = state.neighbours
        st.plotly_chart(
            image_figures.neighbours_figure(samples, neighbours, distances), key=PREFIX + "neighbours_figure"
        )
        st.caption(
            "Near-copies (distance close to 0) would mean G memorised training images rather than "
            "learning to draw digits."
        )

with st.expander("Time travel: scrub back through the sample grid"):
    panel.time_travel()

with st.expander("Download and upload"):
    panel.downloads()
link_builder(
    "mnist",
    "lesson",
    {name: p.title for name, p in IMAGE_LESSONS.items()},
    (),
    current=lesson if lesson != FREE_PLAY else None,
    free_play=FREE_PLAY,
)
