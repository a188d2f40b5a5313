"""Plotly figures for the Latent page: interpolation, arithmetic, truncation, D's embedding space, FGSM.

Builders take arrays and snapshots (never models) and return a `plotly.graph_objects.Figure`. The 2D
figures draw over `plots.main_view` (D's surface, the data, the modes and G's fixed-z samples); image
figures are grey pictures like the digits page's grid. Images come as (…, 1, H, W) arrays in
[−1, 1], as G makes them. Traces carry `meta={"kind": ...}` so tests and callers can find them.
"""
from __future__ import annotations
import dataclasses
import math
from typing import TYPE_CHECKING, Mapping, Sequence
import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots
from ganviz.figures.style import CAPTURED_COLOUR, FAKE_COLOUR, MODE_COLOUR, REAL_COLOUR, as_float32
from ganviz.figures.curves import OUTPUT_AXIS_TITLES
from ganviz.figures.images import picture_figure, tile
from ganviz.figures.points import main_view
if TYPE_CHECKING:
    from ganviz.latent.fgsm import FGSMResult
    from ganviz.latent.truncation import TruncationSweep
    from ganviz.training.points import Snapshot


PATH_COLOURS = {"spherical": "#e66101", "linear": "#2c7bb6"}



PATH_NAMES = {"spherical": "spherical (slerp)", "linear": "linear (lerp)"}



PICK_COLOUR = "#111111"



RESULT_COLOUR = "#e66101"



# Ten distinguishable colours for digits 0-9 or mode indices (cycled past ten): Plotly's D3 set.
CLASS_COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                 "#bcbd22", "#17becf"]



SCORE_NAMES = {"probability": "D(x) = P(real)", "score": "D(x) (least-squares score)", "critic": "critic f(x)"}



FONT = dict(size=12)



def to_unit(images) -> np.ndarray:
    """Images (…, 1, H, W) in [−1, 1] -> (…, H, W) float64 in [0, 1] for drawing."""
    images = np.asarray(images, dtype=np.float64)
    return ((images[..., 0, :, :] + 1) / 2).clip(0, 1)



def _backdrop(snap: "Snapshot", *, title: str, height: int, uirevision: str, clickable_fakes: bool = False,
              fake_name: str | None = None, fake_opacity: float | None = None) -> go.Figure:
    """`plots.main_view` without arrows, under a title of our own. With `clickable_fakes` only the fakes
    answer the mouse (a click elsewhere would select the surface or a real point)."""
    fig = main_view(snap, show_arrows=False, height=height, uirevision=uirevision)
    fig.update_layout(title=dict(text=title, pad=dict(t=8)), margin=dict(t=40))
    for trace in fig.data:
        kind = (trace.meta or {}).get("kind")
        if clickable_fakes and kind in ("surface", "real"):
            trace.hoverinfo, trace.hovertemplate = "skip", None
        if kind == "fake":
            if fake_name:
                trace.name = fake_name
            if fake_opacity is not None:
                trace.marker.opacity = fake_opacity
            if clickable_fakes:
                trace.customdata = np.arange(len(snap.fake))
                trace.hovertemplate = "fake #%{customdata}<br>(%{x:.2f}, %{y:.2f})<extra></extra>"
                trace.marker.size = 7
    return fig



def _fit_view(fig: go.Figure, points: np.ndarray, pad: float = 0.08) -> None:
    """Widen a main_view figure's square view, if needed, so that `points` (N, 2) are inside it too."""
    points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    points = points[np.isfinite(points).all(1)]
    (x0, x1), (y0, y1) = fig.layout.xaxis.range, fig.layout.yaxis.range
    lo = np.minimum([x0, y0], points.min(0)) if len(points) else np.array([x0, y0])
    hi = np.maximum([x1, y1], points.max(0)) if len(points) else np.array([x1, y1])
    if (lo < [x0, y0]).any() or (hi > [x1, y1]).any():
        centre, half = (lo + hi) / 2, (hi - lo).max() / 2 * (1 + pad)
        fig.update_xaxes(range=[centre[0] - half, centre[0] + half])
        fig.update_yaxes(range=[centre[1] - half, centre[1] + half])



