"""Normalisation table and offset round-trips."""

from __future__ import annotations

import pytest
from bastion.normalize import normalize

# (input, expected normalised text)
CASES = [
    pytest.param("plain ascii", "plain ascii", id="ascii"),
    pytest.param("", "", id="empty"),
    pytest.param("ｊａｎｅ＠ｅｘａｍｐｌｅ．ｃｏｍ", "jane@example.com", id="fullwidth-letters"),
    pytest.param("４１１１　１１１１", "4111 1111", id="fullwidth-digits-ideographic-space"),
    pytest.param("a\u200bb\u200cc\u200dd\u2060e\ufeff", "abcde", id="zero-width"),
    pytest.param("soft\u00adhyphen", "softhyphen", id="soft-hyphen"),
    pytest.param("\u202eevil\u202c \u2066x\u2069", "evil x", id="bidi"),
    # tag characters read as the ASCII they shadow ("ASCII smuggling", s33 qa_injpre H1), a
    # hidden run as words of its own; the tags of an emoji flag stay invisible
    pytest.param("hi\U000e0069\U000e0067\U000e006e", "hi ign", id="tag-chars"),
    pytest.param(
        "go \U0001f3f4\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f!",
        "go \U0001f3f4!",
        id="tag-flag",
    ),
    pytest.param(
        "I\u0332g\u0332n\u0332o\u0332r\u0332e\u0332 1\ufe0f\u20e3", "Ignore 1", id="decorating-marks"
    ),
    pytest.param("\u0440\u0430\u0443\u0440\u0430l", "paypal", id="cyrillic-homoglyphs"),
    pytest.param("\u0391\u0392\u0395 \u03bf\u03c1", "ABE op", id="greek-homoglyphs"),
    pytest.param("cafe\u0301", "caf\u00e9", id="combining-composes"),
    pytest.param("\ufb01ne \ufb02ow", "fine flow", id="ligatures-expand"),
    pytest.param("x\u00b2 \u2460", "x2 1", id="superscript-circled"),
    pytest.param("\u2167", "VIII", id="roman-numeral-expands"),
    pytest.param("\U0001f469\u200d\U0001f4bb", "\U0001f469\U0001f4bb", id="emoji-zwj"),
    pytest.param("\u4e2d\u6587 \u65e5\u672c", "\u4e2d\u6587 \u65e5\u672c", id="cjk-unchanged"),
    pytest.param("\ufe0fheart\u2764\ufe0f", "heart\u2764", id="variation-selectors"),
    pytest.param("\u200b\u200b", "", id="only-invisible"),
    # s32: between a digit and a letter it stood for a space; inside a number it is deleted
    pytest.param(
        "1111\u200bthanks 4111-1111\u200bok", "1111 thanks 4111-1111 ok", id="invisible-digit-group-letter"
    ),
    pytest.param(
        "card\u200b4111 1111 1111 1111 AKIAVOMPZOM7\u200bWBBR pass\u200b1234",
        "card 4111 1111 1111 1111 AKIAVOMPZOM7WBBR pass1234",
        id="invisible-word-number-vs-mixed-token",
    ),
    pytest.param(
        "00\u200bthanks 192.168.1.23\u200bdown", "00 thanks 192.168.1.23 down", id="invisible-after-groups"
    ),
    pytest.param("41\u200b11 ig\u200bnore", "4111 ignore", id="invisible-inside-a-token"),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_normalised_text(text, expected):
    assert normalize(text).text == expected


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_every_normalised_char_maps_to_original_that_produces_it(text, expected):
    n = normalize(text)
    if n.identity:
        assert n.to_original(0, len(n.text)) == (0, len(text))
        return
    assert len(n.starts) == len(n.ends) == len(n.text)
    for i, ch in enumerate(n.text):
        s, e = n.to_original(i, i + 1)
        assert 0 <= s < e <= len(text)
        # (an invisible character after a group of digits and before a letter reads as a space
        # only in that context)
        assert ch in normalize(text[s:e]).text or (
            ch == " " and " " in normalize(text[max(0, s - 8) : e + 24]).text
        )


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_offsets_are_monotonic(text, expected):
    n = normalize(text)
    if n.identity:
        return
    assert list(n.starts) == sorted(n.starts)
    assert list(n.ends) == sorted(n.ends)


# (input, normalised span, expected original span)
SPANS = [
    pytest.param("ｊａｎｅ@x", (0, 4), (0, 4), id="fullwidth-same-length"),
    pytest.param("a\u200bb", (0, 2), (0, 3), id="zero-width-inside-span"),
    pytest.param("a\u200bb", (1, 2), (2, 3), id="after-zero-width"),
    pytest.param("\u200b\u200bab", (0, 1), (2, 3), id="leading-invisible-skipped"),
    pytest.param("ab\u200b\u200b", (0, 2), (0, 2), id="trailing-invisible-excluded"),
    pytest.param("\ufb01x", (0, 1), (0, 1), id="half-ligature-widens-to-char"),
    pytest.param("\ufb01x", (1, 2), (0, 1), id="second-half-of-ligature"),
    pytest.param("\ufb01x", (2, 3), (1, 2), id="after-ligature"),
    pytest.param("cafe\u0301 x", (3, 4), (3, 5), id="composed-char-covers-mark"),
    pytest.param("cafe\u0301 x", (5, 6), (6, 7), id="after-combining"),
    pytest.param("\u00e9a", (0, 0), (0, 0), id="empty-span"),
    pytest.param("\u00e9a", (2, 2), (2, 2), id="empty-span-at-end"),
    pytest.param("\u00e9a", (-5, 99), (0, 2), id="clamped"),
    pytest.param("\u200b", (0, 1), (0, 0), id="all-invisible"),
]


@pytest.mark.parametrize(("text", "span", "expected"), SPANS)
def test_to_original(text, span, expected):
    assert normalize(text).to_original(*span) == expected


def test_ascii_fast_path_is_identity():
    text = "mail jane@example.com"
    n = normalize(text)
    assert n.identity and n.text is text
    assert n.to_original(5, 21) == (5, 21)


def test_homoglyph_folding_can_be_disabled():
    assert normalize("\u0440\u0430y", fold_homoglyphs=False).text == "\u0440\u0430y"
    assert normalize("\u0440\u0430y").text == "pay"


def test_non_latin_words_keep_their_length():
    text = "\u041f\u0440\u0438\u0432\u0435\u0442 \u03ba\u03cc\u03c3\u03bc\u03b5"
    assert len(normalize(text).text) == len(text)


def test_json_escaped_letters_are_read_as_letters():
    # s31 qa_proxy H2: a tool result dumped with ensure_ascii reached the upstream as
    # "<PERSON_1>\\u00e9 Garc\\u00eda": the detectors saw half a name
    import json

    from bastion import Guard
    from helpers_guard import FakePII

    text = json.dumps({"customer": "José García", "quote": '"hi"', "emoji": "\U0001f600"})
    g = Guard([FakePII(name="names", patterns={"PERSON": "José García"})])
    r = g.check(text)
    assert json.loads(r.redacted_text)["customer"] == "[REDACTED_PERSON]"
    assert [text[f.start : f.end] for f in r.pii] == ["Jos\\u00e9 Garc\\u00eda"]
    assert (
        normalize("a \\u0022 b \\ud83d\\ude00").text == "a \\u0022 b \\ud83d\\ude00"
    )  # not letters: as written
