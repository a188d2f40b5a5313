"""GANConfig: validation, coercion, JSON/query round trips and which changes need new networks."""

from __future__ import annotations

import json
import math
from dataclasses import fields

import pytest

from ganviz.config import (
    CUSTOM_DATASET,
    ConfigError,
    GANConfig,
    choices_of,
    image_config,
    setting_fields,
    setting_names,
)
from ganviz.data import DATASETS
from ganviz.data.images import IMAGE_DATASETS
from ganviz.losses import LOSSES

FIELDS = {f.name: f for f in fields(GANConfig)}
NUMERIC = [f for f in fields(GANConfig) if f.metadata["min"] is not None]
CHOICE = [f for f in fields(GANConfig) if f.metadata["choices"] is not None]
BOOL = [f for f in fields(GANConfig) if f.type in ("bool", bool)]
INT = [f for f in NUMERIC if f.type in ("int", int)]
FLOAT = [f for f in NUMERIC if f.type in ("float", float)]
FREE_TEXT = {"digits", "digit_weights"}  # checked by GANConfig.digit_list / digit_proportions
NEEDS = {"acgan_weight": {"conditional": True}, "digit_weights": {"digits": "017"}}  # settings that need another one

NON_DEFAULT = dict(
    dataset="grid25",
    noise_dim=7,
    noise="uniform",
    g_depth=2,
    g_width=64,
    g_activation="tanh",
    d_depth=4,
    d_width=256,
    d_activation="gelu",
    spectral_norm_d=True,
    spectral_norm_g=True,
    minibatch_features="discrimination",
    batch_norm_g=True,
    loss="wgan-gp",
    clip=0.05,
    gp_weight=5.0,
    r1_weight=0.5,
    batch_size=64,
    d_steps=5,
    g_steps=2,
    optimizer_d="rmsprop",
    optimizer_g="sgd",
    lr_d=2e-4,
    lr_g=5e-5,
    beta1_d=0.0,
    beta2_d=0.9,
    beta1_g=0.9,
    beta2_g=0.99,
    momentum_d=0.5,
    momentum_g=0.9,
    label_smoothing=0.1,
    instance_noise=0.2,
    instance_noise_anneal=1000,
    unrolled_steps=5,
    ema=0.99,
    extra_g_loss="feature-matching",
    extra_g_weight=0.5,
    pretrain_d=10,
    seed=12345,
    device="cpu",
    image_model="dcgan",
    digits="017",
    digit_weights="8,1,1",
    conditional=True,
    acgan_weight=0.5,
)

MLP_NETWORKS = {
    "g_depth",
    "g_width",
    "g_activation",
    "d_depth",
    "d_width",
    "d_activation",
    "spectral_norm_g",
    "batch_norm_g",
}  # image runs build their networks from image_model
SHARED = {"dataset", "digits", "digit_weights", "seed", "device"}
NON_LIVE = {
    "dataset",
    "noise_dim",
    "g_depth",
    "g_width",
    "g_activation",
    "d_depth",
    "d_width",
    "d_activation",
    "spectral_norm_d",
    "spectral_norm_g",
    "minibatch_features",
    "batch_norm_g",
    "seed",
    "device",
    "image_model",
    "digits",
    "digit_weights",
    "conditional",
    "acgan_weight",
}


def raises_config_error(field_name: str, **values) -> ConfigError:
    with pytest.raises(ConfigError) as e:
        GANConfig(**values)
    assert e.value.field == field_name
    assert str(e.value).startswith(f"{field_name}: ")
    assert "\n" not in str(e.value)
    return e.value


def test_field_classification_is_complete():
    # Every field is numeric with a range, a choice, or a bool: none escapes validation.
    assert {f.name for f in NUMERIC} | {f.name for f in CHOICE} | {f.name for f in BOOL} | FREE_TEXT == set(FIELDS)
    assert {f.name for f in INT} | {f.name for f in FLOAT} == {f.name for f in NUMERIC}
    assert set(NON_DEFAULT) == set(FIELDS)  # the round-trip configs touch every field
    assert [f.name for f in setting_fields()] == list(FIELDS)