def fake_trace_index(fig: go.Figure) -> int:
    """Position of G's fixed-z samples in `fig.data`: a click's selection names its trace by this number."""
    return next(i for i, t in enumerate(fig.data) if (t.meta or {}).get("kind") == "fake")



def _mark(xy, *, name: str, kind: str, symbol: str, colour: str, size: int = 14, text: str | None = None
          ) -> go.Scatter:
    xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    return go.Scatter(x=xy[:, 0], y=xy[:, 1], mode="markers+text" if text else "markers", name=name,
                      text=[text] * len(xy) if text else None, textposition="top center",
                      textfont=dict(size=13, color=colour),
                      marker=dict(symbol=symbol, size=size, color=colour, line=dict(color="white", width=1.5)),
                      hovertemplate=f"{name}<br>(%{{x:.2f}}, %{{y:.2f}})<extra></extra>", meta={"kind": kind})



def interpolation_2d(snap: "Snapshot", paths: Mapping[str, np.ndarray], chosen: str, start: int, end: int,
                     height: int = 520) -> go.Figure:
    """G's image of latent paths over D's surface and the data: `paths` maps "spherical"/"linear" to G's
    outputs (S, 2) along each; `chosen` is drawn bold, the other dotted. Only the fakes (G's fixed-z
    samples) answer the mouse, so that a click picks one; #`start` and #`end` are marked."""
    fig = _backdrop(snap, title="Click a purple fake to start the path, another to end it",
                    height=height, uirevision="lt-interpolation", clickable_fakes=True, fake_opacity=0.55)
    for name in sorted(paths, key=lambda n: n == chosen):  # the chosen path on top
        xy, bold = np.asarray(paths[name], dtype=np.float64), name == chosen
        fig.add_trace(go.Scatter(
            x=xy[:, 0], y=xy[:, 1], mode="lines+markers" if bold else "lines", name=PATH_NAMES[name],
            line=dict(color=PATH_COLOURS[name], width=3 if bold else 1.5, dash=None if bold else "dot"),
            marker=dict(size=6, color=PATH_COLOURS[name]), hoverinfo="skip",  # clicks are for the fakes
            meta={"kind": f"path_{name}"}))
    fake = np.asarray(snap.fake, dtype=np.float64)
    fig.add_trace(_mark(fake[start], name=f"start: fake #{start}", kind="start", symbol="square",
                        colour=PICK_COLOUR, text="start"))
    fig.add_trace(_mark(fake[end], name=f"end: fake #{end}", kind="end", symbol="star", colour=PICK_COLOUR,
                        size=17, text="end"))
    for trace in fig.data[-2:]:
        trace.hoverinfo, trace.hovertemplate = "skip", None
    _fit_view(fig, np.concatenate([np.asarray(p, dtype=np.float64) for p in paths.values()]))
    return fig



def path_profile(t: np.ndarray, scores: Mapping[str, np.ndarray], norms: Mapping[str, np.ndarray], chosen: str,
                 d_output: str, typical_norm: float, height: int = 420) -> go.Figure:
    """Two panels along the path parameter t in [0, 1]: D's score on G's output, and the norm |z| beside
    the typical norm of the noise (dashed): the linear path dips below it, the spherical one does not."""
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.14,
                        subplot_titles=("D's score along the path", "|z| along the path"))
    for name in sorted(scores, key=lambda n: n == chosen):
        bold = name == chosen
        style = dict(color=PATH_COLOURS[name], width=2.5 if bold else 1.3, dash=None if bold else "dot")
        fig.add_trace(go.Scatter(x=t, y=scores[name], mode="lines", name=PATH_NAMES[name], line=style,
                                 legendgroup=name, meta={"kind": f"score_{name}"}), row=1, col=1)
        fig.add_trace(go.Scatter(x=t, y=norms[name], mode="lines", name=PATH_NAMES[name], line=style,
                                 legendgroup=name, showlegend=False, meta={"kind": f"norm_{name}"}), row=2, col=1)
    fig.add_trace(go.Scatter(x=[0, 1], y=[typical_norm] * 2, mode="lines", name="typical |z| of the noise",
                             line=dict(color="#777", dash="dash", width=1), meta={"kind": "typical_norm"}),
                  row=2, col=1)
    fig.update_yaxes(title_text=OUTPUT_AXIS_TITLES[d_output].replace("mean ", ""), row=1, col=1, gridcolor="#eee")
    if d_output == "probability":
        fig.update_yaxes(range=[-0.02, 1.02], row=1, col=1)
    top = max(typical_norm, *(float(np.max(v)) for v in norms.values()))
    fig.update_yaxes(title_text="|z|", range=[0, 1.15 * top], row=2, col=1, gridcolor="#eee")
    fig.update_xaxes(title_text="t (0 = start, 1 = end)", row=2, col=1)
    fig.update_annotations(font=dict(size=13))
    fig.update_layout(height=height, margin=dict(l=55, r=10, t=30, b=40), plot_bgcolor="white",
                      legend=dict(orientation="h", x=0, y=-0.18, yanchor="top", font=FONT),
                      uirevision="lt-profile")
    return fig



