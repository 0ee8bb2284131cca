"""Ragged tables keep their header (s33 qa_tables H2): a header with one cell fewer (row numbers
without a name) or one more, a blank line under a header, a summary line between rows, a "|"
or ";" inside a CSV cell. Before, each fell back to the 48-character window: 3-5 of 10 rows."""

from __future__ import annotations

import pytest
from bastion.detectors.pii_regex import RegexPIIDetector

DET = RegexPIIDetector()
# checksum-valid Canadian SINs: found only with a word naming them
SINS = (
    "501933501",
    "600489249",
    "173649054",
    "390186047",
    "258033521",
    "498285543",
    "283960805",
    "716328950",
)


def _rows(fmt: str) -> str:
    return "".join(fmt.format(i=i, v=v) for i, v in enumerate(SINS))


def _found(text: str) -> set[str]:
    return {text[f.start : f.end] for f in DET.detect([text])[0] if f.label == "CA_SIN" and f.score >= 0.5}


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(
            '"name","sin"\n' + _rows('"{i}","P{i}",{v}\n'), id="R row numbers, header one cell fewer"
        ),
        pytest.param("name,sin\n" + _rows("{i},P{i},{v}\n"), id="row numbers unquoted"),
        pytest.param("name,sin,notes\n" + _rows("P{i},{v}\n"), id="header one cell more"),
        pytest.param("name,sin\n\n" + _rows("P{i},{v}\n"), id="blank line under the header"),
        pytest.param("name,sin\n" + _rows("P{i},{v}\n").replace("P4,", "TOTAL,,\nP4,"), id="summary line"),
        pytest.param("name,sin\n" + _rows("P{i},{v}\n").replace("P4,", "Region B\nP4,"), id="section line"),
        pytest.param("name,tags,sin\n" + _rows("P{i},a|b,{v}\n"), id="pipe in a cell"),
        pytest.param("name,tags,sin\n" + _rows("P{i},a;b,{v}\n"), id="semicolon in a cell"),
        pytest.param("Name\tSIN\t\t\n" + _rows("P{i}\t{v}\n"), id="Excel header padded with tabs"),
    ],
)
def test_a_ragged_table_keeps_its_header(text: str) -> None:
    assert _found(text) == set(SINS)


@pytest.mark.parametrize(
    "text",
    [
        # a shorter header over rows that do not open with a row number is another table
        pytest.param("name,sin\n" + _rows("P{i},x,{v}\n"), id="shorter header, no row numbers"),
        # a blank line after a table's rows ends that table
        pytest.param("name,sin\nAnna,x\n\n" + _rows("P{i},{v}\n"), id="blank line after rows"),
        # two cells more or fewer is no off-by-one
        pytest.param("name,sin,a,b\n" + _rows("P{i},{v}\n"), id="header two cells more"),
        pytest.param("sin\n" + _rows("{i},P{i},{v}\n"), id="header two cells fewer"),
        # a summary line directly under the header does not carry the header past it
        pytest.param("name,sin\nTOTAL,,\n" + _rows("P{i},{v}\n"), id="summary line under the header"),
        # a second table's header stops the first table's header
        pytest.param("name,sin\nAnna,12\nproduct,stock\n" + _rows("P{i},{v}\n"), id="second table"),
    ],
)
def test_a_header_still_names_only_its_own_table(text: str) -> None:
    # the first rows are within the context window of the word "sin"; the rest are not
    late = [v for v in SINS if text.index(v) > 80]
    assert late and not (_found(text) & set(late)), _found(text)
