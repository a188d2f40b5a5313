"""The digit classifier that judges generated digits: accuracy bars on real data, determinism, the disk cache, and
image_metrics on real versus real and on a collapsed generator."""

import gzip
import re

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits

from ganviz.metrics import judge
from ganviz.metrics.images import image_metrics, real_feature_stats
from ganviz.metrics.judge import (
    FEATURE_DIM,
    DigitClassifier,
    cache_key,
    features,
    features_and_probs,
    load_or_train_classifier,
    predict,
    stratified_split,
    train_classifier,
)
from support.cache import session_cache_dir


def read_idx(path, header_bytes: int) -> np.ndarray:
    """The raw uint8 payload of a gzip IDX file (16-byte header for images, 8 for labels)."""
    with gzip.open(path, "rb") as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=header_bytes)


@pytest.fixture(scope="module")
def digits():
    """scikit-learn's 1,797 8x8 digits as images (N, 1, 8, 8) in [-1, 1] and int64 labels (N,)."""
    d = load_digits()
    return (d.images[:, None] / 16 * 2 - 1).astype(np.float32), d.target.astype(np.int64)


@pytest.fixture(scope="module")
def mnist_test(mnist_dir):
    """The 10,000-image MNIST test split as images (N, 1, 28, 28) in [-1, 1] and int64 labels (N,), read here
    without the app's loader."""
    images_path = mnist_dir / "t10k-images-idx3-ubyte.gz"
    labels_path = mnist_dir / "t10k-labels-idx1-ubyte.gz"
    images = read_idx(images_path, 16).reshape(-1, 1, 28, 28) / 255 * 2 - 1
    return images.astype(np.float32), read_idx(labels_path, 8).astype(np.int64)


@pytest.fixture(scope="module")
def digits_model(digits):
    """The classifier the digit runs use, trained on all 1,797 digits with seed 0 (once per test session: the
    image runs' tests load it from the same cache)."""
    return load_or_train_classifier(*digits, cache_dir=session_cache_dir() / "classifiers", seed=0)


# --- accuracy bars --------------------------------------------------------------------------------


def test_heldout_accuracy_on_8x8_digits_is_at_least_95_percent(digits_model):
    model, accuracy = digits_model
    assert 0.95 <= accuracy <= 1.0
    assert not model.training


@pytest.mark.slow  # trains on 8,500 images of 28x28: about 15 s
def test_heldout_accuracy_on_mnist_test_split_is_at_least_97_percent(mnist_test):
    model, accuracy = train_classifier(*mnist_test, seed=0)
    assert 0.97 <= accuracy <= 1.0
    probs = predict(model, mnist_test[0][:500])
    assert probs.shape == (500, 10)
    assert features(model, mnist_test[0][:7]).shape == (7, FEATURE_DIM)


# --- training details -----------------------------------------------------------------------------


def test_same_seed_gives_identical_weights_and_leaves_global_rng_alone(digits):
    before = torch.get_rng_state()
    model, accuracy = train_classifier(*digits, seed=0, steps=100)
    assert torch.equal(torch.get_rng_state(), before)
    again, again_accuracy = train_classifier(*digits, seed=0, steps=100)
    assert again_accuracy == accuracy
    for name, tensor in model.state_dict().items():
        assert torch.equal(tensor, again.state_dict()[name]), name


def test_different_seeds_give_different_weights(digits):
    a, _ = train_classifier(*digits, seed=1, steps=5)
    b, _ = train_classifier(*digits, seed=2, steps=5)
    assert not torch.equal(a.fc.weight, b.fc.weight)


def test_heldout_split_is_stratified():
    labels = np.repeat(np.arange(10), [20, 40, 60, 80, 100, 20, 40, 60, 80, 100])
    train, held = stratified_split(labels, 0.15, np.random.default_rng(0))
    np.testing.assert_array_equal(np.bincount(labels[held], minlength=10), [3, 6, 9, 12, 15, 3, 6, 9, 12, 15])
    np.testing.assert_array_equal(np.sort(np.concatenate([train, held])), np.arange(len(labels)))


