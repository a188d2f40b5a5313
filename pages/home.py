"""Home: what a GAN is, why training one is hard, and what you can train here."""

import re

import pages._import_once  # noqa: F401  (first: see pages/_import_once.py)

import streamlit as st

from ganviz.data import DATASETS
from ganviz.figures.gallery import dataset_gallery
from ganviz.losses import LOSSES
from pages._first_visit import run_through_app

run_through_app()  # first, before anything is drawn: see pages/_first_visit.py

OUTPUT_KIND = {
    "probability": "D outputs a probability (a sigmoid of its logit)",
    "score": "D outputs a score with targets 0 (fake) and 1 (real)",
    "critic": "D is an unbounded critic f",
}


GALLERY_POINTS, GALLERY_SEED = 1500, 0
LAST_TERM = re.compile(r"\] ([+-]) (?!.*\] [+-] )")  # before the last top-level + or - of a sum of expectations


def on_two_lines(formula: str) -> str:
    """A sum of terms broken before its last + or -, so that half a 1366-pixel screen holds it."""
    return LAST_TERM.sub(r"] \\\\ & \\qquad \1 ", formula, count=1)


@st.cache_data(show_spinner=False)
def gallery(n: int, seed: int):
    """The dataset figure, built once per process: sampling 8 datasets costs more than a rerun."""
    return dataset_gallery(DATASETS, n=n, seed=seed)


st.title("ganviz — see why GANs are hard")

what, why = st.columns(2, gap="large")
with what:
    st.markdown(
        "A **generative adversarial network** (GAN) is two neural networks trained against each "
        "other. The **generator** G turns random noise *z* into a sample G(*z*). The "
        "**discriminator** D looks at a point and says how likely it is to be real data rather "
        "than one of G's fakes. D learns to tell them apart; G learns to fool D. In the original "
        "formulation they play a minimax game over one value:"
    )
    st.latex(
        r"\begin{aligned}\min_G \max_D V(D,G) = {}"
        r"& \mathbb{E}_{x\sim p_\text{data}}[\log D(x)] \\"
        r"& + \mathbb{E}_{z\sim p_z}[\log(1 - D(G(z)))]\end{aligned}"
    )
with why:
    st.markdown(
        "At the optimum G's samples follow the data distribution and D outputs ½ everywhere. "
        "Getting there by gradient steps is the hard part: there is no single loss that goes "
        "down, because each network's target moves every time the other one learns. Three "
        "failures keep coming back, and you can watch each of them happen here:\n"
        "- **Mode collapse**: G finds a few points D accepts and puts all its samples there.\n"
        "- **Vanishing gradients**: once D is confident, the original G loss goes flat and G "
        "stops learning.\n"
        "- **Non-convergence**: the two players circle each other instead of settling down."
    )

st.header("Losses you can train with")
st.markdown("Every trainer in ganviz offers these. In each pair D minimises the first objective and G the second.")
losses = list(LOSSES.values())
for row in range(0, len(losses), 2):  # two cards a row, so cards side by side line up
    for col, loss in zip(st.columns(2), losses[row : row + 2]):
        with col.container(border=True, height="stretch"):
            st.markdown(f"**{loss.title}** · `{loss.name}`")
            st.caption(OUTPUT_KIND.get(loss.output, loss.output))
            st.latex(
                r"\begin{aligned}"
                rf"\text{{D:}}\quad & \min_D\; {on_two_lines(loss.formula_d)} \\"
                rf"\text{{G:}}\quad & \min_G\; {loss.formula_g}"
                r"\end{aligned}"
            )

st.header("Datasets")
st.markdown(
    f"The 2D distributions you can train on: {GALLERY_POINTS:,} samples of each "
    f"(seed {GALLERY_SEED}). "
    "Red circles mark the mode centres that the metrics count."
)
st.plotly_chart(gallery(GALLERY_POINTS, GALLERY_SEED), width="stretch", config={"displayModeBar": False})

st.header("Where to start")
st.markdown("**Course** (in the sidebar)")
st.caption(
    "A guided tour of the five lectures in nine chapters: predict what a GAN will do, run it, and read what "
    "happened on your own run, with the numbers. A teacher can link any chapter."
)
start_2d, start_digits = st.columns(2, gap="large")
start_2d.markdown("**2D playground** (in the sidebar)")
start_2d.caption(
    "GAN Lab's view, and more: D's decision surface, G's samples and the forces between them, "
    "live, with lessons on mode collapse, vanishing gradients, balance and the Wasserstein losses."
)
start_digits.markdown("**Digits (MNIST)** (in the sidebar)")
start_digits.caption(
    "The same losses and tricks on handwritten digits: watch them form, and watch a "
    "classifier's histogram catch the generator dropping digits."
)
start_divergences, start_dynamics = st.columns(2, gap="large")
start_divergences.markdown("**Divergences** (in the sidebar)")
start_divergences.caption(
    "Why JS stays flat at log 2 while W₁ keeps pointing the way: exact numbers with "
    "sliders, the optimal discriminator learnt live, and a minimax generator racing a "
    "WGAN-GP one from far away."
)
start_dynamics.markdown("**Dynamics** (in the sidebar)")
start_dynamics.caption(
    "Why gradient play circles (the xy game), why the original generator loss stalls, and "
    "what spectral normalisation does to a discriminator's slope."
)
start_latent, start_compare = st.columns(2, gap="large")
start_latent.markdown("**Latent** (in the sidebar)")
start_latent.caption(
    "Inside a trained GAN: walks and arithmetic in its latent space, the truncation trick's "
    "fidelity against variety, the discriminator's embedding space, and why pushing noise along "
    "D's gradient does not generate."
)
start_compare.markdown("**Compare** (in the sidebar)")
start_compare.caption(
    "Two to four runs race on the same data and seed: non-saturating against WGAN-GP, k = 1 "
    "against k = 5, with and without spectral norm. Their views side by side, every curve "
    "overlaid, the settings that differ highlighted, and a link that replays the race."
)

st.header("Train one from the command line")
st.markdown("The same engine runs without the app. Train a GAN on the ring of 8 Gaussians:")
st.code("python -m ganviz train --dataset ring8 --steps 5000 --seed 0", language="bash")
st.markdown("or on digits (MNIST is downloaded once; offline it uses scikit-learn's 8×8 digits and says so):")
st.code("python -m ganviz train --dataset mnist --steps 3000 --samples-out digits.npy", language="bash")
st.markdown("and list every option:")
st.code("python -m ganviz train --help", language="bash")
