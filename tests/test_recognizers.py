"""Recognizers for national identifiers, bank / crypto identifiers and secrets (issue 13
item 4), custom recognizers from a Guard config (issue 15), and the recognizer table. Their
found / not-found cases are in test_pii_regex.py (ID_POSITIVES, ID_NEGATIVES), with the
other labels'."""

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