def _labelled_picture(cells: np.ndarray, *, title: str, height: int, row_names: Sequence[str] | None = None,
                      captions: Sequence[str] | None = None, uirevision: str, pad: float = 0.0) -> go.Figure:
    """Images (rows, cols, 1, H, W) in [−1, 1] as one picture_figure, rows named on the left and each column
    captioned underneath (`captions`, one per column)."""
    rows, cols, _, h, w = cells.shape
    fig = picture_figure(tile(to_unit(cells), pad=pad), title=title, height=height, uirevision=uirevision)
    fig.data[0].meta = {"kind": "picture"}
    if row_names is not None:
        fig.update_yaxes(showticklabels=True, tickmode="array", ticktext=list(row_names),
                         tickvals=[r * (h + 1) + (h - 1) / 2 for r in range(rows)], title=None)
        fig.update_layout(margin=dict(l=90))
    if captions is not None:
        fig.update_xaxes(showticklabels=True, tickmode="array", ticktext=list(captions),
                         tickvals=[c * (w + 1) + (w - 1) / 2 for c in range(cols)], side="bottom",
                         tickfont=dict(size=11))
        fig.update_layout(margin=dict(b=30))
    return fig



def interpolation_strip(paths: Mapping[str, np.ndarray], chosen: str, start: int, end: int,
                        height: int = 230) -> go.Figure:
    """G's images along each path: `paths` maps "spherical"/"linear" to images (S, 1, H, W); the chosen
    path is the top row."""
    names = sorted(paths, key=lambda n: n != chosen)
    cells = np.stack([np.asarray(paths[n]) for n in names])
    steps = cells.shape[1]
    captions = ["start"] + [""] * (steps - 2) + ["end"]
    return _labelled_picture(cells, title=f"from sample #{start} to sample #{end}", height=height,
                             row_names=[PATH_NAMES[n] for n in names], captions=captions,
                             uirevision="lt-strip")



def numbered_grid(images: np.ndarray, *, title: str, picked: Mapping[int, str] | None = None, cols: int = 10,
                  labels: Sequence[int] | None = None, numbered: bool = True, height: int = 320) -> go.Figure:
    """Samples (N, 1, H, W) in a grid of `cols` columns, each numbered in its corner (with the digit asked
    for when `labels` are given) unless `numbered` is False; `picked` maps sample numbers to a word
    written inside their (outlined) cell."""
    images = np.asarray(images)
    n, _, h, w = images.shape
    rows = math.ceil(n / cols)
    cells = np.full((rows * cols, 1, h, w), -1.0)  # empty cells: white
    cells[:n] = images
    fig = _labelled_picture(cells.reshape(rows, cols, 1, h, w), title=title, height=height,
                            uirevision=f"lt-grid-{title}")
    picked = dict(picked or {})
    for i in range(n):
        r, c = divmod(i, cols)
        x0, y0 = c * (w + 1) - 0.5, r * (h + 1) - 0.5
        if numbered:
            fig.add_annotation(x=x0, y=y0, xanchor="left", yanchor="top", showarrow=False, borderpad=0,
                               text=f"{i}" if labels is None else f"{i}·{labels[i]}",
                               font=dict(size=10, color="#c51b7d"), bgcolor="rgba(255,255,255,0.7)")
        if i in picked:
            fig.add_shape(type="rect", x0=x0, x1=x0 + w, y0=y0, y1=y0 + h, line=dict(color=RESULT_COLOUR, width=3))
            fig.add_annotation(x=x0 + w / 2, y=y0 + h, yanchor="bottom", text=f"<b>{picked[i]}</b>", showarrow=False,
                               font=dict(size=11, color=RESULT_COLOUR), bgcolor="rgba(255,255,255,0.85)",
                               borderpad=0)
    return fig



