"""Values written to slip past the rules (QA round s32, qa_evasion): combining marks, Unicode
dashes, Markdown emphasis, numbers glued to scripts written without spaces, escaped
invisible characters, and tokens in look-alike letters in a stream. Every FOUND row failed
on the code before."""

from __future__ import annotations

import base64
import json

import pytest
from bastion import Guard
from bastion.detectors.pii_regex import RegexPIIDetector, rule_view
from bastion.types import Action


def _marked(value: str, mark: str) -> str:
    return "".join(c + mark if c.isalnum() else c for c in value)


KEY = "sk-proj-aB3dE5fG7hJ9kL1mN2pQ4rS6tU8vW0xY2zA4bC6dE8fG"


@pytest.fixture(scope="module")
def guard() -> Guard:
    return Guard([RegexPIIDetector()])


FOUND = [
    # combining marks: strike-through, underline, keycap, one mark on a key's letter
    ("My card is " + _marked("4111 1111 1111 1111", "\u0336"), "CREDIT_CARD"),
    ("My card is " + _marked("4111 1111 1111 1111", "\ufe0f\u20e3"), "CREDIT_CARD"),
    ("SSN " + _marked("536-22-1847", "\u0332"), "US_SSN"),
    ("key A\u0336KIAVOMPZOM7WBBR6QMW", "API_KEY"),
    # Unicode hyphens and the minus sign as group separators
    ("Your card: 4111\u20111111\u20111111\u20111111", "CREDIT_CARD"),
    ("Your SSN: 536\u201122\u20111847", "US_SSN"),
    ("IBAN DE89\u20113704\u20110044\u20110532\u20110130\u201100", "IBAN_CODE"),
    ("Your card: 4111\u22121111\u22121111\u22121111", "CREDIT_CARD"),
    ("Mon numéro : 06\u201312\u201334\u201356\u201378", "PHONE_NUMBER"),
    # Markdown emphasis around the value
    ("Your card is _4111 1111 1111 1111_.", "CREDIT_CARD"),
    ("Email _jane.doe@example.com_ now", "EMAIL_ADDRESS"),
    ("SSN: _536-22-1847_", "US_SSN"),
    (f"Key: _{KEY}_", "API_KEY"),
    # glued to text of scripts written without spaces
    ("我的信用卡号是4111111111111111谢谢", "CREDIT_CARD"),
    ("カード番号は4111 1111 1111 1111です", "CREDIT_CARD"),
    ("社会保障番号536-22-1847です", "US_SSN"),
    ("رقم البطاقة4111111111111111شكرا", "CREDIT_CARD"),
    # escapes of invisible characters, other scripts' digits and dashes
    ("card 4111&#8203;1111&#8203;1111&#8203;1111", "CREDIT_CARD"),
    ('{"card": "4111\\u200b1111\\u200b1111\\u200b1111"}', "CREDIT_CARD"),
    ("card &#x664;&#x661;&#x661;&#x661; &#x661;&#x661;&#x661;&#x661; 1111 1111", "CREDIT_CARD"),
    ("card 4111&#8209;1111&#8209;1111&#8209;1111", "CREDIT_CARD"),
    # tabs and double spaces between the groups (tables, spreadsheet copy-paste)
    ("My card is 4111\t1111\t1111\t1111", "CREDIT_CARD"),
    ('{"card": "4111\\t1111\\t1111\\t1111"}', "CREDIT_CARD"),
    ("card 4111  1111  1111  1111", "CREDIT_CARD"),
    ("My SSN is 536  22  1847", "US_SSN"),
    # an IBAN whose first group is longer than four (mod-97 decides)
    ("IBAN DE8937 0400 4405 3201 3000", "IBAN_CODE"),
]


@pytest.mark.parametrize(("text", "label"), FOUND)
def test_a_value_written_to_slip_past_is_found_and_redacted_whole(guard, text, label):
    r = guard.check(text)
    hits = [f for f in r.pii if f.label == label]
    assert hits, [(f.label, text[f.start : f.end]) for f in r.pii]
    # nothing of the value's digits is left in clear around the placeholder
    if label not in ("API_KEY", "EMAIL_ADDRESS"):
        assert sum(c.isdigit() for c in r.redacted_text) <= sum(c.isdigit() for c in text) - 8, (
            r.redacted_text
        )


def test_a_key_with_an_escaped_invisible_character_is_redacted_whole(guard):
    text = f"key {KEY[:20]}&#8203;{KEY[20:]} ok"
    r = guard.check_output(text)
    assert r.action is Action.BLOCK and r.redacted_text == "key [REDACTED_API_KEY] ok"


NOT_FOUND = [
    "abc4111111111111111",  # glued to a Latin word: an id
    "x\u0301 = 2\u2212 1",  # a mark and a minus in maths
    "snake_case_4111_name",
    "The 2010\u20132015 range, pages 12\u201314",
    "ssn 536-22-1847x",
    "Total:  1234   5678",
    "x\t1\t2",
    "DE8937 0400 4405 3201 3001",
]


@pytest.mark.parametrize("text", NOT_FOUND)
def test_look_alikes_stay_unfound(guard, text):
    assert guard.check(text).pii == ()


def test_the_rule_view_maps_back_over_what_it_dropped():
    v = rule_view("card 4\u03361\u03361\u03361\u0336\u20111111")
    assert v is not None and v.text == "card 4111-1111" and v.to_original(5, 14) == (5, 18)
    assert rule_view("plain ascii") is None


@pytest.mark.parametrize("form", ["fullwidth", "zwsp"])
def test_a_token_in_look_alike_characters_is_held_in_a_stream(guard, form):
    b64 = lambda x: base64.urlsafe_b64encode(x).rstrip(b"=").decode()  # noqa: E731
    head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = b64(json.dumps({"sub": "8821447", "email": "margaret.thornton@example.com"}).encode())
    jwt = f"{head}.{body}.{b64(b'x' * 32)}"
    if form == "fullwidth":
        jwt = "".join(chr(ord(c) + 0xFEE0) if 0x21 <= ord(c) <= 0x7E else c for c in jwt)
    else:
        jwt = "\u200b".join(jwt)
    text = "Sure, the token is " + jwt + " and that is all."
    events = list(guard.stream([text[i : i + 5] for i in range(0, len(text), 5)]))
    released = "".join(e.text for e in events if e.kind == "text")
    assert events[-1].kind == "block" and len(released) <= len("Sure, the token is ") + 2, released
