"""Structured identifiers (s33 qa_ids): a number after an abbreviation dot ("Card No.4111...",
H1), the rows of a table and the items of a list named once (H2), the CPF written
"ddddddddd-dd" (H3), the dashed TFN (M1), Polish and Russian account numbers (M2), versions and
reference numbers that are not phones (M3, M4), Dutch passport numbers (M5), and the cheap
lows: English words next to "SWIFT", digests and IMEIs, the dotted BSN, part numbers of the
NINO's shape, an IBAN with a space after its country code (L1-L5).

Every value found is checked whole, under its label, at its offsets; every look-alike (one
digit changed so the checksum fails, or a shape that is not the identifier) is not found.
"""

from __future__ import annotations

import pytest
from bastion.detectors.pii_regex import RegexPIIDetector, rule_view
from bastion.detectors.validators import (
    aadhaar_ok,
    au_tfn_ok,
    br_cpf_ok,
    ca_sin_ok,
    card_ok,
    de_tax_id_ok,
    iban_ok,
    nhs_ok,
    nl_bsn_ok,
    pl_pesel_ok,
    ssn_ok,
)

DET = RegexPIIDetector()
CUT = 0.5  # the default pii_min_score: weaker findings are dropped by the Guard

PESELS = ("44051401359", "02070803628", "90090515836")
BSNS = ("111222333", "123456782", "232262536", "562820814")
NRB = "61109010140000071219812874"


def _hits(text: str) -> list[tuple[str, int, int]]:
    return [(f.label, f.start, f.end) for f in DET.detect([text])[0] if f.score >= CUT]


def _assert_found(text: str, label: str, value: str, start: int | None = None) -> None:
    start = text.index(value) if start is None else start
    hits = _hits(text)
    assert (label, start, start + len(value)) in hits, (text, hits)


def _assert_not_found(text: str, label: str, value: str) -> None:
    s = text.index(value)
    hits = _hits(text)
    assert not [h for h in hits if h[0] == label and h[1] < s + len(value) and s < h[2]], (text, hits)


def _flip(value: str) -> str:
    """``value`` with its last digit changed."""
    i = max(i for i, c in enumerate(value) if c.isdigit())
    return value[:i] + str((int(value[i]) + 1) % 10) + value[i + 1 :]


def test_the_values_are_what_the_tests_say():
    assert all(pl_pesel_ok(v) and not pl_pesel_ok(_flip(v)) for v in PESELS)
    assert all(nl_bsn_ok(v) and not nl_bsn_ok(_flip(v)) for v in BSNS)
    assert iban_ok("PL" + NRB) and not iban_ok("PL" + _flip(NRB))
    assert card_ok("4111111111111111") and not card_ok("4111111111111112")
    assert aadhaar_ok("2345 6789 0124") and de_tax_id_ok("36574261809") and nhs_ok("9434765919")
    assert ca_sin_ok("130 692 544") and ssn_ok("219-09-9998")
    assert au_tfn_ok("123-456-782") and not au_tfn_ok("123-456-783")
    assert br_cpf_ok("111444777-35") and not br_cpf_ok("111444777-36")


# --- H1: a number glued to an abbreviation's dot ------------------------------------------

