"""ganviz: the router. Run with `streamlit run app.py`.

Only page configuration and navigation live here; every page is a file in pages/.
Keep widgets out of this file (AppTest loses widgets placed in the entrypoint under
st.navigation after a rerun), and put shared controls on the pages themselves.
"""
import streamlit as st

from ganviz.training.runtime import use_one_thread

use_one_thread()  # before any page trains: see ganviz/threads.py
st.set_page_config(page_title="ganviz", layout="wide")

# Streamlit forgets a widget's value once a script run does not draw the widget, and every page
# switch is such a run for the other pages' widgets: coming back, the training pages would find
# their settings gone. Assigning a widget's value to its own key makes it plain session state that
# survives (Streamlit's documented way to keep widget values across pages). Only value widgets:
# buttons, uploads and chart selections refuse assignment, so the keys are named, not guessed.
KEPT_WIDGET_PREFIXES = ("w_", "mw_")  # the settings of the 2D playground and of the digits page
KEPT_WIDGET_KEYS = {"pg_lesson", "pg_speed", "pg_slow", "mn_lesson", "mn_speed", "cp_speed", "cp_all_settings"}
for _key in [k for k in st.session_state if k in KEPT_WIDGET_KEYS or k.startswith(KEPT_WIDGET_PREFIXES)]:
    st.session_state[_key] = st.session_state[_key]

PAGES = [
    st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
    st.Page("pages/playground.py", title="2D playground", icon=":material/scatter_plot:",
            url_path="playground"),
    st.Page("pages/digits.py", title="Digits (MNIST)", icon=":material/draw:", url_path="mnist"),
    # New pages go below, one st.Page per file in pages/, in the order they appear in the sidebar.
    st.Page("pages/divergences.py", title="Divergences", icon=":material/compare_arrows:",
            url_path="divergences"),
    st.Page("pages/dynamics.py", title="Dynamics", icon=":material/cyclone:", url_path="dynamics"),
    st.Page("pages/latent.py", title="Latent", icon=":material/blur_on:", url_path="latent"),
    st.Page("pages/compare.py", title="Compare", icon=":material/view_column:", url_path="compare"),
]

st.navigation(PAGES).run()
