"""Pure checksum and structure validators used by the regex PII recognizers.

Every function takes the candidate string exactly as it appears in text (separators
included where that matters) and returns a plain value; none of them raises on odd
input, because recognizers call them on arbitrary matched substrings.

>>> luhn_ok("4111 1111 1111 1111"), card_brand("4111111111111111")
(True, 'visa')
>>> iban_ok("DE89 3704 0044 0532 0130 00"), ssn_ok("078-05-1121")
(True, True)
"""

from __future__ import annotations

import base64
import binascii
import datetime as _dt
import json
import math
import re
from collections import Counter
from collections.abc import Callable
from types import MappingProxyType

# ISO 13616 registry: country code -> total IBAN length. Every SEPA country plus the
# non-SEPA members of the SWIFT registry that show up in practice.
IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22,
    "BH": 22, "BI": 27, "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24,
    "DE": 22, "DJ": 27, "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24, "FI": 18,
    "FK": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27,
    "GT": 28, "HN": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26,
    "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20,
    "LU": 20, "LV": 21, "LY": 25, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MN": 20,
    "MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18, "NO": 15, "OM": 23, "PK": 24,
    "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33, "SA": 24,
    "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25,
    "SV": 28, "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
    "YE": 30,
}  # fmt: skip

# (brand, prefix ranges as (low, high) inclusive over the first len(low) digits, lengths).
# Order matters: the first brand whose prefix and length both fit wins, so the narrow
# ranges (Discover 6011/644-649/65) come before the broad UnionPay "62" and Maestro ones.
_CARD_BRANDS: tuple[tuple[str, tuple[tuple[str, str], ...], frozenset[int]], ...] = (
    ("amex", (("34", "34"), ("37", "37")), frozenset({15})),
    ("visa", (("4", "4"),), frozenset({13, 16, 19})),
    ("mastercard", (("51", "55"), ("2221", "2720")), frozenset({16})),
    ("discover", (("6011", "6011"), ("644", "649"), ("65", "65")), frozenset(range(16, 20))),
    ("jcb", (("3528", "3589"),), frozenset(range(16, 20))),
    ("jcb", (("1800", "1800"), ("2131", "2131")), frozenset({15})),
    ("diners", (("300", "305"), ("3095", "3095"), ("36", "36"), ("38", "39")), frozenset({14, 16})),
    ("unionpay", (("62", "62"),), frozenset(range(16, 20))),
    ("mir", (("2200", "2204"),), frozenset(range(16, 20))),
    ("maestro", (("50", "50"), ("56", "58"), ("60", "69")), frozenset(range(12, 20))),
)

SSN_SAMPLES = frozenset({"123456789", "078051120", "219099999"})  # published/advertised, never issued
_SSN_SAMPLES = SSN_SAMPLES


def digits_only(value: str) -> str:
    """The ASCII digits of ``value`` in order.

    >>> digits_only("4111-1111 1111.1111")
    '4111111111111111'
    """
    return "".join(c for c in value if "0" <= c <= "9")


# one decimal point and six or more digits after it, no trunk zero before it: coordinates
# ("51.5073509"), metrics ("1.2109002677"), kernel timestamps ("18586.095074"). No numbering
# plan writes a phone number as one short group, a dot and a long one
_DECIMAL_NUMBER = re.compile(r"(?:0|[1-9][0-9]{0,4})\.[0-9]{6,}")


def is_decimal_number(value: str) -> bool:
    """A decimal written with a long fraction, which is never a phone number.

    >>> is_decimal_number("51.5073509"), is_decimal_number("0475.123456"), is_decimal_number("555.1234")
    (True, False, False)
    """
    return _DECIMAL_NUMBER.fullmatch(value) is not None


def luhn_ok(value: str) -> bool:
    """Luhn (mod 10) check over the digits of ``value``; separators are ignored.

    A value with no digits, or with characters other than digits, spaces and dashes,
    fails.

    >>> luhn_ok("79927398713"), luhn_ok("79927398710")
    (True, False)
    """
    total = 0
    count = 0
    for ch in reversed(value):
        if ch in " -":
            continue
        if not ("0" <= ch <= "9"):
            return False
        d = ord(ch) - 48
        if count % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
        count += 1
    return count > 0 and total % 10 == 0