H1_FOUND = [
    ("Card No.4111111111111111 exp 12/27", "CREDIT_CARD", "4111111111111111"),
    ("Karten-Nr.4111111111111111", "CREDIT_CARD", "4111111111111111"),
    ("Card No.4111.1111.1111.1111", "CREDIT_CARD", "4111.1111.1111.1111"),
    ("Aadhaar No.2345 6789 0124", "IN_AADHAAR", "2345 6789 0124"),
    ("PESEL nr.44051401359", "PL_PESEL", "44051401359"),
    ("Steuer-ID Nr.36574261809", "DE_TAX_ID", "36574261809"),
    ("BSN nr.111222333", "NL_BSN", "111222333"),
    ("SIN no.130 692 544", "CA_SIN", "130 692 544"),
    ("NHS No.9434765919", "UK_NHS", "9434765919"),
    ("Social security no.219-09-9998", "US_SSN", "219-09-9998"),
    ("SSN No.078-05-1121", "US_SSN", "078-05-1121"),
    ("NIR no.2 95 10 99 126 111 93", "FR_NIR", "2 95 10 99 126 111 93"),
    ("DNI nr.12345678z", "ES_NIF", "12345678z"),
    ("身份证 No.11010519491231002X", "CN_RIC", "11010519491231002X"),
    ("TFN no.123 456 782", "AU_TFN", "123 456 782"),
    ("CPF nr.111.444.777-35", "BR_CPF", "111.444.777-35"),
    ("routing no.011000015", "US_ROUTING", "011000015"),
]


@pytest.mark.parametrize(("text", "label", "value"), H1_FOUND)
def test_a_number_after_an_abbreviation_dot_is_found(text, label, value):
    _assert_found(text, label, value)


@pytest.mark.parametrize(
    ("text", "label", "value"),
    [
        # a dot after a digit, a space or the start continues a decimal or a version
        ("card 0.4111111111111111", "CREDIT_CARD", "4111111111111111"),
        ("card v2.4111111111111111", "CREDIT_CARD", "4111111111111111"),
        ("card .4111111111111111", "CREDIT_CARD", "4111111111111111"),
        (".4111111111111111", "CREDIT_CARD", "4111111111111111"),
        ("PESEL 3.44051401359", "PL_PESEL", "44051401359"),
        ("BSN 1.111222333", "NL_BSN", "111222333"),
        ("SSN 5.219-09-9998", "US_SSN", "219-09-9998"),
        ("Aadhaar 1.2345 6789 0124", "IN_AADHAAR", "2345 6789 0124"),
        # the checksum still decides after the dot
        ("Card No.4111111111111112", "CREDIT_CARD", "4111111111111112"),
        ("PESEL nr.44051401358", "PL_PESEL", "44051401358"),
        ("BSN nr.111222334", "NL_BSN", "111222334"),
        # and a context word is still needed
        ("Invoice No.44051401359", "PL_PESEL", "44051401359"),
    ],
)
def test_a_number_after_a_decimal_or_version_dot_is_not_found(text, label, value):
    _assert_not_found(text, label, value)


def test_a_steuer_id_grouped_in_threes_is_found():
    # not filed: the QA generator's third format, which leaked through the Guard
    _assert_found("Steuer-ID: 365 742 618 09", "DE_TAX_ID", "365 742 618 09")
    _assert_not_found("Steuer-ID: 365 742 618 08", "DE_TAX_ID", "365 742 618 08")


# --- H2: tables and lists -----------------------------------------------------------------


def _rows(text: str, values: tuple[str, ...], label: str) -> None:
    pos = 0
    for v in values:
        s = text.index(v, pos)
        _assert_found(text, label, v, s)
        pos = s + len(v)


NAMES = ("Anna Kowalska-Wiśniewska", "Jan Nowak z Gdańska", "Ewa Zielińska z Łodzi", "Piotr Wójcik")


@pytest.mark.parametrize(
    ("header", "row"),
    [
        ("name,pesel,city\n", "{n},{v},Kraków\n"),
        ("id,name,nr_pesel\n", "7,{n},{v}\n"),
        ("name;PESEL;miasto\n", "{n};{v};Kraków\n"),
        ('"name","pesel"\n', '"{n}","{v}"\n'),
        ("name,pesel\n", '"Kowalska, {n}",{v}\n'),  # a quoted comma does not shift the column
        ("name\tpesel\tcity\n", "{n}\t{v}\tKraków\n"),
        ("id\tpesel\tcity\n", "1\t{v}\tKraków\n"),  # a tab after a number is still a cell break
        ("| name | PESEL |\n|---|---|\n", "| {n} | {v} |\n"),
        ("| name | PESEL number |\n| :--- | ---: |\n", "| {n} | {v} |\n"),
        ("Here they are, as asked:\nname,pesel\n", "{n},{v}\n"),  # a sentence before the header
        ("name,pesel,city\r\n", "{n},{v},Kraków\r\n"),
    ],
)
def test_every_row_of_a_named_column_is_found(header, row):
    values = (PESELS * 3)[:8]
    text = header + "".join(row.format(n=n, v=v) for n, v in zip(NAMES * 2, values, strict=True))
    _rows(text, values, "PL_PESEL")


