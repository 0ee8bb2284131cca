"""An allow-listed one-word value that a second detector read only in part (s33 qa_policy M3):
the model's "example.com" inside the regex's "jane@example.com" was redacted alone, giving
"jane@[REDACTED_EMAIL_ADDRESS]", and the allowed finding vanished. The fragment now goes
with the allowed value; a secret inside it, and a name inside an allowed postal address,
stay redacted."""

from __future__ import annotations

import pytest
from bastion import Guard, Policy
from bastion.types import Action
from helpers_guard import FakePII

WHOLE = FakePII(
    name="regex",
    patterns={
        "EMAIL_ADDRESS": r"[a-z]+@[a-z]+\.com",
        "ADDRESS": r"\d+ [A-Z][a-z]+ Street, [A-Z][a-z]+",
        "API_KEY": r"sk-[a-z0-9]{16,}",
    },
)


@pytest.mark.parametrize(
    ("fragment_label", "fragment"),
    [("EMAIL_ADDRESS", r"(?<=@)[a-z]+\.com"), ("USERNAME", r"(?<=@)[a-z]+\.com"), ("PERSON", r"\bjane(?=@)")],
)
def test_a_fragment_of_an_allowed_email_is_released_with_it(fragment_label, fragment):
    model = FakePII(name="pii_model", kind="model", patterns={fragment_label: fragment})
    g = Guard([WHOLE, model], Policy.from_dict({"allow_list": {"*": ["*@example.com"]}}))
    r = g.check("mail jane@example.com")
    assert r.redacted_text == "mail jane@example.com", r.redacted_text
    assert r.action is Action.ALLOW
    assert ("EMAIL_ADDRESS", 5, 21) in [(f.label, f.start, f.end) for f in r.pii if f.action is Action.ALLOW]


def test_another_address_stays_redacted():
    model = FakePII(name="pii_model", kind="model", patterns={"EMAIL_ADDRESS": r"(?<=@)[a-z]+\.com"})
    g = Guard([WHOLE, model], Policy.from_dict({"allow_list": {"*": ["*@example.com"]}}))
    r = g.check("mail jane@example.com and bob@other.com")
    assert r.redacted_text == "mail jane@example.com and bob@[REDACTED_EMAIL_ADDRESS]" or (
        r.redacted_text == "mail jane@example.com and [REDACTED_EMAIL_ADDRESS]"
    ), r.redacted_text


def test_a_name_inside_an_allowed_postal_address_stays_redacted():
    model = FakePII(name="pii_model", kind="model", patterns={"PERSON": r"Baker(?= Street)"})
    g = Guard([WHOLE, model], Policy.from_dict({"allow_list": {"ADDRESS": ["221 Baker Street, London"]}}))
    r = g.check("at 221 Baker Street, London")
    assert "[REDACTED_PERSON]" in r.redacted_text, r.redacted_text


@pytest.mark.parametrize(
    ("allow", "text", "released"),
    [
        ({"*": ["*@example.com"]}, "pay 4111111111111111@example.com now", False),
        ({"*": [{"regex": r"\d+@example\.com"}]}, "pay 4111111111111111@example.com now", False),
        ({"*": ["4111111111111111@example.com"]}, "pay 4111111111111111@example.com now", True),
        ({"CREDIT_CARD": ["*@example.com"]}, "pay 4111111111111111@example.com now", True),
        ({"*": ["*@example.com"]}, "mail jane@example.com", True),
    ],
    ids=["glob-under-any", "regex-under-any", "exact-under-any", "glob-under-label", "email"],
)
def test_a_pattern_under_any_label_does_not_release_a_checksummed_number(allow, text, released):
    # s33 qa_verify N4: "*@example.com" released a card glued to the address
    from bastion.detectors import build_detector

    r = Guard([build_detector("pii_regex")], Policy.from_dict({"allow_list": allow})).check(text)
    assert (r.redacted_text == text) is released, r.redacted_text