def test_defaults_validate():
    cfg = GANConfig()
    cfg.validate()
    assert cfg.dataset == "ring8" and cfg.loss == "nonsaturating" and cfg.lr_d == 1e-3 and cfg.batch_size == 128
    assert isinstance(cfg.g_width, int) and isinstance(cfg.lr_g, float) and isinstance(cfg.batch_norm_g, bool)
    for f in fields(cfg):
        assert f.metadata["help"]
        assert f.metadata["group"] in {"data", "images", "networks", "loss", "optimisation", "tricks", "run"}
        expected = "images" if f.metadata["group"] == "images" else "points" if f.name in MLP_NETWORKS else "any"
        assert f.metadata["domain"] == expected


def test_non_default_config_is_valid_and_differs_everywhere():
    cfg = GANConfig(**NON_DEFAULT)
    default = GANConfig()
    for name in FIELDS:
        assert getattr(cfg, name) != getattr(default, name), name


def test_choices():
    assert set(choices_of(FIELDS["dataset"])) == set(DATASETS) | {CUSTOM_DATASET} | set(IMAGE_DATASETS)
    assert set(choices_of(FIELDS["dataset"], "points")) == set(DATASETS) | {CUSTOM_DATASET}
    assert set(choices_of(FIELDS["dataset"], "images")) == set(IMAGE_DATASETS)
    assert not {f.name for f in setting_fields("points")} & {"image_model", "digits", "digit_weights", "conditional"}
    assert not {f.name for f in setting_fields("images")} & MLP_NETWORKS
    assert set(choices_of(FIELDS["loss"])) == set(LOSSES)
    assert GANConfig(dataset=CUSTOM_DATASET).dataset == "custom"


def test_json_round_trip():
    for cfg in (GANConfig(), GANConfig(**NON_DEFAULT)):
        text = cfg.to_json()
        assert json.loads(text) == cfg.to_dict()
        back = GANConfig.from_json(text)
        assert back == cfg
        for name in FIELDS:
            assert type(getattr(back, name)) is type(getattr(cfg, name)), name


def test_query_lists_only_non_defaults_and_round_trips():
    assert GANConfig().to_query() == {}
    cfg = GANConfig(g_width=64, lr_d=2e-4, spectral_norm_d=True, loss="hinge")
    q = cfg.to_query()
    assert set(q) == {"g_width", "lr_d", "spectral_norm_d", "loss"}
    assert all(isinstance(v, str) for v in q.values())
    assert q["spectral_norm_d"] == "true" and q["g_width"] == "64" and q["loss"] == "hinge"
    assert float(q["lr_d"]) == 2e-4
    assert GANConfig.from_query(q) == cfg
    full = GANConfig(**NON_DEFAULT)
    fq = full.to_query()
    assert set(fq) == set(FIELDS)
    assert GANConfig.from_query(fq) == full


def test_query_strings_are_coerced():
    cfg = GANConfig.from_query(
        {
            "batch_norm_g": "true",
            "label_smoothing": "0.5",
            "g_depth": "3",
            "d_steps": "4",
            "spectral_norm_d": "1",
            "spectral_norm_g": "no",
            "lr_g": " 1e-4 ",
            "loss": " hinge ",
        }
    )
    assert cfg.batch_norm_g is True and cfg.spectral_norm_d is True and cfg.spectral_norm_g is False
    assert cfg.label_smoothing == 0.5 and isinstance(cfg.label_smoothing, float)
    assert cfg.g_depth == 3 and isinstance(cfg.g_depth, int)
    assert cfg.d_steps == 4
    assert cfg.lr_g == 1e-4
    assert cfg.loss == "hinge"
    for text in ("TRUE", "yes", "on", "1"):
        assert GANConfig(batch_norm_g=text).batch_norm_g is True
    for text in ("False", "no", "off", "0"):
        assert GANConfig(batch_norm_g=text).batch_norm_g is False
    assert GANConfig(g_depth=4.0).g_depth == 4 and GANConfig(g_depth="4.0").g_depth == 4
    assert GANConfig(lr_d=1).lr_d == 1.0 and isinstance(GANConfig(lr_d=1).lr_d, float)


def just_outside(f) -> tuple:
    lo, hi = f.metadata["min"], f.metadata["max"]
    if f in INT:
        return lo - 1, hi + 1

    def nudge(v):
        return 1e-9 * max(1.0, abs(v))

    return lo - nudge(lo), hi + nudge(hi)


