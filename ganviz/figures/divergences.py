"""Figures for the Divergences page: densities, D* against a trained D, JS and W1 against θ, the duel.

Builders take mixtures, arrays and histories (never models) and return Plotly figures. Traces
carry `meta={"kind": ...}` so tests find them without relying on order. Colours follow the
rest of the app: data green, generator purple.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ganviz.figures.curves import downsample
from ganviz.figures.style import FAKE_COLOUR, REAL_COLOUR
from ganviz.theory.divergences import LOG2, Mixture1D, optimal_d

JS_COLOUR = "#d95f02"
W1_COLOUR = "#1f78b4"
D_STAR_COLOUR = "#222222"
D_FIT_COLOUR = "#e7298a"
SIDE_COLOURS = ("#d95f02", "#1f78b4")  # left and right side of the duel
LAYOUT = dict(
    plot_bgcolor="white",
    margin=dict(l=55, r=55, t=40, b=40),
    legend=dict(orientation="h", yanchor="top", y=-0.3, x=0, font=dict(size=11)),
)
PROBABILITY_TICKS = dict(tickmode="array", tickvals=[0, 0.25, 0.5, 0.75, 1])
GRID = dict(gridcolor="#eee", zeroline=False)


def step_outline(m: Mixture1D, lo: float, hi: float) -> tuple[np.ndarray, np.ndarray]:
    """The density of m as a closed step line over [lo, hi]: x, y of shape (2K + 2,), starting and
    ending at height 0 so it can be filled."""
    edges = np.unique(np.concatenate([[lo, hi], m.breakpoints()]))
    edges = edges[(edges >= lo) & (edges <= hi)]
    heights = m.density(0.5 * (edges[:-1] + edges[1:]))
    x = np.concatenate([[lo], np.column_stack([edges[:-1], edges[1:]]).ravel(), [hi]])
    y = np.concatenate([[0.0], np.repeat(heights, 2), [0.0]])
    return x, y


def optimal_d_outline(p: Mixture1D, q: Mixture1D, lo: float, hi: float) -> tuple[np.ndarray, np.ndarray]:
    """D* = p/(p+q) as a step line over [lo, hi], NaN (a gap) where p + q = 0: D* means nothing
    where neither distribution puts mass."""
    edges = np.unique(np.concatenate([[lo, hi], p.breakpoints(), q.breakpoints()]))
    edges = edges[(edges >= lo) & (edges <= hi)]
    mids = 0.5 * (edges[:-1] + edges[1:])
    pv, qv = p.density(mids), q.density(mids)
    d = np.where(pv + qv > 0, optimal_d(pv, qv), np.nan)
    return np.column_stack([edges[:-1], edges[1:]]).ravel(), np.repeat(d, 2)


def _fill(x, y, *, name: str, kind: str, colour: str, dash: str | None = None) -> go.Scatter:
    return go.Scatter(
        x=x,
        y=y,
        name=name,
        mode="lines",
        fill="tozeroy",
        meta={"kind": kind},
        line=dict(color=colour, width=2, dash=dash),
        opacity=0.9,
        fillcolor=_transparent(colour, 0.18),
    )


def _transparent(hex_colour: str, alpha: float) -> str:
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r}, {g}, {b}, {alpha})"


def densities_figure(
    p: Mixture1D,
    q: Mixture1D,
    x_range: tuple[float, float],
    *,
    title: str,
    q_name: str = "q (generator)",
    d_fit: tuple[np.ndarray, np.ndarray] | None = None,
    show_d_star: bool = False,
    height: int = 330,
) -> go.Figure:
    """p (data) and q filled; with show_d_star, D* on a right axis in [0, 1]; with d_fit = (x, D(x)),
    a trained D's curve on that axis too."""
    lo, hi = x_range
    p_line, q_line = step_outline(p, lo, hi), step_outline(q, lo, hi)
    fig = go.Figure()
    fig.add_trace(_fill(*p_line, name="p (data)", kind="p", colour=REAL_COLOUR))
    fig.add_trace(_fill(*q_line, name=q_name, kind="q", colour=FAKE_COLOUR))
    top = max(float(p_line[1].max()), float(q_line[1].max()), 1e-9)
    layout = dict(
        LAYOUT,
        height=height,
        title=dict(text=title, font=dict(size=14)),
        xaxis=dict(GRID, title="x", range=[lo, hi]),
        yaxis=dict(GRID, title="density", range=[0, top * 1.15]),
    )
    if show_d_star or d_fit is not None:
        layout["yaxis2"] = dict(
            overlaying="y",
            side="right",
            range=[-0.03, 1.03],
            title="D(x)",
            showgrid=False,
            zeroline=False,
            **PROBABILITY_TICKS,
        )
        fig.add_trace(
            go.Scatter(
                x=[lo, hi],
                y=[0.5, 0.5],
                mode="lines",
                name="½",
                yaxis="y2",
                line=dict(color="#999", width=1, dash="dot"),
                meta={"kind": "half"},
                hoverinfo="skip",
            )
        )
    if show_d_star:
        x, y = optimal_d_outline(p, q, lo, hi)
        fig.add_trace(
            go.Scatter(
                x=x,
                y=y,
                mode="lines",
                name="D* = p/(p+q)",
                yaxis="y2",
                connectgaps=False,
                line=dict(color=D_STAR_COLOUR, width=2, dash="dash"),
                meta={"kind": "d_star"},
            )
        )
    if d_fit is not None:
        fig.add_trace(
            go.Scatter(
                x=d_fit[0],
                y=d_fit[1],
                mode="lines",
                name="trained D",
                yaxis="y2",
                line=dict(color=D_FIT_COLOUR, width=2.5),
                meta={"kind": "d_fit"},
            )
        )
    fig.update_layout(**layout)
    return fig


