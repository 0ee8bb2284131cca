"""Table tests for the pure checksum / structure validators."""

from __future__ import annotations

import base64
import json

import pytest
from bastion.detectors.validators import (
    IBAN_LENGTHS,
    card_brand,
    card_ok,
    date_ok,
    digits_only,
    iban_ok,
    jwt_ok,
    luhn_ok,
    shannon_entropy,
    ssn_ok,
)


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("79927398713", True),
        ("4111111111111111", True),
        ("4111 1111 1111 1111", True),
        ("4111-1111-1111-1111", True),
        ("378282246310005", True),
        ("0", True),  # a lone zero sums to 0; card_ok's brand/length check rejects it
        ("79927398710", False),
        ("4111111111111112", False),
        ("4111111111111121", False),  # transposed digits
        ("", False),
        ("   ", False),
        ("4111a11111111111", False),
        ("٤١١١١١١١١١١١١١١١", False),  # Arabic-Indic digits are not ASCII digits
    ],
)
def test_luhn(value: str, ok: bool) -> None:
    assert luhn_ok(value) is ok


@pytest.mark.parametrize(
    ("number", "brand"),
    [
        ("4111111111111111", "visa"),
        ("4222222222222", "visa"),  # 13-digit Visa
        ("5555555555554444", "mastercard"),
        ("2221000000000009", "mastercard"),
        ("2720999999999996", "mastercard"),
        ("378282246310005", "amex"),
        ("341111111111111", "amex"),
        ("6011111111111117", "discover"),
        ("6445644564456445", "discover"),
        ("6500000000000002", "discover"),
        ("3530111333300000", "jcb"),
        ("3589000000000000", "jcb"),
        ("30569309025904", "diners"),
        ("36227206271667", "diners"),
        ("6200000000000005", "unionpay"),
        ("630427373398", "maestro"),
        ("3782822463100050", None),  # Amex prefix with a 16-digit length
        ("411111111111", None),  # Visa prefix, 12 digits
        ("2220000000000000", None),  # just below the Mastercard 2-series
        ("2721000000000000", None),  # just above it
        ("9111111111111111", None),
        ("", None),
    ],
)
def test_card_brand(number: str, brand: str | None) -> None:
    assert card_brand(number) == brand


@pytest.mark.parametrize(
    ("number", "ok"),
    [
        ("4111 1111 1111 1111", True),
        ("5555-5555-5555-4444", True),
        ("4111 1111 1111 1112", False),  # Luhn
        ("5555555555554445", False),
        ("1234567812345670", False),  # Luhn-valid, no scheme starts with 1
        ("0000000000000000", False),
    ],
)
def test_card_ok(number: str, ok: bool) -> None:
    assert card_ok(number) is ok


@pytest.mark.parametrize(
    ("iban", "ok"),
    [
        ("DE89370400440532013000", True),
        ("DE89 3704 0044 0532 0130 00", True),
        ("GB82WEST12345698765432", True),
        ("gb82west12345698765432", True),
        ("FR1420041010050500013M02606", True),
        ("NL91ABNA0417164300", True),
        ("BE68539007547034", True),
        ("NO9386011117947", True),
        ("MT84MALT011000012345MTLCAST001S", True),
        ("CH9300762011623852957", True),
        ("DE89370400440532013001", False),  # checksum
        ("DE8937040044053201300", False),  # one short for DE
        ("DE893704004405320130000", False),  # one long
        ("XX89370400440532013000", False),  # unknown country
        ("GB82-WEST-1234-5698-7654-32", False),  # dashes are not IBAN grouping
        ("DE8937040044053201300Ä", False),
        ("", False),
        ("DE", False),
    ],
)
def test_iban(iban: str, ok: bool) -> None:
    assert iban_ok(iban) is ok


def test_iban_table_covers_sepa() -> None:
    sepa = "AD AT BE BG CH CY CZ DE DK EE ES FI FR GB GI GR HR HU IE IS IT LI LT LU LV MC MT NL NO PL PT RO SE SI SK SM VA"
    assert set(sepa.split()) <= set(IBAN_LENGTHS)
    assert IBAN_LENGTHS["DE"] == 22 and IBAN_LENGTHS["FR"] == 27 and IBAN_LENGTHS["NO"] == 15


@pytest.mark.parametrize(
    ("ssn", "ok"),
    [
        ("078-05-1121", True),
        ("078 05 1121", True),
        ("078.05.1121", True),
        ("078051121", True),
        ("536-22-1234", True),
        ("000-12-3456", False),  # area 000
        ("666-12-3456", False),  # area 666
        ("900-12-3456", False),  # 9xx (ITIN range)
        ("999-12-3456", False),
        ("123-00-4567", False),  # group 00
        ("123-45-0000", False),  # serial 0000
        ("123-45.6789", False),  # mixed delimiters
        ("123 45-6789", False),
        ("111-11-1111", False),  # one digit repeated
        ("123-45-6789", False),  # published sample
        ("078-05-1120", False),  # the Woolworth wallet number
        ("078-051121", False),
        ("07805112", False),
        ("0780511211", False),
        ("abc-de-fghi", False),
    ],
)
def test_ssn(ssn: str, ok: bool) -> None:
    assert ssn_ok(ssn) is ok


@pytest.mark.parametrize(
    ("value", "bits"),
    [("", 0.0), ("aaaa", 0.0), ("ab", 1.0), ("abcd", 2.0), ("aabb", 1.0), ("01234567", 3.0)],
)
def test_shannon_entropy(value: str, bits: float) -> None:
    assert shannon_entropy(value) == pytest.approx(bits)


def _b64(obj: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()


@pytest.mark.parametrize(
    ("token", "ok"),
    [
        (f"{_b64({'alg': 'HS256', 'typ': 'JWT'})}.{_b64({'sub': '1'})}.c2lnbmF0dXJl", True),
        (f"{_b64({'alg': 'none'})}.{_b64({'sub': '1'})}.", True),  # unsigned token, empty signature
        (f"{_b64({'typ': 'JWT'})}.{_b64({'sub': '1'})}.sig", False),  # no alg
        (f"{_b64(['alg'])}.{_b64({'sub': '1'})}.sig", False),  # header not an object
        ("bm90IGpzb24.eyJzdWIiOiIxIn0.sig", False),  # header not JSON
        ("a.b.c", False),
        ("onlyone", False),
        (f"{_b64({'alg': 'HS256'})}..sig", False),  # empty payload
        (f"{_b64({'alg': 'HS256'})}.x.y.z", False),
    ],
)
def test_jwt(token: str, ok: bool) -> None:
    assert jwt_ok(token) is ok


@pytest.mark.parametrize(
    ("ymd", "ok"),
    [
        ((1990, 5, 12), True),
        ((2000, 2, 29), True),
        ((90, 5, 12), True),  # two-digit year
        ((1900, 2, 29), False),
        ((1990, 13, 1), False),
        ((1990, 4, 31), False),
        ((1850, 1, 1), False),
        ((1990, 0, 1), False),
    ],
)
def test_date_ok(ymd: tuple[int, int, int], ok: bool) -> None:
    assert date_ok(*ymd) is ok


def test_digits_only() -> None:
    assert digits_only("+1 (212) 555-0100 x٣") == "12125550100"