def card_brand(value: str) -> str | None:
    """The card scheme whose IIN prefix and length fit ``value`` (digits only), else None.

    Does not check Luhn; see :func:`card_ok` for the full check.

    >>> card_brand("378282246310005"), card_brand("5555555555554444"), card_brand("1234567890123")
    ('amex', 'mastercard', None)
    """
    digits = digits_only(value)
    n = len(digits)
    for brand, ranges, lengths in _CARD_BRANDS:
        if n not in lengths:
            continue
        for low, high in ranges:
            head = digits[: len(low)]
            if len(head) == len(low) and low <= head <= high:
                return brand
    return None


def card_ok(value: str) -> bool:
    """Known IIN prefix, a length that scheme issues, and a valid Luhn digit.

    >>> card_ok("4111 1111 1111 1111"), card_ok("4111 1111 1111 1112")
    (True, False)
    """
    return card_brand(value) is not None and luhn_ok(value)


_IBAN_LETTERS = str.maketrans({c: str(ord(c) - ord("A") + 10) for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"})


def iban_ok(value: str) -> bool:
    """ISO 13616 check: known country, that country's length, alphanumeric BBAN, mod-97 == 1.

    Single spaces or dashes between groups are allowed; case is ignored.

    >>> iban_ok("GB82 WEST 1234 5698 7654 32"), iban_ok("GB82 WEST 1234 5698 7654 33")
    (True, False)
    >>> iban_ok("GB82-WEST-1234-5698-7654-32")
    True
    """
    compact = value.replace(" ", "").replace("-", "").upper()
    if len(compact) < 5 or not compact.isascii() or not compact.isalnum():
        return False
    expected = IBAN_LENGTHS.get(compact[:2])
    if expected is None or len(compact) != expected or not compact[2:4].isdigit():
        return False
    rearranged = compact[4:] + compact[:4]
    # int() of the letter-expanded string is exact and far faster than chunked mod in
    # Python; translate() expands the letters in C (the IBAN scan calls this once per
    # candidate, which hostile input makes one per five characters).
    return int(rearranged.translate(_IBAN_LETTERS)) % 97 == 1


def ssn_ok(value: str) -> bool:
    """US Social Security Number structure rules (no checksum exists).

    Nine digits, optionally as 3-2-4 groups with one consistent delimiter (dash, space
    or dot); area not 000, 666 or 900-999; group not 00; serial not 0000; not all one
    digit; not a published sample number.

    >>> ssn_ok("078-05-1121"), ssn_ok("666-12-3456"), ssn_ok("123-45.6789")
    (True, False, False)
    """
    if len(value) == 9:
        digits, delims = value, ""
    elif len(value) == 11:
        digits = value[0:3] + value[4:6] + value[7:11]
        delims = value[3] + value[6]
        if delims[0] != delims[1] or delims[0] not in "- .":
            return False
    else:
        return False
    if not (digits.isascii() and digits.isdigit()):
        return False
    area, group, serial = digits[:3], digits[3:5], digits[5:]
    if area in ("000", "666") or area[0] == "9" or group == "00" or serial == "0000":
        return False
    return len(set(digits)) > 1 and digits not in _SSN_SAMPLES


def shannon_entropy(value: str) -> float:
    """Shannon entropy of the character distribution of ``value``, in bits per character.

    >>> shannon_entropy("aaaa"), shannon_entropy("abcd")
    (0.0, 2.0)
    """
    if not value:
        return 0.0
    n = len(value)
    h = -sum(c / n * math.log2(c / n) for c in Counter(value).values())
    return h + 0.0  # turns -0.0 into 0.0


def jwt_ok(value: str) -> bool:
    """Three base64url segments whose first decodes to a JSON object with an ``alg`` key.

    >>> jwt_ok("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln"), jwt_ok("a.b.c")
    (True, False)
    """
    parts = value.split(".")
    if len(parts) != 3 or not parts[0] or not parts[1]:
        return False
    header = parts[0]
    try:
        raw = base64.urlsafe_b64decode(header + "=" * (-len(header) % 4))
        obj = json.loads(raw)
    except (binascii.Error, ValueError):
        return False
    return isinstance(obj, dict) and "alg" in obj


def date_ok(year: int, month: int, day: int) -> bool:
    """A real calendar date (leap years included) between 1900 and 2100.

    Two-digit years are accepted as-is (0-99) and read as 19xx/20xx by the caller.

    >>> date_ok(2000, 2, 29), date_ok(1900, 2, 29), date_ok(1990, 13, 1)
    (True, False, False)
    """
    if year < 100:
        year += 1900 if year > 30 else 2000
    if not 1900 <= year <= 2100:
        return False
    try:
        _dt.date(year, month, day)
    except ValueError:
        return False
    return True


_PASSWORD_STOP = frozenset(
    {
        "true",
        "false",
        "null",
        "none",
        "nil",
        "yes",
        "no",
        "on",
        "off",
        "undefined",
        "required",
        "optional",
        "string",
        "str",
        "int",
        "bool",
        "password",
        "passwd",
        "secret",
        "changeme",
        "example",
        "redacted",
        "hidden",
        "masked",
        "empty",
        "your_password",
        "yourpassword",
        "mypassword",
        "xxx",
        "xxxx",
        "xxxxxx",
        "xxxxxxxx",
        "todo",
        "tbd",
        "na",
        "n/a",
    }
)  # values that name a secret rather than being one

# (LiteLLM's config reads "os.environ/NAME", other configs "env:NAME": the variable's name)
_PLACEHOLDER = re.compile(
    r"^(?:\$\{?\w+\}?|\{\{.*\}\}|<[^>]*>|%\(?\w*\)?s|\*+|x+|\.+|[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+"
    r"|os\.environ/[A-Za-z_]\w*|env:[A-Z_][A-Z0-9_]*|\{[A-Za-z_][\w.]*(?:\[[^\]{}]*\])?(?:![rsa])?\})$"
)


# Placeholders written as "your password" in some language ("Ihr_Passwort", "votre-mot-de-passe",
# "ваш_пароль"), and bracketed notes ("[entfernt]", "(siehe oben)").
_PLACEHOLDER_OWNER = re.compile(
    r"(?i)^(?:your|ihr|ihre|dein|deine|votre|ton|tu|su|seu|sua|uw|jouw|twoje|twój|twoj|ваш|твой|"
    r"il[_\-]?tuo|la[_\-]?tua)[_\-.]"
)


# A vendor's key prefix or an auth scheme before the part that would be the secret: a docs
# placeholder keeps the prefix ("sk-xxxx...", "sk-your-key-here", "Bearer <your-key>")
_KEY_PREFIX = re.compile(
    r"(?:sk-(?:ant-(?:api\d\d-)?|proj-|svcacct-|or-v1-)?|sk_(?:live|test)_|[pr]k_(?:live|test)_|gh[pousr]_|"
    r"github_pat_|glpat-|xox[abpr]-|hf_|npm_|AIza|(?i:bearer|token|basic)[ \t]+)"
)
# Values that say no key is needed or that the key is a stand-in: what local servers (LM
# Studio, vLLM, llama.cpp, Ollama) and tests document ("not-needed", "sk-no-key-required",
# "fake-key"). "changeme" stays a password: it is the default people leave in place.
_DUMMY = re.compile(
    r"(?i)(?:(?:not|no|none)[-_ ]?(?:(?:api|a)[-_ ]?)?(?:key[-_ ]?)?(?:needed|required|used|set)"
    r"|no[-_](?:key|token|auth|secret|password)"
    r"|(?:my[-_])?(?:dummy|fake|placeholder|unused|ignored|anything|sample|example|test)"
    r"(?:[-_](?:api[-_]?|client[-_]?)?(?:key|token|secret|password))?)"
)
# AWS's published example credentials ("AKIAIOSFODNN7EXAMPLE", ".../bPxRfiCYEXAMPLEKEY") end in
# the word; a random key body spelling it is beyond chance (the rules still want the text
# around it to call it an example: tests and fixtures use the pair as a stand-in for a real key)
_AWS_EXAMPLE = re.compile(r"A[A-Z0-9]{3}[A-Z0-9]{9}EXAMPLE|[A-Za-z0-9/+]{20,40}EXAMPLEKEY")


def documented_example_key(value: str) -> bool:
    """Whether ``value`` is one of AWS's documented example credentials.

    >>> documented_example_key("AKIAIOSFODNN7EXAMPLE"), documented_example_key("AKIA2E0A8F3B244C9986")
    (True, False)
    """
    return _AWS_EXAMPLE.fullmatch(value) is not None


def _placeholder_key(value: str) -> bool:
    """A docs placeholder behind a vendor prefix or an auth scheme: masked ("sk-xxxx",
    "sk-...."), templated ("Bearer <your-key>"), words only ("sk-your-key-here",
    "sk-no-key-required"), or too short to be the vendor's key ("sk-1234")."""
    m = _KEY_PREFIX.match(value)
    if m is None or m.end() == len(value):
        return False
    rest = value[m.end() :]
    if "..." in rest or "…" in rest:
        return True  # elided: "sk-...xyz123"
    if _PLACEHOLDER.match(rest) or _PLACEHOLDER_OWNER.match(rest) or rest.rstrip(".…") == "":
        return True
    masked = sum(rest.count(c) for c in "xX*0.…")
    if masked * 4 >= len(rest) * 3:
        return True
    # real keys carry a random body; a spelled-out slot ("your-key-here") has no digit
    if re.fullmatch(r"[A-Za-z]+(?:[-_][A-Za-z]+)*", rest) and (rest.islower() or "-" in rest or "_" in rest):
        return True
    # (a body of 6+ with upper and lower case and a digit, "sk-7Hq9Lm2", was generated: a key
    # cut short or a test key, still someone's; "sk-1234", "sk-abc123", "sk-uj6F" are stand-ins)
    mixed = (
        any(c.isupper() for c in rest) and any(c.islower() for c in rest) and any(c.isdigit() for c in rest)
    )
    return len(rest) < 8 and not (mixed and len(rest) >= 6) and not any(c in rest for c in "!@#$%^&*+=")


def looks_like_secret(value: str, *, quoted: bool) -> bool:
    """Whether an assigned or stated value is plausibly a real secret: not a placeholder
    (``${PW}``, ``<password>``, ``xxxx``, ``sk-xxxx``, ``not-needed``), not a word naming a
    secret, enough entropy; unquoted letters-only values under 12 characters read as prose
    ("Password: Incorrect").

    >>> looks_like_secret("hunter2!", quoted=False), looks_like_secret("incorrect", quoted=False)
    (True, False)
    >>> looks_like_secret("sk-your-key-here", quoted=False), looks_like_secret("not-needed", quoted=True)
    (False, False)
    """
    v = value.strip()
    if len(v) < 6 or v.lower() in _PASSWORD_STOP or _PLACEHOLDER.match(v):
        return False
    if _DUMMY.fullmatch(v) or _placeholder_key(v):
        return False
    # masked but for a few characters ("xxxxxxxxxxxx1234", "****abcd", "glpat_***") or cut off
    if sum(v.count(c) for c in "xX*•") * 4 >= len(v) * 3 or "***" in v or v.endswith(("...", "…")):
        return False
    if _PLACEHOLDER_OWNER.match(v) or v[0] in "[(":
        return False
    if len(set(v)) <= 2:
        return False
    entropy = shannon_entropy(v)
    if entropy * len(v) < 18:
        return False
    if not quoted:
        # Prose ("Password: Incorrect") is letters only; real unquoted secrets carry a
        # digit or a symbol, or are long passphrases.
        has_other = any(not c.isalpha() for c in v)
        # (capitalised words glued together, "TigerCoffee", "PurpleMaple", are no prose word:
        # a password made of words)
        if not has_other and len(v) < 12 and not re.fullmatch(r"(?:[A-Z][a-z]{2,}){2,}", v):
            return False
    return True


# --- national identifiers (python-stdnum does the arithmetic; imported on first use) ----


def _stdnum_ok(module: str, value: str) -> bool:
    import importlib

    try:
        return bool(importlib.import_module(f"stdnum.{module}").is_valid(value))
    except Exception:  # noqa: BLE001 - a validator never raises on odd input
        return False


_NINO_BAD_PREFIXES = frozenset({"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"})


def nino_ok(value: str) -> bool:
    """UK National Insurance number: two prefix letters (D, F, I, Q, U, V never; O never
    second; BG/GB/KN/NK/NT/TN/ZZ never), six digits, suffix A-D. There is no checksum.

    >>> nino_ok("AB 12 34 56 C"), nino_ok("GB123456A"), nino_ok("QQ123456C")
    (True, False, False)
    """
    v = value.replace(" ", "").replace("-", "").upper()
    if len(v) != 9 or not v.isascii() or not v[2:8].isdigit() or v[8] not in "ABCD":
        return False
    a, b = v[0], v[1]
    if a in "DFIQUV" or b in "DFIQUVO" or not (a.isalpha() and b.isalpha()):
        return False
    return v[:2] not in _NINO_BAD_PREFIXES


def nhs_ok(value: str) -> bool:
    """UK NHS number: ten digits, mod-11 check digit (python-stdnum).

    >>> nhs_ok("943 476 5919"), nhs_ok("943 476 5918")
    (True, False)
    """
    return _stdnum_ok("gb.nhs", value)


def de_tax_id_ok(value: str) -> bool:
    """German Steuerliche Identifikationsnummer: 11 digits, one digit repeated 2-3 times
    in the first ten, ISO 7064 mod 11,10 check digit.

    >>> de_tax_id_ok("36 574 261 809"), de_tax_id_ok("36 574 261 808")
    (True, False)
    """
    return _stdnum_ok("de.idnr", value)


def fr_nir_ok(value: str) -> bool:
    """French NIR (numéro de sécurité sociale): 13 characters (2A/2B for Corsica) and a
    two-digit key, 97 - (number mod 97).

    >>> fr_nir_ok("2 95 10 99 126 111 93"), fr_nir_ok("2 95 10 99 126 111 94")
    (True, False)
    """
    return _stdnum_ok("fr.nir", value)


def pl_pesel_ok(value: str) -> bool:
    """Polish PESEL: eleven digits, the first six a birth date (the month carries the century),
    a weighted mod-10 check digit.

    >>> pl_pesel_ok("44051401359"), pl_pesel_ok("44051401358")
    (True, False)
    """
    return _stdnum_ok("pl.pesel", value)


def cn_ric_ok(value: str) -> bool:
    """Chinese resident identity card number: a six-digit region code of the register, a birth
    date, a sequence and an ISO 7064 mod 11-2 check character (0-9 or X).

    >>> cn_ric_ok("11010519491231002X"), cn_ric_ok("110105194912310021")
    (True, False)
    """
    return _stdnum_ok("cn.ric", value.replace(" ", "").replace("-", "").upper())


def es_nif_ok(value: str) -> bool:
    """Spanish DNI (8 digits + letter) or NIE (X/Y/Z + 7 digits + letter), mod-23 letter.

    >>> es_nif_ok("12345678Z"), es_nif_ok("X1234567L"), es_nif_ok("12345678A")
    (True, True, False)
    """
    v = value.replace(" ", "").replace("-", "").replace(".", "").upper()
    return _stdnum_ok("es.dni", v) or _stdnum_ok("es.nie", v)


def it_fiscal_code_ok(value: str) -> bool:
    """Italian codice fiscale (16 characters, check letter; omocodia letters allowed).

    >>> it_fiscal_code_ok("RCCMNL83S18D969H"), it_fiscal_code_ok("RCCMNL83S18D969A")
    (True, False)
    """
    return len(value.replace(" ", "")) == 16 and _stdnum_ok("it.codicefiscale", value.upper())


def nl_bsn_ok(value: str) -> bool:
    """Dutch BSN: nine digits passing the 11-proof (weights 9..2, -1).

    >>> nl_bsn_ok("111222333"), nl_bsn_ok("111222334")
    (True, False)
    """
    return len(digits_only(value)) == 9 and _stdnum_ok("nl.bsn", value)


def br_cpf_ok(value: str) -> bool:
    """Brazilian CPF: eleven digits, two mod-11 check digits, not all one digit.

    >>> br_cpf_ok("111.444.777-35"), br_cpf_ok("111.444.777-36"), br_cpf_ok("111.111.111-11")
    (True, False, False)
    """
    digits = digits_only(value)
    # "111.111.111-11" passes both check digits; the Receita never issues one-digit CPFs
    return len(digits) == 11 and len(set(digits)) > 1 and _stdnum_ok("br.cpf", value)


def verhoeff_ok(value: str) -> bool:
    """Verhoeff check over the digits of ``value`` (separators ignored).

    >>> verhoeff_ok("2363"), verhoeff_ok("2364")
    (True, False)
    """
    d = digits_only(value)
    return bool(d) and len(d) == len(value.replace(" ", "").replace("-", "")) and _stdnum_ok("verhoeff", d)


def aadhaar_ok(value: str) -> bool:
    """Indian Aadhaar: 12 digits, first digit 2-9, not a palindrome, Verhoeff check digit.

    >>> aadhaar_ok("2345 6789 0124"), aadhaar_ok("2345 6789 0123")
    (True, False)
    """
    return _stdnum_ok("in_.aadhaar", value)


def ca_sin_ok(value: str) -> bool:
    """Canadian Social Insurance Number: nine digits, Luhn, first digit not 0 or 8.

    >>> ca_sin_ok("130 692 544"), ca_sin_ok("130 692 545")
    (True, False)
    """
    return _stdnum_ok("ca.sin", value)


def au_tfn_ok(value: str) -> bool:
    """Australian Tax File Number: eight or nine digits, weighted mod-11 check.

    >>> au_tfn_ok("123 456 782"), au_tfn_ok("123-456-782"), au_tfn_ok("123 456 783")
    (True, True, False)
    """
    # python-stdnum strips only spaces; "123-456-782" is how forms print it too
    return _stdnum_ok("au.tfn", value.replace("-", " "))


def aba_ok(value: str) -> bool:
    """US ABA routing transit number: nine digits, 3-7-1 weighted mod-10 check, a
    Federal Reserve prefix (00-12, 21-32, 61-72, 80).

    >>> aba_ok("011000015"), aba_ok("011000016")
    (True, False)
    """
    d = digits_only(value)
    if len(d) != 9 or len(d) != len(value):
        return False
    prefix = int(d[:2])
    if not (prefix <= 12 or 21 <= prefix <= 32 or 61 <= prefix <= 72 or prefix == 80):
        return False
    return _stdnum_ok("us.rtn", d)


def bic_ok(value: str) -> bool:
    """SWIFT/BIC: 4 bank letters, an ISO country code, 2 location characters and an
    optional 3-character branch (python-stdnum checks the country).

    >>> bic_ok("DEUTDEFF"), bic_ok("DEUTDEFF500"), bic_ok("DEUTXXFF")
    (True, True, False)
    """
    return (
        value.isupper()
        and value not in _BIC_WORDS
        and not _bic_word_shape(value)
        and _stdnum_ok("bic", value)
    )


# English inflections that end a letters-only candidate ("ASSIGNED", "ARRIVING", "HOLDINGS",
# "BRANCHES"): a bank's location or branch code spells them by chance only, and every
# upper-case English word of the BIC's length passes the country check one time in three
_BIC_WORD_ENDINGS = ("ED", "ING", "INGS", "ERS", "HES", "IES", "TION", "TIONS", "MENT", "MENTS", "NESS")


def _bic_word_shape(value: str) -> bool:
    return value.isalpha() and value.endswith(_BIC_WORD_ENDINGS)


# Upper-case words that pass the BIC shape and country check, as status fields and headers
# print them next to "SWIFT"/"BIC" ("SWIFT transfer status: ACCEPTED"): a bank code is an
# abbreviation, never one of these.
_BIC_WORDS = frozenset(
    [
        "ACCEPTED",
        "ACTIVITY",
        "ATTACHED",
        "BENEFICIARY",
        "BUSINESS",
        "CHECKING",
        "CUSTOMER",
        "DECLINED",
        "DISABLED",
        "DOMESTIC",
        "FINISHED",
        "LANGUAGE",
        "MESSAGES",
        "MODIFIED",
        "ORIGINAL",
        "OVERSEAS",
        "PROVIDED",
        "REGISTER",
        "REQUIRED",
        "RESOLVED",
        "REVERSED",
        "SENDERID",
        "SETTINGS",
        "TERMINAL",
        "TRANSACTION",
        "UPLOADED",
        "USERNAME",
        "VERIFIED",
        "WARNINGS",
    ]
)


def mod97_ok(value: str) -> bool:
    """ISO 7064 mod 97-10 over the alphanumerics of ``value`` (letters count 10-35), as
    IBANs use once rearranged.

    >>> mod97_ok("370400440532013000131489"), mod97_ok("370400440532013000131488")
    (True, False)
    """
    compact = value.replace(" ", "").replace("-", "").upper()
    if not compact or not compact.isascii() or not compact.isalnum():
        return False
    return int(compact.translate(_IBAN_LETTERS)) % 97 == 1


# --- crypto-currency addresses --------------------------------------------------------

_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {c: i for i, c in enumerate(_B58)}


def base58check_ok(value: str) -> bool:
    """Base58Check: the last four bytes are the first four of double SHA-256 of the rest.

    >>> base58check_ok("1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2"), base58check_ok("1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3")
    (True, False)
    """
    import hashlib

    if not 25 <= len(value) <= 35:
        return False
    n = 0
    for c in value:
        i = _B58_INDEX.get(c)
        if i is None:
            return False
        n = n * 58 + i
    pad = len(value) - len(value.lstrip("1"))
    try:
        raw = b"\0" * pad + n.to_bytes(25 - pad, "big")
    except OverflowError:
        return False
    if len(raw) != 25:
        return False
    body, check = raw[:-4], raw[-4:]
    return hashlib.sha256(hashlib.sha256(body).digest()).digest()[:4] == check


_BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_BECH32M_CONST = 0x2BC830A3


def _bech32_polymod(values: list[int]) -> int:
    gen = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
    chk = 1
    for v in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i in range(5):
            chk ^= gen[i] if (top >> i) & 1 else 0
    return chk


def bech32_ok(value: str, hrp: str = "bc") -> bool:
    """BIP-173 / BIP-350 address: ``hrp`` + "1" + data with a bech32 (witness v0) or
    bech32m (v1+) checksum; one case only.

    >>> bech32_ok("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"), bech32_ok("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5")
    (True, False)
    """
    if value.lower() != value and value.upper() != value:
        return False
    v = value.lower()
    pos = v.rfind("1")
    if v[:pos] != hrp or not 14 <= len(v) <= 90 or len(v) - pos - 1 < 7:
        return False
    try:
        data = [_BECH32.index(c) for c in v[pos + 1 :]]
    except ValueError:
        return False
    polymod = _bech32_polymod([ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp] + data)
    witver = data[0]
    return (witver == 0 and polymod == 1) or (1 <= witver <= 16 and polymod == _BECH32M_CONST)


def btc_address_ok(value: str) -> bool:
    """A Bitcoin address: legacy/P2SH Base58Check (version 0x00 or 0x05) or bech32(m).

    >>> btc_address_ok("3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy"), btc_address_ok("3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLz")
    (True, False)
    """
    if value[:3].lower() == "bc1":
        return bech32_ok(value)
    return value[:1] in ("1", "3") and base58check_ok(value)


def _rol64(a: int, n: int) -> int:
    return ((a >> (64 - n)) | (a << n)) & 0xFFFFFFFFFFFFFFFF if n else a


def keccak256(data: bytes) -> bytes:
    """Keccak-256 (the pre-FIPS padding Ethereum uses; hashlib only has SHA3-256).

    >>> keccak256(b"").hex()[:16]
    'c5d2460186f7233c'
    """
    rate = 136
    msg = bytearray(data) + b"\x01" + b"\x00" * ((-len(data) - 1) % rate)
    msg[-1] |= 0x80
    lanes = [[0] * 5 for _ in range(5)]
    for off in range(0, len(msg), rate):
        block = msg[off : off + rate]
        for i in range(rate // 8):
            lanes[i % 5][i // 5] ^= int.from_bytes(block[8 * i : 8 * i + 8], "little")
        r = 1
        for _ in range(24):
            c = [lanes[x][0] ^ lanes[x][1] ^ lanes[x][2] ^ lanes[x][3] ^ lanes[x][4] for x in range(5)]
            d = [c[(x + 4) % 5] ^ _rol64(c[(x + 1) % 5], 1) for x in range(5)]
            lanes = [[lanes[x][y] ^ d[x] for y in range(5)] for x in range(5)]
            x, y = 1, 0
            cur = lanes[x][y]
            for t in range(24):
                x, y = y, (2 * x + 3 * y) % 5
                cur, lanes[x][y] = lanes[x][y], _rol64(cur, ((t + 1) * (t + 2) // 2) % 64)
            for y in range(5):
                row = [lanes[x][y] for x in range(5)]
                for x in range(5):
                    lanes[x][y] = row[x] ^ (~row[(x + 1) % 5] & row[(x + 2) % 5])
            for j in range(7):
                r = ((r << 1) ^ ((r >> 7) * 0x71)) % 256
                if r & 2:
                    lanes[0][0] ^= 1 << ((1 << j) - 1)
    out = b"".join(lanes[i % 5][i // 5].to_bytes(8, "little") for i in range(25))
    return out[:32]


def eth_address_ok(value: str) -> bool:
    """``0x`` + 40 hex digits; a mixed-case address must carry a valid EIP-55 checksum
    (all-lower and all-upper addresses have none to check).

    >>> eth_address_ok("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"), eth_address_ok("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD")
    (True, False)
    """
    if len(value) != 42 or value[:2] not in ("0x", "0X"):
        return False
    body = value[2:]
    if not all(c in "0123456789abcdefABCDEF" for c in body):
        return False
    if body == body.lower() or body == body.upper():
        return len(set(body.lower())) > 2  # "0x000...0" is a placeholder, not an address
    digest = keccak256(body.lower().encode()).hex()
    return all(
        (c.upper() if int(h, 16) >= 8 else c.lower()) == c for c, h in zip(body, digest[:40], strict=True)
    )


def nonempty(value: str) -> bool:
    """The trivial validator: any non-blank match passes (a shape-only recognizer)."""
    return bool(value.strip())


def on_digits(check: Callable[[str], bool]) -> Callable[[str], bool]:
    """``check`` applied to the digits of a value only (a custom ``EMP-123456`` pattern
    with ``validator: luhn`` checks ``123456``); a value without digits fails.

    >>> on_digits(luhn_ok)("EMP-79927398713"), on_digits(luhn_ok)("EMP-")
    (True, False)
    """

    def digits_check(value: str) -> bool:
        digits = digits_only(value)
        return bool(digits) and check(digits)

    digits_check.__name__ = f"on_digits({getattr(check, '__name__', 'check')})"
    return digits_check


# name -> validator, for custom recognizers in configuration files. Numeric checksums
# read the digits of the match (so a pattern may carry a prefix); the others read the
# match as written.
VALIDATORS: MappingProxyType[str, Callable[[str], bool]] = MappingProxyType(
    {
        "luhn": on_digits(luhn_ok),
        "card": on_digits(card_ok),
        "mod97": mod97_ok,
        "iban": iban_ok,
        "verhoeff": on_digits(verhoeff_ok),
        "aba": on_digits(aba_ok),
        "nhs": on_digits(nhs_ok),
        "nino": nino_ok,
        "ssn": on_digits(ssn_ok),
        "de_tax_id": on_digits(de_tax_id_ok),
        "fr_nir": fr_nir_ok,
        "pl_pesel": on_digits(pl_pesel_ok),
        "cn_ric": cn_ric_ok,
        "es_nif": es_nif_ok,
        "it_fiscal_code": it_fiscal_code_ok,
        "nl_bsn": on_digits(nl_bsn_ok),
        "aadhaar": on_digits(aadhaar_ok),
        "ca_sin": on_digits(ca_sin_ok),
        "au_tfn": on_digits(au_tfn_ok),
        "bic": bic_ok,
        "btc": btc_address_ok,
        "eth": eth_address_ok,
        "jwt": jwt_ok,
    }
)

__all__ = [
    "IBAN_LENGTHS",
    "VALIDATORS",
    "aadhaar_ok",
    "aba_ok",
    "au_tfn_ok",
    "base58check_ok",
    "bech32_ok",
    "bic_ok",
    "btc_address_ok",
    "ca_sin_ok",
    "de_tax_id_ok",
    "es_nif_ok",
    "eth_address_ok",
    "fr_nir_ok",
    "cn_ric_ok",
    "pl_pesel_ok",
    "it_fiscal_code_ok",
    "keccak256",
    "looks_like_secret",
    "mod97_ok",
    "nhs_ok",
    "nino_ok",
    "nl_bsn_ok",
    "nonempty",
    "on_digits",
    "verhoeff_ok",
    "card_brand",
    "card_ok",
    "date_ok",
    "digits_only",
    "iban_ok",
    "jwt_ok",
    "luhn_ok",
    "shannon_entropy",
    "ssn_ok",
]
