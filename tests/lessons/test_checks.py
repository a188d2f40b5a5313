"""Lesson checks keep their promises. The full check (every lesson, 5 seeds) is `python -m ganviz lessons --check`
(a few minutes); here the quickest lessons run on two fixed seeds each."""

import pytest

from ganviz.lessons.presets import PRESETS

FAST_LESSONS = ["vanishing-gradients", "mode-collapse"]  # about 3 and 5 s per seed on one core


@pytest.mark.slow  # trains each lesson's run for its full length
@pytest.mark.parametrize("name", FAST_LESSONS)
@pytest.mark.parametrize("offset", [0, 1])
def test_fast_lessons_keep_their_promise(name, offset):
    lesson = PRESETS[name]
    outcome = lesson.check(lesson.seed + offset)
    assert outcome["passed"], outcome["measured"]
    assert outcome["measured"] and all(isinstance(v, (int, float)) for v in outcome["measured"].values())
