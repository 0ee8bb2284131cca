"""Pure checksum and structure validators used by the regex PII recognizers.

Every function takes the candidate string exactly as it appears in text (separators
included where that matters) and returns a plain value; none of them raises on odd
input, because recognizers call them on arbitrary matched substrings.

>>> luhn_ok("4111 1111 1111 1111"), card_brand("4111111111111111")
(True, 'visa')
>>> iban_ok("DE89 3704 0044 0532 0130 00"), ssn_ok("078-05-1121")
(True, True)
"""

from __future__ import annotations

import base64
import binascii
import datetime as _dt
import json
import math
from collections import Counter

# ISO 13616 registry: country code -> total IBAN length. Every SEPA country plus the
# non-SEPA members of the SWIFT registry that show up in practice.
IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22,
    "BH": 22, "BI": 27, "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24,
    "DE": 22, "DJ": 27, "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24, "FI": 18,
    "FK": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27,
    "GT": 28, "HN": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26,
    "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20,
    "LU": 20, "LV": 21, "LY": 25, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MN": 20,
    "MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18, "NO": 15, "OM": 23, "PK": 24,
    "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33, "SA": 24,
    "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25,
    "SV": 28, "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
    "YE": 30,
}  # fmt: skip

# (brand, prefix ranges as (low, high) inclusive over the first len(low) digits, lengths).
# Order matters: the first brand whose prefix and length both fit wins, so the narrow
# ranges (Discover 6011/644-649/65) come before the broad UnionPay "62" and Maestro ones.
_CARD_BRANDS: tuple[tuple[str, tuple[tuple[str, str], ...], frozenset[int]], ...] = (
    ("amex", (("34", "34"), ("37", "37")), frozenset({15})),
    ("visa", (("4", "4"),), frozenset({13, 16, 19})),
    ("mastercard", (("51", "55"), ("2221", "2720")), frozenset({16})),
    ("discover", (("6011", "6011"), ("644", "649"), ("65", "65")), frozenset(range(16, 20))),
    ("jcb", (("3528", "3589"),), frozenset(range(16, 20))),
    ("jcb", (("1800", "1800"), ("2131", "2131")), frozenset({15})),
    ("diners", (("300", "305"), ("3095", "3095"), ("36", "36"), ("38", "39")), frozenset({14, 16})),
    ("unionpay", (("62", "62"),), frozenset(range(16, 20))),
    ("mir", (("2200", "2204"),), frozenset(range(16, 20))),
    ("maestro", (("50", "50"), ("56", "58"), ("60", "69")), frozenset(range(12, 20))),
)

_SSN_SAMPLES = frozenset({"123456789", "078051120", "219099999"})  # published/advertised, never issued


def digits_only(value: str) -> str:
    """The ASCII digits of ``value`` in order.

    >>> digits_only("4111-1111 1111.1111")
    '4111111111111111'
    """
    return "".join(c for c in value if "0" <= c <= "9")


def luhn_ok(value: str) -> bool:
    """Luhn (mod 10) check over the digits of ``value``; separators are ignored.

    A value with no digits, or with characters other than digits, spaces and dashes,
    fails.

    >>> luhn_ok("79927398713"), luhn_ok("79927398710")
    (True, False)
    """
    total = 0
    count = 0
    for ch in reversed(value):
        if ch in " -":
            continue
        if not ("0" <= ch <= "9"):
            return False
        d = ord(ch) - 48
        if count % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
        count += 1
    return count > 0 and total % 10 == 0


def card_brand(value: str) -> str | None:
    """The card scheme whose IIN prefix and length fit ``value`` (digits only), else None.

    Does not check Luhn; see :func:`card_ok` for the full check.

    >>> card_brand("378282246310005"), card_brand("5555555555554444"), card_brand("1234567890123")
    ('amex', 'mastercard', None)
    """
    digits = digits_only(value)
    n = len(digits)
    for brand, ranges, lengths in _CARD_BRANDS:
        if n not in lengths:
            continue
        for low, high in ranges:
            head = digits[: len(low)]
            if len(head) == len(low) and low <= head <= high:
                return brand
    return None


