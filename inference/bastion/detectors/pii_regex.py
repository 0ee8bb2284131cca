"""Regex + checksum PII recognizers: the detector that always runs.

The detector composes one :class:`~bastion.detectors.recognizers.Recognizer` per family:
:data:`CORE_RECOGNIZERS` here (e-mail, URL, MAC, API keys, JWT, PEM keys, password
assignments, dates of birth, cards, IBANs, SSNs, IPs), the national / bank / crypto
identifiers and secrets of :mod:`bastion.detectors.recognizers`, any ``custom`` ones from
the config, and last the phone recognizer, which reads every other finding. Overlaps
are resolved with :func:`bastion.merge.merge_findings` without joins.

Each recognizer has a pattern (or a ``find`` hook) with a base score; a context word (``"ssn"``,
``"iban"``, ``"born"``...) within ``context_window`` characters before a match raises
the score by a fixed boost, capped at 1.0, the way Presidio's context enhancer does.
Values with a checksum or structural validator (Luhn, mod-97, SSN rules, phonenumbers)
are reported with ``validated=True`` so they win overlap resolution. A few weak
patterns (bare nine-digit SSNs, dates of birth) only fire with a context word.

All patterns are bounded or anchored on a left-boundary look-behind so that a scan is
linear in the text length: no input (a megabyte of digits, ``"a@"`` or dots) can make
them backtrack catastrophically.

>>> det = RegexPIIDetector()
>>> [(f.label, f.start, f.end, f.validated) for f in det.detect(["card 4111 1111 1111 1111"])[0]]
[('CREDIT_CARD', 5, 24, True)]
"""

from __future__ import annotations

import bisect
import ipaddress
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from types import MappingProxyType
from typing import Any

import phonenumbers
from phonenumbers import Leniency, PhoneNumberMatcher

from bastion.detectors.recognizers import (
    CONN_STRING_USER_BEFORE,
    CONTEXT_BOOST,
    DEFAULT_CONTEXT_WINDOW,
    NATIONAL_ID_RECOGNIZERS,
    SECRET_RECOGNIZERS,
    Recognizer,
    Span,
    custom_recognizer,
)
from bastion.detectors.validators import (
    IBAN_LENGTHS,
    card_ok,
    date_ok,
    digits_only,
    iban_ok,
    jwt_ok,
    looks_like_secret,
    shannon_entropy,
    ssn_ok,
)
from bastion.errors import ConfigError, InputError
from bastion.merge import merge_findings
from bastion.types import PII, Finding

DEFAULT_REGIONS: tuple[str, ...] = ("US", "GB", "DE", "FR", "ES", "IT", "NL", "IN", "BR", "CA", "AU")
# phonenumbers' matcher is pure Python (~0.1 ms a call); this caps the calls per text so
# a megabyte of phone-shaped digits stays well under a second. Real texts need one call
# per phone number.
DEFAULT_MAX_PHONE_CALLS = 256

# Words that, shortly before a match, make it more likely to be what the pattern says.
# Matched case-insensitively at a word start (so "ssn#" and "phonenumber" count, "hotel"
# does not count as "tel").
CONTEXT_WORDS: MappingProxyType[str, tuple[str, ...]] = MappingProxyType(
    {
        "EMAIL_ADDRESS": ("email", "e-mail", "mail", "contact", "courriel", "correo"),
        "PHONE_NUMBER": (
            "phone", "telephone", "tel", "mobile", "cell", "call", "fax", "contact", "dial",
            "my number", "number is", "reach me", "text me", "sms",
            "whatsapp", "handy", "telefon", "téléphone", "teléfono", "telefono", "telefoon",
            "portable", "móvil", "movil", "ph", "mob",
        ),
        "US_SSN": ("ssn", "ssns", "social security", "social sec", "ss#", "ss #", "ssid", "ss number"),
        "CREDIT_CARD": (
            "credit", "card", "visa", "mastercard", "amex", "american express", "discover", "cc",
            "debit", "cvv", "karte", "carte", "tarjeta", "carta", "pan",
        ),
        "IBAN_CODE": ("iban", "bank", "account", "acct", "konto", "compte", "cuenta", "conto", "sepa", "transfer", "wire"),
        "IP_ADDRESS": ("ip", "ipv4", "ipv6", "address", "addr", "host", "server", "client", "from", "gateway"),
        "URL": ("url", "link", "website", "site", "visit", "href", "page"),
        "MAC_ADDRESS": ("mac", "hardware", "ethernet", "wifi", "wi-fi", "bssid", "device", "nic"),
        "API_KEY": ("key", "token", "secret", "api", "credential", "auth", "bearer"),
        "PRIVATE_KEY": (),
        "PASSWORD": (),
        "DATE_OF_BIRTH": (
            "born", "birth", "birthday", "birthdate", "dob", "d.o.b", "b-day", "bday",
            "date of birth", "geb.", "geboren", "geburtsdatum", "geburtstag", "né le", "née le",
            "né", "née", "date de naissance", "naissance", "fecha de nacimiento", "nacimiento",
            "nacido", "nacida", "data di nascita", "nato", "nata", "geboortedatum", "geboren op",
        ),
    }
)  # fmt: skip

