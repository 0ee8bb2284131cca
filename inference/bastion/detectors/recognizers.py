"""What a PII recognizer is: one small frozen dataclass per family, and how it scans.

A :class:`Recognizer` is data, like a Presidio ``Pattern``: a label, a candidate regex
(or a ``find`` hook for the few families whose candidates need more than one regex), a
base score, context words, a validator and an optional ``trim`` rule. The built-in
families live in :mod:`bastion.detectors.rules`, listed in one table there;
:class:`~bastion.detectors.pii_regex.RegexPIIDetector` composes them with any ``custom``
ones from the config (:func:`custom_recognizer`).

Scoring, the way Presidio's context enhancer does it: a context word within the
detector's context window before a match adds :data:`CONTEXT_BOOST` (capped at 1.0);
a ``context_required`` recognizer reports nothing without one and then scores exactly
its ``score``. ``validated`` findings (a checksum or structural rule confirmed them)
win overlap resolution.

A recognizer that trims a match resumes its scan at the trim point (:func:`rescan`),
never after the whole match: what was cut off may start the next value.

>>> from bastion.detectors.validators import nhs_ok
>>> nhs = Recognizer("uk_nhs", "UK_NHS", re.compile(r"\\b[0-9]{3} [0-9]{3} [0-9]{4}\\b"), 0.9,
...                  context=("nhs",), validator=nhs_ok, validator_name="nhs", validated=True,
...                  context_required=True)
>>> [(f.label, f.score, dict(f.explanation)["context"]) for f in nhs.scan("NHS no 943 476 5919")]
[('UK_NHS', 0.9, 'NHS')]
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence, Set
from dataclasses import dataclass, field
from typing import Any

from bastion.detectors.explanation import Explanation
from bastion.detectors.validators import VALIDATORS
from bastion.errors import ConfigError
from bastion.types import PII, Finding

CONTEXT_BOOST = 0.2
DEFAULT_CONTEXT_WINDOW = 48
ANY_DIGIT = re.compile(r"[0-9]")

# (start, end) or (start, end, score): what a ``find`` hook yields.
Span = tuple[int, int] | tuple[int, int, float]
FindHook = Callable[[str, Sequence[Finding]], Iterable[Span]]
# (text, start, end) -> the trimmed span, or None to reject the match
Trim = Callable[[str, int, int], tuple[int, int] | None]
# a match -> the spans it yields, and where the scan resumes
Step = Callable[[re.Match[str]], tuple[Iterable[Span], int]]


_NO_SPACE_SCRIPT = re.compile(
    "[\u0e00-\u0e7f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]"
)
_ARABIC_SCRIPT = re.compile("[\u0600-\u06ff\u0750-\u077f]")


# how far after a checksum-valid number its naming word may come
AFTER_WINDOW = 24
# a word after the number in another clause names something else
_CLAUSE_BREAKS = frozenset(".;:\n,|=")
# words that may follow the naming word in the same clause ("... to mój PESEL ok")
_NAMING_TAIL = frozenset(("ok", "is", "ist", "est", "es", "to", "jest", "number", "nummer", "numer", "no"))


def context_pattern(words: Iterable[str]) -> re.Pattern[str] | None:
    """Case-insensitive alternation of ``words`` anchored at a word start ("ssn#" and
    "phonenumber" count, "hotel" does not count as "tel"); None for no words."""
    words = set(words)
    if not words:
        return None
    # Chinese, Japanese, Korean and Thai write a context word glued to the word before it
    # ("我的护照号码是...", "โอนเข้าบัญชี"), so a word in those scripts may start anywhere.
    glued = {w for w in words if _NO_SPACE_SCRIPT.match(w)}
    # Arabic glues "and", "with", "for" to the next word ("ورقم الحساب", "برقم جواز السفر")
    prefixed = {w for w in words if _ARABIC_SCRIPT.match(w)}

    # the words of a phrase may also be joined as field names write them: "social_security_number",
    # "socialSecurityNumber", "account-number"
    def alternation(ws: set[str]) -> str:
        return "|".join(sorted({re.escape(w).replace(r"\ ", r"[\s_\-]*") for w in ws}, key=len, reverse=True))

    parts = []
    if words - glued - prefixed:
        parts.append(r"(?<![^\W\d_])(?:" + alternation(words - glued - prefixed) + ")")
    if prefixed:
        parts.append(r"(?<![^\W\d_])[وفبلك]?(?:" + alternation(prefixed) + ")")
    if glued:
        parts.append("(?:" + alternation(glued) + ")")
    return re.compile("(?i)" + "|".join(parts))


def rescan(regex: re.Pattern[str], text: str, step: Step) -> Iterator[Span]:
    """The spans ``step`` makes of ``regex``'s matches, each next search starting where
    ``step`` says (always past the match's start, so the scan moves forward).

    The rule for every recognizer that trims: resume at the trim point, not at the end
    of the match, since the part cut off may begin the next value (issue 11: two IBANs
    glued together, or ``?password=x&token=...``, lost the second value).

    >>> cut = lambda m: ([(m.start(), m.start() + 2)], m.start() + 2)
    >>> list(rescan(re.compile("[a-z]+"), "abcd", cut))
    [(0, 2), (2, 4)]
    """
    pos = 0
    while (m := regex.search(text, pos)) is not None:
        spans, resume = step(m)
        yield from spans
        pos = max(resume, m.start() + 1)
        if pos > len(text):
            return


# --- context for the rows of a table and the items of a list --------------------------------
#
# In a pasted table (CSV, TSV, Markdown) the word that names a value is its column's header,
# lines above it; in a list ("PESEL: a, b, c, d") it is the label before the first item. Only
# the header of the value's own column counts, in a block of lines with the same number of
# cells, so a header never names another column or another table.

# the delimiters a table's lines are cut at: the first a value's row holds
_CELL_DELIMS = ("\t", "|", ";", ",")
_CELL_SPECIAL = re.compile(r'[\t|;,"]')
# a longer line is no table row (and the search for a row's bounds stays bounded)
_MAX_ROW = 4096
# a header cell is a name, not a sentence
_MAX_HEADER_CELL = 64
# the lines at the head of a block that may be its header: a sentence with the same number
# of commas may come before the real header ("Here they are, as asked:\nname,pesel")
_MAX_HEADER_LINES = 4
# what may stand between two items of a list
_LIST_SEP = re.compile(r"[ \t]{0,2}[,;][ \t]{0,2}")
_LETTER = re.compile(r"[^\W\d_]")
# a SQL client's rule or border line ("-------+------", "+----+----+", "|---|:--:|"): neither
# header nor data, and no end of the table around it
_RULE_CHARS = frozenset("-=+|: \t")
# a space-aligned table (a pandas print): cells cut at two or more spaces
_ALIGNED_CELL = re.compile(r"\S+(?: \S+)*")
_ALIGNED_DELIMS = re.compile(r"[\t|;,]")
_SHAPE = str.maketrans(dict.fromkeys("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", "x"))


class _Rows:
    """The lines of one text read as table rows, on demand and memoised: only the blocks
    that hold a value are read, each line once, so the work stays linear in the text."""

    __slots__ = ("text", "_cuts", "_top", "_head", "_cells")

    def __init__(self, text: str) -> None:
        self.text = text
        self._cuts: dict[int, dict[str, tuple[int, ...]]] = {}
        self._top: dict[tuple[int, str, int], int] = {}
        self._head: dict[tuple[int, str, int], tuple[tuple[int, int], ...]] = {}
        self._cells: dict[int, tuple[tuple[int, int], ...] | None] = {}

    def line(self, pos: int) -> tuple[int, int] | None:
        """The bounds of the line that holds ``pos`` (a "\r" before its "\n" left out),
        None for a line longer than :data:`_MAX_ROW`."""
        t = self.text
        lo = max(0, pos - _MAX_ROW)
        a = t.rfind("\n", lo, pos) + 1
        if a == 0 and lo > 0:
            return None
        b = t.find("\n", pos, pos + _MAX_ROW)
        if b < 0:
            if pos + _MAX_ROW < len(t):
                return None
            b = len(t)
        return a, b - 1 if b > a and t[b - 1] == "\r" else b

    def cuts(self, a: int, b: int) -> dict[str, tuple[int, ...]]:
        """Offsets of each delimiter in the line ``[a, b)``; a comma, semicolon or tab
        inside double quotes belongs to a CSV cell, a pipe does not (Markdown has no quoting)."""
        got = self._cuts.get(a)
        if got is None:
            found: dict[str, list[int]] = {d: [] for d in _CELL_DELIMS}
            quoted = False
            for m in _CELL_SPECIAL.finditer(self.text, a, b):
                ch = m.group()
                if ch == '"':
                    quoted = not quoted
                elif ch == "|" or not quoted:
                    found[ch].append(m.start())
            got = self._cuts[a] = {d: tuple(v) for d, v in found.items()}
        return got

    def count(self, a: int, b: int, delim: str) -> int:
        """The cell count of the line ``[a, b)``: its ``delim`` cuts, less trailing empty cells
        (Excel pads a TSV header with tabs, a CSV row may end in a comma)."""
        cuts = self.cuts(a, b)[delim]
        n = len(cuts)
        while n and not self.text[cuts[n - 1] + 1 : cuts[n] if n < len(cuts) else b].strip(" \t\r"):
            n -= 1
        return n

    def _skipped(self, a: int, b: int, delim: str) -> bool:
        """Whether a line inside a block is neither header nor row: a rule or border line,
        or one of empty cells (",,,")."""
        return self.is_rule(a, b) or (
            bool(self.cuts(a, b)[delim]) and not self.text[a:b].strip(delim + " \t\r")
        )

    def top(self, a: int, delim: str, count: int) -> int:
        """Start of the first line of the block of lines with ``count`` ``delim`` cuts
        that ends with the line starting at ``a``."""
        path = []
        cur = a
        while True:
            known = self._top.get((cur, delim, count))
            if known is not None:
                top = known
                break
            path.append(cur)
            prev = self.line(cur - 1) if cur > 0 else None
            if prev is not None and self._skipped(*prev, delim):
                # a psql rule or mysql border between the header and the rows, a row of
                # empty cells: read past it
                prev = self.line(prev[0] - 1) if prev[0] > 0 else None
                if prev is not None and self._skipped(*prev, delim):
                    prev = None
            elif prev is not None and self.count(*prev, delim) != count:
                prev = self._past_gap(cur, prev, delim, count)
            if prev is None or self.count(*prev, delim) != count:
                top = cur
                break
            # a header line (letters, no digit) under a row with digits starts a new table:
            # two tables with no blank line between them ("name,bsn ... product,stock")
            if self._is_header_like(cur) and ANY_DIGIT.search(self.text, prev[0], prev[1]) is not None:
                top = cur
                break
            cur = prev[0]
        for p in path:
            self._top[(p, delim, count)] = top
        return top

    def _past_gap(self, cur: int, gap: tuple[int, int], delim: str, count: int) -> tuple[int, int] | None:
        """The line above ``gap`` (the line over the row at ``cur`` whose cell count differs)
        when ``gap`` is one a table holds without ending: a blank line under its header
        (only right above a data row, with a digit-free header over it), or a summary or
        section line of fewer cells between data rows ("TOTAL,,", "Region B"). Else ``gap``:
        a blank line over a header still ends a table, and so does a line over a header."""
        if self._is_header_like(cur) or ANY_DIGIT.search(self.text, *self.line(cur) or (0, 0)) is None:
            return gap
        above = self.line(gap[0] - 1) if gap[0] > 0 else None
        if above is None or self.count(*above, delim) != count:
            return gap
        blank = not self.text[gap[0] : gap[1]].strip()
        if blank:
            # only a header of no rows of its own: a blank line after rows ends their table
            header_only = self._is_header_like(above[0]) and self.top(above[0], delim, count) == above[0]
            return above if header_only else gap
        if self.count(*gap, delim) < count and ANY_DIGIT.search(self.text, *above) is not None:
            return above
        return gap

    def is_rule(self, a: int, b: int) -> bool:
        """Whether the line ``[a, b)`` is a table's rule or border line (only "-=+|:" and
        spaces, with a dash and a "+" or "|")."""
        # a set test, not a regex: "[-=+|: ]*[-=][-=+|: ]*" searched a long run of colons
        # in quadratic time (tests/test_redos.py)
        line = self.text[a:b]
        if not line or not _RULE_CHARS.issuperset(line) or ("-" not in line and "=" not in line):
            return False
        return "+" in line or "|" in line

    def aligned(self, a: int, b: int) -> tuple[tuple[int, int], ...] | None:
        """The cells of a space-aligned line ``[a, b)`` (cut at 2+ spaces), None when the
        line holds a delimiter or fewer than two cells."""
        if a in self._cells:
            return self._cells[a]
        got: tuple[tuple[int, int], ...] | None = None
        if _ALIGNED_DELIMS.search(self.text, a, b) is None:
            cells = tuple(m.span() for m in _ALIGNED_CELL.finditer(self.text, a, b))
            got = cells if len(cells) >= 2 else None
        self._cells[a] = got
        return got

    def aligned_header(self, a: int, count: int) -> tuple[int, int] | None:
        """The header line of the space-aligned block (a pandas print) whose row of
        ``count`` cells starts at ``a``: the digit-free line of ``count`` or ``count - 1``
        cells (the index column has no name) above the block's rows, or None."""
        path = []
        cur = a
        while True:
            known = self._top.get((cur, "  ", count))
            if known is not None:
                top = known
                break
            path.append(cur)
            prev = self.line(cur - 1) if cur > 0 else None
            cells = None if prev is None else self.aligned(*prev)
            if cells is None or len(cells) != count or ANY_DIGIT.search(self.text, *prev) is None:
                top = cur
                break
            cur = prev[0]
        for p in path:
            self._top[(p, "  ", count)] = top
        prev = self.line(top - 1) if top > 0 else None
        if prev is None:
            return None
        cells = self.aligned(*prev)
        if cells is None or len(cells) not in (count, count - 1) or not self._is_header_like(prev[0]):
            return None
        return prev

    def _is_header_like(self, a: int) -> bool:
        """Whether the line starting at ``a`` holds a letter and no digit."""
        bounds = self.line(a)
        if bounds is None:
            return False
        return ANY_DIGIT.search(self.text, *bounds) is None and _LETTER.search(self.text, *bounds) is not None

    def head(self, top: int, delim: str, count: int) -> tuple[tuple[int, int], ...]:
        """The lines that may be the header of the block starting at ``top``: its leading
        digit-free lines, or its first line (a header may hold a digit: "address2")."""
        key = (top, delim, count)
        got = self._head.get(key)
        if got is not None:
            return got
        head: list[tuple[int, int]] = []
        pos = top
        for _ in range(2 * _MAX_HEADER_LINES):
            bounds = self.line(pos)
            if bounds is None:
                break
            line = self.text[bounds[0] : bounds[1]]
            # a Markdown, psql or mysql rule row ("|---|:--:|") is neither header nor data
            if self._skipped(*bounds, delim):
                pass
            elif self.count(*bounds, delim) != count:
                break
            elif not ("-" in line and not line.strip(" \t|:+-")):
                digit = ANY_DIGIT.search(line) is not None
                if head and digit:
                    break
                head.append(bounds)
                if digit or len(head) == _MAX_HEADER_LINES:
                    break
            nxt = self.text.find("\n", bounds[1])
            if nxt < 0:
                break
            pos = nxt + 1
        got = self._head[key] = tuple(head)
        return got


