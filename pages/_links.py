"""Links: a page's URL <-> its config, read leniently, with a message for every value that was fixed.

A link is the address bar's query: the settings that differ from the defaults (`GANConfig.to_query`),
plus page-level words such as `lesson=NAME`. A bad value never stops a page: it is clamped or refused,
and the page says so with `show_link_messages`.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import streamlit as st

from ganviz.config import (
    CUSTOM_DATASET,
    IMAGES,
    POINTS,
    GANConfig,
    choices_of,
    domain_of,
    image_config,
    setting_fields,
    setting_text,
)
from ganviz.racing.config import RaceConfig


@dataclass(frozen=True)
class RunKind:
    """What a page needs to know of a kind of run: its words, the data it falls back to, its defaults."""

    words: str
    home_dataset: str
    defaults: Callable[..., GANConfig]  # (dataset, **changes) -> config


# The 2D defaults do not suit digits: image runs start from ganviz.config.IMAGE_DEFAULTS.
RUN_KINDS = {
    POINTS: RunKind("2D points", "ring8", lambda dataset, **changes: GANConfig(dataset=dataset, **changes)),
    IMAGES: RunKind("digit images", "mnist", image_config),
}
FIELDS = {f.name: f for f in setting_fields()}
ALL_DATASETS = choices_of(FIELDS["dataset"])


def defaults_for(dataset: str, **changes) -> GANConfig:
    """The default config of a run on `dataset` (the image defaults for digit datasets), then `changes`."""
    return RUN_KINDS[domain_of(dataset)].defaults(dataset, **changes)


def hide_from_link(params: dict[str, str]) -> set[str]:
    """Take `hide` out of `params`: the names it lists (comma-separated), blanks dropped."""
    return {h.strip() for h in params.pop("hide", "").split(",") if h.strip()}


PRESENT = "present"  # `present=1`: presenter mode (app.py), on any page; not a page's setting


def presenting() -> bool:
    """Whether the link asks for presenter mode: the sidebar folded and larger text, for a projector."""
    return st.query_params.get(PRESENT) == "1"


def link_params() -> dict[str, str]:
    """The URL's query as a plain dict (one value per name), less presenter mode (app.py reads it)."""
    return {k: st.query_params[k] for k in st.query_params if k != PRESENT}


def config_from_link(
    params: Mapping[str, str], base: GANConfig, lessons: Mapping
) -> tuple[GANConfig, str | None, list[str]]:
    """The config a link asks for: `lesson=NAME` (one of `lessons`) replaces `base`, then each setting is
    applied leniently. Returns (config, the lesson or None, a message per value that was fixed)."""
    params, messages = dict(params), []
    lesson = lesson_from_link(params, lessons, messages)
    config, fixes = GANConfig.from_query_lenient(params, base=lessons[lesson].config() if lesson else base)
    return config, lesson, messages + fixes


def lesson_from_link(params: dict[str, str], lessons: Mapping, messages: list[str]) -> str | None:
    """Take `lesson` out of `params`: its name if it is one of `lessons`; an unknown one is dropped with a
    message (the link then opens as if it named no lesson)."""
    lesson = params.pop("lesson", None)
    if lesson is not None and lesson not in lessons:
        messages.append(f"lesson {lesson!r} does not exist; choose one of: {', '.join(lessons)}")
        return None
    return lesson


def page_config_from_link(
    params: Mapping[str, str], domain: str, lessons: Mapping
) -> tuple[GANConfig, str | None, list[str]]:
    """`config_from_link` for a page that trains runs of one `domain` (POINTS or IMAGES): a dataset of the
    other kind, or "custom" (a link cannot carry the user's points), is replaced by the page's own."""
    params, messages, kind = dict(params), [], RUN_KINDS[domain]
    dataset = params.get("dataset", kind.home_dataset)
    if dataset in ALL_DATASETS and domain_of(dataset) != domain:
        messages.append(
            f"dataset {dataset!r} is {RUN_KINDS[domain_of(dataset)].words}: this page trains "
            f"{kind.words}; using {kind.home_dataset}"
        )
        params["dataset"] = dataset = kind.home_dataset
    if dataset == CUSTOM_DATASET:
        messages.append(
            f"dataset 'custom' needs your points: upload a CSV or draw them; using {kind.home_dataset} for now"
        )
        params["dataset"] = dataset = kind.home_dataset
    model = params.get("image_model")  # the image defaults depend on the model (its noise size, say)
    base = defaults_for(
        dataset if dataset in ALL_DATASETS else kind.home_dataset,
        **({"image_model": model} if model in choices_of(FIELDS["image_model"]) else {}),
    )
    config, lesson, fixes = config_from_link(params, base, lessons)
    return config, lesson, messages + fixes


def race_from_link(
    params: Mapping[str, str], comparisons: Mapping, default: str, lessons: Mapping
) -> tuple[RaceConfig | None, str | None, list[str]]:
    """The race a Compare link asks for: `comparison=NAME` (one of `comparisons`) names every run; else run A's
    settings (on a `lesson`'s, or the defaults of its dataset) and each other run's differences (`B.loss=...`).
    Returns (config, None, messages), or (None, the comparison's name, messages) for a named one; a link with
    no settings names `default`."""
    params, messages = dict(params), []
    name = params.pop("comparison", None)
    if name is not None:
        if name in comparisons:
            if params:
                messages.append(f"ignored {', '.join(sorted(params))}: a comparison link sets every run")
            return None, name, messages
        messages.append(f"comparison {name!r} does not exist; choose one of: {', '.join(comparisons)}")
    base = GANConfig()
    lesson = lesson_from_link(params, lessons, messages)
    if lesson is not None:
        base = lessons[lesson].config()
    elif params.get("dataset") in ALL_DATASETS:
        base = defaults_for(params["dataset"])  # digit runs start from the digit defaults
    if not params and lesson is None:
        return None, default, messages
    config, fixes = RaceConfig.from_query_lenient(params, base=base) if params else (RaceConfig((base, base)), [])
    if config.runs[0].dataset == CUSTOM_DATASET:  # a link cannot carry the points themselves
        fixes.append(
            "dataset 'custom' needs your points: start from the playground's settings after uploading "
            "or drawing them; using ring8 for now"
        )
        config = RaceConfig(tuple(c.replace(dataset=RUN_KINDS[POINTS].home_dataset) for c in config.runs))
    return config, None, messages + fixes


def link_query(config: GANConfig, base: GANConfig) -> dict[str, str]:
    """The settings of `config` that differ from `base` (what a link starting from `base` must say), as text."""
    return {k: setting_text(v) for k, v in config.to_dict().items() if v != getattr(base, k)}


def write_link(query: Mapping[str, str]) -> None:
    """Make the URL's query exactly `query` (and presenter mode, if on), key by key: replacing the whole query at
    once (from_dict) makes Streamlit's router report the page as missing on a multipage app."""
    for key in [k for k in st.query_params if k not in query and k != PRESENT]:
        del st.query_params[key]
    for key, value in query.items():
        if st.query_params.get(key) != value:
            st.query_params[key] = value


def shareable_link(query: Mapping[str, str], fallback_path: str) -> str:
    """This page's address with `query` (the address bar's own where the browser told us, else a path)."""
    page_url = (st.context.url or "").split("?")[0] or fallback_path
    return f"{page_url}?{urllib.parse.urlencode(dict(query))}" if query else page_url


def show_link_messages(messages: list[str]) -> None:
    for message in messages:
        st.warning(f"Link: {message}", icon=":material/link_off:")
