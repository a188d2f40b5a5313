"""The live panel every training page shares: playback, the live view, the curves, time travel, downloads.

A page keeps a `LiveState` (its run, whether it plays, the moment shown) and describes itself in a small
`PanelSpec`: what its main view draws, its curves, what its status line adds, which step buttons and
downloads it offers. `LivePanel(state, spec)` then draws the pieces where the page calls them:
`controls()` (play / pause, steps, reset, speed, slow motion), `live_view()` (the divergence banner, then a
timer fragment that trains and redraws while playing: status line and main view), `charts()` (a slower
fragment), `time_travel()` and `downloads()`. The engine takes numbers: the speed's labels live here.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field

import streamlit as st

from ganviz.data.images import load_images
from ganviz.io import checkpoints
from ganviz.live.run import LiveRun
from ganviz.live.turns import TURN_S
from ganviz.live.walkthrough import STAGE_KEYS
from pages._plotly_live import MAIN_VIEW, NO_MODEBAR, plotly_live
from pages._session import lend_run

SPEEDS = {  # label -> iterations per frame (None: as many as the frame's time budget allows)
    "1 iteration / frame": 1,
    "10 iterations / frame": 10,
    "100 iterations / frame": 100,
    "full speed": None,
}
FULL_SPEED = "full speed"
STEPS = {  # which -> (label, key, help)
    "iteration": ("Step", "step", "one iteration: k_D discriminator steps, then k_G generator steps"),
    "d": ("Step D", "step_d", "one discriminator step only"),
    "g": ("Step G", "step_g", "one generator step only"),
}


@dataclass
class LiveState:
    """What every live page keeps of its run; a page's own state class adds its fields."""

    run: LiveRun | None = None
    playing: bool = False
    travel: int | None = None  # the recorded moment shown (an index into run.store); None: the newest
    link_messages: list[str] = field(default_factory=list)  # what the link asked for that could not be
    error: str | None = None  # a callback's error, shown once by the next run

    def show_error(self) -> None:
        if self.error:
            st.error(self.error)
            self.error = None


@dataclass(frozen=True)
class Download:
    """A download button: `data(run)` is read under `run.paused()` when the button is pressed."""

    label: str
    data: Callable[[LiveRun], bytes | str]
    file_name: str
    mime: str
    name: str  # key suffix
    needs_records: bool = False  # off until the run has a recorded moment


@dataclass(frozen=True)
class PanelSpec:
    """How a page's live panel looks. `main_view(run, snapshot, stage)` -> the main figure; `above_charts(run,
    snapshot)` draws above the curves, redrawn with them (optional); `header(run, stage)` above the status line
    (optional);
    `charts(run)` -> the curves' figure (read under `run.paused()`); `status(run)` -> the status line's
    page-specific parts; `reset()` starts the page's run again. `describe(run, snapshot)` and
    `describe_charts(run)` (optional) put the main view and the curves in words, shown as text under each."""

    prefix: str  # every widget key of the panel starts with it
    main_view: Callable
    charts: Callable
    status: Callable[[LiveRun], list[str]]
    reset: Callable[[], None]
    frame_s: float = 0.25  # redraw period while playing (workers train on in between)
    charts_every_s: float = 2.0  # the curves change slowly; each redraw costs the browser ~50 ms
    charts_caption: str = ""
    steps: tuple[str, ...] = ("iteration",)  # keys of STEPS
    slow_motion: bool = False
    reset_help: str = "new networks, same settings and seed"
    header: Callable | None = None
    above_charts: Callable | None = None  # for views of the metrics, which change as often as the curves
    downloads: tuple[Download, ...] = ()
    upload_mb: int | None = None  # accept weights files up to this size; None: no upload
    main_fit_min: int | None = None  # fit the main view to the window's height, down to this many px
    describe: Callable | None = None  # (run, snapshot drawn) -> sentences (ganviz.figures.words)
    describe_charts: Callable | None = None  # (run) -> sentences, read under `run.paused()` like `charts`


