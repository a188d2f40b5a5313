"""A shared link opened as the first visit of a freshly started server runs its page through app.py.

Until some session has run `st.navigation`, Streamlit treats an app with a `pages/` folder as a legacy multipage
app: a page's URL runs that page's file alone, without app.py (no page titles in the sidebar but the folder's
file names, helpers included; no wide layout; no one-thread setting), and every later session too, until
someone opens the root URL. A teacher's shared link is exactly such a first visit. Every page therefore calls
`run_through_app()` first: where Streamlit is still in that legacy mode, it switches to app.py's navigation
(what `st.navigation` itself does, for every session) and runs the page again, now through app.py. The switch is
the server's, but a class opening a link at once has runs that started in the legacy mode before the first of
them switched it: each such run, found by Streamlit's legacy runner in its call stack, runs again too.
"""

from __future__ import annotations

import sys

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

LEGACY_RUNNER = "_mpa_v1"  # Streamlit's function that runs a page of the pages folder on its own


def run_by_the_legacy_mode() -> bool:
    """Whether this script run was started by Streamlit's legacy pages-folder mode (its runner is a caller)."""
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_name == LEGACY_RUNNER:
            return True
        frame = frame.f_back
    return False


def run_through_app() -> None:
    """Rerun through app.py when this page was run on its own, by Streamlit's legacy pages-folder mode."""
    if PagesManager.uses_pages_directory or run_by_the_legacy_mode():
        PagesManager.uses_pages_directory = False  # as st.navigation does: the pages folder is not the navigation
        st.rerun()
