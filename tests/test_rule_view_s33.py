"""An invisible character between digits in the rules' view (s32 Left, qa_verify): it stands
for the separator the number already uses when the group it ends is complete, or for a space
after a whole Luhn-valid card number (its CVV or expiry follows); inside a group it is
deleted. A card followed by a zero-width space and its CVV was read as 19 digits and missed."""

from __future__ import annotations

import pytest
from bastion import Guard
from bastion.detectors.pii_regex import RegexPIIDetector, rule_view


@pytest.fixture(scope="module")
def guard() -> Guard:
    return Guard([RegexPIIDetector()])


@pytest.mark.parametrize(
    ("text", "label", "value"),
    [
        ("card 4111 1111 1111 1111\u200b123", "CREDIT_CARD", "4111 1111 1111 1111"),
        ("card 4111-1111-1111-1111\u200b123 exp 12/28", "CREDIT_CARD", "4111-1111-1111-1111"),
        ("card 4111111111111111\u200b123", "CREDIT_CARD", "4111111111111111"),
        ("card 4111111111111111\u2060 123", "CREDIT_CARD", "4111111111111111"),
        # inside a group the character is still deleted
        ("card 4111 1111 1111 11\u200b11", "CREDIT_CARD", "4111 1111 1111 11\u200b11"),
        ("card 4111\u200b1111 1111 1111", "CREDIT_CARD", "4111\u200b1111 1111 1111"),
        ("call 212 555\u200b0101", "PHONE_NUMBER", "212 555\u200b0101"),
    ],
)
def test_found(guard, text, label, value):
    hits = [(f.label, text[f.start : f.end]) for f in guard.check(text).pii]
    assert (label, value) in hits, hits


@pytest.mark.parametrize(
    ("text", "view"),
    [
        ("4111 1111\u200b1111", "4111 1111 1111"),
        ("41\u200b11", "4111"),
        ("4111-1111\u200b1111", "4111-1111-1111"),
        ("4111-11\u200b11", "4111-1111"),
        ("4111111111111111\u200b123", "4111111111111111 123"),
        ("4111111111111112\u200b123", "4111111111111112123"),  # no card: deleted as before
    ],
)
def test_the_view(text, view):
    assert rule_view(text).text == view
