"""Pseudonym tokens are not PII: a finding wholly inside ``<PERSON_1>`` (a model tagging
``PERSON_1`` as a username) must not redact the token the proxy is about to restore."""

from __future__ import annotations

import pytest
from bastion import Guard, Policy
from bastion.redact import Vault, placeholder_spans, restore
from helpers_guard import FakePII

# a detector that tags every "WORD_<digits>" run, as the e5 PII model does with PERSON_1
TOKENISH = FakePII(patterns={"USERNAME": r"[A-Z][A-Z0-9_]*_\d+", "EMAIL_ADDRESS": r"\S+@\S+\.com"})


@pytest.mark.parametrize(
    ("text", "redacted"),
    [
        # known labels: the token stays, so it can be restored
        ("Hello <PERSON_1>, bye", "Hello <PERSON_1>, bye"),
        ("mail <EMAIL_ADDRESS_12> now", "mail <EMAIL_ADDRESS_12> now"),
        # not a known label: the name inside may be real, so it is redacted
        ("Hello <JANE_DOE_1>", "Hello <[REDACTED_USERNAME]>"),
        # the same shape outside angle brackets is an ordinary finding
        ("user PERSON_1 logged in", "user [REDACTED_USERNAME] logged in"),
        # a finding that reaches outside the token is kept whole
        ("write to <PERSON_1>x@y.com", "write to [REDACTED_EMAIL_ADDRESS]"),
    ],
)
def test_findings_inside_pseudonym_tokens_are_dropped(text: str, redacted: str) -> None:
    guard = Guard([TOKENISH])
    assert guard.check(text).redacted_text == redacted


def test_a_deny_term_inside_a_token_is_still_redacted() -> None:
    guard = Guard([TOKENISH], policy=Policy.from_dict({"deny_terms": ["PERSON"]}))
    assert "PERSON" not in guard.check("see <PERSON_1>").redacted_text


def test_round_trip_through_an_answer_that_echoes_the_tokens() -> None:
    # what the proxy does: pseudonymise the prompt, check the echoed answer, restore it
    vault = Vault()
    guard = Guard([FakePII(name="names", patterns={"PERSON": r"Jane Doe"}), TOKENISH])
    sent = guard.check(
        "my name is Jane Doe", policy=Policy.from_dict({"default_operator": "pseudonymize"}), vault=vault
    )
    assert sent.redacted_text == "my name is <PERSON_1>"
    answer = guard.check_output(f"Hello {sent.redacted_text}!")
    assert restore(answer.redacted_text, vault) == "Hello my name is Jane Doe!"


def test_placeholder_spans() -> None:
    assert placeholder_spans("<PERSON_1><US_SSN_3> <person_1> <PERSON_>") == [(0, 10), (10, 20)]
