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
        ("GB82-WEST-1234-5698-7654-32", True),  # dashes as online banking prints them (s31)
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


# --- identifier validators (issue 13 item 4) ---------------------------------------------------

from bastion.detectors import validators as V  # noqa: E402


@pytest.mark.parametrize(
    ("check", "valid", "invalid"),
    [
        (V.nino_ok, "AB 12 34 56 C", "GB 12 34 56 C"),
        (V.nino_ok, "JG103759A", "JG103759E"),
        (V.nhs_ok, "943 476 5919", "943 476 5918"),
        (V.de_tax_id_ok, "36 574 261 809", "36 574 261 808"),
        (V.fr_nir_ok, "2 95 10 99 126 111 93", "2 95 10 99 126 111 94"),
        (V.es_nif_ok, "12345678Z", "12345678A"),
        (V.es_nif_ok, "X1234567L", "X1234567A"),
        (V.it_fiscal_code_ok, "RCCMNL83S18D969H", "RCCMNL83S18D969A"),
        (V.nl_bsn_ok, "111222333", "111222334"),
        (V.verhoeff_ok, "2363", "2364"),
        (V.aadhaar_ok, "2345 6789 0124", "2345 6789 0123"),
        (V.ca_sin_ok, "130 692 544", "130 692 545"),
        (V.au_tfn_ok, "123 456 782", "123 456 783"),
        (V.aba_ok, "011000015", "011000016"),
        (V.aba_ok, "021000021", "991000010"),  # 99: no Federal Reserve district
        (V.bic_ok, "DEUTDEFF500", "DEUTXXFF500"),
        (V.mod97_ok, "370400440532013000131489", "370400440532013000131488"),
        (V.base58check_ok, "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3"),
        (
            V.bech32_ok,
            "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",
            "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5",
        ),
        (
            V.bech32_ok,
            "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4",
            "bc1qw508d6qejxtdg4y5r3zarvary0c5xW7kv8f3t4",
        ),
        (V.btc_address_ok, "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy", "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLz"),
        (
            V.eth_address_ok,
            "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
            "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD",
        ),
        (V.eth_address_ok, "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359", "0x" + "0" * 40),
    ],
)
def test_identifier_validators(check, valid: str, invalid: str) -> None:
    assert check(valid) is True
    assert check(invalid) is False


@pytest.mark.parametrize("junk", ["", " ", "\x00", "é" * 40, "0x", "bc1", "1" * 200, "ABCD", "-" * 12])
@pytest.mark.parametrize("name", sorted(V.VALIDATORS))
def test_named_validators_never_raise(name: str, junk: str) -> None:
    assert V.VALIDATORS[name](junk) in (True, False)


def test_keccak_matches_the_known_vectors() -> None:
    assert V.keccak256(b"").hex() == "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
    assert V.keccak256(b"abc").hex() == "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45"
    # more than one 136-byte block
    assert V.keccak256(b"a" * 200).hex() != V.keccak256(b"a" * 199).hex()


@pytest.mark.parametrize(
    ("value", "expected"),
    [("EMP-79927398713", True), ("EMP-79927398710", False), ("EMP-", False)],
)
def test_named_numeric_validators_read_the_digits(value: str, expected: bool) -> None:
    assert V.VALIDATORS["luhn"](value) is expected