def header_cells(text: str, start: int, end: int, rows: _Rows | None = None) -> list[str]:
    """The header cells of the table column that holds ``text[start:end]``, nearest first
    (empty when the value is not in a table row, or sits in a header line itself).

    ``rows``: the memo of this text's lines, built by the caller for one call and dropped
    after it (no text, PII included, outlives the call that read it)."""
    return table_column(text, start, end, rows)[1]


def table_column(text: str, start: int, end: int, rows: _Rows | None = None) -> tuple[int, list[str]]:
    """Where the table that holds ``text[start:end]`` starts, and :func:`header_cells`;
    (-1, []) when the value is not in a table row."""
    if "\n" not in text:
        return -1, []
    if rows is None or rows.text is not text:
        rows = _Rows(text)
    bounds = rows.line(start)
    if bounds is None or end > bounds[1]:
        return -1, []
    cuts_by = rows.cuts(*bounds)
    delims = [d for d in _CELL_DELIMS if cuts_by[d]]
    if not delims:
        return _aligned_column(rows, bounds, start, end)
    first = _column_by(rows, bounds, start, end, delims[0])
    if len(delims) == 1 or any(ANY_DIGIT.search(c) is None for c in first[1]):
        return first
    for delim in delims[1:]:
        # a "|" or ";" inside a CSV cell ("a|b"): the delimiter is the one whose block has a
        # header (a cell with no digit) over the column
        found = _column_by(rows, bounds, start, end, delim)
        if any(ANY_DIGIT.search(c) is None for c in found[1]):
            return found
    return first


