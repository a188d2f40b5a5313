"""One settings widget per GANConfig field, built from the field's metadata (shared by the pages).

The widget's value lives in st.session_state[key]; pages set those keys to load a config.
"""
from __future__ import annotations

import math

import streamlit as st

from ganviz.config import choices_of

LOG_SCALED = ("clip", "gp_weight", "r1_weight", "extra_g_weight", "acgan_weight")  # besides the learning rates


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
    label, help_text, choices = name.replace("_", " "), meta["help"], choices_of(f, domain)
    if f.type == "bool":
        container.toggle(label, key=key, help=help_text)
    elif choices is not None:
        container.selectbox(label, choices, key=key, help=help_text)
    elif f.type == "str":
        container.text_input(label, key=key, help=help_text)
    elif f.type == "int":
        lo, hi = meta["min"], meta["max"]
        if hi - lo <= 64:
            container.slider(label, lo, hi, key=key, help=help_text)
        else:
            container.number_input(label, lo, hi, step=1, key=key, help=help_text)
    elif name.startswith("lr_") or name in LOG_SCALED:
        lo = meta["min"] if meta["min"] > 0 else 1e-3
        options = log_options(lo, meta["max"], st.session_state[key])
        if meta["min"] == 0:
            options = sorted(set([0.0] + options))
        container.select_slider(label, options, key=key, help=help_text, format_func=lambda v: f"{v:g}")
    else:
        step = 0.0001 if meta["max"] >= 0.99 and name in ("ema", "beta2_d", "beta2_g") else 0.01
        container.number_input(label, float(meta["min"]), float(meta["max"]), step=step, format="%.4g",
                               key=key, help=help_text)
