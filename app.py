"""ganviz: the router. Run with `streamlit run app.py`.

Only page configuration and navigation live here; every page is a file in pages/.
Keep widgets out of this file (AppTest loses widgets placed in the entrypoint under
st.navigation after a rerun), and put shared controls on the pages themselves.
"""
import streamlit as st

from ganviz.threads import use_one_thread

use_one_thread()  # before any page trains: see ganviz/threads.py
st.set_page_config(page_title="ganviz", layout="wide")

PAGES = [
    st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
    st.Page("pages/playground_2d.py", title="2D playground", icon=":material/scatter_plot:",
            url_path="playground"),
    st.Page("pages/mnist.py", title="Digits (MNIST)", icon=":material/draw:", url_path="mnist"),
    # New pages go below, one st.Page per file in pages/, in the order they appear in the sidebar.
    st.Page("pages/divergences.py", title="Divergences", icon=":material/compare_arrows:",
            url_path="divergences"),
    st.Page("pages/dynamics.py", title="Dynamics", icon=":material/cyclone:", url_path="dynamics"),
]

st.navigation(PAGES).run()
