"""Numbers read out loud, as speech-to-text writes them: call and meeting transcripts say
"my number is nine eight four one ..." where a form would have digits.

A run of English digit words ("zero"/"oh" to "nine", "double"/"triple" before a digit) is
turned into its digits and reported when a phone word stands just before it and
``phonenumbers`` accepts the digits as a valid number of one of the default regions.

>>> [(f.label, f.start, f.end) for f in SPOKEN_PHONE.scan("my phone is nine eight four one two zero three four five six")]
[('PHONE_NUMBER', 12, 60)]
>>> SPOKEN_PHONE.scan("one two three four five six seven"), spoken_digits("double five oh one")
([], '5501')
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

import phonenumbers

from bastion.detectors.recognizers import Recognizer, Span
from bastion.detectors.rules.phone import CONTEXT, DEFAULT_MAX_PHONE_CALLS, DEFAULT_REGIONS, PHONE_LABEL
from bastion.types import Finding

_DIGIT_WORDS = {
    "zero": "0", "oh": "0", "one": "1", "two": "2", "three": "3", "four": "4",
    "five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9",
}  # fmt: skip
_WORD = "(?:" + "|".join(_DIGIT_WORDS) + ")"
_ONE = rf"(?:(?:double|triple) )?{_WORD}"
# Words joined by one or two separators; each repetition starts with a fixed word, so the
# match is linear. Seven to twenty words: a phone number is 7-15 digits ("double" adds one).
_SPOKEN_RUN = re.compile(rf"(?i)(?<![\w\-]){_ONE}(?:[ ,\-]{{1,2}}{_ONE}){{6,19}}(?![\w\-])")
_TOKEN = re.compile(rf"(?i)(double |triple )?({_WORD})")


def spoken_digits(value: str) -> str:
    """The digits a run of digit words spells ("double five" is "55")."""
    out = []
    for m in _TOKEN.finditer(value):
        times = {"double ": 2, "triple ": 3}.get((m.group(1) or "").lower(), 1)
        out.append(_DIGIT_WORDS[m.group(2).lower()] * times)
    return "".join(out)


def _valid_phone(digits: str) -> bool:
    if not 7 <= len(digits) <= 15:
        return False
    for region in DEFAULT_REGIONS:
        try:
            if phonenumbers.is_valid_number(phonenumbers.parse(digits, region)):
                return True
        except phonenumbers.NumberParseException:
            continue
    return False


def _spoken_phones(text: str, _taken: Sequence[Finding]) -> Iterator[Span]:
    # each candidate costs up to one parse per region: a page of "one two three ..." is
    # capped like the digit phone matcher
    for i, m in enumerate(_SPOKEN_RUN.finditer(text)):
        if i >= DEFAULT_MAX_PHONE_CALLS:
            return
        if _valid_phone(spoken_digits(m.group())):
            yield m.span()


SPOKEN_PHONE = Recognizer(
    "spoken_phone", PHONE_LABEL, None, 0.75, CONTEXT,
    find=_spoken_phones, validator_name="phonenumbers", validated=True, context_required=True,
)  # fmt: skip
