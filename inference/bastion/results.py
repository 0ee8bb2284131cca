"""Every shape a :class:`~bastion.types.CheckResult` is turned into, in one place.

- :func:`result_dict` / :func:`finding_dict`: the JSON dict the CLI prints and the HTTP API
  returns (``CheckResult.to_dict()`` / ``Finding.to_dict()`` delegate here);
- :func:`redact_dict`: what ``bastion redact --json`` prints;
- :func:`textless_dict`: the JSON dict without any text, for a block reason;
- :func:`summary_text`: the human summary ``bastion check`` prints (offsets, never values);
- :func:`result_row` / :func:`row_columns`: the result columns of ``bastion scan`` (prefixed
  ``bastion_``) and of the Spark integration (unprefixed);
- :func:`audit_fields` / :func:`audit_details` / :func:`event_type` / :func:`severity_of`:
  what the API's audit log line and the store's audit trail keep (labels and counts, never a
  value, an offset or the text);
- :func:`metric_labels`: the Prometheus label values of one result.

>>> from bastion.types import Action, CheckResult, Finding
>>> r = CheckResult(Action.REDACT, 0.02, False, (Finding("EMAIL_ADDRESS", 5, 16, 0.99, "regex", action=Action.REDACT),), "mail [REDACTED]", False)
>>> result_dict(r)["pii"][0]["label"], result_row(r, prefix="bastion_")["bastion_action"]
('EMAIL_ADDRESS', 'redact')
>>> audit_fields(r)["labels"], metric_labels(r).redacted
({'EMAIL_ADDRESS': 1}, ('EMAIL_ADDRESS',))
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bastion.types import INJECTION, Action, CheckResult, Finding

if TYPE_CHECKING:
    from bastion.conversation import MessagesResult

# the result columns of a scanned row, before any prefix
ROW_COLUMNS = ("action", "injection_score", "pii", "redacted_text")


def _score(value: float | None, digits: int) -> float | None:
    return None if value is None else round(float(value), digits)


# -- JSON -----------------------------------------------------------------------------------------


def finding_dict(finding: Finding, *, explain: bool = True) -> dict[str, Any]:
    """JSON-safe dict of a finding; ``action``/``rule`` once a policy decided, ``explanation``
    only when set (and ``explain``).

    >>> finding_dict(Finding("EMAIL_ADDRESS", 8, 19, 0.98765, "regex"))["score"]
    0.9877
    """
    return (
        {
            "label": finding.label,
            "start": finding.start,
            "end": finding.end,
            "score": _score(finding.score, 4),
            "detector": finding.detector,
            "category": finding.category,
            "validated": finding.validated,
        }
        | ({} if finding.action is None else {"action": finding.action.value, "rule": finding.rule})
        | ({} if finding.explanation is None or not explain else {"explanation": _plain(finding.explanation)})
    )


def _plain(explanation: Mapping[str, Any] | str) -> dict[str, Any] | str:
    """A JSON-safe copy of an explanation (mappings become dicts)."""
    if isinstance(explanation, str):
        return explanation
    return {
        str(k): v if isinstance(v, str | int | float | bool) or v is None else str(v)
        for k, v in explanation.items()
    }


def result_dict(result: CheckResult, *, explain: bool = False) -> dict[str, Any]:
    """JSON-safe dict; the shape the CLI prints and the HTTP API returns.

    ``explain`` adds each finding's ``explanation`` (where its detector gave one); off by
    default, so responses keep their documented shape.

    >>> sorted(result_dict(CheckResult(Action.ALLOW, None, False, (), "hi", False))["injection"])
    ['is_injection', 'score', 'threshold']
    """
    injection: dict[str, Any] = {
        "score": _score(result.injection_score, 4),
        "threshold": _score(result.injection_threshold, 4),
        "is_injection": result.is_injection,
    }
    if result.injection_allowed_by is not None:
        # only when policy.injection_allow_list matched, like a finding's action/rule
        injection["allowed_by"] = result.injection_allowed_by
    flagged = [f for f in result.findings if f.category == "injection"]
    if flagged:
        # which part of a long document was flagged (the summary showed it; JSON did not)
        injection["span"] = [flagged[0].start, flagged[0].end]
        if explain and flagged[0].explanation:
            injection["explanation"] = dict(flagged[0].explanation)
    return {
        "action": result.action.value,
        "injection": injection,
        "pii": [finding_dict(f, explain=explain) for f in result.pii],
        "redacted_text": result.redacted_text,
        "degraded": result.degraded,
        "degraded_reasons": list(result.degraded_reasons),
        "model_versions": dict(result.model_versions),
        "latency_ms": round(result.latency_ms, 3),
    }


def redact_dict(result: CheckResult) -> dict[str, Any]:
    """What ``bastion redact --json`` prints: the redacted text, the PII findings and, when
    the call pseudonymised, the vault mapping ``bastion.restore`` needs.

    >>> sorted(redact_dict(CheckResult(Action.ALLOW, None, False, (), "hi", False)))
    ['degraded', 'pii', 'redacted_text']
    """
    out: dict[str, Any] = {
        "redacted_text": result.redacted_text,
        "pii": [finding_dict(f, explain=False) for f in result.pii],
        "degraded": result.degraded,
    }
    if result.degraded:
        out["degraded_reasons"] = list(result.degraded_reasons)
    if result.vault is not None and len(result.vault):
        out["vault"] = dict(result.vault.items())
    return out


def textless_dict(result: CheckResult | MessagesResult) -> dict[str, Any]:
    """``result.to_dict()`` without the text: no ``redacted_text`` (for a
    :class:`~bastion.conversation.MessagesResult`, in no message), only labels, scores and
    offsets. For a block reason sent where the text must not be echoed back (the LiteLLM
    guardrail's 400).

    >>> sorted(textless_dict(CheckResult(Action.BLOCK, 0.99, True, (), "hi", False)))
    ['action', 'degraded', 'degraded_reasons', 'injection', 'latency_ms', 'model_versions', 'pii']
    """
    if isinstance(result, CheckResult):
        return {k: v for k, v in result_dict(result).items() if k != "redacted_text"}
    out = result.to_dict()
    for entry, message in zip(out["messages"], result.messages, strict=True):
        if message.result is not None:
            entry["result"] = textless_dict(message.result)
    return out


# -- text -----------------------------------------------------------------------------------------


def explanation_line(finding: Finding) -> str:
    """One line for a finding's explanation: ``key=value`` pairs in the detector's order.

    >>> explanation_line(Finding("IBAN", 0, 22, 1.0, "regex", explanation={"validator": "mod97"}))
    'validator=mod97'
    """
    why = finding.explanation
    if why is None:
        return "no explanation"
    if isinstance(why, str):
        return why
    return "  ".join(f"{k}={v}" for k, v in why.items())


# C0/C1 controls but tab and newline, DEL: an escape sequence in the checked text (cursor up,
# erase line) could overwrite the "action: block" line on a terminal
_CONTROLS = {c: f"\\x{c:02x}" for c in (*range(0x20), 0x7F, *range(0x80, 0xA0)) if c not in (0x09, 0x0A)}
# and what reorders or breaks the line without being a control: bidi overrides and
# isolates, the line and paragraph separators
_CONTROLS |= {
    c: f"\\u{c:04x}" for c in (0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x2028, 0x2029)
}


def _terminal_safe(text: str) -> str:
    r"""``text`` with control characters spelt as escapes.

    >>> _terminal_safe("ok\x1b[2Kx\tz")
    'ok\\x1b[2Kx\tz'
    """
    return text.translate(_CONTROLS)


def summary_text(result: CheckResult, *, explain: bool = False) -> str:
    """The summary ``bastion check`` prints: offsets only, never the values (summaries end
    up in terminals and CI logs), and the redacted text.

    >>> print(summary_text(CheckResult(Action.ALLOW, 0.01, False, (), "hi", False)), end="")
    action: allow
    injection: no injection (score 0.010)
    pii: 0 findings
    """
    lines = [f"action: {result.action.value}"]
    if result.injection_score is None:
        lines.append("injection: not checked (no injection detector)")
    else:
        verdict = "INJECTION" if result.is_injection else "no injection"
        cut = "" if result.injection_threshold is None else f", threshold {result.injection_threshold:.3f}"
        lines.append(f"injection: {verdict} (score {result.injection_score:.3f}{cut})")
        if explain:
            # the window that scored highest: which part of a long text the verdict rests on
            for f in result.findings:
                if f.category == INJECTION:
                    lines.append(f"    why: {explanation_line(f)}")
    pii = result.pii
    lines.append(f"pii: {len(pii)} finding{'s' if len(pii) != 1 else ''}")
    for f in pii:
        check = ", validated" if f.validated else ""
        lines.append(f"  {f.label:<16} [{f.start}:{f.end}]  score {f.score:.2f}  ({f.detector}{check})")
        if explain:
            lines.append(f"    why: {explanation_line(f)}")
    if pii:
        lines.append(f"redacted: {_terminal_safe(result.redacted_text)}")
    if result.degraded:
        lines.append("degraded: yes")
        lines += [f"  - {r}" for r in result.degraded_reasons]
    if result.model_versions:
        lines.append("models: " + ", ".join(f"{k} {v}" for k, v in sorted(result.model_versions.items())))
    return "\n".join(lines) + "\n"


# -- table rows -----------------------------------------------------------------------------------


def row_columns(prefix: str = "", *, redacted_text: bool = True) -> dict[str, str]:
    """Result column kind → column name (``bastion scan`` uses ``prefix="bastion_"``;
    ``bastion scan --redact`` writes the redacted text into the scanned column instead).

    >>> row_columns("bastion_")["action"], list(row_columns(redacted_text=False))
    ('bastion_action', ['action', 'injection_score', 'pii'])
    """
    return {k: f"{prefix}{k}" for k in ROW_COLUMNS if redacted_text or k != "redacted_text"}


def result_row(
    result: CheckResult, *, prefix: str = "", pii_as_json: bool = False, redacted_text: bool = True
) -> dict[str, Any]:
    """The result columns of one table row: ``action``, ``injection_score`` (6 digits),
    ``pii`` (a list of ``{label, start, end}``, or that list as a JSON string with
    ``pii_as_json``, as Spark writes it) and ``redacted_text``, each name with ``prefix``.

    >>> r = CheckResult(Action.REDACT, 0.1234567, False, (Finding("PERSON", 0, 4, 0.9, "m"),), "[P] x", False)
    >>> result_row(r, pii_as_json=True)["pii"], list(result_row(r, prefix="b_", redacted_text=False))
    ('[{"label": "PERSON", "start": 0, "end": 4}]', ['b_action', 'b_injection_score', 'b_pii'])
    """
    pii = [{"label": f.label, "start": f.start, "end": f.end} for f in result.pii]
    values = {
        "action": result.action.value,
        "injection_score": _score(result.injection_score, 6),
        "pii": json.dumps(pii) if pii_as_json else pii,
        "redacted_text": result.redacted_text,
    }
    return {name: values[kind] for kind, name in row_columns(prefix, redacted_text=redacted_text).items()}


# -- audit ----------------------------------------------------------------------------------------


def label_counts(findings: Iterable[Finding]) -> dict[str, int]:
    """``{label: count}``, sorted by label.

    >>> label_counts([Finding("B", 0, 1, 1.0, "x"), Finding("A", 0, 1, 1.0, "x"), Finding("B", 2, 3, 1.0, "x")])
    {'A': 1, 'B': 2}
    """
    return dict(sorted(Counter(f.label for f in findings).items()))


def audit_fields(result: CheckResult) -> dict[str, Any]:
    """The fields of the API's audit log line: labels and counts, never a value, an offset
    or the text. What was found and what was replaced differ: allowed findings (LOCATION /
    ORGANIZATION by default, allow-listed values) are found, not redacted.

    >>> audit_fields(CheckResult(Action.ALLOW, None, False, (), "hi", False))["findings"]
    0
    """
    labels = label_counts(result.findings)
    redacted = label_counts(result.redactions)
    fields: dict[str, Any] = {
        "action": result.action.value,
        "is_injection": result.is_injection,
        "injection_score": _score(result.injection_score, 4),
        "labels": labels,
        "findings": sum(labels.values()),
        "redacted": redacted,
        "redactions": sum(redacted.values()),
        "degraded": result.degraded,
    }
    if result.injection_allowed_by is not None:
        # the entry's name only: an exact entry's value is the checked text itself
        fields["injection_allowed_by"] = result.injection_allowed_by.split(" ", 1)[0]
    return fields


def audit_details(result: CheckResult) -> dict[str, Any]:
    """The ``details`` of a store audit event (``PrivacyStore.record_check``): label counts,
    the injection score, degraded, the injection findings and the redacted labels when
    there are any. Its shape is part of the chained audit rows: change it only with care.

    >>> audit_details(CheckResult(Action.ALLOW, 0.123456, False, (), "hi", False))
    {'counts': {}, 'injection_score': 0.1235, 'degraded': False}
    """
    details: dict[str, Any] = {
        "counts": label_counts(result.findings),
        "injection_score": _score(result.injection_score, 4),
        "degraded": result.degraded,
    }
    injections = sum(f.category == INJECTION for f in result.findings)
    if injections:
        details["injection_findings"] = injections
    redacted = label_counts(result.redactions)
    if redacted:
        details["redacted"] = redacted
    return details


def event_type(result: CheckResult) -> str:
    """The audit event type of a result: ``injection``, ``pii`` or ``clean``.

    >>> event_type(CheckResult(Action.BLOCK, 0.99, True, (), "x", False))
    'injection'
    """
    return "injection" if result.is_injection else ("pii" if result.pii else "clean")


def severity_of(result: CheckResult) -> str:
    """Severity of a result for the audit trail and the security metrics.

    >>> severity_of(CheckResult(Action.BLOCK, 0.99, True, (), "x", False))
    'high'
    """
    if result.is_injection:
        return "high" if result.action is Action.BLOCK else "medium"
    if result.pii:
        return "medium" if result.action is Action.BLOCK else "low"
    return "info"


# -- metrics --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MetricLabels:
    """The Prometheus label values of one result: one ``found`` entry per finding (PII and
    injection verdicts), one ``redacted`` entry per replaced span."""

    action: str
    found: tuple[str, ...]
    redacted: tuple[str, ...]
    degraded: bool


def metric_labels(result: CheckResult) -> MetricLabels:
    """What the API's counters count for ``result`` (label names only: bounded by the
    detectors, never by the text).

    >>> metric_labels(CheckResult(Action.ALLOW, None, False, (), "hi", True))
    MetricLabels(action='allow', found=(), redacted=(), degraded=True)
    """
    return MetricLabels(
        result.action.value,
        tuple(f.label for f in result.findings),
        tuple(f.label for f in result.redactions),
        result.degraded,
    )


def span_attributes(results: Iterable[CheckResult]) -> dict[str, Any]:
    """OpenTelemetry attributes of one guard call over ``results``: counts, label names,
    the highest injection score and model versions; never text or offsets.

    >>> span_attributes([CheckResult(Action.ALLOW, None, False, (), "hi", True)])["bastion.texts"]
    1
    """
    results = list(results)
    actions = Counter(r.action.value for r in results)
    labels = Counter(f.label for r in results for f in r.pii)
    scores = [r.injection_score for r in results if r.injection_score is not None]
    attrs: dict[str, Any] = {
        "bastion.texts": len(results),
        "bastion.labels": sorted(labels),
        "bastion.injection.flagged": sum(1 for r in results if r.is_injection),
        "bastion.degraded": any(r.degraded for r in results),
    }
    attrs.update({f"bastion.action.{k}": v for k, v in actions.items()})
    attrs.update({f"bastion.label.{k}": v for k, v in labels.items()})
    if scores:
        attrs["bastion.injection.max_score"] = float(max(scores))
    if results:
        attrs.update({f"bastion.model.{k}": v for k, v in results[0].model_versions.items()})
    return attrs


__all__ = [
    "ROW_COLUMNS",
    "MetricLabels",
    "audit_details",
    "audit_fields",
    "event_type",
    "explanation_line",
    "finding_dict",
    "label_counts",
    "metric_labels",
    "redact_dict",
    "result_dict",
    "result_row",
    "row_columns",
    "severity_of",
    "span_attributes",
    "summary_text",
    "textless_dict",
]
