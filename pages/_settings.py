"""Settings widgets built from GANConfig's metadata, and the sidebar the training pages share.

One widget per setting, its kind (toggle, select box, slider, number) read from the field; the lists of
settings come from `setting_fields(domain, role)`: the live settings change the running run, the others
(architecture and shared) start a new one. A setting's value lives in st.session_state[`widget_key`]:
pages set those keys to load a config.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

import streamlit as st

from ganviz.config import GANConfig, choices_of, setting_fields, setting_names

LOG_SCALED = ("clip", "gp_weight", "r1_weight", "extra_g_weight", "acgan_weight")  # besides the learning rates
GROUP_TITLES = {"loss": "Loss", "optimisation": "Optimisation", "tricks": "Tricks", "data": "Noise"}  # in this order
OPEN_GROUP = "loss"  # the live settings' expander open at first
FREE_PLAY = "free play"  # the lesson picker's "no lesson"


def log_options(lo: float, hi: float, current: float) -> list[float]:
    """1-2-5 steps per decade between lo and hi, plus the current value."""
    options = {current}
    for e in range(math.floor(math.log10(lo)), math.ceil(math.log10(hi)) + 1):
        for m in (1, 2, 5):
            v = m * 10.0**e
            if lo <= v <= hi:
                options.add(float(f"{v:.6g}"))
    return sorted(options)


def setting_widget(f, key: str, container=st, domain: str | None = None) -> None:
    """The widget for config field `f`: a toggle, a select box, a slider or a number input."""
    name, meta = f.name, f.metadata
    label, choices = name.replace("_", " "), choices_of(f, domain)
    common = dict(key=key, help=meta["help"])
    if f.type == "bool":
        container.toggle(label, **common)
    elif choices is not None:
        container.selectbox(label, choices, **common)
    elif f.type == "str":
        container.text_input(label, **common)
    elif f.type == "int":
        lo, hi = meta["min"], meta["max"]
        if hi - lo <= 64:
            container.slider(label, lo, hi, **common)
        else:
            container.number_input(label, lo, hi, step=1, **common)
    elif name.startswith("lr_") or name in LOG_SCALED:
        lo = meta["min"] if meta["min"] > 0 else 1e-3
        options = log_options(lo, meta["max"], st.session_state[key])
        if meta["min"] == 0:
            options = sorted({0.0, *options})
        container.select_slider(label, options, format_func=lambda v: f"{v:g}", **common)
    else:
        step = 0.0001 if meta["max"] >= 0.99 and name in ("ema", "beta2_d", "beta2_g") else 0.01
        container.number_input(label, float(meta["min"]), float(meta["max"]), step=step, format="%.4g", **common)


# --- a page's settings: keys, loading, reading -------------------------------------------------------------


def widget_key(prefix: str, name: str) -> str:
    """The session key of setting `name`'s widget on the page whose keys start with `prefix`."""
    return f"{prefix}w_{name}"


def setting_keys(prefix: str, domain: str) -> tuple[str, ...]:
    """Every setting widget key of a page training runs of `domain` (the values it keeps across pages)."""
    return tuple(widget_key(prefix, n) for n in setting_names(domain))


def load_settings(config: GANConfig, prefix: str, domain: str) -> None:
    """Show `config` in the page's setting widgets (before they are drawn: at the start, or in a callback)."""
    for name in setting_names(domain):
        st.session_state[widget_key(prefix, name)] = getattr(config, name)


def settings_from_widgets(config: GANConfig, prefix: str, names) -> dict:
    """`config`'s values with those of the widgets of `names`, as a dict for `GANConfig.from_dict`."""
    values = config.to_dict()
    return {**values, **{n: st.session_state.get(widget_key(prefix, n), values[n]) for n in names}}


def live_names(domain: str) -> tuple[str, ...]:
    """The settings that change a running run."""
    return setting_names(domain, "live")


def new_run_names(domain: str) -> tuple[str, ...]:
    """The settings that need new networks (the architecture) or a new race of runs (the shared ones)."""
    return tuple(n for n in setting_names(domain) if n not in setting_names(domain, "live"))


# --- the sidebar ------------------------------------------------------------------------------------------


def lesson_picker(key: str, lessons: Mapping, on_pick: Callable[[], None]) -> None:
    """A select box of `lessons` (name -> preset) after "free play"; picking one calls `on_pick`."""
    st.selectbox(
        "Lesson",
        [FREE_PLAY, *lessons],
        key=key,
        on_change=on_pick,
        format_func=lambda n: n if n == FREE_PLAY else lessons[n].title,
        help="Loads a setup with a fixed seed; every control is set for you.",
    )


def lesson_note(lesson) -> None:
    """What to watch in a lesson (and its checked promise, where it has one)."""
    promise = f"  \n*Promise:* {lesson.promise}" if lesson.promise else ""
    st.info(f"**{lesson.title}** — {lesson.watch}{promise}", icon=":material/school:")


def live_settings(prefix: str, domain: str, shown: Callable[..., bool] = lambda *names: True) -> None:
    """The live settings, one collapsed expander per group (the loss open): they change the running run."""
    st.subheader("Live settings")
    st.caption("Change these while it trains: same run, new rules from the next iteration.")
    fields = setting_fields(domain, "live")
    order = [*GROUP_TITLES, *(f.metadata["group"] for f in fields)]
    for group in sorted({f.metadata["group"] for f in fields}, key=order.index):
        if shown(group):
            with st.expander(GROUP_TITLES.get(group, group.capitalize()), expanded=group == OPEN_GROUP):
                for f in fields:
                    if f.metadata["group"] == group and shown(f.name):
                        setting_widget(f, widget_key(prefix, f.name), domain=domain)


def new_run_form(
    prefix: str, domain: str, on_submit: Callable[[], None], shown: Callable[..., bool] = lambda *names: True
) -> None:
    """The data and network settings in a form: nothing changes until it is submitted (`on_submit`)."""
    st.subheader("Data and networks")
    with st.form(f"{prefix}new_run"):
        st.caption(":material/restart_alt: Changing these builds new networks: the current run starts over.")
        for f in setting_fields(domain):
            if f.name in new_run_names(domain) and shown(f.name, f.metadata["group"]):
                setting_widget(f, widget_key(prefix, f.name), domain=domain)
        st.form_submit_button("Start a new run with these", on_click=on_submit, type="primary")