# Base scores. Checksum-validated values score >= 0.95; patterns that need a context
# word to fire at all get their score only with that word present.
_S_EMAIL = 0.9
_S_PHONE = 0.75
# National numbers under 8 digits (street numbers, codes) or written as a bare digit
# string (order and reference numbers) are phones only with a context word nearby.
_S_PHONE_WEAK = 0.45
_S_SSN_DASHED = 0.85
_S_SSN_SPACED = 0.5
_S_SSN_BARE = 0.6
_S_CARD = 0.95
_S_IBAN = 0.95
_S_IPV4 = 0.8
_S_IPV6 = 0.85
_S_URL = 0.6
_S_MAC = 0.8
_S_API_KEY = 0.95
_S_API_KEY_GENERIC = 0.85
_S_PRIVATE_KEY = 1.0
_S_PASSWORD = 0.8
_S_DOB = 0.85

# --- patterns (module-level compiled constants: immutable, compiled on first import of
# this module only, which the detector factory imports lazily) ------------------------

_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9][A-Za-z0-9._%+\-]{0,63}@"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.){1,8}[A-Za-z]{2,24}(?![A-Za-z0-9\-])"
)

# A run of characters a phone number is written with; the matcher then segments it.
# A maximal stretch of phone characters, and the run of it one matcher call reads.
_PHONE_REGION = re.compile(r"(?<![\w+(.\-])[+(]{0,2}[0-9][0-9 \t\u00a0().\-/]{4,}[0-9]\)?(?![0-9])")
_PHONE_RUN = re.compile(r"[+(]{0,2}[0-9][0-9 \t\u00a0().\-/]{4,60}[0-9]\)?(?![0-9])")
# Longest written phone number ("+44 (0) 20 7946 0958 " and a bit): a run that found no
# number is re-read from this far before its end.
_PHONE_TAIL = 28
# Where the next run of a region may start: a digit group, or its "+" / "(" prefix.
_PHONE_GROUP_START = re.compile(r"[+(]{1,2}[0-9]|(?<![0-9])[0-9]")
_DIGIT_GROUPS = re.compile(r"[0-9]+")
_DATE_IN_TEXT = re.compile(r"(?<![0-9])[0-9]{1,4}([./\-])[0-9]{1,2}\1[0-9]{2,4}(?![0-9])")
_ANY_DIGIT = re.compile(r"[0-9]")
_DATE_LIKE = re.compile(r"([0-9]{1,4})([./\-])([0-9]{1,2})\2([0-9]{2,4})")

# 3-2-4 digits with dashes; with one consistent space or dot (the back-reference); or
# nine bare digits.
_SSN_DASHED = re.compile(r"(?<![\w\-.])[0-9]{3}-[0-9]{2}-[0-9]{4}(?![\w\-]|\.[0-9])")
_SSN_SPACED = re.compile(r"(?<![\w\-.])[0-9]{3}([ .])[0-9]{2}\1[0-9]{4}(?![\w\-]|\.[0-9])")
_SSN_BARE = re.compile(r"(?<![\w\-.])[0-9]{9}(?![\w\-]|\.[0-9])")

# A run of digit groups; card candidates are chosen among its contiguous groups. The
# run is not capped: a cap cut "card card card" mid-card and the scan resumed after the
# cut, so the cards on either side of it were lost. Groups are digits between single
# separators (no ambiguity), so the match stays linear.
_DIGIT_RUN = re.compile(r"(?<![\w\-.])[0-9]{1,19}(?:[ \-][0-9]{1,19})*(?![\w\-]|\.[0-9])")

_IBAN = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2}[0-9]{2}(?: ?[A-Za-z0-9]){11,30}")

_IPV4 = re.compile(r"(?<![\w.\-])(?:[0-9]{1,3}\.){3}[0-9]{1,3}(?![\w\-]|\.[0-9])")
_IPV6 = re.compile(
    r"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:(?:[0-9]{1,3}\.){3}[0-9]{1,3}|[0-9A-Fa-f]{1,4})?"
    r"(?:%[A-Za-z0-9_.]{1,16})?(?![\w:])"
)
# Dotted quads right after these words are versions or document numbering, not hosts.
_NOT_IP_BEFORE = re.compile(
    r"(?i)(?:\bv|\bver\.?|\bversion|\brelease|\brel\.?|\bbuild|\brev(?:ision)?|\bfirmware|\bfw|\bupdate"
    r"|\bsection|\bsect?\.|\bchapter|\bch\.|\bclause|\barticle|\bart\.|\bfig(?:ure)?\.?|\btable|\bstep"
    r"|\bitem|\bpart|\brule|\bparagraph|\bpara\.?|§)"
    r"\s{0,3}[:#=]?\s{0,3}$"
)
_PHONE_EXTENSION = re.compile(r"[ \t]{0,2}(?:x|ext\.?|extension|#)[ \t]{0,2}[0-9]{1,6}(?![0-9])", re.I)

_URL = re.compile(r"(?i)(?<![\w@.\-/])(?:https?://|www\.)[^\s<>\"'`{}|\\^]{2,2048}")
_URL_TRAIL = ".,;:!?'\"*"

_MAC = re.compile(
    r"(?<![\w:\-.])(?:[0-9A-Fa-f]{2}([:\-])[0-9A-Fa-f]{2}(?:\1[0-9A-Fa-f]{2}){4}"
    r"|[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4})(?![\w:\-]|\.[0-9A-Za-z])"
)

