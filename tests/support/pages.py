"""AppTest helpers shared by the page tests."""

import base64
import json
from pathlib import Path

import numpy as np
from streamlit.testing.v1 import AppTest

from pages._session import LENT_RUNS

ROOT = Path(__file__).resolve().parents[2]  # the repository


def open_page(path: str, query: dict[str, str]) -> AppTest:
    """Run the page file at `path` once with `query` as its URL parameters; fails on any exception."""
    at = AppTest.from_file(path, default_timeout=180)
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, at.exception
    return at


def page_state_of(at: AppTest, class_name: str):
    """The page's state object (pages/_session.py `page_state`) of the class named `class_name`."""
    (state,) = [
        at.session_state[k]
        for k in at.session_state
        if str(k).startswith("page_state:") and str(k).endswith(f".{class_name}")
    ]
    return state


def lent_runs(at: AppTest) -> dict:
    """The runs the pages lent in the test's session (what `borrowable_runs()` returns there), by page title."""
    return dict(at.session_state[LENT_RUNS]) if LENT_RUNS in at.session_state else {}


def query_of(at: AppTest) -> dict[str, str]:
    """The page's URL query, one value per name."""
    return {k: (v[0] if isinstance(v, list) else v) for k, v in ((k, at.query_params[k]) for k in at.query_params)}


def live_figures(at) -> dict[str, dict]:
    """The figures drawn with pages/_plotly_live.py, by element key: {key: plotly figure as a dict}."""
    return {
        e.key: json.loads(json.loads(e.proto.json)["spec"])
        for e in at.get("bidi_component")
        if e.proto.component_name == "ganviz.plotly_live"
    }


def live_roles(at) -> dict[str, str | None]:
    """The role each live figure declares (e.g. "main-view"), by element key."""
    return {
        e.key: json.loads(e.proto.json).get("role")
        for e in at.get("bidi_component")
        if e.proto.component_name == "ganviz.plotly_live"
    }


def plotly_array(value, dtype=None) -> np.ndarray:
    """A trace's data array from Plotly JSON: a plain list, or a typed array {"bdata", "dtype"}."""
    if isinstance(value, dict) and "bdata" in value:
        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"]).astype(dtype or value["dtype"])
    return np.asarray(value, dtype=dtype)


def blocks(node):
    """`node` and every block inside it, depth first."""
    yield node
    for child in getattr(node, "children", {}).values():
        if hasattr(child, "children"):
            yield from blocks(child)


def caption_under(at, key: str) -> str:
    """The text right after the element `key` in its block: what a screen reader reads after the figure."""
    for block in blocks(at.main):
        children = [block.children[i] for i in sorted(block.children)]
        for element, after in zip(children, children[1:]):
            if getattr(element, "key", None) == key:
                assert after.type == "caption", f"{key} is followed by a {after.type}, not a caption"
                return after.value
    raise AssertionError(f"no element {key!r} on the page")
