"""Deterministic merging of PII findings from several detectors.

Rules, in order:
1. Adjacent or overlapping pieces with the same label from the same detector, separated
   by nothing or one whitespace character, are joined (a model tagging "Jane" and
   "Doe" separately still yields one PERSON span). Validated findings are never joined.
2. Overlapping findings are resolved greedily by priority: a validated finding
   (checksum, structural rule) beats an unvalidated one; then the higher score; then
   the longer span; then the earlier start, label and detector name (total order, so the
   result never depends on input order).
"""

from __future__ import annotations

from collections.abc import Iterable

from bastion.types import Finding

_JOINABLE_GAP = {"", " ", "\t", "\n", "\u00a0"}


def _join_adjacent(findings: list[Finding], text: str | None) -> list[Finding]:
    out: list[Finding] = []
    for f in sorted(findings, key=lambda f: (f.detector, f.label, f.start, f.end)):
        prev = out[-1] if out else None
        if (
            prev is not None
            and not prev.validated
            and not f.validated
            and prev.detector == f.detector
            and prev.label == f.label
            and f.start >= prev.start
            and f.start - prev.end <= 1
            and (f.start <= prev.end or text is None or text[prev.end : f.start] in _JOINABLE_GAP)
        ):
            out[-1] = Finding(
                prev.label,
                prev.start,
                max(prev.end, f.end),
                max(prev.score, f.score),
                prev.detector,
                prev.category,
                False,
            )
        else:
            out.append(f)
    return out


def _priority(f: Finding) -> tuple:
    return (not f.validated, -f.score, -f.length, f.start, f.label, f.detector)


def merge_findings(findings: Iterable[Finding], text: str | None = None) -> list[Finding]:
    """Join same-label pieces, then drop every finding that overlaps a higher-priority one.

    Returns findings sorted by start offset.

    >>> a = Finding("CREDIT_CARD", 0, 16, 0.9, "regex", validated=True)
    >>> b = Finding("PHONE_NUMBER", 0, 10, 0.95, "ner")
    >>> [f.label for f in merge_findings([a, b])]
    ['CREDIT_CARD']
    """
    items = [f for f in findings if f.end > f.start]
    items = _join_adjacent(items, text)
    kept: list[Finding] = []
    for f in sorted(items, key=_priority):
        if all(f.end <= k.start or f.start >= k.end for k in kept):
            kept.append(f)
    return sorted(kept, key=lambda f: (f.start, f.end, f.label))
