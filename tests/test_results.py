"""bastion.results: every shape a CheckResult is turned into (JSON, rows, audit, metrics, text)."""

from __future__ import annotations

import json
import os
import tempfile

import pytest
from bastion.results import (
    ROW_COLUMNS,
    MetricLabels,
    audit_details,
    audit_fields,
    event_type,
    finding_dict,
    label_counts,
    metric_labels,
    redact_dict,
    result_dict,
    result_row,
    row_columns,
    severity_of,
    summary_text,
)
from bastion.types import INJECTION, Action, CheckResult, Finding

TEXT = "Jane Doe, jane@example.com, lives in Paris"
NAME, EMAIL, CITY = "Jane Doe", "jane@example.com", "Paris"


def _at(value: str) -> tuple[int, int]:
    start = TEXT.index(value)
    return start, start + len(value)


def _pii(label: str, value: str, action: Action | None, **kw) -> Finding:
    return Finding(
        label, *_at(value), 0.987654, "fake", action=action, rule=None if action is None else "r", **kw
    )


PERSON = _pii("PERSON", NAME, Action.REDACT)
MAIL = _pii("EMAIL_ADDRESS", EMAIL, Action.REDACT, validated=True, explanation={"validator": "email", "n": 3})
PLACE = _pii("LOCATION", CITY, Action.ALLOW)
INJ = Finding("INJECTION", 0, len(TEXT), 0.97, "fake_inj", category=INJECTION)
REDACTED = "[REDACTED_PERSON], [REDACTED_EMAIL_ADDRESS], lives in Paris"


def _result(findings=(PERSON, MAIL, PLACE), **kw) -> CheckResult:
    base = {
        "action": Action.REDACT,
        "injection_score": 0.0123456789,
        "is_injection": False,
        "findings": tuple(findings),
        "redacted_text": REDACTED,
        "degraded": False,
        "model_versions": {"pii_model": "2"},
        "latency_ms": 1.23456,
        "injection_threshold": 0.5,
    }
    return CheckResult(**(base | kw))


RESULTS = {
    "pii": _result(),
    "clean": _result((), action=Action.ALLOW, redacted_text=TEXT),
    "no_injection_detector": _result((), action=Action.ALLOW, injection_score=None, injection_threshold=None),
    "injection": _result((INJ, PERSON), action=Action.BLOCK, injection_score=0.97, is_injection=True),
    "allow_listed": _result(
        (PLACE,),
        action=Action.ALLOW,
        injection_score=0.99,
        injection_allowed_by=f"injection_allow_list[0] exact {TEXT!r}",
    ),
    "degraded": _result(
        (PLACE,), action=Action.ALLOW, degraded=True, degraded_reasons=("pii model missing",)
    ),
}


# -- JSON -----------------------------------------------------------------------------------------


PLAIN = {"start": 0, "end": 1, "score": 1.0, "category": "pii", "validated": False}
MAIL_DICT = {
    "label": "EMAIL_ADDRESS",
    "start": 10,
    "end": 26,
    "score": 0.9877,
    "detector": "fake",
    "category": "pii",
    "validated": True,
    "action": "redact",
    "rule": "r",
}


@pytest.mark.parametrize(
    ("finding", "explain", "expected"),
    [
        (
            Finding("PERSON", 0, 1, 0.987654, "fake"),
            True,
            PLAIN | {"label": "PERSON", "detector": "fake", "score": 0.9877},
        ),
        (MAIL, True, MAIL_DICT | {"explanation": {"validator": "email", "n": 3}}),
        (MAIL, False, MAIL_DICT),
        (
            Finding("X", 0, 1, 1.0, "d", explanation={"window": range(2)}),
            True,
            PLAIN | {"label": "X", "detector": "d", "explanation": {"window": "range(0, 2)"}},
        ),
    ],
)
def test_finding_dict(finding, explain, expected):
    assert finding_dict(finding, explain=explain) == expected
    assert finding.to_dict(explain=explain) == expected  # the method delegates


def test_result_dict_shape():
    assert result_dict(RESULTS["pii"]) == {
        "action": "redact",
        "injection": {"score": 0.0123, "threshold": 0.5, "is_injection": False},
        "pii": [finding_dict(f, explain=False) for f in (PERSON, MAIL, PLACE)],
        "redacted_text": REDACTED,
        "degraded": False,
        "degraded_reasons": [],
        "model_versions": {"pii_model": "2"},
        "latency_ms": 1.235,
    }


@pytest.mark.parametrize("name", sorted(RESULTS))
@pytest.mark.parametrize("explain", [False, True])
def test_result_dict_is_json_and_to_dict(name, explain):
    r = RESULTS[name]
    d = result_dict(r, explain=explain)
    assert json.loads(json.dumps(d)) == d
    assert r.to_dict(explain=explain) == d
    # only PII findings: an injection verdict is the "injection" block, not a finding
    assert [f["label"] for f in d["pii"]] == [f.label for f in r.pii]
    assert ("allowed_by" in d["injection"]) is (r.injection_allowed_by is not None)
    assert any("explanation" in f for f in d["pii"]) is (explain and MAIL in r.pii)


