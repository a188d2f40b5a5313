"""AppTest of the course page: the chapter from the link, the prediction before the run, the reading at the
checkpoint against the run's own samples, the "now try", the next chapter, hidden parts."""

from pathlib import Path

import numpy as np
import pytest

from ganviz.course import CHAPTERS
from support.pages import live_figures, open_page, page_state_of, query_of

PAGE = str(Path(__file__).resolve().parents[2] / "pages" / "course.py")
COLLAPSE = next(i for i, c in enumerate(CHAPTERS) if c.slug == "mode-collapse")


def page(**query):
    return open_page(PAGE, query)


def state_of(at):
    return page_state_of(at, "CourseState")


def warnings(at) -> str:
    return " ".join(w.value for w in at.warning)


def predict(at, choice: int = 0):
    at.radio[0].set_value(at.radio[0].options[choice]).run()
    assert not at.exception, at.exception


def reach_checkpoint(at, iterations: int = 3):
    """Bring the checkpoint forward and Step to it (the reading is the same code at any iteration)."""
    state_of(at).run.stop_at = state_of(at).run.iteration + iterations
    for _ in range(iterations):
        at.button(key="co_step").click().run()
    assert not at.exception, at.exception


def test_the_course_opens_at_chapter_one_with_its_run_at_the_checkpoint_setup():
    at = page()
    state = state_of(at)
    assert state.chapter == 0 and at.title[0].value.startswith(f"Chapter 1 of {len(CHAPTERS)}: ")
    assert state.run.config == CHAPTERS[0].config() and state.run.stop_at == CHAPTERS[0].steps
    assert query_of(at) == {"chapter": "1"}
    assert len(at.latex) == 1 and set(live_figures(at)) == {"co_main", "co_charts"}


@pytest.mark.slow  # several page runs: several seconds
def test_a_link_opens_its_chapter_and_bad_links_say_what_is_wrong():
    at = page(chapter=str(COLLAPSE + 1))
    assert state_of(at).chapter == COLLAPSE and state_of(at).run.config == CHAPTERS[COLLAPSE].config()
    for bad in ("0", "99", "three", ""):
        at = page(chapter=bad)
        assert state_of(at).chapter == 0 and "does not exist" in warnings(at)
    at = page(chapter="2", lr_d="5", hide="charts,nothing")
    assert "'lr_d' is not something a course link sets" in warnings(at) and "'nothing' is not a part" in warnings(at)
    assert state_of(at).hidden == {"charts"} and "co_charts" not in live_figures(at)


@pytest.mark.slow  # several page runs: several seconds
def test_the_run_waits_for_a_prediction_and_the_prediction_is_then_locked():
    at = page(chapter=str(COLLAPSE + 1))
    assert "co_play" not in [b.key for b in at.button] and "Make your prediction first" in at.info[0].value
    predict(at, 2)
    assert at.button(key="co_play").label == "Play"
    assert not at.radio and CHAPTERS[COLLAPSE].choices[2].text in " ".join(m.value for m in at.markdown)
    at.button(key="co_step").click().run()  # a rerun keeps the prediction
    assert state_of(at).predictions == {"mode-collapse": CHAPTERS[COLLAPSE].choices[2].text}


def test_at_the_checkpoint_the_reveal_reads_the_run_and_judges_the_prediction():
    at = page(chapter=str(COLLAPSE + 1))
    predict(at, 2)  # "1 or 2 modes hold almost every sample"
    reach_checkpoint(at)
    state = state_of(at)
    reading = state.reading
    # The sentence against the run's own samples, counted here: nearest mode of each sample.
    t = state.run.trainer
    x, modes = t.sample(), t.domain.dataset.modes
    shares = np.bincount(((x[:, None] - modes[None]) ** 2).sum(-1).argmin(1), minlength=len(modes)) / len(x)
    top2 = np.sort(shares)[-2:].sum()
    assert f"hold {top2:.0%} of its samples" in reading.sentence
    assert f"at iteration {t.iteration:,}" in reading.sentence
    happened = CHAPTERS[COLLAPSE].choice_for(reading.outcome)
    right = happened is not None and happened.text == CHAPTERS[COLLAPSE].choices[2].text
    shown = " ".join(a.value for a in (*at.success, *at.warning))
    assert ("You were right." if right else "Not what you predicted.") in shown and reading.sentence in shown
    assert at.button(key="co_play").disabled  # nothing more to play until the "now try"


@pytest.mark.slow  # several page runs: several seconds
def test_now_try_starts_its_run_playing_and_reads_it_at_its_own_checkpoint():
    at = page(chapter=str(COLLAPSE + 1))
    predict(at)
    reach_checkpoint(at)
    at.button(key="co_now_try").click().run()
    state = state_of(at)
    assert state.trying and state.playing and state.run.config == CHAPTERS[COLLAPSE].now_try_config()
    assert state.run.stop_at == CHAPTERS[COLLAPSE].now_try.steps
    at.button(key="co_play").click().run()  # pause
    reach_checkpoint(at, 2)
    tried = state_of(at).tried
    assert tried is not None and f"Measured: {tried.sentence}" in " ".join(a.value for a in (*at.success, *at.warning))


@pytest.mark.slow  # several page runs: several seconds
def test_a_continued_now_try_switches_the_setting_on_the_same_run():
    index = next(i for i, c in enumerate(CHAPTERS) if c.now_try.continue_run)
    at = page(chapter=str(index + 1))
    predict(at)
    reach_checkpoint(at)
    before = state_of(at).run
    at.button(key="co_now_try").click().run()
    state = state_of(at)
    changes = CHAPTERS[index].now_try.changes
    assert state.run is before and all(getattr(state.run.config, k) == v for k, v in changes.items())
    assert state.try_start == 3 and state.run.stop_at == 3 + CHAPTERS[index].now_try.steps


@pytest.mark.slow  # several page runs: several seconds
def test_next_chapter_moves_on_and_the_link_follows():
    at = page()
    predict(at)
    reach_checkpoint(at)
    at.button(key="co_next").click().run()
    assert state_of(at).chapter == 1 and query_of(at) == {"chapter": "2"}
    assert state_of(at).reading is None and state_of(at).run.iteration == 0


@pytest.mark.parametrize("part, key", [("chapters", "co_go_0"), ("now-try", "co_now_try")])
def test_a_link_hides_parts_of_the_page(part, key):
    at = page(hide=part)
    predict(at)
    reach_checkpoint(at)
    assert key not in [b.key for b in at.button]
    assert query_of(at) == {"chapter": "1", "hide": part}