# (pattern, literals one of which must occur, score, needs letters+digits+entropy).
# The literal check skips the scan entirely for the vast majority of texts.
_API_KEYS: tuple[tuple[re.Pattern[str], tuple[str, ...], float, bool], ...] = (
    (
        re.compile(
            r"(?<![A-Za-z0-9])(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|AROA|APKA)[A-Z0-9]{16}(?![A-Za-z0-9])"
        ),
        ("AKIA", "ASIA", "ABIA", "ACCA", "AGPA", "AIDA", "AIPA", "ANPA", "ANVA", "AROA", "APKA"),
        _S_API_KEY,
        False,
    ),
    (
        re.compile(
            r"(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{36,251}|github_pat_[A-Za-z0-9_]{22,244})(?![A-Za-z0-9_])"
        ),
        ("gh", "github_pat_"),
        _S_API_KEY,
        False,
    ),
    (
        re.compile(r"(?<![A-Za-z0-9])xox[baprs]-[A-Za-z0-9]+(?:-[A-Za-z0-9]+){1,6}(?![A-Za-z0-9\-])"),
        ("xox",),
        _S_API_KEY,
        True,
    ),
    (
        re.compile(r"(?<![A-Za-z0-9_])(?:sk|rk)_live_[A-Za-z0-9]{16,247}(?![A-Za-z0-9])"),
        ("_live_",),
        _S_API_KEY,
        False,
    ),
    (
        re.compile(r"(?<![A-Za-z0-9_\-])sk-ant-[A-Za-z0-9_\-]{20,200}(?![A-Za-z0-9_\-])"),
        ("sk-ant-",),
        _S_API_KEY,
        True,
    ),
    (
        re.compile(r"(?<![A-Za-z0-9_\-])sk-(?!ant-)[A-Za-z0-9_\-]{20,200}(?![A-Za-z0-9_\-])"),
        ("sk-",),
        _S_API_KEY_GENERIC,
        True,
    ),
    (
        re.compile(r"(?<![A-Za-z0-9_\-])AIza[0-9A-Za-z_\-]{35}(?![A-Za-z0-9_\-])"),
        ("AIza",),
        _S_API_KEY,
        False,
    ),
)
_JWT = re.compile(
    r"(?<![A-Za-z0-9_\-.])eyJ[A-Za-z0-9_\-]{5,4096}\.[A-Za-z0-9_\-]{2,8192}\.[A-Za-z0-9_\-]{0,4096}(?![A-Za-z0-9_\-])"
)

_PEM_BEGIN = re.compile(r"-----BEGIN ((?:[A-Z0-9]+ ){0,3})PRIVATE KEY-----")
_PEM_END = re.compile(r"-----END (?:[A-Z0-9]+ ){0,3}PRIVATE KEY-----")
_PEM_BODY = re.compile(
    r"(?:[ \t]*(?:[A-Za-z0-9+/=]{1,100}|[A-Za-z-]{1,30}:[^\n]{0,200})[ \t]*\r?\n?){0,4096}"
)

# key = value assignments of secrets; the finding covers the value only.
_PASSWORD = re.compile(
    r"(?i)(?<![a-z0-9])(?:password|passwd|passphrase|pwd|secret|api[_\-]?key|access[_\-]?key|"
    r"auth[_\-]?token|access[_\-]?token|client[_\-]?secret|private[_\-]?key)(?:[_\-][a-z0-9]{1,16}){0,3}"
    r"[\"']?[ \t]{0,4}(?::=|=>|=|:)[ \t]{0,4}"
    r"(?:\"([^\"\n]{1,256})\"|'([^'\n]{1,256})'|([^\s\"',;<>(){}\[\]]{1,256}))"
)
_QUERY_NEXT = re.compile(r"&(?=[A-Za-z_][\w.\-]*=)")
_PASSWORD_HINTS = ("pass", "pwd", "secret", "key", "token")  # every keyword above contains one
_MONTHS: MappingProxyType[str, int] = MappingProxyType(
    {
        **dict.fromkeys(["january", "jan", "januar", "janvier", "enero", "gennaio", "januari", "jänner"], 1),
        **dict.fromkeys(["february", "feb", "februar", "février", "fevrier", "fév", "fev", "febrero", "febbraio", "februari"], 2),
        **dict.fromkeys(["march", "mar", "märz", "marz", "mars", "marzo", "maart", "mär"], 3),
        **dict.fromkeys(["april", "apr", "avril", "avr", "abril", "aprile"], 4),
        **dict.fromkeys(["may", "mai", "mayo", "maggio", "mei"], 5),
        **dict.fromkeys(["june", "jun", "juni", "juin", "junio", "giugno"], 6),
        **dict.fromkeys(["july", "jul", "juli", "juillet", "juil", "julio", "luglio"], 7),
        **dict.fromkeys(["august", "aug", "août", "aout", "agosto", "augustus"], 8),
        **dict.fromkeys(["september", "sep", "sept", "septembre", "septiembre", "setiembre", "settembre"], 9),
        **dict.fromkeys(["october", "oct", "oktober", "okt", "octobre", "octubre", "ottobre"], 10),
        **dict.fromkeys(["november", "nov", "novembre", "noviembre"], 11),
        **dict.fromkeys(["december", "dec", "dezember", "dez", "décembre", "decembre", "déc", "diciembre", "dicembre"], 12),
    }
)  # fmt: skip
_MONTH_ALT = "|".join(sorted((re.escape(m) for m in _MONTHS), key=len, reverse=True))
_MONTH_INITIALS = "".join(sorted({m[0] for m in _MONTHS} | {m[0].upper() for m in _MONTHS}))
_DOB_NUMERIC = re.compile(
    r"(?<![0-9.\-/])([0-9]{1,2})([./\-])([0-9]{1,2})\2([0-9]{4}|[0-9]{2})(?![0-9]|[./\-][0-9])"
)
_DOB_ISO = re.compile(r"(?<![0-9.\-/])([0-9]{4})([./\-])([0-9]{1,2})\2([0-9]{1,2})(?![0-9]|[./\-][0-9])")
_DOB_DAY_MONTH = re.compile(
    rf"(?i)(?<![0-9])([0-9]{{1,2}})(?:st|nd|rd|th|er)?\.?[ \t]{{1,3}}(?:of[ \t]+|de[ \t]+)?(?=[{_MONTH_INITIALS}])({_MONTH_ALT})\.?,?"
    rf"[ \t]{{1,3}}(?:de[ \t]+)?([0-9]{{4}})(?![0-9])"
)
_DOB_MONTH_DAY = re.compile(
    rf"(?i)(?<![A-Za-z])(?=[{_MONTH_INITIALS}])({_MONTH_ALT})\.?[ \t]{{1,3}}([0-9]{{1,2}})(?:st|nd|rd|th)?,?[ \t]{{1,3}}([0-9]{{4}})(?![0-9])"
)