@pytest.mark.parametrize(
    ("label", "column", "values"),
    [
        ("NL_BSN", "bsn", BSNS),
        ("IN_AADHAAR", "aadhaar", ("234567890124", "611468009023", "283128567011", "707827026134")),
        ("CA_SIN", "sin", ("130692544", "514958438", "297739096", "304414188")),
        ("UK_NHS", "nhs_number", ("9434765919", "1064010024", "1572857463", "3888228158")),
        ("DE_TAX_ID", "steuer_id", ("36574261809", "20164798882", "21349076353", "92585347611")),
        ("AU_TFN", "tfn", ("123456782", "820198603", "514885945", "234110561")),
        ("US_ROUTING", "routing_number", ("011000015", "021000021", "011000015", "021000021")),
        ("BR_CPF", "cpf", ("11144477735", "51952602149", "60048768103", "21412018617")),
    ],
)
def test_every_row_of_a_named_column_is_found_for_each_label(label, column, values):
    csv = f"id,name,{column},city\n" + "".join(
        f"{i},{n},{v},Town\n" for i, (n, v) in enumerate(zip(NAMES, values, strict=True))
    )
    _rows(csv, values, label)
    md = f"| name | {column} |\n|---|---|\n" + "".join(
        f"| {n} | {v} |\n" for n, v in zip(NAMES, values, strict=True)
    )
    _rows(md, values, label)


@pytest.mark.parametrize(
    ("header", "label", "values"),
    [
        # context-only labels without a checksum take their column's header too
        ("date_of_birth", "DATE_OF_BIRTH", ("12/05/1990", "1985-03-03", "03.03.1985", "1990-05-12")),
        ("account_number", "BANK_ACCOUNT", ("000123456789", "98765432101", "12345678", "000987654321")),
        ("passport", "PASSPORT", ("C01X00T47", "NXC3K1PL5", "E12345678", "TK1234567")),
    ],
)
def test_a_named_column_of_an_unchecked_label_is_found(header, label, values):
    rows = "".join(f"{n},{v},Town\n" for n, v in zip(NAMES, values, strict=True))
    text = f"name,{header},city\n" + rows
    _rows(text, values, label)
    other = "name,visit,city\n" + rows
    assert not [h for h in _hits(other) if h[0] == label], _hits(other)


def test_a_table_row_with_a_wrong_check_digit_is_not_found():
    bad = _flip(PESELS[2])
    text = "name,pesel,city\n" + "".join(
        f"{n},{v},Kraków\n" for n, v in zip(NAMES, (*PESELS[:2], bad, PESELS[0]), strict=True)
    )
    _assert_not_found(text, "PL_PESEL", bad)
    _assert_found(text, "PL_PESEL", PESELS[0], text.rindex(PESELS[0]))


