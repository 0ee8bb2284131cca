"""params.yaml sections as frozen dataclasses: every section of the real params.yaml parses,
unknown keys are rejected, values are coerced to their declared types, and the checks on
values hold."""

from __future__ import annotations

import dataclasses

import pytest
from bastion.errors import ConfigError
from bastion_training.config import (
    ExportParams,
    InjectionDataParams,
    LabelThresholdParams,
    PIIDataParams,
    TrainInjectionParams,
    TrainPIIParams,
    check_keys,
    load_params,
    section,
    seed_of,
)

SECTIONS = (
    TrainInjectionParams,
    TrainPIIParams,
    ExportParams,
    LabelThresholdParams,
    InjectionDataParams,
    PIIDataParams,
)
MINIMAL = {"max_length": 16, "batch_size": 4, "epochs": 1, "lr": 1e-3}


@pytest.mark.parametrize("cls", SECTIONS, ids=lambda c: c.SECTION)
def test_every_section_of_params_yaml_parses(cls):
    params = load_params("params.yaml")
    plain = cls.from_params(params).to_dict()
    # every key written in params.yaml ends up on the object, as written
    for key, value in section(params, cls.SECTION).items():
        assert plain[key] == value, key


@pytest.mark.parametrize("cls", SECTIONS, ids=lambda c: c.SECTION)
def test_unknown_keys_are_rejected(cls):
    raw = {**MINIMAL} if cls in (TrainInjectionParams, TrainPIIParams) else {}
    with pytest.raises(ConfigError, match=r"unknown key\(s\) \['lr_typo'\]"):
        cls.from_mapping({**raw, "lr_typo": 1})


@pytest.mark.parametrize("cls", SECTIONS, ids=lambda c: c.SECTION)
def test_sections_are_frozen(cls):
    raw = {**MINIMAL} if cls in (TrainInjectionParams, TrainPIIParams) else {}
    p = cls.from_mapping(raw)
    field = dataclasses.fields(p)[0].name
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(p, field, None)


@pytest.mark.parametrize(
    ("key", "raw", "expected"),
    [
        ("lr", "5e-5", 5e-5),  # YAML reads 5e-5 (no dot) as a string
        ("lr", 1, 1.0),
        ("batch_size", 16.0, 16),
        ("max_minutes", None, None),
        ("max_steps", "1500", 1500),
        ("window_selection", "max", "max"),
        ("family_caps", {"a": 3}, {"a": 3}),
        ("track", False, False),
    ],
)
def test_values_are_coerced(key, raw, expected):
    got = getattr(TrainInjectionParams.from_mapping({**MINIMAL, key: raw}), key)
    assert (dict(got) if key == "family_caps" else got) == expected
    assert type(got) is type(expected) or key == "family_caps"


@pytest.mark.parametrize(
    ("key", "raw", "match"),
    [
        ("batch_size", 16.5, "must be int"),
        ("batch_size", True, "must be int"),
        ("batch_size", 0, "must be > 0"),
        ("lr", "fast", "must be float"),
        ("window_selection", "mean", "must be one of"),
        ("track", "yes", "true or false"),
        ("warmup", 1.5, r"warmup must be in \[0, 1\)"),
        ("family_caps", [1, 2], "must be a mapping"),
        ("max_length", None, "must not be null"),
    ],
)
def test_bad_values_are_config_errors(key, raw, match):
    with pytest.raises(ConfigError, match=match):
        TrainInjectionParams.from_mapping({**MINIMAL, key: raw})


def test_missing_required_keys_are_named():
    with pytest.raises(ConfigError, match=r"missing key\(s\) \['epochs', 'lr'\]"):
        TrainInjectionParams.from_mapping({"max_length": 8, "batch_size": 2})


@pytest.mark.parametrize(
    ("raw", "expected"), [("auto", "auto"), (True, True), (False, False)]
)  # fmt: skip
def test_case_features_is_a_bool_or_auto(raw, expected):
    assert TrainPIIParams.from_mapping({**MINIMAL, "case_features": raw}).case_features == expected
    with pytest.raises(ConfigError):
        TrainPIIParams.from_mapping({**MINIMAL, "case_features": "sometimes"})