def arithmetic_2d(snap: "Snapshot", operands: Mapping[str, np.ndarray], result: np.ndarray,
                  neighbours: np.ndarray, height: int = 460) -> go.Figure:
    """G(a), G(b), G(c) (`operands`: name -> point (2,)), G(a − b + c) (`result` (2,)) and G at noise near
    a − b + c (`neighbours` (M, 2)), over D's surface and the data."""
    fig = _backdrop(snap, title="G(a − b + c)", height=height, uirevision="lt-arithmetic", fake_opacity=0.25)
    fig.add_trace(go.Scatter(x=neighbours[:, 0], y=neighbours[:, 1], mode="markers", name="G(z) for z near a − b + c",
                             marker=dict(size=6, color=RESULT_COLOUR, opacity=0.5), meta={"kind": "neighbours"}))
    for name, symbol in zip(operands, ("circle", "diamond", "square")):
        fig.add_trace(_mark(operands[name], name=f"G({name})", kind=f"operand_{name}", symbol=symbol,
                            colour=PICK_COLOUR, size=12, text=name))
    fig.add_trace(_mark(result, name="G(a − b + c)", kind="result", symbol="star", colour=RESULT_COLOUR, size=18,
                        text="a − b + c"))
    _fit_view(fig, np.vstack([np.reshape(result, (1, 2)), neighbours]))
    return fig



def image_row(images: np.ndarray, captions: Sequence[str], *, title: str, uirevision: str,
              height: int = 170) -> go.Figure:
    """Images (K, 1, H, W) side by side, each captioned underneath."""
    images = np.asarray(images)
    return _labelled_picture(images[None], title=title, height=height, captions=captions, uirevision=uirevision)



def _psi_label(psi: float) -> str:
    return "none" if math.isinf(psi) else f"{psi:g}"



def truncation_points(snap: "Snapshot", samples: np.ndarray, psi: float, height: int = 460) -> go.Figure:
    """G's samples for noise truncated at ψ (`samples` (N, 2); ψ = inf: untruncated) over the data, beside
    G's untruncated fixed-z samples (faint)."""
    fig = _backdrop(snap, title=f"G(z) with z truncated at ψ = {_psi_label(psi)}", height=height,
                    uirevision="lt-truncation", fake_name="G(z), untruncated", fake_opacity=0.2)
    fig.add_trace(go.Scatter(x=as_float32(samples[:, 0]), y=as_float32(samples[:, 1]), mode="markers",
                             name=f"G(z), ψ = {_psi_label(psi)}",
                             marker=dict(size=5, color=RESULT_COLOUR, opacity=0.8), meta={"kind": "truncated"}))
    _fit_view(fig, samples)
    return fig



