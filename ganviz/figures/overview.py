"""GAN Lab's model strip: noise, G, fakes, reals, D and the losses, with the current stage lit."""

from __future__ import annotations

import math

import plotly.graph_objects as go

from ganviz.figures.style import escape_html
from ganviz.live.walkthrough import STAGE_KEYS

# Box key -> (x0, x1, y0, y1) on a 12 x 1 canvas.
OVERVIEW_BOXES = {
    "noise": (0.0, 1.8, 0.52, 0.96),
    "generator": (2.3, 4.1, 0.52, 0.96),
    "fake": (4.6, 6.2, 0.52, 0.96),
    "real": (4.6, 6.2, 0.04, 0.48),
    "discriminator": (6.8, 8.6, 0.28, 0.72),
    "loss": (9.1, 12.0, 0.04, 0.96),
}
OVERVIEW_FILLS = {
    "noise": "#f2f2f2",
    "generator": "#efe4f3",
    "fake": "#efe4f3",
    "real": "#e3f2de",
    "discriminator": "#deebf7",
    "loss": "#f7f7f7",
}
HIGHLIGHT_FILL = "#ffe08a"
HIGHLIGHT_LINE = "#c58a00"


# Which overview boxes light up at each slow-motion stage (walkthrough.STAGE_KEYS).
STAGE_BOXES: dict[str, tuple[str, ...]] = {
    "sample_z": ("noise",),
    "generate": ("generator", "fake"),
    "d_real": ("real", "discriminator"),
    "d_fake": ("fake", "discriminator"),
    "d_loss": ("loss",),
    "d_update": ("discriminator",),
    "g_loss": ("loss",),
    "g_update": ("generator",),
}


assert set(STAGE_BOXES) == set(STAGE_KEYS), "every slow-motion stage needs its overview boxes"


_OVERVIEW_ARROWS = (
    ("noise", "generator"),
    ("generator", "fake"),
    ("fake", "discriminator"),
    ("real", "discriminator"),
    ("discriminator", "loss"),
)


def _fmt(value) -> str:
    if value is None:
        return "–"
    value = float(value)
    if not math.isfinite(value):
        return str(value)
    return f"{value:.3f}" if abs(value) < 1000 else f"{value:.3g}"


def model_overview(
    *,
    noise_dim: int,
    noise: str,
    g_desc: str,
    d_desc: str,
    loss_title: str,
    d_steps: int,
    g_steps: int,
    loss_d: float | None = None,
    loss_g: float | None = None,
    d_real: float | None = None,
    d_fake: float | None = None,
    stage_key: str | None = None,
    height: int = 150,
) -> go.Figure:
    """A GAN Lab-like strip: noise z -> G -> G(z) -> D <- real x, then the losses and k_D : k_G.

    Boxes are layout shapes named by their `OVERVIEW_BOXES` key; at a slow-motion `stage_key` the
    boxes in `STAGE_BOXES[stage_key]` are filled with `HIGHLIGHT_FILL`. No axes, no traces,
    transparent background.
    """
    if stage_key is not None and stage_key not in STAGE_BOXES:
        raise ValueError(f"unknown stage {stage_key!r}; expected one of {', '.join(STAGE_BOXES)}")
    lit = set(STAGE_BOXES.get(stage_key, ()))
    dist = {"gaussian": "N(0, I)", "uniform": "U(−1, 1)"}.get(noise, escape_html(noise))
    outputs = ""
    if d_real is not None or d_fake is not None:
        outputs = f"<br>mean D(x) {_fmt(d_real)} · D(G(z)) {_fmt(d_fake)}"
    texts = {
        "noise": f"noise z ∈ ℝ<sup>{int(noise_dim)}</sup><br>z ~ {dist}",
        "generator": f"<b>G</b><br>{escape_html(g_desc)}",
        "fake": "G(z)<br>fake samples",
        "real": "x<br>real data",
        "discriminator": f"<b>D</b><br>{escape_html(d_desc)}",
        "loss": (
            f"<b>{escape_html(loss_title)}</b><br>losses: D {_fmt(loss_d)}, G {_fmt(loss_g)}{outputs}"
            f"<br>k<sub>D</sub> : k<sub>G</sub> = {int(d_steps)} : {int(g_steps)}"
        ),
    }
    shapes, annotations = [], []
    for key, (x0, x1, y0, y1) in OVERVIEW_BOXES.items():
        on = key in lit
        shapes.append(
            dict(
                type="rect",
                name=key,
                xref="x",
                yref="y",
                x0=x0,
                x1=x1,
                y0=y0,
                y1=y1,
                layer="below",
                fillcolor=HIGHLIGHT_FILL if on else OVERVIEW_FILLS[key],
                line=dict(color=HIGHLIGHT_LINE if on else "#999999", width=2.5 if on else 1),
            )
        )
        annotations.append(
            dict(
                name=key,
                text=texts[key],
                x=(x0 + x1) / 2,
                y=(y0 + y1) / 2,
                xref="x",
                yref="y",
                showarrow=False,
                font=dict(size=11, color="#222"),
                align="center",
            )
        )
    for src, dst in _OVERVIEW_ARROWS:
        sx0, sx1, sy0, sy1 = OVERVIEW_BOXES[src]
        dx0, dx1, dy0, dy1 = OVERVIEW_BOXES[dst]
        annotations.append(
            dict(
                name=f"{src}->{dst}",
                text="",
                showarrow=True,
                arrowhead=2,
                arrowsize=1,
                arrowwidth=1.3,
                arrowcolor="#666",
                xref="x",
                yref="y",
                axref="x",
                ayref="y",
                ax=sx1,
                ay=(sy0 + sy1) / 2,
                x=dx0,
                y=min(max((sy0 + sy1) / 2, dy0 + 0.08), dy1 - 0.08),
            )
        )
    hidden = dict(visible=False, fixedrange=True)
    return go.Figure(
        layout=dict(
            height=height,
            margin=dict(l=4, r=4, t=4, b=4),
            shapes=shapes,
            annotations=annotations,
            xaxis=dict(range=[-0.05, 12.05], **hidden),
            yaxis=dict(range=[0, 1], **hidden),
            paper_bgcolor="rgba(0,0,0,0)",
            plot_bgcolor="rgba(0,0,0,0)",
            showlegend=False,
            dragmode=False,
            hovermode=False,
        )
    )
