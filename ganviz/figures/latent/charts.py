"""The Latent page's charts, the same for every kind of data: D's score and |z| along a path, fidelity
against variety across ψ, D's embedding space, and FGSM's score and distance curves."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ganviz.figures.curves import OUTPUT_AXIS_TITLES
from ganviz.figures.latent.palette import (
    CLASS_COLOURS,
    FONT,
    PATH_COLOURS,
    PATH_NAMES,
    RESULT_COLOUR,
    SCORE_NAMES,
    psi_label,
)
from ganviz.figures.style import CAPTURED_COLOUR, FAKE_COLOUR, MODE_COLOUR, REAL_COLOUR, as_float32

if TYPE_CHECKING:
    from ganviz.latent.fgsm import FGSMResult
    from ganviz.latent.truncation import TruncationSweep


def _line(kind: str, x, y, name: str, colour: str, width: float, dash: str | None = None, **more) -> go.Scatter:
    """A line trace tagged with `meta={"kind": kind}` (`more` may change its mode, e.g. to "lines+markers")."""
    line = dict(color=colour, width=width, dash=dash)
    return go.Scatter(x=x, y=y, name=name, line=line, meta={"kind": kind}, **{"mode": "lines", **more})


def _ring(kind: str, x, y, **more) -> go.Scatter:
    """The ring that marks the slider's ψ on each panel."""
    ring = dict(symbol="circle-open", size=18, color=MODE_COLOUR, line=dict(width=2.5))
    return go.Scatter(x=x, y=y, mode="markers", marker=ring, meta={"kind": kind}, **more)


def _finish(fig: go.Figure, height: int, margin: dict, legend_y: float | None, uirevision: str) -> go.Figure:
    """The charts' common look: white panels, 13 px panel titles, the legend underneath (at `legend_y`)."""
    legend = dict(font=FONT) if legend_y is None else dict(orientation="h", x=0, y=legend_y, yanchor="top", font=FONT)
    fig.update_annotations(font=dict(size=13))
    fig.update_layout(height=height, margin=margin, plot_bgcolor="white", legend=legend, uirevision=uirevision)
    return fig


def path_profile(
    t: np.ndarray,
    scores: Mapping[str, np.ndarray],
    norms: Mapping[str, np.ndarray],
    chosen: str,
    d_output: str,
    typical_norm: float,
    height: int = 420,
) -> go.Figure:
    """Two panels along the path parameter t in [0, 1]: D's score on G's output, and the norm |z| beside
    the typical norm of the noise (dashed): the linear path dips below it, the spherical one does not."""
    titles = ("D's score along the path", "|z| along the path")
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.14, subplot_titles=titles)
    for name in sorted(scores, key=lambda n: n == chosen):
        colour, width, dash = PATH_COLOURS[name], 2.5 if name == chosen else 1.3, None if name == chosen else "dot"
        label = PATH_NAMES[name]
        fig.add_trace(_line(f"score_{name}", t, scores[name], label, colour, width, dash, legendgroup=name), 1, 1)
        norm = _line(f"norm_{name}", t, norms[name], label, colour, width, dash, legendgroup=name, showlegend=False)
        fig.add_trace(norm, 2, 1)
    fig.add_trace(
        _line("typical_norm", [0, 1], [typical_norm] * 2, "typical |z| of the noise", "#777", 1, "dash"), 2, 1
    )
    fig.update_yaxes(title_text=OUTPUT_AXIS_TITLES[d_output].replace("mean ", ""), row=1, col=1, gridcolor="#eee")
    if d_output == "probability":
        fig.update_yaxes(range=[-0.02, 1.02], row=1, col=1)
    top = max(typical_norm, *(float(np.max(v)) for v in norms.values()))
    fig.update_yaxes(title_text="|z|", range=[0, 1.15 * top], row=2, col=1, gridcolor="#eee")
    fig.update_xaxes(title_text="t (0 = start, 1 = end)", row=2, col=1)
    return _finish(fig, height, dict(l=55, r=10, t=30, b=40), -0.18, "lt-profile")