def truncation_curve(sweep: "TruncationSweep", chosen_psi: float, height: int = 360) -> go.Figure:
    """Three panels: fidelity against ψ, coverage (modes or digits) against ψ (untruncated at the right
    end of both), and fidelity against the distance to the data, one point per ψ: BigGAN's trade-off
    curve. The chosen ψ is ringed on each."""
    labels = [_psi_label(p) for p in sweep.psis]
    if _psi_label(chosen_psi) not in labels:
        raise ValueError(f"ψ = {chosen_psi} is not one of the sweep's thresholds ({', '.join(labels)})")
    chosen = labels.index(_psi_label(chosen_psi))
    has_coverage = bool(np.isfinite(sweep.coverage).any())
    titles = ["fidelity", sweep.coverage_name, "fidelity against distance to the data"]
    cols = [1, 2, 3] if has_coverage else [1, None, 2]
    fig = make_subplots(rows=1, cols=3 if has_coverage else 2, horizontal_spacing=0.09,
                        subplot_titles=[t for t, c in zip(titles, cols) if c])
    fidelity = 100 * np.asarray(sweep.fidelity, dtype=np.float64)
    ring = dict(symbol="circle-open", size=18, color=MODE_COLOUR, line=dict(width=2.5))
    fig.add_trace(go.Scatter(x=labels, y=fidelity, mode="lines+markers", name=f"% {sweep.fidelity_name}",
                             line=dict(color=FAKE_COLOUR, width=2), meta={"kind": "fidelity"}), row=1, col=cols[0])
    fig.add_trace(go.Scatter(x=[labels[chosen]], y=[fidelity[chosen]], mode="markers", marker=ring,
                             name=f"ψ = {labels[chosen]} (the slider)", meta={"kind": "chosen"}), row=1, col=cols[0])
    if has_coverage:
        fig.add_trace(go.Scatter(x=labels, y=sweep.coverage, mode="lines+markers",
                                 name=f"{sweep.coverage_name} (of {sweep.coverage_total})",
                                 line=dict(color=CAPTURED_COLOUR, width=2), meta={"kind": "coverage"}),
                      row=1, col=cols[1])
        fig.add_trace(go.Scatter(x=[labels[chosen]], y=[sweep.coverage[chosen]], mode="markers", marker=ring,
                                 showlegend=False, meta={"kind": "chosen_coverage"}), row=1, col=cols[1])
        fig.update_yaxes(title_text=f"of {sweep.coverage_total}", range=[0, (sweep.coverage_total or 1) * 1.08],
                         row=1, col=cols[1])
    last = cols[2]
    shown = {0, len(labels) - 1, chosen}  # labelling every point crowds the corner where they bunch up
    fig.add_trace(go.Scatter(x=sweep.distance, y=fidelity, mode="lines+markers+text",
                             text=[f"ψ {l}" if i in shown else "" for i, l in enumerate(labels)],
                             customdata=labels,
                             hovertemplate="ψ = %{customdata}<br>%{x:.3g}, %{y:.1f} %<extra></extra>",
                             textposition="middle right", textfont=dict(size=10, color="#555"),
                             name="one point per ψ", line=dict(color="#777", width=1.2),
                             marker=dict(size=7, color=FAKE_COLOUR), showlegend=False, meta={"kind": "tradeoff"}),
                  row=1, col=last)
    fig.add_trace(go.Scatter(x=[sweep.distance[chosen]], y=[fidelity[chosen]], mode="markers", marker=ring,
                             showlegend=False, meta={"kind": "chosen_tradeoff"}), row=1, col=last)
    fig.add_vline(x=sweep.distance_floor, line=dict(color="#999", dash="dash", width=1), row=1, col=last,
                  annotation_text="real vs real", annotation_font_size=10, annotation_position="bottom right")
    for c in cols[:2]:
        if c:
            fig.update_xaxes(title_text="ψ (small: truncated hard)", type="category", row=1, col=c)
    reach = float(np.nanmax([*sweep.distance, sweep.distance_floor]))
    fig.update_xaxes(title_text=sweep.distance_name, range=[0, 1.25 * reach], row=1, col=last)  # room for labels
    fig.update_yaxes(title_text=f"% {sweep.fidelity_name}", row=1, col=cols[0])
    fig.update_xaxes(gridcolor="#eee")
    fig.update_yaxes(gridcolor="#eee")
    fig.update_annotations(font=dict(size=13))
    fig.update_layout(height=height, margin=dict(l=55, r=20, t=40, b=50), plot_bgcolor="white",
                      legend=dict(orientation="h", x=0, y=-0.25, yanchor="top", font=FONT), uirevision="lt-sweep")
    return fig



