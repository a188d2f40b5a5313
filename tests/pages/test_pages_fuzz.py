"""Every page opened with hostile URL queries (at least 200 in all, some repeating a name): no exception, and on
the pages that read their link, each message about a value the link could not use is shown."""

import pytest
from streamlit.testing.v1 import AppTest

from ganviz.config import IMAGES, POINTS
from ganviz.lessons.presets import IMAGE_LESSONS, LESSONS, PRESETS
from ganviz.racing.comparisons import COMPARISONS
from pages._links import page_config_from_link, race_from_link
from support.hostile import HOSTILE_VALUES, hostile_queries
from support.pages import ROOT

PER_PAGE = 30  # 7 pages: 210 queries
CHECKED_LESSONS = {p.name: p for p in LESSONS} | IMAGE_LESSONS  # what a Compare link's lesson= may name
LINK_MESSAGES = {  # page -> its link read as the page reads it (pages/_links.py; `hide` is the page's own)
    "playground": lambda q: page_config_from_link(q, POINTS, PRESETS)[2],
    "mnist": lambda q: page_config_from_link(q, IMAGES, IMAGE_LESSONS)[2],
    "compare": lambda q: race_from_link(q, COMPARISONS, "default", CHECKED_LESSONS)[2],
}
PAGES = ["home", "playground", "mnist", "divergences", "dynamics", "latent", "compare"]


@pytest.mark.slow  # 210 page runs: about a minute
@pytest.mark.parametrize("page", PAGES)
def test_a_page_opened_with_hostile_queries_never_shows_an_exception(page):
    for i, query in enumerate(hostile_queries(PER_PAGE, seed=PAGES.index(page))):
        at = AppTest.from_file(str(ROOT / "pages" / f"{page}.py"), default_timeout=180)
        for name, value in query.items():
            at.query_params[name] = value
        if i % 4 == 0:  # a repeated name: a page reads its last value
            name = next(iter(query))
            at.query_params[name] = [HOSTILE_VALUES[i], query[name]]
        at.run()
        assert not at.exception, (query, [e.value for e in at.exception])
        if page in LINK_MESSAGES:
            shown = " | ".join(w.value for w in at.warning)
            for message in LINK_MESSAGES[page]({k: v for k, v in query.items() if k != "hide"}):
                assert message in shown, (query, message)
