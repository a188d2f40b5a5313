"""Controls every training page shares: links (URL <-> config), time travel, weights upload.

Each page keeps its state under its own session-state prefix (`pg_` for the 2D playground, `mn_` for
digits): `{prefix}playing`, `{prefix}travel` (the recorded moment shown, or None).
"""
from __future__ import annotations

from typing import Callable, Mapping

import streamlit as st

from ganviz.io import checkpoints
from ganviz.config import GANConfig
from ganviz.data.images import load_images
from ganviz.live.run import LiveRun


def set_widgets(config: GANConfig, widget_prefix: str) -> None:
    """Load `config` into the settings widgets (keys `widget_prefix + field`)."""
    for name, value in config.to_dict().items():
        st.session_state[widget_prefix + name] = value


def install_run(prefix: str, widget_prefix: str | None, config, make_run: Callable[[], LiveRun]) -> None:
    """Replace the page's run: stop the old one's worker first (it would go on training), build the new
    one with `make_run`, start paused outside time travel, and load `config` into the widgets (with
    `widget_prefix`; None: the page has no settings widgets named after the config's fields)."""
    old = st.session_state.get(f"{prefix}run")
    if old is not None:
        old.stop()
    st.session_state[f"{prefix}run"] = make_run()
    st.session_state[f"{prefix}config"] = config
    st.session_state[f"{prefix}playing"] = False
    st.session_state[f"{prefix}travel"] = None
    if widget_prefix is not None:
        set_widgets(config, widget_prefix)


def load_images_with_progress(name: str):
    """`load_images(name)` with a progress bar while MNIST downloads (the first time only)."""
    bar = st.progress(0.0, text=f"Getting {name}…")

    def progress(done: int, total: int | None, file_name: str) -> None:
        bar.progress(min(done / total, 1.0) if total else 0.0, text=f"Downloading {file_name}: {done / 1e6:.1f} MB")

    try:
        return load_images(name, progress=progress)
    finally:
        bar.empty()


def config_from_link(params: dict[str, str], base: GANConfig,
                     lessons: Mapping) -> tuple[GANConfig, str | None, list[str]]:
    """The config a link asks for: `lesson=NAME` (one of `lessons`) replaces `base`, then each setting is
    applied leniently. Returns (config, the lesson or None, a message per value that was fixed)."""
    params, messages = dict(params), []
    lesson = params.pop("lesson", None)
    if lesson is not None:
        if lesson in lessons:
            base = lessons[lesson].config()
        else:
            messages.append(f"lesson {lesson!r} does not exist; choose one of: {', '.join(lessons)}")
            lesson = None
    config, fixes = GANConfig.from_query_lenient(params, base=base)
    return config, lesson, messages + fixes


def write_link(query: dict[str, str]) -> None:
    """Make the URL's query exactly `query`, key by key: replacing the whole query at once (from_dict)
    makes Streamlit's router report the page as missing on a multipage app."""
    for key in [k for k in st.query_params if k not in query]:
        del st.query_params[key]
    for key, value in query.items():
        if st.query_params.get(key) != value:
            st.query_params[key] = value


def show_link_messages(messages: list[str]) -> None:
    for message in messages:
        st.warning(f"Link: {message}", icon=":material/link_off:")


def time_travel(run: LiveRun, prefix: str) -> None:
    """A slider over the recorded moments (the view shows `{prefix}travel`) and a Resume button."""
    iterations = run.store.iterations()
    if st.session_state[f"{prefix}playing"]:
        st.caption("Pause to scrub through the recorded moments.")
        return
    if len(iterations) < 2:
        st.caption("Train a little first: moments are recorded as the run goes.")
        return
    latest = len(iterations) - 1
    # A new key whenever a moment is recorded: the slider starts again at the newest one.
    key = f"{prefix}travel_{len(iterations)}_{iterations[-1]}"

    def travel_to() -> None:
        st.session_state[f"{prefix}travel"] = st.session_state[key]

    def resume_here() -> None:
        run.resume_from(st.session_state[f"{prefix}travel"])
        st.session_state[f"{prefix}travel"] = None

    index = st.select_slider("recorded iteration", list(range(len(iterations))), value=latest,
                             format_func=lambda i: f"{iterations[i]:,}", key=key, on_change=travel_to)
    if index < latest:
        st.button(f"Resume training from iteration {iterations[index]:,}", key=f"{prefix}resume",
                  on_click=resume_here, help="later moments are discarded")
    st.caption(f"{len(iterations)} moments kept (every {run.store.gap} iterations or more; older ones are "
               "thinned so memory stays bounded).")


def weights_upload(run: LiveRun, prefix: str, max_mb: int) -> None:
    """Upload a weights file saved by ganviz into the run (checked first; never unpickled)."""
    weights = st.file_uploader("Load weights saved by ganviz (.pt; the networks must match)", type=["pt"],
                               key=f"{prefix}weights_upload", max_upload_size=max_mb)
    if weights is not None and st.button("Load these weights", key=f"{prefix}load_weights"):
        try:
            with run.paused() as t:
                checkpoints.load_weights(t, weights.getvalue())
            run.record_now()
            st.success(f"Loaded {weights.name}.")
        except checkpoints.WeightsError as e:
            st.error(f"{weights.name}: {e}")
