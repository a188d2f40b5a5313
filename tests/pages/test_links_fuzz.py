"""Every page's link with hostile queries: never an exception, and each value that is not used as given is
reported in a message that names it."""

import pytest

from ganviz.config import IMAGES, POINTS, ConfigError, GANConfig, setting_fields
from ganviz.lessons.presets import IMAGE_LESSONS, PRESETS
from ganviz.racing.comparisons import COMPARISONS
from ganviz.values import coerce
from pages._links import page_config_from_link, race_from_link
from support.hostile import hostile_queries

QUERIES = 300  # per kind of page
FIELDS = {f.name: f for f in setting_fields()}


def used_as_given(config: GANConfig, name: str, raw: str) -> bool:
    try:
        return getattr(config, name) == coerce(FIELDS[name], raw)
    except ConfigError:
        return False


def assert_each_unused_value_reported(query: dict, config: GANConfig, messages: list[str], skip=()) -> None:
    said = " | ".join(messages)
    for name, raw in query.items():
        if name in skip or (name in FIELDS and used_as_given(config, name, raw)):
            continue
        assert any(mention in said for mention in (repr(name), f"{name}:", f"{name} ")), (query, name, messages)


@pytest.mark.parametrize(("domain", "lessons"), [(POINTS, PRESETS), (IMAGES, IMAGE_LESSONS)])
def test_a_page_link_never_fails_and_reports_each_value_it_does_not_use(domain, lessons):
    for query in hostile_queries(QUERIES, seed=len(domain)):
        config, lesson, messages = page_config_from_link(query, domain, lessons)
        assert isinstance(config, GANConfig) and config.domain == domain
        assert lesson is None or lesson in lessons
        # a lesson named in the link replaces the settings it does not name; "dataset" may be swapped for the page's
        assert_each_unused_value_reported(query, config, messages, skip={"lesson"} if lesson else ())


def test_a_compare_link_never_fails_and_reports_what_it_ignores():
    lessons = PRESETS | IMAGE_LESSONS
    for query in hostile_queries(QUERIES, seed=3):
        config, comparison, messages = race_from_link(query, COMPARISONS, "default", lessons)
        assert (config is None) != (comparison is None)
        if comparison is not None:
            assert comparison in COMPARISONS or comparison == "default"
            continue
        plain = {k: v for k, v in query.items() if "." not in k and k not in ("runs", "lesson", "comparison")}
        assert_each_unused_value_reported(plain, config.runs[0], messages)
