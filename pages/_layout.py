"""The live pages' projector layout: the main view beside the curves, in one screen."""

from __future__ import annotations

import streamlit as st

STACK_CSS = """<style>
.st-key-KEY { container-type: inline-size; }
@container (max-width: WIDTHpx) {
  .st-key-KEY [data-testid="stHorizontalBlock"] { flex-direction: column; }
  .st-key-KEY [data-testid="stColumn"] { width: 100% !important; flex: 1 1 auto !important; }
}
</style>"""


def view_beside_curves(key: str, view_share: float, stack_below_px: int | None = None):
    """Two columns, the main view's (`view_share` of the page's width) and the curves'. Where the page is
    narrower than `stack_below_px` (a laptop's screen with the sidebar open), the curves go under the view
    instead: beside it they would be too narrow to read."""
    box = st.container(key=key)
    if stack_below_px is not None:
        st.html(STACK_CSS.replace("KEY", key).replace("WIDTH", str(stack_below_px)))
    return box.columns([view_share, 1 - view_share], gap="medium")
