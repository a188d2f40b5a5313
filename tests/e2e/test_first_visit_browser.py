"""A shared link opened as the very first visit of a freshly started server shows the real app: the page titles
in the sidebar (not the pages folder's file names), the wide layout, no "Page not found" modal and no error;
and the sessions after it too."""

import pytest
from e2e.conftest import of_this_worker, serving_app
from e2e.waiting import wait_for_app_run
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

TITLES = ["Home", "Course", "2D playground", "Digits (MNIST)", "Divergences", "Dynamics", "Latent", "Compare"]
FIRST_VISITS = {  # a link -> the heading its page shows
    "/": "ganviz — see why GANs are hard",
    "/course?chapter=2": "Chapter 2 of 9: Saturating vs non-saturating: vanishing gradients",
    "/playground?loss=hinge": "2D playground",
    "/mnist?dataset=digits": "Digits",
    "/divergences": "Divergences",
    "/dynamics": "Dynamics",
    "/latent": "Latent",
    "/compare?runs=2&B.loss=wgan-gp": "Compare runs",
}
WIDE = 1000  # pixels of content at 1366 wide: app.py's wide layout (Streamlit's centred one gives ~740)


def shows_the_app(page, heading: str) -> None:
    page.locator("[data-testid='stAppViewContainer']").wait_for(state="attached")
    wait_for_app_run(page)
    expect(page.locator("h1").first).to_have_text(heading)
    nav = [t.split("\n")[-1].strip() for t in page.locator("[data-testid='stSidebarNav'] a").all_inner_texts()]
    assert nav == TITLES, nav
    width = page.evaluate("() => document.querySelector(\"[data-testid='stMainBlockContainer']\").clientWidth")
    assert width > WIDE, width
    expect(page.get_by_text("Page not found")).to_have_count(0)
    expect(page.locator("[data-testid='stException']")).to_have_count(0)


def test_every_link_opened_first_on_a_fresh_server_shows_the_app(browser, artifacts):
    """Every page's link is a first visit: all are opened at once on a freshly started server, each within a
    second, while the server's first script run (importing torch and the rest: seconds) has not yet reached
    any page's code. A page whose first run went around app.py would show the folder's file names."""
    log = of_this_worker(artifacts / "first-visit.log")
    with serving_app(log) as (base, _):
        tabs = {}
        for link in FIRST_VISITS:
            tabs[link] = browser.new_page(viewport={"width": 1366, "height": 768})
            tabs[link].goto(base + link, wait_until="commit")
        for link, tab in tabs.items():
            shows_the_app(tab, FIRST_VISITS[link])
        later = browser.new_page(viewport={"width": 1366, "height": 768})  # a session after them all
        later.goto(base + "/dynamics", wait_until="domcontentloaded")
        shows_the_app(later, "Dynamics")
        for tab in [*tabs.values(), later]:
            tab.close()
    assert "Traceback" not in log.read_text(errors="replace")  # e.g. a deadlock of concurrent first imports
