"""The course: chapters that follow the lectures. Predict, play the run to its checkpoint, read what happened on
your own run, see why, then one "now try".

The chapters, their questions and their live checks are the engine's (ganviz/course/); the run is a LiveRun
drawn by the shared live panel (pages/_live_panel.py), which pauses it at the chapter's checkpoint (`stop_at`).
Progress is in the URL (`?chapter=3`), so a teacher can link a chapter; `hide=` hides parts of the page.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pages._import_once  # noqa: F401  (first: see pages/_import_once.py)

import streamlit as st

from ganviz.course import CHAPTERS, Chapter, Reading
from ganviz.course.chapters import LOOK_AT
from ganviz.figures import curves, points, words
from ganviz.figures.highlight import VIEW_PARTS, frame_panel, point_at
from ganviz.live.run import LiveRun
from pages._first_visit import run_through_app
from pages._link_builder import built_query, link_builder
from pages._links import hide_from_link, link_params, show_link_messages, write_link
from pages._live_panel import LivePanel, LiveState, PanelSpec, install_run, panel_widget_keys
from pages._session import page_state

run_through_app()  # first, before anything is drawn: see pages/_first_visit.py

PREFIX = "co_"
PARTS = ("chapters", "now-try", "charts")  # what hide=... may hide
MAIN_VIEW_MIN_PX, MAIN_VIEW_MAX_PX = 380, 640  # the main view fits the window's height between these


def prediction_key(chapter: Chapter) -> str:
    return f"{PREFIX}predict_{chapter.slug}"


@dataclass
class CourseState(LiveState):
    chapter: int = 0  # index into CHAPTERS
    trying: bool = False  # the run is the chapter's "now try"
    try_start: int = 0  # the iteration the "now try" began at (a continued run reads only what came after)
    reading: Reading | None = None  # the chapter run's reading, once at its checkpoint
    tried: Reading | None = None  # the "now try"'s reading
    hidden: frozenset[str] = frozenset()
    predictions: dict[str, str] = field(default_factory=dict)  # chapter slug -> the choice made, locked

    @classmethod
    def kept_widgets(cls) -> tuple[str, ...]:
        return panel_widget_keys(PREFIX)


state = page_state(CourseState)


def open_chapter(index: int) -> None:
    chapter = CHAPTERS[index]
    install_run(state, lambda: LiveRun(chapter.config(), background=True))
    state.run.stop_at = chapter.steps
    state.chapter, state.trying, state.try_start, state.reading, state.tried = index, False, 0, None, None


def start_from_link() -> None:
    params, messages = link_params(), []
    hide = hide_from_link(params)
    for h in sorted(hide - set(PARTS)):
        messages.append(f"hide: {h!r} is not a part of this page; known: {', '.join(PARTS)}")
    text, index = params.pop("chapter", "1"), 0
    if text.isdigit() and 1 <= int(text) <= len(CHAPTERS):
        index = int(text) - 1
    else:
        messages.append(f"chapter {text!r} does not exist; the chapters are 1 to {len(CHAPTERS)}")
    for name in sorted(params):
        messages.append(f"{name!r} is not something a course link sets; it sets chapter and hide")
    state.hidden, state.link_messages = frozenset(hide & set(PARTS)), messages
    open_chapter(index)


if state.run is None:
    start_from_link()
chapter = CHAPTERS[state.chapter]
run: LiveRun = state.run


def shown(part: str) -> bool:
    return part not in state.hidden


write_link(built_query("chapter", str(state.chapter + 1), state.hidden))
show_link_messages(state.link_messages)


# --- the chapters --------------------------------------------------------------------------------------------


def start_now_try() -> None:
    now_try = chapter.now_try
    if now_try.continue_run:
        run.apply(run.config.replace(**now_try.changes))
        state.try_start = run.iteration
        run.stop_at = run.iteration + now_try.steps
    else:
        install_run(state, lambda: LiveRun(chapter.now_try_config(), background=True))
        state.try_start = 0
        state.run.stop_at = now_try.steps
    state.trying, state.tried, state.playing = True, None, True


if shown("chapters"):
    with st.sidebar:
        st.subheader("Chapters")
        for i, c in enumerate(CHAPTERS):
            st.button(
                f"{i + 1}. {c.title}",
                key=f"{PREFIX}go_{i}",
                on_click=open_chapter,
                args=(i,),
                type="primary" if i == state.chapter else "secondary",
                width="stretch",
            )

st.title(f"Chapter {state.chapter + 1} of {len(CHAPTERS)}: {chapter.title}")
st.caption(f"Follows lecture{'s' if len(chapter.lectures) > 1 else ''} {', '.join(chapter.lectures)}.")
st.markdown(chapter.context)
st.latex(chapter.formula)

left, right = st.columns([0.36, 0.64], gap="medium")


# --- the run -------------------------------------------------------------------------------------------------


def reset_run() -> None:
    """A "now try" on a new run starts that run again; anything else starts the chapter again."""
    if state.trying and not chapter.now_try.continue_run:
        start_now_try()
        state.playing = False
    else:
        open_chapter(state.chapter)


def main_view(run: LiveRun, snap, stage):
    fig = points.main_view(snap, show_arrows=True, stage=stage, height=MAIN_VIEW_MAX_PX)
    return point_at(fig, snap, chapter.look_at) if chapter.look_at in VIEW_PARTS else fig


def charts(run: LiveRun):
    fig = curves.training_charts(
        run.trainer.history.as_dict(), list(run.metrics_log), loss_output=run.trainer.loss.output, height=600
    )
    return fig if chapter.look_at in VIEW_PARTS else frame_panel(fig, chapter.look_at)


def status(run: LiveRun) -> list[str]:
    return [f"checkpoint **{run.stop_at:,}**"] if run.stop_at is not None else []


panel = LivePanel(
    state,
    PanelSpec(
        prefix=PREFIX,
        main_view=main_view,
        charts=charts,
        status=status,
        main_fit_min=MAIN_VIEW_MIN_PX,
        describe=lambda run, snap: words.describe_points(snap),
        describe_charts=lambda run: words.describe_curves(
            run.trainer.history.as_dict(), list(run.metrics_log), loss_output=run.trainer.loss.output
        ),
        reset=reset_run,
        reset_help="the same setup again from iteration 0",
    ),
)


def lock_prediction() -> None:
    state.predictions[chapter.slug] = st.session_state[prediction_key(chapter)]


prediction = state.predictions.get(chapter.slug)
with left:
    if prediction is None:
        st.radio(
            f"**Your prediction.** {chapter.question}",
            [c.text for c in chapter.choices],
            index=None,
            key=prediction_key(chapter),
            on_change=lock_prediction,
        )
        st.info("Make your prediction first: the run starts once you have chosen.", icon=":material/quiz:")
    else:  # locked once made: the run decides
        st.markdown(f"**Your prediction.** {chapter.question}\n\n> {prediction}")
    st.caption(f"**Look at** {LOOK_AT[chapter.look_at]}.")

with right:
    if prediction is not None:
        panel.controls()
        left_to_go = run.iterations_left
        if left_to_go:
            st.progress(
                1 - left_to_go / max(run.stop_at, 1),
                text=f"The live check reads this run at iteration {run.stop_at:,}: {left_to_go:,} to go.",
            )
    panel.live_view()


# --- the reveal and the "now try" ----------------------------------------------------------------------------


def take_reading() -> None:
    """At a checkpoint: read the run once (under `paused`: a download may be reading it too)."""
    if not run.at_checkpoint or state.playing:
        return
    with run.paused() as trainer:
        if state.trying and state.tried is None:
            state.tried = chapter.now_try.read(trainer, state.try_start)
        elif not state.trying and state.reading is None:
            state.reading = chapter.read(trainer, 0)


take_reading()
with left:
    if state.reading is not None:
        happened = chapter.choice_for(state.reading.outcome)
        right_answer = happened is not None and happened.text == prediction
        verdict = st.success if right_answer else st.warning
        verdict(
            f"**{'You were right.' if right_answer else 'Not what you predicted.'}** Measured on your run: "
            f"{state.reading.sentence}. "
            + (f"So: *{happened.text}*." if happened else "That is none of the choices: try Reset for a fresh run."),
            icon=":material/check_circle:" if right_answer else ":material/lightbulb:",
        )
        st.markdown(f"**Why.** {chapter.why}")
        if shown("now-try"):
            st.button(
                f"Now try: {chapter.now_try.label}",
                key=f"{PREFIX}now_try",
                on_click=start_now_try,
                icon=":material/science:",
                type="primary" if not state.trying else "secondary",
                wrap=True,  # a long variation is read whole, not cut short in a narrow column
            )
    if state.trying and state.tried is not None:
        as_expected = state.tried.outcome == chapter.now_try.expected
        (st.success if as_expected else st.warning)(
            f"**Now try: {chapter.now_try.label}.** Measured: {state.tried.sentence}. {chapter.now_try.watch}"
            + ("" if as_expected else " This run did not show it clearly: press Reset to try again."),
            icon=":material/science:",
        )
    if state.reading is not None and state.chapter + 1 < len(CHAPTERS):
        st.button(
            f"Next: chapter {state.chapter + 2}, {CHAPTERS[state.chapter + 1].title}",
            key=f"{PREFIX}next",
            on_click=open_chapter,
            args=(state.chapter + 1,),
            icon=":material/arrow_forward:",
        )

if shown("charts"):
    panel.charts()

link_builder(
    "course",
    "chapter",
    {str(i + 1): f"{i + 1}. {c.title}" for i, c in enumerate(CHAPTERS)},
    PARTS,
    current=str(state.chapter + 1),
)