@pytest.mark.parametrize("f", NUMERIC, ids=lambda f: f.name)
def test_numeric_range_edges(f):
    lo, hi = f.metadata["min"], f.metadata["max"]
    also = NEEDS.get(f.name, {})
    assert getattr(GANConfig(**also, **{f.name: lo}), f.name) == lo
    assert getattr(GANConfig(**also, **{f.name: hi}), f.name) == hi
    below, above = just_outside(f)
    assert below < lo and above > hi
    for bad in (below, above):
        err = raises_config_error(f.name, **also, **{f.name: bad})
        assert "between" in err.message
        assert f"{lo:g}" in err.message and f"{hi:g}" in err.message
    # The same through a string, as from a URL.
    raises_config_error(f.name, **also, **{f.name: str(above)})


@pytest.mark.parametrize("f", CHOICE, ids=lambda f: f.name)
def test_choice_fields_reject_unknown_values(f):
    err = raises_config_error(f.name, **{f.name: "no-such-choice"})
    assert "no-such-choice" in err.message
    for choice in choices_of(f):
        assert choice in err.message
        assert getattr(GANConfig(**{f.name: choice}), f.name) == choice
    raises_config_error(f.name, **{f.name: 3})  # not text at all


@pytest.mark.parametrize("f", INT, ids=lambda f: f.name)
def test_int_fields_reject_wrong_types(f):
    for bad in ("abc", 2.5, "2.5", True, None, "", [1]):
        err = raises_config_error(f.name, **{f.name: bad})
        assert "whole number" in err.message


@pytest.mark.parametrize("f", FLOAT, ids=lambda f: f.name)
def test_float_fields_reject_non_finite_and_wrong_types(f):
    for bad in (math.nan, math.inf, -math.inf, "nan", "inf", "abc", True, None):
        err = raises_config_error(f.name, **{f.name: bad})
        assert "finite number" in err.message


@pytest.mark.parametrize("f", BOOL, ids=lambda f: f.name)
def test_bool_fields_reject_wrong_values(f):
    for bad in ("maybe", "2", 2, ""):
        err = raises_config_error(f.name, **{f.name: bad})
        assert "true or false" in err.message


def test_unknown_key_rejected():
    with pytest.raises(ConfigError) as e:
        GANConfig.from_dict({"g_width": 64, "learning_rate": 0.1})
    assert e.value.field == "learning_rate" and "learning_rate" in str(e.value) and "unknown" in str(e.value)
    with pytest.raises(ConfigError) as e:
        GANConfig.from_json('{"bogus_key": 1}')
    assert e.value.field == "bogus_key"
    with pytest.raises(ConfigError) as e:
        GANConfig.from_query({"zzz": "1"})
    assert e.value.field == "zzz"


@pytest.mark.parametrize("text", ["{", "not json", '{"g_width": }', ""])
def test_invalid_json_rejected(text):
    with pytest.raises(ConfigError) as e:
        GANConfig.from_json(text)
    assert e.value.field == "json" and "JSON" in e.value.message


@pytest.mark.parametrize("text", ["[1, 2]", "3", '"ring8"', "null"])
def test_json_must_be_an_object(text):
    with pytest.raises(ConfigError) as e:
        GANConfig.from_json(text)
    assert e.value.field == "json"


def test_from_json_validates_values():
    with pytest.raises(ConfigError) as e:
        GANConfig.from_json('{"g_width": 0}')
    assert e.value.field == "g_width"


def test_config_error_is_a_value_error():
    err = ConfigError("lr_d", "too big")
    assert isinstance(err, ValueError) and err.field == "lr_d" and err.message == "too big"
    assert str(err) == "lr_d: too big"


def test_replace_validates():
    cfg = GANConfig()
    assert cfg.replace(lr_d=0.01).lr_d == 0.01
    assert cfg.replace(g_depth="5").g_depth == 5
    with pytest.raises(ConfigError) as e:
        cfg.replace(lr_d=100.0)
    assert e.value.field == "lr_d"