@pytest.mark.parametrize(
    "text",
    [
        # the header names another column
        "name,order,pesel\n" + "".join(f"{n},{v},x\n" for n, v in zip(NAMES, PESELS * 2, strict=False)),
        "pesel,name,order\n" + "".join(f"x,{n},{v}\n" for n, v in zip(NAMES, PESELS * 2, strict=False)),
        # a row with another number of cells is another table
        "name,pesel\n" + "".join(f"{n},x,{v}\n" for n, v in zip(NAMES, PESELS * 2, strict=False)),
        # a blank line after a table's rows ends the table
        "name,pesel\nAnna,x\n\n" + "".join(f"{n} {n},{v}\n" for n, v in zip(NAMES, PESELS * 2, strict=False)),
        # a table without its header row
        "".join(f"{n},{v},Kraków\n" for n, v in zip(NAMES * 2, PESELS * 2, strict=False)),
    ],
)
def test_a_header_does_not_name_another_column_or_table(text):
    # past the first rows, where the word is still within the context window before them
    hits = [h for h in _hits(text) if h[0] == "PL_PESEL" and h[1] >= 80]
    assert not hits, (text, hits)


@pytest.mark.parametrize("sep", [", ", "; ", ",", " , ", ";"])
def test_every_item_of_a_list_after_one_label_is_found(sep):
    values = PESELS * 3
    text = "PESEL: " + sep.join(values) + "."
    _rows(text, values, "PL_PESEL")


def test_an_invalid_item_does_not_end_a_list_and_is_not_found():
    bad = _flip(PESELS[1])
    values = (*PESELS, bad, *PESELS)
    text = "PESEL: " + ", ".join(values)
    _assert_not_found(text, "PL_PESEL", bad)
    _assert_found(text, "PL_PESEL", PESELS[2], text.rindex(PESELS[2]))


@pytest.mark.parametrize(
    "text",
    [
        # another shape, or words between, end the list
        "PESEL: 44051401359, 02070803628, 90090515836, 44051401359 and order 02070803628",
        "PESEL: 44051401359, 02070803628, 90090515836, 44051401359, 1234, 02070803628",
        "PESEL: 44051401359, 02070803628, 90090515836, 44051401359. Orders: 02070803628",
    ],
)
def test_a_list_ends_at_another_shape_or_a_word(text):
    last = text.rindex("02070803628")
    assert last > 48
    hits = [h for h in _hits(text) if h[0] == "PL_PESEL" and h[1] == last]
    assert not hits, hits


def test_a_tab_between_a_number_and_a_short_group_still_joins_them():
    # the fold for a card pasted from cells (s32) is kept; a 7+ digit cell is not folded
    assert rule_view("4111\t1111\t1111\t1111").text == "4111 1111 1111 1111"
    assert rule_view("1\t44051401359\tx") is None


# --- H3: the CPF without its dots ---------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Meu CPF é 481961590-48.", "481961590-48"),
        ("CPF: 111444777-35", "111444777-35"),
        ("CPF: 111 444 777 35", "111 444 777 35"),
        ('{"cpf": "519526021-49"}', "519526021-49"),
        ("CPF nr.600487681-03", "600487681-03"),
    ],
)
def test_a_cpf_without_dots_is_found(text, value):
    _assert_found(text, "BR_CPF", value)


@pytest.mark.parametrize(
    "text",
    [
        "CPF: 111444777-36",
        "CPF: 111 444 777 36",
        "Meu pedido 481961590-48.",
        "CPF: 111444777-3",
        "CPF: 1111444777-35",
    ],
)
def test_a_cpf_look_alike_is_not_found(text):
    assert not [h for h in _hits(text) if h[0] == "BR_CPF"], _hits(text)


# --- M1: the dashed TFN -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("TFN: 123-456-782", "123-456-782"),
        ('{"tfn": "820-198-603"}', "820-198-603"),
        ("Tax File Number 514-885-945", "514-885-945"),
    ],
)
def test_a_dashed_tfn_is_found(text, value):
    _assert_found(text, "AU_TFN", value)


@pytest.mark.parametrize("text", ["TFN: 123-456-783", "TFN: 123-456 782", "order 123-456-782"])
def test_a_dashed_tfn_look_alike_is_not_found(text):
    assert not [h for h in _hits(text) if h[0] == "AU_TFN"], _hits(text)