def panel_widget_keys(prefix: str, slow_motion: bool = False) -> tuple[str, ...]:
    """The panel's value widgets, which a page keeps across page switches (`kept_widgets`)."""
    return (f"{prefix}speed", *([f"{prefix}slow"] if slow_motion else []))


def install_run(state: LiveState, make_run: Callable[[], LiveRun], lend_as: str | None = None, points=None) -> None:
    """Make the page's run `make_run()` (it may raise; then nothing changes), stop the old one's workers (they
    would train on), start paused at the newest moment, and lend the run to other pages as `lend_as`."""
    run = make_run()
    if state.run is not None:
        state.run.stop()
    state.run, state.playing, state.travel = run, False, None
    if lend_as is not None:
        lend_run(lend_as, run, points)


def load_images_with_progress(name: str):
    """`load_images(name)` with a progress bar while MNIST downloads (the first time only)."""
    bar = st.progress(0.0, text=f"Getting {name}…")

    def progress(done: int, total: int | None, file_name: str) -> None:
        bar.progress(min(done / total, 1.0) if total else 0.0, text=f"Downloading {file_name}: {done / 1e6:.1f} MB")

    try:
        return load_images(name, progress=progress)
    finally:
        bar.empty()


class LivePanel:
    def __init__(self, state: LiveState, spec: PanelSpec):
        self.state, self.spec = state, spec

    def key(self, name: str) -> str:
        return self.spec.prefix + name

    @property
    def slow(self) -> bool:
        return self.spec.slow_motion and bool(st.session_state.get(self.key("slow"), False))

    # --- playback ------------------------------------------------------------------------------------------

    def _leave_time_travel(self) -> None:
        self.state.travel = None

    def _set_playing(self, playing: bool) -> None:
        """Play or Pause, as the button said when it was pressed (so a click delivered twice does not undo
        itself); pausing records the moment."""
        self._leave_time_travel()
        if playing != self.state.playing:
            self.state.playing = playing
            if not playing:
                self.state.run.record_now()

    def _pause(self) -> None:
        if self.state.playing:
            self.state.playing = False
            self.state.run.record_now()

    def _step(self, which: str) -> None:
        self._leave_time_travel()
        self._pause()
        self.state.run.step(which)

    def _next_stage(self) -> None:
        run = self.state.run
        self._leave_time_travel()
        self._pause()
        if run.stages and run.stage_index < len(run.stages) - 1:
            run.stage_index += 1
        else:
            run.walk()

    def _slow_changed(self) -> None:
        if st.session_state[self.key("slow")]:
            self._pause()

    def controls(self) -> None:
        """Play / Pause, the step buttons, Reset, the speed and (where offered) slow motion."""
        state, spec, run = self.state, self.spec, self.state.run
        can_train = run.trainer.can_train
        widths = [1.2, *[1] * len(spec.steps), 1, 2.2, *([1.6] if spec.slow_motion else [])]
        cols = st.columns(widths)
        cols[0].button(
            "Pause" if state.playing else "Play",
            key=self.key("play"),
            on_click=self._set_playing,
            args=(not state.playing,),
            type="primary",
            icon=":material/pause:" if state.playing else ":material/play_arrow:",
            disabled=self.slow or (not can_train and not state.playing) or (run.at_checkpoint and not state.playing),
            width="stretch",
        )
        for col, which in zip(cols[1:], spec.steps):
            label, key, help_text = STEPS[which]
            if run.is_race:
                help_text = "one iteration of every run"
            col.button(
                label,
                key=self.key(key),
                on_click=self._step,
                args=(which,),
                help=help_text,
                disabled=not can_train,
                width="stretch",
            )
        n = 1 + len(spec.steps)
        cols[n].button("Reset", key=self.key("reset"), on_click=spec.reset, help=spec.reset_help, width="stretch")
        st.session_state.setdefault(self.key("speed"), FULL_SPEED)  # kept across pages: no value= (see _session)
        cols[n + 1].select_slider("speed", list(SPEEDS), key=self.key("speed"), label_visibility="collapsed")
        if spec.slow_motion:
            cols[n + 2].toggle(
                "slow motion",
                key=self.key("slow"),
                on_change=self._slow_changed,
                help="walk through one iteration stage by stage",
            )
        if self.slow:
            last = not run.stages or run.stage_index >= len(run.stages) - 1
            st.button(
                "Next iteration, stage by stage" if last else "Next stage",
                key=self.key("next_stage"),
                on_click=self._next_stage,
                icon=":material/slow_motion_video:",
            )

    # --- the live view -------------------------------------------------------------------------------------

    def status(self) -> str:
        """iteration · what moved (updates, or runs and their workers) · the page's parts · device."""
        run = self.state.run
        t = run.trainer
        if run.is_race:
            workers = len(run.workers)
            moved = [f"{len(t.runs)} runs"] + (
                [f"{workers} worker process{'es' if workers > 1 else ''}"] if workers else []
            )
        else:
            moved = [f"D updates {t.d_updates:,}", f"G updates {t.g_updates:,}"]
        return " · ".join(
            [f"iteration **{t.iteration:,}**", *moved, *self.spec.status(run), f"device **{t.device.type}**"]
            + self._turns(run)
        )

    def _turns(self, run) -> list[str]:
        """Where a playing run stands when more sessions want to train than the server has slots for."""
        if not (self.state.playing and run.background):
            return []
        standing = run.standing()
        others = f"{standing.sessions_training} training, {standing.slots} at a time on this server"
        if not standing.training and standing.place:
            return [f"**waiting for a training slot: {standing.place} in line** ({others})"]
        if standing.sessions_waiting:
            return [f"**training in turns of {TURN_S:g} s** ({standing.sessions_waiting} waiting, {others})"]
        return []

    def shown_snapshot(self):
        """The newest snapshot, or the recorded moment time travel shows (only while paused)."""
        state, run = self.state, self.state.run
        if state.travel is not None and not state.playing and state.travel < len(run.store) - 1:
            return run.store.snapshot_at(state.travel)
        return run.snapshot

    def _divergence_banner(self) -> None:
        """What stopped the run, and the ways on. Drawn outside the live fragment: its buttons must redraw the
        whole page (Play turns back on), and a button inside a fragment reruns only the fragment."""
        run = self.state.run
        divergence = run.trainer.divergence
        if divergence is None:
            if not run.trainer.can_train:
                st.warning(
                    "Every run has diverged. Change their settings (lower learning rates, another loss) "
                    "to train again.",
                    icon=":material/warning:",
                )
            return
        st.error(divergence.message, icon=":material/warning:")
        if run.is_race:
            st.button(
                f"Continue the other runs without run {divergence.run}",
                key=self.key("continue"),
                on_click=run.restore_last_good,
            )
            return
        c = st.columns(2)
        c[0].button(
            f"Continue from iteration {run.iteration:,}, the last finite state",
            key=self.key("restore"),
            on_click=run.restore_last_good,
        )
        if len(run.store):
            c[1].button(
                f"Go back to iteration {run.store.iterations()[-1]:,}, the last recorded moment",
                key=self.key("restore_recorded"),
                on_click=run.resume_from,
                args=(len(run.store) - 1,),
            )

    def _frame(self) -> None:
        state, spec, run = self.state, self.spec, self.state.run
        if state.playing:
            run.tick(spec.frame_s, SPEEDS[st.session_state.get(self.key("speed"), FULL_SPEED)])
            if not run.trainer.can_train:  # it diverged while playing
                state.playing = False
                st.rerun()  # the whole page: the banner, and Play instead of Pause
            if run.at_checkpoint:  # the page's checkpoint (`run.stop_at`): pause there, and redraw the whole page
                self._pause()
                st.rerun()
        stage = run.stages[run.stage_index] if run.stages else None
        if spec.header is not None:
            spec.header(run, stage)
        snap = self.shown_snapshot()
        st.markdown(self.status())
        if stage is not None:
            st.info(
                f"**Stage {STAGE_KEYS.index(stage.key) + 1} of {len(STAGE_KEYS)} — {stage.title}.** "
                f"{stage.explanation}",
                icon=":material/slow_motion_video:",
            )
        figure = spec.main_view(run, snap, stage)
        plotly_live(figure, key=self.key("main"), role=MAIN_VIEW, config=NO_MODEBAR, fit_min=spec.main_fit_min)
        if spec.describe is not None:  # text, so screen readers and printouts get the figure too
            drawn = stage.snapshot if stage is not None and stage.snapshot is not None else snap
            st.caption(spec.describe(run, drawn))

    def live_view(self) -> None:
        """The view, redrawn every `frame_s` while playing (a fragment: the rest of the page stays)."""
        self._divergence_banner()

        @st.fragment(run_every=self.spec.frame_s if self.state.playing else None)
        def live_view_frame() -> None:
            self._frame()

        live_view_frame()

    def charts(self) -> None:
        """The curves, redrawn every `charts_every_s` while playing."""

        @st.fragment(run_every=self.spec.charts_every_s if self.state.playing else None)
        def charts_frame() -> None:
            run = self.state.run
            if self.spec.above_charts is not None:
                self.spec.above_charts(run, self.shown_snapshot())
            with run.paused():  # a download may be reading the run on another thread
                figure = self.spec.charts(run)
                words = self.spec.describe_charts(run) if self.spec.describe_charts is not None else ""
            plotly_live(figure, key=self.key("charts"))
            if words:
                st.caption(words)
            if self.spec.charts_caption:
                st.caption(self.spec.charts_caption)

        charts_frame()

    # --- time travel, downloads ----------------------------------------------------------------------------

    def time_travel(self) -> None:
        """A slider over the recorded moments (the view shows the one picked) and a Resume button."""
        state, run = self.state, self.state.run
        iterations = run.store.iterations()
        if state.playing:
            st.caption("Pause to scrub through the recorded moments.")
            return
        if len(iterations) < 2:
            st.caption("Train a little first: moments are recorded as the run goes.")
            return
        latest = len(iterations) - 1
        # A new key whenever a moment is recorded: the slider starts again at the newest one.
        key = self.key(f"travel_{len(iterations)}_{iterations[-1]}")

        def travel_to() -> None:
            state.travel = st.session_state[key]

        def resume_here() -> None:
            run.resume_from(state.travel)
            state.travel = None

        index = st.select_slider(
            "recorded iteration",
            list(range(len(iterations))),
            value=latest,
            format_func=lambda i: f"{iterations[i]:,}",
            key=key,
            on_change=travel_to,
        )
        if index < latest:
            st.button(
                f"Resume training from iteration {iterations[index]:,}",
                key=self.key("resume"),
                on_click=resume_here,
                help="later moments are discarded",
            )
        st.caption(
            f"{len(iterations)} moments kept (every {run.store.gap} iterations or more; older ones are "
            "thinned so memory stays bounded)."
        )

    def _read(self, download: Download):
        run = self.state.run
        with run.paused():
            return download.data(run)

    def downloads(self) -> None:
        """The spec's download buttons (each read under `run.paused()`) and, where offered, a weights upload."""
        run = self.state.run
        for col, d in zip(st.columns(len(self.spec.downloads)), self.spec.downloads):
            col.download_button(
                d.label,
                functools.partial(self._read, d),
                d.file_name,
                d.mime,
                key=self.key(f"dl_{d.name}"),
                on_click="ignore",  # a download changes nothing on the page: no rerun to wait for
                disabled=d.needs_records and len(run.store) == 0,
            )
        if self.spec.upload_mb is not None:
            self._weights_upload(self.spec.upload_mb)

    def _weights_upload(self, max_mb: int) -> None:
        """Upload a weights file saved by ganviz into the run (checked first; never unpickled)."""
        run = self.state.run
        weights = st.file_uploader(
            "Load weights saved by ganviz (.pt; the networks must match)",
            type=["pt"],
            key=self.key("weights_upload"),
            max_upload_size=max_mb,
        )
        if weights is not None and st.button("Load these weights", key=self.key("load_weights")):
            try:
                with run.paused() as t:
                    checkpoints.load_weights(t, weights.getvalue())
                run.record_now()
                st.success(f"Loaded {weights.name}.")
            except checkpoints.WeightsError as e:
                st.error(f"{weights.name}: {e}")
