"""Digit cells of a table are separate values; SQL-client and pandas tables and padded rows
keep their header (s33 qa_tables M4, H1, H2)."""

from __future__ import annotations

import pytest
from bastion.detectors.pii_regex import RegexPIIDetector, rule_view

DET = RegexPIIDetector()
SINS = ("501933501", "600489249", "173649054", "390186047", "258033521", "498285543")


def _hits(text: str) -> list[tuple[str, str]]:
    return [(f.label, text[f.start : f.end]) for f in DET.detect([text])[0] if f.score >= 0.5]


@pytest.mark.parametrize(
    "text",
    [
        "batch\tqty\tunits\n41\t19984\t304653\n",
        "4491\tPayment batch 0\t894251\t337991\t887670946",
        "7676\tPayment batch 1\t64145\t512930\t908416070\t210360",
        "0      849245892  656198382 893778392     7949177880\n",  # pandas cells, two 9-digit ids
    ],
)
def test_numeric_cells_are_not_joined_into_cards_or_phones(text):
    assert _hits(text) == []


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("My card is 4111\t1111\t1111\t1111", "CREDIT_CARD"),
        ("card 4111 1111 1111 1111", "CREDIT_CARD"),
        ("card 4111  1111  1111  1111", "CREDIT_CARD"),
        ("amex 3782\t822463\t10005", "CREDIT_CARD"),
        ("IBAN DE89\t3704\t0044\t0532\t0130\t00", "IBAN_CODE"),
        ("call 555\t123\t4567", "PHONE_NUMBER"),
        ("tel 06\t12\t34\t56\t78", "PHONE_NUMBER"),
        ("tel +44\t20\t7946\t0958", "PHONE_NUMBER"),
        ("My SSN is 536  22  1847", "US_SSN"),
    ],
)
def test_the_groups_of_one_number_still_join_across_tabs(text, label):
    assert [h[0] for h in _hits(text)] == [label]


def test_rule_view_keeps_a_tab_between_table_cells():
    assert rule_view("41\t19984\t304653") is None
    assert rule_view("4111\t1111\t1111\t1111").text == "4111 1111 1111 1111"
    assert rule_view("P0  501933501") is None  # a space-aligned table's cells stay apart


def _rows(fmt: str) -> str:
    return "".join(fmt.format(i=i, v=v) for i, v in enumerate(SINS))


@pytest.mark.parametrize(
    "text",
    [
        " name  | sin\n-------+-----------\n" + _rows(" P{i}    | {v}\n") + "(6 rows)\n",
        "+------+-----------+\n| name | sin       |\n+------+-----------+\n"
        + _rows("| P{i}   | {v} |\n")
        + "+------+-----------+\n",
        "   name        sin\n" + _rows("{i}    P{i}  {v}\n"),
        "Name\tSIN\t\t\n" + _rows("P{i}\t{v}\n"),
        "Name\tSIN\n" + _rows("P{i}\t{v}\t\n"),
        "name,sin\n" + _rows("P{i},{v},\n"),
        "name,sin\n" + _rows("P{i},{v}\n").replace("P3,", ",\nP3,"),
    ],
    ids=["psql", "mysql", "pandas", "tsv-header-tabs", "tsv-row-tab", "csv-row-comma", "empty-row"],
)
def test_every_row_of_the_column_is_named(text):
    assert sorted(v for label, v in _hits(text) if label == "CA_SIN") == sorted(SINS), _hits(text)


@pytest.mark.parametrize(
    "text",
    [
        " cell  | sinr_db\n-------+-----------\n" + _rows(" P{i}    | {v}\n"),
        "   cell    sinr_db\n" + _rows("{i}    P{i}  {v}\n"),
        "   name     notes\nsin is asked below\n" + _rows("{i}    P{i}  {v}\n"),
        "cell\tsinr_db\t\t\n" + _rows("P{i}\t{v}\n"),
    ],
)
def test_a_loose_header_still_names_nothing(text):
    assert [h for h in _hits(text) if h[0] == "CA_SIN" and text.find(h[1]) > 150] == [], _hits(text)