# --- M2: Polish and Russian account numbers ------------------------------------------------

NRB_SPACED = "61 1090 1014 0000 0712 1981 2874"


@pytest.mark.parametrize(
    ("text", "value"),
    [
        (f"numer konta {NRB_SPACED}", NRB_SPACED),
        (f"nr rachunku: {NRB}", NRB),
        (f"Proszę o przelew na {NRB_SPACED}", NRB_SPACED),  # a checksum-valid NRB after a weaker word
        (f"rachunek {NRB}", NRB),
        ("номер счёта 40817810099910004312", "40817810099910004312"),
        ("Номер счета: 40817810099910004312", "40817810099910004312"),
        ("р/с 40702810900000012345", "40702810900000012345"),
        ("расчётный счёт 40702 810 9 0000 0012345", "40702 810 9 0000 0012345"),
        ("número da conta 12345678-9", "12345678-9"),
        ("account number 40817810099910004312", "40817810099910004312"),
    ],
)
def test_a_long_account_number_is_found_after_its_words(text, value):
    _assert_found(text, "BANK_ACCOUNT", value)


@pytest.mark.parametrize(
    "text",
    [
        f"przelew na {_flip(NRB_SPACED)}",  # NRB check fails, and "przelew" is no account phrase
        "счёт на оплату 40817810099910004312",  # "счёт" alone is an invoice
        "40817810099910004312",
        "account number 1234567890123456789012345678",  # 28 digits: longer than any account
    ],
)
def test_a_long_account_look_alike_is_not_found(text):
    assert not [h for h in _hits(text) if h[0] == "BANK_ACCOUNT"], _hits(text)


def test_a_valid_nrb_is_reported_as_validated():
    f = next(f for f in DET.detect([f"przelew {NRB}"])[0] if f.label == "BANK_ACCOUNT")
    assert f.validated and dict(f.explanation)["validator"] == "nrb"


# --- M3 and M4: versions and reference numbers are no phones ------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "User-Agent: Mozilla/5.0 Chrome 124.0.6367.91 Safari",
        "Chrome 99.0.3027.264",
        "Windows version 9.0.5554.1699",
        "Windows version 10.0.19045.3803",
        "upgraded to 8.17.119.967 last night",
        "upgraded to 12.17.119.967 last night",
        "Case number 32883-80810 was closed",
        "Reference 71992-71640 attached",
        "Case number 74488-39810 was closed",
        "order 744-896-710",
        "Order #744-896-710 shipped",
        "FedEx tracking 0663 2581 1478",
        "id 08460086-38da-f051-b79e-4444ed6897d8 ok",
        "{42222464-17D8-4AAA-C638-4137DE1F794B}",
        "67721376-39ec-1a3b-4553-445422b9102f",
    ],
)
def test_a_version_or_reference_number_is_no_phone(text):
    assert not [h for h in _hits(text) if h[0] == "PHONE_NUMBER"], _hits(text)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("tel 06.12.34.56.78", "06.12.34.56.78"),
        ("06.12.34.56.78", "06.12.34.56.78"),
        ("call 1.800.555.0199", "1.800.555.0199"),
        ("call 415.555.0132", "415.555.0132"),
        ("tel 01.02.03.04.05", "01.02.03.04.05"),
        ("order 345-899-3560", "345-899-3560"),  # a phone's own grouping still reads
        ("Order 744-896-710, call me at 744-896-710", "744-896-710"),
        ("mobile 98765-43210", "98765-43210"),
        ("98765 43210", "98765 43210"),
        ("call 32883-80810", "32883-80810"),
        ("Case 12, call 0171 1234567", "0171 1234567"),
    ],
)
def test_a_phone_is_still_a_phone(text, value):
    _assert_found(text, "PHONE_NUMBER", value, text.rindex(value))


