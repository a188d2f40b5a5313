"""Highlights point at the right place: the argmax of D's surface, the centre of G's samples, the hardest push;
a chart panel's frame encloses that panel."""

from types import SimpleNamespace

import numpy as np
import plotly.graph_objects as go
import pytest

from ganviz.figures import curves
from ganviz.figures.highlight import frame_panel, point_at, view_target


def snap():
    xs, ys = np.linspace(-1, 1, 5), np.linspace(-2, 2, 9)
    surface = np.zeros((9, 5))
    surface[6, 1] = 0.9  # row 6 is y = ys[6] = 1.0, column 1 is x = -0.5
    fake = np.array([[0.0, 0.0], [1.0, 0.0], [2.0, 3.0]])
    push = np.array([[0.1, 0.0], [0.0, -2.0], [0.5, 0.5]])
    return SimpleNamespace(grid_x=xs, grid_y=ys, d_surface=surface, fake=fake, fake_push=push)


def test_targets_are_where_the_data_says():
    s = snap()
    assert view_target(s, "surface")[:2] == (-0.5, 1.0)
    assert view_target(s, "samples")[:2] == pytest.approx((1.0, 1.0))
    assert view_target(s, "arrows")[:2] == (1.0, 0.0)  # |(0, -2)| = 2 is the largest push
    with pytest.raises(ValueError, match="unknown part"):
        view_target(s, "legend")


def test_point_at_adds_one_labelled_arrow_and_nothing_else():
    fig = point_at(go.Figure(go.Scatter(x=[0], y=[0])), snap(), "arrows")
    (note,) = fig.layout.annotations
    assert (note.x, note.y, note.showarrow) == (1.0, 0.0, True) and "push" in note.text
    assert len(fig.data) == 1
    assert note.ax < 0 and note.ay < 0  # (1, 0) is right of the centre and not above it: label up-left
    (corner,) = point_at(go.Figure(), snap(), "surface").layout.annotations  # (-0.5, 1.0): label down-right
    assert corner.ax > 0 and corner.ay > 0


@pytest.mark.parametrize("panel", curves.CHART_PANELS)
def test_the_frame_encloses_its_panel_only(panel):
    history = {k: np.linspace(0.1, 1, 50) for k in ("loss_d", "loss_g", "d_real", "d_fake", "grad_norm_d")}
    history |= {"grad_norm_g": np.linspace(0.1, 1, 50), "critic_gap": np.zeros(50), "iteration": np.arange(1, 51)}
    fig = curves.training_charts(history, [], loss_output="probability")
    row = curves.CHART_PANELS.index(panel) + 1
    lo, hi = fig.layout[f"yaxis{'' if row == 1 else row}"].domain
    (frame,) = frame_panel(fig, panel).layout.shapes
    assert frame.y0 < lo and frame.y1 > hi
    others = [fig.layout[f"yaxis{'' if r == 1 else r}"].domain for r in range(1, 6) if r != row]
    assert sum(frame.y0 <= (d[0] + d[1]) / 2 <= frame.y1 for d in others) == 0  # no other panel's middle