def _column_by(
    rows: _Rows, bounds: tuple[int, int], start: int, end: int, delim: str
) -> tuple[int, list[str]]:
    """:func:`table_column` with the row cut at ``delim``."""
    text = rows.text
    cuts = rows.cuts(*bounds)[delim]
    col = bisect.bisect_left(cuts, start)
    if col < len(cuts) and cuts[col] < end:
        return -1, []  # the value spans two cells
    count = rows.count(*bounds, delim)
    if not count:
        return -1, []  # one cell and trailing delimiters ("501933501,"): no table row
    top = rows.top(bounds[0], delim, count)
    cells = []
    head = rows.head(top, delim, count)
    for a, b in reversed(head):
        if a < bounds[0] and (cell := _cell(rows, a, b, delim, col)):
            cells.append(cell)
    if top > 0 and all(ANY_DIGIT.search(text, a, b) is not None for a, b in head):
        # a header with one cell fewer (R's write.table: the row names have none, so the
        # header aligns from the right) or one more (a column left empty) than the rows
        above = rows.line(top - 1)
        if above is not None and rows._is_header_like(above[0]):
            n = rows.count(*above, delim)
            # (a shorter header only over rows that open with a row number: R's "1","2",...)
            first = text[bounds[0] : cuts[0]].strip(' \t"') if cuts else ""
            shift = 1 if n == count - 1 and first.isdigit() else 0 if n == count + 1 else None
            if shift is not None and col >= shift and (cell := _cell(rows, *above, delim, col - shift)):
                return above[0], [*cells, cell]
    return (top, cells) if cells else (-1, [])


