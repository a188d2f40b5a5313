"""Image G/D pairs: shapes, gradients, the lectures' exact layers, conditioning, ACGAN head, spectral norm,
minibatch features, and the registry's error."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.nn.utils import parametrize

from ganviz.models.image import IMAGE_MODELS, build_image_networks, count_parameters

MODELS = sorted(IMAGE_MODELS)
SIZES = [(28, 28), (8, 8)]
N, Z = 4, 16


def build(model, image_size=(28, 28), noise_dim=Z, **kw):
    torch.manual_seed(0)
    return build_image_networks(model, noise_dim=noise_dim, image_size=image_size, **kw)


def linear_shapes(module: nn.Module) -> list[tuple[int, int]]:
    return [(m.in_features, m.out_features) for m in module.modules() if isinstance(m, nn.Linear)]


def weight_layers(module: nn.Module) -> list[nn.Module]:
    return [m for m in module.modules() if isinstance(m, (nn.Linear, nn.Conv2d, nn.Embedding))]


# --- shapes and gradients -------------------------------------------------------------------------


@pytest.mark.parametrize("conditional", [False, True])
@pytest.mark.parametrize("image_size", SIZES)
@pytest.mark.parametrize("model", MODELS)
def test_shapes_range_and_gradients(model, image_size, conditional):
    g, d = build(model, image_size, conditional=conditional)
    labels = torch.arange(N) if conditional else None
    x = g(torch.randn(N, Z), labels)
    assert x.shape == (N, 1, *image_size)
    assert x.min() >= -1 and x.max() <= 1
    out = d(x, labels)
    assert out.shape == (N,)
    assert d.features(x, labels).dim() == 2
    out.mean().backward()
    for name, p in [*g.named_parameters(), *d.named_parameters()]:
        assert p.grad is not None, name
    assert (g.noise_dim, g.image_size, g.conditional) == (Z, image_size, conditional)
    assert (d.conditional, d.aux_classifier) == (conditional, False)


@pytest.mark.parametrize("image_size", SIZES)
@pytest.mark.parametrize("model", MODELS)
def test_every_option_at_once(model, image_size):
    g, d = build(
        model,
        image_size,
        conditional=True,
        aux_classifier=True,
        spectral_norm_d=True,
        minibatch_features="discrimination",
    )
    labels = torch.tensor([0, 3, 3, 9])
    x = g(torch.randn(N, Z), labels)
    loss = d(x, labels).mean() + d.classify(x).logsumexp(1).mean()
    loss.backward()
    for name, p in [*g.named_parameters(), *d.named_parameters()]:
        assert p.grad is not None, name


# --- the lectures' exact architectures ------------------------------------------------------------


def test_mlp_003_is_the_lecture_network():
    g, d = build("mlp-003", noise_dim=100)
    g_sizes = [(100, 128), (128, 512), (512, 1024), (1024, 784)]
    d_sizes = [(784, 1024), (1024, 512), (512, 128), (128, 1)]
    assert linear_shapes(g) == g_sizes
    assert linear_shapes(d) == d_sizes
    assert count_parameters(g) == sum(i * o + o for i, o in g_sizes)
    assert count_parameters(d) == sum(i * o + o for i, o in d_sizes)
    assert [type(m) for m in g.body if not isinstance(m, (nn.Linear, nn.Unflatten))] == [nn.ReLU] * 3 + [nn.Tanh]
    assert [type(m) for m in d.trunk if not isinstance(m, (nn.Linear, nn.Flatten))] == [nn.ReLU] * 3
    assert not any(isinstance(m, (nn.Sigmoid, nn.Dropout)) for m in d.modules())


def test_keras_conv_matches_the_lecture_summaries():
    g, d = build("keras-conv", noise_dim=128)  # lecture 001's latent_dim
    assert count_parameters(g) == 1_339_905
    assert count_parameters(d) == 74_625


def test_dcgan_follows_the_guidelines():
    g, d = build("dcgan")
    assert not any(isinstance(m, (nn.MaxPool2d, nn.AvgPool2d, nn.AdaptiveMaxPool2d)) for m in d.modules())
    assert sum(isinstance(m, nn.ConvTranspose2d) for m in g.modules()) == 2
    assert sum(isinstance(m, nn.BatchNorm2d) for m in g.modules()) == 2
    assert sum(isinstance(m, nn.BatchNorm2d) for m in d.modules()) == 1  # not on the first conv
    assert isinstance(d.trunk[0], nn.Conv2d) and isinstance(d.trunk[1], nn.LeakyReLU)
    assert len(linear_shapes(d)) == 1  # the final linear only
    assert abs(float(d.trunk[0].weight.detach().std()) - 0.02) < 0.005  # N(0, 0.02) init
    assert d.batch_dependent  # batch norm: real and fake must go through D separately


def test_conv_models_need_sizes_divisible_by_4():
    with pytest.raises(ValueError, match="divisible by 4"):
        build("dcgan", (10, 10))
    g, _ = build("mlp-cpu", (10, 10))
    assert g(torch.randn(2, Z)).shape == (2, 1, 10, 10)


# --- conditioning and the auxiliary classifier ----------------------------------------------------


@pytest.mark.parametrize("model", MODELS)
def test_labels_change_the_output(model):
    g, d = build(model, conditional=True)
    z = torch.randn(N, Z)
    a, b = torch.tensor([0, 1, 2, 3]), torch.tensor([4, 5, 6, 7])
    x = g(z, a)
    assert not torch.allclose(x, g(z, b))
    assert not torch.allclose(d(x, a), d(x, b))
    g.eval()  # one class for the whole batch: in training mode G's batch norm would cancel it
    assert not torch.allclose(g(z, torch.zeros(N, dtype=torch.long)), g(z, torch.ones(N, dtype=torch.long)))


@pytest.mark.parametrize("model", MODELS)
def test_missing_labels_raise(model):
    g, d = build(model, conditional=True)
    with pytest.raises(ValueError, match="labels"):
        g(torch.randn(N, Z))
    with pytest.raises(ValueError, match="labels"):
        d(torch.zeros(N, 1, 28, 28))


@pytest.mark.parametrize("model", MODELS)
def test_aux_classifier(model):
    g, d = build(model, aux_classifier=True)
    assert d.aux_classifier
    assert d.classify(g(torch.randn(N, Z))).shape == (N, 10)
    _, plain = build(model)
    with pytest.raises(RuntimeError):
        plain.classify(torch.zeros(N, 1, 28, 28))


# --- spectral norm and minibatch features ---------------------------------------------------------


@pytest.mark.parametrize("model", MODELS)
def test_spectral_norm_on_every_d_layer(model):
    g, d = build(model, conditional=True, aux_classifier=True, spectral_norm_d=True)
    layers = weight_layers(d)
    assert layers and all(parametrize.is_parametrized(m, "weight") for m in layers)
    assert not any(isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)) for m in d.modules())
    labels = torch.arange(N)
    with torch.no_grad():
        for _ in range(5):  # each training-mode forward is one more power iteration
            d(g(torch.randn(N, Z), labels), labels)
        for m in layers:
            sigma = torch.linalg.matrix_norm(m.weight.flatten(1), ord=2)
            assert abs(float(sigma) - 1) < 0.05, (m, float(sigma))


def test_dcgan_without_spectral_norm_keeps_batch_norm_and_no_parametrizations():
    _, d = build("dcgan")
    assert not any(parametrize.is_parametrized(m) for m in d.modules())


@pytest.mark.parametrize("minibatch", ["stddev", "discrimination"])
@pytest.mark.parametrize("model", MODELS)
def test_minibatch_features(model, minibatch):
    g, d = build(model, minibatch_features=minibatch)
    assert d.batch_dependent
    _, plain = build(model)
    extra = 1 if minibatch == "stddev" else d.minibatch.extra_features
    x = g(torch.randn(N, Z)).detach()
    assert d.features(x).shape[1] == plain.features(x).shape[1] + extra
    with torch.no_grad():
        own = d(x)[0]
        other = d(x, reference=g(torch.randn(8, Z)))[0]
    assert abs(float(own - other)) > 1e-6  # small at init (features ~0.01), but a real dependence


@pytest.mark.parametrize("model", ["mlp-003", "mlp-cpu", "keras-conv"])
def test_plain_d_is_not_batch_dependent(model):
    assert not build(model)[1].batch_dependent


# --- the registry ---------------------------------------------------------------------------------


def test_unknown_model_lists_the_names():
    with pytest.raises(ValueError) as err:
        build("resnet")
    assert all(name in str(err.value) for name in IMAGE_MODELS)
    with pytest.raises(ValueError, match="minibatch_features"):
        build("dcgan", minibatch_features="bogus")
