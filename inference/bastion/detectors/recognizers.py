"""One small recognizer per PII family, and the scan that turns one into findings.

A :class:`Recognizer` is data: a label, a candidate regex (or a ``find`` hook for the
few families whose candidates need more than one regex), a base score, context words,
and a validator. :class:`~bastion.detectors.pii_regex.RegexPIIDetector` composes a
tuple of them; adding a label means adding one recognizer to a table here (or, for a
deployment, one ``custom`` entry in the config, see :func:`custom_recognizer`).

Scoring, the way Presidio's context enhancer does it: a context word within the
detector's context window before a match adds :data:`CONTEXT_BOOST` (capped at 1.0);
a ``context_required`` recognizer reports nothing without one and then scores exactly
its ``score``. ``validated`` findings (a checksum or structural rule confirmed them)
win overlap resolution.

Every built-in pattern starts with a left-boundary look-behind and has bounded
quantifiers, so a scan is linear in the text length (``tests/test_redos.py`` audits
every pattern of this module).

>>> from bastion.detectors.validators import nhs_ok
>>> nhs = Recognizer("uk_nhs", "UK_NHS", re.compile(r"\\b[0-9]{3} [0-9]{3} [0-9]{4}\\b"), 0.9,
...                  context=("nhs",), validator=nhs_ok, validator_name="nhs", validated=True,
...                  context_required=True)
>>> [(f.label, f.score, dict(f.explanation)["context"]) for f in nhs.scan("NHS no 943 476 5919")]
[('UK_NHS', 0.9, 'NHS')]
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bastion.detectors.explanation import Explanation
from bastion.detectors.validators import (
    VALIDATORS,
    aadhaar_ok,
    aba_ok,
    au_tfn_ok,
    bic_ok,
    btc_address_ok,
    ca_sin_ok,
    de_tax_id_ok,
    es_nif_ok,
    eth_address_ok,
    fr_nir_ok,
    it_fiscal_code_ok,
    looks_like_secret,
    nhs_ok,
    nino_ok,
    nl_bsn_ok,
    shannon_entropy,
)
from bastion.errors import ConfigError
from bastion.types import PII, Finding

CONTEXT_BOOST = 0.2
_ANY_DIGIT = re.compile(r"[0-9]")
DEFAULT_CONTEXT_WINDOW = 48

# (start, end) or (start, end, score): what a ``find`` hook yields.
Span = tuple[int, int] | tuple[int, int, float]
FindHook = Callable[[str, Sequence[Finding]], Iterable[Span]]


def context_pattern(words: Iterable[str]) -> re.Pattern[str] | None:
    """Case-insensitive alternation of ``words`` anchored at a word start ("ssn#" and
    "phonenumber" count, "hotel" does not count as "tel"); None for no words."""
    alts = sorted({re.escape(w).replace(r"\ ", r"\s+") for w in words}, key=len, reverse=True)
    if not alts:
        return None
    return re.compile(r"(?i)(?<![^\W\d_])(?:" + "|".join(alts) + ")")


@dataclass(frozen=True, slots=True)
class Recognizer:
    r"""One PII family: how to find candidates, check them and score them.

    ``regex``: candidate pattern (the finding is ``group``'s span); ``find`` replaces it
    for families that need more than one regex (it gets the text and, for ``after``
    recognizers, the findings of all the others). ``normalize``: trims or rejects a
    span, ``(text, start, end) -> (start, end) | None``. ``validator``: a predicate on
    the span's text; ``validator_name`` is what explanations call it. ``literals``: one
    must occur in the text for the scan to run at all (a cheap gate), as must a digit
    for ``needs_digit`` recognizers. ``shields_phones``:
    run even when the label is off if phones are on, so a phone reading of the same
    digits is suppressed.

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
    normalize: Callable[[str, int, int], tuple[int, int] | None] | None = None
    find: FindHook | None = None
    after: bool = False
    shields_phones: bool = False
    needs_digit: bool = False
    _context_re: re.Pattern[str] | None = field(default=None, init=False, repr=False, compare=False)
    _context_literals: tuple[str, ...] = field(default=(), init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if (self.regex is None) == (self.find is None):
            raise ConfigError(f"recognizer {self.name!r}: give exactly one of regex and find")
        if not 0.0 <= self.score <= 1.0:
            raise ConfigError(f"recognizer {self.name!r}: score must be in [0, 1], got {self.score!r}")
        if self.context_required and not self.context:
            raise ConfigError(f"recognizer {self.name!r}: context_required needs context words")
        object.__setattr__(self, "_context_re", context_pattern(self.context))
        object.__setattr__(self, "_context_literals", tuple({w.lower().split()[0] for w in self.context}))

    def context_word(self, text: str, start: int, window: int = DEFAULT_CONTEXT_WINDOW) -> str | None:
        """The context word closest before ``start`` within ``window`` characters, if any."""
        if self._context_re is None or window <= 0:
            return None
        last = None
        for m in self._context_re.finditer(text, max(0, start - window), start):
            last = m
        return None if last is None else last.group()

    def may_match(self, text: str, low: str, window: int, seen: dict[str, bool] | None = None) -> bool:
        """Cheap gate: the literals occur, and (context required) a context word may.

        ``seen`` memoises substring tests across the recognizers of one text (many share
        context words)."""
        if self.literals and not any(lit in text for lit in self.literals):
            return False
        if self.needs_digit and _ANY_DIGIT.search(text) is None:
            return False
        if self.context_required:
            if window <= 0:
                return False
            if seen is None:
                return any(w in low for w in self._context_literals)
            for w in self._context_literals:
                hit = seen.get(w)
                if hit is None:
                    hit = seen[w] = w in low
                if hit:
                    return True
            return False
        return True

    def candidates(self, text: str, taken: Sequence[Finding] = ()) -> Iterable[Span]:
        """Candidate spans before validation and context (``find``, else the regex)."""
        if self.find is not None:
            return self.find(text, taken)
        return self._regex_spans(text)

    def _regex_spans(self, text: str) -> list[Span]:
        assert self.regex is not None
        out: list[Span] = []
        group, normalize = self.group, self.normalize
        for m in self.regex.finditer(text):
            s, e = m.span(group)
            if s < 0:
                continue
            if normalize is not None:
                span = normalize(text, s, e)
                if span is None:
                    continue
                s, e = span
            if e > s:
                out.append((s, e))
        return out

    def scan(
        self,
        text: str,
        *,
        window: int = DEFAULT_CONTEXT_WINDOW,
        detector: str = "regex",
        taken: Sequence[Finding] = (),
        low: str | None = None,
        seen: dict[str, bool] | None = None,
    ) -> list[Finding]:
        """Findings of this recognizer in ``text`` (not overlap-resolved)."""
        if not self.may_match(text, text.lower() if low is None else low, window, seen):
            return []
        return self.findings(text, window=window, detector=detector, taken=taken)

    def findings(
        self, text: str, *, window: int, detector: str, taken: Sequence[Finding] = ()
    ) -> list[Finding]:
        """:meth:`scan` without the cheap gate (the caller has checked :meth:`may_match`)."""
        if self.regex is not None and self.find is None and self.regex.search(text) is None:
            return []
        out = []
        for cand in self.candidates(text, taken):
            s, e = cand[0], cand[1]
            base = self.score if len(cand) < 3 else cand[2]  # type: ignore[misc]
            if self.validator is not None and not self.validator(text[s:e]):
                continue
            word = self.context_word(text, s, window)
            if self.context_required:
                if word is None:
                    continue
                score = base
            else:
                score = base + CONTEXT_BOOST if word is not None else base
            out.append(
                Finding(
                    self.label,
                    s,
                    e,
                    min(1.0, round(score, 4)),
                    detector,
                    PII,
                    self.validated,
                    explanation=self.explain(word),
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


# --- context words ---------------------------------------------------------------------

_CTX_NINO = ("national insurance", "nino", "ni number", "ni no", "nat ins", "insurance number")
_CTX_NHS = ("nhs", "national health", "health service", "patient")
_CTX_DE_TAX = (
    "steuer-id", "steuerid", "steuer id", "steuernummer", "steueridentifikationsnummer",
    "identifikationsnummer", "idnr", "tax id", "tin", "steuer",
)  # fmt: skip
_CTX_FR_NIR = ("nir", "sécurité sociale", "securite sociale", "insee", "numéro de sécu", "social security")
_CTX_ES = ("dni", "nie", "nif", "documento", "identidad", "d.n.i")
_CTX_IT = ("codice fiscale", "cf", "c.f", "fiscale", "tax code")
_CTX_BSN = ("bsn", "burgerservicenummer", "sofinummer", "sofi", "citizen service")
_CTX_AADHAAR = ("aadhaar", "aadhar", "adhaar", "uidai", "uid", "आधार")
_CTX_SIN = ("sin", "social insurance", "nas", "assurance sociale", "numéro d'assurance")
_CTX_TFN = ("tfn", "tax file")
_CTX_ROUTING = ("routing", "aba", "rtn", "transit", "routing number", "routing no")
# Phrases, not the bare word: "account" starts "Accountant", and a context word only has
# to start a word. The recognizer wins over a phone reading of the same digits.
_CTX_ACCOUNT = (
    "account number", "account no", "account #", "account:", "account is", "acct", "a/c",
    "bank account", "checking account", "savings account", "kontonummer", "konto:", "konto-nr",
    "numéro de compte", "número de cuenta", "numero di conto", "rekeningnummer",
)  # fmt: skip
_CTX_BIC = ("swift", "bic", "bank identifier", "swift code", "bic code", "swift/bic")
_CTX_PASSPORT = (
    "passport", "passport no", "passport number", "reisepass", "pass-nr", "passnummer", "passeport",
    "pasaporte", "passaporto", "paspoort", "paspoortnummer",
)  # fmt: skip
_CTX_DL = (
    "driver's license", "drivers license", "driver license", "driver's licence", "drivers licence",
    "driving licence", "driving license", "license number", "licence number", "license no", "licence no",
    "dl", "dl#", "dln", "führerschein", "permis de conduire", "carnet de conducir", "licencia de conducir",
)  # fmt: skip
_CTX_MRN = (
    "mrn", "medical record", "medical record number", "patient id", "patient number", "patient no",
    "chart number", "hospital number", "record number", "health record", "patientennummer",
)  # fmt: skip
_CTX_CRYPTO = ("bitcoin", "btc", "wallet", "ethereum", "eth", "address", "send", "crypto")
_CTX_AWS_SECRET = (
    "aws_secret_access_key", "aws secret", "secret access key", "secret_access_key", "aws_secret",
    "secretaccesskey", "aws secret key",
)  # fmt: skip
_CTX_SECRET = ("key", "token", "secret", "api", "credential", "auth", "bearer")

# --- patterns ----------------------------------------------------------------------------

# Digit-run boundaries shared by the numeric identifiers: no word character, dash or dot
# glued on either side (so a number inside a longer number, a version or a date is not
# read). The left check sits after the first character (a two-character look-behind):
# a pattern that starts with a character class lets the regex engine skip ahead to the
# next candidate character instead of testing a look-behind at every position.
_D = r"[0-9](?<![\w\-.][0-9])"  # one digit, not glued to what precedes it
_R = r"(?![\w\-]|\.[0-9])"

_NINO = re.compile(r"[A-Z](?<![A-Za-z0-9][A-Z])[A-Z] ?[0-9]{2} ?[0-9]{2} ?[0-9]{2} ?[A-D](?![A-Za-z0-9])")
_NHS = re.compile(_D + r"[0-9]{2}([ \-]?)[0-9]{3}\1[0-9]{4}" + _R)
_DE_TAX = re.compile(_D + r"[0-9] ?[0-9]{3} ?[0-9]{3} ?[0-9]{3}" + _R)
_FR_NIR = re.compile(
    r"[12](?<![\w\-.][12]) ?[0-9]{2} ?(?:0[1-9]|1[0-2]|[2-9][0-9]) ?(?:[0-9]{2}|2[AB]) ?[0-9]{3} ?[0-9]{3} ?[0-9]{2}"
    + _R
)
_ES_NIF = re.compile(
    r"[0-9XYZ](?<![\w\-][0-9XYZ])(?:(?<=[0-9])[0-9]{7}|(?<=[XYZ])-?[0-9]{7})-?[A-Z](?![\w\-])"
)
_IT_CF = re.compile(
    r"[A-Z](?<![A-Za-z0-9][A-Z])[A-Z]{5}[0-9LMNPQRSTUV]{2}[A-EHLMPRST][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z]"
    r"(?![A-Za-z0-9])"
)
_NL_BSN = re.compile(_D + r"(?:[0-9]{3}\.?[0-9]{2}\.?[0-9]{3}|[0-9]{2} [0-9]{3} [0-9]{3})" + _R)
_AADHAAR = re.compile(r"[2-9](?<![\w\-.][2-9])[0-9]{3}([ \-]?)[0-9]{4}\1[0-9]{4}" + _R)
_CA_SIN = re.compile(_D + r"[0-9]{2}([ \-]?)[0-9]{3}\1[0-9]{3}" + _R)
_AU_TFN = re.compile(_D + r"[0-9]{2} ?[0-9]{3} ?[0-9]{2,3}" + _R)
_ABA = re.compile(_D + r"[0-9]{8}" + _R)
_BANK_ACCOUNT = re.compile(_D + r"(?:[ \-]?[0-9]){5,16}" + _R)
_BIC = re.compile(r"[A-Z](?<![A-Za-z0-9][A-Z])[A-Z]{3}[A-Z]{2}[A-Z0-9]{2}(?:[A-Z0-9]{3})?(?![A-Za-z0-9])")
_PASSPORT = re.compile(r"[A-Z0-9](?<![A-Za-z0-9][A-Z0-9])[A-Z0-9]{5,8}(?![A-Za-z0-9])")
_DRIVER_LICENSE = re.compile(
    r"[A-Z0-9](?<![A-Za-z0-9\-][A-Z0-9])"
    r"(?:(?<=[A-Z])[A-Z]{0,2}[0-9](?:[ \-]?[0-9]){3,13}|(?<=[0-9])(?:[ \-]?[0-9]){3,13})"
    r"(?![A-Za-z0-9]|-[0-9])"
    r"|[A-Z](?<![A-Za-z0-9\-][A-Z])[0-9]{3}-[0-9]{4}-[0-9]{4}(?:-[0-9]{1,3})?(?![A-Za-z0-9\-])"
)
_MRN = re.compile(
    r"[A-Z0-9](?<![A-Za-z0-9\-][A-Z0-9])"
    r"(?:(?<=[A-Z])[A-Z]{0,2}-?[0-9]{5,10}|(?<=[0-9])[0-9]{4,9})(?![A-Za-z0-9]|-[0-9])"
)
_BTC = re.compile(
    r"[13bB](?<![A-Za-z0-9][13bB])"
    r"(?:(?<=[13])[1-9A-HJ-NP-Za-km-z]{24,33}|(?<=[bB])[cC]1[02-9AC-HJ-NP-Zac-hj-np-z]{11,71})(?![A-Za-z0-9])"
)
_ETH = re.compile(r"0(?<![A-Za-z0-9]0)[xX][0-9A-Fa-f]{40}(?![A-Za-z0-9])")

_AWS_SECRET = re.compile(r"(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])")
_AZURE_STORAGE_KEY = re.compile(r"(?i:AccountKey)=([A-Za-z0-9+/]{86}==)")
_AZURE_CLIENT_SECRET = re.compile(
    r"(?<![A-Za-z0-9_~.\-])[A-Za-z0-9_~.\-]{3}[0-9]Q~[A-Za-z0-9_~.\-]{31,34}(?![A-Za-z0-9_~.\-])"
)
_GCP_OAUTH_SECRET = re.compile(r"(?<![A-Za-z0-9_\-])GOCSPX-[A-Za-z0-9_\-]{28}(?![A-Za-z0-9_\-])")
_GCP_ACCESS_TOKEN = re.compile(r"(?<![A-Za-z0-9_\-.])ya29\.[0-9A-Za-z_\-]{20,2048}(?![A-Za-z0-9_\-])")
_TWILIO_KEY = re.compile(r"(?<![A-Za-z0-9])SK[0-9a-f]{32}(?![A-Za-z0-9])")
_SENDGRID_KEY = re.compile(
    r"(?<![A-Za-z0-9_\-.])SG\.[A-Za-z0-9_\-]{22}\.[A-Za-z0-9_\-]{43}(?![A-Za-z0-9_\-])"
)
_GITLAB_TOKEN = re.compile(
    r"(?<![A-Za-z0-9_\-])gl(?:pat|dt|rt|ptt|soat|cbt|ft)-[0-9A-Za-z_\-]{20,64}(?![A-Za-z0-9_\-])"
)

# scheme://user:PASSWORD@host: the finding is the password only (user and host are kept,
# so the text stays readable and the password is what leaks).
_CONN_STRING = re.compile(
    r"(?i)(?<![A-Za-z0-9+.\-])(?:postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|rediss?|amqps?|mssql|"
    r"sqlserver|oracle|cockroachdb|clickhouse|jdbc:[a-z]{2,12}|s?ftp|smtps?|ldaps?|nats|kafka)"
    r"://[^\s:/@]{1,128}:([^\s@/]{1,256})@[A-Za-z0-9\[]"
)
# Where an e-mail match is the "password@host" of such a string, not an address.
CONN_STRING_USER_BEFORE = re.compile(r"://[^\s:/@]{1,128}:$")

# Passwords in prose, several languages: "my new password is hunter2", "mein Passwort ist
# ...", "mon mot de passe est ...", "mi contraseña es ...". Groups 1-3: the value.
_PASSWORD_PROSE = re.compile(
    r"(?i)(?<![^\W\d_])(?:password|passcode|passwort|kennwort|mot[ \t]de[ \t]passe|contraseña|contrasena|"
    r"clave|wachtwoord|senha|parola[ \t]d'ordine)"
    r"(?:[ \t]{1,3}(?:is|was|ist|war|lautet|est|était|etait|es|era|è|é|e|is[ \t]now|now|jetzt|nu|ora|"
    r"will[ \t]be|sera|será|sarà)){1,2}"
    r"[ \t]{0,3}[:=]?[ \t]{1,4}"
    r"(?:\"([^\"\n]{1,128})\"|'([^'\n]{1,128})'|«[ \t]?([^»\n]{1,128})»|([^\s\"'«]{1,128}))"
)
_PROSE_STOP = frozenset(
    [
        "the",
        "a",
        "an",
        "not",
        "wrong",
        "incorrect",
        "invalid",
        "required",
        "expired",
        "too",
        "weak",
        "strong",
        "correct",
        "set",
        "reset",
        "changed",
        "missing",
        "empty",
        "secret",
        "same",
        "different",
        "now",
        "still",
        "mandatory",
        "case-sensitive",
        "falsch",
        "abgelaufen",
        "ungültig",
        "korrekt",
        "erforderlich",
        "incorrect",
        "incorrecte",
        "invalide",
        "expiré",
        "requis",
        "incorrecto",
        "incorrecta",
        "inválido",
        "invalida",
        "errata",
        "sbagliata",
        "obbligatoria",
        "onjuist",
        "verkeerd",
        "verlopen",
    ]
)


def _mixed_secret(value: str) -> bool:
    """Upper, lower and a digit, and high entropy: a generated key, not a word or a hash."""
    return (
        any(c.isdigit() for c in value)
        and any(c.isupper() for c in value)
        and any(c.islower() for c in value)
        and shannon_entropy(value) >= 4.0
    )


def _passport_ok(value: str) -> bool:
    return sum(c.isdigit() for c in value) >= 5


def _prose_password(text: str, _taken: Sequence[Finding]) -> Iterable[Span]:
    if not any(k in text.lower() for k in _PROSE_LITERALS):
        return
    for m in _PASSWORD_PROSE.finditer(text):
        group = next(g for g in (1, 2, 3, 4) if m.group(g) is not None)
        s, e = m.span(group)
        if group == 4:
            while e > s and text[e - 1] in ".,;:)]}":
                e -= 1
        value = text[s:e]
        if value.lower() in _PROSE_STOP or not looks_like_secret(value, quoted=group != 4):
            continue
        yield s, e


_PROSE_LITERALS = ("pass", "kennwort", "mot de passe", "contrase", "clave", "wachtwoord", "senha", "parola")


# A checksum-valid number right after its own context word ("Aadhaar 6524 6141 6388")
# outranks the context-free reading of the same digits by another family (a 12-digit
# Maestro card at 0.95, a phone at 0.95), but not one that has its own context (1.0).
_S_ID_WITH_CONTEXT = 0.96

# --- the tables ---------------------------------------------------------------------------

NATIONAL_ID_RECOGNIZERS: tuple[Recognizer, ...] = (
    Recognizer("uk_nino", "UK_NINO", _NINO, 0.8, _CTX_NINO, nino_ok, "nino", True, needs_digit=True),
    Recognizer("uk_nhs", "UK_NHS", _NHS, _S_ID_WITH_CONTEXT, _CTX_NHS, nhs_ok, "nhs", True, True, shields_phones=True, needs_digit=True),
    Recognizer("de_tax_id", "DE_TAX_ID", _DE_TAX, _S_ID_WITH_CONTEXT, _CTX_DE_TAX, de_tax_id_ok, "de_tax_id", True, True, shields_phones=True, needs_digit=True),
    Recognizer("fr_nir", "FR_NIR", _FR_NIR, 0.85, _CTX_FR_NIR, fr_nir_ok, "fr_nir", True, shields_phones=True, needs_digit=True),
    Recognizer("es_nif", "ES_NIF", _ES_NIF, 0.85, _CTX_ES, es_nif_ok, "es_nif", True, needs_digit=True),
    Recognizer("it_fiscal_code", "IT_FISCAL_CODE", _IT_CF, 0.95, _CTX_IT, it_fiscal_code_ok, "it_fiscal_code", True, needs_digit=True),
    Recognizer("nl_bsn", "NL_BSN", _NL_BSN, _S_ID_WITH_CONTEXT, _CTX_BSN, nl_bsn_ok, "nl_bsn", True, True, shields_phones=True, needs_digit=True),
    Recognizer("in_aadhaar", "IN_AADHAAR", _AADHAAR, _S_ID_WITH_CONTEXT, _CTX_AADHAAR, aadhaar_ok, "verhoeff", True, True, shields_phones=True, needs_digit=True),
    Recognizer("ca_sin", "CA_SIN", _CA_SIN, _S_ID_WITH_CONTEXT, _CTX_SIN, ca_sin_ok, "luhn", True, True, shields_phones=True, needs_digit=True),
    Recognizer("au_tfn", "AU_TFN", _AU_TFN, _S_ID_WITH_CONTEXT, _CTX_TFN, au_tfn_ok, "au_tfn", True, True, shields_phones=True, needs_digit=True),
    Recognizer("us_routing", "US_ROUTING", _ABA, _S_ID_WITH_CONTEXT, _CTX_ROUTING, aba_ok, "aba", True, True, shields_phones=True, needs_digit=True),
    Recognizer("bank_account", "BANK_ACCOUNT", _BANK_ACCOUNT, 0.75, _CTX_ACCOUNT, context_required=True, shields_phones=True, needs_digit=True),
    Recognizer("swift_bic", "SWIFT_BIC", _BIC, _S_ID_WITH_CONTEXT, _CTX_BIC, bic_ok, "bic", True, True),
    Recognizer("passport", "PASSPORT", _PASSPORT, 0.85, _CTX_PASSPORT, _passport_ok, None, False, True, shields_phones=True, needs_digit=True),
    Recognizer("us_driver_license", "DRIVER_LICENSE", _DRIVER_LICENSE, 0.8, _CTX_DL, context_required=True, shields_phones=True, needs_digit=True),
    Recognizer("medical_record_number", "MEDICAL_RECORD_NUMBER", _MRN, 0.8, _CTX_MRN, context_required=True, shields_phones=True, needs_digit=True),
    Recognizer("btc_address", "CRYPTO_ADDRESS", _BTC, 0.95, _CTX_CRYPTO, btc_address_ok, "btc", True, needs_digit=True),
    Recognizer("eth_address", "CRYPTO_ADDRESS", _ETH, 0.9, _CTX_CRYPTO, eth_address_ok, "eth", True, literals=("0x", "0X"), needs_digit=True),
)  # fmt: skip

SECRET_RECOGNIZERS: tuple[Recognizer, ...] = (
    Recognizer("aws_secret_access_key", "API_KEY", _AWS_SECRET, 0.95, _CTX_AWS_SECRET, _mixed_secret, "entropy", False, True),
    Recognizer("azure_storage_key", "API_KEY", _AZURE_STORAGE_KEY, 0.95, _CTX_SECRET, literals=("ccountKey=", "CCOUNTKEY="), group=1),
    Recognizer("azure_client_secret", "API_KEY", _AZURE_CLIENT_SECRET, 0.9, _CTX_SECRET, literals=("Q~",)),
    Recognizer("gcp_oauth_client_secret", "API_KEY", _GCP_OAUTH_SECRET, 0.95, _CTX_SECRET, literals=("GOCSPX-",)),
    Recognizer("gcp_access_token", "API_KEY", _GCP_ACCESS_TOKEN, 0.95, _CTX_SECRET, literals=("ya29.",)),
    Recognizer("twilio_api_key", "API_KEY", _TWILIO_KEY, 0.9, _CTX_SECRET, literals=("SK",)),
    Recognizer("sendgrid_api_key", "API_KEY", _SENDGRID_KEY, 0.95, _CTX_SECRET, literals=("SG.",)),
    Recognizer("gitlab_token", "API_KEY", _GITLAB_TOKEN, 0.95, _CTX_SECRET, literals=("gl",)),
    Recognizer("connection_string_password", "PASSWORD", _CONN_STRING, 0.95, (), validated=True, literals=("://",), group=1),
    Recognizer("password_in_prose", "PASSWORD", None, 0.85, find=_prose_password),
)  # fmt: skip


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


def custom_recognizer(spec: Mapping[str, Any], where: str = "custom[0]") -> Recognizer:
    r"""A recognizer from a config entry; any problem is a ConfigError naming ``where``.

    Keys: ``name``, ``label`` (UPPER_SNAKE), ``regex`` (bounded, no nested quantifiers,
    no backreferences or lookarounds), ``score`` (default 0.8), ``context`` (words),
    ``context_required`` (default false), ``validator`` (a name in
    :data:`~bastion.detectors.validators.VALIDATORS`), ``boundary`` (default true: the
    match may not be glued to letters or digits on either side).

    >>> r = custom_recognizer({"name": "employee_id", "label": "EMPLOYEE_ID", "regex": r"EMP-\d{6}"})
    >>> [(f.label, f.start, f.end) for f in r.scan("badge EMP-004211 ok")]
    [('EMPLOYEE_ID', 6, 16)]
    >>> custom_recognizer({"name": "x", "label": "X", "regex": "(a+)+"}, "custom[1]")
    Traceback (most recent call last):
    ...
    bastion.errors.ConfigError: pii_regex custom[1] (x): nested quantifiers are not allowed (catastrophic backtracking)
    """
    from bastion.policy import compile_safe_regex

    if not isinstance(spec, Mapping):
        raise ConfigError(
            f"pii_regex {where}: a custom recognizer must be a mapping, got {type(spec).__name__}"
        )
    name = spec.get("name")
    if not isinstance(name, str) or not _NAME_RE.fullmatch(name):
        raise ConfigError(f"pii_regex {where}: name must be lower_snake_case, got {name!r}")
    where = f"{where} ({name})"
    unknown = sorted(set(spec) - _CUSTOM_KEYS)
    if unknown:
        raise ConfigError(f"pii_regex {where}: unknown keys {unknown}; known: {sorted(_CUSTOM_KEYS)}")
    label = spec.get("label")
    if not isinstance(label, str) or not _LABEL_RE.fullmatch(label):
        raise ConfigError(f"pii_regex {where}: label must be UPPER_SNAKE_CASE, got {label!r}")
    pattern = spec.get("regex")
    compile_safe_regex(
        pattern, f"pii_regex {where}", cap=CUSTOM_MAX_WIDTH, budget=CUSTOM_BUDGET, max_width=CUSTOM_MAX_WIDTH
    )
    boundary = spec.get("boundary", True)
    if not isinstance(boundary, bool):
        raise ConfigError(f"pii_regex {where}: boundary must be true or false")
    # compile_safe_regex checked the shape case-insensitively; the recognizer matches as written.
    regex = re.compile(rf"(?<![A-Za-z0-9])(?:{pattern})(?![A-Za-z0-9])" if boundary else pattern)
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


__all__ = [
    "CONTEXT_BOOST",
    "DEFAULT_CONTEXT_WINDOW",
    "NATIONAL_ID_RECOGNIZERS",
    "SECRET_RECOGNIZERS",
    "Recognizer",
    "context_pattern",
    "custom_recognizer",
]