def _find_emails(text: str, _taken: Sequence[Finding]) -> Iterator[Span]:
    for m in _EMAIL.finditer(text):
        local = m.group().split("@", 1)[0]
        if ".." in local or local.endswith("."):
            continue
        if (
            m.start() > 0
            and text[m.start() - 1] == ":"
            and CONN_STRING_USER_BEFORE.search(text, max(0, m.start() - 160), m.start())
        ):
            continue  # "scheme://user:PASSWORD@host": the password recognizer's, not an address
        yield m.start(), m.end()


def _find_urls(text: str, _taken: Sequence[Finding]) -> Iterator[Span]:
    if not ("://" in text or "www." in text or "WWW." in text):
        return
    for m in _URL.finditer(text):
        s, e = m.start(), m.end()
        # Trailing sentence punctuation and unbalanced closing brackets are not part
        # of the URL ("see (https://x.org/a_(b))." keeps the inner pair).
        while e > s:
            ch = text[e - 1]
            unbalanced = ch in ")]" and text.count("(["[")]".index(ch)], s, e) < text.count(ch, s, e)
            if ch in _URL_TRAIL or unbalanced:
                e -= 1
            else:
                break
        value = text[s:e]
        host = re.sub(r"(?i)^(?:https?://)?", "", value).split("/", 1)[0].split("?", 1)[0]
        host = host.rsplit("@", 1)[-1].split(":", 1)[0]
        if "." not in host.strip(".") and not host.startswith("[") and host != "localhost":
            continue
        if value.lower().startswith("www.") and host.count(".") < 2:
            continue
        yield s, e


def _mac_ok(value: str) -> bool:
    # "1234.5678.9012" is more often a number than a Cisco-style MAC
    return "." not in value or any(c in "abcdefABCDEF" for c in value)


def _mixed_key(value: str) -> bool:
    """Letters and digits and some entropy: a generated token, not a word with a prefix."""
    return (
        any(c.isdigit() for c in value) and any(c.isalpha() for c in value) and shannon_entropy(value) >= 3.0
    )


def _find_private_keys(text: str, _taken: Sequence[Finding]) -> Iterator[Span]:
    pos = 0
    no_more_end = False
    while True:
        m = _PEM_BEGIN.search(text, pos)
        if m is None:
            break
        end_m = None if no_more_end else _PEM_END.search(text, m.end())
        if end_m is not None:
            end = end_m.end()
        else:
            # A truncated block still leaks key material: cover the armour body.
            no_more_end = True
            body = _PEM_BODY.match(text, m.end())
            end = body.end() if body else m.end()
            while end > m.end() and text[end - 1] in "\r\n \t":
                end -= 1
            if end - m.end() < 32:
                pos = m.end()
                continue  # a bare BEGIN line (docs, a template) carries no key material
        yield m.start(), end
        pos = end


def _find_passwords(text: str, _taken: Sequence[Finding]) -> Iterator[Span]:
    low = text.lower()
    if not any(k in low for k in _PASSWORD_HINTS):
        return
    pos = 0
    while (m := _PASSWORD.search(text, pos)) is not None:
        pos = m.end()
        group = 1 if m.group(1) is not None else 2 if m.group(2) is not None else 3
        value = m.group(group)
        s, e = m.start(group), m.end(group)
        if group == 3:
            # In a query string the value stops at the next "&name=", and the scan
            # resumes there: "&token=..." is the next assignment, not this value.
            cut = _QUERY_NEXT.search(value)
            if cut is not None:
                value, e = value[: cut.start()], s + cut.start()
                pos = e
            if value.endswith("."):
                value, e = value[:-1], e - 1
        if looks_like_secret(value, quoted=group != 3):
            yield s, e


def _find_dates_of_birth(text: str, _taken: Sequence[Finding]) -> Iterator[Span]:
    if not _ANY_DIGIT.search(text):
        return
    for m in _DOB_NUMERIC.finditer(text):
        a, b, y = int(m.group(1)), int(m.group(3)), int(m.group(4))
        if date_ok(y, b, a) or date_ok(y, a, b):
            yield m.start(), m.end()
    for m in _DOB_ISO.finditer(text):
        if date_ok(int(m.group(1)), int(m.group(3)), int(m.group(4))):
            yield m.start(), m.end()
    for m in _DOB_DAY_MONTH.finditer(text):
        month = _MONTHS.get(m.group(2).lower())
        if month and date_ok(int(m.group(3)), month, int(m.group(1))):
            yield m.start(), m.end()
    for m in _DOB_MONTH_DAY.finditer(text):
        month = _MONTHS.get(m.group(1).lower())
        if month and date_ok(int(m.group(3)), month, int(m.group(2))):
            yield m.start(), m.end()