def card_ok(value: str) -> bool:
    """Known IIN prefix, a length that scheme issues, and a valid Luhn digit.

    >>> card_ok("4111 1111 1111 1111"), card_ok("4111 1111 1111 1112")
    (True, False)
    """
    return card_brand(value) is not None and luhn_ok(value)


_IBAN_LETTERS = str.maketrans({c: str(ord(c) - ord("A") + 10) for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"})


def iban_ok(value: str) -> bool:
    """ISO 13616 check: known country, that country's length, alphanumeric BBAN, mod-97 == 1.

    Single spaces between groups are allowed; case is ignored.

    >>> iban_ok("GB82 WEST 1234 5698 7654 32"), iban_ok("GB82 WEST 1234 5698 7654 33")
    (True, False)
    """
    compact = value.replace(" ", "").upper()
    if len(compact) < 5 or not compact.isascii() or not compact.isalnum():
        return False
    expected = IBAN_LENGTHS.get(compact[:2])
    if expected is None or len(compact) != expected or not compact[2:4].isdigit():
        return False
    rearranged = compact[4:] + compact[:4]
    # int() of the letter-expanded string is exact and far faster than chunked mod in
    # Python; translate() expands the letters in C (the IBAN scan calls this once per
    # candidate, which hostile input makes one per five characters).
    return int(rearranged.translate(_IBAN_LETTERS)) % 97 == 1


def ssn_ok(value: str) -> bool:
    """US Social Security Number structure rules (no checksum exists).

    Nine digits, optionally as 3-2-4 groups with one consistent delimiter (dash, space
    or dot); area not 000, 666 or 900-999; group not 00; serial not 0000; not all one
    digit; not a published sample number.

    >>> ssn_ok("078-05-1121"), ssn_ok("666-12-3456"), ssn_ok("123-45.6789")
    (True, False, False)
    """
    if len(value) == 9:
        digits, delims = value, ""
    elif len(value) == 11:
        digits = value[0:3] + value[4:6] + value[7:11]
        delims = value[3] + value[6]
        if delims[0] != delims[1] or delims[0] not in "- .":
            return False
    else:
        return False
    if not (digits.isascii() and digits.isdigit()):
        return False
    area, group, serial = digits[:3], digits[3:5], digits[5:]
    if area in ("000", "666") or area[0] == "9" or group == "00" or serial == "0000":
        return False
    return len(set(digits)) > 1 and digits not in _SSN_SAMPLES


def shannon_entropy(value: str) -> float:
    """Shannon entropy of the character distribution of ``value``, in bits per character.

    >>> shannon_entropy("aaaa"), shannon_entropy("abcd")
    (0.0, 2.0)
    """
    if not value:
        return 0.0
    n = len(value)
    h = -sum(c / n * math.log2(c / n) for c in Counter(value).values())
    return h + 0.0  # turns -0.0 into 0.0


def jwt_ok(value: str) -> bool:
    """Three base64url segments whose first decodes to a JSON object with an ``alg`` key.

    >>> jwt_ok("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln"), jwt_ok("a.b.c")
    (True, False)
    """
    parts = value.split(".")
    if len(parts) != 3 or not parts[0] or not parts[1]:
        return False
    header = parts[0]
    try:
        raw = base64.urlsafe_b64decode(header + "=" * (-len(header) % 4))
        obj = json.loads(raw)
    except (binascii.Error, ValueError):
        return False
    return isinstance(obj, dict) and "alg" in obj


def date_ok(year: int, month: int, day: int) -> bool:
    """A real calendar date (leap years included) between 1900 and 2100.

    Two-digit years are accepted as-is (0-99) and read as 19xx/20xx by the caller.

    >>> date_ok(2000, 2, 29), date_ok(1900, 2, 29), date_ok(1990, 13, 1)
    (True, False, False)
    """
    if year < 100:
        year += 1900 if year > 30 else 2000
    if not 1900 <= year <= 2100:
        return False
    try:
        _dt.date(year, month, day)
    except ValueError:
        return False
    return True


__all__ = [
    "IBAN_LENGTHS",
    "card_brand",
    "card_ok",
    "date_ok",
    "digits_only",
    "iban_ok",
    "jwt_ok",
    "luhn_ok",
    "shannon_entropy",
    "ssn_ok",
]