def divergence_curves_figure(
    curves: Mapping[str, np.ndarray], theta: float, *, title: str, js_at_zero: bool = False, height: int = 330
) -> go.Figure:
    """JS (nats, left axis, log 2 dashed) and W1 (right axis) against θ, with the current θ marked.

    curves: {"theta", "js", "w1"} arrays (T,). js_at_zero: JS jumps at θ = 0 (parallel lines):
    draw the JS line with a gap there and the isolated value JS(0) = 0 as its own point.
    """
    t, js, w1 = (np.asarray(curves[k], dtype=float) for k in ("theta", "js", "w1"))
    if js_at_zero:
        js = np.where(t == 0, np.nan, js)
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=t,
            y=js,
            mode="lines",
            name="JS (nats)",
            connectgaps=False,
            line=dict(color=JS_COLOUR, width=2.5),
            meta={"kind": "js"},
        )
    )
    if js_at_zero:
        fig.add_trace(
            go.Scatter(
                x=[0.0],
                y=[0.0],
                mode="markers",
                name="JS at θ = 0",
                showlegend=False,
                marker=dict(color=JS_COLOUR, size=9),
                meta={"kind": "js_zero"},
            )
        )
    fig.add_trace(
        go.Scatter(
            x=t, y=w1, mode="lines", name="W1", yaxis="y2", line=dict(color=W1_COLOUR, width=2.5), meta={"kind": "w1"}
        )
    )
    fig.add_trace(
        go.Scatter(
            x=[t.min(), t.max()],
            y=[LOG2, LOG2],
            mode="lines",
            name="log 2",
            line=dict(color=JS_COLOUR, width=1, dash="dot"),
            meta={"kind": "log2"},
            hoverinfo="skip",
        )
    )
    fig.add_vline(x=theta, line=dict(color="#555", width=1.5, dash="dash"))
    fig.update_layout(
        **LAYOUT,
        height=height,
        title=dict(text=title, font=dict(size=14)),
        hovermode="x",
        xaxis=dict(GRID, title="θ (shift of the generator)"),
        yaxis=dict(GRID, title=dict(text="JS (nats)", font=dict(color=JS_COLOUR)), range=[-0.02, LOG2 * 1.1]),
        yaxis2=dict(
            overlaying="y",
            side="right",
            showgrid=False,
            zeroline=False,
            tickmode="auto",
            nticks=6,
            rangemode="tozero",
            title=dict(text="W1 (units of x)", font=dict(color=W1_COLOUR)),
        ),
    )
    return fig


def parallel_lines_figure(theta: float, height: int = 330) -> go.Figure:
    """Arjovsky's example: P0 uniform on {0}×[0, 1] (data) and Pθ on {θ}×[0, 1] (generator)."""
    half = max(1.5, abs(theta) + 0.5)
    fig = go.Figure()
    for x, name, kind, colour in [
        (0.0, "P₀ (data)", "p", REAL_COLOUR),
        (theta, "P<sub>θ</sub> (generator)", "q", FAKE_COLOUR),
    ]:
        fig.add_trace(
            go.Scatter(
                x=[x, x], y=[0, 1], mode="lines", name=name, meta={"kind": kind}, line=dict(color=colour, width=5)
            )
        )
    fig.update_layout(
        **LAYOUT,
        height=height,
        title=dict(text=f"the two lines at θ = {theta:g}", font=dict(size=14)),
        xaxis=dict(GRID, title="x", range=[-half, half]),
        yaxis=dict(GRID, title="z", range=[-0.1, 1.1]),
    )
    return fig