def _find_cards(text: str, _taken: Sequence[Finding]) -> Iterator[Span]:
    for m in _DIGIT_RUN.finditer(text):
        run = m.group()
        if len(run) - run.count(" ") - run.count("-") < 12:
            continue
        for s, e in _cards_in_run(run):
            yield m.start() + s, m.start() + e


def _find_ibans(text: str, _taken: Sequence[Finding]) -> Iterator[Span]:
    # The candidate pattern over-matches into whatever follows (often the next IBAN),
    # so the scan resumes where the accepted IBAN ends, or one character after a
    # rejected start, never after the whole candidate. A candidate is at most ~64
    # characters, so restarting keeps the scan linear.
    pos = 0
    while (m := _IBAN.search(text, pos)) is not None:
        spans = _iban_chain(text, m.start())
        if not spans:
            pos = m.start() + 1
            continue
        yield from spans
        pos = spans[-1][1]


def _find_ipv4(text: str, _taken: Sequence[Finding]) -> Iterator[Span]:
    if "." not in text:
        return
    for m in _IPV4.finditer(text):
        if _NOT_IP_BEFORE.search(text, max(0, m.start() - 24), m.start()):
            continue
        try:
            ipaddress.IPv4Address(m.group())
        except ValueError:
            continue
        yield m.start(), m.end()


def _find_ipv6(text: str, _taken: Sequence[Finding]) -> Iterator[Span]:
    if "::" not in text and text.count(":") < 7:
        return
    for m in _IPV6.finditer(text):
        value = m.group()
        if not any("0" <= c <= "9" for c in value):
            continue  # "::", "dead::beef", "Foo::Bar" read as code, not addresses
        try:
            ipaddress.IPv6Address(value)
        except ValueError:
            continue
        yield m.start(), m.end()


def _rule(name: str, label: str, regex: re.Pattern[str] | None, score: float, **kw: Any) -> Recognizer:
    """A built-in recognizer with its label's shared context words."""
    return Recognizer(name, label, regex, score, CONTEXT_WORDS.get(label, ()), **kw)


_API_KEY_RULES: tuple[tuple[str, re.Pattern[str], tuple[str, ...], float, bool], ...] = (
    ("aws_access_key_id", _API_KEYS[0][0], *_API_KEYS[0][1:]),
    ("github_token", _API_KEYS[1][0], *_API_KEYS[1][1:]),
    ("slack_token", _API_KEYS[2][0], *_API_KEYS[2][1:]),
    ("stripe_key", _API_KEYS[3][0], *_API_KEYS[3][1:]),
    ("anthropic_key", _API_KEYS[4][0], *_API_KEYS[4][1:]),
    ("openai_style_key", _API_KEYS[5][0], *_API_KEYS[5][1:]),
    ("google_api_key", _API_KEYS[6][0], *_API_KEYS[6][1:]),
)  # type: ignore[assignment]

# The rule families, in scan order. Phones come last (``after``): they read every other
# finding, since a phone match over a card, IBAN, SSN, IP, e-mail... is a misreading
# (phonenumbers happily validates "078-05-1121" as a German number).
CORE_RECOGNIZERS: tuple[Recognizer, ...] = (
    _rule("email", "EMAIL_ADDRESS", None, _S_EMAIL, find=_find_emails, literals=("@",)),
    _rule("url", "URL", None, _S_URL, find=_find_urls),
    _rule("mac", "MAC_ADDRESS", _MAC, _S_MAC, validator=_mac_ok, literals=(":", "-", ".")),
    *(
        _rule(name, "API_KEY", pattern, score, validator=_mixed_key if mixed else None, literals=literals)
        for name, pattern, literals, score, mixed in _API_KEY_RULES
    ),
    _rule("jwt", "API_KEY", _JWT, _S_API_KEY, validator=jwt_ok, validator_name="jwt", validated=True, literals=("eyJ",)),
    # The BEGIN/END armour is a structural check, so validated: a stray "validated"
    # match inside the base64 body must not knock the key out.
    _rule(
        "private_key", "PRIVATE_KEY", None, _S_PRIVATE_KEY, find=_find_private_keys,
        validator_name="pem_armour", validated=True, literals=("PRIVATE KEY-----",),
    ),
    _rule("password_assignment", "PASSWORD", None, _S_PASSWORD, find=_find_passwords),
    _rule("date_of_birth", "DATE_OF_BIRTH", None, _S_DOB, find=_find_dates_of_birth, context_required=True, needs_digit=True),
    _rule(
        "credit_card", "CREDIT_CARD", None, _S_CARD, find=_find_cards, validator_name="luhn",
        validated=True, shields_phones=True, needs_digit=True,
    ),
    _rule(
        "iban", "IBAN_CODE", None, _S_IBAN, find=_find_ibans, validator_name="mod97",
        validated=True, shields_phones=True, needs_digit=True,
    ),
    _rule(
        "us_ssn", "US_SSN", _SSN_DASHED, _S_SSN_DASHED, validator=ssn_ok, validator_name="ssn",
        validated=True, shields_phones=True, needs_digit=True,
    ),
    # Spaced, dotted or bare nine digits are SSNs only next to a context word.
    _rule(
        "us_ssn_spaced", "US_SSN", _SSN_SPACED, _S_SSN_SPACED + CONTEXT_BOOST, validator=ssn_ok,
        validator_name="ssn", context_required=True, shields_phones=True, needs_digit=True,
    ),
    _rule(
        "us_ssn_bare", "US_SSN", _SSN_BARE, _S_SSN_BARE, validator=ssn_ok, validator_name="ssn",
        context_required=True, shields_phones=True, needs_digit=True,
    ),
    _rule("ipv4", "IP_ADDRESS", None, _S_IPV4, find=_find_ipv4, shields_phones=True, needs_digit=True),
    _rule("ipv6", "IP_ADDRESS", None, _S_IPV6, find=_find_ipv6, shields_phones=True, needs_digit=True),
)  # fmt: skip