def embedding_figure(coords: np.ndarray, is_real: np.ndarray, classes: np.ndarray | None, class_name: str | None,
                     *, title: str, scores: np.ndarray | None = None, height: int = 420) -> go.Figure:
    """D's features projected to 2D (`coords` (N, 2)): coloured by real/fake, and beside it by class
    (digit or nearest mode) when `classes` (N,) are known. Real samples are circles, fakes crosses."""
    coords, is_real = np.asarray(coords, dtype=np.float64), np.asarray(is_real, dtype=bool)
    panels = 2 if classes is not None else 1
    fig = make_subplots(rows=1, cols=panels, horizontal_spacing=0.06,
                        subplot_titles=("real or fake", f"by {class_name}")[:panels])
    hover = "%{customdata:.3f}" if scores is not None else ""
    for which, mask, colour, symbol in (("real", is_real, REAL_COLOUR, "circle"), ("fake", ~is_real, FAKE_COLOUR,
                                                                                   "x-thin-open")):
        fig.add_trace(go.Scatter(x=as_float32(coords[mask, 0]), y=as_float32(coords[mask, 1]), mode="markers", name=which,
                                 marker=dict(size=6, color=colour, symbol=symbol, opacity=0.7,
                                             line=dict(width=1.2, color=colour)),
                                 customdata=None if scores is None else scores[mask],
                                 hovertemplate=f"{which}<br>D = {hover}<extra></extra>" if scores is not None
                                 else f"{which}<extra></extra>", legendgroup="real-fake",
                                 meta={"kind": which}), row=1, col=1)
    if classes is not None:
        classes = np.asarray(classes)
        for k in np.unique(classes):
            for which, mask, symbol in (("real", is_real, "circle"), ("fake", ~is_real, "x-thin-open")):
                m = mask & (classes == k)
                if not m.any():
                    continue
                colour = CLASS_COLOURS[int(k) % len(CLASS_COLOURS)]
                fig.add_trace(go.Scatter(x=as_float32(coords[m, 0]), y=as_float32(coords[m, 1]), mode="markers",
                                         name=f"{class_name} {k}", legendgroup=f"class{k}",
                                         showlegend=which == "real" or not (is_real & (classes == k)).any(),
                                         marker=dict(size=6, color=colour, symbol=symbol, opacity=0.75,
                                                     line=dict(width=1.2, color=colour)),
                                         hovertemplate=f"{which}, {class_name} {k}<extra></extra>",
                                         meta={"kind": "class", "class": int(k), "real": which == "real"}),
                              row=1, col=2)
    fig.update_xaxes(showticklabels=False, zeroline=False, gridcolor="#eee")
    fig.update_yaxes(showticklabels=False, zeroline=False, gridcolor="#eee")
    fig.update_annotations(font=dict(size=13))
    fig.update_layout(title=dict(text=title, x=0.01, font=dict(size=15)), height=height,
                      margin=dict(l=10, r=10, t=70, b=10), plot_bgcolor="white",
                      legend=dict(font=FONT, itemsizing="constant"), uirevision=f"lt-embedding-{title}")
    return fig



def fgsm_paths_2d(snap: "Snapshot", result: "FGSMResult", height: int = 520) -> go.Figure:
    """Each noise point's FGSM path over D's surface (`result.surface`, which reaches as far as the paths
    do), with the data, its modes and G's fixed-z samples for comparison."""
    gx, gy, values, extent = result.surface
    view = dataclasses.replace(snap, grid_x=gx, grid_y=gy, d_surface=values, extent=extent)
    fig = _backdrop(view, title=f"FGSM from noise: {len(result.trajectory) - 1} steps of η = {result.step_size:g}",
                    height=height, uirevision="lt-fgsm", fake_opacity=0.35)
    traj = np.asarray(result.trajectory, dtype=np.float64)  # (T+1, N, 2)
    gaps = np.full((1, traj.shape[1], 2), np.nan)
    lines = np.concatenate([traj, gaps]).transpose(1, 0, 2).reshape(-1, 2)  # each point's path, NaN between
    fig.add_trace(go.Scatter(x=as_float32(lines[:, 0]), y=as_float32(lines[:, 1]), mode="lines", name="FGSM paths",
                             line=dict(color="rgba(20, 20, 20, 0.45)", width=1), hoverinfo="skip",
                             meta={"kind": "paths"}))
    fig.add_trace(_mark(traj[0], name="noise (start)", kind="start", symbol="circle-open", colour="#444", size=7))
    fig.add_trace(_mark(traj[-1], name="after the last step", kind="end", symbol="x", colour=RESULT_COLOUR, size=8))
    return fig



