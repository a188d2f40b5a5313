"""MLP generator and discriminator for 2D GANs, with spectral norm, minibatch features and batch norm.

Shapes: G maps noise (B, noise_dim) -> points (B, 2). D maps points (B, 2) -> raw outputs (B,)
(a logit, a least-squares score or a critic value, depending on the loss).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils import parametrize
from torch.nn.utils.parametrizations import spectral_norm as _spectral_norm

ACTIVATIONS = {
    "relu": nn.ReLU,
    "leaky_relu": lambda: nn.LeakyReLU(0.2),
    "tanh": nn.Tanh,
    "elu": nn.ELU,
    "gelu": nn.GELU,
    "silu": nn.SiLU,
}


def _linear(n_in: int, n_out: int, spectral: bool) -> nn.Linear:
    layer = nn.Linear(n_in, n_out)
    return _spectral_norm(layer) if spectral else layer


class MLPGenerator(nn.Module):
    def __init__(self, noise_dim: int, depth: int, width: int, activation: str = "relu",
                 batch_norm: bool = False, spectral_norm: bool = False, out_dim: int = 2):
        super().__init__()
        layers, n_in = [], noise_dim
        for _ in range(depth):
            layers.append(_linear(n_in, width, spectral_norm))
            if batch_norm:
                layers.append(nn.BatchNorm1d(width))
            layers.append(ACTIVATIONS[activation]())
            n_in = width
        layers.append(_linear(n_in, out_dim, spectral_norm))
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z)


class MinibatchStddev(nn.Module):
    """Appends one feature: the mean over features of the batch standard deviation (ProGAN).

    A collapsed generator produces batches with tiny spread, which D can then see directly.
    """

    extra_features = 1

    def forward(self, h: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:
        """h (..., N, F), reference (..., R, F): any leading axes are separate runs (see `stacked_discriminate`)."""
        spread = torch.sqrt(reference.var(dim=-2, unbiased=False) + 1e-8).mean(-1, keepdim=True)  # (..., 1)
        return torch.cat([h, spread.unsqueeze(-2).expand(*h.shape[:-1], 1)], dim=-1)


class MinibatchDiscrimination(nn.Module):
    """Salimans et al. (2016): for each of `kernels` projections, how close a sample is to the batch.

    h (N, A) is projected by T (A, kernels·kernel_dim); o_b(x_i) = mean_j exp(-‖M_i,b - M_j,b‖₁) over
    the reference batch (excluding x_i itself when the reference is the batch), appended to h.
    """

    def __init__(self, in_features: int, kernels: int = 16, kernel_dim: int = 4):
        super().__init__()
        self.kernels, self.kernel_dim = kernels, kernel_dim
        self.extra_features = kernels
        self.T = nn.Parameter(torch.randn(in_features, kernels * kernel_dim) * 0.1)

    def forward(self, h: torch.Tensor, reference: torch.Tensor, T: torch.Tensor | None = None) -> torch.Tensor:
        """h (..., N, A), reference (..., R, A); any leading axes are separate runs, whose own projections
        T (..., A, kernels·kernel_dim) are given stacked (default: this layer's T)."""
        T = self.T if T is None else T
        shape = (self.kernels, self.kernel_dim)
        m = (h @ T).unflatten(-1, shape).transpose(-3, -2)  # (..., K, N, C)
        if reference is h:  # exclude each sample's exp(0) = 1 closeness to itself
            r, n_ref, self_term = m, h.shape[-2] - 1, 1.0
        else:
            r = (reference @ T).unflatten(-1, shape).transpose(-3, -2)
            n_ref, self_term = reference.shape[-2], 0.0
        # Explicit L1 distances, not torch.cdist: penalties such as R1 need a double backward,
        # which cdist does not implement.
        l1 = (m[..., :, None, :] - r[..., None, :, :]).abs().sum(-1)  # (..., K, N, R)
        closeness = torch.exp(-l1).sum(-1)  # (..., K, N)
        o = (closeness - self_term) / max(n_ref, 1)
        return torch.cat([h, o.transpose(-1, -2)], dim=-1)


class MLPDiscriminator(nn.Module):
    def __init__(self, depth: int, width: int, activation: str = "leaky_relu", spectral_norm: bool = False,
                 minibatch: str = "none", in_dim: int = 2):
        super().__init__()
        layers, n_in = [], in_dim
        for _ in range(depth):
            layers += [_linear(n_in, width, spectral_norm), ACTIVATIONS[activation]()]
            n_in = width
        self.trunk = nn.Sequential(*layers)
        self.minibatch = None
        if minibatch != "none":
            self.minibatch = MinibatchDiscrimination(width) if minibatch == "discrimination" else MinibatchStddev()
            n_in += self.minibatch.extra_features
        self.head = _linear(n_in, 1, spectral_norm)

    @property
    def batch_dependent(self) -> bool:
        """True when D's output for a sample depends on the rest of its batch."""
        return self.minibatch is not None

    def features(self, x: torch.Tensor, reference: torch.Tensor | None = None) -> torch.Tensor:
        """Penultimate features (B, F). With minibatch features, `reference` (R, 2) is the batch that
        each sample is compared with (default: x's own batch)."""
        h = self.trunk(x)
        if self.minibatch is not None:
            h = self.minibatch(h, h if reference is None else self.trunk(reference))
        return h

    def forward(self, x: torch.Tensor, reference: torch.Tensor | None = None) -> torch.Tensor:
        return self.head(self.features(x, reference)).squeeze(-1)


def spectral_sigmas(module: nn.Module) -> list[float]:
    """Current power-iteration estimates u·W·v of the largest singular value of each spectrally
    normalised weight (the raw weight, before division), in module order."""
    sigmas = []
    for m in module.modules():
        if parametrize.is_parametrized(m, "weight"):
            sn = m.parametrizations.weight[0]
            w = m.parametrizations.weight.original.detach().flatten(1)
            sigmas.append(float(torch.dot(sn._u, torch.mv(w, sn._v))))
    return sigmas


# --- several runs' networks evaluated as one stack ------------------------------------------------------

def stack_key(cfg) -> tuple:
    """Runs whose configs have equal keys can be evaluated as one stack (`stacked_generate`,
    `stacked_discriminate`): the same layer shapes and kinds and the same batch shape. Spectral norm
    may differ, since each run's own layers compute their normalised weights."""
    return (cfg.noise_dim, cfg.batch_size, cfg.g_depth, cfg.g_width, cfg.g_activation, cfg.batch_norm_g,
            cfg.d_depth, cfg.d_width, cfg.d_activation, cfg.minibatch_features)


class _ContiguousGrad(torch.autograd.Function):
    """The identity, whose backward hands on its gradient in contiguous memory. A stacked weight's
    gradient arrives transposed; a spectrally normalised weight's backward would then sum it in
    another order than the layer alone does, and the run would drift from its lone twin by rounding."""

    @staticmethod
    def forward(ctx, x):
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad):
        return grad.contiguous()


