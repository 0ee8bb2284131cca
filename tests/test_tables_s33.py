"""Table headers and lists name only their own column (s33 qa_tables M1, M2, M3, M5, L2)."""

from __future__ import annotations

import gc

import pytest
from bastion.detectors import recognizers
from bastion.detectors.pii_regex import RegexPIIDetector

DET = RegexPIIDetector()
# checksum-valid too, in a column no header names
OTHER_SINS = ("600489249", "173649054", "390186047", "258033521", "498285543", "501933501")
SINS = ("130692544", "514958438", "297739096", "304414188", "738113760", "283960805")


def _hits(text: str) -> list[tuple[str, str]]:
    return [(f.label, text[f.start : f.end]) for f in DET.detect([text])[0] if f.score >= 0.5]


def _table(header: str, values: tuple[str, ...], lead: str = "x") -> str:
    return header + "\n" + "".join(f"{lead}{i},{v}\n" for i, v in enumerate(values))


@pytest.mark.parametrize(
    ("header", "values"),
    [
        ("cell,dl_kbps", ("436011", "694871", "938350", "D1234567")),
        ("cell,dl_bytes", ("436011", "694871", "938350", "D1234567")),
        ("log,RecordNumber", ("1234560", "1234567", "7654321", "2345678")),
        ("log,record_number", ("1234560", "1234567", "7654321", "2345678")),
        ("log,health_record_count", ("1234560", "1234567", "7654321", "2345678")),
        ("name,passport_expiry", ("123456789", "234567891", "C01X00T47", "E12345678")),
        ("name,passport_photo", ("123456789", "234567891", "C01X00T47", "E12345678")),
        ("name,acct_balance", ("12345678", "23456789", "000123456789", "98765432101")),
        ("name,acct_id", ("12345678", "23456789", "000123456789", "98765432101")),
        ("name,Kontonummer_alt", ("12345678", "23456789", "000123456789", "98765432101")),
        ("ap,ssid_clients", ("123456789", "234567891", "345678912", "456789123")),
        ("ap,ss_number_of_users", ("123456789", "234567891", "345678912", "456789123")),
        ("host,uid", ("234567890124", "611468009023", "283128567011", "707827026134")),
        ("host,user_uid", ("234567890124", "611468009023", "283128567011", "707827026134")),
        ("cell,sinr_db", SINS),
        ("host,nas_events", SINS),
        ("t,since_epoch", SINS),
        ("ward,patient_count", ("9434765919", "1064010024", "1572857463", "3888228158")),
        ("hop,transit_ms", ("011000015", "021000021", "011000015", "021000021")),
        ("hop,transit", ("011000015", "021000021", "011000015", "021000021")),
        ("rule,routing_rule", ("011000015", "021000021", "011000015", "021000021")),
    ],
)
def test_a_header_that_only_starts_with_a_context_word_names_nothing(header, values):
    text = _table(header, values * 3)
    # the rows past the prose window of the header line, and those in it alike
    # (a 9-digit value may still read as a phone number, as it did before headers were read)
    assert not [h for h in _hits(text) if h[1] in values and h[0] != "PHONE_NUMBER"], _hits(text)


@pytest.mark.parametrize(
    ("header", "label", "value"),
    [
        ("name,sin", "CA_SIN", SINS[0]),
        ("name,customer_sin", "CA_SIN", SINS[0]),
        ("name,SIN number", "CA_SIN", SINS[0]),
        ("name,sin_2024", "CA_SIN", SINS[0]),
        ("name,NAS", "CA_SIN", SINS[0]),
        ("name,N° d'assurance sociale", "CA_SIN", SINS[0]),
        ("name,Passport No", "PASSPORT", "C01X00T47"),
        ("name,passportNumber", "PASSPORT", "C01X00T47"),
        ("name,passport", "PASSPORT", "C01X00T47"),
        ("name,account_number", "BANK_ACCOUNT", "000123456789"),
        ("name,acct_no", "BANK_ACCOUNT", "000123456789"),
        ("name,Driver's License", "DRIVER_LICENSE", "D1234567"),
        ("name,dl_number", "DRIVER_LICENSE", "D1234567"),
        ("name,MRN", "MEDICAL_RECORD_NUMBER", "1234567"),
        ("name,medical_record_number", "MEDICAL_RECORD_NUMBER", "1234567"),
        ("name,ABA/Routing", "US_ROUTING", "021000021"),
    ],
)
def test_a_header_that_names_the_identifier_still_names_every_row(header, label, value):
    text = _table(header, (value,) * 8)
    last = text.rindex(value)
    assert any(f.label == label and f.start == last for f in DET.detect([text])[0] if f.score >= 0.5), _hits(
        text
    )


@pytest.mark.parametrize(
    ("text", "col"),
    [
        (
            "name,sin,employee_id\n"
            + "".join(f"P{i},{a},{b}\n" for i, (a, b) in enumerate(zip(SINS, OTHER_SINS, strict=True))),
            1,
        ),
        (
            "account_number,opening_cents,closing_cents\n12345678,10450000,10990000\n23456789,20000000,21000000\n",
            0,
        ),
    ],
)
def test_a_column_does_not_inherit_the_label_of_the_column_beside_it(text, col):
    _, *rows = text.splitlines()
    named = {r.split(",")[col] for r in rows}
    others = {c for r in rows for c in r.split(",")[col + 1 :]}
    hits = _hits(text)
    assert not [h for h in hits if h[1] in others], hits
    assert {h[1] for h in hits} >= named, hits


def test_a_new_header_row_ends_the_first_tables_scope():
    text = "name,sin\n" + "".join(f"P{i},{v}\n" for i, v in enumerate(SINS[:3]))
    text += "product,stock\n" + "".join(f"Item{i},{v}\n" for i, v in enumerate(SINS[3:] * 3))
    hits = _hits(text)
    assert {h[1] for h in hits if h[0] == "CA_SIN"} == set(SINS[:3]), hits


@pytest.mark.parametrize(
    "text",
    [
        "Tel: 0033.6.12.34.56.78",
        "Mon numéro: 0033.6.12.34.56.78",
        "Tel: 0032.2.555.12.12",
        "Tel: 0033.1.23.45.67.89",
    ],
)
def test_dotted_international_phones_are_no_versions(text):
    assert _hits(text) == [("PHONE_NUMBER", text.split(": ")[1])]


@pytest.mark.parametrize("text", ["Chrome 124.0.6367.91", "version 1.2.3.4", "upgraded to 10.0.19045.3803"])
def test_versions_stay_no_phones(text):
    assert not [h for h in _hits(text) if h[0] == "PHONE_NUMBER"]


def test_no_text_is_kept_after_the_call():
    text = "name,sin\n" + "".join(f"P{i},{v}\n" for i, v in enumerate(SINS))
    assert _hits(text)
    gc.collect()
    assert not [o for o in gc.get_objects() if isinstance(o, recognizers._Rows)]
    assert not hasattr(recognizers, "_rows")
