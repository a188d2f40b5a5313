"""Image GANs: generator/discriminator pairs for one-channel images, MNIST (28×28) or scikit-learn
digits (8×8), following the lectures.

Shapes: G maps noise z (N, noise_dim) [and labels (N,) int64] -> images (N, 1, H, W) in [-1, 1].
D maps images (N, 1, H, W) [and labels (N,)] -> raw outputs (N,): a logit, a least-squares score or a
critic value, depending on the loss. D has no sigmoid; the probability losses apply it.

A model is one function returning G's body and D's trunk, plus one line in `IMAGE_MODELS`. The two
wrappers add what every model shares: class conditioning, D's heads (score, class projection,
auxiliary classifier), minibatch features and spectral norm.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from ganviz.models.minibatch import MinibatchDiscrimination, compare_with_batch, minibatch_layer
from ganviz.models.mlp import ACTIVATIONS
from ganviz.models.spectral import spectral_norm_all
from ganviz.registry import lookup

LABEL_EMBED_DIM = 16  # size of G's learned class embedding, concatenated to z


def _require_labels(labels: torch.Tensor | None, n: int) -> torch.Tensor:
    if labels is None:
        raise ValueError("this network is class-conditional: pass labels, an int64 tensor (N,) of class indices")
    if labels.shape != (n,):
        raise ValueError(f"labels must have shape ({n},), got {tuple(labels.shape)}")
    return labels


class ImageGenerator(nn.Module):
    """z (N, noise_dim) [, labels (N,)] -> images (N, 1, H, W) in [-1, 1].

    `body` maps (N, noise_dim [+ LABEL_EMBED_DIM]) to the images. A conditional G concatenates a learned
    class embedding to z (conditional GAN, Mirza & Osindero 2014); labels are then required.
    """

    def __init__(
        self, body: nn.Module, noise_dim: int, image_size: tuple[int, int], num_classes: int, conditional: bool
    ):
        super().__init__()
        self.noise_dim, self.image_size = noise_dim, tuple(image_size)
        self.num_classes, self.conditional = num_classes, conditional
        self.embed = nn.Embedding(num_classes, LABEL_EMBED_DIM) if conditional else None
        self.body = body

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        if z.dim() != 2 or z.shape[1] != self.noise_dim:
            raise ValueError(f"z must have shape (N, {self.noise_dim}), got {tuple(z.shape)}")
        if self.conditional:
            z = torch.cat([z, self.embed(_require_labels(labels, len(z)))], dim=1)
        return self.body(z)


class ImageDiscriminator(nn.Module):
    """images x (N, 1, H, W) [, labels (N,)] -> raw outputs (N,).

    trunk: x -> features (N, F); optional minibatch features -> (N, F + extra); a linear head -> (N,).
    A conditional D adds the projection <embed(y), features> (Miyato & Koyama 2018). With an auxiliary
    classifier (ACGAN, Odena et al. 2017), `classify` puts a second linear head on the trunk's features.
    """

    def __init__(
        self,
        trunk: nn.Module,
        n_features: int,
        num_classes: int,
        conditional: bool,
        aux_classifier: bool,
        minibatch: str,
    ):
        super().__init__()
        self.num_classes, self.conditional, self.aux_classifier = num_classes, conditional, aux_classifier
        self.trunk = trunk
        self.minibatch, n_features_out = minibatch_layer(minibatch, n_features), n_features
        if isinstance(self.minibatch, MinibatchDiscrimination):
            # the 2D layer's T ~ N(0, 0.1) suits the 2D nets' ~64 features. On DCGAN's 6,272 batch-normed
            # features the projections come out ~10x larger, exp(-L1) underflows and the layer starts
            # dead (closeness ~1e-5, no gradient). N(0, 1/F) keeps projections at the features' scale
            # (0.125 at F = 64, close to the 2D layer's).
            nn.init.normal_(self.minibatch.T, 0.0, n_features**-0.5)
        if self.minibatch is not None:
            n_features_out += self.minibatch.extra_features
        self.head = nn.Linear(n_features_out, 1)
        # Projection rather than a label map concatenated to the input: it leaves the lectures' trunks
        # unchanged, works the same for MLP and conv trunks, and under spectral norm the embedding's rows
        # stay bounded so the Lipschitz bound holds (SNGAN, BigGAN: lecture 004).
        self.embed = nn.Embedding(num_classes, n_features_out) if conditional else None
        if self.embed is not None:
            nn.init.xavier_uniform_(self.embed.weight)  # nn.Embedding's N(0, 1) would swamp the head's score
        self.classifier = nn.Linear(n_features, num_classes) if aux_classifier else None

    @property
    def batch_dependent(self) -> bool:
        """True when D's output for a sample depends on the rest of its batch: minibatch features, or
        batch norm (in training mode), which is why real and fake batches must go through D separately."""
        return self.minibatch is not None or any(
            isinstance(m, nn.modules.batchnorm._BatchNorm) for m in self.trunk.modules()
        )

    def features(
        self, x: torch.Tensor, labels: torch.Tensor | None = None, *, reference: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Penultimate features (N, F). With minibatch features, `reference` (R, 1, H, W) is the batch each
        sample is compared with (default: x's own batch). `labels` is accepted for a uniform interface but
        unused: the projection adds the class to the score, not to the features."""
        return compare_with_batch(self.trunk, self.minibatch, self.trunk(x), reference)

    def forward(
        self, x: torch.Tensor, labels: torch.Tensor | None = None, *, reference: torch.Tensor | None = None
    ) -> torch.Tensor:
        y = _require_labels(labels, len(x)) if self.conditional else None
        h = self.features(x, reference=reference)
        out = self.head(h).squeeze(-1)
        if y is not None:
            out = out + (self.embed(y) * h).sum(1)
        return out

    def classify(self, x: torch.Tensor) -> torch.Tensor:
        """Class logits (N, num_classes) from the trunk's features, before the minibatch features: a
        sample's class is its own, not its batch's."""
        if self.classifier is None:
            raise RuntimeError("this discriminator was built without aux_classifier=True")
        return self.classifier(self.trunk(x))


