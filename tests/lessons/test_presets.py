"""Lessons are presets with a fixed seed, a promise in numbers and a check; plain presets are just settings."""

import re

import pytest

from ganviz.config import GANConfig, setting_fields
from ganviz.lessons.presets import LESSONS, PRESETS

LESSON_NAMES = ["mode-collapse", "vanishing-gradients", "balance", "non-convergence", "wgan", "hinge-sn", "minibatch"]
SETTINGS = {f.name for f in setting_fields()}


def sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+(?=[A-Z])", text.strip()) if s]


def test_lessons_are_the_presets_with_a_check_in_order():
    assert [p.name for p in LESSONS] == LESSON_NAMES
    assert all(PRESETS[p.name] is p for p in LESSONS)
    assert {"ring8", "grid25"} <= set(PRESETS) - {p.name for p in LESSONS}  # the plain presets stay presets


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.name)
def test_every_lesson_is_complete(lesson):
    assert lesson.title and lesson.promise and callable(lesson.check)
    assert 2 <= len(sentences(lesson.watch)) <= 3, sentences(lesson.watch)
    assert re.search(r"\d", lesson.promise)  # a checkable claim names its numbers
    assert isinstance(lesson.seed, int) and lesson.seed >= 0
    assert isinstance(lesson.steps, int) and lesson.steps > 0
    assert set(lesson.overrides) <= SETTINGS and "seed" not in lesson.overrides


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.name)
def test_loading_a_lesson_sets_every_control(lesson):
    config = lesson.config()
    assert isinstance(config, GANConfig) and config.seed == lesson.seed
    # every setting is the default unless the lesson names it
    assert config.to_dict() == {**GANConfig().to_dict(), **lesson.overrides, "seed": lesson.seed}
    assert lesson.config(seed=lesson.seed + 7).seed == lesson.seed + 7


def test_plain_presets_are_unchanged():
    assert PRESETS["ring8"].config() == GANConfig(dataset="ring8")
    assert PRESETS["grid25"].config() == GANConfig(dataset="grid25", lr_d=5e-4, lr_g=5e-4)
    assert PRESETS["ring8"].check is None and PRESETS["grid25"].check is None
