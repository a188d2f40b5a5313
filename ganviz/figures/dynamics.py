"""Plotly figures for the Dynamics page: the xy game, the two generator losses, spectral norm.

Builders take arrays or engine results (never models) and return a `plotly.graph_objects.Figure`;
traces carry `meta={"kind": ...}` (and "method" for xy paths) so callers and tests can find them.
The few numbers the page prints beside a figure (radius factors, the invariant's drift, flat
intervals) are computed here too, from the same arrays the figure draws.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ganviz.figures.style import FONT, finish_panels
from ganviz.theory.dynamics import alternating_invariant, g_loss_curves

METHOD_COLOURS = {
    "simultaneous": "#d62728",
    "alternating": "#1f77b4",
    "extragradient": "#2ca02c",
    "optimistic": "#9467bd",
    "consensus": "#ff7f0e",
}
EQUILIBRIUM_COLOUR = "#111111"
VIEW_RADII = 3.0  # the xy plane shows up to this many start radii; a path is cut soon after it leaves
FLAT_GRADIENT = 0.05  # |∂loss/∂logit| below this counts as "no gradient" on the loss figure
LOSS_COLOURS = {"saturating": "#d62728", "nonsaturating": "#1f77b4"}
FLAT_FILLS = {"saturating": "rgba(214, 39, 40, 0.13)", "nonsaturating": "rgba(31, 119, 180, 0.13)"}
FLAT_SWATCHES = {"saturating": "rgba(214, 39, 40, 0.35)", "nonsaturating": "rgba(31, 119, 180, 0.35)"}
LOSS_NAMES = {"saturating": "saturating: log(1 − D(G(z)))", "nonsaturating": "non-saturating: −log D(G(z))"}
SHORT_NAMES = {"saturating": "saturating", "nonsaturating": "non-saturating"}


def radius_factors(path: np.ndarray) -> np.ndarray:
    """‖z_{t+1}‖ / ‖z_t‖ for each step of a path (T+1, 2): shape (T,)."""
    r = np.linalg.norm(np.asarray(path, dtype=np.float64), axis=1)
    return r[1:] / r[:-1]


def invariant_drift(path: np.ndarray, eta: float) -> float:
    """max_t |I(z_t) − I(z_0)| / |I(z_0)| for I = x² + y² + ηxy (theory.alternating_invariant),
    the quantity the lecture's y-first alternating GDA conserves. Relative, so that it reads the
    same for any start; the absolute drift when I(z_0) = 0 (a start at the equilibrium)."""
    path = np.asarray(path, dtype=np.float64)
    inv = alternating_invariant(path[:, 0], path[:, 1], eta)
    return float(np.max(np.abs(inv - inv[0])) / (abs(inv[0]) or 1.0))


def _view_half_width(paths: Mapping[str, np.ndarray]) -> float:
    start_radius = max(float(np.linalg.norm(np.asarray(p)[0])) for p in paths.values())
    reach = max(float(np.max(np.abs(p))) for p in paths.values())
    return 1.08 * min(reach, VIEW_RADII * max(start_radius, 1e-12))


def _inside(path: np.ndarray, half: float) -> np.ndarray:
    """The path up to and including its first point beyond 2·half: the line still runs off the
    view, but the browser never gets coordinates like 1e150 from a spiral that blew up."""
    outside = np.flatnonzero(np.max(np.abs(path), axis=1) > 2 * half)
    return path if not outside.size else path[: outside[0] + 1]


def xy_plane_figure(paths: Mapping[str, np.ndarray], eta: float, *, height: int = 520) -> go.Figure:
    """Trajectories of the xy game in the (x, y) plane, one per method, with the start and the
    equilibrium (0, 0). `paths` maps a method name to its iterates (T+1, 2), all from one start.

    Equal axes; the view spans up to VIEW_RADII start radii, so a diverging method leaves it.
    """
    if not paths:
        raise ValueError("xy_plane_figure needs at least one path")
    half = _view_half_width(paths)
    traces = []
    for method, path in paths.items():
        path = _inside(np.asarray(path, dtype=np.float64), half)
        traces.append(
            go.Scatter(
                x=path[:, 0],
                y=path[:, 1],
                mode="lines",
                name=method,
                line=dict(color=METHOD_COLOURS.get(method, "#555555"), width=1.6),
                hovertemplate=f"{method}<br>(%{{x:.3f}}, %{{y:.3f}})<extra></extra>",
                meta={"kind": "trajectory", "method": method},
                uid=f"trajectory-{method}",
            )
        )
    start = np.asarray(next(iter(paths.values())), dtype=np.float64)[0]
    traces.append(
        go.Scatter(
            x=[start[0]],
            y=[start[1]],
            mode="markers",
            name="start",
            marker=dict(size=9, color="white", line=dict(color=EQUILIBRIUM_COLOUR, width=2)),
            meta={"kind": "start"},
            uid="start",
        )
    )
    traces.append(
        go.Scatter(
            x=[0.0],
            y=[0.0],
            mode="markers",
            name="equilibrium (0, 0)",
            marker=dict(size=13, symbol="x", color=EQUILIBRIUM_COLOUR),
            meta={"kind": "equilibrium"},
            uid="equilibrium",
        )
    )
    layout = go.Layout(
        title=dict(text=f"min<sub>x</sub> max<sub>y</sub> xy, step η = {eta:g}", x=0.01, font=dict(size=14)),
        height=height,
        margin=dict(l=45, r=10, t=40, b=40),
        plot_bgcolor="white",
        xaxis=dict(
            title="x (minimiser)",
            range=[-half, half],
            zeroline=True,
            zerolinecolor="#ccc",
            gridcolor="#eee",
            constrain="domain",
        ),
        yaxis=dict(
            title="y (maximiser)",
            range=[-half, half],
            scaleanchor="x",
            scaleratio=1,
            zeroline=True,
            zerolinecolor="#ccc",
            gridcolor="#eee",
            constrain="domain",
        ),
        legend=dict(orientation="h", x=0, y=-0.16, yanchor="top", font=FONT),
        uirevision="xy-plane",
    )
    return go.Figure(data=traces, layout=layout)


def xy_radius_figure(paths: Mapping[str, np.ndarray], eta: float, *, height: int = 520) -> go.Figure:
    """‖z_t‖ against t for each path (T+1, 2), log y, with the closed form √(1+η²)ᵗ·‖z₀‖ of
    simultaneous GDA dotted on top (when simultaneous is among the paths)."""
    if not paths:
        raise ValueError("xy_radius_figure needs at least one path")
    traces = []
    for method, path in paths.items():
        r = np.linalg.norm(np.asarray(path, dtype=np.float64), axis=1)
        traces.append(
            go.Scatter(
                x=np.arange(len(r)),
                y=r,
                mode="lines",
                name=method,
                line=dict(color=METHOD_COLOURS.get(method, "#555555"), width=1.8),
                hovertemplate=f"{method}<br>t = %{{x}}<br>‖z‖ = %{{y:.4g}}<extra></extra>",
                meta={"kind": "radius", "method": method},
                uid=f"radius-{method}",
            )
        )
    if "simultaneous" in paths:
        r = np.linalg.norm(np.asarray(paths["simultaneous"], dtype=np.float64), axis=1)
        t = np.arange(len(r))
        traces.append(
            go.Scatter(
                x=t,
                y=r[0] * np.sqrt(1 + eta**2) ** t,
                mode="lines",
                name="√(1+η²)ᵗ‖z₀‖",
                line=dict(color=EQUILIBRIUM_COLOUR, width=1.2, dash="dot"),
                hoverinfo="skip",
                meta={"kind": "radius_closed_form"},
                uid="radius-closed-form",
            )
        )
    layout = go.Layout(
        title=dict(text="distance to the equilibrium ‖z<sub>t</sub>‖", x=0.01, font=dict(size=14)),
        height=height,
        margin=dict(l=55, r=10, t=40, b=40),
        plot_bgcolor="white",
        xaxis=dict(title="step t", gridcolor="#eee"),
        yaxis=dict(title="‖z<sub>t</sub>‖ (log scale)", type="log", gridcolor="#eee", exponentformat="power"),
        legend=dict(orientation="h", x=0, y=-0.16, yanchor="top", font=FONT),
        uirevision="xy-radius",
    )
    return go.Figure(data=traces, layout=layout)


def flat_intervals(s: np.ndarray, grad: np.ndarray, threshold: float = FLAT_GRADIENT) -> list[tuple[float, float]]:
    """The runs of a sorted grid s (N,) where |grad| (N,) < threshold, as (first s, last s) pairs."""
    flat = np.abs(np.asarray(grad, dtype=np.float64)) < threshold
    edges = np.diff(np.concatenate([[0], flat.astype(np.int8), [0]]))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1
    return [(float(s[a]), float(s[b])) for a, b in zip(starts, ends)]


def g_loss_figure(
    marker: float, *, threshold: float = FLAT_GRADIENT, points: int = 999, height: int = 400
) -> go.Figure:
    """Both generator losses (left) and their derivatives w.r.t. D's logit (right) against
    s = D(G(z)) on (0, 1), from theory.g_loss_curves on `points` evenly spaced s in [0.001, 0.999].

    A dashed line and dots mark s = `marker`; shaded bands mark where a loss's |gradient| is below
    `threshold` (the saturating loss's is where D confidently rejects the fakes, s ≈ 0).
    """
    if not 0 < marker < 1:
        raise ValueError(f"D(G(z)) must lie strictly between 0 and 1, got {marker}")
    s = np.linspace(0.001, 0.999, points)
    curves, at = g_loss_curves(s), g_loss_curves(np.array([marker]))
    fig = make_subplots(
        rows=1,
        cols=2,
        horizontal_spacing=0.09,
        subplot_titles=("G's loss (G minimises it)", "∂ loss / ∂ D's logit (what G's update sees)"),
    )
    for name, colour in LOSS_COLOURS.items():
        for col, key in ((1, name), (2, f"{name}_grad")):
            fig.add_trace(
                go.Scatter(
                    x=s,
                    y=curves[key],
                    mode="lines",
                    name=LOSS_NAMES[name],
                    legendgroup=name,
                    showlegend=col == 1,
                    line=dict(color=colour, width=2),
                    meta={"kind": key},
                    uid=key,
                    hovertemplate="D(G(z)) = %{x:.3f}<br>%{y:.4f}<extra></extra>",
                ),
                row=1,
                col=col,
            )
            fig.add_trace(
                go.Scatter(
                    x=[marker],
                    y=at[key],
                    mode="markers",
                    showlegend=False,
                    legendgroup=name,
                    marker=dict(size=10, color=colour, line=dict(color="white", width=1.5)),
                    meta={"kind": f"{key}_marker"},
                    uid=f"{key}-marker",
                    hovertemplate=f"D(G(z)) = {marker:.3f}<br>%{{y:.4f}}<extra></extra>",
                ),
                row=1,
                col=col,
            )
        for lo, hi in flat_intervals(s, curves[f"{name}_grad"], threshold):
            for col in (1, 2):
                fig.add_vrect(x0=lo, x1=hi, fillcolor=FLAT_FILLS[name], line_width=0, layer="below", row=1, col=col)
    fig.add_vline(x=marker, line=dict(color="#555", width=1, dash="dash"))
    # An invisible legend entry per band: shapes have no legend of their own.
    for name, swatch in FLAT_SWATCHES.items():
        fig.add_trace(
            go.Scatter(
                x=[None],
                y=[None],
                mode="markers",
                name=f"{SHORT_NAMES[name]}: |gradient| < {threshold:g}",
                marker=dict(size=12, symbol="square", color=swatch),
                meta={"kind": f"{name}_flat"},
            )
        )
    fig.update_xaxes(title_text="D(G(z))", range=[0, 1], gridcolor="#eee")
    fig.update_yaxes(gridcolor="#eee", zerolinecolor="#bbb")
    return finish_panels(fig, height=height, legend_y=-0.18, uirevision="g-loss")
