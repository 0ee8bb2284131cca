"""Regex + checksum PII recognizers: the detector that always runs.

:class:`RegexPIIDetector` composes the built-in recognizers of
:mod:`bastion.detectors.rules` (one :class:`~bastion.detectors.recognizers.Recognizer`
per family: e-mail, URL, MAC, API keys, JWT, PEM keys, passwords, dates of birth, cards,
IBANs, SSNs, IPs, national / bank / crypto identifiers, cloud secrets), any ``custom``
ones from the config, and last the phone recognizer, which reads every other finding.
Overlaps are resolved with :func:`bastion.merge.merge_findings` without joins, so the
Guard's own merge receives disjoint findings.

Each recognizer has a pattern (or a ``find`` hook) with a base score; a context word (``"ssn"``,
``"iban"``, ``"born"``...) within ``context_window`` characters before a match raises
the score by a fixed boost, capped at 1.0, the way Presidio's context enhancer does.
Values with a checksum or structural validator (Luhn, mod-97, SSN rules, phonenumbers)
are reported with ``validated=True`` so they win overlap resolution. A few weak
patterns (bare nine-digit SSNs, dates of birth) only fire with a context word.

All patterns are bounded or anchored on a left-boundary look-behind so that a scan is
linear in the text length: no input (a megabyte of digits, ``"a@"`` or dots) can make
them backtrack catastrophically (``tests/test_redos.py``).

>>> det = RegexPIIDetector()
>>> [(f.label, f.start, f.end, f.validated) for f in det.detect(["card 4111 1111 1111 1111"])[0]]
[('CREDIT_CARD', 5, 24, True)]
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from bastion.detectors.escapes import decode_escapes
from bastion.detectors.recognizers import (
    ANY_DIGIT,
    DEFAULT_CONTEXT_WINDOW,
    Recognizer,
    _Rows,
    custom_recognizer,
)
from bastion.detectors.rules import RECOGNIZERS, RULE_LABELS
from bastion.detectors.rules.contact import URL, URL_SCHEME
from bastion.detectors.rules.phone import (
    DEFAULT_MAX_PHONE_CALLS,
    DEFAULT_REGIONS,
    PHONE_LABEL,
    check_regions,
    phone_recognizer,
)
from bastion.errors import ConfigError, InputError
from bastion.merge import merge_split
from bastion.normalize import Normalized
from bastion.types import PII, Finding

# the built-in recognizers under their older name
BUILTIN_RECOGNIZERS = RECOGNIZERS


class RegexPIIDetector:
    """Regex + checksum recognizers for structured PII and secrets.

    ``regions``: phone-number regions (ISO 3166 codes as phonenumbers spells them, so
    ``GB`` not ``UK``); numbers in international ``+CC`` form are found regardless.
    ``labels``: the subset of :data:`RULE_LABELS` to report (default: all).
    ``context_window``: how many characters before a match are searched for context
    words (0 disables context, and with it the context-only patterns).
    ``max_phone_calls``: cap on phonenumbers matcher calls per text (None: no cap);
    phone numbers past the cap in one huge text are not reported.
    ``custom``: extra recognizers from configuration, each a mapping as
    :func:`~bastion.detectors.recognizers.custom_recognizer` reads it; their labels are
    always reported.

    >>> det = RegexPIIDetector(labels=["EMAIL_ADDRESS", "US_SSN"])
    >>> [(f.label, f.score) for f in det.detect(["ssn 078-05-1121, write to jo@example.org"])[0]]
    [('US_SSN', 1.0), ('EMAIL_ADDRESS', 0.9)]
    >>> det = RegexPIIDetector(custom=[{"name": "employee_id", "label": "EMPLOYEE_ID", "regex": r"EMP-\\d{6}"}])
    >>> [f.label for f in det.detect(["badge EMP-004211"])[0]]
    ['EMPLOYEE_ID']
    """

    name = "regex"
    category = PII
    version = "2"
    kind = "rules"
    # Fold look-alike letters only where a spoof is plausible (a Latin word with a Cyrillic
    # "а"): the full fold turns Russian/Greek context words into mixed-script strings
    # ("паспорт" -> "пacпopt") that no context phrase matches.
    homoglyphs = "mixed"

    def __init__(
        self,
        regions: Sequence[str] | None = None,
        labels: Sequence[str] | None = None,
        context_window: int = DEFAULT_CONTEXT_WINDOW,
        max_phone_calls: int | None = DEFAULT_MAX_PHONE_CALLS,
        custom: Sequence[Mapping[str, Any]] | None = None,
    ) -> None:
        self.regions: tuple[str, ...] = check_regions(regions)
        labels = _known_labels(labels)
        if isinstance(context_window, bool) or not isinstance(context_window, int) or context_window < 0:
            raise ConfigError(f"context_window must be a non-negative int, got {context_window!r}")
        if max_phone_calls is not None and (
            isinstance(max_phone_calls, bool) or not isinstance(max_phone_calls, int) or max_phone_calls < 0
        ):
            raise ConfigError(f"max_phone_calls must be a non-negative int or None, got {max_phone_calls!r}")
        phone = phone_recognizer(self.regions, max_phone_calls)
        self.context_window = context_window
        self.max_phone_calls = max_phone_calls
        self.custom: tuple[Recognizer, ...] = _custom_recognizers(custom)
        self.labels: frozenset[str] = frozenset(labels) | {r.label for r in self.custom}
        self.recognizers: tuple[Recognizer, ...] = (*RECOGNIZERS, *self.custom, phone)
        # One pass finds which context words of the context-only recognizers occur at all
        # (a word found also vouches for the shorter words inside it: "ssn" for "ss").
        words = sorted(
            {w for r in self.recognizers if r.context_required for w in r.context_literals},
            key=len,
            reverse=True,
        )
        self._gate = re.compile("|".join(re.escape(w) for w in words)) if words else None
        self._gate_closure = {w: frozenset(x for x in words if x in w) for w in words}
        # The labels are fixed, so which recognizers run is too: the reported ones, and
        # (phones on) the ones whose spans a phone reading must not take.
        phones = PHONE_LABEL in self.labels
        self._active: tuple[Recognizer, ...] = tuple(
            r for r in self.recognizers if r.label in self.labels or (phones and r.shields_phones)
        )

    def __repr__(self) -> str:
        return f"RegexPIIDetector(regions={list(self.regions)}, labels={sorted(self.labels)}, context_window={self.context_window})"

    def detect(self, texts: Sequence[str]) -> list[list[Finding]]:
        """Findings for each text, overlaps resolved, sorted by start.

        >>> RegexPIIDetector().detect(["no pii here", "ip 10.0.0.1"])[1][0].label
        'IP_ADDRESS'
        """
        if isinstance(texts, str | bytes):
            raise InputError("detect takes a sequence of texts, not a single text")
        out: list[list[Finding]] = []
        for i, text in enumerate(texts):
            if not isinstance(text, str):
                raise InputError(f"text {i} must be str, got {type(text).__name__}")
            out.append(self._detect_one(text))
        return out

    def _detect_one(self, text: str) -> list[Finding]:
        decoded = decode_escapes(text)
        base = text if decoded is None else decoded.text
        folded = rule_view(base)
        view = base if folded is None else folded.text
        glued = _split_glued_abbreviations(view)
        if decoded is None and folded is None and glued is None:
            return self._detect_plain(text)
        # escaped text (JSON strings, HTML entities, %XX): read the decoded characters, as
        # the rules' view writes them, and map each finding back over what it came from
        found = [f for f in self._detect_plain(view) if decoded is None or f.label != URL.label]
        if glued is not None:
            # "No4111...", "TEL03-...": the number is read again with the abbreviation set
            # apart; only what starts at such a number is taken from that reading, since the
            # view as written is what a password ("password: No12345678") is read in
            split, numbers = glued
            found += [
                f.shifted(*split.to_original(f.start, f.end))
                for f in self._detect_plain(split.text)
                if f.start in numbers and f.label != URL.label
            ]
        if decoded is not None and URL in self._active:
            # URLs as written: a decoded "%20" would end one at the space ("?name=Jane%20Doe").
            # A URL whose scheme or leading "//" only decoding writes ("https:\/\/evil.com",
            # "https&#58;//evil.com", "\/\/evil.com", "/&#9;/evil.com") is read in the decoded
            # view, as a whole container (the plain pass above split it around what it holds).
            found += [
                f
                for f in URL.scan(view, window=self.context_window, detector=self.name)
                if _DECODED_URL_START.match(view, f.start)
            ]
        out = []
        for f in found:
            start, end = (f.start, f.end) if folded is None else folded.to_original(f.start, f.end)
            if decoded is not None:
                start, end = decoded.to_original(start, end)
            out.append(f if (start, end) == (f.start, f.end) else f.shifted(start, end))
        if decoded is not None and URL in self._active:
            out += URL.scan(text, window=self.context_window, detector=self.name)
        return _resolve(out, text)

    def _detect_plain(self, text: str) -> list[Finding]:
        window = self.context_window
        words: set[str] = set()
        if window and self._gate is not None:
            for w in set(self._gate.findall(text.lower())):
                words |= self._gate_closure[w]
        has_digit = ANY_DIGIT.search(text) is not None
        found: list[Finding] = []
        # the table lines' memo, shared by the recognizers for this call only
        rows = _Rows(text)
        for rec in self._active:
            if rec.may_match(text, window, has_digit, words):
                found += rec.findings(
                    text, window=window, detector=self.name, taken=found if rec.after else (), rows=rows
                )
        return _resolve([f for f in found if f.label in self.labels], text)


# how a URL read in the decoded view starts for it to count: a scheme (browsers drop a tab or
# newline inside it, "ht&#9;tps:") or a protocol-relative "//" ("www." ones are read as written)
_DECODED_URL_START = re.compile(rf"(?i){URL_SCHEME}|[\\/]")

# An abbreviation glued to the number it introduces: "No4111...", "Nr12345", "nº12345678Z",
# "Tel+44...", and what NFKC makes of "№", "℡" and "℻" ("No", "TEL", "FAX"). Every number
# rule refuses a number right after a letter, so the number is read once more with the
# abbreviation apart.
# (The first look-ahead lets the engine skip to the letters such an abbreviation starts with.)
_GLUED_ABBREVIATION = re.compile(
    r"(?<![A-Za-z0-9_])(?i:n[or]|n[º°]|tel|fax)(?=\+?[0-9])"
    # glued to the word it abbreviates ("CardNo4111...", "AcctNo..."), and longer labels
    # before a long number only ("Mob07700900123", "SSN123-45-6789"; not "pH7", "NO2")
    r"|(?<=[a-z])N[or](?=\+?[0-9])"
    r"|(?<![A-Za-z0-9_])(?i:nro|num|mob|ph|tfn|tlf|fon|ssn|acct|card)(?=\+?[0-9]{6}|[0-9]{3}-[0-9]{2}-)"
)


def _split_glued_abbreviations(view: str) -> tuple[Normalized, frozenset[int]] | None:
    """``view`` with a space between each glued abbreviation and its number, and where those
    numbers start in it; None when it has none.

    >>> split, numbers = _split_glued_abbreviations("card No4111")
    >>> split.text, sorted(numbers), split.to_original(8, 12)
    ('card No 4111', [8], (7, 11))
    """
    cuts = [m.end() for m in _GLUED_ABBREVIATION.finditer(view)]
    if not cuts:
        return None
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    numbers: set[int] = set()
    pos = 0
    for cut in [*cuts, len(view)]:
        out.append(view[pos:cut])
        starts.extend(range(pos, cut))
        ends.extend(range(pos + 1, cut + 1))
        if cut < len(view):
            # the space stands for the abbreviation's last character: it is never a value's edge
            out.append(" ")
            starts.append(cut - 1)
            ends.append(cut)
            numbers.add(len(starts))
        pos = cut
    return Normalized(view, "".join(out), tuple(starts), tuple(ends)), frozenset(numbers)


# Dashes a number is printed with besides "-": the non-breaking hyphen LLMs print inside
# numbers (U+2011), hyphen, figure/en/em dashes, the minus sign, small and full-width forms,
# the hyphen bullet, the modifier and heavy minus, two- and three-em dashes, vertical forms.
_DASHES = frozenset(
    "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d\u2043\u02d7\u2796\u2e3a\u2e3b\ufe31\ufe32"
)
# Marks read as "-" only between two digits, where they separate a number's groups: the
# katakana long-vowel mark a Japanese IME types for "-" ("090ー1234ー5678"; NFKC turns the
# half-width U+FF70 into it) and the middle dots ("03・1234・5678", "·", "‧", "∙", "⋅"),
# which inside words are letters or punctuation of their own ("カード", "l·l").
# the wave dashes too ("090〜1234〜5678", "4111～1111～..."; s34 qa_verify2 M3)
_DIGIT_DASHES = frozenset("\u30fc\uff70\u30fb\uff65\u00b7\u2027\u2219\u22c5\u30a0\u301c\uff5e")
# Full stops read as "." between ASCII letters or digits, and before an ASCII label after an
# "@": the ideographic full stop (a Japanese IME types it for ".", and UTS #46 reads it as
# the label dot: "jane@example。com", "192。168。1。23"), its half-width form (NFKC makes it
# U+3002) and the full-width one. The Arabic decimal separator U+066B between digits
# ("١٩٢٫١٦٨٫١٫٢٣"); not the thousands separator U+066C, which groups prices.
_FULL_STOPS = frozenset("\u3002\uff61\uff0e")
_ARABIC_DECIMAL = "\u066b"
_MARK_CATEGORIES = frozenset(("Mn", "Me", "Mc"))
# Markdown emphasis underscores at a word's edge ("_4111 1111 1111 1111_", "_jane@x.org_"):
# the rules treat "_" as part of a word, so the value inside was never read
_EMPHASIS = re.compile(
    r"(?:(?<=[\s(\[{\"'*])|^)_+(?=[A-Za-z0-9])|(?<=[A-Za-z0-9.])_+(?=[\s)\]}\"'*.,;:!?]|$)"
)


# Two or three spaces or tabs between digits: groups of a number pasted from a table
_DIGIT_GAP = re.compile(r"(?<=[0-9])(?:\t[ \t]{0,2}| [ \t]{1,2})(?=[0-9])")


def _between_digits(text: str, i: int) -> bool:
    """Whether the run of spaces and tabs around ``i`` has a digit on both sides (at most 3 long)."""
    a = i
    while a > 0 and text[a - 1] in " \t" and i - a < 3:
        a -= 1
    b = i + 1
    while b < len(text) and text[b] in " \t" and b - i < 3:
        b += 1
    return a > 0 and text[a - 1].isdigit() and b < len(text) and text[b].isdigit()


# the longest digit group a number is printed in (cards, IBANs, SSNs: 2-6)
_MAX_PRINTED_GROUP = 6


# the longest run of digit groups and gaps a grouped number spans (19 digits, 8 gaps of 3)
_MAX_GROUPED_RUN = 48


def _luhn(digits: str) -> bool:
    total = 0
    for k, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if k % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def _groups_of_one_number(text: str, i: int) -> bool:
    """Whether the gap at ``i`` sits inside the digit groups of one printed number: the run of
    digit groups around it (split by gaps of 1-3 spaces or tabs) is grouped as a card
    (4-4-4-4, 4-6-5: 13-19 digits passing Luhn), an IBAN's body ("DE89\\t3704\\t..."), an SSN
    (3-2-4) or a phone (3-3-4 / 1-3-3-4, "+" and a country code, or a trunk "0" start).
    Other digit cells of a TSV row ("41\\t19984\\t304653") or of a space-aligned table
    ("0    41  19984") are separate values, not one number."""
    a = i
    while a > 0 and (text[a - 1].isdigit() or (text[a - 1] in " \t" and _between_digits(text, a - 1))):
        a -= 1
        if i - a > _MAX_GROUPED_RUN:
            return False
    b = i
    while b < len(text) and (text[b].isdigit() or (text[b] in " \t" and _between_digits(text, b))):
        b += 1
        if b - a > _MAX_GROUPED_RUN:
            return False
    groups = re.findall(r"[0-9]+", text[a:b])
    sizes = [len(g) for g in groups]
    digits = "".join(groups)
    if len(groups) < 2 or max(sizes) > _MAX_PRINTED_GROUP:
        return False
    before = text[max(0, a - 2) : a]
    if (
        13 <= len(digits) <= 19
        and _luhn(digits)
        and (
            (sizes[0] == 4 and all(n == 4 for n in sizes[1:-1]) and sizes[-1] <= 4)
            or sizes in ([4, 6, 5], [4, 6, 4])
        )
    ):
        return True  # a card
    if len(before) == 2 and before.isalpha() and before.isupper() and sizes[0] == 2 and len(groups) >= 3:
        return all(n == 4 for n in sizes[1:-1]) and sizes[-1] <= 4  # an IBAN's digits
    if sizes in ([3, 2, 4], [3, 3, 4], [1, 3, 3, 4]):
        return True  # an SSN, a North American phone
    if before[-1:] == "+":
        return 8 <= len(digits) <= 15  # an international phone
    return digits[0] == "0" and sizes[0] >= 2 and min(sizes) >= 2 and 9 <= len(digits) <= 12


def _between(text: str, i: int, test: Callable[[str], bool]) -> bool:
    """Whether the characters right before and after ``i`` both pass ``test``."""
    return 0 < i < len(text) - 1 and test(text[i - 1]) and test(text[i + 1])


def _ascii_alnum(ch: str) -> bool:
    return ch.isdecimal() or (ch.isascii() and ch.isalpha())


# how far back a full stop looks for the "@" of the address it may be inside
_LABEL_REACH = 64


def _reads_as_dot(text: str, i: int) -> bool:
    """Whether the full stop at ``i`` is a dot of a number, a host or an address (see
    :data:`_FULL_STOPS`): digits on both sides; ASCII letters or digits on both sides in a
    token with no "." yet ("jane@example。com"; in "jane@example.com。Thanks" it ends the
    sentence); an ASCII label after it and one label of an address's domain before it
    ("jane@例え。jp"). A full stop ending a Chinese or Japanese sentence has none of these."""
    if _between(text, i, str.isdecimal):
        return True
    if not (0 < i < len(text) - 1 and _ascii_alnum(text[i + 1]) and text[i - 1].isalnum()):
        return False
    a = i
    while a > 0 and i - a < _LABEL_REACH and not text[a - 1].isspace():
        a -= 1
    token = text[a:i]
    if "." in token:
        return False
    if _ascii_alnum(text[i - 1]):
        return True
    at = token.rfind("@")
    return at >= 0 and all(
        c.isalnum() or c == "-" or unicodedata.category(c) in _MARK_CATEGORIES for c in token[at + 1 :]
    )


def rule_view(text: str) -> Normalized | None:
    """The text the rules read, or None when it is ``text`` itself: what the shared
    normalisation leaves for the models, made plain for patterns of ASCII digits, "-" and
    words. Combining marks on ASCII letters and digits are dropped (strike-through
    "4\u0336", keycap "4\ufe0f\u20e3", one accent on a key's letter); Unicode dashes read as "-",
    and between digits so do the katakana long-vowel mark and middle dots (:data:`_DIGIT_DASHES`);
    ideographic and Arabic decimal full stops read as "." where they are one (:data:`_FULL_STOPS`);
    invisible characters and other scripts' digits that escapes decoded after the
    normalisation are read as it reads them; emphasis underscores read as spaces. Each
    character maps back to the span it came from (a dropped mark widens its base's).

    >>> v = rule_view("card 4\u03361\u03361\u03361\u0336\u20111111")
    >>> v.text, v.to_original(5, 14)
    ('card 4111-1111', (5, 18))
    >>> rule_view("plain ascii") is None, rule_view("_4111 1111_").text
    (True, ' 4111 1111 ')
    """
    emphasis = "_" in text and _EMPHASIS.search(text) is not None
    gaps = _DIGIT_GAP.search(text) is not None
    if text.isascii() and not emphasis and not gaps:
        return None
    from bastion.normalize import _DECORATION, _INVISIBLE, _ends_digit_group, _group_separator

    blank = {i for m in _EMPHASIS.finditer(text) for i in range(*m.span())} if emphasis else set()
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    changed = bool(blank)
    for i, ch in enumerate(text):
        if (
            gaps
            and ch in " \t"
            and out
            and out[-1] in " \t"
            and out[-1] != ""
            and _between_digits(text, i)
            and _groups_of_one_number(text, i)
        ):
            ends[-1] = i + 1  # a second space (or tab) of a gap inside a number: one separator
            changed = True
            continue
        if ch.isascii():
            if ch == "\t" and gaps and _between_digits(text, i) and _groups_of_one_number(text, i):
                ch, changed = " ", True  # a tab between digit groups (spreadsheet copy-paste)
            out.append(" " if i in blank else ch)
        elif ord(ch) in _INVISIBLE:
            changed = True
            if text[i + 1 : i + 2].isalpha() and _ends_digit_group(out):
                out.append(" ")
            elif text[i + 1 : i + 2].isdigit() and (sep := _group_separator(out)) is not None:
                out.append(sep)  # "4111 1111 1111 1111\u200b123": the card's own separator
            else:
                if ends:
                    ends[-1] = i + 1
                continue
        elif (
            unicodedata.category(ch) in _MARK_CATEGORIES
            and out
            and out[-1].isascii()
            and (out[-1].isalnum() or ord(ch) in _DECORATION)
        ):
            changed = True
            ends[-1] = i + 1
            continue
        elif ch in _DASHES or (ch in _DIGIT_DASHES and _between(text, i, str.isdecimal)):
            changed = True
            out.append("-")
        elif (ch in _FULL_STOPS and _reads_as_dot(text, i)) or (
            ch == _ARABIC_DECIMAL and _between(text, i, str.isdecimal)
        ):
            changed = True
            out.append(".")
        elif ch.isdecimal():
            changed = True
            out.append(str(unicodedata.decimal(ch)))
        else:
            out.append(ch)
        starts.append(i)
        ends.append(i + 1)
    if not changed:
        return None
    return Normalized(text, "".join(out), tuple(starts), tuple(ends))


def _known_labels(labels: Sequence[str] | str | None) -> Sequence[str]:
    labels = RULE_LABELS if labels is None else [labels] if isinstance(labels, str) else labels
    unknown = [lb for lb in labels if lb not in RULE_LABELS]
    if unknown:
        raise ConfigError(f"regex detector cannot produce {unknown}; it knows {list(RULE_LABELS)}")
    return labels


def _custom_recognizers(custom: Sequence[Mapping[str, Any]] | None) -> tuple[Recognizer, ...]:
    if custom is None:
        return ()
    if isinstance(custom, str | bytes) or not isinstance(custom, Sequence):
        raise ConfigError(f"pii_regex custom: a list of recognizers, got {type(custom).__name__}")
    extra = tuple(custom_recognizer(spec, f"custom[{i}]") for i, spec in enumerate(custom))
    taken = {r.name for r in RECOGNIZERS} | {"phone"}
    for i, r in enumerate(extra):
        if r.name in taken:
            raise ConfigError(f"pii_regex custom[{i}] ({r.name}): the name is already used")
        taken.add(r.name)
    return extra


def _resolve(found: list[Finding], text: str) -> list[Finding]:
    """Disjoint findings sorted by start: each cluster of overlapping spans merged alone.

    Without joins (``joinable=()``: two e-mails one space apart stay two findings), only
    overlapping findings interact, so merging each cluster on its own gives the same
    answer in linear time (a 1 MB text with 30k hits should not pay for one big sort
    per hit).
    """
    if len(found) < 2:
        return found
    ordered = sorted(found, key=lambda f: (f.start, f.end))
    out: list[Finding] = []
    cluster: list[Finding] = []
    reach = -1
    for f in [*ordered, None]:
        if f is None or (cluster and f.start >= reach):
            if len(cluster) == 1:
                out.append(cluster[0])
            elif cluster:
                out += merge_split(cluster, text)
            cluster, reach = [], -1
        if f is not None:
            cluster.append(f)
            reach = max(reach, f.end)
    return out


__all__ = ["BUILTIN_RECOGNIZERS", "DEFAULT_REGIONS", "RULE_LABELS", "RegexPIIDetector", "Recognizer"]
