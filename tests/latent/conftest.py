"""Trained runs the latent tests look inside, trained once per test session."""

from __future__ import annotations

import pytest

from ganviz import GANConfig, Trainer, image_config
from ganviz.data.images import load_images
from support.cache import session_cache_dir


@pytest.fixture(scope="session")
def ring_run() -> Trainer:
    """Ring of 8 Gaussians, 400 iterations, seed 0 (about 2 s): G has found some modes, D has a shape."""
    trainer = Trainer(GANConfig(dataset="ring8", seed=0, device="cpu"))
    trainer.step(400)
    return trainer


@pytest.fixture(scope="session")
def grid_run() -> Trainer:
    """Grid of 25 Gaussians, 2,000 iterations, seed 0: covers the grid, with the latent centre on a mode.
        On the CPU, so it is the same run on every machine (a GPU trains from other random streams, and where
        G puts the latent centre, hence whether truncation helps, depends on the run). About 12 s: the tests
    that need it are slow ones."""
    trainer = Trainer(GANConfig(dataset="grid25", seed=0, device="cpu"))
    trainer.step(2000)
    return trainer


@pytest.fixture(scope="session")
def digits_cache():
    """The digit classifier's cache, shared with the other tests: the judge trains once per session."""
    return session_cache_dir()


def trained_digits(cache, iterations: int, **config):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GANVIZ_CACHE_DIR", str(cache))
        trainer = Trainer(image_config("digits", seed=0, **config), images=load_images("digits"))
        trainer.step(iterations)
        assert trainer.domain.judge.accuracy > 0.8  # trained (or loaded) while the cache variable is set
    return trainer


@pytest.fixture(scope="session")
def digits_run(digits_cache) -> Trainer:
    return trained_digits(digits_cache, 30)


@pytest.fixture(scope="session")
def conditional_digits(digits_cache) -> Trainer:
    return trained_digits(digits_cache, 20, conditional=True, digits="038")
