"""Links: the lesson a link names, kept or dropped with a message, the same way on every page."""

from ganviz import GANConfig
from ganviz.lessons.presets import PRESETS
from pages._links import config_from_link, lesson_from_link, race_from_link


def test_a_known_lesson_is_taken_out_of_the_link_and_named():
    params, messages = {"lesson": "mode-collapse", "lr_d": "0.01"}, []
    assert lesson_from_link(params, PRESETS, messages) == "mode-collapse"
    assert params == {"lr_d": "0.01"} and messages == []


def test_an_unknown_lesson_is_dropped_with_a_message_naming_the_lessons():
    params, messages = {"lesson": "nope"}, []
    assert lesson_from_link(params, PRESETS, messages) is None and params == {}
    assert messages[0].startswith("lesson 'nope' does not exist; choose one of: ") and "mode-collapse" in messages[0]


def test_a_page_link_with_an_unknown_lesson_opens_as_if_it_named_none():
    base = GANConfig(seed=4)
    config, lesson, messages = config_from_link({"lesson": "nope", "loss": "hinge"}, base, PRESETS)
    assert lesson is None and config == base.replace(loss="hinge") and "'nope' does not exist" in messages[0]


def test_a_compare_link_with_only_an_unknown_lesson_opens_the_default_comparison():
    config, name, messages = race_from_link({"lesson": "nope"}, {"default": None}, "default", PRESETS)
    assert config is None and name == "default" and "'nope' does not exist" in messages[0]
    config, name, _ = race_from_link({"lesson": "mode-collapse"}, {"default": None}, "default", PRESETS)
    assert name is None and config.runs == (PRESETS["mode-collapse"].config(),) * 2