@pytest.mark.parametrize(
    ("name", "injection"),
    [
        ("no_injection_detector", {"score": None, "threshold": None, "is_injection": False}),
        # the flagged window, so a long document says where (s31 qa_injux M3)
        ("injection", {"score": 0.97, "threshold": 0.5, "is_injection": True, "span": [0, len(TEXT)]}),
        (
            "allow_listed",
            {
                "score": 0.99,
                "threshold": 0.5,
                "is_injection": False,
                "allowed_by": f"injection_allow_list[0] exact {TEXT!r}",
            },
        ),
    ],
)
def test_result_dict_injection(name, injection):
    assert result_dict(RESULTS[name])["injection"] == injection


class _Vault:
    def __init__(self, items: dict[str, str]) -> None:
        self._items = items

    def __len__(self) -> int:
        return len(self._items)

    def items(self):
        return self._items.items()


@pytest.mark.parametrize(
    ("vault", "keys"),
    [
        (None, ["degraded", "pii", "redacted_text"]),
        (_Vault({}), ["degraded", "pii", "redacted_text"]),
        (_Vault({"<PERSON_1>": NAME}), ["degraded", "pii", "redacted_text", "vault"]),
    ],
)
def test_redact_dict(vault, keys):
    d = redact_dict(_result(vault=vault))
    assert sorted(d) == keys
    assert d["pii"] == [finding_dict(f, explain=False) for f in (PERSON, MAIL, PLACE)]
    if "vault" in d:
        assert d["vault"] == {"<PERSON_1>": NAME}


# -- rows -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", ["", "bastion_", "scan."])
@pytest.mark.parametrize("redacted_text", [True, False])
def test_row_columns(prefix, redacted_text):
    cols = row_columns(prefix, redacted_text=redacted_text)
    kinds = [k for k in ROW_COLUMNS if redacted_text or k != "redacted_text"]
    assert cols == {k: prefix + k for k in kinds}


@pytest.mark.parametrize(
    ("prefix", "pii_as_json", "redacted_text"),
    [
        ("", False, True),
        ("", True, True),
        ("bastion_", False, True),
        ("bastion_", False, False),
        ("p_", True, False),
    ],
)
def test_result_row(prefix, pii_as_json, redacted_text):
    row = result_row(RESULTS["pii"], prefix=prefix, pii_as_json=pii_as_json, redacted_text=redacted_text)
    assert list(row) == list(row_columns(prefix, redacted_text=redacted_text).values())
    assert row[prefix + "action"] == "redact"
    assert row[prefix + "injection_score"] == 0.012346  # rows keep 6 digits
    pii = [{"label": f.label, "start": f.start, "end": f.end} for f in (PERSON, MAIL, PLACE)]
    assert row[prefix + "pii"] == (json.dumps(pii) if pii_as_json else pii)
    assert row.get(prefix + "redacted_text") == (REDACTED if redacted_text else None)


def test_result_row_without_injection_detector():
    assert result_row(RESULTS["no_injection_detector"])["injection_score"] is None


# -- audit ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(RESULTS))
@pytest.mark.parametrize("convert", [audit_fields, audit_details])
def test_audit_shapes_never_hold_values_or_text(name, convert):
    out = json.dumps(convert(RESULTS[name]))
    for value in (NAME, EMAIL, CITY, TEXT, REDACTED, "jane", "example.com"):
        assert value not in out
    # nor offsets: a finding's start/end would let a reader cut the value out of a leaked text
    for f in RESULTS[name].findings:
        assert '"start"' not in out and '"end"' not in out and f"[{f.start}:{f.end}]" not in out


@pytest.mark.parametrize(
    ("name", "labels", "redacted", "allowed_by"),
    [
        ("pii", {"EMAIL_ADDRESS": 1, "LOCATION": 1, "PERSON": 1}, {"EMAIL_ADDRESS": 1, "PERSON": 1}, None),
        ("clean", {}, {}, None),
        ("injection", {"INJECTION": 1, "PERSON": 1}, {"PERSON": 1}, None),
        ("allow_listed", {"LOCATION": 1}, {}, "injection_allow_list[0]"),
    ],
)
def test_audit_fields(name, labels, redacted, allowed_by):
    r = RESULTS[name]
    f = audit_fields(r)
    assert f["labels"] == labels and f["findings"] == sum(labels.values())
    assert f["redacted"] == redacted and f["redactions"] == sum(redacted.values())
    assert f["action"] == r.action.value and f["is_injection"] is r.is_injection
    assert f.get("injection_allowed_by") == allowed_by


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "pii",
            {
                "counts": {"EMAIL_ADDRESS": 1, "LOCATION": 1, "PERSON": 1},
                "injection_score": 0.0123,
                "degraded": False,
                "redacted": {"EMAIL_ADDRESS": 1, "PERSON": 1},
            },
        ),
        ("clean", {"counts": {}, "injection_score": 0.0123, "degraded": False}),
        (
            "injection",
            {
                "counts": {"INJECTION": 1, "PERSON": 1},
                "injection_score": 0.97,
                "degraded": False,
                "injection_findings": 1,
                "redacted": {"PERSON": 1},
            },
        ),
        ("degraded", {"counts": {"LOCATION": 1}, "injection_score": 0.0123, "degraded": True}),
    ],
)
def test_audit_details(name, expected):
    assert audit_details(RESULTS[name]) == expected


