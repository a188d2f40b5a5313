import torch

# Small models are dispatcher-bound: one thread is faster here and keeps runs reproducible.
torch.set_num_threads(1)
