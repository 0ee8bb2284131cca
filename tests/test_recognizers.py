"""Recognizers for national identifiers, bank / crypto identifiers and secrets (issue 13
item 4), custom recognizers from a Guard config (issue 15), and the recognizer table."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest
from bastion import Guard
from bastion.detectors import build_detector
from bastion.detectors.pii_regex import RegexPIIDetector
from bastion.detectors.recognizers import Recognizer, custom_recognizer
from bastion.detectors.rules import RECOGNIZERS, RULE_LABELS, secrets
from bastion.errors import ConfigError
from bastion.labels import REGEX_ONLY_LABELS, SECRET_LABELS
from bastion.policy import OUTPUT_POLICY


@pytest.fixture(scope="module")
def det() -> RegexPIIDetector:
    return RegexPIIDetector()


def values(det: RegexPIIDetector, text: str, label: str) -> list[str]:
    return [text[f.start : f.end] for f in det.detect([text])[0] if f.label == label]


_AZURE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="

# (label, text, the exact value reported). Check digits verified with python-stdnum.
VALID = [
    ("UK_NINO", "NI number AB 12 34 56 C", "AB 12 34 56 C"),
    ("UK_NINO", "nino: JG103759A", "JG103759A"),
    ("UK_NHS", "NHS number 943 476 5919", "943 476 5919"),
    ("UK_NHS", "nhs no. 4010232137", "4010232137"),
    ("DE_TAX_ID", "Steuer-ID: 36 574 261 809", "36 574 261 809"),
    ("DE_TAX_ID", "meine Steuer-ID 65929970489", "65929970489"),
    ("FR_NIR", "NIR 2 95 10 99 126 111 93", "2 95 10 99 126 111 93"),
    ("FR_NIR", "n° sécu 1 84 12 76 451 089 46", "1 84 12 76 451 089 46"),
    ("FR_NIR", "295109912611193", "295109912611193"),  # the key is strong enough alone
    ("ES_NIF", "DNI 12345678Z", "12345678Z"),
    ("ES_NIF", "mi NIE es X1234567L", "X1234567L"),
    ("ES_NIF", "NIE Y-1234567-X", "Y-1234567-X"),
    ("IT_FISCAL_CODE", "codice fiscale RSSMRA85T10A562S", "RSSMRA85T10A562S"),
    ("IT_FISCAL_CODE", "CF: RCCMNL83S18D969H", "RCCMNL83S18D969H"),
    ("NL_BSN", "BSN 111222333", "111222333"),
    ("NL_BSN", "burgerservicenummer 1112.22.333", "1112.22.333"),
    ("IN_AADHAAR", "Aadhaar 2345 6789 0124", "2345 6789 0124"),
    ("CA_SIN", "SIN 130 692 544", "130 692 544"),
    ("AU_TFN", "TFN 123 456 782", "123 456 782"),
    ("US_ROUTING", "routing number 011000015", "011000015"),
    ("US_ROUTING", "ABA 021000021", "021000021"),
    ("BANK_ACCOUNT", "account number 12345678901", "12345678901"),
    ("SWIFT_BIC", "SWIFT: DEUTDEFF500", "DEUTDEFF500"),
    ("SWIFT_BIC", "bic code NWBKGB2L", "NWBKGB2L"),
    ("PASSPORT", "passport no. 123456789", "123456789"),
    ("PASSPORT", "Reisepass C01X00T47", "C01X00T47"),
    ("DRIVER_LICENSE", "driver's license D1234567", "D1234567"),
    ("DRIVER_LICENSE", "DL# S123-4567-8901", "S123-4567-8901"),
    ("DRIVER_LICENSE", "driver licence D123-4567-8901", "D123-4567-8901"),  # issue 13 example
    ("MEDICAL_RECORD_NUMBER", "MRN 00123456", "00123456"),
    ("MEDICAL_RECORD_NUMBER", "medical record number: MR-4471209", "MR-4471209"),
    ("CRYPTO_ADDRESS", "send to 1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2"),
    ("CRYPTO_ADDRESS", "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy", "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy"),
    (
        "CRYPTO_ADDRESS",
        "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",
        "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",
    ),
    (
        "CRYPTO_ADDRESS",
        "taproot bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0",
        "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0",
    ),
    (
        "CRYPTO_ADDRESS",
        "eth 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
    ),
    (
        "CRYPTO_ADDRESS",
        "to 0xde709f2102306220921060314715629080e2fb77",
        "0xde709f2102306220921060314715629080e2fb77",
    ),
    (
        "API_KEY",
        "aws_secret_access_key wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    ),
    ("API_KEY", f"AccountKey={_AZURE_KEY};EndpointSuffix=core.windows.net", _AZURE_KEY),
    (
        "API_KEY",
        "client secret abc8Q~dEfGhIjKlMnOpQrStUvWxYz0123456789a",
        "abc8Q~dEfGhIjKlMnOpQrStUvWxYz0123456789a",
    ),
    ("API_KEY", "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", "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"),
    ("API_KEY", "Authorization: Bearer ya29.a0AfH6SMBx3kQz9vLp2Rt7Uw", "ya29.a0AfH6SMBx3kQz9vLp2Rt7Uw"),
    ("API_KEY", "twilio SK0123456789abcdef0123456789abcdef", "SK0123456789abcdef0123456789abcdef"),
    (
        "API_KEY",
        "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",
        "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",
    ),
    ("API_KEY", "token glpat-xYz12AbC34dEf56GhI78jK", "glpat-xYz12AbC34dEf56GhI78jK"),
    # connection strings: the password only, user and host stay readable
    ("PASSWORD", "postgres://admin:s3cretPW@db.example.com:5432/app", "s3cretPW"),
    ("PASSWORD", "mongodb+srv://bob:hunter2x@cluster0.mongodb.net/test", "hunter2x"),
    # passwords in prose, several languages
    ("PASSWORD", "my new password is hunter2", "hunter2"),
    ("PASSWORD", "mein Passwort ist Sommer2024!", "Sommer2024!"),
    ("PASSWORD", "mon mot de passe est Soleil#42.", "Soleil#42"),
    ("PASSWORD", "mi contraseña es gato1234", "gato1234"),
    ("PASSWORD", "la mia password è Roma2023", "Roma2023"),
    ("PASSWORD", 'my password was "correct horse"', "correct horse"),
]

# (label, text): checksum-invalid or context-less look-alikes that must not match.
INVALID = [
    ("UK_NINO", "NI number GB 12 34 56 C"),  # never-issued prefix
    ("UK_NINO", "nino QQ123456C"),
    ("UK_NINO", "nino AB123456E"),  # suffix past D
    ("UK_NHS", "NHS number 943 476 5918"),
    ("UK_NHS", "call 943 476 5919"),  # valid, but no context: a phone-shaped number
    ("DE_TAX_ID", "Steuer-ID: 36 574 261 808"),
    ("DE_TAX_ID", "Steuer-ID 11111111111"),
    ("FR_NIR", "NIR 2 95 10 99 126 111 94"),
    ("ES_NIF", "DNI 12345678A"),
    ("ES_NIF", "NIE X1234567A"),
    ("IT_FISCAL_CODE", "codice fiscale RSSMRA85T10A562T"),
    ("NL_BSN", "BSN 111222334"),
    ("NL_BSN", "order 111222333"),
    ("IN_AADHAAR", "Aadhaar 2345 6789 0123"),
    ("IN_AADHAAR", "Aadhaar 1234 5678 9012"),  # may not start with 1
    ("CA_SIN", "SIN 130 692 545"),
    ("AU_TFN", "TFN 123 456 783"),
    ("US_ROUTING", "routing number 011000016"),
    ("US_ROUTING", "routing 991000019"),  # no such Federal Reserve prefix
    ("BANK_ACCOUNT", "order number 12345678901"),
    ("SWIFT_BIC", "SWIFT: DEUTXXFF"),  # no country XX
    ("SWIFT_BIC", "BANKDEFF without context"),
    ("PASSPORT", "passport expires soon ABCDEFGH"),
    ("PASSPORT", "order 123456789"),
    ("DRIVER_LICENSE", "license plate 1234"),
    ("DRIVER_LICENSE", "order 12345678"),
    ("MEDICAL_RECORD_NUMBER", "invoice 00123456"),
    ("CRYPTO_ADDRESS", "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3"),
    ("CRYPTO_ADDRESS", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5"),
    ("CRYPTO_ADDRESS", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD"),  # bad EIP-55 case
    ("CRYPTO_ADDRESS", "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beae"),  # 39 hex digits
    ("API_KEY", "aws_secret_access_key aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
    ("API_KEY", "commit 0123456789abcdef0123456789abcdef01234567"),
    ("API_KEY", "GOCSPX-short"),
    ("API_KEY", "SKATEBOARD0123456789abcdef0123456789ab"),
    ("API_KEY", "glpat-short"),
    ("PASSWORD", "postgres://admin@db.example.com/app"),
    ("PASSWORD", "postgres://admin:@db.example.com/app"),
    ("PASSWORD", "my password is incorrect"),
    ("PASSWORD", "the password was changed"),
    ("PASSWORD", "mein Passwort ist falsch"),
    ("PASSWORD", "mon mot de passe est incorrect"),
    ("PASSWORD", "la contraseña es obligatoria"),
]


@pytest.mark.parametrize(("label", "text", "value"), VALID, ids=[f"{v[0]}-{i}" for i, v in enumerate(VALID)])
def test_valid_identifier_is_found(det: RegexPIIDetector, label: str, text: str, value: str) -> None:
    assert value in values(det, text, label)


@pytest.mark.parametrize(("label", "text"), INVALID, ids=[f"{v[0]}-{i}" for i, v in enumerate(INVALID)])
def test_invalid_identifier_is_not_found(det: RegexPIIDetector, label: str, text: str) -> None:
    assert values(det, text, label) == []


def test_every_new_label_has_valid_and_invalid_cases() -> None:
    new = set(RULE_LABELS) - {
        "EMAIL_ADDRESS", "PHONE_NUMBER", "US_SSN", "CREDIT_CARD", "IBAN_CODE", "IP_ADDRESS", "URL",
        "MAC_ADDRESS", "PRIVATE_KEY", "DATE_OF_BIRTH",
    }  # fmt: skip
    assert new <= {v[0] for v in VALID}
    assert new <= {v[0] for v in INVALID}


def test_every_rule_label_is_a_known_label() -> None:
    from bastion.labels import ALL_PII_LABELS

    assert set(RULE_LABELS) <= set(ALL_PII_LABELS)
    assert "UK_NHS" in REGEX_ONLY_LABELS


def test_connection_string_keeps_user_and_host(det: RegexPIIDetector) -> None:
    text = "DATABASE_URL=postgres://admin:s3cretPW@db.example.com:5432/app"
    fs = det.detect([text])[0]
    assert [(f.label, text[f.start : f.end]) for f in fs] == [("PASSWORD", "s3cretPW")]


def test_every_secret_label_is_blocked_on_output() -> None:
    # check_output blocks what leaks credentials; every label a secret recognizer emits
    # must be one the output policy blocks.
    secret_labels = set(SECRET_LABELS)
    in_module = {v.name for v in vars(secrets).values() if isinstance(v, Recognizer)}
    in_module |= {r.name for r in (*secrets.API_KEYS, *secrets.CLOUD_KEYS)}
    secret_recognizers = [r for r in RECOGNIZERS if r.name in in_module or r.label in secret_labels]
    assert len(secret_recognizers) >= 20
    assert {r.label for r in secret_recognizers} <= secret_labels
    for label in secret_labels:
        assert OUTPUT_POLICY.action_for_label(label).value == "block"


def test_context_only_ids_need_their_context(det: RegexPIIDetector) -> None:
    # the same digits: an NHS number after "NHS", nothing (or a phone) otherwise
    assert values(det, "NHS 943 476 5919", "UK_NHS") == ["943 476 5919"]
    assert values(det, "ticket 943 476 5919", "UK_NHS") == []
    assert values(RegexPIIDetector(context_window=0), "NHS 943 476 5919", "UK_NHS") == []


def test_national_id_beats_the_phone_reading(det: RegexPIIDetector) -> None:
    text = "NHS number 943 476 5919"
    assert [f.label for f in det.detect([text])[0]] == ["UK_NHS"]


def test_recognizer_names_are_unique() -> None:
    names = [r.name for r in RECOGNIZERS]
    assert len(names) == len(set(names))


def test_one_recognizer_adds_a_label() -> None:
    rec = Recognizer("ticket", "TICKET_ID", re.compile(r"TCK-[0-9]{5}"), 0.7, context=("ticket",))
    assert [(f.label, f.score) for f in rec.scan("ticket TCK-12345")] == [("TICKET_ID", 0.9)]
    assert [(f.label, f.score) for f in rec.scan("see TCK-12345")] == [("TICKET_ID", 0.7)]


def test_the_registry_is_the_one_list_of_labels() -> None:
    # RULE_LABELS and the detector follow the table: a label is added in one place
    det = RegexPIIDetector()
    assert len(RULE_LABELS) == len(set(RULE_LABELS)) == len({r.label for r in det.recognizers})
    assert set(RULE_LABELS) == {r.label for r in det.recognizers}
    assert det.recognizers[: len(RECOGNIZERS)] == RECOGNIZERS
    assert [r.name for r in det.recognizers[len(RECOGNIZERS) :]] == ["phone"]


# A pattern that over-matches a run of ids; the trim keeps the first six characters.
_OVER = re.compile(r"[A-Z]{2}[0-9A-Z]{4,40}")


def _first_six(_text: str, start: int, end: int) -> tuple[int, int] | None:
    return (start, start + 6) if end - start >= 6 else None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("AB1234", ["AB1234"]),
        # glued: what the trim cut off is the next value (issue 11's IBAN bug, in general)
        ("AB1234CD5678", ["AB1234", "CD5678"]),
        ("AB1234CD5678EF9012 and GH3456", ["AB1234", "CD5678", "EF9012", "GH3456"]),
        # the cut-off rest is rescanned, and skipped where it is no value
        ("AB12345 x", ["AB1234"]),
    ],
)
def test_a_trimming_recognizer_rescans_from_the_trim_point(text: str, expected: list[str]) -> None:
    rec = Recognizer("glued", "GLUED_ID", _OVER, 0.8, trim=_first_six)
    assert [text[f.start : f.end] for f in rec.scan(text)] == expected


def test_a_rejecting_trim_resumes_after_the_match() -> None:
    rec = Recognizer(
        "odd", "ODD", re.compile(r"[0-9]+"), 0.8, trim=lambda t, s, e: (s, e) if int(t[s:e]) % 2 else None
    )
    assert [f.start for f in rec.scan("12 13 14 15")] == [3, 9]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"regex": None, "find": None}, "exactly one of regex and find"),
        ({"score": 1.5}, "score must be in"),
        ({"context": (), "context_required": True}, "needs context words"),
    ],
)
def test_recognizer_rejects_bad_definitions(kwargs: dict, message: str) -> None:
    base = {"name": "x", "label": "X", "regex": re.compile("x"), "score": 0.5}
    with pytest.raises(ConfigError, match=message):
        Recognizer(**(base | kwargs))


# --- custom recognizers (issue 15) ----------------------------------------------------------


def _guard_from_yaml(tmp_path: Path, custom_yaml: str) -> Guard:
    cfg = tmp_path / "bastion.yaml"
    cfg.write_text(
        "detectors:\n  - name: pii_regex\n    options:\n      custom:\n"
        + textwrap.indent(textwrap.dedent(custom_yaml), " " * 8),
        encoding="utf-8",
    )
    return Guard.from_config(cfg)


def test_custom_recognizer_from_yaml(tmp_path: Path) -> None:
    guard = _guard_from_yaml(
        tmp_path,
        r"""
        - name: employee_id
          label: EMPLOYEE_ID
          regex: 'EMP-\d{6}'
          context: [employee]
          score: 0.7
        - name: member_card
          label: MEMBER_CARD
          regex: 'M\d{9}'
          validator: luhn
        """,
    )
    r = guard.check("employee EMP-004211, member M799273982 and M799273988")
    pii = [(f.label, f.score) for f in r.pii]
    assert ("EMPLOYEE_ID", 0.9) in pii
    assert "EMP-004211" not in r.redacted_text
    assert [f.label for f in r.pii if f.label == "MEMBER_CARD"] == ["MEMBER_CARD"]
    assert "M799273988" in r.redacted_text  # Luhn-invalid: left alone


def test_custom_recognizer_with_explanation(tmp_path: Path) -> None:
    guard = _guard_from_yaml(
        tmp_path,
        r"""
        - {name: employee_id, label: EMPLOYEE_ID, regex: 'EMP-\d{6}', context: [employee], validator: luhn}
        """,
    )
    (f,) = [f for f in guard.check("employee EMP-000018").pii if f.label == "EMPLOYEE_ID"]
    assert dict(f.explanation) == {
        "recognizer": "employee_id",
        "validator": "luhn",
        "valid": True,
        "context": "employee",
    }


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("- {name: bad_regex, label: X, regex: 'EMP-(\\d'}", r"custom\[0\] \(bad_regex\): invalid regex"),
        ("- {name: nested, label: X, regex: '(a+)+b'}", r"custom\[0\] \(nested\): nested quantifiers"),
        (
            "- {name: unbounded, label: X, regex: 'a.*b'}",
            r"custom\[0\] \(unbounded\): .*bounded match length",
        ),
        ("- {name: backref, label: X, regex: '(a)\\1'}", r"custom\[0\] \(backref\): backreferences"),
        ("- {name: alt_rep, label: X, regex: '(ab|cd){1,9}'}", r"custom\[0\] \(alt_rep\): alternation"),
        ("- {name: empty, label: X, regex: 'a?'}", r"custom\[0\] \(empty\): .*empty string"),
        (
            "- {name: v, label: X, regex: 'a{3}', validator: nope}",
            r"custom\[0\] \(v\): unknown validator 'nope'",
        ),
        ("- {name: s, label: X, regex: 'a{3}', score: 2}", r"custom\[0\] \(s\): score"),
        ("- {name: l, label: lower, regex: 'a{3}'}", r"custom\[0\] \(l\): label"),
        (
            "- {name: k, label: X, regex: 'a{3}', colour: red}",
            r"custom\[0\] \(k\): unknown keys \['colour'\]",
        ),
        (
            "- {name: c, label: X, regex: 'a{3}', context_required: true}",
            r"custom\[0\] \(c\): context_required",
        ),
        ("- {name: email, label: X, regex: 'a{3}'}", r"custom\[0\] \(email\): the name is already used"),
        ("- {label: X, regex: 'a{3}'}", r"custom\[0\]: name"),
        ("- just a string", r"custom\[0\]: a custom recognizer must be a mapping"),
    ],
)
def test_invalid_custom_entry_is_a_config_error_naming_it(tmp_path: Path, entry: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        _guard_from_yaml(tmp_path, entry)


def test_second_bad_entry_is_named_by_index() -> None:
    good = {"name": "ok", "label": "OK", "regex": "OK-[0-9]{3}"}
    with pytest.raises(ConfigError, match=r"custom\[1\] \(bad\)"):
        build_detector("pii_regex", custom=[good, {"name": "bad", "label": "X", "regex": "(x+)+"}])


def test_custom_labels_are_reported_even_with_a_label_subset() -> None:
    d = RegexPIIDetector(
        labels=["EMAIL_ADDRESS"], custom=[{"name": "ok", "label": "OK_ID", "regex": "OK-[0-9]{3}"}]
    )
    assert [f.label for f in d.detect(["OK-123 jo@example.com"])[0]] == ["OK_ID", "EMAIL_ADDRESS"]


def test_custom_pattern_is_case_sensitive_and_bounded_by_default() -> None:
    r = custom_recognizer({"name": "emp", "label": "EMP", "regex": r"EMP-\d{3}"})
    assert [f.start for f in r.scan("EMP-123 emp-123 XEMP-123 EMP-1234")] == [0]
    loose = custom_recognizer({"name": "emp", "label": "EMP", "regex": r"EMP-\d{3}", "boundary": False})
    assert [f.start for f in loose.scan("XEMP-123")] == [1]


@pytest.mark.parametrize(
    "text",
    [
        "DATABASE_URL=postgres://admin:s3cretPW@db.example.com:5432/app",
        "my new password is hunter2",
        "token glpat-xYz12AbC34dEf56GhI78jK",
        "aws_secret_access_key wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    ],
)
def test_check_output_blocks_the_new_secrets(text: str) -> None:
    result = Guard([build_detector("pii_regex")]).check_output(text)
    assert result.action.value == "block"