@pytest.mark.parametrize(
    ("name", "etype", "severity"),
    [
        ("pii", "pii", "low"),
        ("clean", "clean", "info"),
        ("injection", "injection", "high"),
        ("allow_listed", "pii", "low"),
    ],
)
def test_event_type_and_severity(name, etype, severity):
    assert event_type(RESULTS[name]) == etype
    assert severity_of(RESULTS[name]) == severity


@pytest.mark.parametrize(
    ("action", "is_injection", "findings", "severity"),
    [
        (Action.REDACT, True, (), "medium"),
        (Action.BLOCK, False, (PERSON,), "medium"),
        (Action.BLOCK, False, (), "info"),
    ],
)
def test_severity_table(action, is_injection, findings, severity):
    assert severity_of(_result(findings, action=action, is_injection=is_injection)) == severity


def test_label_counts_sorted():
    assert list(label_counts([PLACE, PERSON, MAIL, PERSON])) == ["EMAIL_ADDRESS", "LOCATION", "PERSON"]
    assert label_counts([PLACE, PERSON, MAIL, PERSON])["PERSON"] == 2


def test_store_records_audit_details():
    pytest.importorskip("sqlalchemy")
    from bastion.store import PrivacyStore

    r = RESULTS["injection"]
    path = os.path.join(tempfile.mkdtemp(), "s.db")
    with PrivacyStore(f"sqlite:///{path}", audit_key=b"k" * 32) as store:
        ev = store.record_check(r, user_id="alice", text=TEXT)
        assert dict(ev.details) == audit_details(r)
        assert (ev.event_type, ev.severity) == (event_type(r), severity_of(r))
        assert set(ev.labels) == set(audit_details(r)["counts"])


# -- metrics and text -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "pii",
            MetricLabels(
                "redact", ("PERSON", "EMAIL_ADDRESS", "LOCATION"), ("PERSON", "EMAIL_ADDRESS"), False
            ),
        ),
        ("injection", MetricLabels("block", ("INJECTION", "PERSON"), ("PERSON",), False)),
        ("degraded", MetricLabels("allow", ("LOCATION",), (), True)),
    ],
)
def test_metric_labels(name, expected):
    assert metric_labels(RESULTS[name]) == expected


def test_metrics_count_metric_labels():
    pytest.importorskip("prometheus_client")
    from bastion.api.metrics import Metrics

    m = Metrics()
    m.observe_result(RESULTS["pii"])
    m.observe_result(RESULTS["degraded"])
    text = m.render().decode()
    assert 'bastion_findings_total{label="LOCATION"} 2.0' in text
    assert 'bastion_redactions_total{label="PERSON"} 1.0' in text
    assert 'bastion_redactions_total{label="LOCATION"}' not in text
    assert "bastion_degraded_results_total 1.0" in text


@pytest.mark.parametrize(
    ("name", "explain", "lines"),
    [
        (
            "pii",
            False,
            [
                "action: redact",
                "injection: no injection (score 0.012, threshold 0.500)",
                "pii: 3 findings",
                "  PERSON           [0:8]  score 0.99  (fake)",
                "  EMAIL_ADDRESS    [10:26]  score 0.99  (fake, validated)",
                "  LOCATION         [37:42]  score 0.99  (fake)",
                f"redacted: {REDACTED}",
                "models: pii_model 2",
            ],
        ),
        (
            "no_injection_detector",
            False,
            [
                "action: allow",
                "injection: not checked (no injection detector)",
                "pii: 0 findings",
                "models: pii_model 2",
            ],
        ),
        (
            "degraded",
            True,
            [
                "action: allow",
                "injection: no injection (score 0.012, threshold 0.500)",
                "pii: 1 finding",
                "  LOCATION         [37:42]  score 0.99  (fake)",
                "    why: no explanation",
                f"redacted: {REDACTED}",
                "degraded: yes",
                "  - pii model missing",
                "models: pii_model 2",
            ],
        ),
    ],
)
def test_summary_text(name, explain, lines):
    assert summary_text(RESULTS[name], explain=explain) == "\n".join(lines) + "\n"


def test_summary_text_explains_and_never_quotes_redacted_values():
    text = summary_text(_result(), explain=True)
    assert "    why: validator=email  n=3" in text
    assert NAME not in text and EMAIL not in text


def test_summary_text_explains_the_injection_verdict_by_its_window():
    # --explain once said why for each PII finding and nothing about the injection verdict
    text = summary_text(RESULTS["injection"], explain=True)
    injection_line = text.splitlines().index("injection: INJECTION (score 0.970, threshold 0.500)")
    assert text.splitlines()[injection_line + 1].startswith("    why: ")
    assert "why" not in summary_text(RESULTS["injection"], explain=False)
