"""A clean server log: opening every page and playing, pausing and stepping the training pages logs no warning
and no traceback, so that a teacher who reads the log finds only real problems."""

import re

import pytest
from e2e.conftest import of_this_worker, serving_app
from e2e.waiting import wait_for_app_run

pytestmark = pytest.mark.browser

PAGES = ["/", "/playground", "/mnist?dataset=digits", "/divergences", "/dynamics", "/latent", "/compare"]
TRAINING_PAGES = ["/playground", "/mnist?dataset=digits", "/compare"]
NOISE = re.compile(r"warning|traceback|error|exception", re.IGNORECASE)


def test_every_page_played_paused_and_stepped_logs_no_warning_and_no_traceback(browser, artifacts):
    log = of_this_worker(artifacts / "clean-log.log")
    with serving_app(log) as (base, _):
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        for path in PAGES:
            page.goto(base + path, wait_until="domcontentloaded")
            wait_for_app_run(page)
        for path in TRAINING_PAGES:
            page.goto(base + path, wait_until="domcontentloaded")
            wait_for_app_run(page)
            page.get_by_role("button", name="Play").click()
            page.get_by_role("button", name="Pause").click()
            wait_for_app_run(page)
            page.get_by_role("button", name="Step", exact=True).click()
            wait_for_app_run(page)
        page.close()
    lines = log.read_text(errors="replace").splitlines()
    assert len(lines) >= 3 and "You can now view your Streamlit app" in "\n".join(lines)  # the log was written
    noisy = [line for line in lines if NOISE.search(line)]
    assert noisy == [], "\n".join(noisy[:20])
