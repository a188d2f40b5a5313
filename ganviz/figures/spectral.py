"""Spectral normalisation on the Dynamics page: power iteration step by step against the SVD value, and two
small discriminators trained with and without spectral norm."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ganviz.figures.style import FAKE_COLOUR, REAL_COLOUR, SURFACE_SCALE, finish_panels

if TYPE_CHECKING:  # annotations only: the lipschitz module imports torch
    from ganviz.theory.lipschitz import PowerIterationRun, SpectralComparison

SVD_COLOUR, ESTIMATE_COLOUR = "#d62728", "#1f77b4"
RATE_ANCHOR_ERROR = 1e-12  # relative errors above this are still far from float64 rounding


def power_iteration_figure(run: PowerIterationRun, *, height: int = 360) -> go.Figure:
    """Left: the estimate uᵀWv after each step against σ_max(W) by SVD. Right: the relative error
    (σ₁ − estimate)/σ₁ on a log axis, beside the asymptotic rate: a line falling by (σ₂/σ₁)⁴ per
    step through the last error above RATE_ANCHOR_ERROR (below it, rounding dominates)."""
    steps = np.arange(1, len(run.estimates) + 1)
    fig = make_subplots(
        rows=1,
        cols=2,
        horizontal_spacing=0.1,
        subplot_titles=(
            f"power iteration on a {run.rows}×{run.cols} Gaussian W",
            "relative error (σ<sub>1</sub> − estimate) / σ<sub>1</sub>",
        ),
    )
    fig.add_trace(
        go.Scatter(
            x=steps,
            y=run.estimates,
            mode="lines+markers",
            name="estimate uᵀWv",
            line=dict(color=ESTIMATE_COLOUR, width=2),
            marker=dict(size=5),
            meta={"kind": "estimate"},
            uid="estimate",
            hovertemplate="step %{x}<br>%{y:.9f}<extra></extra>",
        ),
        row=1,
        col=1,
    )
    fig.add_trace(
        go.Scatter(
            x=[steps[0], steps[-1]],
            y=[run.sigma_max] * 2,
            mode="lines",
            name=f"σ<sub>max</sub>(W) by SVD = {run.sigma_max:.6f}",
            line=dict(color=SVD_COLOUR, width=1.5, dash="dash"),
            meta={"kind": "svd"},
            uid="svd",
            hoverinfo="skip",
        ),
        row=1,
        col=1,
    )
    errors = run.relative_errors
    fig.add_trace(
        go.Scatter(
            x=steps,
            y=errors,
            mode="lines+markers",
            name="relative error",
            line=dict(color=ESTIMATE_COLOUR, width=2),
            marker=dict(size=5),
            showlegend=False,
            meta={"kind": "error"},
            uid="error",
            hovertemplate="step %{x}<br>%{y:.2e}<extra></extra>",
        ),
        row=1,
        col=2,
    )
    rate = run.gap_ratio**4
    anchors = np.flatnonzero(errors > RATE_ANCHOR_ERROR)
    if rate > 0 and anchors.size:
        k = anchors[-1]
        reference = np.maximum(errors[k] * rate ** (steps - steps[k]), 1e-16)
        fig.add_trace(
            go.Scatter(
                x=steps,
                y=reference,
                mode="lines",
                name=f"rate (σ₂/σ₁)⁴ = {rate:.3g} per step",
                line=dict(color="#777", width=1.2, dash="dot"),
                meta={"kind": "rate"},
                uid="rate",
                hoverinfo="skip",
            ),
            row=1,
            col=2,
        )
    fig.update_xaxes(title_text="power-iteration step", gridcolor="#eee")
    fig.update_yaxes(gridcolor="#eee", row=1, col=1)
    fig.update_yaxes(type="log", exponentformat="power", gridcolor="#eee", row=1, col=2)
    return finish_panels(fig, height=height, legend_y=-0.22, uirevision="power-iteration")


def spectral_surfaces_figure(cmp: SpectralComparison, *, height: int = 440) -> go.Figure:
    """D(x) = P(real) on the grid for the plain (left) and the spectrally normalised (right)
    discriminator, on one [0, 1] colour scale, with the training points on top."""
    titles = [
        f"{'with' if e.spectral_norm else 'without'} spectral norm: max ‖∇f‖ = {e.grad_max:.3g}, ∏σ = {e.bound:.3g}"
        for e in (cmp.plain, cmp.spectral)
    ]
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.06, subplot_titles=titles)
    for col, est in ((1, cmp.plain), (2, cmp.spectral)):
        tag = "spectral" if est.spectral_norm else "plain"
        fig.add_trace(
            go.Heatmap(
                x=cmp.grid_x,
                y=cmp.grid_y,
                z=np.asarray(est.surface, dtype=np.float32),
                zmin=0,
                zmax=1,
                colorscale=SURFACE_SCALE,
                zsmooth="best",
                showscale=col == 2,
                colorbar=dict(title=dict(text="D(x)", side="right"), thickness=10, len=0.9),
                hovertemplate="(%{x:.2f}, %{y:.2f})<br>D(x) = %{z:.3f}<extra></extra>",
                meta={"kind": "surface", "net": tag},
                uid=f"surface-{tag}",
            ),
            row=1,
            col=col,
        )
        for points, name, colour in (
            (cmp.real, "real data", REAL_COLOUR),
            (cmp.fake, "fake: N(0, I) noise", FAKE_COLOUR),
        ):
            fig.add_trace(
                go.Scatter(
                    x=points[:, 0],
                    y=points[:, 1],
                    mode="markers",
                    name=name,
                    legendgroup=name,
                    showlegend=col == 1,
                    marker=dict(size=4, color=colour, opacity=0.75),
                    hoverinfo="skip",
                    meta={"kind": "real" if colour == REAL_COLOUR else "fake", "net": tag},
                ),
                row=1,
                col=col,
            )
    xmin, xmax, ymin, ymax = cmp.extent
    for col in (1, 2):
        axis = "" if col == 1 else "2"
        fig.update_layout(
            {
                f"xaxis{axis}": dict(range=[xmin, xmax], constrain="domain", showgrid=False, zeroline=False),
                f"yaxis{axis}": dict(
                    range=[ymin, ymax],
                    scaleanchor=f"x{axis}",
                    scaleratio=1,
                    constrain="domain",
                    showgrid=False,
                    zeroline=False,
                ),
            }
        )
    return finish_panels(
        fig, height=height, legend_y=-0.1, uirevision="spectral-surfaces", margin=dict(l=30, r=10, t=40, b=30)
    )