def truncation_curve(sweep: TruncationSweep, chosen_psi: float, height: int = 360) -> go.Figure:
    """Three panels: fidelity against ψ, coverage (modes or digits) against ψ (untruncated at the right
    end of both), and fidelity against the distance to the data, one point per ψ: BigGAN's trade-off
    curve. The chosen ψ is ringed on each. Data without modes has no coverage panel."""
    labels = [psi_label(p) for p in sweep.psis]
    if psi_label(chosen_psi) not in labels:
        raise ValueError(f"ψ = {chosen_psi} is not one of the sweep's thresholds ({', '.join(labels)})")
    chosen = labels.index(psi_label(chosen_psi))
    has_coverage = bool(np.isfinite(sweep.coverage).any())
    titles = ["fidelity", sweep.coverage_name, "fidelity against distance to the data"]
    cols = [1, 2, 3] if has_coverage else [1, None, 2]
    fig = make_subplots(
        rows=1,
        cols=len([c for c in cols if c]),
        horizontal_spacing=0.09,
        subplot_titles=[t for t, c in zip(titles, cols) if c],
    )
    fidelity = 100 * np.asarray(sweep.fidelity, dtype=np.float64)
    picked = [labels[chosen]]
    fig.add_trace(
        _line("fidelity", labels, fidelity, f"% {sweep.fidelity_name}", FAKE_COLOUR, 2, mode="lines+markers"),
        1,
        cols[0],
    )
    fig.add_trace(_ring("chosen", picked, [fidelity[chosen]], name=f"ψ = {picked[0]} (the slider)"), 1, cols[0])
    if has_coverage:
        name = f"{sweep.coverage_name} (of {sweep.coverage_total})"
        fig.add_trace(_line("coverage", labels, sweep.coverage, name, CAPTURED_COLOUR, 2, mode="lines+markers"), 1, 2)
        fig.add_trace(_ring("chosen_coverage", picked, [sweep.coverage[chosen]], showlegend=False), 1, 2)
        top = (sweep.coverage_total or 1) * 1.08
        fig.update_yaxes(title_text=f"of {sweep.coverage_total}", range=[0, top], row=1, col=2)
    last = cols[2]
    shown = {0, len(labels) - 1, chosen}  # labelling every point crowds the corner where they bunch up
    tradeoff = _line(
        "tradeoff",
        sweep.distance,
        fidelity,
        "one point per ψ",
        "#777",
        1.2,
        mode="lines+markers+text",
        text=[f"ψ {label}" if i in shown else "" for i, label in enumerate(labels)],
        customdata=labels,
        hovertemplate="ψ = %{customdata}<br>%{x:.3g}, %{y:.1f} %<extra></extra>",
        textposition="middle right",
        textfont=dict(size=10, color="#555"),
        marker=dict(size=7, color=FAKE_COLOUR),
        showlegend=False,
    )
    fig.add_trace(tradeoff, 1, last)
    fig.add_trace(_ring("chosen_tradeoff", [sweep.distance[chosen]], [fidelity[chosen]], showlegend=False), 1, last)
    fig.add_vline(
        x=sweep.distance_floor,
        line=dict(color="#999", dash="dash", width=1),
        row=1,
        col=last,
        annotation_text="real vs real",
        annotation_font_size=10,
        annotation_position="bottom right",
    )
    for c in cols[:2]:
        if c:
            fig.update_xaxes(title_text="ψ (small: truncated hard)", type="category", row=1, col=c)
    reach = float(np.nanmax([*sweep.distance, sweep.distance_floor]))
    fig.update_xaxes(title_text=sweep.distance_name, range=[0, 1.25 * reach], row=1, col=last)  # room for labels
    fig.update_yaxes(title_text=f"% {sweep.fidelity_name}", row=1, col=cols[0])
    fig.update_xaxes(gridcolor="#eee")
    fig.update_yaxes(gridcolor="#eee")
    return _finish(fig, height, dict(l=55, r=20, t=40, b=50), -0.25, "lt-sweep")


def _markers(meta: dict, xy: np.ndarray, name: str, colour: str, symbol: str, opacity: float, **more) -> go.Scatter:
    """Points (N, 2) of the embedding: circles for real samples, crosses for fakes."""
    marker = dict(size=6, color=colour, symbol=symbol, opacity=opacity, line=dict(width=1.2, color=colour))
    x, y = as_float32(xy[:, 0]), as_float32(xy[:, 1])
    return go.Scatter(x=x, y=y, mode="markers", name=name, marker=marker, meta=meta, **more)