def test_changes_needing_new_networks():
    base = GANConfig()
    assert base.changes_needing_new_networks(base) == []
    assert base.replace(g_width=64).changes_needing_new_networks(base) == ["g_width"]
    assert base.replace(lr_d=0.01, loss="hinge", d_steps=3).changes_needing_new_networks(base) == []
    assert base.replace(g_width=64, lr_d=0.01, minibatch_features="stddev", seed=3).changes_needing_new_networks(
        base
    ) == ["g_width", "minibatch_features", "seed"]
    # Every field individually: listed exactly when it is a non-live one.
    full = GANConfig(**NON_DEFAULT)
    for name in FIELDS:
        changed = base.replace(**{name: NON_DEFAULT[name]}, **NEEDS.get(name, {}))
        expected = sorted({name, *NEEDS.get(name, {})} & NON_LIVE, key=list(FIELDS).index)
        assert changed.changes_needing_new_networks(base) == expected, name
    assert full.changes_needing_new_networks(base) == [n for n in FIELDS if n in NON_LIVE]


# --- image settings -------------------------------------------------------------------------------------


def test_digits_and_their_weights_are_parsed_and_checked():
    cfg = GANConfig(digits="017", digit_weights="8,1,1")
    assert cfg.digit_list() == [0, 1, 7] and cfg.digit_proportions() == pytest.approx([0.8, 0.1, 0.1])
    assert GANConfig(digits="0, 1,7").digit_list() == [0, 1, 7] and GANConfig().digit_proportions() is None
    for bad, field_name in (
        (dict(digits=""), "digits"),
        (dict(digits="01a"), "digits"),
        (dict(digits="011"), "digits"),
        (dict(digits="01", digit_weights="1"), "digit_weights"),
        (dict(digits="01", digit_weights="1,x"), "digit_weights"),
        (dict(digits="01", digit_weights="1,-1"), "digit_weights"),
        (dict(digits="01", digit_weights="0,0"), "digit_weights"),
        (dict(acgan_weight=1.0), "acgan_weight"),
    ):
        raises_config_error(field_name, **bad)


def test_image_config_starts_from_image_defaults_and_takes_changes():
    cfg = image_config("digits", lr_g=1e-3)
    assert (cfg.dataset, cfg.image_model, cfg.noise_dim, cfg.batch_size, cfg.lr_g, cfg.lr_d) == (
        "digits",
        "mlp-cpu",
        64,
        64,
        1e-3,
        5e-4,
    )
    assert image_config(image_model="mlp-003").noise_dim == 100  # the lecture's 100-D noise


def test_roles_classify_every_setting_once_and_the_lists_are_derived_from_them():
    assert set(setting_names(role="live")) == set(FIELDS) - NON_LIVE
    assert set(setting_names(role="shared")) == SHARED
    assert set(setting_names(role="architecture")) == NON_LIVE - SHARED
    for f in fields(GANConfig):
        assert len(f.metadata["roles"]) == 1, f.name
    assert setting_names(domain="points", role="live") == tuple(
        n for n in setting_names(role="live") if FIELDS[n].metadata["domain"] in ("any", "points")
    )
    with pytest.raises(ValueError):
        setting_names(role="nope")


def test_domain_follows_the_dataset():
    assert GANConfig().domain == "points" and GANConfig(dataset="custom").domain == "points"
    assert image_config("digits").domain == "images" and image_config("mnist").domain == "images"


def test_url_values_are_clamped_or_refused_with_messages():
    config, messages = GANConfig.from_query_lenient(
        {"lr_d": "50", "g_depth": "0", "loss": "nope", "ema": "abc", "seed": "9", "other": "1"}
    )
    assert (config.lr_d, config.g_depth, config.loss, config.ema, config.seed) == (
        10.0,
        1,
        "nonsaturating",
        GANConfig().ema,
        9,
    )
    text = " | ".join(messages)
    assert len(messages) == 5 and all(name in text for name in ("lr_d", "g_depth", "loss", "ema", "other"))
    assert GANConfig.from_query_lenient(GANConfig(loss="hinge", d_steps=3).to_query()) == (
        GANConfig(loss="hinge", d_steps=3),
        [],
    )


def test_url_values_apply_on_top_of_a_base_config():
    base = GANConfig(dataset="grid25", lr_d=5e-4)
    config, messages = GANConfig.from_query_lenient({"lr_g": "0.002"}, base=base)
    assert (config.dataset, config.lr_d, config.lr_g) == ("grid25", 5e-4, 0.002) and messages == []