def _effective_weight(layer: nn.Linear) -> torch.Tensor:
    """The weight the layer's forward uses: reading it runs spectral norm's power iteration, as the
    layer's own forward would."""
    if parametrize.is_parametrized(layer, "weight"):
        return _ContiguousGrad.apply(layer.weight)
    return layer.weight


def _bankable(layers) -> bool:
    # a single output is a matrix-vector product (bmm sums it in another order); a spectrally normalised
    # weight is computed from its own parameters at each forward
    return layers[0].out_features > 1 and not any(parametrize.is_parametrized(layer, "weight") for layer in layers)


class LayerBanks:
    """Several runs' networks (equal `stack_key`) with each layer position's weights and biases held in one
    (R, out, in) and one (R, out) tensor: each run's own parameters become views of its row, so its
    optimiser, EMA and state dict work on them as before, while a stacked forward reads the bank as it is
    (no stacking of R weights per layer and forward) and a backward pass gives the bank's gradient, whose
    row r is run r's. Linear layers with one output or spectral norm are not banked (see `_bankable`).

    Gradients must then be taken with respect to the banks (`rows_of`): a run's banked parameters get none
    while stacked, so no run may use them on its own in a step whose gradient is taken (an unrolled D's
    look-ahead through a lone G, say)."""

    def __init__(self, modules_by_run: list[list[nn.Module]]):
        """modules_by_run[r]: run r's networks, e.g. [G, D]; their Linear layers pair up by position."""
        self._layer_rows: dict[int, tuple[int, int]] = {}  # id(layer) -> (bank, row)
        self._param_rows: dict[int, tuple[torch.Tensor, int]] = {}  # id(parameter) -> (bank tensor, row)
        self.weights, self.biases = [], []
        linears = [[m for net in nets for m in net.modules() if isinstance(m, nn.Linear)] for nets in modules_by_run]
        for layers in zip(*linears):
            if not _bankable(layers):
                continue
            weight = torch.stack([layer.weight.detach() for layer in layers]).requires_grad_(True)
            bias = torch.stack([layer.bias.detach() for layer in layers]).requires_grad_(True)
            for row, layer in enumerate(layers):
                layer.weight.data, layer.bias.data = weight.data[row], bias.data[row]
                self._layer_rows[id(layer)] = (len(self.weights), row)
                self._param_rows[id(layer.weight)] = (weight, row)
                self._param_rows[id(layer.bias)] = (bias, row)
            self.weights.append(weight)
            self.biases.append(bias)

    def rows_of(self, parameter: torch.Tensor) -> tuple[torch.Tensor, int] | None:
        """(bank, row) when the parameter is a view of a bank's row, else None."""
        return self._param_rows.get(id(parameter))

    def lookup(self, layers) -> tuple[torch.Tensor, torch.Tensor] | None:
        """The stacked weight (R', out, in) and bias (R', out) of `layers` (one per run, all in one bank;
        a subset of the bank's runs is gathered from it), or None when they are not banked together."""
        rows = [self._layer_rows.get(id(layer)) for layer in layers]
        if None in rows or len({bank for bank, _ in rows}) != 1:
            return None
        bank, index = rows[0][0], [row for _, row in rows]
        weight, bias = self.weights[bank], self.biases[bank]
        if index == list(range(len(weight))):
            return weight, bias
        return weight[index], bias[index]


