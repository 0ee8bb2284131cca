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
        ({"max_chars": 100}, lambda p: p.max_chars == 100),
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
        ({"max_chars": "lots"}, "max_chars must be a whole number"),
        ({"max_chars": "100"}, "max_chars must be a whole number"),  # YAML gives ints; a string is a typo
        ({"max_chars": 1.5}, "max_chars must be a whole number"),
        ({"max_chars": True}, "max_chars must be a whole number"),
        ({"max_chars": -3}, "max_chars must be positive"),
        ({"max_tokens": float("inf")}, "max_tokens must be a whole number"),
        ({"max_tokens": float("nan")}, "max_tokens must be a whole number"),
        ({"injection_operating_point": "lenient"}, "default, strict, indirect"),
        ({"label_thresholds": {"PERSON": float("nan")}}, r"must be in \[0, 1\]"),
        ({"label_thresholds": {"PERSON": True}}, "must be a number"),
        ({"label_actions": {"bad label": "block"}}, "label 'bad label'"),
        ({"disabled_labels": ["URL", 3]}, "label 3"),
        ({"operators": {"PERSON": {"type": "mask", "keep": -1}}}, "operators.PERSON: mask keep"),
        ({"operators": {"PERSON": {"type": "mask", "char": "##"}}}, "mask char must be exactly one"),
        (
            {"default_operator": {"type": "hash", "key": "k" * 16, "length": 99}},
            "default_operator: hash length",
        ),
        ({"default_operator": {"type": "hash", "key": ""}}, "hash key must be a non-empty"),
        ({"default_operator": "explode"}, "unknown operator 'explode'"),
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
        ("LOCATION", Action.ALLOW),  # the same label semantics on the way out
        ("ORGANIZATION", Action.ALLOW),
    ],
)
def test_output_policy(label, action):
    assert OUTPUT_POLICY.action_for_label(label) is action
    assert OUTPUT_POLICY.injection_operating_point == "strict"


# ------------------------------------------------------------ issue 14: Policy(...) validates


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_chars": -3}, "max_chars must be positive"),
        ({"max_chars": 0}, "max_chars must be positive"),
        ({"max_chars": 2.0}, "max_chars must be a whole number"),
        ({"max_chars": False}, "max_chars must be a whole number"),
        ({"max_tokens": 0}, "max_tokens must be positive"),
        ({"max_tokens": True}, "max_tokens must be a whole number"),
        ({"max_tokens": float("inf")}, "max_tokens must be a whole number"),
        ({"injection_threshold": 1.01}, r"injection_threshold must be in \[0, 1\]"),
        ({"injection_threshold": float("nan")}, "injection_threshold must be in"),
        ({"injection_threshold": "0.5"}, "injection_threshold must be a number"),
        ({"injection_operating_point": "lax"}, "injection_operating_point must be one of"),
        ({"pii_min_score": -0.5}, "pii_min_score must be in"),
        ({"pii_action": "nuke"}, "pii_action must be allow, redact or block"),
        ({"injection_action": None}, "injection_action must be"),
        ({"label_actions": {"API_KEY": "explode"}}, "label_actions.API_KEY must be"),
        ({"label_actions": {"api_key": "block"}}, "label 'api_key'"),
        ({"label_actions": ["API_KEY"]}, "label_actions must be a mapping"),
        ({"label_thresholds": {"PERSON": 2}}, "must be in"),
        ({"disabled_labels": "URL"}, "disabled_labels must be a list"),
        ({"operators": {"PERSON": {"type": "mask", "keep": "2"}}}, "mask keep must be a whole number"),
        ({"default_operator": {"type": "nope"}}, "unknown operator"),
        ({"deny_label": "deny"}, "label 'deny'"),
    ],
)
def test_constructor_validates_like_from_dict(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        Policy(**kwargs)
    # the same check, and the same message, from a config mapping
    with pytest.raises(ConfigError, match=message):
        Policy.from_dict(kwargs)


@pytest.mark.parametrize("point", ["default", "strict", "indirect"])
def test_operating_points(point):
    assert Policy(injection_operating_point=point).injection_operating_point == point


def test_constructor_coerces_strings_to_actions():
    p = Policy(pii_action="block", label_actions={"API_KEY": "allow"})
    assert p.pii_action is Action.BLOCK and p.action_for_label("API_KEY") is Action.ALLOW


# ------------------------------------------------------------ issue 13: label semantics


@pytest.mark.parametrize(
    ("data", "label", "action", "rule"),
    [
        ({}, "LOCATION", Action.ALLOW, "label_actions.LOCATION"),
        ({}, "ORGANIZATION", Action.ALLOW, "label_actions.ORGANIZATION"),
        ({}, "PERSON", Action.REDACT, "pii_action"),
        ({}, "ADDRESS", Action.REDACT, "pii_action"),
        ({"pii_action": "block"}, "LOCATION", Action.ALLOW, "label_actions.LOCATION"),
        ({"pii_action": "block"}, "ADDRESS", Action.BLOCK, "pii_action"),
        # giving label_actions keeps the defaults for the labels it does not name
        ({"label_actions": {"API_KEY": "block"}}, "LOCATION", Action.ALLOW, "label_actions.LOCATION"),
        # the opt-in
        ({"label_actions": {"LOCATION": "redact"}}, "LOCATION", Action.REDACT, "label_actions.LOCATION"),
        (
            {"label_actions": {"ORGANIZATION": "block"}},
            "ORGANIZATION",
            Action.BLOCK,
            "label_actions.ORGANIZATION",
        ),
    ],
)
def test_default_label_actions(data, label, action, rule):
    p = Policy.from_dict(data)
    assert p.action_for_label(label) is action
    assert p.rule_for_label(label) == rule


def test_round_trip_with_lists_and_opt_in():
    p = Policy.from_dict(
        {
            "label_actions": {"LOCATION": "redact"},
            "allow_list": {
                "ORGANIZATION": ["Acme Corp"],
                "EMAIL_ADDRESS": ["*@example.com"],
                "*": [{"regex": "x\\d"}],
            },
            "deny_terms": [
                "Project Falcon",
                {"regex": "FALCON-\\d{4}", "label": "CODENAME"},
                {"exact": "a*b"},
            ],
            "injection_allow_list": [{"sha256": "A" * 64}, {"regex": "Summarise: .{1,200}"}],
        }
    )
    again = Policy.from_dict(p.to_dict())
    assert again == p
    assert again.action_for_label("LOCATION") is Action.REDACT
    assert again.to_dict()["injection_allow_list"][0] == {"sha256": "a" * 64}
    assert p.with_overrides({"pii_action": "block"}).deny_terms == p.deny_terms