def _cell(rows: _Rows, a: int, b: int, delim: str, col: int) -> str:
    """Cell ``col`` of the header line ``[a, b)`` cut at ``delim``, stripped; "" when it is
    missing or too long to be a name."""
    hcuts = rows.cuts(a, b)[delim]
    if col > len(hcuts):
        return ""
    cell = rows.text[a if col == 0 else hcuts[col - 1] + 1 : hcuts[col] if col < len(hcuts) else b]
    cell = cell.strip(" \t\"'*`")
    return cell if 0 < len(cell) <= _MAX_HEADER_CELL else ""


def _aligned_column(rows: _Rows, bounds: tuple[int, int], start: int, end: int) -> tuple[int, list[str]]:
    """:func:`table_column` for a space-aligned table (a pandas print): the header cell
    above the value's cell, by character offset."""
    cells = rows.aligned(*bounds)
    if cells is None:
        return -1, []
    mine = next((c for c in cells if c[0] <= start and end <= c[1]), None)
    if mine is None:
        return -1, []
    header = rows.aligned_header(bounds[0], len(cells))
    if header is None:
        return -1, []
    a, b = mine[0] - bounds[0], mine[1] - bounds[0]
    over = [h for h in rows.aligned(*header) or () if h[0] - header[0] < b and a < h[1] - header[0]]
    if len(over) != 1:
        return -1, []
    cell = rows.text[over[0][0] : over[0][1]].strip(" \t\"'*`")
    return (header[0], [cell]) if 0 < len(cell) <= _MAX_HEADER_CELL else (-1, [])


# --- which header names a column -------------------------------------------------------
#
# A header names a column only by whole tokens: the cell is cut at "_", "-", ".", spaces and
# camelCase, and a context phrase must be the whole cell, the whole cell plus an id word
# ("pesel_number", "BSN-nummer"), or its end ("customer_sin", "ABA/Routing"). A word that only
# starts a token ("dl_kbps", "sinr_db", "RecordNumber", "nas_events", "transit_ms") names
# nothing: in a header it would label every row of the column, not one value near it.

_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_TOKEN = re.compile(r"#|[^\W\d_]+|[0-9]+")
# words after an identifier's name that keep it the identifier's name
_ID_WORDS = frozenset(
    ("number", "num", "no", "nr", "nro", "id", "#", "nummer", "numer", "numero", "número", "numéro", "n")
)
# context words too generic for a header: prose only ("uid" is any user id, "patient_id" a
# hospital's own key, "ssid" a Wi-Fi network)
_HEADER_NEVER = frozenset(("uid", "patient", "ssid", "dl", "dl#", "transit", "send", "address", "wallet"))
# short or ambiguous words that name a column only as the whole cell ("NAS", not "nas_iops")
_HEADER_WHOLE = frozenset(
    (
        "nas", "aba", "rtn", "tin", "cf", "c.f", "nie", "nif", "nir", "insee", "steuer",
        "sofi", "documento", "identidad", "fiscale", "bank", "konto", "konta", "rachunek",
        "rachunku", "przelew", "przelewu", "eth", "btc", "crypto", "bitcoin", "birth", "born",
        "nato", "nata", "né", "née", "nacido", "nacida", "nascido", "nascida", "urodz", "ur.",
    )
)  # fmt: skip


def _tokens(cell: str) -> tuple[str, ...]:
    """The words of a header cell, case-folded: "passportNo" -> ("passport", "no")."""
    return tuple(_TOKEN.findall(_CAMEL.sub(" ", cell).casefold()))


def _with_id(*bases: str, ids: Iterable[str] = _ID_WORDS) -> list[tuple[tuple[str, ...], bool]]:
    """Each base, as the whole cell, and each base + id word, as the cell's end."""
    out: list[tuple[tuple[str, ...], bool]] = []
    for base in bases:
        t = _tokens(base)
        out.append((t, False))
        out += [((*t, i), True) for i in ids]
    return out