def _mlp(sizes: list[int], activation: str) -> list[nn.Module]:
    layers = []
    for n_in, n_out in zip(sizes, sizes[1:]):
        layers += [nn.Linear(n_in, n_out), ACTIVATIONS[activation]()]
    return layers


def mlp_003(in_dim: int, image_size: tuple[int, int], spectral_norm_d: bool):
    """Lecture 003 (CS3485 Lec 18, "GANs in PyTorch") exactly: G in-128-512-1024-HW, ReLU, Tanh out;
    D HW-1024-512-128-1 with ReLU (the lecture's D uses ReLU, not LeakyReLU), no dropout. The lecture's
    final Sigmoid is dropped: D returns the logit, and BCE-with-logits is the stable form of Sigmoid + BCELoss."""
    h, w = image_size
    g = nn.Sequential(
        *_mlp([in_dim, 128, 512, 1024], "relu"), nn.Linear(1024, h * w), nn.Tanh(), nn.Unflatten(1, (1, h, w))
    )
    d = nn.Sequential(nn.Flatten(), *_mlp([h * w, 1024, 512, 128], "relu"))
    return g, d, 128


def mlp_cpu(in_dim: int, image_size: tuple[int, int], spectral_norm_d: bool):
    """A CPU-sized MLP pair: G in-256-512-HW, ReLU, Tanh out; D HW-512-256-1, LeakyReLU(0.2)."""
    h, w = image_size
    g = nn.Sequential(*_mlp([in_dim, 256, 512], "relu"), nn.Linear(512, h * w), nn.Tanh(), nn.Unflatten(1, (1, h, w)))
    d = nn.Sequential(nn.Flatten(), *_mlp([h * w, 512, 256], "leaky_relu"))
    return g, d, 256


