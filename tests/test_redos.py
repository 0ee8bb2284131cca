"""Every runtime regex and detector stays linear in the text length (issue 11, item 1).

Adversarial texts (newlines, spaces, digit runs, "@"/"." runs, base64-ish runs, keywords
repeated without the part that would complete a match...) are fed at n and 2n
characters; the time ratio must stay under ``MAX_RATIO`` (2.0 for linear, 4.0 for
quadratic), or fall under it on the next doubling. Timings are min-of-``TRIES``, GC paused, the two sizes interleaved, and a shape
is only retried when its first ratio looks bad, so a quiet run costs two calls a shape.
No wall-clock bound is asserted: a call too fast to time reliably (< ``FLOOR_S`` on
the larger input) passes, since nothing quadratic over 100 KB is that fast.

``BASTION_REDOS_N`` overrides the base size (e.g. 4000 to check old code quickly).
"""

from __future__ import annotations

import gc
import importlib
import os
import pkgutil
import re
import time
from collections.abc import Callable

import pytest
from bastion import canary, leak
from bastion.detectors import blocklist, escapes, heuristic, payloads, pii_regex, recognizers, rules
from bastion.detectors.blocklist import PhraseBlocklistDetector
from bastion.detectors.heuristic import HeuristicInjectionDetector
from bastion.detectors.pii_regex import RegexPIIDetector
from bastion.normalize import normalize

N = int(os.environ.get("BASTION_REDOS_N", "50000"))  # texts of N and 2N (100 KB) chars
# ~100 patterns x every shape: 10 KB / 20 KB texts keep the audit to a minute or two,
# and a quadratic pattern is already seconds at 20 KB.
N_PATTERN = N // 5
MAX_RATIO = 3.0
TRIES = 5
FLOOR_S = 0.005
# One scan of 20 KB by a quadratic pattern costs ~10^8 steps (seconds); a linear one is
# well under this even on a loaded machine.
FLOOR_PATTERN_S = 0.03

# name -> repeated unit. Each shape targets a construct that could backtrack: a
# quantified class running to the end and failing, an ambiguous split between two
# quantifiers, a line-anchored pattern restarted at every line, a keyword whose
# completion never comes.
SHAPES: dict[str, str] = {
    "newlines": "\n",
    "x_then_newlines": "x" + "\n" * 63,
    "crlf": "\r\n",
    "spaces": " ",
    "tabs": "\t",
    "nl_space": "\n ",
    "ws_mix": " \t\n\u00a0",
    "line_separators": "\u2028",
    "digits": "7",
    "digit_space": "1 ",
    "digit_dash": "1-",
    "digit_dot": "1.",
    "digit_slash": "1/",
    "digit_colon": "1:",
    "digit_groups": "4111 ",
    "plus_digit": "+1",
    "paren_digit": "(1",
    "at": "@",
    "at_dot": "@.",
    "a_at": "a@",
    "email_no_tld": "x@x.",
    "dots": ".",
    "dashes": "-",
    "underscores": "_",
    "a": "a",
    "a_space": "a ",
    "a_dash": "a-",
    "a1": "a1",
    "base64ish": "QWxhZGRpbjpvcGVuIHNlc2FtZQ",
    "base64_slash": "ab+/",
    "hex": "ab",
    "hex_colon": "ab:",
    "colons": ":",
    "equals": "=",
    "quotes": "'\"",
    "brackets": "[",
    "braces": "{",
    "angles": "<",
    "angle_space": "< ",
    "hashes": "#",
    # transcripts: digit words, and "at"/"dot" chains after a mail and a phone word
    "spoken_digits": "phone nine eight, ",
    "spoken_dots": "email a dot b at c dot ",
    "nl_hash": "\n##",
    "nl_bracket": "\n[",
    "nl_system": "\nsystem",
    "nl_sys_colon": "\nsys:",
    "system_colon": "system:",
    "im_start_open": "<|",
    "inst_open": "[inst",
    "ignore": "ignore ",
    "ignore_all_previous": "ignore all previous ",
    "you": "you ",
    "show_your": "show your ",
    "dan": "DAN ",
    "leet": "1gn0r3 ",
    "spaced_letters": "i g n o r e ",
    "password_word": "password",
    "password_eq": "password= ",
    "query_amp": "&a=",
    "pem_begin": "-----BEGIN PRIVATE KEY-----",
    "jwt_head": "eyJ",
    "url_scheme": "http://",
    "www": "www.",
    "iban_head": "DE89 ",
    "iban_compact_head": "DE8937040044",
    "sk_dash": "sk-",
    "ghp": "ghp_",
    "xox": "xoxb-1",
    "akia": "AKIA",
    "month_day": "12 january ",
    "born_digit": "born 1",
    "ssn_like": "078-05-",
    "ip_like": "10.0.0.",
    "mac_like": "aa:bb:",
    "dotted_i": "İ",
    "emoji": "🔓",
    "zero_width": "a\u200b",
    "fullwidth": "ｉｇｎｏｒｅ ",
    # the identifier and secret recognizers of issue 13
    "ones": "1",
    "nino_like": "AB 12 34 56 ",
    "nine_digits": "123456789 ",
    "digit_groups_3": "943 476 ",
    "nhs_context": "NHS 943 476 ",
    "account_digits": "account 1-2 ",
    "passport_alnum": "passport A1B2C3 ",
    "upper": "ABCDEFGH",
    "cf_like": "RSSMRA85T10",
    "nie_like": "X1234567",
    "bc1": "bc1q",
    "hex_0x": "0x",
    "base58": "1BvBMSEYstWetqTF",
    "conn_string": "postgres://a:",
    # session 28: labelled passwords in other languages, CJK-glued context words and phones
    "passwort_colon": "Passwort: ",
    "parol_dash": "пароль — ",
    "haslo_to": "hasło to ",
    "mima_shi": "密码是",
    "ob_at": "a [at] b [dot] ",
    "ob_at_glued": "a(at)",
    "ob_dots": "a [at] b(dot)",
    "shout_at": "a AT b DOT ",
    "shout_words": "aAT ",
    "pass_colon": "pass: ",
    "cjk_plus_digit": "是+8",
    "cjk_digits": "号1",
    "passport_ru": "паспорт 45 09 ",
    "ric_like": "11010519491231",
    "conn_user": "mysql://user",
    "prose_password": "password is ",
    "prose_password_fr": "mot de passe est ",
    "glpat": "glpat-",
    "sendgrid": "SG.",
    "ya29": "ya29.",
    "account_key": "AccountKey=",
    "azure_secret": "abc1Q~",
    "aws_secret_ctx": "aws_secret_access_key A/",
    "sk_hex": "SK0123",
    # session 29: escaped text, credentials in URLs and headers, field-name context words
    "json_escape": "\\n",
    "json_unicode": "\\u00",
    "json_backslashes": "\\",
    "html_entity_num": "&#6",
    "html_entity_name": "&nbsp",
    "html_nbsp_digits": "4111&nbsp;",
    "percent": "%4",
    "percent_digits": "%201",
    "basic_auth": "Basic ",
    "basic_b64": "Basic QWxh",
    "bearer": "Bearer ",
    "https_creds": "https://a:",
    "redis_empty_user": "redis://:",
    "email_accented": "é@",
    "email_cyrillic": "и@п.",
    "snake_context": "social_security_",
    "fr_phone_dots": "06.12.34.",
    "pgp_begin": "-----BEGIN PGP PRIVATE KEY BLOCK-----\n",
    "pem_blank_lines": "-----BEGIN RSA PRIVATE KEY-----\n\n",
    "token_eq": "token=",
}