def embedding_figure(
    coords: np.ndarray,
    is_real: np.ndarray,
    classes: np.ndarray | None,
    class_name: str | None,
    *,
    title: str,
    scores: np.ndarray | None = None,
    height: int = 420,
) -> go.Figure:
    """D's features projected to 2D (`coords` (N, 2)): coloured by real/fake, and beside it by class
    (digit or nearest mode) when `classes` (N,) are known. Real samples are circles, fakes crosses."""
    coords, is_real = np.asarray(coords, dtype=np.float64), np.asarray(is_real, dtype=bool)
    panels = 2 if classes is not None else 1
    titles = ("real or fake", f"by {class_name}")[:panels]
    fig = make_subplots(rows=1, cols=panels, horizontal_spacing=0.06, subplot_titles=titles)
    sides = (("real", is_real, REAL_COLOUR, "circle"), ("fake", ~is_real, FAKE_COLOUR, "x-thin-open"))
    for which, mask, colour, symbol in sides:
        hover = f"{which}<extra></extra>" if scores is None else f"{which}<br>D = %{{customdata:.3f}}<extra></extra>"
        customdata = None if scores is None else scores[mask]
        trace = _markers(
            {"kind": which},
            coords[mask],
            which,
            colour,
            symbol,
            0.7,
            customdata=customdata,
            hovertemplate=hover,
            legendgroup="real-fake",
        )
        fig.add_trace(trace, 1, 1)
    classes = None if classes is None else np.asarray(classes)
    for k in [] if classes is None else np.unique(classes):
        for which, mask, _, symbol in sides:
            m = mask & (classes == k)
            if not m.any():
                continue
            first = which == "real" or not (is_real & (classes == k)).any()  # one legend entry per class
            trace = _markers(
                {"kind": "class", "class": int(k), "real": which == "real"},
                coords[m],
                f"{class_name} {k}",
                CLASS_COLOURS[int(k) % len(CLASS_COLOURS)],
                symbol,
                0.75,
                legendgroup=f"class{k}",
                showlegend=first,
                hovertemplate=f"{which}, {class_name} {k}<extra></extra>",
            )
            fig.add_trace(trace, 1, 2)
    fig.update_xaxes(showticklabels=False, zeroline=False, gridcolor="#eee")
    fig.update_yaxes(showticklabels=False, zeroline=False, gridcolor="#eee")
    fig.update_layout(title=dict(text=title, x=0.01, font=dict(size=15)), legend_itemsizing="constant")
    return _finish(fig, height, dict(l=10, r=10, t=70, b=10), None, f"lt-embedding-{title}")


def fgsm_curves(result: FGSMResult, height: int = 340, stacked: bool = False) -> go.Figure:
    """First panel: D's score at every step (each sample faint, the mean bold). Second: the samples' mean
    distance to their nearest real sample, beside the same for real samples and for G's samples (dashed).
    Side by side, or one above the other with `stacked` (for a narrow column)."""
    second = (2, 1) if stacked else (1, 2)
    titles = ("D's score: it rises", "distance to the nearest real sample")
    fig = make_subplots(*second, vertical_spacing=0.2, horizontal_spacing=0.12, subplot_titles=titles)
    scores = np.asarray(result.scores, dtype=np.float64)
    steps = np.arange(len(scores))
    per_sample = np.concatenate([scores, np.full((1, scores.shape[1]), np.nan)]).T.reshape(-1)  # NaN between
    each_x = np.tile(np.append(steps, np.nan), scores.shape[1])
    fig.add_trace(
        _line("score_each", each_x, per_sample, "each sample", "rgba(118, 42, 131, 0.2)", 1, hoverinfo="skip"), 1, 1
    )
    fig.add_trace(_line("score_mean", steps, scores.mean(1), "mean D score", FAKE_COLOUR, 3), 1, 1)
    fig.add_trace(_line("distance", steps, result.distance_to_data, "FGSM samples", RESULT_COLOUR, 3), *second)
    for value, name, colour, kind in (
        (result.real_distance, "real samples", REAL_COLOUR, "distance_real"),
        (result.fake_distance, "G's samples", FAKE_COLOUR, "distance_fake"),
    ):
        fig.add_trace(_line(kind, [steps[0], steps[-1]], [value, value], name, colour, 1.5, "dash"), *second)
    fig.update_yaxes(title_text=SCORE_NAMES[result.d_output], row=1, col=1, gridcolor="#eee")
    if result.d_output == "probability":
        fig.update_yaxes(range=[-0.02, 1.02], row=1, col=1)
    fig.update_yaxes(title_text="mean distance", rangemode="tozero", row=second[0], col=second[1], gridcolor="#eee")
    fig.update_xaxes(title_text="FGSM step", gridcolor="#eee")
    return _finish(fig, height, dict(l=55, r=10, t=40, b=40), -0.12 if stacked else -0.25, "lt-fgsm-curves")