_NUMBER_WORDS = ("number", "num", "no", "nr", "#")
# The labels without a checksum: every value of the right length in a named column is a
# finding, so the header must name the identifier itself, not a field about it
# ("passport_expiry", "acct_balance", "record_number", "dl_bytes"). (tokens, as the cell's end?)
_STRICT_HEADERS: dict[str, list[tuple[tuple[str, ...], bool]]] = {
    "PASSPORT": _with_id(
        "passport", "reisepass", "passeport", "pasaporte", "passaporto", "paspoort", "passaporte",
        "paszport", "паспорт", "pasaport",
    )
    + _with_id("paspoortnummer", "passnummer", "passportnumber", ids=())
    + [(("pass", "nr"), True), (("pass", "nummer"), True)],
    "DRIVER_LICENSE": _with_id(
        "driver's license", "drivers license", "driver license", "driver licence", "driver's licence",
        "drivers licence", "driving licence", "driving license", "führerschein", "permis de conduire",
        "carnet de conducir", "licencia de conducir",
    )
    + [(("license", i), True) for i in _NUMBER_WORDS]
    + [(("licence", i), True) for i in _NUMBER_WORDS]
    + [(("dl", i), True) for i in _NUMBER_WORDS]
    + [(("dln",), True), (("führerscheinnummer",), True)],
    "MEDICAL_RECORD_NUMBER": _with_id("mrn", "medical record")
    + [((*b, i), True) for b in (("patient",), ("chart",), ("hospital",), ("health", "record")) for i in (*_NUMBER_WORDS, "id")]
    + [(("patientennummer",), True)],
    "BANK_ACCOUNT": [((*b, i), True) for b in (("account",), ("acct",), ("konto",)) for i in (*_NUMBER_WORDS, "nummer")]
    + _with_id("bank account", "checking account", "savings account", ids=_NUMBER_WORDS)
    + [
        (_tokens(w), True)
        for w in (
            "kontonummer", "rekeningnummer", "numéro de compte", "número de cuenta", "numero di conto",
            "numer konta", "nr konta", "numer rachunku", "nr rachunku", "número da conta", "numero da conta",
        )
    ],
}  # fmt: skip
# the recognizers held to :data:`_STRICT_HEADERS` (a checksum-valid NRB takes any Polish account word)
_STRICT_RECOGNIZERS = frozenset(
    (
        "passport",
        "us_driver_license",
        "us_driver_license_dl",
        "intl_driver_license",
        "medical_record_number",
        "bank_account",
    )
)


def _header_phrases(
    name: str, label: str, context: Iterable[str]
) -> tuple[tuple[tuple[str, ...], bool], ...]:
    """(tokens, as the cell's end?) for each way a header may name this recognizer's column."""
    if name in _STRICT_RECOGNIZERS and label in _STRICT_HEADERS:
        return tuple(_STRICT_HEADERS[label])
    out: list[tuple[tuple[str, ...], bool]] = []
    for word in context:
        low = word.casefold()
        t = _tokens(low)
        if not t or low in _HEADER_NEVER or _NO_SPACE_SCRIPT.match(word):
            continue
        if low in _HEADER_WHOLE:
            out.append((t, False))
        else:
            out += [(t, True)] + [((*t, i), True) for i in _ID_WORDS]
    return tuple(dict.fromkeys(out))


def header_names(
    cell: str, phrases: Sequence[tuple[tuple[str, ...], bool]], glued: Iterable[str] = ()
) -> bool:
    """Whether the header ``cell`` names a column by one of ``phrases`` (trailing numbers,
    as in "sin_2024", left out) or holds one of the ``glued`` words (scripts without spaces).

    >>> p = _header_phrases("x", "X", ("sin",))
    >>> [header_names(c, p) for c in ("SIN", "sin_number", "customer_sin", "sinr_db", "since_epoch")]
    [True, True, True, False, False]
    """
    t = _tokens(cell)
    while t and t[-1].isdigit():
        t = t[:-1]
    for p, tail in phrases:
        if t == p or (tail and len(t) > len(p) and t[-len(p) :] == p):
            return True
    return any(w in cell for w in glued)


