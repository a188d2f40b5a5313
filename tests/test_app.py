"""AppTest: the home page and the router run without exceptions and show what they should."""
import json
import re
from pathlib import Path

import pytest
from support.pages import plotly_array
from streamlit.testing.v1 import AppTest

from ganviz.data import DATASETS
from ganviz.losses import LOSSES

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 30  # importing torch and scikit-learn on a cold start takes a few seconds


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
        assert loss.formula_d in body and loss.formula_g in body
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
