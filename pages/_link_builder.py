"""The teacher's link builder: pick a lesson (or chapter) and the controls to hide, copy the link or show its QR code.

Nothing is typed by hand: the choices become the page's own link words (`lesson=`, `chapter=`, `hide=`), which
the page reads back when the link is opened (see pages/_links.py), and presenter mode (`present=1`, app.py). The
QR code comes from segno, a maintained QR library, as a PNG.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

import segno
import streamlit as st

from pages._links import PRESENT, shareable_link


def qr_png(text: str, scale: int = 6) -> bytes:
    """`text` as a QR code PNG (error correction M: still readable from a projector at an angle)."""
    out = io.BytesIO()
    segno.make(text, error="m").save(out, kind="png", scale=scale, border=4)
    return out.getvalue()


def built_query(word: str, choice: str | None, hidden: Sequence[str], present: bool = False) -> dict[str, str]:
    """The link's query: `word=choice` (none for free play), `hide=` the hidden parts, in a stable order, and
    presenter mode if asked."""
    query = {word: choice} if choice else {}
    if hidden:
        query["hide"] = ",".join(sorted(hidden))
    if present:
        query[PRESENT] = "1"
    return query


def link_builder(
    page: str,
    word: str,
    options: Mapping[str, str],
    parts: Sequence[str],
    current: str | None = None,
    free_play: str | None = None,
) -> None:
    """An expander that builds a link to `page` (its URL path): `word` is one of `options` (value -> label; with
    `free_play`, a label for none), `hide=` any of `parts`. Shows the link (with a copy button) and its QR code."""
    key = f"link_{page}_"
    with st.expander("Share a link with your class", icon=":material/qr_code_2:"):
        values = ([""] if free_play else []) + list(options)
        labels = {"": free_play, **options}
        c = st.columns([0.5, 0.5]) if parts else [st.container()]
        choice = c[0].selectbox(
            "Open at",
            values,
            index=values.index(current) if current in values else 0,
            format_func=labels.get,
            key=key + "choice",
        )
        hidden = c[1].multiselect("Hide these controls", list(parts), key=key + "hide") if parts else []
        present = st.checkbox(
            "Presenter mode, for a projector: the sidebar folded and larger text",
            key=key + "present",
            help="Adds present=1 to the link. Open the sidebar with the arrow at its top left; opening another "
            "page from it leaves presenter mode.",
        )
        link = shareable_link(built_query(word, choice, hidden, present), f"/{page}")
        st.code(link, language=None)
        st.image(qr_png(link), caption="Scan to open this link", width=220)
        st.caption("The link opens a fresh run for each student; nobody's run is shared.")
