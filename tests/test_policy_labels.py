"""Label semantics through the Guard (issue 13 item 1): LOCATION and ORGANIZATION are
detected and reported but, by default, allowed and left in ``redacted_text``; a label
whose action is ``allow`` is never redacted; an allowed span never un-redacts another."""

from __future__ import annotations

import re

import pytest
from bastion import Action, Guard, Policy
from bastion.policy import OUTPUT_POLICY
from bastion.types import Finding


class Spans:
    """Fake NER: fixed (value, label, score) triples, every occurrence."""

    category, version, kind = "pii", "1", "model"

    def __init__(self, spans, name="fake_ner"):
        self.spans, self.name = spans, name

    def detect(self, texts):
        return [
            [
                Finding(label, m.start(), m.end(), score, self.name)
                for value, label, score in self.spans
                for m in re.finditer(re.escape(value), t)
            ]
            for t in texts
        ]


NER = Spans(
    [
        ("Jane Doe", "PERSON", 0.9),
        ("Paris", "LOCATION", 0.9),
        ("France", "LOCATION", 0.9),
        ("Acme Corp", "ORGANIZATION", 0.9),
        ("221B Baker Street", "ADDRESS", 0.9),
    ]
)


def _decisions(result):
    return [(f.label, f.action.value, f.rule) for f in result.pii]


@pytest.mark.parametrize(
    ("text", "policy", "redacted", "action", "decisions"),
    [
        (
            "Paris is the capital of France.",
            {},
            "Paris is the capital of France.",
            Action.ALLOW,
            [("LOCATION", "allow", "label_actions.LOCATION")] * 2,
        ),
        (
            "Paris is the capital of France.",
            {"label_actions": {"LOCATION": "redact"}},
            "[REDACTED_LOCATION] is the capital of [REDACTED_LOCATION].",
            Action.REDACT,
            [("LOCATION", "redact", "label_actions.LOCATION")] * 2,
        ),
        (
            "Jane Doe of Acme Corp lives at 221B Baker Street, Paris",
            {},
            "[REDACTED_PERSON] of Acme Corp lives at [REDACTED_ADDRESS], Paris",
            Action.REDACT,
            [
                ("PERSON", "redact", "pii_action"),
                ("ORGANIZATION", "allow", "label_actions.ORGANIZATION"),
                ("ADDRESS", "redact", "pii_action"),
                ("LOCATION", "allow", "label_actions.LOCATION"),
            ],
        ),
        (
            # allow wins over the operator: it was the bug (action allow, text still redacted)
            "Jane Doe in Paris",
            {"label_actions": {"PERSON": "allow"}, "operators": {"PERSON": "mask"}},
            "Jane Doe in Paris",
            Action.ALLOW,
            [("PERSON", "allow", "label_actions.PERSON"), ("LOCATION", "allow", "label_actions.LOCATION")],
        ),
        (
            "Jane Doe in Paris",
            {"pii_action": "allow"},  # report-only
            "Jane Doe in Paris",
            Action.ALLOW,
            [("PERSON", "allow", "pii_action"), ("LOCATION", "allow", "label_actions.LOCATION")],
        ),
        (
            "Jane Doe in Paris",
            {"pii_action": "block"},
            "[REDACTED_PERSON] in Paris",
            Action.BLOCK,
            [("PERSON", "block", "pii_action"), ("LOCATION", "allow", "label_actions.LOCATION")],
        ),
        (
            "Jane Doe in Paris",
            {"disabled_labels": ["LOCATION"]},
            "[REDACTED_PERSON] in Paris",
            Action.REDACT,
            [("PERSON", "redact", "pii_action")],
        ),
    ],
)
def test_label_actions_decide_redaction(text, policy, redacted, action, decisions):
    r = Guard([NER], Policy.from_dict(policy)).check(text)
    assert r.redacted_text == redacted
    assert r.action is action
    assert _decisions(r) == decisions
    assert [f.label for f in r.redactions] == [d[0] for d in decisions if d[1] != "allow"]


@pytest.mark.parametrize(
    ("spans", "text", "redacted"),
    [
        # a confident LOCATION overlapping a PERSON: merged together the LOCATION would win
        # and grow over "Paris Hilton", leaving the person in clear
        (
            [("Paris", "LOCATION", 0.99), ("Paris Hilton", "PERSON", 0.6)],
            "Paris Hilton called",
            "[REDACTED_PERSON] called",
        ),
        (
            [("Acme Corp Ltd", "ORGANIZATION", 0.99), ("Corp Ltd", "PERSON", 0.6)],
            "Acme Corp Ltd x",
            "Acme [REDACTED_PERSON] x",
        ),
    ],
)
def test_an_allowed_span_never_unredacts_an_overlapping_one(spans, text, redacted):
    r = Guard([Spans(spans)]).check(text)
    assert r.redacted_text == redacted
    assert [f.label for f in r.pii] == ["PERSON"]  # the overlapping allowed span is dropped


def test_result_to_dict_says_what_was_done():
    d = Guard([NER]).check("Jane Doe in Paris").to_dict()
    assert [(p["label"], p["action"], p["rule"]) for p in d["pii"]] == [
        ("PERSON", "redact", "pii_action"),
        ("LOCATION", "allow", "label_actions.LOCATION"),
    ]
    assert d["redacted_text"] == "[REDACTED_PERSON] in Paris"


def test_output_policy_keeps_places_too():
    r = Guard([NER]).check_output("Jane Doe in Paris")
    assert r.redacted_text == "[REDACTED_PERSON] in Paris"
    assert OUTPUT_POLICY.action_for_label("LOCATION") is Action.ALLOW


# ------------------------------------------------------------------ the shipped models


@pytest.fixture(scope="module")
def shipped():
    guard = Guard.default(tasks=("pii",), on_model_error="raise")
    yield guard
    guard.close()


@pytest.mark.parametrize(
    "text",
    [
        "Paris is the capital of France.",
        "The meeting moved from Berlin to Madrid.",
    ],
)
def test_shipped_models_leave_places_in_clear(shipped, text):
    r = shipped.check(text)
    assert r.redacted_text == text
    assert r.action is Action.ALLOW
    assert r.pii and {f.label for f in r.pii} == {"LOCATION"}  # still detected, still reported
    assert all(f.action is Action.ALLOW for f in r.pii)


def test_shipped_models_opt_in_redacts_places(shipped):
    r = shipped.check("Paris is the capital of France.", policy=Policy(label_actions={"LOCATION": "redact"}))
    assert r.redacted_text == "[REDACTED_LOCATION] is the capital of [REDACTED_LOCATION]."
    assert r.action is Action.REDACT


def test_shipped_models_still_redact_people(shipped):
    r = shipped.check("Hi, this is Jane Doe from Paris.")
    assert "Jane Doe" not in r.redacted_text and "Paris" in r.redacted_text
