"""Policy parsing, validation and lookups."""

from __future__ import annotations

import dataclasses

import pytest
from bastion import Action, ConfigError, Policy
from bastion.policy import OUTPUT_POLICY


def test_defaults():
    p = Policy()
    assert p.injection_threshold is None and p.injection_operating_point == "default"
    assert p.injection_action is Action.BLOCK and p.pii_action is Action.REDACT
    assert p.threshold_for_label("PERSON") == 0.5
    assert p.operator_for_label("PERSON") == "replace"


@pytest.mark.parametrize(
    ("data", "check"),
    [
        ({"label_actions": {"API_KEY": "block"}}, lambda p: p.action_for_label("API_KEY") is Action.BLOCK),
        ({"label_actions": {"API_KEY": "block"}}, lambda p: p.action_for_label("PERSON") is Action.REDACT),
        ({"pii_action": "allow"}, lambda p: p.action_for_label("PERSON") is Action.ALLOW),
        ({"label_thresholds": {"PERSON": 0.8}}, lambda p: p.threshold_for_label("PERSON") == 0.8),
        ({"pii_min_score": 0.3}, lambda p: p.threshold_for_label("URL") == 0.3),
        ({"operators": {"PERSON": "mask"}}, lambda p: p.operator_for_label("PERSON") == "mask"),
        ({"disabled_labels": ["URL"]}, lambda p: p.disabled_labels == frozenset({"URL"})),
        ({"injection_threshold": 0.7}, lambda p: p.injection_threshold == 0.7),
        ({"injection_operating_point": "strict"}, lambda p: p.injection_operating_point == "strict"),
        ({"max_chars": "100"}, lambda p: p.max_chars == 100),
        ({"max_tokens": 20000}, lambda p: p.max_tokens == 20000),
        ({"max_tokens": "500"}, lambda p: p.max_tokens == 500),
        ({"max_tokens": None}, lambda p: p.max_tokens is None),
        ({}, lambda p: p.max_tokens is None),  # no budget unless asked for
        (None, lambda p: p == Policy()),
        ({}, lambda p: p == Policy()),
    ],
)
def test_from_dict(data, check):
    assert check(Policy.from_dict(data))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"nope": 1}, "unknown policy keys: nope"),
        ({"pii_action": "nuke"}, "invalid policy"),
        ({"label_actions": {"API_KEY": "explode"}}, "invalid policy"),
        ({"label_actions": ["API_KEY"]}, "label_actions must be a mapping"),
        ({"operators": "mask"}, "operators must be a mapping"),
        ({"disabled_labels": "URL"}, "disabled_labels must be a list"),
        ({"injection_threshold": 1.5}, r"injection_threshold must be in \[0, 1\]"),
        ({"injection_threshold": -0.1}, "injection_threshold"),
        ({"injection_threshold": "high"}, "invalid policy"),
        ({"injection_operating_point": "lax"}, "operating_point"),
        ({"max_chars": 0}, "max_chars must be positive"),
        ({"max_chars": "lots"}, "invalid policy"),
        ({"max_tokens": 0}, "max_tokens must be positive"),
        ({"max_tokens": -5}, "max_tokens must be positive"),
        ({"max_tokens": 2.5}, "max_tokens must be a whole number"),
        ({"max_tokens": True}, "max_tokens must be a whole number"),
        ({"max_tokens": "lots"}, "invalid policy"),
        ({"pii_min_score": 2}, "pii_min_score"),
        ({"label_thresholds": {"PERSON": "x"}}, "invalid policy"),
        ([("pii_action", "allow")], "policy must be a mapping"),
        ("strict", "policy must be a mapping"),
    ],
)
def test_from_dict_rejects(data, message):
    with pytest.raises(ConfigError, match=message):
        Policy.from_dict(data)


def test_round_trip_through_dict():
    p = Policy.from_dict(
        {
            "injection_threshold": 0.6,
            "label_actions": {"API_KEY": "block"},
            "label_thresholds": {"PERSON": 0.7},
            "disabled_labels": ["URL"],
            "operators": {"PERSON": {"type": "mask", "keep": 2}},
            "max_chars": 5000,
            "max_tokens": 20000,
        }
    )
    assert Policy.from_dict(p.to_dict()) == p


def test_with_overrides():
    p = Policy.from_dict({"label_actions": {"API_KEY": "block"}})
    q = p.with_overrides({"pii_action": "allow"})
    assert q.pii_action is Action.ALLOW and q.action_for_label("API_KEY") is Action.BLOCK
    assert p.pii_action is Action.REDACT  # original untouched
    assert p.with_overrides(None) is p
    with pytest.raises(ConfigError):
        p.with_overrides({"bogus": 1})


def test_policy_is_immutable():
    p = Policy.from_dict({"label_actions": {"API_KEY": "block"}})
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.pii_action = Action.ALLOW  # type: ignore[misc]
    with pytest.raises(TypeError):
        p.label_actions["PERSON"] = Action.BLOCK  # type: ignore[index]


@pytest.mark.parametrize(
    ("label", "action"),
    [
        ("API_KEY", Action.BLOCK),
        ("PRIVATE_KEY", Action.BLOCK),
        ("PASSWORD", Action.BLOCK),
        ("PERSON", Action.REDACT),
    ],
)
def test_output_policy(label, action):
    assert OUTPUT_POLICY.action_for_label(label) is action
    assert OUTPUT_POLICY.injection_operating_point == "strict"
