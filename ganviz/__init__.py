"""ganviz: train small GANs and see why they are hard.

Headless use, with the same code the app runs:

    from ganviz import GANConfig, Trainer
    trainer = Trainer(GANConfig(dataset="ring8", loss="nonsaturating", seed=0))
    trainer.step(5000)
    print(trainer.evaluate())          # modes captured, % high quality, JS, W1, ...
    snap = trainer.snapshot()          # numpy arrays for plots: samples, D surface, gradients

    from ganviz import Race, RaceConfig
    race = Race(RaceConfig((GANConfig(), GANConfig(loss="wgan-gp", d_steps=5))))
    race.step(2000)                    # both runs, side by side, in worker processes
"""

from ganviz.config import ConfigError, GANConfig, image_config
from ganviz.data import DATASETS, DataError, read_points_csv
from ganviz.losses import LOSSES
from ganviz.models.image import IMAGE_MODELS
from ganviz.racing.config import RaceConfig
from ganviz.racing.race import Race
from ganviz.training.guard import Divergence, TrainingDiverged
from ganviz.training.images import ImageSnapshot
from ganviz.training.points import Snapshot
from ganviz.training.trainer import Trainer

__all__ = [
    "ConfigError",
    "DATASETS",
    "DataError",
    "Divergence",
    "GANConfig",
    "IMAGE_MODELS",
    "ImageSnapshot",
    "LOSSES",
    "Race",
    "RaceConfig",
    "Snapshot",
    "Trainer",
    "TrainingDiverged",
    "image_config",
    "read_points_csv",
]
