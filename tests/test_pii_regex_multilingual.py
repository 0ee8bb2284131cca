"""Identifiers as they are written in other languages (QA round s31): each FOUND row was
missed or cut short by the rules before, each NOT_FOUND row must stay unread."""

from __future__ import annotations

import pytest
from bastion import Guard
from bastion.detectors.pii_regex import RegexPIIDetector
from bastion.normalize import normalize


@pytest.fixture(scope="module")
def guard() -> Guard:
    return Guard([RegexPIIDetector()])


FOUND = [
    # a phone glued to an abbreviation's dot
    ("Tel.0171 1234567", "PHONE_NUMBER", "0171 1234567"),
    ("Mob.0171-1234567", "PHONE_NUMBER", "0171-1234567"),
    ("Tél.06 12 34 56 78", "PHONE_NUMBER", "06 12 34 56 78"),
    # national numbers of PL / RU next to their words
    ("Mój numer to 512345678", "PHONE_NUMBER", "512345678"),
    ("zadzwoń 22 123 45 67", "PHONE_NUMBER", "22 123 45 67"),
    ("Telefon 8 800 555-35-35", "PHONE_NUMBER", "8 800 555-35-35"),
    ("Телефон: 8 (912) 345-67-89", "PHONE_NUMBER", "8 (912) 345-67-89"),
    # digits of other scripts read as 0-9, offsets in the text as written
    ("मेरा फोन नंबर ९८७६५ ४३२१० है।", "PHONE_NUMBER", "९८७६५ ४३२१०"),
    ("رقم الجوال ٠٥٠١٢٣٤٥٦٧ والإيميل", "PHONE_NUMBER", "٠٥٠١٢٣٤٥٦٧"),  # a Saudi mobile, with its word
    # a phone followed by another number
    ("call 415-555-0132 123", "PHONE_NUMBER", "415-555-0132"),
    ("call +1 (415) 555-0132  123", "PHONE_NUMBER", "+1 (415) 555-0132"),
    # the Chinese resident id in its printed groups
    ("身份证号码：110105 19491231 002X", "CN_RIC", "110105 19491231 002X"),
    ("身份证：110105-19491231-002X", "CN_RIC", "110105-19491231-002X"),
    # a checksum-valid id named after it
    ("44051401359 to mój PESEL", "PL_PESEL", "44051401359"),
    ("111222333 (BSN)", "NL_BSN", "111222333"),
    # dates of birth in pl / ru / pt / zh / ja
    ("Data urodzenia: 12 marca 1985", "DATE_OF_BIRTH", "12 marca 1985"),
    ("Дата рождения: 12 марта 1985", "DATE_OF_BIRTH", "12 марта 1985"),
    ("Data de nascimento: 12 de março de 1985", "DATE_OF_BIRTH", "12 de março de 1985"),
    ("生年月日：1985年3月12日", "DATE_OF_BIRTH", "1985年3月12日"),
    ("出生日期：1985-03-12", "DATE_OF_BIRTH", "1985-03-12"),
]

NOT_FOUND = [
    ("version 1.2.3456789", "PHONE_NUMBER"),  # after a digit's dot: a version
    ("pi is 3.14159265", "PHONE_NUMBER"),
    ("SIN 130 692 545", "PHONE_NUMBER"),  # a PL plan fits, no phone word: not read
    ("order 123456789", "PHONE_NUMBER"),
    ("4155 5501 3212 34", "PHONE_NUMBER"),  # plain groups are not cut down to a phone
    ("44051401358 to mój PESEL", "PL_PESEL"),  # checksum-invalid
    ("身份证号码：110105 19491231 0021", "CN_RIC"),
    ("ref 44051401359 ok", "PL_PESEL"),  # no word before or after
    # the word after belongs to the next clause or field (s31 verify R5)
    ("Order 111222333 shipped; BSN not needed", "NL_BSN"),
    ("111222333 BSN not needed", "NL_BSN"),
    ("Kundennummer: 39170342364 Steuer-ID: 12345", "DE_TAX_ID"),
]


@pytest.mark.parametrize(("text", "label", "value"), FOUND)
def test_written_forms_are_found(guard, text, label, value):
    hits = [(f.label, text[f.start : f.end]) for f in guard.check(text).pii]
    assert (label, value) in hits, hits


@pytest.mark.parametrize(("text", "label"), NOT_FOUND)
def test_look_alikes_are_not_found(guard, text, label):
    assert label not in [f.label for f in guard.check(text).pii]


def test_other_scripts_digits_map_one_to_one():
    n = normalize("رقم ٠٥٠١٢٣٤٥٦٧ ok")
    assert n.text == "رقم 0501234567 ok" and n.to_original(4, 14) == (4, 14)


@pytest.mark.parametrize(
    ("text", "span", "kept"),
    [
        ("電話：03-1234-5678", (2, 15), "03-1234-5678"),  # a full-width colon before the value
        ("Mój numer: 512 345 678", (9, 22), "512 345 678"),
        ("służbowy, +48 22 123 45 67", (8, 26), "+48 22 123 45 67"),
        # a word the model ran on into after the digits (s31 verify, multilingual L1)
        ("512 345 678, służbowy", (0, 21), "512 345 678"),
        ("five five five one two", (0, 22), "five five five one two"),  # spelt out: kept
    ],
)
def test_a_model_span_does_not_keep_the_separator_before_it(text, span, kept):
    from bastion.detectors.spans import WordIndex, trim

    s, e = trim(WordIndex.of(text), "PHONE_NUMBER", *span)
    assert text[s:e] == kept
