"""Payment families: card numbers (issuer prefix + Luhn) and IBANs (mod-97).

Both are checksum-validated, so they win overlaps, and both read runs of digit groups
the way people print them (``4111 1111 1111 1111``, ``DE89 3704 0044 0532 0130 00``).

>>> [(f.label, f.start, f.end, f.validated) for f in CREDIT_CARD.scan("card 4111 1111 1111 1111")]
[('CREDIT_CARD', 5, 24, True)]
>>> [(f.start, f.end) for f in IBAN.scan("DE89370400440532013000GB82WEST12345698765432")]
[(0, 22), (22, 44)]
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence

from bastion.detectors.recognizers import Recognizer, Span, rescan
from bastion.detectors.validators import IBAN_LENGTHS, card_brand, card_ok, digits_only, iban_ok, luhn_ok
from bastion.types import Finding

# A run of digit groups; card candidates are chosen among its contiguous groups. The
# run is not capped: a cap cut "card card card" mid-card and the scan resumed after the
# cut, so the cards on either side of it were lost. Groups are digits between single
# separators (no ambiguity), so the match stays linear.
# An underscore may come before it: "card_4111111111111111", "<CREDIT_CARD_4111...>" (a
# field or token name glued to the number) still hold a card.
# Not glued to a word of a script that spaces its words; Chinese, Japanese, Thai or Arabic
# text runs straight into a number ("我的信用卡号是4111111111111111谢谢").
# A dot before it continues a decimal or a version only after a digit, a space or the start:
# after a letter it ends an abbreviation ("Card No.4111...", "Karten-Nr.4111...").
_WORD = "A-Za-z0-9\u00c0-\u024f\u0370-\u03ff\u0400-\u04ff"
_NOT_AFTER = rf"(?<![{_WORD}\-])(?<![0-9\s]\.)(?<!^\.)"
_DIGIT_RUN = re.compile(_NOT_AFTER + rf"[0-9]{{1,19}}(?:[ \-][0-9]{{1,19}})*(?![{_WORD}_\-]|\.[0-9])")


# A card glued to the end of an e-mail address or host ("jane@example.com4111111111111111",
# two CSV columns pasted without their separator): no top-level domain ends in digits, so
# the digits after the domain's letters are a number of their own.
_GLUED_TO_DOMAIN = re.compile(
    r"@[A-Za-z0-9\-]{1,63}(?:\.[A-Za-z0-9\-]{1,63}){0,7}\.[A-Za-z]{2,24}([0-9]{13,19})(?![\w\-]|\.[0-9])"
)


# Four groups of four joined by dots ("4111.1111.1111.1111", as some forms and exports print
# them); only this grouping, so decimals, versions and addresses are never read as cards.
_DOTTED_CARD = re.compile(
    r"[0-9](?<![\w\-][0-9])(?<![0-9\s]\.[0-9])(?<!^\.[0-9])[0-9]{3}(?:\.[0-9]{4}){3}(?![\w\-]|\.[0-9])"
)


# A phone's IMEI is Luhn-checked and most start with 35 (a JCB prefix): after its word a
# 15-digit Luhn pass is the device's number, not a card.
_IMEI_BEFORE = re.compile(
    r"(?i)(?<![^\W\d_])(?:imei|meid)(?:[\s_\-]{0,2}(?:number|no|nr|#))?\.?[\s:#=]{0,3}$"
)


def _cards(text: str, taken: Sequence[Finding], ok: Callable[[str], bool] | None = None) -> Iterator[Span]:
    imei = "mei" in text.lower()
    for s, e in _card_spans(text, taken, ok):
        if not (imei and _IMEI_BEFORE.search(text, max(0, s - 24), s)):
            yield s, e


def _card_spans(
    text: str, _taken: Sequence[Finding], ok: Callable[[str], bool] | None = None
) -> Iterator[Span]:
    ok = ok or _listed_ok
    for m in _DIGIT_RUN.finditer(text):
        run = m.group()
        n = len(run) - run.count(" ") - run.count("-")
        if n < 12:
            continue
        found = _cards_in_run(run, ok)
        if (
            not found
            and 13 <= n <= 19
            and ok(run)
            and len(set(run) & {" ", "-"}) == 1
            and min(map(len, re.split("[ -]", run))) <= 6
        ):
            # grouped as no scheme prints ("4111 11111111 1111": an invisible separator
            # deleted by normalisation, a typo): the whole run is the card when IIN and Luhn pass,
            # as a compact number would be; two long numbers side by side ("656198382 893778392",
            # the cells of a space-aligned table) are no card
            found = [(0, len(run))]
        for s, e in found:
            yield m.start() + s, m.start() + e
    if "@" in text:
        for m in _GLUED_TO_DOMAIN.finditer(text):
            if ok(m.group(1)):
                yield m.span(1)
    if "." in text:
        for m in _DOTTED_CARD.finditer(text):
            if ok(m.group().replace(".", " ")):  # the checks read spaces and dashes as separators
                yield m.span()


def _unlisted_ok(value: str) -> bool:
    # 13-19 digits (a 12-digit Luhn pass is too common among order and phone numbers), or a
    # 12-digit Maestro: one random 12-digit id in eighty passes its prefix and Luhn, so it
    # is a card only next to a card word
    n = len(digits_only(value))
    if n == 12:
        return card_ok(value)
    return 13 <= n <= 19 and card_brand(value) is None and luhn_ok(value)


def _listed_ok(value: str) -> bool:
    return len(digits_only(value)) >= 13 and card_ok(value)


def _unlisted_cards(text: str, taken: Sequence[Finding]) -> Iterator[Span]:
    # digits of a listed card are never re-read as part of an unlisted one
    cards = [(f.start, f.end) for f in taken if f.label == "CREDIT_CARD"]
    for s, e in _cards(text, taken, _unlisted_ok):
        if not any(s < ce and cs < e for cs, ce in cards):
            yield s, e


def _cards_in_run(run: str, ok: Callable[[str], bool] = card_ok) -> list[tuple[int, int]]:
    """Luhn-valid cards among contiguous digit groups of a run, as offsets into it.

    Left to right, the longest valid card starting at each group wins. Separators must
    be one kind (all spaces or all dashes) inside a card, and grouped numbers need
    groups of 3-6 digits (the last may have up to 7), which is how every scheme prints
    them; so a card spans at most a handful of groups and the scan is linear.
    """
    bounds: list[tuple[int, int]] = []
    seps: list[str] = []
    start = 0
    for i, ch in enumerate(run):
        if ch in " -":
            bounds.append((start, i))
            seps.append(ch)
            start = i + 1
    bounds.append((start, len(run)))
    n = len(bounds)
    out: list[tuple[int, int]] = []
    cands: list[tuple[int, int]] = []
    i = 0
    while i < n:
        best_j = -1
        total = 0
        for j in range(i, n):
            size = bounds[j][1] - bounds[j][0]
            total += size
            if total > 19 or (j > i and seps[j - 1] != seps[i]):
                break
            shape_ok = size >= 12 if j == i else size <= 7
            if shape_ok and total >= 12 and ok(run[bounds[i][0] : bounds[j][1]]):
                best_j = j
            if not 3 <= size <= 6:
                break  # only a 3-6 digit group can be followed by another group of the card
        if best_j >= 0:
            cands.append((i, best_j))
            i = best_j + 1
        else:
            i += 1
    # A grouped card must not be the head or tail of a longer, uniformly grouped number:
    # in "4943 6406 7294 8786" (Luhn-invalid) the last 12 digits happen to pass Luhn with a
    # card prefix, but they are part of one 16-digit id. Groups joined to the card by the
    # same separator must themselves belong to a card (two cards pasted back to back).
    # Only a neighbour group as long as the card's own edge group continues the grouping:
    # "4111 1111 1111 1111 0" or "... 1111 12/28" is a card followed by another number.
    covered = {g for a, b in cands for g in range(a, b + 1)}

    def size(g: int) -> int:
        return bounds[g][1] - bounds[g][0]

    for a, b in cands:
        if b > a:
            sep = seps[a]
            if (a > 0 and seps[a - 1] == sep and a - 1 not in covered and size(a - 1) == size(a)) or (
                b < n - 1 and seps[b] == sep and b + 1 not in covered and size(b + 1) == size(b)
            ):
                continue
        out.append((bounds[a][0], bounds[b][1]))
    return out


CREDIT_CARD = Recognizer(
    "credit_card", "CREDIT_CARD", None, 0.95,
    (
        "credit", "card", "visa", "mastercard", "amex", "american express", "discover", "cc",
        "debit", "cvv", "karte", "carte", "tarjeta", "carta", "pan",
    ),
    find=_cards, validator_name="luhn", validated=True, shields_phones=True, needs_digit=True,
)  # fmt: skip

# A Luhn-valid number whose prefix is in no scheme of the IIN table, next to a card word.
# The table trails the schemes in use (RuPay 81/82, Verve, Troy, UzCard, Humo and the ranges
# every scheme adds), and test-data generators (Faker's "JCB" 35xx) draw outside it; with
# "card" written just before it, a Luhn pass is a card the table does not know, not chance.
# Without the word it stays unreported: one random 16-digit id in ten passes Luhn.
CREDIT_CARD_UNLISTED = Recognizer(
    "credit_card_unlisted", "CREDIT_CARD", None, 0.8,
    (
        "credit card", "debit card", "card number", "card no", "card", "cc", "karte", "carte", "tarjeta",
        "carta", "cartão", "kaart", "karta", "карта", "カード", "卡",
        # Arabic, Persian, Hindi, Bengali, Thai (s34 qa_scripts H5: RuPay 81xx cards passed)
        "بطاقة", "البطاقة", "کارت", "कार्ड", "কার্ড", "บัตร",
    ),
    find=_unlisted_cards, validator_name="luhn", validated=True, context_required=True, shields_phones=True,
    needs_digit=True, after=True,
)  # fmt: skip

# a space after an upper-case country code is how some print it ("DE 89 3704 0044 ..."); the
# grouping check reads the rest as irregular spacing
_IBAN = re.compile(r"(?<![A-Za-z0-9])(?:[A-Za-z]{2}|[A-Z]{2} )[0-9]{2}(?:[ \-]?[A-Za-z0-9]){11,30}")


def _ibans(text: str, _taken: Sequence[Finding]) -> Iterable[Span]:
    # The candidate pattern over-matches into whatever follows (often the next IBAN),
    # so the scan resumes where the accepted IBAN ends, or one character after a
    # rejected start, never after the whole candidate. A candidate is at most ~64
    # characters, so restarting keeps the scan linear.
    def step(m: re.Match[str]) -> tuple[Iterable[Span], int]:
        spans = _iban_chain(text, m.start())
        return spans, spans[-1][1] if spans else m.start() + 1

    return rescan(_IBAN, text, step)


# The same shape without the left boundary: the next IBAN of a glued chain.
_IBAN_AT = re.compile(r"(?:[A-Za-z]{2}|[A-Z]{2} )[0-9]{2}(?:[ \-]?[A-Za-z0-9]){11,30}")
_MAX_IBAN_CHAIN = 8


def _iban_at(text: str, start: int) -> int | None:
    """End of the checksum-valid IBAN starting at ``start`` (right boundary unchecked)."""
    m = _IBAN_AT.match(text, start)
    if m is None:
        return None
    run = m.group()
    expected = IBAN_LENGTHS.get(run[:2].upper())
    if expected is None:
        return None
    end = _iban_end(run, expected)
    if end is None or not iban_ok(run[:end]):
        return None
    return start + end


def _iban_chain(text: str, start: int) -> list[tuple[int, int]]:
    """Valid IBANs from ``start``: one ending at a word boundary, or several glued
    back to back ("DE89...3000GB29...") each valid. An IBAN followed by other letters
    or digits is a prefix of a longer token, not an IBAN."""
    spans: list[tuple[int, int]] = []
    s = start
    while len(spans) < _MAX_IBAN_CHAIN:
        e = _iban_at(text, s)
        if e is None:
            return []
        spans.append((s, e))
        if e >= len(text) or not text[e].isalnum():
            return spans
        s = e
    return []


def _iban_end(run: str, expected: int) -> int | None:
    """Offset in ``run`` just after its ``expected``-th alphanumeric character, when the
    spacing is the printed 4-character grouping (or none), by spaces or by dashes (online
    banking exports write "DE89-3704-..."), one separator throughout.

    Slicing, not a character loop: the scan tries a candidate at every "CCdd" after a
    separator, so this runs up to once per five characters of hostile input.
    """
    head = run[:expected]
    if len(head) == expected and " " not in head and "-" not in head:
        return expected
    sep = run[4:5]
    if sep not in (" ", "-"):
        # "DE8937 0400 ...": a first group longer than four, spaces elsewhere
        return _irregular_end(run, expected) if " " in run[: expected + 8] else None
    spaces = (expected - 1) // 4
    end = expected + spaces
    head = run[:end]
    if len(head) < end or head.count(sep) != spaces or head[4::5].strip(sep):
        return _irregular_end(run, expected) if sep == " " else None
    if ("-" if sep == " " else " ") in head:
        return None
    return end


def _irregular_end(run: str, expected: int) -> int | None:
    """Offset after ``expected`` alphanumerics separated by single spaces anywhere ("GB82
    WEST1234 5698 7654 32": an invisible separator removed, a typo); mod-97 still decides."""
    n = i = 0
    while i < len(run) and n < expected:
        if run[i].isalnum():
            n += 1
        elif run[i] != " " or run[i - 1] == " ":
            return None
        i += 1
    return i if n == expected else None


IBAN = Recognizer(
    "iban", "IBAN_CODE", None, 0.95,
    ("iban", "bank", "account", "acct", "konto", "compte", "cuenta", "conto", "sepa", "transfer", "wire"),
    find=_ibans, validator_name="mod97", validated=True, shields_phones=True, needs_digit=True,
)  # fmt: skip
