"""Deterministic merging of PII findings from several detectors.

Rules, in order:
1. Adjacent or overlapping pieces with the same label from the same detector, separated
   by nothing or one whitespace character, are joined (a model tagging "Jane" and
   "Doe" separately still yields one PERSON span). Validated findings are never joined,
   and ``joinable`` limits joining to some detectors: the Guard joins only model pieces,
   since two regex e-mails one space apart are two values, not one.
2. Overlapping findings are resolved greedily by priority: a validated finding
   (checksum, structural rule) beats an unvalidated one; then the higher score; then
   the longer span; then the earlier start, label and detector name (total order, so the
   result never depends on input order).
"""

from __future__ import annotations

import bisect
from collections.abc import Collection, Iterable

from bastion.types import Finding

_JOINABLE_GAP = {"", " ", "\t", "\n", "\u00a0"}


def _join_adjacent(
    findings: list[Finding], text: str | None, joinable: Collection[str] | None
) -> list[Finding]:
    out: list[Finding] = []
    for f in sorted(findings, key=lambda f: (f.detector, f.label, f.start, f.end)):
        prev = out[-1] if out else None
        if (
            prev is not None
            and (joinable is None or f.detector in joinable)
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


def merge_findings(
    findings: Iterable[Finding], text: str | None = None, *, joinable: Collection[str] | None = None
) -> list[Finding]:
    """Join same-label pieces, then drop every finding that overlaps a higher-priority one.

    Returns findings sorted by start offset.

    >>> a = Finding("CREDIT_CARD", 0, 16, 0.9, "regex", validated=True)
    >>> b = Finding("PHONE_NUMBER", 0, 10, 0.95, "ner")
    >>> [f.label for f in merge_findings([a, b])]
    ['CREDIT_CARD']
    """
    items = [f for f in findings if f.end > f.start]
    items = _join_adjacent(items, text, joinable)
    # Kept spans never overlap, so sorted by start they are also sorted by end: a new
    # candidate only needs checking against its two neighbours (O(n log n), not O(n²),
    # which matters for a megabyte of log lines with tens of thousands of findings).
    starts: list[int] = []
    kept: list[Finding] = []
    for f in sorted(items, key=_priority):
        i = bisect.bisect_left(starts, f.start)
        if i < len(kept) and kept[i].start < f.end:
            continue
        if i > 0 and kept[i - 1].end > f.start:
            continue
        starts.insert(i, f.start)
        kept.insert(i, f)
    return kept
