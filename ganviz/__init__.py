"""ganviz: train small GANs and see why they are hard.

Headless use, with the same code the app runs:

    from ganviz import GANConfig, Trainer
    trainer = Trainer(GANConfig(dataset="ring8", loss="nonsaturating", seed=0))
    trainer.step(5000)
    print(trainer.evaluate())          # modes captured, % high quality, JS, W1, ...
    snap = trainer.snapshot()          # numpy arrays for plots: samples, D surface, gradients
"""
from ganviz.config import ConfigError, GANConfig
from ganviz.data import DATASETS, DataError, read_points_csv
from ganviz.losses import LOSSES
from ganviz.training.trainer import Divergence, Snapshot, Trainer, TrainingDiverged

__all__ = ["ConfigError", "DATASETS", "DataError", "Divergence", "GANConfig", "LOSSES", "Snapshot", "Trainer",
           "TrainingDiverged", "read_points_csv"]