def _text(unit: str, n: int) -> str:
    return (unit * (n // len(unit) + 1))[:n]


def _growth(fn: Callable[[str], object], unit: str, n: int, floor: float = FLOOR_S) -> tuple[float, float]:
    """Min-of-TRIES seconds for ``fn`` on n and 2n characters, interleaved."""
    small, big = _text(unit, n), _text(unit, 2 * n)
    best_s = best_b = float("inf")
    gc.disable()  # as timeit does: a collection landing in one call is not the regex's cost
    try:
        t0 = time.perf_counter()
        fn(big)
        best_b = time.perf_counter() - t0
        if best_b < floor:
            return 0.0, best_b  # too fast to be quadratic at this size; skip the timing
        for _ in range(TRIES):
            t0 = time.perf_counter()
            fn(small)
            t1 = time.perf_counter()
            fn(big)
            t2 = time.perf_counter()
            best_s, best_b = min(best_s, t1 - t0), min(best_b, t2 - t1)
            if best_b < floor or best_b < MAX_RATIO * best_s:
                break
    finally:
        gc.enable()
    return best_s, best_b


def _superlinear(fn: Callable[[str], object], unit: str, n: int, floor: float = FLOOR_S) -> str | None:
    """A description of the growth when it looks super-linear, else None.

    A single high ratio is confirmed on the next doubling: CPython switches algorithms
    at some sizes (substring search goes adaptive on long haystacks), a one-off step
    in cost, while a quadratic scan stays at ~4x on every doubling.
    """
    seen = []
    for size in (n, 2 * n):
        small, big = _growth(fn, unit, size, floor)
        if big < floor or big < MAX_RATIO * small:
            return None
        seen.append(f"{size}->{2 * size} chars: {small:.4f}s -> {big:.4f}s ({big / small:.1f}x)")
    return "; ".join(seen)


def _check(fn: Callable[[str], object], unit: str, n: int) -> None:
    slow = _superlinear(fn, unit, n)
    assert slow is None, slow


_HEURISTIC = HeuristicInjectionDetector()
_REGEX = RegexPIIDetector()
_BLOCKLIST = PhraseBlocklistDetector()
DETECTORS: dict[str, Callable[[str], object]] = {
    "heuristic": lambda t: _HEURISTIC.detect([t]),
    "regex": lambda t: _REGEX.detect([t]),
    "blocklist": lambda t: _BLOCKLIST.detect([t]),
    "normalize": normalize,
    # what the injection classifier does before the model: find, decode and mask encoded runs
    "payloads": lambda t: payloads.masked_view(t, payloads.find_payloads(t)),
}


@pytest.mark.slow
@pytest.mark.parametrize("shape", sorted(SHAPES))
@pytest.mark.parametrize("detector", sorted(DETECTORS))
def test_detector_time_is_linear(detector: str, shape: str) -> None:
    _check(DETECTORS[detector], SHAPES[shape], N)


def _runtime_patterns() -> dict[str, re.Pattern[str]]:
    """Every compiled pattern of the rule detectors, including ones behind literal gates."""
    out: dict[str, re.Pattern[str]] = {}
    # every family module of the rules package, so a new one is audited without a change here
    families = [
        importlib.import_module(f"{rules.__name__}.{m.name}") for m in pkgutil.iter_modules(rules.__path__)
    ]
    for module in (heuristic, payloads, pii_regex, blocklist, recognizers, escapes, canary, leak, *families):
        short = module.__name__.rsplit(".", 1)[-1]
        for name, value in vars(module).items():
            if isinstance(value, re.Pattern):
                out[f"{short}.{name}"] = value
    for i, rule in enumerate(heuristic._RULES):
        out[f"heuristic._RULES[{i}]:{rule.family}"] = rule.pattern
    for rec in _REGEX.recognizers:
        if rec.regex is not None:
            out[f"recognizer[{rec.name}].regex"] = rec.regex
        if rec._context_re is not None:
            out[f"recognizer[{rec.name}].context"] = rec._context_re
    if _REGEX._gate is not None:
        out["pii_regex.context_gate"] = _REGEX._gate
    return out


PATTERNS = _runtime_patterns()
# Patterns the runtime only ever applies with .match at one position per text. _PEM_BODY
# (the body of a truncated PEM block) matches empty anywhere, so finditer over spaces
# retries it at every position: quadratic in a way no caller can trigger.
MATCH_ONLY = frozenset({"secrets._PEM_BODY"})


def test_the_audit_sees_the_rules() -> None:
    # guard against the audit silently covering nothing after a refactor
    assert sum(k.startswith("heuristic._RULES") for k in PATTERNS) >= 30
    assert {"payment._IBAN", "payment._DIGIT_RUN", "phone._PHONE_REGION", "contact._EMAIL"} <= set(PATTERNS)
    # every recognizer's pattern and context words, built-in and new
    assert sum(k.startswith("recognizer[") and k.endswith(".regex") for k in PATTERNS) >= 35
    assert {"secrets._CONN_STRING", "secrets._PASSWORD_PROSE", "identifiers._BTC"} <= set(PATTERNS)


@pytest.mark.slow
@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_every_pattern_scans_in_linear_time(shape: str) -> None:
    unit = SHAPES[shape]
    slow = []
    for name, pattern in PATTERNS.items():
        # finditer over the whole text: the worst way any caller could use the pattern
        def scan(t: str, p: re.Pattern[str] = pattern) -> int:
            return sum(1 for _ in p.finditer(t))

        if name in MATCH_ONLY:

            def scan(t: str, p: re.Pattern[str] = pattern) -> int:  # noqa: F811
                return 0 if p.match(t) is None else 1

        found = _superlinear(scan, unit, N_PATTERN, FLOOR_PATTERN_S)
        if found is not None:
            slow.append(f"{name}: {found}")
    assert not slow, "super-linear patterns:\n" + "\n".join(slow)


@pytest.mark.parametrize("n_newlines", [8000])
def test_issue_repro_newlines_degraded_guard(n_newlines: int) -> None:
    # The reported case: "x" + newlines through the heuristic. Compared with a plain
    # text of the same length, not with a clock.
    def newlines(t: str) -> object:
        return _HEURISTIC.detect(["x" + "\n" * (len(t) - 1)])

    def prose(t: str) -> object:
        return _HEURISTIC.detect([t])

    text = _text("the quick brown fox. ", n_newlines)
    t_nl = min(_timed(newlines, text) for _ in range(TRIES))
    t_prose = min(_timed(prose, text) for _ in range(TRIES))
    assert t_nl < 5 * t_prose + FLOOR_S, (t_nl, t_prose)


def _timed(fn: Callable[[str], object], text: str) -> float:
    t0 = time.perf_counter()
    fn(text)
    return time.perf_counter() - t0
