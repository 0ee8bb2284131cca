"""Fuzzing Guard.check on odd unicode, with the real regex recognizers and a fake model.

Derandomised (the same examples every run), no example database. Properties:
- any str without lone surrogates gets a result, never an exception; with lone surrogates,
  an InputError and nothing else;
- every finding's offsets are in bounds of the ORIGINAL text and non-empty;
- an e-mail address or card number planted between random text (set off by " ; ") is
  never left in ``redacted_text``. The separator keeps digits of the noise from extending
  the card into a longer, Luhn-invalid number; that case is its own test below.
"""

from __future__ import annotations

import pytest
from bastion import Guard, InputError
from bastion.types import INJECTION, Action
from helpers_guard import FakeInjection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

SETTINGS = settings(
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=150,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f"
COMBINING = "".join(chr(c) for c in range(0x0300, 0x0370, 7))
RTL_TEXT = "שלום עולם مرحبا بالعالم"
ODD = "ｊａｎｅ＠ｅｘａｍｐｌｅ．ｃｏｍ４１１１ аеоорс ΑΒΕ 😀👍🏽 東京 \x00\x01\x7f\ufffd\U000e0041"

odd_chars = st.sampled_from(list(ZERO_WIDTH + BIDI + COMBINING + RTL_TEXT + ODD + " \n\t@.-+0123456789abc"))
# every code point except lone surrogates (which Guard.check rejects, tested separately)
any_chars = st.characters(exclude_categories=("Cs",))
noise = st.one_of(
    st.text(any_chars, max_size=60),
    st.text(odd_chars, max_size=60),
    # huge repeats: a short odd piece repeated up to a few thousand times
    st.builds(lambda s, k: s * k, st.text(odd_chars, min_size=1, max_size=6), st.integers(1, 3000)),
)

EMAILS = ["jane.doe@example.com", "x_y+tag@mail.example.org", "a1@b2.co"]
CARDS = ["4111 1111 1111 1111", "5500-0000-0000-0004", "378282246310005"]


@pytest.fixture(scope="module")
def guard() -> Guard:
    pytest.importorskip("bastion.detectors.pii_regex")
    from bastion.detectors import build_detector

    return Guard([build_detector("pii_regex"), FakeInjection(thresholds={"default": 0.5, "strict": 0.8})])


def _check_bounds(text: str, result) -> None:
    assert result.action in tuple(Action)
    for f in result.findings:
        assert 0 <= f.start <= f.end <= len(text), (f, len(text))
        if f.category != INJECTION:
            assert f.end > f.start
    assert isinstance(result.redacted_text, str)


@SETTINGS
@given(text=st.one_of(st.text(any_chars, max_size=300), noise, st.text(odd_chars, max_size=300)))
def test_any_text_gives_a_result_with_offsets_in_bounds(guard: Guard, text: str) -> None:
    _check_bounds(text, guard.check(text))


@SETTINGS
@given(text=st.text(st.characters(), max_size=80), cut=st.integers(0, 80))
def test_lone_surrogates_are_an_input_error_and_nothing_else(guard: Guard, text: str, cut: int) -> None:
    cut = min(cut, len(text))
    bad = text[:cut] + "\udc80" + text[cut:]
    with pytest.raises(InputError, match="surrogate"):
        guard.check(bad)
    out = guard.check_many([bad, "fine"], errors="return")
    assert isinstance(out[0], InputError) and out[1].action is Action.ALLOW


@SETTINGS
@given(
    before=noise,
    between=noise,
    after=noise,
    email=st.sampled_from(EMAILS),
    card=st.sampled_from(CARDS),
)
def test_planted_emails_and_cards_are_always_redacted(
    guard: Guard, before: str, between: str, after: str, email: str, card: str
) -> None:
    text = f"{before} ; {email} ; {between} ; {card} ; {after}"
    result = guard.check(text)
    _check_bounds(text, result)
    assert email not in result.redacted_text
    assert card not in result.redacted_text
    assert result.action is not Action.ALLOW


@pytest.mark.parametrize("tail", [" 0", " 12/28", " 7 items"])
def test_card_followed_by_a_number_is_redacted(guard: Guard, tail: str) -> None:
    text = f"card 4111 1111 1111 1111{tail}"
    assert "4111 1111 1111 1111" not in guard.check(text).redacted_text