def _start_map(image_size: tuple[int, int]) -> tuple[int, int]:
    """The feature map size before two stride-2 upsamplings: (H/4, W/4), e.g. 7×7 for MNIST, 2×2 for digits."""
    h, w = image_size
    if h % 4 or w % 4:
        raise ValueError(f"convolutional models need H and W divisible by 4, got {tuple(image_size)}")
    return h // 4, w // 4


def dcgan(in_dim: int, image_size: tuple[int, int], spectral_norm_d: bool, width: int = 64):
    """DCGAN guidelines (Radford et al. 2016; lectures 003 and 004), kept small for CPU.
    G: linear "project and reshape" to (2w, H/4, W/4), BN, ReLU -> ConvT(4, stride 2) to (w, H/2, W/2),
    BN, ReLU -> ConvT(4, stride 2) to (1, H, W), Tanh. D: Conv(4, stride 2) to (w, H/2, W/2), LeakyReLU(0.2)
    -> Conv(4, stride 2) to (2w, H/4, W/4), BN, LeakyReLU(0.2) -> flatten (F = 2w·H/4·W/4) -> linear head.
    No pooling, no hidden fully connected layers, no BN on G's output or D's input (as in the paper)."""
    h0, w0 = _start_map(image_size)
    c = 2 * width
    g = nn.Sequential(
        nn.Linear(in_dim, c * h0 * w0, bias=False),  # biases before batch norm are redundant: BN re-centres
        nn.Unflatten(1, (c, h0, w0)),
        nn.BatchNorm2d(c),
        nn.ReLU(),
        nn.ConvTranspose2d(c, width, 4, stride=2, padding=1, bias=False),
        nn.BatchNorm2d(width),
        nn.ReLU(),
        nn.ConvTranspose2d(width, 1, 4, stride=2, padding=1),
        nn.Tanh(),
    )
    # No batch norm in a spectrally normalised D: BN mixes the samples of a batch and rescales by batch
    # statistics, which breaks the per-layer Lipschitz bound that spectral norm gives (and makes gradient
    # penalties, computed per sample, ill-defined).
    batch_norm = not spectral_norm_d
    d = nn.Sequential(
        nn.Conv2d(1, width, 4, stride=2, padding=1),
        nn.LeakyReLU(0.2),
        nn.Conv2d(width, c, 4, stride=2, padding=1, bias=not batch_norm),
        *([nn.BatchNorm2d(c)] if batch_norm else []),
        nn.LeakyReLU(0.2),
        nn.Flatten(),
    )
    return g, d, c * h0 * w0


def keras_conv(in_dim: int, image_size: tuple[int, int], spectral_norm_d: bool):
    """Lecture 001's Keras pair, layer for layer, with the 7×7 start map generalised to (H/4, W/4).
    G: Dense to (128, H/4, W/4), LeakyReLU(0.2) -> ConvT(128, 4, stride 2), LeakyReLU(0.2) -> ConvT(128, 4,
    stride 2), LeakyReLU(0.2) -> Conv(1, 7, same) -> Tanh. D: Conv(64, 3, stride 2, same), LeakyReLU(0.2) ->
    Conv(128, 3, stride 2, same), LeakyReLU(0.2) -> global max pool (F = 128) -> Dense(1).
    With noise_dim 128 (the lecture's latent_dim) the parameter counts match its summaries: G 1,339,905,
    D 74,625. Two changes: G ends in Tanh, not Sigmoid, since images here are in [-1, 1] (tanh(x) =
    2·sigmoid(2x) - 1, the same curve rescaled); and Keras's 'same' padding for a stride-2 conv pads only
    bottom/right on even sizes, where padding=1 pads both sides: same output size, shifted by one pixel."""
    h0, w0 = _start_map(image_size)
    g = nn.Sequential(
        nn.Linear(in_dim, 128 * h0 * w0),
        nn.LeakyReLU(0.2),
        nn.Unflatten(1, (128, h0, w0)),
        nn.ConvTranspose2d(128, 128, 4, stride=2, padding=1),
        nn.LeakyReLU(0.2),
        nn.ConvTranspose2d(128, 128, 4, stride=2, padding=1),
        nn.LeakyReLU(0.2),
        nn.Conv2d(128, 1, 7, padding=3),
        nn.Tanh(),
    )
    d = nn.Sequential(
        nn.Conv2d(1, 64, 3, stride=2, padding=1),
        nn.LeakyReLU(0.2),
        nn.Conv2d(64, 128, 3, stride=2, padding=1),
        nn.LeakyReLU(0.2),
        nn.AdaptiveMaxPool2d(1),
        nn.Flatten(),
    )
    return g, d, 128