BUILTIN_RECOGNIZERS: tuple[Recognizer, ...] = CORE_RECOGNIZERS + NATIONAL_ID_RECOGNIZERS + SECRET_RECOGNIZERS

_CORE_LABELS = (
    "EMAIL_ADDRESS", "PHONE_NUMBER", "US_SSN", "CREDIT_CARD", "IBAN_CODE", "IP_ADDRESS", "URL",
    "MAC_ADDRESS", "API_KEY", "PRIVATE_KEY", "PASSWORD", "DATE_OF_BIRTH",
)  # fmt: skip
RULE_LABELS: tuple[str, ...] = tuple(dict.fromkeys([*_CORE_LABELS, *(r.label for r in BUILTIN_RECOGNIZERS)]))


class RegexPIIDetector:
    """Regex + checksum recognizers for structured PII and secrets.

    Composes :data:`BUILTIN_RECOGNIZERS` (one :class:`~bastion.detectors.recognizers.Recognizer`
    per family), a phone recognizer built for ``regions``, and any ``custom`` ones.

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

    def __init__(
        self,
        regions: Sequence[str] | None = None,
        labels: Sequence[str] | None = None,
        context_window: int = DEFAULT_CONTEXT_WINDOW,
        max_phone_calls: int | None = DEFAULT_MAX_PHONE_CALLS,
        custom: Sequence[Mapping[str, Any]] | None = None,
    ) -> None:
        regions = DEFAULT_REGIONS if regions is None else regions
        if isinstance(regions, str):
            regions = [regions]
        bad = [r for r in regions if r not in phonenumbers.SUPPORTED_REGIONS]
        if bad:
            hint = " (use GB for the United Kingdom)" if "UK" in bad else ""
            raise ConfigError(f"unknown phone region(s) {bad}{hint}")
        self.regions: tuple[str, ...] = tuple(dict.fromkeys(regions))
        labels = RULE_LABELS if labels is None else labels
        if isinstance(labels, str):
            labels = [labels]
        unknown = [lb for lb in labels if lb not in RULE_LABELS]
        if unknown:
            raise ConfigError(f"regex detector cannot produce {unknown}; it knows {list(RULE_LABELS)}")
        if isinstance(context_window, bool) or not isinstance(context_window, int) or context_window < 0:
            raise ConfigError(f"context_window must be a non-negative int, got {context_window!r}")
        self.context_window = context_window
        if max_phone_calls is not None and (
            isinstance(max_phone_calls, bool) or not isinstance(max_phone_calls, int) or max_phone_calls < 0
        ):
            raise ConfigError(f"max_phone_calls must be a non-negative int or None, got {max_phone_calls!r}")
        self.max_phone_calls = max_phone_calls
        self._plans: dict[str, _NumberingPlan] = {r: _NumberingPlan(r) for r in self.regions}
        if custom is None:
            custom = ()
        if isinstance(custom, str | bytes) or not isinstance(custom, Sequence):
            raise ConfigError(f"pii_regex custom: a list of recognizers, got {type(custom).__name__}")
        extra = tuple(custom_recognizer(spec, f"custom[{i}]") for i, spec in enumerate(custom))
        taken = {r.name for r in BUILTIN_RECOGNIZERS} | {"phone"}
        for i, r in enumerate(extra):
            if r.name in taken:
                raise ConfigError(f"pii_regex custom[{i}] ({r.name}): the name is already used")
            taken.add(r.name)
        self.custom: tuple[Recognizer, ...] = extra
        self.labels: frozenset[str] = frozenset(labels) | {r.label for r in extra}
        phone = _rule(
            "phone", "PHONE_NUMBER", None, _S_PHONE, find=self._phone_spans, validator_name="phonenumbers",
            validated=True, after=True,
        )  # fmt: skip
        self.recognizers: tuple[Recognizer, ...] = (*BUILTIN_RECOGNIZERS, *extra, phone)
        # One pass finds which context words of the context-only recognizers occur at all
        # (a word found also vouches for the shorter words inside it: "ssn" for "ss").
        words = sorted(
            {w for r in self.recognizers if r.context_required for w in r._context_literals},
            key=len,
            reverse=True,
        )
        self._gate = re.compile("|".join(re.escape(w) for w in words)) if words else None
        self._gate_closure = {w: frozenset(x for x in words if x in w) for w in words}
        # The labels are fixed, so which recognizers run is too: the reported ones, and
        # (phones on) the ones whose spans a phone reading must not take.
        phones = "PHONE_NUMBER" in self.labels
        self._active: tuple[Recognizer, ...] = tuple(
            r for r in self.recognizers if r.label in self.labels or (phones and r.shields_phones)
        )

    def __repr__(self) -> str:
        return f"RegexPIIDetector(regions={list(self.regions)}, labels={sorted(self.labels)}, context_window={self.context_window})"

    # public ----------------------------------------------------------------------------

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

    # internals ---------------------------------------------------------------------------

    def _detect_one(self, text: str) -> list[Finding]:
        on = self.labels
        window = self.context_window
        present: set[str] = set()
        if window and self._gate is not None:
            for w in set(self._gate.findall(text.lower())):
                present |= self._gate_closure[w]
        has_digit = _ANY_DIGIT.search(text) is not None
        found: list[Finding] = []
        # The gates are checked here rather than through Recognizer.scan: ~60 recognizers
        # a text, and on short texts the calls would cost more than the scans.
        for rec in self._active:
            if rec.needs_digit and not has_digit:
                continue
            if rec.literals:
                for lit in rec.literals:
                    if lit in text:
                        break
                else:
                    continue
            if rec.context_required and (not window or present.isdisjoint(rec._context_literals)):
                continue
            found += rec.findings(text, window=window, detector=self.name, taken=found if rec.after else ())
        return self._resolve([f for f in found if f.label in on], text)

    def _resolve(self, found: list[Finding], text: str) -> list[Finding]:
        if len(found) < 2:
            return found
        # Without joins (joinable=(): two e-mails one space apart stay two findings),
        # only overlapping findings interact, so merging each cluster of overlapping
        # spans on its own gives the same answer in linear time (merge_findings compares
        # neighbours, but a 1 MB text with 30k hits should not pay for one big sort per hit).
        ordered = sorted(found, key=lambda f: (f.start, f.end))
        out: list[Finding] = []
        cluster: list[Finding] = []
        reach = -1
        for f in [*ordered, None]:
            if f is None or (cluster and f.start >= reach):
                if len(cluster) == 1:
                    out.append(cluster[0])
                elif cluster:
                    out += merge_findings(cluster, text, joinable=())
                cluster, reach = [], -1
            if f is not None:
                cluster.append(f)
                reach = max(reach, f.end)
        return out

    def _phone_spans(self, text: str, taken: Sequence[Finding]) -> list[Span]:
        blocked = _Spans(taken)
        spans: dict[tuple[int, int], bool] = {}  # span -> written in national format
        budget = self.max_phone_calls
        if not _ANY_DIGIT.search(text):
            return []
        # Digits already claimed by a card, IBAN, SSN, IP, e-mail... or forming a calendar
        # date are masked out, so they neither reach the (slow) matcher, nor glue
        # neighbouring numbers into one run, nor get read as a phone ("2015-12-22 04").
        dates = [
            Finding("DATE", m.start(), m.end(), 1.0, self.name)
            for m in _DATE_IN_TEXT.finditer(text)
            if _is_date(m.group())
        ]
        masked = _mask(text, [*taken, *dates])
        for m in _PHONE_REGION.finditer(masked):
            # A region longer than one run is read in runs of at most _PHONE_RUN's
            # length; each next run starts after the last number found, or (none found)
            # late enough to hold any number cut off at the end of the run. Resuming
            # after the whole cut run lost the number that straddled the cut.
            pos, region_end = m.start(), m.end()
            while pos < region_end and (budget is None or budget > 0):
                piece = _PHONE_RUN.match(masked, pos, region_end)
                if piece is None:
                    nxt = _next_group(masked, pos + 1, region_end)
                else:
                    run = piece.group()
                    found_end, budget = self._phones_in_run(run, piece.start(), spans, budget)
                    singles = [g.end() for g in _DIGIT_GROUPS.finditer(run) if g.end() - g.start() == 1]
                    if found_end < 0 and len(singles) > 2:
                        # rejected as a list of single digits: a number may follow the list
                        nxt = piece.start() + singles[-1]
                    elif piece.end() >= region_end:
                        break
                    elif found_end > pos:
                        nxt = found_end
                    else:
                        nxt = piece.start() + max(1, len(run) - _PHONE_TAIL)
                    nxt = _next_group(masked, nxt, region_end)
                if nxt <= pos:
                    break
                pos = nxt
        out: list[Span] = []
        for (s, e), national in spans.items():
            value = text[s:e]
            n_digits = len(digits_only(value))
            # E.164 caps a number at 15 digits; longer digit strings are cards or ids.
            if n_digits > 15 or blocked.overlaps(s, e) or _is_date(value):
                continue
            ext = _PHONE_EXTENSION.match(text, e)
            if ext is not None:
                e = ext.end()
            weak = national and (n_digits < 8 or value.isdigit())
            out.append((s, e, _S_PHONE_WEAK if weak else _S_PHONE))
        return out

    def _phones_in_run(
        self, run: str, base: int, spans: dict[tuple[int, int], bool], budget: int | None
    ) -> tuple[int, int | None]:
        """Phone numbers in one run, added to ``spans``; returns the end of the last one
        found (``-1`` if none) and the remaining matcher-call budget."""
        last_end = -1
        groups = _DIGIT_GROUPS.findall(run)
        digits = "".join(groups)
        if len(digits) < 6 or len(set(digits)) == 1:
            return last_end, budget
        # "1 2 3 4 5 6 7" is a list, not a phone number; real numbers have at most a
        # one-digit country code and a "(0)" trunk prefix as single digits.
        if sum(1 for g in groups if len(g) == 1) > 2:
            return last_end, budget
        covered = 0
        for region in self._phone_regions(run, digits):
            if budget is not None:
                if budget <= 0:
                    break
                budget -= 1
            for pm in PhoneNumberMatcher(run, region, leniency=Leniency.VALID):
                key = (base + pm.start, base + pm.end)
                last_end = max(last_end, key[1])
                if key not in spans:
                    raw = pm.raw_string.lstrip("(")
                    spans[key] = not raw.startswith(("+", "00", "011"))
                    covered += len(digits_only(pm.raw_string))
            # Once every digit of the run belongs to a number, other regions can only
            # re-read the same digits; skipping them keeps a phone at ~1 matcher call.
            if covered >= len(digits):
                break
        return last_end, budget

    def _phone_regions(self, run: str, digits: str) -> list[str]:
        """The configured regions in which ``digits`` could be one national number.

        A matcher call costs ~0.1 ms, so regions whose numbering plan cannot produce
        this digit string (wrong length, wrong leading digits after stripping a trunk,
        country or international prefix) are skipped. Runs that start with ``+`` are
        international and parse the same in any region; runs too long for one number
        may hold several, and get every region.
        """
        if run.lstrip("(").startswith("+"):
            return list(self.regions[:1])
        if digits.startswith("0"):
            # "00 44 ..." / "011 44 ...": international dialling, read by a region whose
            # international prefix it is (the matcher does not know other regions' ones).
            idd = [r for r, plan in self._plans.items() if plan.dials_out(digits)]
            if idd:
                rest = [r for r, plan in self._plans.items() if r != idd[0] and plan.plausible(digits)]
                return [idd[0], *rest]
        if len(digits) > 17:
            return list(self.regions)
        out = []
        for region, plan in self._plans.items():
            if plan.plausible(digits):
                out.append(region)
        return out


class _NumberingPlan:
    """The few facts of a region's numbering plan needed to rule it out cheaply."""

    __slots__ = ("country_code", "prefixes", "lengths", "pattern", "idd")

    def __init__(self, region: str) -> None:
        meta = phonenumbers.PhoneMetadata.metadata_for_region(region)
        if meta is None or meta.general_desc is None or not meta.general_desc.national_number_pattern:
            raise ConfigError(f"no numbering plan metadata for phone region {region!r}")
        self.country_code = str(meta.country_code)
        trunk = meta.national_prefix or ""
        idd = re.sub(r"[^0-9]", "", meta.preferred_international_prefix or meta.international_prefix or "")
        prefixes = {"", self.country_code, "00" + self.country_code}
        if trunk:
            prefixes.add(trunk)
            prefixes.add(self.country_code + trunk)
        if idd:
            prefixes.add(idd + self.country_code)
        self.prefixes = tuple(sorted(prefixes))
        self.lengths = frozenset(meta.general_desc.possible_length or ())
        self.pattern = re.compile(meta.general_desc.national_number_pattern)
        self.idd = re.compile(meta.international_prefix) if meta.international_prefix else None

    def dials_out(self, digits: str) -> bool:
        """Whether ``digits`` starts with this region's international prefix and a
        plausible remainder (a country code plus at least six digits)."""
        if self.idd is None:
            return False
        m = self.idd.match(digits)
        return m is not None and m.end() > 0 and len(digits) - m.end() >= 8

    def plausible(self, digits: str) -> bool:
        for prefix in self.prefixes:
            if digits.startswith(prefix):
                rest = digits[len(prefix) :]
                if (not self.lengths or len(rest) in self.lengths) and self.pattern.fullmatch(rest):
                    return True
        return False