@dataclass(frozen=True, slots=True)
class Recognizer:
    r"""One PII family: how to find candidates, check them and score them.

    ``regex``: candidate pattern (the finding is ``group``'s span); ``find`` replaces it
    for families that need more than one regex (it gets the text and, for ``after``
    recognizers, the findings of all the others). ``trim``: shortens or rejects a span,
    ``(text, start, end) -> (start, end) | None``; after a shortened match the scan
    resumes at the new end. ``validator``: a predicate on the span's text;
    ``validator_name`` is what explanations call it. ``literals``: one must occur in the
    text for the scan to run at all (a cheap gate), as must a digit for ``needs_digit``
    recognizers. ``shields_phones``: run even when the label is off if phones are on, so
    a phone reading of the same digits is suppressed.

    >>> r = Recognizer("employee_id", "EMPLOYEE_ID", re.compile(r"EMP-[0-9]{6}"), 0.8, context=("employee",))
    >>> [(f.start, f.end, f.score) for f in r.scan("employee EMP-123456")]
    [(9, 19, 1.0)]
    """

    name: str
    label: str
    regex: re.Pattern[str] | None
    score: float
    context: tuple[str, ...] = ()
    validator: Callable[[str], bool] | None = None
    validator_name: str | None = None
    validated: bool = False
    context_required: bool = False
    literals: tuple[str, ...] = ()
    group: int = 0
    trim: Trim | None = None
    find: FindHook | None = None
    after: bool = False
    shields_phones: bool = False
    needs_digit: bool = False
    _context_re: re.Pattern[str] | None = field(default=None, init=False, repr=False, compare=False)
    # the first word of each context phrase, lower-cased: what the cheap gate looks for
    context_literals: frozenset[str] = field(default=frozenset(), init=False, repr=False, compare=False)
    # how a table header may name this recognizer's column (:func:`header_names`)
    _header: tuple[tuple[tuple[str, ...], bool], ...] = field(
        default=(), init=False, repr=False, compare=False
    )
    _header_glued: tuple[str, ...] = field(default=(), init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if (self.regex is None) == (self.find is None):
            raise ConfigError(f"recognizer {self.name!r}: give exactly one of regex and find")
        if not 0.0 <= self.score <= 1.0:
            raise ConfigError(f"recognizer {self.name!r}: score must be in [0, 1], got {self.score!r}")
        if self.context_required and not self.context:
            raise ConfigError(f"recognizer {self.name!r}: context_required needs context words")
        object.__setattr__(self, "_context_re", context_pattern(self.context))
        object.__setattr__(self, "context_literals", frozenset(w.lower().split()[0] for w in self.context))
        object.__setattr__(self, "_header", _header_phrases(self.name, self.label, self.context))
        object.__setattr__(self, "_header_glued", tuple(w for w in self.context if _NO_SPACE_SCRIPT.match(w)))

    def context_word(self, text: str, start: int, window: int = DEFAULT_CONTEXT_WINDOW) -> str | None:
        """The context word closest before ``start`` within ``window`` characters, if any."""
        if self._context_re is None or window <= 0:
            return None
        last = None
        for m in self._context_re.finditer(text, max(0, start - window), start):
            last = m
        return None if last is None else last.group()

    def _word_above_table(self, text: str, start: int, end: int, window: int, rows: _Rows) -> str | None:
        """:meth:`context_word` for a value in a table row: a word in the table's other
        lines (its header, the rows above) does not name it, its column's header does
        (:meth:`context_in_header`); one above the table or on the value's own line still does."""
        top, cells = table_column(text, start, end, rows)
        if not cells:
            return self.context_word(text, start, window)
        assert self._context_re is not None
        line_start = text.rfind("\n", 0, start) + 1
        last = None
        for m in self._context_re.finditer(text, max(0, start - window), start):
            if m.start() < top or m.start() >= line_start:
                last = m
        return None if last is None else last.group()

    def context_after(self, text: str, end: int, window: int = AFTER_WINDOW) -> str | None:
        """The context word right after ``end`` within ``window`` characters, in the same
        clause, naming this value ("44051401359 to mój PESEL", "... (Steuer-ID)"), not
        labelling the next field ("Kundennummer: 39170342364 Steuer-ID: ...") or opening
        the next sentence ("Order 111222333 shipped; BSN not needed")."""
        if self._context_re is None or window <= 0:
            return None
        m = self._context_re.search(text, end, end + window)
        if m is None or any(c in _CLAUSE_BREAKS for c in text[end : m.start()]):
            return None
        rest = text[m.end() : m.end() + 24].lstrip(" \t")
        if rest[:1] in (":", "=", "：") or rest[:1].isdigit():
            return None
        if rest[:1].isalpha() and rest.split(maxsplit=1)[0].isalpha():
            # the word goes on into a longer term ("PESEL-Nummer"), or a sentence follows
            # ("BSN not needed"): only a word at the end of its clause names the value
            tail = text[m.end() : m.end() + 1]
            if not tail.isspace() or rest.split(maxsplit=1)[0].lower() not in _NAMING_TAIL:
                return None
        return m.group()

    def context_in_header(self, text: str, start: int, end: int, rows: _Rows | None = None) -> str | None:
        """The header cell that names the table column holding the value
        ("name,pesel\\nAnna,44051401359": every row, not only the first, within reach);
        only whole words of the header count (:func:`header_names`)."""
        if not self._header and not self._header_glued:
            return None
        for cell in header_cells(text, start, end, rows):
            if header_names(cell, self._header, self._header_glued):
                return cell
        return None

    def may_match(self, text: str, window: int, has_digit: bool, words: Set[str]) -> bool:
        """The cheap gate: a digit (``needs_digit``), one of the ``literals``, and for a
        ``context_required`` recognizer one of its :attr:`context_literals` among
        ``words`` (the lower-cased context words the caller found in the text)."""
        if self.needs_digit and not has_digit:
            return False
        # a plain loop: this runs ~60 times a text, and a generator costs more than the tests
        for lit in self.literals:
            if lit in text:
                break
        else:
            if self.literals:
                return False
        return not self.context_required or (window > 0 and not words.isdisjoint(self.context_literals))

    def candidates(self, text: str, taken: Sequence[Finding] = ()) -> Iterable[Span]:
        """Candidate spans before validation and context (``find``, else the regex)."""
        if self.find is not None:
            return self.find(text, taken)
        assert self.regex is not None
        group, trim = self.group, self.trim
        if trim is None:
            return [sp for m in self.regex.finditer(text) if (sp := m.span(group))[1] > sp[0]]

        def step(m: re.Match[str]) -> tuple[Iterable[Span], int]:
            s, e = m.span(group)
            span = trim(text, s, e) if e > s else None
            if span is None or span[1] <= span[0]:
                return (), m.end()
            return (span,), span[1] if span[1] < e else m.end()

        return rescan(self.regex, text, step)

    def scan(
        self,
        text: str,
        *,
        window: int = DEFAULT_CONTEXT_WINDOW,
        detector: str = "regex",
        taken: Sequence[Finding] = (),
    ) -> list[Finding]:
        """Findings of this recognizer alone in ``text`` (not overlap-resolved)."""
        low = text.lower()
        words = {w for w in self.context_literals if w in low}
        if not self.may_match(text, window, ANY_DIGIT.search(text) is not None, words):
            return []
        return self.findings(text, window=window, detector=detector, taken=taken)

    def findings(
        self,
        text: str,
        *,
        window: int,
        detector: str,
        taken: Sequence[Finding] = (),
        rows: _Rows | None = None,
    ) -> list[Finding]:
        """:meth:`scan` without the cheap gate (the caller has checked :meth:`may_match`).
        ``rows``: the caller's memo of ``text``'s table lines, for this one call."""
        if self.find is None and self.regex is not None and self.regex.search(text) is None:
            return []
        if rows is None or rows.text is not text:
            rows = _Rows(text)
        out = []
        # a list of values after one label: the last item's word, where it ended, its shape
        listed_word: str | None = None
        listed_end, listed_shape = -1, ""
        for cand in self.candidates(text, taken):
            s, e = cand[0], cand[1]
            base = self.score if len(cand) < 3 else cand[2]  # type: ignore[misc]
            listed = from_header = False
            if self.context_required and listed_word is not None:
                shape = text[s:e].translate(_SHAPE)
                listed = (
                    listed_end <= s
                    and shape == listed_shape
                    and _LIST_SEP.fullmatch(text, listed_end, s) is not None
                )
                # a table row's cells are no list: a column never takes the word of the
                # column beside it ("name,sin,employee_id")
                if listed and header_cells(text, s, e, rows):
                    listed = False
                if listed:
                    listed_end = e  # an invalid item does not end the list
                else:
                    listed_word = None
            if self.validator is not None and not self.validator(text[s:e]):
                continue
            word = self.context_word(text, s, window)
            if word is not None and self.context_required and "\n" in text[max(0, s - window) : s]:
                word = self._word_above_table(text, s, e, window, rows)
            if word is None and self.context_required and window > 0:
                if listed:
                    word = listed_word
                elif self.validated:
                    # a checksum-valid number named after it ("44051401359 to mój PESEL",
                    # "12345678Z (DNI)"): the checksum keeps chance matches rare
                    word = self.context_after(text, e, min(window, AFTER_WINDOW))
                if word is None:
                    word = self.context_in_header(text, s, e, rows)
                    from_header = word is not None
            if self.context_required:
                if word is None:
                    continue
                if from_header:
                    listed_word = None  # a header names its column, not the cells beside it
                elif not listed:
                    listed_word, listed_end, listed_shape = word, e, text[s:e].translate(_SHAPE)
            score = base + CONTEXT_BOOST if word is not None and not self.context_required else base
            score = min(1.0, round(score, 4))
            out.append(
                Finding(
                    self.label, s, e, score, detector, PII, self.validated, explanation=self.explain(word)
                )
            )
        return out

    def explain(self, word: str | None) -> Mapping[str, Any]:
        """Why a finding was reported: recognizer, validator and the context word."""
        info: dict[str, Any] = {"recognizer": self.name}
        if self.validator_name is not None:
            info["validator"] = self.validator_name
            info["valid"] = True
        if word is not None:
            info["context"] = word
        return Explanation(info)


# --- custom recognizers from configuration -------------------------------------------------

_CUSTOM_KEYS = frozenset(
    {"name", "label", "regex", "score", "context", "validator", "context_required", "boundary"}
)
_NAME_RE = re.compile(r"[a-z][a-z0-9_]{0,63}")
_LABEL_RE = re.compile(r"[A-Z][A-Z0-9_]{0,63}")
# A custom pattern runs with finditer over every text, so each start position may cost at
# most about MAX_WIDTH x BUDGET steps: bounded match length, few alternatives.
CUSTOM_MAX_WIDTH = 256
CUSTOM_BUDGET = 64
# Paths alone let '\W{1,8}\W{1,8}\W{239}!' through (64 paths, ~15,600 steps a position: 7 s
# on 20,000 characters), so the steps are budgeted too, as the policy's deny terms are: each
# regex, and a detector's custom regexes together, within DENY_WORK_BUDGET a position. Past
# that the number of recognizers is capped as well: each is a pass of its own over every text.
MAX_CUSTOM_RECOGNIZERS = 64


# global inline flags, which Python accepts only at the very start of a pattern
_GLOBAL_FLAGS = re.compile(r"\(\?([aiLmsux]+)\)")


def _bounded(pattern: str) -> str:
    """``pattern`` between the no-letter-or-digit look-arounds, its leading global flags
    (``(?i)``) kept at the front, where they still apply to all of it; a ``(?x)`` comment
    is closed by a line break before the group ends."""
    flags = ""
    while (m := _GLOBAL_FLAGS.match(pattern)) is not None:
        flags += m.group(1)
        pattern = pattern[m.end() :]
    tail = "\n" if "x" in flags else ""
    head = f"(?{flags})" if flags else ""
    return rf"{head}(?<![A-Za-z0-9])(?:{pattern}{tail})(?![A-Za-z0-9])"


def custom_recognizer(spec: Mapping[str, Any], where: str = "custom[0]") -> Recognizer:
    r"""A recognizer from a config entry; any problem is a ConfigError naming ``where``.

    Keys: ``name``, ``label`` (UPPER_SNAKE; not ``DENY_TERM``, the policy's deny terms'
    label), ``regex`` (bounded, no nested quantifiers, no backreferences or lookarounds),
    ``score`` (default 0.8), ``context`` (words), ``context_required`` (default false),
    ``validator`` (a name in :data:`~bastion.detectors.validators.VALIDATORS`),
    ``boundary`` (default true: the match may not be glued to letters or digits on either
    side).

    The regex matches as written, so it is case-sensitive (``EMP-\d{6}`` misses
    ``emp-123456``) unless it starts with global flags such as ``(?i)`` (``(?x)`` for a
    verbose pattern): they apply to the whole pattern. List regexes in a policy, by
    contrast, always ignore case. The ``score`` must reach the policy's cut for the label
    or nothing is reported: with the default ``pii_min_score`` of 0.5, a recognizer of
    score 0.4 reports nothing unless the policy gives its label a lower cut
    (``label_thresholds: {EMPLOYEE_ID: 0.4}``); the policy is not known here, so this is
    not checked. A policy with another ``deny_label`` should not use that label here either:
    findings under it would read like deny terms but obey thresholds and allow lists.

    >>> r = custom_recognizer({"name": "employee_id", "label": "EMPLOYEE_ID", "regex": r"EMP-\d{6}"})
    >>> [(f.label, f.start, f.end) for f in r.scan("badge EMP-004211 ok")]
    [('EMPLOYEE_ID', 6, 16)]
    >>> [f.start for f in custom_recognizer({"name": "e", "label": "E", "regex": r"(?i)emp-\d{6}"}).scan("id EMP-004211")]
    [3]
    >>> custom_recognizer({"name": "x", "label": "X", "regex": "(a+)+"}, "custom[1]")
    Traceback (most recent call last):
    ...
    bastion.errors.ConfigError: pii_regex custom[1] (x): nested quantifiers are not allowed (catastrophic backtracking)
    """
    from bastion.policy import DENY_LABEL, compile_safe_regex
    from bastion.policy_lists import DENY_WORK_BUDGET, regex_steps

    if not isinstance(spec, Mapping):
        raise ConfigError(
            f"pii_regex {where}: a custom recognizer must be a mapping, got {type(spec).__name__}"
        )
    name = spec.get("name")
    # first: a misspelled "name" key is a bad key, not a missing name
    unknown = sorted(map(str, set(spec) - _CUSTOM_KEYS))
    if unknown:
        named = f"{where} ({name})" if isinstance(name, str) and _NAME_RE.fullmatch(name) else where
        raise ConfigError(f"pii_regex {named}: unknown keys {unknown}; known: {sorted(_CUSTOM_KEYS)}")
    if not isinstance(name, str) or not _NAME_RE.fullmatch(name):
        raise ConfigError(f"pii_regex {where}: name must be lower_snake_case, got {name!r}")
    where = f"{where} ({name})"
    label = spec.get("label")
    if not isinstance(label, str) or not _LABEL_RE.fullmatch(label):
        raise ConfigError(f"pii_regex {where}: label must be UPPER_SNAKE_CASE, got {label!r}")
    if label == DENY_LABEL:
        # its findings would read [REDACTED_DENY_TERM] yet, unlike deny terms, obey
        # thresholds, disabled_labels and the allow list
        raise ConfigError(
            f"pii_regex {where}: label {DENY_LABEL} is reserved for the policy's deny_terms; "
            "list the pattern there ({regex: ...}) or pick another label"
        )
    if label == "INJECTION":
        # the injection detectors' label: a PII finding rendered [REDACTED_INJECTION] would
        # read like an injection verdict
        raise ConfigError(f"pii_regex {where}: label INJECTION is reserved for injection findings")
    pattern = spec.get("regex")
    compile_safe_regex(
        pattern, f"pii_regex {where}", cap=CUSTOM_MAX_WIDTH, budget=CUSTOM_BUDGET, max_width=CUSTOM_MAX_WIDTH
    )
    # counted at CUSTOM_MAX_WIDTH, the longest match compile_safe_regex lets through (no
    # repeat is longer), as the deny terms are at their MAX_DENY_WIDTH of the same 256
    steps = regex_steps(pattern, CUSTOM_MAX_WIDTH)
    if steps > DENY_WORK_BUDGET:
        raise ConfigError(
            f"pii_regex {where}: regex may take about {steps} steps at each position of a text, over the "
            f"budget of {DENY_WORK_BUDGET}; use fewer or shorter ranges ({{1,8}}), or a literal prefix"
        )
    boundary = spec.get("boundary", True)
    if not isinstance(boundary, bool):
        raise ConfigError(f"pii_regex {where}: boundary must be true or false")
    # compile_safe_regex checked the shape case-insensitively; the recognizer matches as written.
    try:
        regex = re.compile(_bounded(pattern) if boundary else pattern)
    except re.error as exc:
        raise ConfigError(f"pii_regex {where}: invalid regex inside the word boundaries: {exc.msg}") from None
    score = spec.get("score", 0.8)
    if isinstance(score, bool) or not isinstance(score, int | float) or not 0.0 <= score <= 1.0:
        raise ConfigError(f"pii_regex {where}: score must be a number in [0, 1], got {score!r}")
    context = spec.get("context", ())
    if isinstance(context, str):
        context = (context,)
    if not isinstance(context, list | tuple) or not all(isinstance(w, str) and w.strip() for w in context):
        raise ConfigError(f"pii_regex {where}: context must be a list of words, got {context!r}")
    required = spec.get("context_required", False)
    if not isinstance(required, bool):
        raise ConfigError(f"pii_regex {where}: context_required must be true or false")
    if required and not context:
        raise ConfigError(f"pii_regex {where}: context_required needs context words")
    vname = spec.get("validator")
    validator = None
    if vname is not None:
        validator = VALIDATORS.get(vname) if isinstance(vname, str) else None
        if validator is None:
            raise ConfigError(f"pii_regex {where}: unknown validator {vname!r}; known: {sorted(VALIDATORS)}")
    return Recognizer(
        name,
        label,
        regex,
        float(score),
        tuple(w.strip() for w in context),
        validator,
        vname,
        validator is not None,
        required,
    )


def check_custom_count(custom: Any) -> None:
    """A ConfigError when ``custom`` (a ``pii_regex`` detector's list) holds more than
    :data:`MAX_CUSTOM_RECOGNIZERS`; checked before any entry is compiled."""
    if (
        isinstance(custom, Sequence)
        and not isinstance(custom, str | bytes)
        and len(custom) > MAX_CUSTOM_RECOGNIZERS
    ):
        raise ConfigError(
            f"pii_regex custom: {len(custom)} recognizers, over the limit of {MAX_CUSTOM_RECOGNIZERS} "
            "(each is a pass of its own over every text); merge patterns of one label with |"
        )


def check_custom_work(custom: Sequence[Mapping[str, Any]]) -> None:
    """A ConfigError when ``custom``'s regexes (each already accepted by
    :func:`custom_recognizer`) together may take more than the deny terms' budget of steps
    at one position of a text (``DENY_WORK_BUDGET``): they all run over every text, so one
    detector's work adds up as a deny list's does."""
    from bastion.policy_lists import DENY_WORK_BUDGET, regex_steps

    total = sum(regex_steps(spec["regex"], CUSTOM_MAX_WIDTH) for spec in custom)
    if total > DENY_WORK_BUDGET:
        raise ConfigError(
            f"pii_regex custom: the {len(custom)} regexes together may take about {total} steps at each "
            f"position of a text, over the budget of {DENY_WORK_BUDGET}; use fewer or cheaper ones "
            "(a literal prefix such as EMP-\\d{6} costs about 12)"
        )


__all__ = [
    "ANY_DIGIT",
    "MAX_CUSTOM_RECOGNIZERS",
    "CONTEXT_BOOST",
    "DEFAULT_CONTEXT_WINDOW",
    "Recognizer",
    "context_pattern",
    "rescan",
    "custom_recognizer",
    "check_custom_count",
    "check_custom_work",
]
