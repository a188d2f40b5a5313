"""AppTest helpers shared by the page tests."""
import base64
import json

import numpy as np

from streamlit.testing.v1 import AppTest


def open_page(path: str, query: dict[str, str]) -> AppTest:
    """Run the page file at `path` once with `query` as its URL parameters; fails on any exception."""
    at = AppTest.from_file(path, default_timeout=180)
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, at.exception
    return at


def live_figures(at) -> dict[str, dict]:
    """The figures drawn with pages/_plotly_live.py, by element key: {key: plotly figure as a dict}."""
    return {e.key: json.loads(json.loads(e.proto.json)["spec"]) for e in at.get("bidi_component")
            if e.proto.component_name == "ganviz.plotly_live"}


def plotly_array(value, dtype=None) -> np.ndarray:
    """A trace's data array from Plotly JSON: a plain list, or a typed array {"bdata", "dtype"}."""
    if isinstance(value, dict) and "bdata" in value:
        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"]).astype(dtype or value["dtype"])
    return np.asarray(value, dtype=dtype)
