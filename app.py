"""ganviz: the router. Run with `streamlit run app.py`.

Only page configuration and navigation live here; every page is a file in pages/.
Keep widgets out of this file (AppTest loses widgets placed in the entrypoint under
st.navigation after a rerun), and put shared controls on the pages themselves.
"""

import pages._import_once  # noqa: F401  (first: see pages/_import_once.py)

import streamlit as st

from ganviz.training.runtime import use_one_thread
from pages._links import presenting
from pages._session import keep_widget_values

use_one_thread()  # before any page trains: see ganviz/training/runtime.py
# Presenter mode (`?present=1`, any page): the sidebar starts folded, so the page has the window's width, and the
# text is larger, for the back of a classroom. The title and the top padding keep their heights: the live views
# keep their room.
PRESENTER_STYLE = (
    " html { font-size: 18px; } h1 { font-size: 2.45rem !important; }"
    " [data-testid='stMainBlockContainer'] { padding-top: 2.65rem; }"
)
present = presenting()
st.set_page_config(page_title="ganviz", layout="wide", initial_sidebar_state="collapsed" if present else "auto")
# Streamlit's default top padding (6rem) costs a projector's 768-pixel screen an eighth of its height: a classroom
# sees the live view whole with less.
st.html(
    "<style>[data-testid='stMainBlockContainer'] { padding-top: 3rem; }"
    + (PRESENTER_STYLE if present else "")
    + "</style>"
)

# Streamlit forgets a widget's value once a script run does not draw the widget, and every page switch is such
# a run for the other pages' widgets: coming back, a page would find its settings gone. Each page's state class
# declares its value widgets (`kept_widgets`, see pages/_session.py); their values are kept here, every run.
keep_widget_values()

PAGES = [
    st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
    st.Page("pages/course.py", title="Course", icon=":material/school:", url_path="course"),
    st.Page("pages/playground.py", title="2D playground", icon=":material/scatter_plot:", url_path="playground"),
    st.Page("pages/mnist.py", title="Digits (MNIST)", icon=":material/draw:", url_path="mnist"),
    # New pages go below, one st.Page per file in pages/, in the order they appear in the sidebar.
    st.Page("pages/divergences.py", title="Divergences", icon=":material/compare_arrows:", url_path="divergences"),
    st.Page("pages/dynamics.py", title="Dynamics", icon=":material/cyclone:", url_path="dynamics"),
    st.Page("pages/latent.py", title="Latent", icon=":material/blur_on:", url_path="latent"),
    st.Page("pages/compare.py", title="Compare", icon=":material/view_column:", url_path="compare"),
]

st.navigation(PAGES).run()
