"""A Plotly figure that is updated in place, for views redrawn several times a second.

`st.plotly_chart` gives a chart a new identity whenever its figure changes, so the browser throws the
old plot away and builds a new one on every frame (measured: ~190 ms of browser CPU per frame of the
main view, and the plot's zoom state goes with it). This component keeps one plot element and hands
each new figure to `Plotly.react`, which redraws the same element (~65 ms) and keeps zoom and pan
through `layout.uirevision`.

A view may name its role (`role="main-view"`, say): the component then counts its redraws in the browser
window, `window.__ganvizRedraws[role]`, whatever page it is on (what `python -m ganviz bench --live` reads).

Plotly.js comes from the installed plotly package: it is copied once into `static/` and served by
Streamlit's static file serving (`enableStaticServing` in .streamlit/config.toml), so the app needs
no internet.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import plotly
import plotly.io as pio
import streamlit as st

ROOT = Path(__file__).resolve().parents[1]
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
SERVED_JS = ROOT / "static" / "plotly.min.js"


def _serve_plotly_js() -> None:
    if SERVED_JS.exists() and SERVED_JS.stat().st_size == PLOTLY_JS.stat().st_size:
        return
    SERVED_JS.parent.mkdir(exist_ok=True)
    # copied beside it, then moved in one step: a session may be reading the file meanwhile, and other processes
    # (replicas, test processes) may be copying it too, each to a partial file of its own
    partial = SERVED_JS.with_suffix(f".{os.getpid()}.partial")
    shutil.copyfile(PLOTLY_JS, partial)
    partial.replace(SERVED_JS)


_serve_plotly_js()

_JS = """
const SRC = "app/static/plotly.min.js?v=PLOTLY_VERSION";
function loadPlotly() {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  if (!window.__ganvizPlotly) {
    window.__ganvizPlotly = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = SRC;
      script.onload = () => resolve(window.Plotly);
      script.onerror = () => {
        window.__ganvizPlotly = null;
        reject(new Error("Could not load " + SRC + ": start the app from the project folder, whose " +
                         ".streamlit/config.toml turns on static file serving."));
      };
      document.head.appendChild(script);
    });
  }
  return window.__ganvizPlotly;
}
// A view that should fit the window: as tall as the room left below its top edge (in the page, not the
// viewport: scrolling does not change it), between `fit.min` px and the figure's own height, and no taller than
// its pictures need at its width (`layout.meta.aspect`, their height over their width): no empty bands.
function fittedHeight(plot, fit, layout) {
  const scrolled = ["[data-testid='stMain']", "[data-testid='stAppViewContainer']"]
    .map((s) => document.querySelector(s)).filter(Boolean).reduce((sum, e) => sum + e.scrollTop, window.scrollY);
  const room = window.innerHeight - (plot.getBoundingClientRect().top + scrolled) - fit.margin;
  let needed = Infinity;
  if (layout.meta && layout.meta.aspect && plot.clientWidth) {
    const margin = Object.assign({ l: 80, r: 80, t: 100, b: 80 }, layout.margin);  // Plotly's defaults
    needed = (plot.clientWidth - margin.l - margin.r) * layout.meta.aspect + margin.t + margin.b;
  }
  return Math.round(Math.max(fit.min, Math.min(layout.height, room, needed)));
}
// Streamlit's page marks every script run, fragment runs too, in the browser's performance timeline
// (performance.mark "running" and "notRunning", performance.measure "script-run-cycle") and never clears them:
// three entries per run (a playing page runs ~5 fragments a second), kept for the life of the tab. Nothing
// reads them: clear them every 500 calls of this component.
const RUN_MARKS = ["running", "notRunning"];
function dropRunMarks() {
  window.__ganvizCalls = (window.__ganvizCalls || 0) + 1;
  if (window.__ganvizCalls % 500) return;
  RUN_MARKS.forEach((name) => performance.clearMarks(name));
  performance.clearMeasures("script-run-cycle");
}
export default function ({ parentElement, data }) {
  let plot = parentElement.querySelector("div.ganviz-plot");
  if (!plot) {
    plot = document.createElement("div");
    plot.className = "ganviz-plot";
    parentElement.appendChild(plot);
  }
  // Streamlit calls the function returned last once the element has gone (a page switch): the window then
  // lets go of the plot, else its resize listeners (ours and Plotly's own) keep the plot and its figure for
  // the life of the tab
  const release = () => {
    if (plot.isConnected) return;  // an earlier call's clean-up: the plot is still shown
    if (plot.ganvizResize) window.removeEventListener("resize", plot.ganvizResize);
    if (plot.ganvizWidth) plot.ganvizWidth.disconnect();
    plot.ganvizResize = plot.ganvizWidth = null;
    if (window.Plotly) window.Plotly.purge(plot);
  };
  dropRunMarks();
  const spec = data.spec;
  if (plot.ganvizLatest === spec) return release;  // the same figure again (a view redrawn only now and then)
  plot.ganvizLatest = spec;
  loadPlotly().then((Plotly) => {
    if (plot.ganvizLatest !== spec || !plot.isConnected) return false;  // a newer figure came, or the plot went
    const figure = JSON.parse(spec);
    // The plot's size: its column's width (or Plotly's default while the column is hidden) and the figure's
    // height, fitted to the window where asked, sized again when either changes (a laptop unplugged from a
    // projector). Not Plotly's `responsive`: it sizes the height to the column's too, which is 0 here (the
    // plot's own height sets the column's), and the plot then overlaps what follows it.
    const wanted = Object.assign({}, figure.layout);  // the figure's own size, before any fitting
    plot.ganvizSize = () => ({
      width: plot.clientWidth || undefined,
      height: data.fit ? fittedHeight(plot, data.fit, wanted) : wanted.height,
    });
    Object.assign(figure.layout, plot.ganvizSize());
    if (!plot.ganvizResize) {  // a new window height fits it again; a new column width (the window's, the
      // sidebar's, or columns that wrap) sizes it again
      plot.ganvizResize = () => window.Plotly.relayout(plot, plot.ganvizSize());
      window.addEventListener("resize", plot.ganvizResize);
      let width = plot.clientWidth;
      plot.ganvizWidth = new ResizeObserver(() => {
        if (plot.clientWidth && plot.clientWidth !== width) {
          width = plot.clientWidth;
          plot.ganvizResize();
        }
      });
      plot.ganvizWidth.observe(plot);
    }
    const options = Object.assign({ displaylogo: false }, data.config);
    return Plotly.react(plot, figure.data, figure.layout, options).then(() => true);
  }).then((drawn) => {
    if (!drawn || !data.role) return;
    const redraws = (window.__ganvizRedraws = window.__ganvizRedraws || {});
    redraws[data.role] = (redraws[data.role] || 0) + 1;
  }).catch((error) => { plot.textContent = error.message; });
  return release;
}
""".replace("PLOTLY_VERSION", plotly.__version__)

_component = st.components.v2.component("ganviz.plotly_live", js=_JS, isolate_styles=False)


MAIN_VIEW = "main-view"  # the role of a live page's main view
NO_MODEBAR = {"displayModeBar": False}  # a figure's config: no toolbar over views that are watched, not edited
FIT_MARGIN_PX = 6  # room kept below a window-fitted figure


def plotly_live(
    figure, *, key: str, config: dict | None = None, role: str | None = None, fit_min: int | None = None
) -> None:
    """Draw `figure` (a plotly Figure) in the element `key`, updating it in place; `role` names what it
    shows, for counting its redraws (see above). With `fit_min`, the figure is only as tall as the window has
    room for below its top (at least `fit_min` px, at most its own height): a projector shows it whole."""
    fit = None if fit_min is None else {"min": fit_min, "margin": FIT_MARGIN_PX}
    data = {"spec": pio.to_json(figure, validate=False), "config": config or {}, "role": role, "fit": fit}
    _component(key=key, data=data)