# --- M5: passports with few digits --------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("paspoortnummer NXC3K1PL5", "NXC3K1PL5"),
        ("Mijn paspoort: SPECI2014", "SPECI2014"),
        ("Reisepass CFGHJKL7M", "CFGHJKL7M"),
        ("passport no. C01X00T47", "C01X00T47"),
    ],
)
def test_a_passport_with_few_digits_is_found_after_its_word(text, value):
    _assert_found(text, "PASSPORT", value)


@pytest.mark.parametrize(
    "text",
    [
        "NXC3K1PL5",  # no passport word
        "NXC3K1PL5 is my paspoort",  # the word after it: not enough for a value without a check
        "passport expires soon ABCDEFGH",  # no digit
        "passport: COVID19 rules",  # a short word with digits
    ],
)
def test_a_passport_look_alike_is_not_found(text):
    assert not [h for h in _hits(text) if h[0] == "PASSPORT"], _hits(text)


# --- lows ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "SWIFT transfer status: ASSIGNED",
        "SWIFT gpi status: ARRIVING",
        "SWIFT payment ADJUSTED by bank",
        "BIC check: ANSWERED",
        "SWIFT MT103 RECEIVER: ADVANCED",
        "SWIFT transfer HOLDINGS",
        "SWIFT BRANCHES",
    ],
)
def test_an_english_word_next_to_swift_is_no_bic(text):
    assert not [h for h in _hits(text) if h[0] == "SWIFT_BIC"], _hits(text)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("SWIFT: DEUTDEFF", "DEUTDEFF"),
        ("BIC BNPAFRPP", "BNPAFRPP"),
        ("swift code DEUTDEFF500", "DEUTDEFF500"),
    ],
)
def test_a_bic_is_still_found(text, value):
    _assert_found(text, "SWIFT_BIC", value)


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("hash 0xa0dd0756a0dd0756a0dd0756a0dd0756a0dd0756", "CRYPTO_ADDRESS"),
        ("sha1: 0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed", "CRYPTO_ADDRESS"),
        # Luhn-valid with a Maestro / Discover prefix: read as cards before
        ("IMEI 667287865202292", "CREDIT_CARD"),
        ("IMEI number: 6672 8786 5202 292", "CREDIT_CARD"),
        ("imei: 566907439150006", "CREDIT_CARD"),
        ("Part no. EG444390B in stock", "UK_NINO"),
        ("Serial number: AB123456C", "UK_NINO"),
    ],
)
def test_digests_imeis_and_part_numbers_are_not_identifiers(text, label):
    assert not [h for h in _hits(text) if h[0] == label], _hits(text)


@pytest.mark.parametrize(
    ("text", "label", "value"),
    [
        # a checksummed address, a card and a NINO are still found with their own words
        (
            "hash 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
            "CRYPTO_ADDRESS",
            "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
        ),
        (
            "send to 0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed",
            "CRYPTO_ADDRESS",
            "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed",
        ),
        ("card 4111111111111111, IMEI unknown", "CREDIT_CARD", "4111111111111111"),
        ("NI number EG444390B", "UK_NINO", "EG444390B"),
        ("BSN: 803.663.596", "NL_BSN", "803.663.596"),
        ("IBAN DE 89 3704 0044 0532 0130 00", "IBAN_CODE", "DE 89 3704 0044 0532 0130 00"),
        ("IBAN GB 82 WEST 1234 5698 7654 32.", "IBAN_CODE", "GB 82 WEST 1234 5698 7654 32"),
    ],
)
def test_the_lows_keep_the_real_values(text, label, value):
    _assert_found(text, label, value)


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("BSN: 803.663.597", "NL_BSN"),
        ("IBAN DE 89 3704 0044 0532 0130 01", "IBAN_CODE"),
        ("is 12 3456 7890 1234 5678 9012 34", "IBAN_CODE"),
    ],
)
def test_the_lows_look_alikes_are_not_found(text, label):
    assert not [h for h in _hits(text) if h[0] == label], _hits(text)
