"""The model strip: boxes for z, G, D, the data and the loss, the stage's boxes lit, the numbers written in."""

import pytest

from ganviz.figures.overview import HIGHLIGHT_FILL, OVERVIEW_BOXES, STAGE_BOXES, model_overview
from ganviz.live.walkthrough import STAGE_KEYS

# --- model_overview -------------------------------------------------------------------------

OVERVIEW = dict(
    noise_dim=2,
    noise="gaussian",
    g_desc="2×64 ReLU",
    d_desc="2×32 ReLU",
    loss_title="Non-saturating",
    d_steps=2,
    g_steps=1,
)


def lit_boxes(fig):
    return {s.name for s in fig.layout.shapes if s.fillcolor == HIGHLIGHT_FILL}


def test_every_stage_lights_known_boxes():
    assert set(STAGE_BOXES) == set(STAGE_KEYS)
    assert all(set(boxes) <= set(OVERVIEW_BOXES) and boxes for boxes in STAGE_BOXES.values())


@pytest.mark.parametrize("key", STAGE_KEYS)
def test_overview_highlights_exactly_the_stage_boxes(key):
    fig = model_overview(**OVERVIEW, stage_key=key)
    assert lit_boxes(fig) == set(STAGE_BOXES[key])
    lit = [s for s in fig.layout.shapes if s.name in STAGE_BOXES[key]]
    assert all(s.line.width > 1 for s in lit)


def test_overview_without_stage_highlights_nothing_and_rejects_unknown_stages():
    fig = model_overview(**OVERVIEW)
    assert lit_boxes(fig) == set()
    assert {s.name for s in fig.layout.shapes} == set(OVERVIEW_BOXES)
    with pytest.raises(ValueError, match="unknown stage"):
        model_overview(**OVERVIEW, stage_key="nope")


def test_overview_shows_the_model_and_the_numbers():
    fig = model_overview(**{**OVERVIEW, "d_steps": 3}, loss_d=1.23456, loss_g=0.5, d_real=0.8, d_fake=0.25)
    text = " ".join(a.text for a in fig.layout.annotations)
    assert "losses: D 1.235, G 0.500" in text
    assert "D(x) 0.800" in text and "D(G(z)) 0.250" in text
    assert "k<sub>D</sub> : k<sub>G</sub> = 3 : 1" in text
    assert "ℝ<sup>2</sup>" in text and "N(0, I)" in text
    assert "2×64 ReLU" in text and "2×32 ReLU" in text and "Non-saturating" in text
    assert "G(z)" in text and "real data" in text
    empty = " ".join(a.text for a in model_overview(**OVERVIEW).layout.annotations)
    assert "losses: D –, G –" in empty


def test_overview_has_no_axes_and_a_transparent_background():
    fig = model_overview(**OVERVIEW, height=150)
    assert len(fig.data) == 0
    assert fig.layout.xaxis.visible is False and fig.layout.yaxis.visible is False
    assert fig.layout.paper_bgcolor == "rgba(0,0,0,0)" and fig.layout.plot_bgcolor == "rgba(0,0,0,0)"
    assert fig.layout.height == 150