def test_predict_and_features_do_not_depend_on_batch_size(digits, digits_model):
    model, _ = digits_model
    images = digits[0][:300]
    probs = predict(model, images)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-12)
    assert probs.dtype == np.float64
    np.testing.assert_allclose(predict(model, images, batch_size=7), probs, rtol=1e-5, atol=1e-9)
    np.testing.assert_allclose(features(model, images, batch_size=7), features(model, images), rtol=1e-5, atol=1e-5)
    assert predict(model, images[:0]).shape == (0, 10)


def test_bad_inputs_are_rejected(digits):
    images, labels = digits
    with pytest.raises(ValueError):
        train_classifier(images[:, 0], labels)  # no channel axis
    with pytest.raises(ValueError):
        train_classifier(images, labels[:-1])
    with pytest.raises(ValueError):
        train_classifier(images, labels, heldout_fraction=0.0)


# --- the disk cache -------------------------------------------------------------------------------


def forbid_training(monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("trained although a usable cache file exists")

    monkeypatch.setattr(judge, "train_classifier", fail)


def short_training(monkeypatch):
    """Real training, 50 steps instead of 1,000: what the cache keeps does not depend on how long it trained."""
    train = judge.train_classifier
    monkeypatch.setattr(
        judge, "train_classifier", lambda images, labels, *, seed: train(images, labels, seed=seed, steps=50)
    )


def test_cache_round_trip_loads_without_retraining(digits, tmp_path, monkeypatch):
    short_training(monkeypatch)
    model, accuracy = load_or_train_classifier(*digits, cache_dir=tmp_path, seed=0)
    files = list(tmp_path.iterdir())
    assert len(files) == 1 and re.fullmatch(r"classifier-[0-9a-f]{16}\.pt", files[0].name)  # no temp file left

    forbid_training(monkeypatch)
    loaded, loaded_accuracy = load_or_train_classifier(*digits, cache_dir=tmp_path, seed=0)
    assert loaded_accuracy == accuracy and not loaded.training
    for name, tensor in model.state_dict().items():
        assert torch.equal(tensor, loaded.state_dict()[name]), name


def test_cache_key_follows_data_and_seed(digits):
    images, labels = digits
    key = cache_key(images, labels, seed=0)
    nudged = images.copy()
    nudged[5, 0, 3, 3] += 0.01
    relabelled = labels.copy()
    relabelled[0] = (relabelled[0] + 1) % 10
    assert re.fullmatch(r"[0-9a-f]{16}", key)
    assert cache_key(images.astype(np.float64), labels, seed=0) == key  # same data as the model sees it
    assert (
        len(
            {
                key,
                cache_key(images, labels, seed=1),
                cache_key(nudged, labels),
                cache_key(images, relabelled),
                cache_key(images[:-1], labels[:-1]),
            }
        )
        == 5
    )


def truncated_cache_file(path):
    torch.save(
        {
            "version": judge.CLASSIFIER_VERSION,
            "image_size": 8,
            "accuracy": 0.5,
            "state_dict": DigitClassifier(8).state_dict(),
        },
        path,
    )
    path.write_bytes(path.read_bytes()[:200])


def wrong_model_cache_file(path):  # a well-formed file whose tensors belong to the 28x28 model
    torch.save(
        {
            "version": judge.CLASSIFIER_VERSION,
            "image_size": 8,
            "accuracy": 0.5,
            "state_dict": DigitClassifier(28).state_dict(),
        },
        path,
    )


CORRUPTIONS = {
    "garbage": lambda p: p.write_bytes(b"not a torch file"),
    "empty": lambda p: p.write_bytes(b""),
    "truncated": truncated_cache_file,
    "foreign dict": lambda p: torch.save({"hello": 1}, p),
    "wrong model": wrong_model_cache_file,
    "accuracy out of range": lambda p: torch.save(
        {
            "version": judge.CLASSIFIER_VERSION,
            "image_size": 8,
            "accuracy": 7.0,
            "state_dict": DigitClassifier(8).state_dict(),
        },
        p,
    ),
}


@pytest.mark.parametrize("corruption", CORRUPTIONS)
def test_corrupt_cache_file_is_retrained_and_replaced(digits, tmp_path, monkeypatch, corruption):
    images, labels = digits
    path = tmp_path / f"classifier-{cache_key(images, labels, seed=0)}.pt"
    CORRUPTIONS[corruption](path)
    calls = []

    def fake_training(images, labels, *, seed):  # stands in for seconds of real training
        calls.append(seed)
        return DigitClassifier(images.shape[-1]).eval(), 0.25

    monkeypatch.setattr(judge, "train_classifier", fake_training)
    _, accuracy = load_or_train_classifier(images, labels, cache_dir=tmp_path, seed=0)
    assert calls == [0] and accuracy == 0.25

    forbid_training(monkeypatch)  # the file was replaced by a good one
    assert load_or_train_classifier(images, labels, cache_dir=tmp_path, seed=0)[1] == 0.25


# --- image_metrics on real digits -----------------------------------------------------------------


@pytest.fixture(scope="module")
def three_real_sets(digits):
    """Three disjoint, equally large random thirds (599 each) of the 8x8 digits: samples, real, reference."""
    images = digits[0][np.random.default_rng(0).permutation(len(digits[0]))]
    n = len(images) // 3
    return images[:n], images[n : 2 * n], images[2 * n : 3 * n]


def test_real_samples_score_near_the_fid_floor(digits_model, three_real_sets):
    # fid and fid_floor are the same estimator (of a true distance of 0) on independent draws of
    # equal size, so they differ only by sampling noise: over 8 random splits their ratio ranged
    # 0.5 to 2.1. A factor of 3 leaves room for that noise and is still far below a collapse (~340x here).
    model, _ = digits_model
    samples, real, reference = three_real_sets
    m = image_metrics(samples, model, real, reference)
    assert 0 < m["fid_floor"] and m["fid"] <= 3 * m["fid_floor"] and m["fid_floor"] <= 3 * m["fid"]
    assert m["classes_covered"] == 10 and m["missing"] == []
    assert sum(m["class_counts"]) == len(samples)
    assert m["mean_confidence"] > 0.9


def test_collapsed_generator_covers_one_class_and_scores_far_above_the_floor(digits, digits_model, three_real_sets):
    images, labels = digits
    model, _ = digits_model
    a_one = images[np.flatnonzero(labels == 1)[0]]
    collapsed = np.repeat(a_one[None], 1000, axis=0)
    _, real, reference = three_real_sets
    m = image_metrics(collapsed, model, real, reference)
    assert m["classes_covered"] == 1 and m["missing"] == [0, 2, 3, 4, 5, 6, 7, 8, 9]
    assert m["class_counts"][1] == 1000
    assert m["fid"] >= 10 * m["fid_floor"]

    # Training only the digit 1: producing nothing but ones is then full coverage.
    subset = image_metrics(collapsed, model, real, reference, digits=[1])
    assert subset["classes_covered"] == 1 and subset["classes_total"] == 1 and subset["missing"] == []


def test_one_pass_gives_the_same_features_and_probabilities(digits, digits_model):
    model, _ = digits_model
    images = digits[0][:300]
    f, p = features_and_probs(model, images, batch_size=64)
    np.testing.assert_allclose(f, features(model, images, batch_size=64), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(p, predict(model, images, batch_size=64), rtol=1e-12, atol=1e-15)


def test_precomputed_real_statistics_give_the_same_metrics(digits_model, three_real_sets):
    model, _ = digits_model
    samples, real, reference = three_real_sets
    once = real_feature_stats(model, real, reference)
    assert image_metrics(samples, model, real, reference, real=once) == image_metrics(samples, model, real, reference)
    assert once[2] == image_metrics(samples, model, real, reference)["fid_floor"]