class _Spans:
    """Overlap and containment queries against a fixed set of spans in O(log n)."""

    __slots__ = ("_starts", "_max_end")

    def __init__(self, findings: Iterable[Finding]) -> None:
        spans = sorted((f.start, f.end) for f in findings)
        self._starts = [s for s, _ in spans]
        self._max_end: list[int] = []
        reach = -1
        for _, e in spans:
            reach = max(reach, e)
            self._max_end.append(reach)

    def overlaps(self, start: int, end: int) -> bool:
        i = bisect.bisect_left(self._starts, end)
        return i > 0 and self._max_end[i - 1] > start


def _mask(text: str, findings: Sequence[Finding]) -> str:
    """``text`` with every finding's span overwritten by "x" (same length, same offsets)."""
    if not findings:
        return text
    parts: list[str] = []
    pos = 0
    for f in sorted(findings, key=lambda f: f.start):
        if f.end <= pos:
            continue
        start = max(pos, f.start)
        parts.append(text[pos:start])
        parts.append("x" * (f.end - start))
        pos = f.end
    parts.append(text[pos:])
    return "".join(parts)


def _next_group(text: str, pos: int, end: int) -> int:
    """Start of the first digit group (with its "+"/"(" prefix) at or after ``pos``."""
    m = _PHONE_GROUP_START.search(text, pos, end)
    return end if m is None else m.start()