def _stacked_linear(layers: list[nn.Linear], h: torch.Tensor, banks: LayerBanks | None = None) -> torch.Tensor:
    """h (R, B, in) through run r's own layers[r] -> (R, B, out), as one batched product: the same
    numbers as each layer alone, bit for bit (checked in the tests)."""
    if layers[0].out_features == 1:  # a single output is a matrix-vector product, summed in another order by bmm
        return torch.stack([F.linear(x, _effective_weight(layer), layer.bias) for x, layer in zip(h.unbind(0), layers)])
    banked = banks.lookup(layers) if banks is not None else None
    if banked is None:
        banked = torch.stack([_effective_weight(layer) for layer in layers]), torch.stack([layer.bias for layer in layers])
    weight, bias = banked
    return torch.baddbmm(bias.unsqueeze(1), h, weight.transpose(1, 2))


def _stacked_batch_norm(layers: list[nn.BatchNorm1d], h: torch.Tensor) -> torch.Tensor:
    """Each run's batch h[r] (R, B, C) through its own batch norm layer (its statistics, running
    averages and affine parameters), one run at a time: one batch norm over all runs' channels side by
    side sums each channel in another order (vectorised across channels), off by rounding."""
    return torch.stack([layer(x) for layer, x in zip(layers, h.unbind(0))])


def _stacked_sequential(sequences: list[nn.Sequential], h: torch.Tensor, banks: LayerBanks | None) -> torch.Tensor:
    for layers in zip(*sequences):
        if isinstance(layers[0], nn.Linear):
            h = _stacked_linear(layers, h, banks)
        elif isinstance(layers[0], nn.BatchNorm1d):
            h = _stacked_batch_norm(layers, h)
        else:  # an activation: elementwise, and the same in every run of a stack
            h = layers[0](h)
    return h


def stacked_generate(generators: list[MLPGenerator], z: torch.Tensor, banks: LayerBanks | None = None) -> torch.Tensor:
    """Run r's G on z[r]: z (R, B, noise_dim) -> (R, B, 2). The generators share a `stack_key` and
    are in training mode; `banks` may hold their layers' weights (else each layer's are stacked)."""
    return _stacked_sequential([g.net for g in generators], z, banks)


def stacked_discriminate(discriminators: list[MLPDiscriminator], x: torch.Tensor,
                         banks: LayerBanks | None = None) -> torch.Tensor:
    """Run r's D on x[r], each sample compared with its own run's batch when D has minibatch features:
    x (R, B, 2) -> raw outputs (R, B)."""
    h = _stacked_sequential([d.trunk for d in discriminators], x, banks)
    minibatch = discriminators[0].minibatch
    if isinstance(minibatch, MinibatchDiscrimination):
        h = minibatch(h, h, T=torch.stack([d.minibatch.T for d in discriminators]))
    elif minibatch is not None:
        h = minibatch(h, h)
    return _stacked_linear([d.head for d in discriminators], h).squeeze(-1)


def build_networks(cfg) -> tuple[MLPGenerator, MLPDiscriminator]:
    g = MLPGenerator(cfg.noise_dim, cfg.g_depth, cfg.g_width, cfg.g_activation, cfg.batch_norm_g,
                     cfg.spectral_norm_g)
    d = MLPDiscriminator(cfg.d_depth, cfg.d_width, cfg.d_activation, cfg.spectral_norm_d, cfg.minibatch_features)
    return g, d