def fgsm_images(result: "FGSMResult", columns: int = 6, labels: Sequence[int] | None = None,
                height: int = 420) -> go.Figure:
    """Each noise image (one row per sample) at `columns` evenly spaced steps, first and last included."""
    traj = np.asarray(result.trajectory)  # (T+1, N, 1, H, W)
    steps = np.unique(np.linspace(0, len(traj) - 1, columns).round().astype(int))
    cells = traj[steps].transpose(1, 0, 2, 3, 4)  # (N, columns, 1, H, W)
    score = result.scores.mean(1)
    captions = [f"step {s}<br>D {score[s]:.2f}" for s in steps]
    names = [f"#{i}" if labels is None else f"#{i} ({labels[i]})" for i in range(len(cells))]
    return _labelled_picture(cells, title="noise pushed toward “real” (mean D under each column)",
                             height=height, row_names=names, captions=captions, uirevision="lt-fgsm-images")



def fgsm_curves(result: "FGSMResult", height: int = 340, stacked: bool = False) -> go.Figure:
    """First panel: D's score at every step (each sample faint, the mean bold). Second: the samples' mean
    distance to their nearest real sample, beside the same for real samples and for G's samples (dashed).
    Side by side, or one above the other with `stacked` (for a narrow column)."""
    second = (2, 1) if stacked else (1, 2)
    fig = make_subplots(rows=second[0], cols=second[1], vertical_spacing=0.2, horizontal_spacing=0.12,
                        subplot_titles=("D's score: it rises", "distance to the nearest real sample"))
    scores = np.asarray(result.scores, dtype=np.float64)
    steps = np.arange(len(scores))
    per_sample = np.concatenate([scores, np.full((1, scores.shape[1]), np.nan)]).T.reshape(-1)
    fig.add_trace(go.Scatter(x=np.tile(np.append(steps, np.nan), scores.shape[1]), y=per_sample, mode="lines",
                             name="each sample", line=dict(color="rgba(118, 42, 131, 0.2)", width=1),
                             hoverinfo="skip", meta={"kind": "score_each"}), row=1, col=1)
    fig.add_trace(go.Scatter(x=steps, y=scores.mean(1), mode="lines", name="mean D score",
                             line=dict(color=FAKE_COLOUR, width=3), meta={"kind": "score_mean"}), row=1, col=1)
    fig.add_trace(go.Scatter(x=steps, y=result.distance_to_data, mode="lines", name="FGSM samples",
                             line=dict(color=RESULT_COLOUR, width=3), meta={"kind": "distance"}), *second)
    for value, name, colour, kind in ((result.real_distance, "real samples", REAL_COLOUR, "distance_real"),
                                      (result.fake_distance, "G's samples", FAKE_COLOUR, "distance_fake")):
        fig.add_trace(go.Scatter(x=[steps[0], steps[-1]], y=[value, value], mode="lines", name=name,
                                 line=dict(color=colour, dash="dash", width=1.5), meta={"kind": kind}), *second)
    fig.update_yaxes(title_text=SCORE_NAMES[result.d_output], row=1, col=1, gridcolor="#eee")
    if result.d_output == "probability":
        fig.update_yaxes(range=[-0.02, 1.02], row=1, col=1)
    fig.update_yaxes(title_text="mean distance", rangemode="tozero", row=second[0], col=second[1], gridcolor="#eee")
    fig.update_xaxes(title_text="FGSM step", gridcolor="#eee")
    fig.update_annotations(font=dict(size=13))
    fig.update_layout(height=height, margin=dict(l=55, r=10, t=40, b=40), plot_bgcolor="white",
                      legend=dict(orientation="h", x=0, y=-0.12 if stacked else -0.25, yanchor="top", font=FONT), uirevision="lt-fgsm-curves")
    return fig