def _is_date(value: str) -> bool:
    m = _DATE_LIKE.fullmatch(value)
    if m is None:
        return False
    a, b, c = int(m.group(1)), int(m.group(3)), int(m.group(4))
    if len(m.group(1)) == 4:
        return date_ok(a, b, c)
    return date_ok(c, b, a) or date_ok(c, a, b)


def _cards_in_run(run: str) -> list[tuple[int, int]]:
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
            if shape_ok and total >= 12 and card_ok(run[bounds[i][0] : bounds[j][1]]):
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


# The same shape without the left boundary: the next IBAN of a glued chain.
_IBAN_AT = re.compile(r"[A-Za-z]{2}[0-9]{2}(?: ?[A-Za-z0-9]){11,30}")
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
    spacing is the printed 4-character grouping (or none).

    Slicing, not a character loop: the scan tries a candidate at every "CCdd" after a
    space, so this runs up to once per five characters of hostile input.
    """
    if len(run) >= expected and " " not in run[:expected]:
        return expected
    spaces = (expected - 1) // 4
    end = expected + spaces
    head = run[:end]
    if len(head) < end or head.count(" ") != spaces or head[4::5].strip(" "):
        return None
    return end


__all__ = [
    "BUILTIN_RECOGNIZERS",
    "CONTEXT_WORDS",
    "DEFAULT_REGIONS",
    "RULE_LABELS",
    "RegexPIIDetector",
    "Recognizer",
]
