"""AppTest: the home page and the router run without exceptions and show what they should; the values of the
widgets each page declares are kept across page switches."""

import json
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ganviz.config import IMAGES, POINTS, setting_names
from ganviz.data import DATASETS
from ganviz.losses import LOSSES
from pages._session import KEPT_WIDGETS
from support.pages import open_page, plotly_array

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 30  # importing torch and scikit-learn on a cold start takes a few seconds
VALUE_WIDGETS = ("slider", "number_input", "select_slider", "selectbox", "toggle", "text_input")


@pytest.fixture(scope="module")
def home():
    at = AppTest.from_file(str(ROOT / "pages" / "home.py"), default_timeout=TIMEOUT)
    at.run()
    return at


def test_home_runs_without_exception(home):
    assert not home.exception, [e.value for e in home.exception]


def test_home_shows_the_title(home):
    assert [t.value for t in home.title] == ["ganviz — see why GANs are hard"]


def test_home_gallery_has_one_panel_per_dataset(home):
    charts = home.get("plotly_chart")
    assert len(charts) == 1
    spec = json.loads(charts[0].proto.spec)
    kinds = [(t.get("meta") or {}).get("kind") for t in spec["data"]]
    samples = [t["meta"]["dataset"] for t in spec["data"] if t["meta"]["kind"] == "samples"]
    modes = [t["meta"]["dataset"] for t in spec["data"] if t["meta"]["kind"] == "modes"]
    assert set(kinds) == {"samples", "modes"}
    assert kinds.count("samples") == len(DATASETS)
    assert samples == list(DATASETS)
    assert sorted(modes) == sorted(name for name, ds in DATASETS.items() if ds.modes is not None)
    for trace in spec["data"]:
        if trace["meta"]["kind"] == "samples":
            assert len(plotly_array(trace["x"])) == len(plotly_array(trace["y"])) == 1500


def test_home_shows_one_formula_pair_per_loss(home):
    bodies = [el.value for el in home.latex]
    pairs = [b for b in bodies if r"\min_G\;" in b]
    assert len(pairs) == len(LOSSES)
    for loss, body in zip(LOSSES.values(), pairs):
        # D's objective is broken before its last term, so that a card on a 1366-pixel screen holds it
        assert body.count(r"\\") == 2 and r"] \\ & \qquad " in body
        assert loss.formula_d in body.replace(r"\\ & \qquad ", "") and loss.formula_g in body
    assert len(bodies) == len(LOSSES) + 1  # plus the minimax value V(D, G)
    assert any("V(D,G)" in b for b in bodies)


def test_home_shows_the_cli_commands(home):
    code = "\n".join(c.value for c in home.code)
    assert "python -m ganviz train --dataset ring8 --steps 5000 --seed 0" in code
    assert "python -m ganviz train --help" in code


def test_router_runs_without_exception():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert [t.value for t in at.title] == ["ganviz — see why GANs are hard"]


def test_home_points_to_every_other_page(home):
    """Each page registered in app.py (but Home) is named under 'Where to start'."""
    titles = re.findall(r'st\.Page\("pages/\w+\.py", title="([^"]+)"', (ROOT / "app.py").read_text())
    assert titles[0] == "Home" and len(titles) >= 5
    named = {m.value for m in home.markdown}
    for title in titles[1:]:
        assert f"**{title}** (in the sidebar)" in named, title


def test_each_page_is_found_by_its_file_name_and_runs_through_the_router():
    # a link opened first on a fresh server is looked up among pages/ by file name (see pages/_first_visit.py):
    # each page's address is its file's name, and each page reruns itself through app.py before drawing
    pages = re.findall(
        r'st\.Page\("pages/(\w+)\.py",[^\n]*?(?:url_path="(\w+)"|default=True)', (ROOT / "app.py").read_text()
    )
    assert len(pages) == len(list((ROOT / "pages").glob("[!_]*.py"))) >= 7
    for name, url_path in pages:
        assert url_path in (name, ""), (name, url_path)
        first_call = re.search(r"^(\w+)\(", (ROOT / "pages" / f"{name}.py").read_text(), re.M)
        assert first_call and first_call.group(1) == "run_through_app", name


def keep_script():
    """A page that declares one widget kept, and a second page run (show=False) that does not draw it."""
    from dataclasses import dataclass

    import streamlit as st

    from pages._session import keep_widget_values, page_state

    keep_widget_values()  # what the router does at the top of every run

    @dataclass
    class KeepingState:
        @classmethod
        def kept_widgets(cls):
            return ("kept",)

    page_state(KeepingState)
    if st.session_state.get("show", True):
        st.slider("kept", 0, 10, key="kept")
        st.slider("forgotten", 0, 10, key="forgotten")


def test_declared_widgets_keep_their_values_while_another_page_is_shown():
    at = AppTest.from_function(keep_script, default_timeout=TIMEOUT)
    at.run()
    at.slider(key="kept").set_value(7)
    at.slider(key="forgotten").set_value(7).run()
    at.session_state["show"] = False  # "another page": neither slider is drawn
    at.run()
    at.session_state["show"] = True
    at.run()
    assert not at.exception
    assert at.slider(key="kept").value == 7 and at.slider(key="forgotten").value == 0  # Streamlit forgot this one


@pytest.mark.parametrize(
    ("page", "prefix", "domain", "query"),
    [
        ("playground.py", "pg_", POINTS, {}),
        ("mnist.py", "mn_", IMAGES, {"dataset": "digits"}),
    ],
)
def test_the_training_pages_declare_every_settings_widget_kept(page, prefix, domain, query, tmp_path, monkeypatch):
    monkeypatch.setenv("GANVIZ_CACHE_DIR", str(tmp_path))
    at = open_page(str(ROOT / "pages" / page), query)
    kept = at.session_state[KEPT_WIDGETS]
    drawn = {w.key for kind in VALUE_WIDGETS for w in at.get(kind)}
    settings = {k for k in drawn if k.startswith(f"{prefix}w_")}
    assert settings == {f"{prefix}w_{n}" for n in setting_names(domain)} and settings <= kept
    assert {f"{prefix}lesson", f"{prefix}speed"} <= kept
    assert not {b.key for b in at.button} & kept  # buttons refuse assigned values: never declared