def dcgan_init(m: nn.Module) -> None:
    """Radford et al.: every weight from N(0, 0.02); batch norm gains from N(1, 0.02), shifts 0."""
    if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
        nn.init.normal_(m.weight, 0.0, 0.02)
        if m.bias is not None:
            nn.init.zeros_(m.bias)
    elif isinstance(m, nn.BatchNorm2d):
        nn.init.normal_(m.weight, 1.0, 0.02)
        nn.init.zeros_(m.bias)


def keras_init(m: nn.Module) -> None:
    """Keras's defaults, which lecture 001's code gets: Glorot-uniform weights, zero biases."""
    if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
        nn.init.xavier_uniform_(m.weight)
        if m.bias is not None:
            nn.init.zeros_(m.bias)


@dataclass(frozen=True)
class ImageModel:
    name: str
    title: str
    description: str
    build: Callable  # (g_in_dim, image_size, spectral_norm_d) -> (G body, D trunk, D's feature count F)
    init: Callable[[nn.Module], None] | None = None  # applied to every module of G and D; None: PyTorch's


IMAGE_MODELS: dict[str, ImageModel] = {
    m.name: m
    for m in [
        ImageModel(
            "mlp-003",
            "MLP (lecture 003)",
            "G 100-128-512-1024-784, D 784-1024-512-128-1 (784 = H·W), ReLU; Tanh out",
            mlp_003,
        ),
        ImageModel("mlp-cpu", "Small MLP", "G z-256-512-H·W ReLU, D H·W-512-256-1 LeakyReLU: fast on a CPU", mlp_cpu),
        ImageModel(
            "dcgan",
            "DCGAN",
            "Strided (transposed) convolutions, batch norm, ReLU/LeakyReLU, Tanh out",
            dcgan,
            dcgan_init,
        ),
        ImageModel(
            "keras-conv",
            "Keras conv (lecture 001)",
            "Dense + two transposed convs (128 ch) / two strided convs + global max pool",
            keras_conv,
            keras_init,
        ),
    ]
}


def build_image_networks(
    model: str,
    *,
    noise_dim: int,
    image_size: tuple[int, int],
    num_classes: int = 10,
    conditional: bool = False,
    aux_classifier: bool = False,
    spectral_norm_d: bool = False,
    minibatch_features: str = "none",
) -> tuple[ImageGenerator, ImageDiscriminator]:
    """G: (N, noise_dim) [, labels (N,)] -> (N, 1, H, W) in [-1, 1]; D: (N, 1, H, W) [, labels] -> (N,)."""
    spec = lookup(IMAGE_MODELS, model, "image model")
    image_size = tuple(image_size)
    g_in = noise_dim + (LABEL_EMBED_DIM if conditional else 0)
    body, trunk, n_features = spec.build(g_in, image_size, spectral_norm_d)
    g = ImageGenerator(body, noise_dim, image_size, num_classes, conditional)
    d = ImageDiscriminator(trunk, n_features, num_classes, conditional, aux_classifier, minibatch_features)
    if spec.init is not None:
        g.apply(spec.init)
        d.apply(spec.init)
    if spectral_norm_d:
        spectral_norm_all(d)
    return g, d


def count_parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())