def test_ablation_overrides_are_checked_and_applied():
    p = TrainPIIParams.from_mapping({**MINIMAL, "max_steps": 100, "ablation": {"max_steps": 10}})
    assert (p.max_steps, p.with_ablation().max_steps, dict(p.with_ablation().ablation)) == (100, 10, {})
    with pytest.raises(ConfigError, match=r"train_pii.ablation: unknown key\(s\) \['max_stepz'\]"):
        TrainPIIParams.from_mapping({**MINIMAL, "ablation": {"max_stepz": 10}})


def test_derived_values():
    inj = TrainInjectionParams.from_mapping({**MINIMAL, "window_selection": "max", "max_windows": 5})
    assert inj.windows_per_row == 5
    assert TrainInjectionParams.from_mapping(MINIMAL).windows_per_row == 1
    pii = TrainPIIParams.from_mapping({**MINIMAL, "max_length": 130})
    assert pii.window_stride == 64
    assert TrainPIIParams.from_mapping({**MINIMAL, "stride": 7}).window_stride == 7


def test_init_from_must_hold_a_checkpoint(tmp_path):
    assert TrainInjectionParams.from_mapping(MINIMAL).init_checkpoint() is None
    p = TrainInjectionParams.from_mapping({**MINIMAL, "init_from": str(tmp_path)})
    with pytest.raises(ConfigError, match="has no checkpoint"):
        p.init_checkpoint()
    (tmp_path / "config.json").write_text("{}", encoding="utf-8")
    assert p.init_checkpoint() == tmp_path


def test_to_dict_round_trips():
    p = TrainPIIParams.from_params(load_params("params.yaml"))
    assert TrainPIIParams.from_mapping(p.to_dict()) == p


def test_label_threshold_grid_has_three_numbers():
    assert LabelThresholdParams.from_mapping({"grid": [0.3, 0.8, 0.1]}).grid == (0.3, 0.8, 0.1)
    with pytest.raises(ConfigError, match="grid"):
        LabelThresholdParams.from_mapping({"grid": [0.3, 0.8]})


def test_seed_and_check_keys():
    assert seed_of({"seed": "7"}) == 7
    check_keys("x", {"a": 1}, ["a", "b"])
    with pytest.raises(ConfigError, match=r"x: unknown key\(s\) \['c'\]"):
        check_keys("x", {"a": 1, "c": 2}, ["a", "b"])


def test_nested_sections_are_checked_too():
    p = InjectionDataParams.from_mapping({"leakage": {"threshold": "0.7"}})
    assert p.leakage.threshold == 0.7 and p.leakage.num_perm == 128
    with pytest.raises(ConfigError, match=r"injection.leakage: unknown key\(s\) \['treshold'\]"):
        InjectionDataParams.from_mapping({"leakage": {"treshold": 0.7}})
    with pytest.raises(ConfigError, match="generator_docs"):
        InjectionDataParams.from_mapping({"generator_docs": {"test": 3}})


def test_injection_engine_keys_are_the_engines():
    from bastion_training.injection.build import settings

    assert settings({"injection": {"engine": {"carrier_pos": 5}}})["engine"]["carrier_pos"] == 5
    with pytest.raises(ConfigError, match=r"injection.engine: unknown key\(s\) \['carier_pos'\]"):
        settings({"injection": {"engine": {"carier_pos": 5}}})


@pytest.mark.parametrize(
    "bad",
    [{"n_train": -1}, {"lower_frac": 1.5}, {"lower_frac": 0.8, "upper_frac": 0.5}, {"split_fractions": [1, 0]},
     {"n_val": "many"}, {"eval_sets": "eval_wnut_test"}, {"n_trian": 3}],
)  # fmt: skip
def test_pii_data_section_checks(bad):
    with pytest.raises(ConfigError):
        PIIDataParams.from_mapping(bad)