def duel_positions_figure(
    p: Mixture1D,
    q: Mixture1D,
    thetas: Sequence[float],
    names: Sequence[str],
    x_range: tuple[float, float],
    height: int = 300,
) -> go.Figure:
    """The data p filled, and each side's generator q moved by its current θ as an outline."""
    lo, hi = x_range
    p_line = step_outline(p, lo, hi)
    fig = go.Figure()
    fig.add_trace(_fill(*p_line, name="p (data)", kind="p", colour=REAL_COLOUR))
    tops = [float(p_line[1].max())]
    for theta, name, colour in zip(thetas, names, SIDE_COLOURS):
        x, y = step_outline(q.shifted(theta), lo, hi)
        tops.append(float(y.max()))
        fig.add_trace(
            go.Scatter(
                x=x,
                y=y,
                mode="lines",
                name=f"{name}: G at θ = {theta:.2f}",
                line=dict(color=colour, width=2.5),
                meta={"kind": "generator", "side": name},
            )
        )
    fig.update_layout(
        **LAYOUT,
        height=height,
        title=dict(text="where each generator is now", font=dict(size=14)),
        uirevision="positions",
        xaxis=dict(GRID, title="x", range=[lo, hi]),
        yaxis=dict(GRID, title="density", range=[0, max(tops) * 1.15]),
    )
    return fig


DUEL_PANELS = ("θ: G's shift", "JS (nats)", "W1 (units of x)", "|∂L_G/∂θ|: G's gradient (log)")


def duel_figure(
    histories: Sequence[Mapping[str, np.ndarray]],
    names: Sequence[str],
    estimates: Sequence[str | None],
    height: int = 560,
    max_points: int = 600,
) -> go.Figure:
    """Four panels over one iteration axis, one colour per side: θ; JS exact (solid) and, for
    probability losses, D's JS estimate (dotted); W1 exact and, for critics, the critic's W1
    estimate (dotted); |∂L_G/∂θ| on a log axis. estimates: per side "js", "w1" or None."""
    fig = make_subplots(
        rows=2, cols=2, shared_xaxes=True, subplot_titles=DUEL_PANELS, vertical_spacing=0.14, horizontal_spacing=0.1
    )
    panel = {"theta": (1, 1), "js": (1, 2), "w1": (2, 1), "g_grad": (2, 2)}
    for h, name, estimate, colour in zip(histories, names, estimates, SIDE_COLOURS):
        it = h["iteration"]
        for key, (row, col) in panel.items():
            x, y = downsample(it, np.maximum(h[key], 1e-12) if key == "g_grad" else h[key], max_points)
            fig.add_trace(
                go.Scatter(
                    x=x,
                    y=y,
                    mode="lines",
                    name=name,
                    legendgroup=name,
                    showlegend=key == "theta",
                    line=dict(color=colour, width=2),
                    meta={"kind": key, "side": name},
                ),
                row=row,
                col=col,
            )
        if estimate in ("js", "w1"):
            x, y = downsample(it, h["d_estimate"], max_points)
            label = "D's JS estimate" if estimate == "js" else "critic's W1 estimate"
            row, col = panel[estimate]
            fig.add_trace(
                go.Scatter(
                    x=x,
                    y=y,
                    mode="lines",
                    name=f"{name}: {label}",
                    legendgroup=name,
                    line=dict(color=colour, width=1.5, dash="dot"),
                    meta={"kind": f"{estimate}_estimate", "side": name},
                ),
                row=row,
                col=col,
            )
    fig.add_hline(
        y=LOG2,
        row=1,
        col=2,
        line=dict(color="#999", width=1, dash="dash"),
        annotation_text="log 2",
        annotation_position="bottom right",
    )
    fig.update_yaxes(**GRID)
    fig.update_xaxes(**GRID)
    fig.update_yaxes(range=[-0.02, LOG2 * 1.12], row=1, col=2)
    fig.update_yaxes(type="log", row=2, col=2)
    fig.update_xaxes(title="iteration (one G step each)", row=2)
    fig.update_layout(**LAYOUT, height=height, uirevision="duel", hovermode="x")
    fig.update_layout(legend=dict(orientation="h", y=-0.14, x=0))
    return fig
